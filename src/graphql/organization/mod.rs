//! Organizations (participants): the GraphQL type, its relations and the root queries.

pub mod mutation;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, NaiveDate, Utc};

use crate::db::page::PageArgs;
use crate::directory;
use crate::entity::organization;
use crate::error::AppResult;
use crate::graphql::connection::Conn;
use crate::graphql::loader::{Relation, care_domains, related_connection};
use crate::graphql::node::{NodeId, NodeType};
use crate::graphql::post::Post;
use crate::graphql::region::Region;
use crate::graphql::subtree::{Kind, Leaf, Linked, Resolved, Subtree, opt_text, text, value};
use crate::graphql::vocabulary::{Tag, TargetGroup, Theme};
use crate::vocab::{CareDomain, OrganizationSize, OrganizationStatus};

/// A care organization in the directory: a participant of the network, or one considering
/// taking part, or a former participant.
pub struct Organization(pub organization::Model);

/// A care organization in the directory: a participant of the network, or one considering
/// taking part, or a former participant.
#[Object]
impl Organization {
    /// The organization's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::Organization.id(self.0.id)
    }

    /// The URL-safe name: lowercase ASCII words joined by `-`, e.g. `ggz-friesland`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The organization's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Other names the organization is known by (former names, brands, parts).
    async fn also_known_as(&self) -> &[String] {
        &self.0.also_known_as.0
    }

    /// A short description, as plain text or Markdown; never trusted HTML.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The organization's website.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// The URL of the organization's logo.
    async fn logo_url(&self) -> Option<&str> {
        self.0.logo_url.as_deref()
    }

    /// The city of the organization's head office.
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }

    /// The organization's size.
    async fn size(&self) -> Option<OrganizationSize> {
        self.0.size
    }

    /// The organization's relation to the network.
    async fn status(&self) -> OrganizationStatus {
        self.0.status
    }

    /// When the organization joined the network (approximate where only a period is known;
    /// see `joinedNote`).
    async fn joined_on(&self) -> Option<NaiveDate> {
        self.0.joined_on
    }

    /// How the joining is publicly known, e.g. "Vanaf de start, januari 2021".
    async fn joined_note(&self) -> Option<&str> {
        self.0.joined_note.as_deref()
    }

    /// The organization's public e-mail address.
    async fn public_email(&self) -> Option<&str> {
        self.0.public_email.as_deref()
    }

    /// The organization's public telephone number.
    async fn public_phone(&self) -> Option<&str> {
        self.0.public_phone.as_deref()
    }

    /// The contact person (partners, administrators and the organization itself).
    async fn contact_name(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        self.contacts(ctx).map(|_| self.0.contact_name.as_deref())
    }

    /// The contact person's e-mail address (partners, administrators and the organization itself).
    async fn contact_email(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        self.contacts(ctx).map(|_| self.0.contact_email.as_deref())
    }

    /// The contact person's telephone number (partners, administrators and the organization
    /// itself).
    async fn contact_phone(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        self.contacts(ctx).map(|_| self.0.contact_phone.as_deref())
    }

    /// The organization's Chamber of Commerce number (KvK-nummer, 8 digits), to match it in the
    /// Handelsregister and in partners' own registers.
    async fn kvk_number(&self) -> Option<&str> {
        self.0.kvk_number.as_deref()
    }

    /// The organization's care-provider code (AGB-code, 8 digits) in Vektis' AGB register.
    async fn agb_code(&self) -> Option<&str> {
        self.0.agb_code.as_deref()
    }

    /// The domain of the organization's website, e.g. `ggzfriesland.nl`.
    async fn website_domain(&self) -> Option<&str> {
        self.0.website_domain.as_deref()
    }

    /// The domains of care the organization provides.
    async fn care_domains(&self, ctx: &Context<'_>) -> AppResult<Vec<CareDomain>> {
        care_domains(ctx, self.0.id).await
    }

    /// The regions the organization works in, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn regions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Region>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::OrganizationRegions, self.0.id, args, Region).await
    }

    /// The groups of people the organization serves, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn target_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<TargetGroup>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(
            ctx,
            Relation::OrganizationTargetGroups,
            self.0.id,
            args,
            TargetGroup,
        )
        .await
    }

    /// The themes the organization works on, A-Z.
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
        related_connection(ctx, Relation::OrganizationThemes, self.0.id, args, Theme).await
    }

    /// The tags the organization is filed under, A-Z.
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
        related_connection(ctx, Relation::OrganizationTags, self.0.id, args, Tag).await
    }

    /// The published posts by the organization and about it, newest first.
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
        related_connection(ctx, Relation::OrganizationPosts, self.0.id, args, Post).await
    }

    /// The events this organization hosts or takes part in: by default the upcoming ones (not yet ended), earliest start first;
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
        crate::graphql::event::events_under(
            ctx,
            Relation::OrganizationEvents,
            self.0.id,
            when,
            args,
        )
        .await
    }

    /// When the organization was added to the directory.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the organization was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }
}

