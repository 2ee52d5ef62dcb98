//! The partners' change feed in GraphQL: `changes(after:, first:, types:)` (partners and
//! administrators), the change records and their connection, and the subscription
//! `changes(after:, types:)` delivering the same records live. A thin face over
//! [`crate::directory::feed`], which decides what each change shows.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Enum, ID, Json, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use crate::db::changes::DataVersion;

use crate::directory::feed::{self, Audience, FeedRequest, Operation, Position, Record};
use crate::error::AppResult;
use crate::graphql::node::{NodeId, NodeType};
use crate::graphql::{db, viewer};

/// The type of object a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ChangeType {
    /// An organization (`Organization`).
    Organization,
    /// A partner body (`Partner`).
    Partner,
    /// A region (`Region`).
    Region,
    /// A target group (`TargetGroup`).
    TargetGroup,
    /// A theme (`Theme`).
    Theme,
    /// A tag (`Tag`).
    Tag,
    /// A published post (`Post`).
    Post,
    /// An event (`Event`).
    Event,
    /// A kind of event (`EventKind`).
    EventKind,
}

impl From<ChangeType> for NodeType {
    fn from(t: ChangeType) -> Self {
        match t {
            ChangeType::Organization => Self::Organization,
            ChangeType::Partner => Self::Partner,
            ChangeType::Region => Self::Region,
            ChangeType::TargetGroup => Self::TargetGroup,
            ChangeType::Theme => Self::Theme,
            ChangeType::Tag => Self::Tag,
            ChangeType::Post => Self::Post,
            ChangeType::Event => Self::Event,
            ChangeType::EventKind => Self::EventKind,
        }
    }
}

impl From<NodeType> for ChangeType {
    fn from(t: NodeType) -> Self {
        match t {
            NodeType::Organization => Self::Organization,
            NodeType::Partner => Self::Partner,
            NodeType::Region => Self::Region,
            NodeType::TargetGroup => Self::TargetGroup,
            NodeType::Theme => Self::Theme,
            NodeType::Tag => Self::Tag,
            NodeType::Post => Self::Post,
            NodeType::Event => Self::Event,
            NodeType::EventKind => Self::EventKind,
        }
    }
}

/// What was done to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ChangeOperation {
    /// It was created.
    Create,
    /// It was changed: its fields or links, or it was published, rejected or its author's data
    /// erased.
    Update,
    /// It was deleted.
    Delete,
}

impl From<Operation> for ChangeOperation {
    fn from(op: Operation) -> Self {
        match op {
            Operation::Create => Self::Create,
            Operation::Update => Self::Update,
            Operation::Delete => Self::Delete,
        }
    }
}

/// One change of the directory: which object, what was done, and the object as you may see it
/// now, or a tombstone when it is deleted or no longer visible to you (a rejected post).
pub struct Change(pub Record);

/// One change of the directory: which object, what was done, and the object as you may see it
/// now, or a tombstone when it is deleted or no longer visible to you (a rejected post).
#[Object]
impl Change {
    /// This change's position in the feed: pass it as `after` to continue after it.
    async fn cursor(&self) -> String {
        self.0.position.encode()
    }

    /// When the change was committed.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// What was done to the object.
    async fn operation(&self) -> ChangeOperation {
        self.0.operation.into()
    }

    /// The type of the object.
    #[graphql(name = "type")]
    async fn object_type(&self) -> ChangeType {
        self.0.node_type.into()
    }

    /// The object's global ID (the `id` of the object in the read API).
    async fn object_id(&self) -> ID {
        self.0.node_type.id(self.0.id)
    }

    /// True when the object is deleted or no longer visible to you: remove it (and links to it).
    async fn tombstone(&self) -> bool {
        self.0.object.is_none()
    }

    /// The object as you may see it now (the read API's fields, links as lists of global IDs,
    /// e.g. `regionIds`; see the README for each type's shape), or `null` for a tombstone.
    async fn object(&self) -> Option<Json<serde_json::Value>> {
        self.0.object.clone().map(Json)
    }
}

/// An edge of the change feed.
pub struct ChangeEdge(Record);

/// A change with its cursor.
#[Object]
impl ChangeEdge {
    /// The change's position, for `after`.
    async fn cursor(&self) -> String {
        self.0.position.encode()
    }

    /// The change.
    async fn node(&self) -> Change {
        Change(self.0.clone())
    }
}

/// A page of the change feed, oldest change first. It has no `totalCount`: the feed is read
/// onwards, not counted.
pub struct ChangeConnection {
    records: Vec<Record>,
    has_next: bool,
    after: bool,
}

