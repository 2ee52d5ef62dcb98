//! Automatic persisted queries, as Apollo's clients speak them: a client sends the SHA-256 of its
//! document in `extensions.persistedQuery.sha256Hash` instead of the document; the first time
//! (or after a restart, or on another replica) the server answers `PERSISTED_QUERY_NOT_FOUND` and
//! the client sends both, which the server checks and keeps. GET URLs stay short, so public
//! queries can be cached by browsers and proxies.
//!
//! Each replica keeps at most 16 MiB of documents (quick_cache evicts the least used ones); a
//! document is only kept when its hash matches it.

use std::sync::Arc;

use async_graphql::Request;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

/// Why a persisted query could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is not known here: send the document with it.
    NotFound,
    /// The `persistedQuery` extension is malformed, of another version, or its hash does not
    /// match the document.
    Invalid(&'static str),
}

#[derive(Debug, Clone)]
struct ByLength;

impl Weighter<String, Arc<str>> for ByLength {
    fn weight(&self, key: &String, value: &Arc<str>) -> u64 {
        (key.len() + value.len() + 64) as u64
    }
}

/// The documents known by their hash.
#[derive(Clone)]
pub struct PersistedQueries {
    documents: Arc<Cache<String, Arc<str>, ByLength>>,
}

impl PersistedQueries {
    /// A store of at most `bytes` bytes of documents.
    pub fn new(bytes: u64) -> Self {
        Self {
            documents: Arc::new(Cache::with_weighter(
                (bytes / 2048).clamp(16, 100_000) as usize,
                bytes.max(1),
                ByLength,
            )),
        }
    }

    /// Fills in `request.query` from its `persistedQuery` extension, or keeps the document sent
    /// with it. A request without the extension is left as it is.
    pub fn resolve(&self, request: &mut Request) -> Result<(), Refusal> {
        let Some(extension) = request.extensions.get("persistedQuery") else {
            return Ok(());
        };
        let extension = extension
            .clone()
            .into_json()
            .map_err(|_| Refusal::Invalid("`persistedQuery` is not a JSON object"))?;
        if extension.get("version").and_then(|v| v.as_u64()) != Some(1) {
            return Err(Refusal::Invalid(
                "only version 1 of `persistedQuery` is supported",
            ));
        }
        let Some(hash) = extension
            .get("sha256Hash")
            .and_then(|h| h.as_str())
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_ascii_lowercase)
        else {
            return Err(Refusal::Invalid(
                "`persistedQuery.sha256Hash` must be 64 hexadecimal digits",
            ));
        };
        if request.query.is_empty() {
            let document = self.documents.get(&hash).ok_or(Refusal::NotFound)?;
            request.query = document.to_string();
            return Ok(());
        }
        if hex(&Sha256::digest(request.query.as_bytes())) != hash {
            return Err(Refusal::Invalid(
                "`persistedQuery.sha256Hash` is not the SHA-256 of the query",
            ));
        }
        self.documents
            .insert(hash, Arc::from(request.query.as_str()));
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
