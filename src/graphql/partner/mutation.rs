//! Mutations of partner bodies (administrators).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use crate::directory::checks::Patch;
use crate::directory::id::NodeType;
use crate::directory::partner::write::{self, Changes};
use crate::directory::vocabulary::write::delete;
use crate::entity::partner;
use crate::error::AppResult;
use crate::graphql::organization::mutation::{DeleteInput, DeletePayload};
use crate::graphql::partner::Partner;
use crate::graphql::payload::{patch, payload};
use crate::graphql::{db, viewer};
use crate::vocab::PartnerKind;

/// A new partner body.
#[derive(InputObject)]
pub struct CreatePartnerInput {
    /// The slug (default: derived from the name).
    pub slug: Option<String>,
    /// The name.
    pub name: String,
    /// The usual abbreviation.
    pub short_name: Option<String>,
    /// The kind of body.
    pub kind: PartnerKind,
    /// The role in the movement.
    #[graphql(default)]
    pub role: String,
    /// A short description.
    #[graphql(default)]
    pub description: String,
    /// The website (an http(s) URL).
    pub website: Option<String>,
    /// Member of the core team.
    #[graphql(default)]
    pub core_team: bool,
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
}

/// Changes to a partner body: only the fields given change; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdatePartnerInput {
    /// The partner's ID.
    pub id: ID,
    /// The version last read; a stale one is refused with `CONFLICT`.
    pub version: i64,
    /// The changes.
    #[graphql(flatten)]
    pub changes: PartnerChanges,
}

/// The fields of a partner body to change: only those given change; `null` clears an optional
/// field.
#[derive(InputObject)]
pub struct PartnerChanges {
    /// A new slug.
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// The usual abbreviation.
    pub short_name: MaybeUndefined<String>,
    /// The kind of body.
    pub kind: Option<PartnerKind>,
    /// The role in the movement.
    pub role: Option<String>,
    /// A short description.
    pub description: Option<String>,
    /// The website (an http(s) URL).
    pub website: MaybeUndefined<String>,
    /// Member of the core team.
    pub core_team: Option<bool>,
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
}

impl From<CreatePartnerInput> for Changes {
    fn from(input: CreatePartnerInput) -> Self {
        Self {
            slug: input.slug,
            name: Some(input.name),
            short_name: Patch::given(input.short_name),
            kind: Some(input.kind),
            role: Some(input.role),
            description: Some(input.description),
            website: Patch::given(input.website),
            core_team: Some(input.core_team),
            public_email: Patch::given(input.public_email),
            public_phone: Patch::given(input.public_phone),
            contact_name: Patch::given(input.contact_name),
            contact_email: Patch::given(input.contact_email),
            contact_phone: Patch::given(input.contact_phone),
        }
    }
}

impl From<PartnerChanges> for Changes {
    fn from(input: PartnerChanges) -> Self {
        Self {
            slug: input.slug,
            name: input.name,
            short_name: patch(input.short_name),
            kind: input.kind,
            role: input.role,
            description: input.description,
            website: patch(input.website),
            core_team: input.core_team,
            public_email: patch(input.public_email),
            public_phone: patch(input.public_phone),
            contact_name: patch(input.contact_name),
            contact_email: patch(input.contact_email),
            contact_phone: patch(input.contact_phone),
        }
    }
}

payload!(
    /// The result of `createPartner` and `updatePartner`.
    PartnerPayload, partner: Partner
);

/// Mutations of partner bodies.
#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl PartnerMutation {
    /// Creates a partner body (administrators).
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new partner.")] input: CreatePartnerInput,
    ) -> AppResult<Option<PartnerPayload>> {
        Ok(Some(PartnerPayload::outcome(
            write::create(db(ctx), viewer(ctx), input.into()).await?,
            Partner,
        )))
    }

    /// Updates a partner body (administrators).
    async fn update_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdatePartnerInput,
    ) -> AppResult<Option<PartnerPayload>> {
        Ok(Some(PartnerPayload::outcome(
            write::update(
                db(ctx),
                viewer(ctx),
                &input.id,
                input.version,
                input.changes.into(),
            )
            .await?,
            Partner,
        )))
    }

    /// Deletes a partner body (administrators); its tokens stop working.
    async fn delete_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        let what = NodeType::Partner;
        delete::<partner::Entity>(db(ctx), viewer(ctx), what, &input.id, input.version).await?;
        Ok(Some(DeletePayload::done(input.id)))
    }
}
