//! Posts: the movement's articles (news, reports, blogs) and people's contributions (practices,
//! what matters, ideas, questions).

pub mod mutation;

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::db::page::PageArgs;
use crate::directory;
use crate::entity::{organization, post};
use crate::error::{AppError, AppResult};
use crate::graphql::connection::Conn;
use crate::graphql::loader::{Relation, by_id, related_connection};
use crate::graphql::node::{GlobalId, NodeId, NodeType};
use crate::graphql::organization::Organization;
use crate::graphql::partner::Partner;
use crate::graphql::subtree::{Kind, Leaf, Linked, Resolved, Subtree, text, value};
use crate::graphql::vocabulary::{Tag, Theme};
use crate::vocab::{AuthorRole, PostKind, PostStatus};

/// An article of the movement or a person's contribution.
pub struct Post(pub post::Model);

/// An article of the movement or a person's contribution.
#[Object]
impl Post {
    /// The post's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::Post.id(self.0.id)
    }

    /// The URL-safe name, derived from the title.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The kind of post.
    async fn kind(&self) -> PostKind {
        self.0.kind
    }

    /// The title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The text, as plain text or Markdown. Anything that looks like HTML is text: clients must
    /// escape it (or render the Markdown with raw HTML disabled), never insert it as HTML.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// The author's display name.
    async fn author_name(&self) -> &str {
        &self.0.author_name
    }

    /// The author's e-mail address, for moderation (administrators only).
    async fn author_email(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        let viewer = crate::graphql::viewer(ctx);
        if crate::auth::policy::can_read_author_email(viewer) {
            Ok(self.0.author_email.as_deref())
        } else {
            Err(crate::auth::policy::refuse(
                viewer,
                "read authors' e-mail addresses",
            ))
        }
    }

    /// The role the author writes from.
    async fn author_role(&self) -> Option<AuthorRole> {
        self.0.author_role
    }

    /// The organization the post was published under, if any.
    async fn organization(&self, ctx: &Context<'_>) -> AppResult<Option<Organization>> {
        match self.0.organization_id {
            Some(id) => Ok(by_id::<organization::Model>(ctx, id)
                .await?
                .map(Organization)),
            None => Ok(None),
        }
    }

    /// The themes the post is filed under, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Theme>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::PostThemes, self.0.id, args, Theme).await
    }

    /// The organizations the post is about, A-Z: the one it was published under and the others
    /// it concerns.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Organization>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(
            ctx,
            Relation::PostOrganizations,
            self.0.id,
            args,
            Organization,
        )
        .await
    }

    /// The partner bodies the post is about, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Partner>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::PostPartners, self.0.id, args, Partner).await
    }

    /// The post's tags, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Tag>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::PostTags, self.0.id, args, Tag).await
    }

    /// Where the post stands in moderation.
    async fn status(&self) -> PostStatus {
        self.0.status
    }

    /// When the post was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// When the post was submitted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the post was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }
}

impl Subtree for Post {
    type Row = post::Model;

    const COLUMNS: &'static [(&'static str, &'static [&'static str])] = &[
        ("updated_at", &["updatedAt"]),
        ("version", &["version"]),
        ("slug", &["slug"]),
        ("title", &["title"]),
        ("body", &["body"]),
        ("author_name", &["authorName"]),
        ("author_role", &["authorRole"]),
        ("author_email", &[]),
        ("author_email_hash", &[]),
        ("moderated_at", &[]),
        ("moderated_by", &[]),
    ];

    fn leaf<'r>(row: &'r post::Model, field: &str) -> Option<Leaf<'r>> {
        Some(match field {
            "id" => value(&NodeType::Post.id(row.id)),
            "slug" => text(&row.slug),
            "kind" => value(&row.kind),
            "title" => text(&row.title),
            "body" => text(&row.body),
            "authorName" => text(&row.author_name),
            "authorRole" => value(&row.author_role),
            "status" => value(&row.status),
            "publishedAt" => value(&row.published_at),
            "createdAt" => value(&row.created_at),
            "updatedAt" => value(&row.updated_at),
            "version" => value(&row.version),
            // The author's e-mail depends on the caller: the executor answers it.
            _ => return None,
        })
    }

    fn link(field: &str) -> Option<Linked<post::Model>> {
        Some(match field {
            "organization" => Linked::One(Kind::Organization, |row| row.organization_id),
            "themes" => Linked::List(Relation::PostThemes, Kind::Theme),
            "tags" => Linked::List(Relation::PostTags, Kind::Tag),
            "organizations" => Linked::List(Relation::PostOrganizations, Kind::Organization),
            _ => return None,
        })
    }
}

/// Which posts to list. Within one field any of the values matches; every field given must
/// match.
#[derive(Debug, Default, InputObject)]
pub struct PostFilter {
    /// Slugs of themes.
    pub themes: Option<Vec<String>>,
    /// Slugs of tags.
    pub tags: Option<Vec<String>>,
    /// Kinds of post.
    pub kinds: Option<Vec<PostKind>>,
    /// Slugs of organizations: posts by or about any of them.
    pub organizations: Option<Vec<String>>,
    /// Statuses (default: `[PUBLISHED]`). Pending and rejected posts are visible to
    /// administrators, and to an organization for its own posts.
    pub statuses: Option<Vec<PostStatus>>,
}

impl From<PostFilter> for directory::post::Filter {
    fn from(f: PostFilter) -> Self {
        Self {
            themes: f.themes,
            tags: f.tags,
            kinds: f.kinds,
            organizations: f.organizations,
            statuses: f.statuses,
        }
    }
}

/// Root fields for posts.
#[derive(Default)]
pub struct PostQuery;

#[Object]
impl PostQuery {
    /// The posts, newest first: published ones, unless `filter.statuses` asks for others the
    /// caller may see.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which posts to list.")] filter: Option<PostFilter>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Resolved<Conn<Post>>> {
        let filter = directory::post::Filter::from(filter.unwrap_or_default());
        let listing = directory::post::listing(crate::graphql::viewer(ctx), &filter);
        crate::graphql::subtree::page::<Post>(
            ctx,
            &listing,
            PageArgs::new(first, after, last, before),
            Post,
        )
        .await
    }

    /// The post with this ID or slug (give exactly one), or `null` when it does not exist or the
    /// caller may not see it.
    async fn post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post's global ID.")] id: Option<ID>,
        #[graphql(desc = "The post's slug.")] slug: Option<String>,
    ) -> AppResult<Option<Resolved<Post>>> {
        let row = match (id, slug) {
            (Some(id), None) => {
                let id = GlobalId::parse_as(&id, NodeType::Post)?;
                by_id::<post::Model>(ctx, id).await?
            }
            (None, Some(slug)) => {
                crate::graphql::subtree::row_by_slug::<post::Model>(ctx, &slug).await?
            }
            _ => return Err(AppError::bad_input("give exactly one of `id` and `slug`")),
        };
        crate::graphql::subtree::one(ctx, row, Post).await
    }
}
