//! The partners' change feed: reading `change_feed` in order, with each change's object as the
//! caller may see it now (or a tombstone), the NDJSON snapshot it continues ([`snapshot`]), and
//! its compaction ([`compaction`]).
//!
//! Invariants the reads rely on, kept by the writes:
//! - every write journals its change in its own transaction (`db::journal::record`), so a feed
//!   row exists exactly when its change is committed;
//! - every journaled transaction takes the write lock first (`db::begin_write`: `BEGIN
//!   IMMEDIATE` on SQLite, the journal's advisory lock on PostgreSQL, which a trigger demands of
//!   every insert into `change_feed`), so rows become visible in `seq` order: a reader that has
//!   seen `seq` n never later finds a smaller one, on any replica;
//! - a row is `hidden` when it is about a post that has never been published (its submission,
//!   edits and rejection while pending): partners never hear of those.
//!
//! A change's object is read when the change is read, not when it was made: it is the object as
//! it is now. A mirror that applies the changes in order (upsert the object, or delete on a
//! tombstone) therefore ends where the directory is, whichever changes it skipped by compaction.

pub mod compaction;
pub mod live;
pub mod objects;
pub mod snapshot;

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, IsolationLevel,
    TransactionTrait,
};
use serde_json::Value;

use crate::auth::{Role, Viewer, policy};
use crate::directory::id::NodeType;
use crate::entity::{
    event, event_kind, organization, partner, post, region, tag, target_group, theme,
};
use crate::error::{AppError, AppResult};
use objects::FeedObject;

/// Who a feed is read for, which decides the fields of its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Partners and administrators: published data with the partner-only fields (contact
    /// persons); never administrators' own fields (authors' e-mail addresses, notes) nor
    /// unpublished posts.
    Partner,
    /// Anyone (the live changes of front-ends): public fields only, of posts and organizations.
    Public,
}

impl Audience {
    /// The audience of the change feed and the export for `viewer`: partners and administrators;
    /// anonymous callers are `UNAUTHENTICATED`, organizations `FORBIDDEN`.
    pub fn of_reader(viewer: &Viewer) -> AppResult<Self> {
        policy::require_feed_reader(viewer)?;
        Ok(Self::Partner)
    }

    /// The audience of live changes for `viewer`: partners and administrators as for the feed,
    /// anyone else the public one.
    pub fn of_subscriber(viewer: &Viewer) -> Self {
        match viewer.role() {
            Some(Role::Partner | Role::Admin) => Self::Partner,
            _ => Self::Public,
        }
    }

    /// Whether objects carry the contact persons (partner-only fields).
    pub fn reads_contacts(self) -> bool {
        self == Self::Partner
    }

    /// The types this audience hears of: every type for partners; newly published posts and
    /// organizations' public profiles for the public.
    pub fn types(self) -> &'static [NodeType] {
        match self {
            Self::Partner => &TYPES,
            Self::Public => &[NodeType::Organization, NodeType::Post],
        }
    }
}

/// The types the feed carries, in the order the snapshot lists them (what others refer to
/// first).
pub const TYPES: [NodeType; 9] = [
    NodeType::EventKind,
    NodeType::Region,
    NodeType::TargetGroup,
    NodeType::Theme,
    NodeType::Tag,
    NodeType::Partner,
    NodeType::Organization,
    NodeType::Post,
    NodeType::Event,
];

/// The `entity_type` the journal writes for a type.
pub fn entity_type(node_type: NodeType) -> &'static str {
    objects::table(node_type)
}

fn node_type(entity_type: &str) -> Option<NodeType> {
    TYPES
        .into_iter()
        .find(|t| objects::table(*t) == entity_type)
}

/// A position in the feed: after the change with this sequence number. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position(pub i64);

impl Position {
    /// The cursor handed to clients.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("Change:{}", self.0))
    }

    /// Reads a client's cursor; anything else is `BAD_USER_INPUT`.
    pub fn decode(text: &str) -> AppResult<Self> {
        let invalid = || {
            AppError::bad_input(format!(
                "`{}` is not a cursor of the change feed",
                text.chars().take(64).collect::<String>()
            ))
        };
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let seq = text
            .strip_prefix("Change:")
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .ok_or_else(invalid)?;
        Ok(Self(seq))
    }
}

/// What was done to an object, as journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Created.
    Create,
    /// Changed (also: published, rejected, erased, its links changed).
    Update,
    /// Deleted.
    Delete,
}

