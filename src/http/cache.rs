//! The cache of anonymous answers. A public query (no `Authorization` header, a query operation,
//! no errors in its answer) is answered once and then served from memory until committed data
//! changes ([`DataVersion`]): on every write of this process, and on PostgreSQL on every write of
//! any replica (`LISTEN`/`NOTIFY`). An answer computed while a write committed is stored under
//! the version read before it ran, so it is never served once the write is known.
//!
//! Entries are bounded by bytes (`RESPONSE_CACHE_MB`, 0 turns the cache off) and evicted by
//! quick_cache's S3-FIFO policy. Each entry carries a strong `ETag` (a hash of its `data`), so GET
//! clients and proxies can revalidate with `If-None-Match` and get `304 Not Modified`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

use crate::db::changes::DataVersion;

/// The longest an answer is served: a bound on staleness should data be changed behind the
/// server's back (SQL run by hand), which no write of the API announces.
const MAX_AGE: Duration = Duration::from_secs(60);

/// What identifies an answer: the document, the variables, the operation and the media type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The GraphQL document, as sent.
    pub query: String,
    /// The variables, as JSON.
    pub variables: String,
    /// The operation name.
    pub operation: Option<String>,
    /// The response media type.
    pub media: &'static str,
}

/// An answer's `data`, as sent, and what it cost to compute (spent again from the caller's
/// budget on every use, so that the budget and `extensions.cost` work as without the cache).
#[derive(Debug)]
pub struct Cached {
    version: u64,
    stored_at: Instant,
    /// The `data` member, serialized.
    pub data: Bytes,
    /// The query's cost.
    pub cost: u32,
    /// The entity tag of `data`, computed when a GET first needs it (a POST answer is
    /// `no-store` and carries none).
    etag: OnceLock<HeaderValue>,
}

impl Cached {
    /// The entity tag of `data`.
    pub fn etag(&self) -> &HeaderValue {
        self.etag.get_or_init(|| etag(&self.data))
    }
}

#[derive(Debug, Clone)]
struct ByBytes;

impl Weighter<Key, Arc<Cached>> for ByBytes {
    fn weight(&self, key: &Key, value: &Arc<Cached>) -> u64 {
        (key.query.len() + key.variables.len() + value.data.len() + 128) as u64
    }
}

/// The answers being computed now, each with a lock its computing request holds.
type InFlight = Arc<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>>;

/// The cache, shared by all requests of a server.
#[derive(Clone)]
pub struct ResponseCache {
    entries: Option<Arc<Cache<Key, Arc<Cached>, ByBytes>>>,
    version: DataVersion,
    computing: InFlight,
}

/// Held by the request that computes an answer; the others asking for it wait until it is
/// dropped (after the answer is stored), then read it from the cache.
pub struct Computing {
    key: Key,
    computing: InFlight,
    _lock: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Computing {
    fn drop(&mut self) {
        if let Ok(mut computing) = self.computing.lock() {
            computing.remove(&self.key);
        }
    }
}

/// The longest a request waits for another to compute the same answer.
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(5);

impl ResponseCache {
    /// A cache of at most `bytes` bytes (none when 0).
    pub fn new(bytes: u64, version: DataVersion) -> Self {
        let entries = (bytes > 0).then(|| {
            // quick_cache sizes its tables from an estimate of the number of entries.
            let estimated = (bytes / 16_384).clamp(64, 100_000) as usize;
            Arc::new(Cache::with_weighter(estimated, bytes, ByBytes))
        });
        Self {
            entries,
            version,
            computing: Arc::default(),
        }
    }

    /// For an answer that is not in the cache: when another request is computing it, waits
    /// for that one and returns its answer; otherwise returns the guard under which this
    /// request computes it (`None` when nothing may be stored, or the other one stored nothing).
    pub async fn compute(&self, key: &Key) -> Result<Arc<Cached>, Option<Computing>> {
        self.version().ok_or(None)?;
        let (lock, guard) = {
            let Ok(mut computing) = self.computing.lock() else {
                return Err(None);
            };
            match computing.get(key) {
                Some(lock) => (lock.clone(), None),
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    let guard = lock.clone().try_lock_owned().ok();
                    computing.insert(key.clone(), lock.clone());
                    (lock, guard)
                }
            }
        };
        if let Some(guard) = guard {
            return Err(Some(Computing {
                key: key.clone(),
                computing: self.computing.clone(),
                _lock: guard,
            }));
        }
        let _ = tokio::time::timeout(WAIT_FOR_OTHERS, lock.lock()).await;
        self.get(key).ok_or(None)
    }

    /// The data version to store a new answer under, or `None` when nothing may be stored.
    pub fn version(&self) -> Option<u64> {
        self.entries.as_ref()?;
        self.version.now()
    }

    /// The stored answer for `key`, if it is still current.
    pub fn get(&self, key: &Key) -> Option<Arc<Cached>> {
        let version = self.version()?;
        let entry = self.entries.as_ref()?.get(key)?;
        (entry.version == version && entry.stored_at.elapsed() < MAX_AGE).then_some(entry)
    }

    /// Stores an answer computed from the data of `version` (nothing is stored without one).
    pub fn put(&self, key: Key, version: Option<u64>, data: Bytes, cost: u32) -> Arc<Cached> {
        let entry = Arc::new(Cached {
            version: version.unwrap_or(u64::MAX),
            stored_at: Instant::now(),
            etag: OnceLock::new(),
            data,
            cost,
        });
        if let (Some(entries), Some(_)) = (&self.entries, version) {
            entries.insert(key, entry.clone());
        }
        entry
    }

    /// Records that this process ran a mutation that journaled writes of `tables` (the
    /// tables kept apart move only when named; every cached answer is dropped).
    pub fn invalidate(&self, tables: &[&str]) {
        self.version.bump_tables(tables.iter().copied());
    }
}

/// The body of an answer: its `data` and the request's own `extensions`, as async-graphql
/// writes them.
pub fn body(data: &[u8], extensions: Option<&str>) -> Bytes {
    let mut body = Vec::with_capacity(data.len() + extensions.map_or(0, str::len) + 24);
    body.extend_from_slice(b"{\"data\":");
    body.extend_from_slice(data);
    if let Some(extensions) = extensions {
        body.extend_from_slice(b",\"extensions\":");
        body.extend_from_slice(extensions.as_bytes());
    }
    body.push(b'}');
    body.into()
}

/// A strong entity tag: the first 128 bits of the body's SHA-256, the same on every replica.
pub fn etag(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        tag.push_str(&format!("{byte:02x}"));
    }
    tag.push('"');
    HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"0\""))
}
