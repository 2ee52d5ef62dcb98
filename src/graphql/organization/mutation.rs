//! Mutations of organizations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::NaiveDate;

use crate::directory::checks::Patch;
use crate::directory::organization::write::{self, Changes, Identifiers};
use crate::error::AppResult;
use crate::graphql::node::NodeId;
use crate::graphql::organization::Organization;
use crate::graphql::payload::{patch, payload};
use crate::graphql::{db, viewer};
use crate::vocab::{CareDomain, OrganizationSize, OrganizationStatus};

/// A new organization. Texts are plain text or Markdown; HTML is stored as text, never trusted.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// The slug (default: derived from the name, e.g. "GGZ Friesland" → `ggz-friesland`).
    pub slug: Option<String>,
    /// The name (at most 200 characters).
    pub name: String,
    /// Other names the organization is known by.
    #[graphql(default)]
    pub also_known_as: Vec<String>,
    /// A short description.
    #[graphql(default)]
    pub description: String,
    /// The website (an http(s) URL).
    pub website: Option<String>,
    /// The URL of the logo.
    pub logo_url: Option<String>,
    /// The city of the head office.
    pub city: Option<String>,
    /// The size.
    pub size: Option<OrganizationSize>,
    /// The domains of care provided.
    #[graphql(default)]
    pub care_domains: Vec<CareDomain>,
    /// The relation to the network (default: `PARTICIPANT`).
    pub status: Option<OrganizationStatus>,
    /// When the organization joined.
    pub joined_on: Option<NaiveDate>,
    /// How the joining is publicly known.
    pub joined_note: Option<String>,
    /// The public e-mail address.
    pub public_email: Option<String>,
    /// The public telephone number.
    pub public_phone: Option<String>,
    /// The contact person (partner-only).
    pub contact_name: Option<String>,
    /// The contact person's e-mail address (partner-only).
    pub contact_email: Option<String>,
    /// The contact person's telephone number (partner-only).
    pub contact_phone: Option<String>,
    /// IDs of the regions worked in.
    #[graphql(default)]
    pub region_ids: Vec<ID>,
    /// IDs of the target groups served.
    #[graphql(default)]
    pub target_group_ids: Vec<ID>,
    /// IDs of the themes worked on.
    #[graphql(default)]
    pub theme_ids: Vec<ID>,
    /// IDs of the tags.
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
    /// The Chamber of Commerce number (KvK-nummer): 8 digits; spaces and dots are ignored.
    pub kvk_number: Option<String>,
    /// The care-provider code (AGB-code): 8 digits; spaces and dots are ignored.
    pub agb_code: Option<String>,
    /// The domain of the website, e.g. `ggzfriesland.nl` (no `https://`, no path).
    pub website_domain: Option<String>,
}

impl From<CreateOrganizationInput> for Changes {
    fn from(i: CreateOrganizationInput) -> Self {
        Self {
            slug: i.slug,
            name: Some(i.name),
            also_known_as: Some(i.also_known_as),
            description: Some(i.description),
            website: Patch::given(i.website),
            logo_url: Patch::given(i.logo_url),
            city: Patch::given(i.city),
            size: Patch::given(i.size),
            care_domains: Some(i.care_domains),
            status: i.status,
            joined_on: Patch::given(i.joined_on),
            joined_note: Patch::given(i.joined_note),
            public_email: Patch::given(i.public_email),
            public_phone: Patch::given(i.public_phone),
            contact_name: Patch::given(i.contact_name),
            contact_email: Patch::given(i.contact_email),
            contact_phone: Patch::given(i.contact_phone),
            region_ids: Some(ids(i.region_ids)),
            target_group_ids: Some(ids(i.target_group_ids)),
            theme_ids: Some(ids(i.theme_ids)),
            tag_ids: Some(ids(i.tag_ids)),
            identifiers: Identifiers {
                kvk_number: Patch::given(i.kvk_number),
                agb_code: Patch::given(i.agb_code),
                website_domain: Patch::given(i.website_domain),
            },
        }
    }
}

/// Changes to an organization: only the fields given change; `null` clears an optional field.
/// Lists of IDs replace the current links.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// The organization's ID.
    pub id: ID,
    /// The version last read; a stale one is refused with `CONFLICT`.
    pub version: i64,
    /// The changes.
    #[graphql(flatten)]
    pub changes: OrganizationChanges,
}

