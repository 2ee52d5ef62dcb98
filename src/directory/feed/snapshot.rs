//! The snapshot of the directory that the feed continues (`GET /export/directory.ndjson`): every
//! visible object, one JSON line each (`{"type", "id", "object"}`, the object exactly as the feed
//! shows it), type by type in [`super::TYPES`] order and by id within a type, and then a last
//! line `{"cursor": …}`: the feed position at which the snapshot is consistent. Reading the feed
//! after that cursor loses and repeats nothing.
//!
//! Everything is read in one read transaction ([`super::begin_read`]: `REPEATABLE READ` on
//! PostgreSQL), the head of the feed first, so the objects are the state at that position. Rows
//! are read in keyset pages of [`PAGE`] ids, so memory stays flat however large the directory:
//! a face asks for the next page when it has written the previous one.

use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};

use super::{Audience, Position, TYPES, begin_read, head, type_name};
use crate::error::AppResult;

/// Rows read per statement.
pub const PAGE: u64 = 500;

/// The version of the export's format, part of its entity tag.
const FORMAT: &str = "1";

/// A snapshot being read.
pub struct Snapshot {
    txn: Option<DatabaseTransaction>,
    audience: Audience,
    head: Position,
    next_type: usize,
    after: i32,
}

impl Snapshot {
    /// Begins a snapshot: fixes the state it reads and the feed position it is consistent with.
    pub async fn begin(db: &sea_orm::DatabaseConnection, audience: Audience) -> AppResult<Self> {
        let txn = begin_read(db).await?;
        let head = head(&txn).await?;
        Ok(Self {
            txn: Some(txn),
            audience,
            head,
            next_type: 0,
            after: 0,
        })
    }

    /// The feed position the snapshot is consistent with.
    pub fn position(&self) -> Position {
        self.head
    }

    /// A weak entity tag of the snapshot: the same while nothing was journaled, so a client
    /// holding a snapshot learns with `If-None-Match` that it is still current. (Weak: the
    /// bytes differ with the content encoding, the data does not.)
    pub fn etag(&self) -> String {
        format!("W/\"directory-{FORMAT}-{}\"", self.head.0)
    }

    /// The next lines (each a JSON value), or `None` when the snapshot has been read, its last
    /// line (the cursor) included.
    pub async fn next_lines(&mut self) -> AppResult<Option<Vec<Value>>> {
        loop {
            let Some(txn) = &self.txn else {
                return Ok(None);
            };
            let Some(node_type) = TYPES.get(self.next_type).copied() else {
                let last = json!({ "cursor": self.head.encode() });
                if let Some(txn) = self.txn.take() {
                    txn.rollback().await?;
                }
                return Ok(Some(vec![last]));
            };
            // The next ids in id order, then the visible rows among them: two reads along the
            // primary key. (One read filtering on visibility lets SQLite pick the status index
            // for posts and sort every page: quadratic over a large directory.)
            let ids = super::objects::ids_after(txn, node_type, self.after, PAGE).await?;
            match ids.last() {
                Some(id) if ids.len() as u64 == PAGE => self.after = *id,
                // A short page is the type's last.
                _ => {
                    self.next_type += 1;
                    self.after = 0;
                }
            }
            let objects = super::load(txn, self.audience, node_type, &ids).await?;
            if objects.is_empty() {
                continue;
            }
            return Ok(Some(
                objects
                    .into_iter()
                    .map(|(id, object)| {
                        json!({
                            "type": type_name(node_type),
                            "id": node_type.encode(id),
                            "object": object,
                        })
                    })
                    .collect(),
            ));
        }
    }
}
