//! Typed global IDs: opaque, type-prefixed (`base64("Organization:12")`), the same for every face
//! of the directory (GraphQL's `ID`, the audit log, tokens' `org` claim).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};

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
    /// `Event`
    Event,
    /// `EventKind`
    EventKind,
}

const NODE_TYPES: [NodeType; 9] = [
    NodeType::Organization,
    NodeType::Region,
    NodeType::TargetGroup,
    NodeType::Theme,
    NodeType::Tag,
    NodeType::Partner,
    NodeType::Post,
    NodeType::Event,
    NodeType::EventKind,
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
            Self::Event => "Event",
            Self::EventKind => "EventKind",
        }
    }

    /// The opaque global ID of the row `id` of this type, as text.
    pub fn encode(self, id: i32) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{id}", self.name()))
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
    pub fn parse(id: &str) -> AppResult<Self> {
        let invalid = || AppError::bad_input(format!("`{}` is not a valid ID", truncate(id)));
        let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| invalid())?;
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
    pub fn parse_as(id: &str, expected: NodeType) -> AppResult<i32> {
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

fn truncate(id: &str) -> String {
    id.chars().take(64).collect()
}
