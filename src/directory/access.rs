//! Access as administrators read it: the tokens issued here and the audit log. (Who may do what
//! is `auth::policy`; issuing and revoking tokens is `auth::issued`.)

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::auth::{Viewer, policy};
use crate::db::page::{KeyKind, KeyValue, Listing, MAX_PAGE_SIZE, Row, SortKey};
use crate::directory::id::{GlobalId, NodeType};
use crate::entity::{audit_log, issued_token};
use crate::error::{AppError, AppResult};

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

/// A page of the audit log, newest first.
#[derive(Debug)]
pub struct AuditPage {
    /// The entries, newest first.
    pub entries: Vec<audit_log::Model>,
    /// Where the next (older) page starts; `None` on the last page.
    pub end_cursor: Option<String>,
    /// There are older entries.
    pub has_next_page: bool,
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

/// A page of the audit log: `first` entries older than the cursor `after` (administrators).
pub async fn audit_log(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: AuditFilter,
    first: Option<i32>,
    after: Option<String>,
) -> AppResult<AuditPage> {
    if !policy::can_read_audit_log(viewer) {
        return Err(policy::refuse(viewer, "read the audit log"));
    }
    let first = first.unwrap_or(20);
    if !(0..=MAX_PAGE_SIZE).contains(&first) {
        return Err(AppError::bad_input(format!(
            "`first` must be between 0 and {MAX_PAGE_SIZE}"
        )));
    }
    let mut cond = Condition::all();
    if let Some(after) = after {
        let invalid = || AppError::bad_input("`after` is not a valid cursor for this list");
        let bytes = URL_SAFE_NO_PAD.decode(after).map_err(|_| invalid())?;
        let id: i64 = String::from_utf8(bytes)
            .ok()
            .and_then(|s| s.strip_prefix("audit:").and_then(|n| n.parse().ok()))
            .ok_or_else(invalid)?;
        cond = cond.add(Expr::col(Alias::new("id")).lt(id));
    }
    if let Some(id) = &filter.organization_id {
        cond = cond.add(
            Expr::col(Alias::new("organization_id"))
                .eq(GlobalId::parse_as(id, NodeType::Organization)?),
        );
    }
    if let Some(actor) = filter.actor {
        cond = cond.add(Expr::col(Alias::new("actor_sub")).eq(actor));
    }
    if let Some(id) = &filter.entity_id {
        let id = GlobalId::parse(id)?;
        let entity_type = match id.node_type {
            NodeType::TargetGroup => "target_group".to_owned(),
            NodeType::EventKind => "event_kind".to_owned(),
            other => other.name().to_lowercase(),
        };
        cond = cond
            .add(Expr::col(Alias::new("entity_type")).eq(entity_type))
            .add(Expr::col(Alias::new("entity_id")).eq(id.id));
    }
    let select = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from(Alias::new("audit_log"))
        .cond_where(cond)
        .order_by(Alias::new("id"), Order::Desc)
        .limit(first as u64 + 1)
        .to_owned();
    let mut entries = db
        .query_all(&select)
        .await?
        .iter()
        .map(|row| audit_log::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    let has_next_page = entries.len() > first as usize;
    entries.truncate(first as usize);
    let end_cursor = entries
        .last()
        .map(|e| URL_SAFE_NO_PAD.encode(format!("audit:{}", e.id)));
    Ok(AuditPage {
        entries,
        end_cursor,
        has_next_page,
    })
}
