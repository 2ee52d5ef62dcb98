//! Live changes: the feed followed as it grows, for the subscription. A follower reads the
//! feed after its position ([`super::read`], so it sees the same records in the same order),
//! and when it has read everything, waits for the data to change: this process moves the
//! [`DataVersion`] after each of its writes, and on PostgreSQL every replica moves it when it
//! hears the `NOTIFY` of a write committed anywhere. Every [`FALLBACK`] it reads anyway (a
//! write it could not hear of: the retention job, another process on SQLite, a lost listening
//! connection), so a change is delivered within that time at the latest.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::Stream;
use sea_orm::DatabaseConnection;

use super::{Audience, FeedRequest, Position, Record, read};
use crate::db::changes::DataVersion;
use crate::directory::id::NodeType;
use crate::error::AppResult;

/// How often a waiting follower looks at the data version (an atomic read).
const TICK: Duration = Duration::from_millis(100);

/// The longest a follower waits before reading the feed anyway.
pub const FALLBACK: Duration = Duration::from_secs(5);

/// Changes read per statement.
const PAGE: u64 = 100;

struct Follower {
    db: DatabaseConnection,
    audience: Audience,
    request: FeedRequest,
    version: DataVersion,
    buffer: VecDeque<Record>,
    /// More changes were there at the last read than it returned.
    more: bool,
    /// The data version before the last read.
    seen: Option<u64>,
}

impl Follower {
    /// Waits until the data may have changed since `seen`.
    async fn wait(&self, seen: Option<u64>) {
        let started = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(TICK).await;
            let now = self.version.now();
            // Not listening (`None`): changes may go unheard, so read every second.
            let unsure = now.is_none() && started.elapsed() >= Duration::from_secs(1);
            if (now.is_some() && now != seen) || unsure || started.elapsed() >= FALLBACK {
                return;
            }
        }
    }
}

/// The changes after `after` for `audience` (of `types`), as they are committed, forever (until
/// the stream is dropped). An error ends the stream after it: the subscriber resumes from the
/// last change it received.
pub fn follow(
    db: DatabaseConnection,
    audience: Audience,
    after: Position,
    types: Option<Vec<NodeType>>,
    version: DataVersion,
) -> impl Stream<Item = AppResult<Record>> + Send + 'static {
    let follower = Follower {
        db,
        audience,
        request: FeedRequest {
            after: Some(after),
            first: PAGE,
            types,
        },
        version,
        buffer: VecDeque::new(),
        more: true,
        seen: None,
    };
    futures_util::stream::unfold(Some(follower), |follower| async move {
        let mut follower = follower?;
        loop {
            if let Some(record) = follower.buffer.pop_front() {
                return Some((Ok(record), Some(follower)));
            }
            if !follower.more {
                follower.wait(follower.seen).await;
            }
            // The version before the read: a write committed during the read moves it, so the
            // next wait ends at once.
            follower.seen = follower.version.now();
            match read(&follower.db, follower.audience, &follower.request).await {
                Ok(page) => {
                    follower.more = page.has_next;
                    if let Some(last) = page.records.last() {
                        follower.request.after = Some(last.position);
                    }
                    follower.buffer.extend(page.records);
                }
                Err(err) => return Some((Err(err), None)),
            }
        }
    })
}
