//! Knowing when committed data may have changed, so that answers computed from it can be
//! reused until then (the response cache of anonymous reads).
//!
//! [`DataVersion`] is a counter that moves after every committed write: this process moves it
//! itself after each mutation; on PostgreSQL every journaled write also sends `NOTIFY
//! directory_changes` (delivered at commit, to every replica), and [`follow`] moves the counter
//! of each replica when it hears one. While a replica is not listening (its listening connection
//! was lost) it reports itself as not current, and nothing may be cached.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;

/// The PostgreSQL channel that journaled writes notify.
pub const CHANNEL: &str = "directory_changes";

/// A counter of committed changes, and whether this process hears every change.
#[derive(Debug, Clone)]
pub struct DataVersion {
    version: Arc<AtomicU64>,
    current: Arc<AtomicBool>,
}

impl DataVersion {
    /// A counter for a database this process alone writes to (SQLite): always current.
    pub fn local() -> Self {
        Self {
            version: Arc::new(AtomicU64::new(0)),
            current: Arc::new(AtomicBool::new(true)),
        }
    }

    /// A counter that is current only while [`follow`] listens.
    pub fn shared() -> Self {
        Self {
            version: Arc::new(AtomicU64::new(0)),
            current: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The version now, or `None` when changes may go unheard (nothing may be cached).
    pub fn now(&self) -> Option<u64> {
        // Read the version first: a change heard between the two reads only makes an entry
        // stale sooner, never fresher than it is.
        let version = self.version.load(Ordering::Acquire);
        self.current.load(Ordering::Acquire).then_some(version)
    }

    /// Records that committed data changed.
    pub fn bump(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    fn set_current(&self, current: bool) {
        self.current.store(current, Ordering::Release);
        self.bump();
    }
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
                while let Ok(Some(_)) = listener.try_recv().await {
                    version.bump();
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
