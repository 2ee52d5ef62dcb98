//! Access as administrators read it: the tokens issued here and the audit log. (Who may do what
//! is `auth::policy`; issuing and revoking tokens is `auth::issued`.)

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use crate::auth::{Viewer, policy};
use crate::db::page::{KeyKind, KeyValue, Listing, Row, SortKey};
use crate::directory::id::{GlobalId, NodeType};
use crate::directory::visible::Visible;
use crate::entity::{audit_log, issued_token};
use crate::error::AppResult;

const TOKENS: &str = "issued_token";

/// Issued tokens, newest first.
pub const NEWEST_ISSUED: SortKey = SortKey {
    name: "issued",
    table: TOKENS,
    column: "issued_at",
    kind: KeyKind::Time,
    descending: true,
};

fn token_col(column: &str) -> Expr {
    Expr::col((Alias::new(TOKENS), Alias::new(column)))
}

impl Row for issued_token::Model {
    const TABLE: &'static str = TOKENS;

    fn id(&self) -> i32 {
        self.id
    }

    fn key(&self, _sort: &SortKey) -> KeyValue {
        KeyValue::Time(self.issued_at)
    }

    fn visible() -> Condition {
        Condition::all()
    }
}

/// Which issued tokens to list; all given must match.
#[derive(Debug, Default)]
pub struct IssuedTokenFilter {
    /// Only tokens for this subject (exactly).
    pub subject: Option<String>,
    /// Only revoked tokens (`true`) or only tokens not revoked (`false`).
    pub revoked: Option<bool>,
}

/// The issued tokens matching `filter`, newest first (administrators).
pub fn issued_tokens(viewer: &Viewer, filter: &IssuedTokenFilter) -> AppResult<Listing> {
    policy::require_admin(viewer, "list issued tokens")?;
    let mut cond = Condition::all();
    if let Some(subject) = &filter.subject {
        cond = cond.add(token_col("subject").eq(subject.as_str()));
    }
    match filter.revoked {
        Some(true) => cond = cond.add(token_col("revoked_at").is_not_null()),
        Some(false) => cond = cond.add(token_col("revoked_at").is_null()),
        None => {}
    }
    Ok(Listing {
        table: TOKENS,
        filter: cond,
        sort: NEWEST_ISSUED,
    })
}

/// Which audit-log entries to read; all given must match.
#[derive(Debug, Default)]
pub struct AuditFilter {
    /// Only changes concerning this organization (its global ID).
    pub organization_id: Option<String>,
    /// Only changes by this token subject.
    pub actor: Option<String>,
    /// Only changes of this object (its global ID).
    pub entity_id: Option<String>,
}

/// The type of object an audit entry's `entity_type` names, when it is one the API shows.
pub fn entity_node_type(entity_type: &str) -> Option<NodeType> {
    Some(match entity_type {
        "organization" => NodeType::Organization,
        "region" => NodeType::Region,
        "target_group" => NodeType::TargetGroup,
        "theme" => NodeType::Theme,
        "tag" => NodeType::Tag,
        "partner" => NodeType::Partner,
        "post" => NodeType::Post,
        "event" => NodeType::Event,
        "event_kind" => NodeType::EventKind,
        _ => return None,
    })
}

/// The audit log, newest first.
pub const NEWEST_ENTRY: SortKey = SortKey {
    name: "audit",
    table: "audit_log",
    column: "id",
    kind: KeyKind::Int,
    descending: true,
};

impl Row for audit_log::Model {
    const TABLE: &'static str = "audit_log";

    /// Audit entries are never fetched by id: their ids are 64-bit, and cursors carry
    /// [`Row::position`].
    fn id(&self) -> i32 {
        i32::try_from(self.id).unwrap_or(i32::MAX)
    }

    fn position(&self) -> i64 {
        self.id
    }

    fn key(&self, _sort: &SortKey) -> KeyValue {
        KeyValue::Int(self.id)
    }

    fn visible() -> Condition {
        Condition::all()
    }
}

/// The audit-log entries matching `filter`, newest first (administrators).
pub fn audit_log(viewer: &Viewer, filter: &AuditFilter) -> AppResult<Listing> {
    if !policy::can_read_audit_log(viewer) {
        return Err(policy::refuse(viewer, "read the audit log"));
    }
    let col = |c: &str| Expr::col((Alias::new("audit_log"), Alias::new(c)));
    let mut cond = Condition::all();
    if let Some(id) = &filter.organization_id {
        cond = cond.add(col("organization_id").eq(GlobalId::parse_as(id, NodeType::Organization)?));
    }
    if let Some(actor) = &filter.actor {
        cond = cond.add(col("actor_sub").eq(actor.as_str()));
    }
    if let Some(id) = &filter.entity_id {
        let id = GlobalId::parse(id)?;
        let entity_type = match id.node_type {
            NodeType::TargetGroup => "target_group".to_owned(),
            NodeType::EventKind => "event_kind".to_owned(),
            other => other.name().to_lowercase(),
        };
        cond = cond
            .add(col("entity_type").eq(entity_type))
            .add(col("entity_id").eq(id.id));
    }
    Ok(Listing {
        table: "audit_log",
        filter: cond,
        sort: NEWEST_ENTRY,
    })
}

impl Visible for issued_token::Model {}

impl Visible for audit_log::Model {}
