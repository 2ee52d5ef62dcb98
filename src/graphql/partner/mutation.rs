//! Mutations of partner bodies (administrators).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use sea_orm::Value;

use crate::auth::{Viewer, policy};
use crate::db::write::{RowWrite, insert_journaled, load_current, slug_taken, update_journaled};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, ProblemCode};
use crate::entity::partner;
use crate::error::AppResult;
use crate::graphql::node::{GlobalId, NodeType};
use crate::graphql::organization::mutation::{DeleteInput, DeletePayload};
use crate::graphql::partner::Partner;
use crate::graphql::payload::{defined, payload};
use crate::graphql::{db, viewer};
use crate::text::fold;
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

payload!(
    /// The result of `createPartner` and `updatePartner`.
    PartnerPayload, partner: Partner
);

fn optional(value: MaybeUndefined<String>) -> Option<Value> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(Option::<String>::None.into()),
        MaybeUndefined::Value(v) => {
            Some(Some(v.trim().to_owned()).filter(|v| !v.is_empty()).into())
        }
    }
}

/// Validates and turns an update into column values.
async fn columns(
    db: &sea_orm::DatabaseConnection,
    input: PartnerChanges,
    except: Option<i32>,
    checks: &mut Checks,
) -> AppResult<Vec<(&'static str, Value)>> {
    let mut values: Vec<(&'static str, Value)> = Vec::new();
    if let Some(slug) = input.slug {
        checks.slug("slug", &slug);
        if checks.ok() && slug_taken(db, "partner", &slug, except).await? {
            checks.push(
                "slug",
                ProblemCode::Taken,
                format!("the slug `{slug}` is taken"),
            );
        }
        values.push(("slug", slug.into()));
    }
    if let Some(name) = input.name {
        checks.text("name", &name, MAX_LINE);
        values.push(("sort_name", fold(&name).into()));
        values.push(("name", name.trim().to_owned().into()));
    }
    if let Some(kind) = input.kind {
        values.push(("kind", sea_orm::ActiveEnum::to_value(&kind).into()));
    }
    if let Some(role) = input.role {
        checks.max("role", &role, MAX_TEXT);
        values.push(("role", role.into()));
    }
    if let Some(description) = input.description {
        checks.max("description", &description, MAX_TEXT);
        values.push(("description", description.into()));
    }
    if let Some(core_team) = input.core_team {
        values.push(("core_team", core_team.into()));
    }
    checks.url("website", input.website.value().map(String::as_str));
    checks.email(
        "publicEmail",
        input.public_email.value().map(String::as_str),
    );
    checks.email(
        "contactEmail",
        input.contact_email.value().map(String::as_str),
    );
    for (field, column, value) in [
        ("shortName", "short_name", input.short_name),
        ("website", "website", input.website),
        ("publicEmail", "public_email", input.public_email),
        ("publicPhone", "public_phone", input.public_phone),
        ("contactName", "contact_name", input.contact_name),
        ("contactEmail", "contact_email", input.contact_email),
        ("contactPhone", "contact_phone", input.contact_phone),
    ] {
        if let Some(text) = value.value() {
            checks.max(field, text, MAX_LINE);
        }
        if let Some(value) = optional(value) {
            values.push((column, value));
        }
    }
    Ok(values)
}

fn admin(viewer: &Viewer) -> AppResult<()> {
    policy::require_admin(viewer, "curate partners")
}

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
        admin(viewer(ctx))?;
        let mut checks = Checks::default();
        checks.text("name", &input.name, MAX_LINE);
        let changes = PartnerChanges {
            slug: Some(checks.slug_or_from_name(input.slug, &input.name)),
            name: Some(input.name),
            short_name: defined(input.short_name),
            kind: Some(input.kind),
            role: Some(input.role),
            description: Some(input.description),
            website: defined(input.website),
            core_team: Some(input.core_team),
            public_email: defined(input.public_email),
            public_phone: defined(input.public_phone),
            contact_name: defined(input.contact_name),
            contact_email: defined(input.contact_email),
            contact_phone: defined(input.contact_phone),
        };
        let values = columns(db(ctx), changes, None, &mut checks).await?;
        if !checks.ok() {
            return Ok(Some(PartnerPayload::refused(checks.into_errors())));
        }
        let actor = viewer(ctx).actor();
        let row: partner::Model = insert_journaled(
            db(ctx),
            RowWrite {
                actor: &actor,
                entity_type: "partner",
                values,
            },
        )
        .await?;
        Ok(Some(PartnerPayload::done(Partner(row))))
    }

    /// Updates a partner body (administrators).
    async fn update_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdatePartnerInput,
    ) -> AppResult<Option<PartnerPayload>> {
        admin(viewer(ctx))?;
        let id = GlobalId::parse_as(&input.id, NodeType::Partner)?;
        let before: partner::Model = load_current(db(ctx), id, "partner", input.version).await?;
        let mut checks = Checks::default();
        let values = columns(db(ctx), input.changes, Some(id), &mut checks).await?;
        if !checks.ok() {
            return Ok(Some(PartnerPayload::refused(checks.into_errors())));
        }
        let actor = viewer(ctx).actor();
        let row = update_journaled(
            db(ctx),
            &before,
            RowWrite {
                actor: &actor,
                entity_type: "partner",
                values,
            },
            false,
        )
        .await?;
        Ok(Some(PartnerPayload::done(Partner(row))))
    }

    /// Deletes a partner body (administrators); its tokens stop working.
    async fn delete_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        crate::graphql::vocabulary::mutation::delete_row::<partner::Model>(
            ctx,
            "partner",
            NodeType::Partner,
            input,
        )
        .await
        .map(Some)
    }
}