impl Organization {
    fn contacts(&self, ctx: &Context<'_>) -> AppResult<()> {
        let viewer = crate::graphql::viewer(ctx);
        if crate::auth::policy::can_read_organization_contacts(viewer, self.0.id) {
            Ok(())
        } else {
            Err(crate::auth::policy::refuse(
                viewer,
                "read contact details (partner-only)",
            ))
        }
    }
}

impl Subtree for Organization {
    type Row = organization::Model;

    const COLUMNS: &'static [(&'static str, &'static [&'static str])] = &[
        ("created_at", &["createdAt"]),
        ("updated_at", &["updatedAt"]),
        ("version", &["version"]),
        ("slug", &["slug"]),
        ("name", &["name"]),
        ("name_words", &[]),
        ("also_known_as", &["alsoKnownAs"]),
        ("description", &["description"]),
        ("website", &["website"]),
        ("logo_url", &["logoUrl"]),
        ("city", &["city"]),
        ("size", &["size"]),
        ("joined_note", &["joinedNote"]),
        ("public_email", &["publicEmail"]),
        ("public_phone", &["publicPhone"]),
        ("contact_name", &[]),
        ("contact_email", &[]),
        ("contact_phone", &[]),
        ("internal_notes", &[]),
        ("kvk_number", &["kvkNumber"]),
        ("agb_code", &["agbCode"]),
        ("website_domain", &["websiteDomain"]),
    ];

    fn leaf<'r>(row: &'r organization::Model, field: &str) -> Option<Leaf<'r>> {
        Some(match field {
            "id" => value(&NodeType::Organization.id(row.id)),
            "slug" => text(&row.slug),
            "name" => text(&row.name),
            "alsoKnownAs" => value(&row.also_known_as.0),
            "description" => text(&row.description),
            "website" => opt_text(row.website.as_deref()),
            "logoUrl" => opt_text(row.logo_url.as_deref()),
            "city" => opt_text(row.city.as_deref()),
            "size" => value(&row.size),
            "status" => value(&row.status),
            "joinedOn" => value(&row.joined_on),
            "joinedNote" => opt_text(row.joined_note.as_deref()),
            "publicEmail" => opt_text(row.public_email.as_deref()),
            "publicPhone" => opt_text(row.public_phone.as_deref()),
            "kvkNumber" => opt_text(row.kvk_number.as_deref()),
            "agbCode" => opt_text(row.agb_code.as_deref()),
            "websiteDomain" => opt_text(row.website_domain.as_deref()),
            "createdAt" => value(&row.created_at),
            "updatedAt" => value(&row.updated_at),
            "version" => value(&row.version),
            // The contact fields depend on the caller, the events on the clock: the executor
            // answers those.
            _ => return None,
        })
    }

    fn link(field: &str) -> Option<Linked<organization::Model>> {
        Some(match field {
            "careDomains" => Linked::CareDomains,
            "regions" => Linked::List(Relation::OrganizationRegions, Kind::Region),
            "targetGroups" => Linked::List(Relation::OrganizationTargetGroups, Kind::TargetGroup),
            "themes" => Linked::List(Relation::OrganizationThemes, Kind::Theme),
            "tags" => Linked::List(Relation::OrganizationTags, Kind::Tag),
            "posts" => Linked::List(Relation::OrganizationPosts, Kind::Post),
            _ => return None,
        })
    }
}

