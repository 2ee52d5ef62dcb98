//! Global object identification: opaque, type-prefixed IDs, the `Node` interface and the
//! `node`/`nodes` root fields.

use async_graphql::{Context, ID, Interface, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};
use crate::graphql::loader::by_ids;
use crate::graphql::organization::Organization;
use crate::graphql::partner::Partner;
use crate::graphql::post::Post;
use crate::graphql::region::Region;
use crate::graphql::vocabulary::{Tag, TargetGroup, Theme};

/// The most IDs `nodes` accepts at once.
pub const MAX_NODES: usize = 100;

/// The kinds of object that have a global ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeType {
    /// `Organization`
    Organization,
    /// `Region`
    Region,
    /// `TargetGroup`
    TargetGroup,
    /// `Theme`
    Theme,
    /// `Tag`
    Tag,
    /// `Partner`
    Partner,
    /// `Post`
    Post,
}

const NODE_TYPES: [NodeType; 7] = [
    NodeType::Organization,
    NodeType::Region,
    NodeType::TargetGroup,
    NodeType::Theme,
    NodeType::Tag,
    NodeType::Partner,
    NodeType::Post,
];

impl NodeType {
    /// The GraphQL type name, which prefixes the ID.
    pub fn name(self) -> &'static str {
        match self {
            Self::Organization => "Organization",
            Self::Region => "Region",
            Self::TargetGroup => "TargetGroup",
            Self::Theme => "Theme",
            Self::Tag => "Tag",
            Self::Partner => "Partner",
            Self::Post => "Post",
        }
    }

    /// The opaque global ID of the row `id` of this type.
    pub fn id(self, id: i32) -> ID {
        ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", self.name())))
    }
}

/// A decoded global ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId {
    /// The type of object.
    pub node_type: NodeType,
    /// The row id.
    pub id: i32,
}

impl GlobalId {
    /// Decodes an ID; anything that is not one of ours is `BAD_USER_INPUT`.
    pub fn parse(id: &ID) -> AppResult<Self> {
        let invalid = || AppError::bad_input(format!("`{}` is not a valid ID", truncate(id)));
        let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (name, number) = text.split_once(':').ok_or_else(invalid)?;
        let node_type = NODE_TYPES
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(invalid)?;
        let id = number
            .parse::<i32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(invalid)?;
        Ok(Self { node_type, id })
    }

    /// Decodes an ID that must be of `expected` type.
    pub fn parse_as(id: &ID, expected: NodeType) -> AppResult<i32> {
        let global = Self::parse(id)?;
        if global.node_type != expected {
            return Err(AppError::bad_input(format!(
                "`{}` is not the ID of a {}",
                truncate(id),
                expected.name()
            )));
        }
        Ok(global.id)
    }
}

fn truncate(id: &ID) -> String {
    id.chars().take(64).collect()
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
            .map(GlobalId::parse)
            .collect::<AppResult<Vec<_>>>()?;
        load_nodes(ctx, &ids).await
    }
}
