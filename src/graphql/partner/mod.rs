//! Partner bodies of the movement: knowledge institutes, sector associations, government,
//! regulators, care offices, client organizations and supporters.

pub mod mutation;

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::db::page::PageArgs;
use crate::directory;
use crate::entity::partner;
use crate::error::AppResult;
use crate::graphql::connection::{Conn, connection};
use crate::graphql::node::{NodeId, NodeType};
use crate::vocab::PartnerKind;

/// A national partner or stakeholder of the movement.
pub struct Partner(pub partner::Model);

/// A national partner or stakeholder of the movement.
#[Object]
impl Partner {
    /// The partner's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::Partner.id(self.0.id)
    }

    /// The URL-safe name, e.g. `trimbos-instituut`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The partner's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The usual abbreviation, e.g. "IGJ" or "NZa".
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }

    /// The kind of body.
    async fn kind(&self) -> PartnerKind {
        self.0.kind
    }

    /// The partner's role in the movement.
    async fn role(&self) -> &str {
        &self.0.role
    }

    /// A short description, as plain text or Markdown; never trusted HTML.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The partner's website.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// Whether the partner is a member of the movement's core team.
    async fn core_team(&self) -> bool {
        self.0.core_team
    }

    /// The partner's public e-mail address for the movement.
    async fn public_email(&self) -> Option<&str> {
        self.0.public_email.as_deref()
    }

    /// The partner's public telephone number for the movement.
    async fn public_phone(&self) -> Option<&str> {
        self.0.public_phone.as_deref()
    }

    /// The contact person at the partner (partners and administrators).
    async fn contact_name(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        self.contacts(ctx).map(|_| self.0.contact_name.as_deref())
    }

    /// The contact person's e-mail address (partners and administrators).
    async fn contact_email(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        self.contacts(ctx).map(|_| self.0.contact_email.as_deref())
    }

    /// The contact person's telephone number (partners and administrators).
    async fn contact_phone(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        self.contacts(ctx).map(|_| self.0.contact_phone.as_deref())
    }

    /// When the partner was added to the directory.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the partner was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }
}

impl Partner {
    fn contacts(&self, ctx: &Context<'_>) -> AppResult<()> {
        let viewer = crate::graphql::viewer(ctx);
        if crate::auth::policy::can_read_partner_contacts(viewer) {
            Ok(())
        } else {
            Err(crate::auth::policy::refuse(
                viewer,
                "read contact details (partner-only)",
            ))
        }
    }
}

/// Which partners to list.
#[derive(Debug, Default, InputObject)]
pub struct PartnerFilter {
    /// Kinds of body; any of them matches.
    pub kinds: Option<Vec<PartnerKind>>,
    /// Only core-team members (`true`) or only others (`false`).
    pub core_team: Option<bool>,
}

impl From<PartnerFilter> for directory::partner::Filter {
    fn from(f: PartnerFilter) -> Self {
        Self {
            kinds: f.kinds,
            core_team: f.core_team,
        }
    }
}

/// Root fields for partners.
#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// The partner bodies, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which partners to list.")] filter: Option<PartnerFilter>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Partner>> {
        let filter = directory::partner::Filter::from(filter.unwrap_or_default());
        let listing = directory::partner::listing(filter.condition());
        let page =
            crate::graphql::list(ctx, &listing, PageArgs::new(first, after, last, before)).await?;
        Ok(connection(page, &listing.sort, Partner))
    }

    /// The partner with this slug, or `null`.
    async fn partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner's slug, e.g. `trimbos-instituut`.")] slug: String,
    ) -> AppResult<Option<Partner>> {
        Ok(crate::graphql::find_by_slug::<partner::Model>(ctx, &slug)
            .await?
            .map(Partner))
    }
}
