//! Writing posts: contributions (anonymous: pending; an organization: published under itself),
//! edits, moderation, and erasure of an author's personal data. An author's e-mail address (and
//! its keyed hash, kept after retention deletes the address so that erasure still finds the
//! author) never enters the audit log, and erasure scrubs the name from it too.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use crate::auth::{Role, Viewer, policy};
use crate::db::journal::Operation;
use crate::db::write::{Journaled, Write, check_version, load_live, replace_links};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::directory::organization::write::{patch, resolve_ids};
use crate::entity::post;
use crate::error::{AppError, AppResult};
use crate::privacy::EmailHashKey;
use crate::text::slugify;
use crate::vocab::{AuthorRole, PostKind, PostStatus};

/// The longest author name.
pub const MAX_AUTHOR_NAME: usize = 100;

/// The contents of a post to change: only the fields given change.
#[derive(Debug, Default)]
pub struct Changes {
    /// The kind of post.
    pub kind: Option<PostKind>,
    /// The title.
    pub title: Option<String>,
    /// The text.
    pub body: Option<String>,
    /// The name shown as author.
    pub author_name: Option<String>,
    /// The role the author writes from; `null` clears it.
    pub author_role: Patch<AuthorRole>,
    /// IDs of the themes (replace the current ones).
    pub theme_ids: Option<Vec<String>>,
    /// IDs of the tags (replace the current ones).
    pub tag_ids: Option<Vec<String>>,
    /// IDs of the organizations the post is about (replace the current ones; the post's own
    /// organization is always one of them).
    pub about_organization_ids: Option<Vec<String>>,
    /// IDs of the partner bodies the post is about (replace the current ones).
    pub about_partner_ids: Option<Vec<String>>,
}

/// The links of a post to write: each list, when given, replaces the current links.
#[derive(Debug, Default)]
struct Links {
    themes: Option<Vec<i32>>,
    tags: Option<Vec<i32>>,
    organizations: Option<Vec<i32>>,
    partners: Option<Vec<i32>>,
}

impl Changes {
    async fn check(&self, db: &impl ConnectionTrait, checks: &mut Checks) -> AppResult<Links> {
        if let Some(title) = &self.title {
            checks.text("title", title, MAX_LINE);
        }
        if let Some(body) = &self.body {
            checks.text("body", body, MAX_TEXT);
        }
        if let Some(name) = &self.author_name {
            checks.text("authorName", name, MAX_AUTHOR_NAME);
        }
        let mut links = Links::default();
        for (ids, field, table, node_type, resolved) in [
            (
                &self.theme_ids,
                "themeIds",
                "theme",
                NodeType::Theme,
                &mut links.themes,
            ),
            (
                &self.tag_ids,
                "tagIds",
                "tag",
                NodeType::Tag,
                &mut links.tags,
            ),
            (
                &self.about_organization_ids,
                "aboutOrganizationIds",
                "organization",
                NodeType::Organization,
                &mut links.organizations,
            ),
            (
                &self.about_partner_ids,
                "aboutPartnerIds",
                "partner",
                NodeType::Partner,
                &mut links.partners,
            ),
        ] {
            if let Some(ids) = ids {
                *resolved = resolve_ids(db, checks, field, table, node_type, ids).await?;
            }
        }
        Ok(links)
    }

    fn apply(self, row: &mut post::ActiveModel) {
        if let Some(kind) = self.kind {
            row.kind = Set(kind);
        }
        if let Some(title) = self.title {
            row.title = Set(title.trim().to_owned());
        }
        if let Some(body) = self.body {
            row.body = Set(body);
        }
        if let Some(name) = self.author_name {
            row.author_name = Set(name.trim().to_owned());
        }
        patch(&mut row.author_role, self.author_role);
    }
}

