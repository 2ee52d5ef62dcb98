//! The shared vocabulary: target groups, themes and tags. They have one shape (slug, name,
//! description), so they share one folder and one service.

pub mod mutation;

use async_graphql::{Context, ID, Object};

use crate::db::page::PageArgs;
use crate::directory;
use crate::entity::{tag, target_group, theme};
use crate::error::AppResult;
use crate::graphql::connection::Conn;
use crate::graphql::loader::{Relation, related_connection};
use crate::graphql::node::{NodeId, NodeType};
use crate::graphql::organization::Organization;
use crate::graphql::post::Post;
use crate::graphql::subtree::{Kind, Leaf, Linked, Resolved, Subtree, opt_text, text, value};

/// A group of people organizations serve, e.g. children, young people, adults, older people.
pub struct TargetGroup(pub target_group::Model);

/// A theme of the platform (thema), under which organizations work and articles are filed.
pub struct Theme(pub theme::Model);

/// A tag (trefwoord) on articles and organizations.
pub struct Tag(pub tag::Model);

/// A group of people organizations serve, e.g. children, young people, adults, older people.
#[Object]
impl TargetGroup {
    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When the record was last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    /// The target group's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::TargetGroup.id(self.0.id)
    }

    /// The URL-safe name, e.g. `jongeren`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The target group's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The organizations serving this target group, A-Z.
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
            Relation::TargetGroupOrganizations,
            self.0.id,
            args,
            Organization,
        )
        .await
    }
}

/// A theme of the platform (thema), under which organizations work and articles are filed.
#[Object]
impl Theme {
    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When the record was last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    /// The theme's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::Theme.id(self.0.id)
    }

    /// The URL-safe name, e.g. `optrekken-met-naasten`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The theme's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The organizations working on this theme, A-Z.
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
            Relation::ThemeOrganizations,
            self.0.id,
            args,
            Organization,
        )
        .await
    }

    /// The published posts filed under this theme, newest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Post>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::ThemePosts, self.0.id, args, Post).await
    }

    /// The events under this theme: by default the upcoming ones (not yet ended), earliest start first;
    /// `when: PAST` lists those that have ended, latest start first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Upcoming (default), past or all events.")] when: Option<
            crate::graphql::event::EventTime,
        >,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<crate::graphql::event::Event>> {
        let args = PageArgs::new(first, after, last, before);
        crate::graphql::event::events_under(ctx, Relation::ThemeEvents, self.0.id, when, args).await
    }
}

/// A tag (trefwoord) on articles and organizations.
#[Object]
impl Tag {
    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When the record was last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    /// The tag's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::Tag.id(self.0.id)
    }

    /// The URL-safe name, e.g. `clienten`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The tag as written, e.g. "cliënten".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The organizations with this tag, A-Z.
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
            Relation::TagOrganizations,
            self.0.id,
            args,
            Organization,
        )
        .await
    }

    /// The published posts with this tag, newest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Post>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::TagPosts, self.0.id, args, Post).await
    }
}

/// A vocabulary type's plain fields.
fn vocabulary_leaf<'r>(
    node_type: NodeType,
    (id, slug, name, description): (i32, &'r str, &'r str, Option<&'r str>),
    (version, updated_at): (i64, chrono::DateTime<chrono::Utc>),
    field: &str,
) -> Option<Leaf<'r>> {
    Some(match field {
        "id" => value(&node_type.id(id)),
        "slug" => text(slug),
        "name" => text(name),
        "description" => opt_text(description),
        "updatedAt" => value(&updated_at),
        "version" => value(&version),
        _ => return None,
    })
}

macro_rules! vocabulary_subtree {
    ($type:ident, $model:ident, $organizations:ident, $posts:expr) => {
        impl Subtree for $type {
            type Row = $model::Model;

            const COLUMNS: &'static [(&'static str, &'static [&'static str])] = &[
                ("created_at", &[]),
                ("updated_at", &["updatedAt"]),
                ("version", &["version"]),
                ("slug", &["slug"]),
                ("name", &["name"]),
                ("description", &["description"]),
            ];

            fn leaf<'r>(row: &'r $model::Model, field: &str) -> Option<Leaf<'r>> {
                vocabulary_leaf(
                    NodeType::$type,
                    (row.id, &row.slug, &row.name, row.description.as_deref()),
                    (row.version, row.updated_at),
                    field,
                )
            }

            fn link(field: &str) -> Option<Linked<$model::Model>> {
                match (field, $posts) {
                    ("organizations", _) => {
                        Some(Linked::List(Relation::$organizations, Kind::Organization))
                    }
                    ("posts", Some(posts)) => Some(Linked::List(posts, Kind::Post)),
                    // A theme's events depend on the clock: the executor answers them.
                    _ => None,
                }
            }
        }
    };
}

vocabulary_subtree!(
    TargetGroup,
    target_group,
    TargetGroupOrganizations,
    None::<Relation>
);
vocabulary_subtree!(Theme, theme, ThemeOrganizations, Some(Relation::ThemePosts));
vocabulary_subtree!(Tag, tag, TagOrganizations, Some(Relation::TagPosts));

/// Root fields for target groups, themes and tags.
#[derive(Default)]
pub struct VocabularyQuery;

#[Object]
impl VocabularyQuery {
    /// The target groups, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn target_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Resolved<Conn<TargetGroup>>> {
        let listing = directory::vocabulary::listing("target_group");
        crate::graphql::subtree::page::<TargetGroup>(
            ctx,
            &listing,
            PageArgs::new(first, after, last, before),
            TargetGroup,
        )
        .await
    }

    /// The target group with this slug, or `null`.
    async fn target_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The target group's slug, e.g. `jongeren`.")] slug: String,
    ) -> AppResult<Option<Resolved<TargetGroup>>> {
        let row = crate::graphql::subtree::row_by_slug::<target_group::Model>(ctx, &slug).await?;
        crate::graphql::subtree::one(ctx, row, TargetGroup).await
    }

    /// The themes, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Resolved<Conn<Theme>>> {
        let listing = directory::vocabulary::listing("theme");
        crate::graphql::subtree::page::<Theme>(
            ctx,
            &listing,
            PageArgs::new(first, after, last, before),
            Theme,
        )
        .await
    }

    /// The theme with this slug, or `null`.
    async fn theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme's slug, e.g. `optrekken-met-naasten`.")] slug: String,
    ) -> AppResult<Option<Resolved<Theme>>> {
        let row = crate::graphql::subtree::row_by_slug::<theme::Model>(ctx, &slug).await?;
        crate::graphql::subtree::one(ctx, row, Theme).await
    }

    /// The tags, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Resolved<Conn<Tag>>> {
        let listing = directory::vocabulary::listing("tag");
        crate::graphql::subtree::page::<Tag>(
            ctx,
            &listing,
            PageArgs::new(first, after, last, before),
            Tag,
        )
        .await
    }

    /// The tag with this slug, or `null`.
    async fn tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag's slug, e.g. `clienten`.")] slug: String,
    ) -> AppResult<Option<Resolved<Tag>>> {
        let row = crate::graphql::subtree::row_by_slug::<tag::Model>(ctx, &slug).await?;
        crate::graphql::subtree::one(ctx, row, Tag).await
    }
}