/// Changes to an organization: only the fields given change; `null` clears an optional field.
/// Lists of IDs replace the current links.
#[derive(Debug, Default, InputObject)]
pub struct OrganizationChanges {
    /// A new slug (administrators only).
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// Other names the organization is known by.
    pub also_known_as: Option<Vec<String>>,
    /// A short description.
    pub description: Option<String>,
    /// The website (an http(s) URL).
    pub website: MaybeUndefined<String>,
    /// The URL of the logo.
    pub logo_url: MaybeUndefined<String>,
    /// The city of the head office.
    pub city: MaybeUndefined<String>,
    /// The size.
    pub size: MaybeUndefined<OrganizationSize>,
    /// The domains of care provided.
    pub care_domains: Option<Vec<CareDomain>>,
    /// The relation to the network (administrators only).
    pub status: Option<OrganizationStatus>,
    /// When the organization joined (administrators only).
    pub joined_on: MaybeUndefined<NaiveDate>,
    /// How the joining is publicly known.
    pub joined_note: MaybeUndefined<String>,
    /// The public e-mail address.
    pub public_email: MaybeUndefined<String>,
    /// The public telephone number.
    pub public_phone: MaybeUndefined<String>,
    /// The contact person (partner-only).
    pub contact_name: MaybeUndefined<String>,
    /// The contact person's e-mail address (partner-only).
    pub contact_email: MaybeUndefined<String>,
    /// The contact person's telephone number (partner-only).
    pub contact_phone: MaybeUndefined<String>,
    /// IDs of the regions worked in.
    pub region_ids: Option<Vec<ID>>,
    /// IDs of the target groups served.
    pub target_group_ids: Option<Vec<ID>>,
    /// IDs of the themes worked on.
    pub theme_ids: Option<Vec<ID>>,
    /// IDs of the tags.
    pub tag_ids: Option<Vec<ID>>,
    /// The Chamber of Commerce number (KvK-nummer): 8 digits; spaces and dots are ignored;
    /// `null` or `""` clears it.
    pub kvk_number: MaybeUndefined<String>,
    /// The care-provider code (AGB-code): 8 digits; spaces and dots are ignored; `null` or `""`
    /// clears it.
    pub agb_code: MaybeUndefined<String>,
    /// The domain of the website, e.g. `ggzfriesland.nl` (no `https://`, no path); `null` or
    /// `""` clears it.
    pub website_domain: MaybeUndefined<String>,
}

impl From<OrganizationChanges> for Changes {
    fn from(i: OrganizationChanges) -> Self {
        Self {
            slug: i.slug,
            name: i.name,
            also_known_as: i.also_known_as,
            description: i.description,
            website: patch(i.website),
            logo_url: patch(i.logo_url),
            city: patch(i.city),
            size: patch(i.size),
            care_domains: i.care_domains,
            status: i.status,
            joined_on: patch(i.joined_on),
            joined_note: patch(i.joined_note),
            public_email: patch(i.public_email),
            public_phone: patch(i.public_phone),
            contact_name: patch(i.contact_name),
            contact_email: patch(i.contact_email),
            contact_phone: patch(i.contact_phone),
            region_ids: i.region_ids.map(ids),
            target_group_ids: i.target_group_ids.map(ids),
            theme_ids: i.theme_ids.map(ids),
            tag_ids: i.tag_ids.map(ids),
            identifiers: Identifiers {
                kvk_number: patch(i.kvk_number),
                agb_code: patch(i.agb_code),
                website_domain: patch(i.website_domain),
            },
        }
    }
}

/// Global IDs as the core reads them: text.
pub fn ids(ids: Vec<ID>) -> Vec<String> {
    ids.into_iter().map(|id| id.0).collect()
}

/// Which object to delete, at which version.
#[derive(InputObject)]
pub struct DeleteInput {
    /// The object's ID.
    pub id: ID,
    /// The version last read; a stale one is refused with `CONFLICT`.
    pub version: i64,
}

payload!(
    /// The result of `createOrganization`.
    CreateOrganizationPayload, organization: Organization
);
payload!(
    /// The result of `updateOrganization`.
    UpdateOrganizationPayload, organization: Organization
);
payload!(
    /// The result of a delete: the ID of the deleted object.
    DeletePayload, deleted_id: ID
);

/// Mutations of organizations.
#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Creates an organization (administrators).
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new organization.")] input: CreateOrganizationInput,
    ) -> AppResult<Option<CreateOrganizationPayload>> {
        Ok(Some(CreateOrganizationPayload::outcome(
            write::create(db(ctx), viewer(ctx), input.into()).await?,
            Organization,
        )))
    }

    /// Updates an organization: administrators any, an organization its own profile and links.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateOrganizationInput,
    ) -> AppResult<Option<UpdateOrganizationPayload>> {
        Ok(Some(UpdateOrganizationPayload::outcome(
            write::update(
                db(ctx),
                viewer(ctx),
                &input.id,
                input.version,
                input.changes.into(),
            )
            .await?,
            Organization,
        )))
    }

    /// Deletes an organization (administrators). The deletion is soft: partners see a tombstone
    /// in the change feed, and the organization's tokens stop working.
    async fn delete_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        let id = write::delete(db(ctx), viewer(ctx), &input.id, input.version).await?;
        Ok(Some(DeletePayload::done(
            crate::graphql::node::NodeType::Organization.id(id),
        )))
    }
}