/// Writes the links given; the post's own organization (`own`) stays among the organizations it
/// is about.
async fn write_links(
    db: &impl ConnectionTrait,
    id: i32,
    own: Option<i32>,
    links: Links,
) -> AppResult<()> {
    if let Some(ids) = links.themes {
        replace_links(db, "post_theme", "post_id", "theme_id", id, &ids).await?;
    }
    if let Some(ids) = links.tags {
        replace_links(db, "post_tag", "post_id", "tag_id", id, &ids).await?;
    }
    // A trigger links a new post's own organization; a new list keeps it.
    if let Some(mut ids) = links.organizations {
        ids.extend(own);
        replace_links(
            db,
            "post_organization",
            "post_id",
            "organization_id",
            id,
            &ids,
        )
        .await?;
    }
    if let Some(ids) = links.partners {
        replace_links(db, "post_partner", "post_id", "partner_id", id, &ids).await?;
    }
    Ok(())
}

/// The post as the audit log records it: without the author's e-mail address or its hash.
fn snapshot(row: &post::Model) -> AppResult<serde_json::Value> {
    let mut value = serde_json::to_value(row).map_err(AppError::internal)?;
    if let Some(object) = value.as_object_mut() {
        object.remove("author_email");
        object.remove("author_email_hash");
    }
    Ok(value)
}

impl Journaled for post::Model {
    fn id(&self) -> i32 {
        self.id
    }

    fn organization_id(&self) -> Option<i32> {
        self.organization_id
    }

    fn snapshot(
        &self,
        _db: &sea_orm::DatabaseTransaction,
    ) -> impl Future<Output = AppResult<serde_json::Value>> + Send {
        std::future::ready(snapshot(self))
    }
}

/// A slug for `title` that no post has yet.
async fn free_slug(db: &impl ConnectionTrait, title: &str) -> AppResult<String> {
    let mut base = slugify(title);
    base.truncate(80);
    let base = base.trim_end_matches('-').to_owned();
    let base = if base.is_empty() {
        "bijdrage".to_owned()
    } else {
        base
    };
    for n in 1.. {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if !crate::db::write::slug_taken::<post::Entity>(db, post::Column::Slug, &candidate, None)
            .await?
        {
            return Ok(candidate);
        }
    }
    Err(AppError::internal("no free slug"))
}

/// A new post as submitted.
#[derive(Debug)]
pub struct Submission {
    /// The post's contents.
    pub changes: Changes,
    /// The author's e-mail address, for the moderator only.
    pub author_email: Option<String>,
    /// The global ID of the organization to post under.
    pub organization_id: Option<String>,
}

/// The kinds anyone may contribute (the "Praat mee" page); the movement's own kinds (news,
/// report, blog) are for organizations and administrators.
pub fn is_contribution(kind: PostKind) -> bool {
    matches!(
        kind,
        PostKind::Practice | PostKind::WhatMatters | PostKind::Idea | PostKind::Question
    )
}

/// Refuses a contribution (anonymous or partner) when its address sent too many lately, or the
/// moderation queue is full.
pub async fn check_contribution_limits(
    db: &DatabaseConnection,
    limits: &crate::limits::Limits,
    ip: Option<crate::limits::ClientIp>,
) -> AppResult<()> {
    if let Some(ip) = ip {
        limits.check_submission(ip.0)?;
    }
    let pending = post::Entity::find()
        .filter(post::Column::Status.eq(PostStatus::Pending))
        .filter(post::Column::DeletedAt.is_null())
        .count(db)
        .await?;
    if pending >= limits.max_pending_posts {
        return Err(AppError::RateLimited {
            message: "the moderation queue is full; please try again later".to_owned(),
            retry_after: 3600,
        });
    }
    Ok(())
}

