//! Knowing when committed data may have changed, so that what is computed from it can be
//! reused until then (the response cache of anonymous reads, the vocabularies kept in memory,
//! token checks).
//!
//! [`DataVersion`] is a counter that moves after every committed write: this process moves it
//! itself after each mutation; on PostgreSQL every journaled write also sends `NOTIFY
//! directory_changes` (delivered at commit, to every replica), and [`follow`] moves the counter
//! of each replica when it hears one. While a replica is not listening (its listening connection
//! was lost) it reports itself as not current, and nothing may be cached.
//!
//! The tables in [`TRACKED`] also have a counter of their own ([`DataVersion::of`]), which moves
//! only when a write names that table (its journal entry's type: the notification's payload,
//! and on this process what [`record`] collected), or when what changed is not known. A write
//! of an organization, the common case, then leaves the vocabularies kept in memory in place.
//! Every write of a tracked table must be journaled under the table's name.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;

/// The PostgreSQL channel that journaled writes notify.
pub const CHANNEL: &str = "directory_changes";

/// The tables whose changes are counted apart: the vocabularies kept in memory
/// ([`crate::db::snapshot`]).
pub const TRACKED: [&str; 4] = ["region", "target_group", "theme", "tag"];

/// A counter of committed changes (and one per [`TRACKED`] table), and whether this process
/// hears every change.
#[derive(Debug, Clone)]
pub struct DataVersion {
    version: Arc<AtomicU64>,
    tables: Arc<[AtomicU64; TRACKED.len()]>,
    current: Arc<AtomicBool>,
}

impl DataVersion {
    /// A counter for a database this process alone writes to (SQLite): always current.
    pub fn local() -> Self {
        Self::new(true)
    }

    /// A counter that is current only while [`follow`] listens.
    pub fn shared() -> Self {
        Self::new(false)
    }

    fn new(current: bool) -> Self {
        Self {
            version: Arc::new(AtomicU64::new(0)),
            tables: Arc::default(),
            current: Arc::new(AtomicBool::new(current)),
        }
    }

    /// The version now, or `None` when changes may go unheard (nothing may be cached).
    pub fn now(&self) -> Option<u64> {
        // Read the version first: a change heard between the two reads only makes an entry
        // stale sooner, never fresher than it is.
        let version = self.version.load(Ordering::Acquire);
        self.current.load(Ordering::Acquire).then_some(version)
    }

    /// The version of `table`'s rows: its own counter when it is [`TRACKED`], else the version
    /// of everything; `None` when changes may go unheard.
    pub fn of(&self, table: &str) -> Option<u64> {
        let Some(i) = TRACKED.iter().position(|t| *t == table) else {
            return self.now();
        };
        let version = self.tables[i].load(Ordering::Acquire);
        self.current.load(Ordering::Acquire).then_some(version)
    }

    /// Records that committed data changed, in tables not known: every counter moves.
    pub fn bump(&self) {
        for table in self.tables.iter() {
            table.fetch_add(1, Ordering::AcqRel);
        }
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Records that committed data changed in `tables` (and nowhere else).
    pub fn bump_tables<'a>(&self, tables: impl IntoIterator<Item = &'a str>) {
        for table in tables {
            if let Some(i) = TRACKED.iter().position(|t| *t == table) {
                self.tables[i].fetch_add(1, Ordering::AcqRel);
            }
        }
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Records a change that a notification announced: `payload` names the table, and an
    /// empty one (a change whose tables it does not name) moves every counter.
    fn heard(&self, payload: &str) {
        if payload.is_empty() {
            self.bump();
        } else {
            self.bump_tables([payload]);
        }
    }

    fn set_current(&self, current: bool) {
        self.current.store(current, Ordering::Release);
        self.bump();
    }
}

tokio::task_local! {
    static CHANGED: RefCell<Vec<&'static str>>;
}

/// Runs `work` (a request's mutations) and returns its outcome with the tables whose
/// journaled writes it made ([`record`]), each once.
pub async fn collect<F: Future>(work: F) -> (F::Output, Vec<&'static str>) {
    CHANGED
        .scope(RefCell::default(), async move {
            let output = work.await;
            let mut tables = CHANGED.with(RefCell::take);
            tables.sort_unstable();
            tables.dedup();
            (output, tables)
        })
        .await
}

/// Notes that this task journaled a write of `table` (for [`collect`]); nothing outside it.
pub fn record(table: &'static str) {
    let _ = CHANGED.try_with(|changed| changed.borrow_mut().push(table));
}

/// On PostgreSQL: listens for the changes that any replica commits, for as long as the process
/// runs, reconnecting after a lost connection. Returns at once on SQLite.
pub async fn follow(db: DatabaseConnection, version: DataVersion) {
    if !crate::db::is_postgres(&db) {
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    loop {
        let listener = async {
            let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        }
        .await;
        match listener {
            Ok(mut listener) => {
                version.set_current(true);
                // `Ok(None)`: the connection was lost; start over with a fresh one.
                while let Ok(Some(notification)) = listener.try_recv().await {
                    version.heard(notification.payload());
                }
                version.set_current(false);
                tracing::warn!("lost the connection listening for changes; reconnecting");
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for changes; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_moves_only_when_named_or_unknown() {
        let version = DataVersion::local();
        let (all, theme) = (version.now(), version.of("theme"));
        version.bump_tables(["organization"]);
        assert_ne!(version.now(), all);
        assert_eq!(version.of("theme"), theme);
        // An untracked table has the version of everything.
        assert_eq!(version.of("organization"), version.now());
        version.heard("theme");
        assert_ne!(version.of("theme"), theme);
        let (region, theme) = (version.of("region"), version.of("theme"));
        version.heard("");
        assert_ne!(version.of("region"), region);
        assert_ne!(version.of("theme"), theme);
        assert_eq!(DataVersion::shared().of("theme"), None);
    }

    #[tokio::test]
    async fn a_task_collects_the_tables_it_journaled() {
        let ((), tables) = collect(async {
            record("theme");
            record("organization");
            record("theme");
        })
        .await;
        assert_eq!(tables, ["organization", "theme"]);
        // Outside a collecting task nothing is kept, and nothing fails.
        record("theme");
    }
}
