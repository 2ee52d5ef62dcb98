//! Global object identification: opaque, type-prefixed IDs, the `Node` interface and the
//! `node`/`nodes` root fields.

use async_graphql::{Context, ID, Interface, Object};

use crate::error::{AppError, AppResult};
use crate::graphql::event::{Event, EventKind};
use crate::graphql::loader::by_ids;
use crate::graphql::organization::Organization;
use crate::graphql::partner::Partner;
use crate::graphql::post::Post;
use crate::graphql::region::Region;
use crate::graphql::vocabulary::{Tag, TargetGroup, Theme};

/// The most IDs `nodes` accepts at once.
pub const MAX_NODES: usize = 100;

pub use crate::directory::id::{GlobalId, NodeType};

/// A global ID as GraphQL's `ID`.
pub trait NodeId {
    /// The `ID` of the row `id` of this type.
    fn id(self, id: i32) -> ID;
}

impl NodeId for NodeType {
    fn id(self, id: i32) -> ID {
        ID(self.encode(id))
    }
}

/// An object with a global ID, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's opaque global ID."))]
pub enum Node {
    /// An organization.
    Organization(Organization),
    /// A region.
    Region(Region),
    /// A target group.
    TargetGroup(TargetGroup),
    /// A theme.
    Theme(Theme),
    /// A tag.
    Tag(Tag),
    /// A partner body.
    Partner(Partner),
    /// A post.
    Post(Post),
    /// An event.
    Event(Event),
    /// A kind of event.
    EventKind(EventKind),
}

async fn load_nodes(ctx: &Context<'_>, ids: &[GlobalId]) -> AppResult<Vec<Option<Node>>> {
    let mut wanted: std::collections::HashMap<NodeType, Vec<i32>> = Default::default();
    for id in ids {
        wanted.entry(id.node_type).or_default().push(id.id);
    }
    let mut found: std::collections::HashMap<GlobalId, Node> = Default::default();
    for (node_type, ids) in wanted {
        macro_rules! fetch {
            ($variant:ident, $model:ty) => {
                for (id, model) in by_ids::<$model>(ctx, &ids).await? {
                    found.insert(GlobalId { node_type, id }, Node::$variant($variant(model)));
                }
            };
        }
        match node_type {
            NodeType::Organization => fetch!(Organization, crate::entity::organization::Model),
            NodeType::Region => fetch!(Region, crate::entity::region::Model),
            NodeType::TargetGroup => fetch!(TargetGroup, crate::entity::target_group::Model),
            NodeType::Theme => fetch!(Theme, crate::entity::theme::Model),
            NodeType::Tag => fetch!(Tag, crate::entity::tag::Model),
            NodeType::Partner => fetch!(Partner, crate::entity::partner::Model),
            NodeType::Post => fetch!(Post, crate::entity::post::Model),
            NodeType::Event => fetch!(Event, crate::entity::event::Model),
            NodeType::EventKind => fetch!(EventKind, crate::entity::event_kind::Model),
        }
    }
    Ok(ids.iter().map(|id| found.remove(id)).collect())
}

/// The `node` and `nodes` root fields.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global ID; `null` when it does not exist or is not visible.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's global ID.")] id: ID,
    ) -> AppResult<Option<Node>> {
        let id = GlobalId::parse(&id)?;
        Ok(load_nodes(ctx, &[id]).await?.pop().flatten())
    }

    /// Fetches objects by their global IDs (at most 100), in the order given; `null` for each
    /// one that does not exist or is not visible.
    #[graphql(complexity = "1 + ids.len().min(MAX_NODES) * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The objects' global IDs.")] ids: Vec<ID>,
    ) -> AppResult<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(AppError::bad_input(format!(
                "`ids` may hold at most {MAX_NODES} IDs, got {}",
                ids.len()
            )));
        }
        let ids = ids
            .iter()
            .map(|id| GlobalId::parse(id))
            .collect::<AppResult<Vec<_>>>()?;
        load_nodes(ctx, &ids).await
    }
}