/// Submits a post: anonymous callers and partners contribute (pending moderation); an
/// organization publishes under itself; an administrator publishes, under an organization or not.
/// The author's e-mail address is stored with its hash under `key`.
pub async fn submit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    key: &EmailHashKey,
    submission: Submission,
) -> AppResult<Outcome<post::Model>> {
    let organization_id = match (&submission.organization_id, viewer.role()) {
        (None, Some(Role::Organization)) => viewer.organization_id(),
        (None, _) => None,
        (Some(id), Some(Role::Admin)) => Some(GlobalId::parse_as(id, NodeType::Organization)?),
        (Some(id), Some(Role::Organization)) => {
            let id = GlobalId::parse_as(id, NodeType::Organization)?;
            if viewer.organization_id() != Some(id) {
                return Err(policy::refuse(
                    viewer,
                    "post on behalf of another organization",
                ));
            }
            Some(id)
        }
        (Some(_), _) => return Err(policy::refuse(viewer, "post on behalf of an organization")),
    };
    let publishes = matches!(viewer.role(), Some(Role::Admin | Role::Organization));
    let changes = submission.changes;
    let mut checks = Checks::default();
    let kind = changes.kind.unwrap_or(PostKind::Idea);
    if !publishes && !is_contribution(kind) {
        checks.push(
            "kind",
            ProblemCode::Invalid,
            "contributions are a practice, what matters, an idea or a question",
        );
    }
    checks.text(
        "title",
        changes.title.as_deref().unwrap_or_default(),
        MAX_LINE,
    );
    checks.text(
        "body",
        changes.body.as_deref().unwrap_or_default(),
        MAX_TEXT,
    );
    checks.text(
        "authorName",
        changes.author_name.as_deref().unwrap_or_default(),
        MAX_AUTHOR_NAME,
    );
    checks.email("authorEmail", submission.author_email.as_deref());
    if let Some(id) = organization_id
        && crate::db::write::existing_ids(db, "organization", &[id])
            .await?
            .is_empty()
    {
        checks.push(
            "organizationId",
            ProblemCode::NotFound,
            "no such organization",
        );
    }
    let links = changes.check(db, &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let now = Utc::now();
    let author_email = submission.author_email.filter(|e| !e.is_empty());
    let author_email_hash = author_email.as_deref().map(|e| key.hash(e));
    let write = Write::begin(db, viewer.actor()).await?;
    let slug = free_slug(write.txn(), changes.title.as_deref().unwrap_or_default()).await?;
    let mut row = post::ActiveModel {
        slug: Set(slug),
        kind: Set(kind),
        author_role: Set(None),
        author_email: Set(author_email),
        author_email_hash: Set(author_email_hash),
        organization_id: Set(organization_id),
        status: Set(if publishes {
            PostStatus::Published
        } else {
            PostStatus::Pending
        }),
        published_at: Set(publishes.then_some(now)),
        moderated_at: Set(None),
        moderated_by: Set(None),
        ..Default::default()
    };
    changes.apply(&mut row);
    let Ok(row) = write.insert::<post::Entity>(row).await? else {
        return Err(AppError::bad_input(
            "a post with this title was submitted at the same moment; try again",
        ));
    };
    write_links(write.txn(), row.id, row.organization_id, links).await?;
    write
        .journal::<post::Entity>(Operation::Create, &row, None)
        .await?;
    write.commit().await?;
    Ok(Ok(row))
}

/// Edits a post: administrators any, an organization its own.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
    changes: Changes,
) -> AppResult<Outcome<post::Model>> {
    let before =
        load_live::<post::Entity>(db, GlobalId::parse_as(id, NodeType::Post)?, "post").await?;
    if !policy::can_see_post(
        viewer,
        before.status,
        before.published_at.is_some(),
        before.organization_id,
    ) {
        return Err(AppError::not_found("post"));
    }
    policy::require_edit_post(viewer, before.organization_id)?;
    check_version(&before, version)?;
    let mut checks = Checks::default();
    let links = changes.check(db, &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let mut row = <post::ActiveModel as Default>::default();
    changes.apply(&mut row);
    let write = Write::begin(db, viewer.actor()).await?;
    let after = write
        .update::<post::Entity>(before.id, version, row)
        .await?;
    write_links(write.txn(), before.id, before.organization_id, links).await?;
    write
        .journal::<post::Entity>(Operation::Update, &after, Some(snapshot(&before)?))
        .await?;
    write.commit().await?;
    Ok(Ok(after))
}

/// A moderator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationDecision {
    /// Publish the post.
    Publish,
    /// Reject the post; it stays invisible and is purged after the retention period.
    Reject,
}