/// How to order organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum OrganizationOrder {
    /// By name, A-Z (case and diacritics ignored).
    #[default]
    Name,
    /// By the date of joining, earliest first; organizations without one come last.
    JoinedOn,
}

/// Which organizations to list. Within one field any of the values matches; every field given
/// must match.
#[derive(Debug, Default, InputObject)]
pub struct OrganizationFilter {
    /// Slugs of regions; a province also matches the finer regions under it.
    pub regions: Option<Vec<String>>,
    /// Slugs of target groups.
    pub target_groups: Option<Vec<String>>,
    /// Care domains.
    pub care_domains: Option<Vec<CareDomain>>,
    /// Slugs of themes.
    pub themes: Option<Vec<String>>,
    /// Slugs of tags.
    pub tags: Option<Vec<String>>,
    /// Statuses, e.g. `[PARTICIPANT]` for the participants only.
    pub statuses: Option<Vec<OrganizationStatus>>,
    /// Text that the name or one of the also-known-as names contains; case and diacritics are
    /// ignored.
    pub name_contains: Option<String>,
    /// Chamber of Commerce numbers (KvK, 8 digits; spaces and dots are ignored).
    pub kvk_numbers: Option<Vec<String>>,
    /// Care-provider codes (AGB, 8 digits; spaces and dots are ignored).
    pub agb_codes: Option<Vec<String>>,
    /// Website domains, e.g. `ggzfriesland.nl` (case is ignored).
    pub website_domains: Option<Vec<String>>,
}

impl From<OrganizationFilter> for directory::organization::Filter {
    fn from(f: OrganizationFilter) -> Self {
        Self {
            regions: f.regions,
            target_groups: f.target_groups,
            care_domains: f.care_domains,
            themes: f.themes,
            tags: f.tags,
            statuses: f.statuses,
            name_contains: f.name_contains,
            kvk_numbers: f.kvk_numbers,
            agb_codes: f.agb_codes,
            website_domains: f.website_domains,
        }
    }
}

/// Root fields for organizations.
#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// The organizations in the directory, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which organizations to list.")] filter: Option<OrganizationFilter>,
        #[graphql(desc = "The order of the list (default: `NAME`).")] order_by: Option<
            OrganizationOrder,
        >,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Resolved<Conn<Organization>>> {
        let sort = match order_by.unwrap_or_default() {
            OrganizationOrder::Name => directory::organization::BY_NAME,
            OrganizationOrder::JoinedOn => directory::organization::BY_JOINED,
        };
        let filter = directory::organization::Filter::from(filter.unwrap_or_default());
        if filter
            .name_contains
            .as_ref()
            .is_some_and(|text| text.chars().count() > 100)
        {
            return Err(crate::error::AppError::bad_input(
                "`nameContains` may be at most 100 characters",
            ));
        }
        let filter = filter.condition();
        let listing = directory::organization::listing(filter, sort);
        crate::graphql::subtree::page::<Organization>(
            ctx,
            &listing,
            PageArgs::new(first, after, last, before),
            Organization,
        )
        .await
    }

    /// The organization with this slug, or `null`.
    async fn organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's slug, e.g. `ggz-friesland`.")] slug: String,
    ) -> AppResult<Option<Resolved<Organization>>> {
        let row = crate::graphql::subtree::row_by_slug::<organization::Model>(ctx, &slug).await?;
        crate::graphql::subtree::one(ctx, row, Organization).await
    }
}
