//! Regions: the twelve provinces and the finer regions under them.

pub mod mutation;

use async_graphql::{Context, ID, Object};
use sea_orm::sea_query::Condition;

use crate::db::page::PageArgs;
use crate::directory;
use crate::entity::region;
use crate::error::AppResult;
use crate::graphql::connection::Conn;
use crate::graphql::loader::{Relation, by_id, related_connection};
use crate::graphql::node::{NodeId, NodeType};
use crate::graphql::organization::Organization;
use crate::graphql::subtree::{Kind, Leaf, Linked, Resolved, Subtree, text, value};
use crate::vocab::RegionKind;

/// A region of the Netherlands: a province, or a finer region inside one.
pub struct Region(pub region::Model);

/// A region of the Netherlands: a province, or a finer region inside one.
#[Object]
impl Region {
    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When the record was last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    /// The region's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::Region.id(self.0.id)
    }

    /// The URL-safe name, e.g. `noord-holland`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The region's name, e.g. "Noord-Holland".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Province, or finer region.
    async fn kind(&self) -> RegionKind {
        self.0.kind
    }

    /// The province a finer region lies in; `null` for a province.
    async fn parent(&self, ctx: &Context<'_>) -> AppResult<Option<Region>> {
        match self.0.parent_id {
            Some(id) => Ok(by_id::<region::Model>(ctx, id).await?.map(Region)),
            None => Ok(None),
        }
    }

    /// The finer regions inside this province, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Region>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::RegionChildren, self.0.id, args, Region).await
    }

    /// The organizations linked to this region itself, A-Z. (To include those of the finer
    /// regions of a province, use `organizations(filter: {regions: [slug]})` at the root.)
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
            Relation::RegionOrganizations,
            self.0.id,
            args,
            Organization,
        )
        .await
    }
}

impl Subtree for Region {
    type Row = region::Model;

    const COLUMNS: &'static [(&'static str, &'static [&'static str])] = &[
        ("created_at", &[]),
        ("updated_at", &["updatedAt"]),
        ("version", &["version"]),
        ("slug", &["slug"]),
        ("name", &["name"]),
    ];

    fn leaf<'r>(row: &'r region::Model, field: &str) -> Option<Leaf<'r>> {
        Some(match field {
            "id" => value(&NodeType::Region.id(row.id)),
            "slug" => text(&row.slug),
            "name" => text(&row.name),
            "kind" => value(&row.kind),
            "updatedAt" => value(&row.updated_at),
            "version" => value(&row.version),
            _ => return None,
        })
    }

    fn link(field: &str) -> Option<Linked<region::Model>> {
        Some(match field {
            "parent" => Linked::One(Kind::Region, |row| row.parent_id),
            "children" => Linked::List(Relation::RegionChildren, Kind::Region),
            "organizations" => Linked::List(Relation::RegionOrganizations, Kind::Organization),
            _ => return None,
        })
    }
}

/// Root fields for regions.
#[derive(Default)]
pub struct RegionQuery;

#[Object]
impl RegionQuery {
    /// The regions, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn regions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only regions of this kind, e.g. `PROVINCE`.")] kind: Option<RegionKind>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Resolved<Conn<Region>>> {
        let filter = kind
            .map(directory::region::of_kind)
            .unwrap_or_else(Condition::all);
        let listing = directory::region::listing(filter);
        crate::graphql::subtree::page::<Region>(
            ctx,
            &listing,
            PageArgs::new(first, after, last, before),
            Region,
        )
        .await
    }

    /// The region with this slug, or `null`.
    async fn region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region's slug, e.g. `friesland`.")] slug: String,
    ) -> AppResult<Option<Resolved<Region>>> {
        let row = crate::graphql::subtree::row_by_slug::<region::Model>(ctx, &slug).await?;
        crate::graphql::subtree::one(ctx, row, Region).await
    }
}
