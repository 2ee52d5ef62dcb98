//! The access rules of DESIGN.md, in one place. Resolvers and services ask here; nothing else
//! decides who may see or change what.
//!
//! | role | may |
//! |---|---|
//! | anonymous | read published data and public fields; submit a contribution (pending) |
//! | organization | + edit its own profile and relations, post as itself (published), see its own pending posts and contact details; create, edit and delete the events it hosts |
//! | partner | + read partner-only fields (contact details), the change feed and the export |
//! | admin | everything: create, delete, curate, moderate, erase, revoke, read the audit log |

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};
use crate::vocab::PostStatus;

/// The error for a caller who may not do something: `UNAUTHENTICATED` (log in first) when the
/// caller sent no token, `FORBIDDEN` when a known caller is not allowed.
pub fn refuse(viewer: &Viewer, what: &str) -> AppError {
    match viewer {
        Viewer::Anonymous => AppError::Client {
            code: crate::error::ErrorCode::Unauthenticated,
            message: format!("log in to {what}: send a bearer token"),
        },
        Viewer::Authenticated(_) => AppError::forbidden(format!("you may not {what}")),
    }
}

/// Only administrators.
pub fn require_admin(viewer: &Viewer, what: &str) -> AppResult<()> {
    if viewer.is_admin() {
        Ok(())
    } else {
        Err(refuse(viewer, what))
    }
}

/// Administrators, and the organization itself.
pub fn require_edit_organization(viewer: &Viewer, organization_id: i32) -> AppResult<()> {
    if viewer.is_admin() || viewer.organization_id() == Some(organization_id) {
        Ok(())
    } else {
        Err(refuse(viewer, "change this organization"))
    }
}

/// Contact details of an organization: partners, administrators, and the organization itself.
pub fn can_read_organization_contacts(viewer: &Viewer, organization_id: i32) -> bool {
    matches!(viewer.role(), Some(Role::Admin | Role::Partner))
        || viewer.organization_id() == Some(organization_id)
}

/// Contact details of a partner body: partners and administrators.
pub fn can_read_partner_contacts(viewer: &Viewer) -> bool {
    matches!(viewer.role(), Some(Role::Admin | Role::Partner))
}

/// An author's e-mail address: administrators only.
pub fn can_read_author_email(viewer: &Viewer) -> bool {
    viewer.is_admin()
}

/// The change feed and the directory export (partners' sync): partners and administrators.
pub fn require_feed_reader(viewer: &Viewer) -> AppResult<()> {
    if matches!(viewer.role(), Some(Role::Admin | Role::Partner)) {
        Ok(())
    } else {
        Err(refuse(
            viewer,
            "read the change feed or the export (partners and administrators)",
        ))
    }
}

/// The audit log: administrators only.
pub fn can_read_audit_log(viewer: &Viewer) -> bool {
    viewer.is_admin()
}

/// Which posts a viewer may see: published ones; an organization also its own, whatever their
/// status; an administrator all of them.
pub fn visible_posts(viewer: &Viewer) -> Condition {
    let col = |c: &str| Expr::col((Alias::new("post"), Alias::new(c)));
    // The status is written into the statement's text, not bound: SQLite's planner looks at a
    // bound value compared with an indexed column (its STAT4 statistics), and a statement whose
    // bound value it looked at is prepared again on every run instead of once.
    let published = Condition::all()
        .add(col("status").eq(Expr::Constant(
            sea_orm::ActiveEnum::to_value(&PostStatus::Published).into(),
        )))
        .add(col("published_at").is_not_null());
    if viewer.is_admin() {
        return Condition::all();
    }
    match viewer.organization_id() {
        Some(id) => Condition::any()
            .add(published)
            .add(col("organization_id").eq(id)),
        None => published,
    }
}

/// True when `viewer` sees published posts only (anonymous callers and partners), so that lists
/// of posts may be read from the copies of the publication time kept for published posts.
pub fn sees_published_posts_only(viewer: &Viewer) -> bool {
    !viewer.is_admin() && viewer.organization_id().is_none()
}

/// Whether `viewer` may see a post at all, by the same rule as [`visible_posts`]: a post it may
/// not see is answered as if it did not exist (`NOT_FOUND`, never `FORBIDDEN`, which would tell
/// another organization that a pending post is there).
pub fn can_see_post(
    viewer: &Viewer,
    status: PostStatus,
    published: bool,
    organization_id: Option<i32>,
) -> bool {
    viewer.is_admin()
        || (status == PostStatus::Published && published)
        || (organization_id.is_some() && viewer.organization_id() == organization_id)
}

/// Whether a viewer may change a post: administrators, and an organization its own posts.
pub fn require_edit_post(viewer: &Viewer, post_organization: Option<i32>) -> AppResult<()> {
    if viewer.is_admin()
        || (post_organization.is_some() && viewer.organization_id() == post_organization)
    {
        Ok(())
    } else {
        Err(refuse(viewer, "change this post"))
    }
}

/// Who may write events at all: administrators and organizations (partners and anonymous
/// callers are refused before anything is looked up).
pub fn require_event_writer(viewer: &Viewer) -> AppResult<()> {
    if viewer.is_admin() || viewer.organization_id().is_some() {
        Ok(())
    } else {
        Err(refuse(viewer, "write events"))
    }
}

/// An event's hosts may change it: administrators any event, an organization only one that it
/// hosts (`hosts`: the hosting organizations, before and after the change). So an organization
/// creates events among whose hosts it is, and cannot hand an event over to others.
pub fn require_event_host(viewer: &Viewer, hosts: &[i32]) -> AppResult<()> {
    if viewer.is_admin()
        || viewer
            .organization_id()
            .is_some_and(|id| hosts.contains(&id))
    {
        Ok(())
    } else {
        Err(refuse(
            viewer,
            "write an event that your organization does not host",
        ))
    }
}
