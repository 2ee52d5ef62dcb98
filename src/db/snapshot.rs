//! Small lists kept in memory: the vocabularies that [`Link::Few`] links point at (regions,
//! target groups, themes, tags), so that an object's few of them are its links (read for all
//! parents in one statement, [`crate::db::page::few_links`]) put in list order here, instead of
//! a join, a lookup and a sort per parent in the database.
//!
//! A snapshot is the list's rows in list order, read in one statement. It serves while its
//! table's [`DataVersion::of`] has not moved since it was read (every committed write of the
//! table moves it, on every replica), and for at most [`KEEP`], should data change behind the server's back (SQL by hand).
//! When the version is not known (a replica that lost its listening connection), nothing is
//! kept and the caller reads from the database. A list longer than [`MOST_ROWS`] is not kept.
//!
//! The pages built here are the ones [`crate::db::page::Listing::pages_by_parent`] reads: the
//! order is the database's (the snapshot's rows are in the order the database sorted them), and
//! a page with a cursor is left to the database.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;

use crate::db::IdMap;
use crate::db::changes::DataVersion;
use crate::db::page::{Listing, Page, PageRequest, Row};
use crate::error::AppResult;

/// How long a snapshot serves at most.
pub const KEEP: Duration = Duration::from_secs(5);
/// The most rows of a list kept in memory (the vocabularies hold a few hundred).
pub const MOST_ROWS: u64 = 5_000;

/// The rows of a list, in list order.
pub struct Snapshot<M> {
    rows: Vec<M>,
    /// Each row's place in `rows`, by id.
    places: IdMap<usize>,
}

impl<M: Row> Snapshot<M> {
    fn new(rows: Vec<M>) -> Self {
        let places = rows
            .iter()
            .enumerate()
            .map(|(i, row)| (row.id(), i))
            .collect();
        Self { rows, places }
    }

    /// The page of each of `parents` whose children are given by `links` (parent, child pairs;
    /// children not in the list are not visible and left out), or `None` for a page with a
    /// cursor.
    pub fn pages(
        &self,
        links: &[(i32, i32)],
        parents: &[i32],
        page: &PageRequest,
        with_total: bool,
    ) -> Option<IdMap<Page<M>>> {
        if page.after.is_some() || page.before.is_some() {
            return None;
        }
        let mut places: IdMap<Vec<usize>> =
            IdMap::with_capacity_and_hasher(parents.len(), Default::default());
        for (parent, child) in links {
            if let Some(place) = self.places.get(child) {
                places.entry(*parent).or_default().push(*place);
            }
        }
        let take = usize::try_from(page.fetch()).unwrap_or(usize::MAX);
        Some(
            parents
                .iter()
                .map(|parent| {
                    let mut places = places.remove(parent).unwrap_or_default();
                    places.sort_unstable();
                    places.dedup();
                    let total = with_total.then_some(places.len() as u64);
                    // As the database reads a page: `last` from the end, then turned around.
                    let rows: Vec<M> = if page.backward {
                        places
                            .iter()
                            .rev()
                            .take(take)
                            .map(|i| self.rows[*i].clone())
                            .collect()
                    } else {
                        places
                            .iter()
                            .take(take)
                            .map(|i| self.rows[*i].clone())
                            .collect()
                    };
                    (*parent, Page::from_overfetch(rows, page, total))
                })
                .collect(),
        )
    }
}

/// A snapshot of one list, or the knowledge that the list is too long to keep.
struct Kept {
    version: u64,
    at: Instant,
    snapshot: Option<Arc<dyn Any + Send + Sync>>,
}

/// The snapshots of the lists kept in memory, by table and ordering.
#[derive(Clone)]
pub struct Snapshots {
    version: DataVersion,
    kept: Arc<RwLock<HashMap<(&'static str, &'static str), Kept>>>,
    /// Held while a snapshot is read: after a write, one request reads it again, and the
    /// others that find theirs stale read from the database until it is in.
    reading: Arc<tokio::sync::Mutex<()>>,
}

impl Snapshots {
    /// Snapshots that serve while `version` has not moved.
    pub fn new(version: DataVersion) -> Self {
        Self {
            version,
            kept: Arc::default(),
            reading: Arc::default(),
        }
    }

    /// Whether snapshots serve now (the data version is known).
    pub fn serving(&self) -> bool {
        self.version.now().is_some()
    }

    /// The rows of `listing` in list order, read now or kept since the last committed write;
    /// `None` when they are not kept (the version is not known, the list is too long, or
    /// another request is reading a snapshot now).
    ///
    /// Only a listing that is the same for every viewer and parent may be kept (the visible rows
    /// of a vocabulary): snapshots are told apart by table and ordering alone.
    pub async fn get<M: Row>(
        &self,
        db: &impl ConnectionTrait,
        listing: &Listing,
    ) -> AppResult<Option<Arc<Snapshot<M>>>> {
        let key = (listing.table, listing.sort.name);
        let Some(version) = self.version.of(listing.table) else {
            return Ok(None);
        };
        if let Some(snapshot) = self.current::<M>(key, version) {
            return Ok(snapshot);
        }
        // One request reads a stale snapshot; the others read from the database meanwhile
        // rather than wait: they may hold a connection (`db::held`), and the one reading may
        // be waiting for a connection, so waiting could leave every one of them waiting.
        let Ok(_reading) = self.reading.try_lock() else {
            return Ok(None);
        };
        // Another request may have read it meanwhile (or data changed again).
        let Some(version) = self.version.of(listing.table) else {
            return Ok(None);
        };
        if let Some(snapshot) = self.current::<M>(key, version) {
            return Ok(snapshot);
        }
        // The version was read before the rows: a write committed meanwhile moves it, and the
        // snapshot is not used again.
        let at = Instant::now();
        let (rows, more) = listing.first_rows::<M>(db, MOST_ROWS).await?;
        let snapshot = (!more).then(|| Arc::new(Snapshot::new(rows)));
        if let Ok(mut kept) = self.kept.write() {
            kept.insert(
                key,
                Kept {
                    version,
                    at,
                    snapshot: snapshot.clone().map(|s| s as Arc<dyn Any + Send + Sync>),
                },
            );
        }
        Ok(snapshot)
    }

    /// The snapshot kept under `key` while `version` stands: `Some(None)` for a list too long
    /// to keep, `None` when there is none to use.
    fn current<M: Row>(
        &self,
        key: (&'static str, &'static str),
        version: u64,
    ) -> Option<Option<Arc<Snapshot<M>>>> {
        let kept = self.kept.read().ok()?;
        let kept = kept
            .get(&key)
            .filter(|kept| kept.version == version && kept.at.elapsed() < KEEP)?;
        Some(
            kept.snapshot
                .clone()
                .and_then(|s| s.downcast::<Snapshot<M>>().ok()),
        )
    }
}