/// Publishes or rejects a post (administrators).
pub async fn moderate(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
    decision: ModerationDecision,
) -> AppResult<post::Model> {
    policy::require_admin(viewer, "moderate posts")?;
    let before =
        load_live::<post::Entity>(db, GlobalId::parse_as(id, NodeType::Post)?, "post").await?;
    check_version(&before, version)?;
    let now = Utc::now();
    let row = post::ActiveModel {
        status: Set(match decision {
            ModerationDecision::Publish => PostStatus::Published,
            ModerationDecision::Reject => PostStatus::Rejected,
        }),
        published_at: Set(match decision {
            ModerationDecision::Publish => before.published_at.or(Some(now)),
            ModerationDecision::Reject => None,
        }),
        moderated_at: Set(Some(now)),
        moderated_by: Set(viewer.session().map(|s| s.sub.clone())),
        ..Default::default()
    };
    let write = Write::begin(db, viewer.actor()).await?;
    let after = write
        .update::<post::Entity>(before.id, version, row)
        .await?;
    write
        .journal::<post::Entity>(Operation::Update, &after, Some(snapshot(&before)?))
        .await?;
    write.commit().await?;
    Ok(after)
}

/// Erases an author's personal data (administrators): in every post written with this e-mail
/// address (found by the address, or by its hash under `key` once retention deleted the
/// address) or among `post_ids`, the name becomes [`crate::privacy::ERASED_NAME`] and the e-mail address and
/// its hash are removed; the audit log's before/after values of those posts are scrubbed the
/// same way. Returns the number of posts changed.
pub async fn erase_author(
    db: &DatabaseConnection,
    viewer: &Viewer,
    key: &EmailHashKey,
    email: Option<&str>,
    post_ids: &[String],
) -> AppResult<u64> {
    policy::require_admin(viewer, "erase authors' data")?;
    let mut ids = Vec::new();
    for id in post_ids {
        ids.push(GlobalId::parse_as(id, NodeType::Post)?);
    }
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    if email.is_none() && ids.is_empty() {
        return Err(AppError::bad_input("give `authorEmail` or `postIds`"));
    }
    let write = Write::begin(db, viewer.actor()).await?;
    let txn = write.txn();
    let mut any = sea_orm::sea_query::Condition::any();
    if let Some(email) = email {
        any = any
            .add(post::Column::AuthorEmailHash.eq(key.hash(email)))
            .add(
                Expr::expr(Func::lower(Expr::col(post::Column::AuthorEmail)))
                    .eq(email.to_lowercase()),
            );
    }
    if !ids.is_empty() {
        any = any.add(post::Column::Id.is_in(ids.iter().copied()));
    }
    let rows = post::Entity::find().filter(any).all(txn).await?;
    let mut erased = Vec::new();
    for before in rows {
        let changes = post::ActiveModel {
            author_name: Set(crate::privacy::ERASED_NAME.to_owned()),
            author_email: Set(None),
            author_email_hash: Set(None),
            ..Default::default()
        };
        let after = write
            .update::<post::Entity>(before.id, before.version, changes)
            .await?;
        let scrubbed_before = post::Model {
            author_name: crate::privacy::ERASED_NAME.to_owned(),
            ..before
        };
        write
            .journal::<post::Entity>(Operation::Update, &after, Some(snapshot(&scrubbed_before)?))
            .await?;
        erased.push(after.id);
    }
    crate::privacy::scrub_audit(txn, &erased).await?;
    write.commit().await?;
    crate::db::checkpoint(db).await?;
    Ok(erased.len() as u64)
}
