//! Mutations of organizations.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::NaiveDate;

use crate::error::AppResult;
use crate::graphql::organization::Organization;
use crate::graphql::organization::write::{self, Changes};
use crate::graphql::payload::{defined, payload};
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
}

impl From<CreateOrganizationInput> for Changes {
    fn from(i: CreateOrganizationInput) -> Self {
        Self {
            slug: i.slug,
            name: Some(i.name),
            also_known_as: Some(i.also_known_as),
            description: Some(i.description),
            website: defined(i.website),
            logo_url: defined(i.logo_url),
            city: defined(i.city),
            size: defined(i.size),
            care_domains: Some(i.care_domains),
            status: i.status,
            joined_on: defined(i.joined_on),
            joined_note: defined(i.joined_note),
            public_email: defined(i.public_email),
            public_phone: defined(i.public_phone),
            contact_name: defined(i.contact_name),
            contact_email: defined(i.contact_email),
            contact_phone: defined(i.contact_phone),
            region_ids: Some(i.region_ids),
            target_group_ids: Some(i.target_group_ids),
            theme_ids: Some(i.theme_ids),
            tag_ids: Some(i.tag_ids),
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
    pub changes: Changes,
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
                input.changes,
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