/// A page of the change feed, oldest change first.
#[Object]
impl ChangeConnection {
    /// The changes, each with its cursor.
    async fn edges(&self) -> Vec<ChangeEdge> {
        self.records.iter().cloned().map(ChangeEdge).collect()
    }

    /// The changes.
    async fn nodes(&self) -> Vec<Change> {
        self.records.iter().cloned().map(Change).collect()
    }

    /// `hasNextPage`: more changes follow now; `endCursor`: where to continue (`null` when the
    /// page is empty: keep the cursor you have).
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.after,
            has_next_page: self.has_next,
            start_cursor: self.records.first().map(|r| r.position.encode()),
            end_cursor: self.records.last().map(|r| r.position.encode()),
        }
    }
}

/// The cost of a page of the feed: a round trip plus the page size times what each change
/// selects (the feed's pages may hold up to 1,000).
pub fn cost(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first
        .unwrap_or(DEFAULT_FIRST)
        .clamp(0, feed::MAX_FEED_PAGE as i32) as usize;
    crate::graphql::connection::ROUND_TRIP_COST + page * child_complexity
}

/// The page size of `changes` when `first` is not given.
pub const DEFAULT_FIRST: i32 = 100;

/// Root fields of the change feed.
#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// The changes of the directory in the order they were committed (partners and
    /// administrators): every create, update and delete of organizations, partners, regions,
    /// target groups, themes, tags, published posts, events and kinds of event, and of their
    /// links, with the object as you may see it now. Start from the cursor on the last line of
    /// the snapshot (`GET /export/directory.ndjson`) and pass each page's `endCursor` as `after`.
    /// A cursor older than the feed's horizon is refused (`BAD_USER_INPUT`): start from a new
    /// snapshot.
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only changes after this cursor (from the first change when absent).")]
        after: Option<String>,
        #[graphql(desc = "At most this many changes (0-1000, default 100).")] first: Option<i32>,
        #[graphql(desc = "Only changes of objects of these types (all when absent).")]
        types: Option<Vec<ChangeType>>,
    ) -> AppResult<Option<ChangeConnection>> {
        let audience = Audience::of_reader(viewer(ctx))?;
        let first = first.unwrap_or(DEFAULT_FIRST);
        let request = FeedRequest {
            after: after.as_deref().map(Position::decode).transpose()?,
            first: u64::try_from(first).map_err(|_| {
                crate::error::AppError::bad_input(format!(
                    "`first` must be between 0 and {}, got {first}",
                    feed::MAX_FEED_PAGE
                ))
            })?,
            types: types.map(|t| t.into_iter().map(NodeType::from).collect()),
        };
        let page = feed::read(db(ctx), audience, &request).await?;
        Ok(Some(ChangeConnection {
            records: page.records,
            has_next: page.has_next,
            after: request.after.is_some(),
        }))
    }
}

/// The live changes (GraphQL subscriptions over WebSocket, `graphql-transport-ws`).
#[derive(Default)]
pub struct FeedSubscription;

#[Subscription]
impl FeedSubscription {
    /// The changes of the directory as they are committed, the same records as `changes`
    /// gives, in the same order: partners and administrators every change, anyone else newly
    /// published posts and changed organizations (their public profiles). From now on, or
    /// resuming after a cursor (a cursor older than the feed's horizon is refused). A
    /// change reaches subscribers on every server within a few seconds; an error ends the
    /// subscription (resume from the last cursor received).
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this cursor (from now when absent).")] after: Option<String>,
        #[graphql(
            desc = "Only changes of objects of these types (all you may follow when \
                          absent)."
        )]
        types: Option<Vec<ChangeType>>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Change>> + use<>> {
        let audience = Audience::of_subscriber(viewer(ctx));
        let db = db(ctx).clone();
        let version = ctx
            .data_opt::<DataVersion>()
            .cloned()
            .unwrap_or_else(DataVersion::local);
        let start = match after.as_deref() {
            Some(cursor) => Position::decode(cursor).map_err(async_graphql::Error::from)?,
            None => feed::head(&db).await.map_err(async_graphql::Error::from)?,
        };
        feed::check_position(&db, start)
            .await
            .map_err(async_graphql::Error::from)?;
        let types = types.map(|t| t.into_iter().map(NodeType::from).collect());
        Ok(feed::live::follow(db, audience, start, types, version)
            .map(|record| record.map(Change).map_err(async_graphql::Error::from)))
    }
}