impl Operation {
    fn parse(text: &str) -> Self {
        match text {
            "create" => Self::Create,
            "delete" => Self::Delete,
            _ => Self::Update,
        }
    }
}

/// One change of the feed, with its object as the reader may see it now.
#[derive(Debug, Clone)]
pub struct Record {
    /// Where it is in the feed: resume after it.
    pub position: Position,
    /// When it was committed.
    pub occurred_at: DateTime<Utc>,
    /// The type of the object.
    pub node_type: NodeType,
    /// The object's row id.
    pub id: i32,
    /// What was done.
    pub operation: Operation,
    /// The object now, or `None` (a tombstone): deleted, or not (any more) visible to the
    /// reader.
    pub object: Option<Value>,
}

impl Record {
    /// The record as one JSON object: the shape of the export's lines and of the live changes.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "cursor": self.position.encode(),
            "occurredAt": self.occurred_at.to_rfc3339(),
            "operation": match self.operation {
                Operation::Create => "CREATE",
                Operation::Update => "UPDATE",
                Operation::Delete => "DELETE",
            },
            "type": type_name(self.node_type),
            "id": self.node_type.encode(self.id),
            "object": self.object,
        })
    }
}

/// How a type is named in the feed and the export (as GraphQL's `ChangeType` spells it).
pub fn type_name(node_type: NodeType) -> &'static str {
    match node_type {
        NodeType::Organization => "ORGANIZATION",
        NodeType::Region => "REGION",
        NodeType::TargetGroup => "TARGET_GROUP",
        NodeType::Theme => "THEME",
        NodeType::Tag => "TAG",
        NodeType::Partner => "PARTNER",
        NodeType::Post => "POST",
        NodeType::Event => "EVENT",
        NodeType::EventKind => "EVENT_KIND",
    }
}

/// A page of the feed.
#[derive(Debug, Clone)]
pub struct FeedPage {
    /// The changes, in order.
    pub records: Vec<Record>,
    /// More changes follow the last one (now).
    pub has_next: bool,
}

/// The most changes one page of the feed may hold.
pub const MAX_FEED_PAGE: u64 = 1000;

/// What to read of the feed.
#[derive(Debug, Clone)]
pub struct FeedRequest {
    /// After this position; `None`: from the first change the feed holds.
    pub after: Option<Position>,
    /// At most this many changes.
    pub first: u64,
    /// Only these types (all the audience hears of when `None`).
    pub types: Option<Vec<NodeType>>,
}

/// Begins a read of one consistent state of the database: a `REPEATABLE READ`, read-only
/// transaction on PostgreSQL (every statement sees the snapshot of the first); on SQLite a
/// deferred transaction, whose first read fixes what it sees (WAL mode).
pub async fn begin_read(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    Ok(if crate::db::is_postgres(db) {
        db.begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?
    } else {
        db.begin().await?
    })
}

/// The position of the last change committed (as `db` sees it): the head of the feed.
pub async fn head(db: &impl ConnectionTrait) -> AppResult<Position> {
    let select = Query::select()
        .expr_as(Expr::col(Alias::new("seq")).max(), Alias::new("head"))
        .from(Alias::new("change_feed"))
        .to_owned();
    let head: Option<i64> = match db.query_one(&select).await? {
        Some(row) => row.try_get("", "head")?,
        None => None,
    };
    Ok(Position(head.unwrap_or(0)))
}

/// The position compaction has reached: changes at or before it may be gone.
pub async fn horizon(db: &impl ConnectionTrait) -> AppResult<Position> {
    let select = Query::select()
        .column(Alias::new("seq"))
        .from(Alias::new("change_feed_horizon"))
        .and_where(Expr::col(Alias::new("name")).eq(compaction::COMPACTED_THROUGH))
        .to_owned();
    Ok(Position(match db.query_one(&select).await? {
        Some(row) => row.try_get("", "seq")?,
        None => 0,
    }))
}

/// Refuses a position before the compaction horizon: the changes after it are no longer all
/// there, so the reader must start again from the snapshot.
pub async fn check_position(db: &impl ConnectionTrait, after: Position) -> AppResult<()> {
    if after < horizon(db).await? {
        return Err(AppError::bad_input(
            "this cursor is older than the change feed's horizon: the changes after it have been \
             compacted. Start again from the snapshot (GET /export/directory.ndjson) and follow \
             the feed from the cursor on its last line",
        ));
    }
    Ok(())
}

