//! The snapshot of the directory that the feed continues (`GET /export/directory.ndjson`): every
//! visible object, one JSON line each (`{"type", "id", "object"}`, the object exactly as the feed
//! shows it), type by type in [`super::TYPES`] order and by id within a type, and then a last
//! line `{"cursor": …}`: the feed position at which the snapshot is consistent. Reading the feed
//! after that cursor loses and repeats nothing.
//!
//! Everything is read in one read transaction ([`super::begin_read`]: `REPEATABLE READ` on
//! PostgreSQL), the head of the feed first, so the objects are the state at that position. Rows
//! are read in keyset pages of [`PAGE`] by id, so memory stays flat however large the
//! directory: a face asks for the next page when it has written the previous one.

use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};

use super::objects::FeedObject;
use super::{Audience, Position, TYPES, begin_read, head, type_name};
use crate::directory::id::NodeType;
use crate::entity::{
    event, event_kind, organization, partner, post, region, tag, target_group, theme,
};
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
            let objects = page(txn, self.audience, node_type, self.after).await?;
            match objects.last() {
                Some((id, _)) if objects.len() as u64 == PAGE => self.after = *id,
                // A short page is the type's last.
                _ => {
                    self.next_type += 1;
                    self.after = 0;
                }
            }
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

async fn page(
    txn: &DatabaseTransaction,
    audience: Audience,
    node_type: NodeType,
    after: i32,
) -> AppResult<Vec<(i32, Value)>> {
    async fn of<M: FeedObject>(
        txn: &DatabaseTransaction,
        audience: Audience,
        after: i32,
    ) -> AppResult<Vec<(i32, Value)>> {
        let rows = super::objects::rows::<M>(txn, M::TYPE, None, after, PAGE).await?;
        M::objects(txn, audience, &rows).await
    }
    match node_type {
        NodeType::Organization => of::<organization::Model>(txn, audience, after).await,
        NodeType::Region => of::<region::Model>(txn, audience, after).await,
        NodeType::TargetGroup => of::<target_group::Model>(txn, audience, after).await,
        NodeType::Theme => of::<theme::Model>(txn, audience, after).await,
        NodeType::Tag => of::<tag::Model>(txn, audience, after).await,
        NodeType::Partner => of::<partner::Model>(txn, audience, after).await,
        NodeType::Post => of::<post::Model>(txn, audience, after).await,
        NodeType::Event => of::<event::Model>(txn, audience, after).await,
        NodeType::EventKind => of::<event_kind::Model>(txn, audience, after).await,
    }
}