/// Reads a page of the feed for `audience`, its changes and their objects from one consistent
/// state of the database.
pub async fn read(
    db: &DatabaseConnection,
    audience: Audience,
    request: &FeedRequest,
) -> AppResult<FeedPage> {
    if request.first > MAX_FEED_PAGE {
        return Err(AppError::bad_input(format!(
            "`first` must be between 0 and {MAX_FEED_PAGE}, got {}",
            request.first
        )));
    }
    let txn = begin_read(db).await?;
    let page = read_in(&txn, audience, request).await;
    // Read only: nothing to commit; ending it returns the connection at once.
    txn.rollback().await?;
    page
}

/// [`read`] within a transaction the caller holds.
pub async fn read_in(
    db: &impl ConnectionTrait,
    audience: Audience,
    request: &FeedRequest,
) -> AppResult<FeedPage> {
    let after = request.after.unwrap_or_default();
    check_position(db, after).await?;
    let allowed = audience.types();
    let types: Vec<&str> = match &request.types {
        Some(types) => types
            .iter()
            .filter(|t| allowed.contains(t))
            .map(|t| entity_type(*t))
            .collect(),
        None => allowed.iter().map(|t| entity_type(*t)).collect(),
    };
    let col = |c: &str| Expr::col((Alias::new("change_feed"), Alias::new(c)));
    let select = Query::select()
        .columns(
            [
                "seq",
                "occurred_at",
                "entity_type",
                "entity_id",
                "operation",
            ]
            .map(|c| (Alias::new("change_feed"), Alias::new(c))),
        )
        .from(Alias::new("change_feed"))
        .and_where(col("seq").gt(after.0))
        .and_where(col("hidden").eq(false))
        .and_where(col("entity_type").is_in(types))
        .order_by((Alias::new("change_feed"), Alias::new("seq")), Order::Asc)
        .limit(request.first + 1)
        .to_owned();
    let mut rows = Vec::new();
    for row in db.query_all(&select).await? {
        let entity_type: String = row.try_get("", "entity_type")?;
        let Some(node_type) = node_type(&entity_type) else {
            continue;
        };
        let operation: String = row.try_get("", "operation")?;
        rows.push(Record {
            position: Position(row.try_get("", "seq")?),
            occurred_at: row.try_get("", "occurred_at")?,
            node_type,
            id: row.try_get("", "entity_id")?,
            operation: Operation::parse(&operation),
            object: None,
        });
    }
    let has_next = rows.len() as u64 > request.first;
    rows.truncate(request.first as usize);
    let mut wanted: HashMap<NodeType, Vec<i32>> = HashMap::new();
    for record in &rows {
        wanted.entry(record.node_type).or_default().push(record.id);
    }
    let mut objects: HashMap<(NodeType, i32), Value> = HashMap::new();
    for (node_type, ids) in wanted {
        for (id, object) in load(db, audience, node_type, &ids).await? {
            objects.insert((node_type, id), object);
        }
    }
    for record in &mut rows {
        if record.operation != Operation::Delete {
            record.object = objects.get(&(record.node_type, record.id)).cloned();
        }
    }
    Ok(FeedPage {
        records: rows,
        has_next,
    })
}

/// The objects of the visible rows of `node_type` among `ids`.
pub async fn load(
    db: &impl ConnectionTrait,
    audience: Audience,
    node_type: NodeType,
    ids: &[i32],
) -> AppResult<Vec<(i32, Value)>> {
    async fn of<M: FeedObject>(
        db: &impl ConnectionTrait,
        audience: Audience,
        ids: &[i32],
    ) -> AppResult<Vec<(i32, Value)>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let rows = objects::rows::<M>(db, M::TYPE, &ids).await?;
        M::objects(db, audience, &rows).await
    }
    match node_type {
        NodeType::Organization => of::<organization::Model>(db, audience, ids).await,
        NodeType::Region => of::<region::Model>(db, audience, ids).await,
        NodeType::TargetGroup => of::<target_group::Model>(db, audience, ids).await,
        NodeType::Theme => of::<theme::Model>(db, audience, ids).await,
        NodeType::Tag => of::<tag::Model>(db, audience, ids).await,
        NodeType::Partner => of::<partner::Model>(db, audience, ids).await,
        NodeType::Post => of::<post::Model>(db, audience, ids).await,
        NodeType::Event => of::<event::Model>(db, audience, ids).await,
        NodeType::EventKind => of::<event_kind::Model>(db, audience, ids).await,
    }
}
