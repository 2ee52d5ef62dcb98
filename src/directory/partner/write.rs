//! Curating the partner bodies (administrators).

use sea_orm::{DatabaseConnection, Value};

use crate::auth::{Viewer, policy};
use crate::db::write::{RowWrite, insert_journaled, load_current, slug_taken, update_journaled};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::entity::partner;
use crate::error::AppResult;
use crate::text::fold;
use crate::vocab::PartnerKind;

/// Changes to a partner body: only the fields given change; `Clear` empties an optional field.
#[derive(Debug, Default)]
pub struct Changes {
    /// A new slug.
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// The usual abbreviation.
    pub short_name: Patch<String>,
    /// The kind of body.
    pub kind: Option<PartnerKind>,
    /// The role in the movement.
    pub role: Option<String>,
    /// A short description.
    pub description: Option<String>,
    /// The website (an http(s) URL).
    pub website: Patch<String>,
    /// Member of the core team.
    pub core_team: Option<bool>,
    /// The public e-mail address.
    pub public_email: Patch<String>,
    /// The public telephone number.
    pub public_phone: Patch<String>,
    /// The contact person (partner-only).
    pub contact_name: Patch<String>,
    /// The contact person's e-mail address (partner-only).
    pub contact_email: Patch<String>,
    /// The contact person's telephone number (partner-only).
    pub contact_phone: Patch<String>,
}

/// An optional text's column value: trimmed, and empty text stored as nothing.
fn optional(value: Patch<String>) -> Option<Value> {
    match value {
        Patch::Keep => None,
        Patch::Clear => Some(Option::<String>::None.into()),
        Patch::Set(v) => Some(Some(v.trim().to_owned()).filter(|v| !v.is_empty()).into()),
    }
}

/// Checks the changes and turns them into column values.
async fn columns(
    db: &DatabaseConnection,
    changes: Changes,
    except: Option<i32>,
    checks: &mut Checks,
) -> AppResult<Vec<(&'static str, Value)>> {
    let mut values: Vec<(&'static str, Value)> = Vec::new();
    if let Some(slug) = changes.slug {
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
    if let Some(name) = changes.name {
        checks.text("name", &name, MAX_LINE);
        values.push(("sort_name", fold(&name).into()));
        values.push(("name", name.trim().to_owned().into()));
    }
    if let Some(kind) = changes.kind {
        values.push(("kind", sea_orm::ActiveEnum::to_value(&kind).into()));
    }
    if let Some(role) = changes.role {
        checks.max("role", &role, MAX_TEXT);
        values.push(("role", role.into()));
    }
    if let Some(description) = changes.description {
        checks.max("description", &description, MAX_TEXT);
        values.push(("description", description.into()));
    }
    if let Some(core_team) = changes.core_team {
        values.push(("core_team", core_team.into()));
    }
    checks.url("website", changes.website.value().map(String::as_str));
    checks.email(
        "publicEmail",
        changes.public_email.value().map(String::as_str),
    );
    checks.email(
        "contactEmail",
        changes.contact_email.value().map(String::as_str),
    );
    for (field, column, value) in [
        ("shortName", "short_name", changes.short_name),
        ("website", "website", changes.website),
        ("publicEmail", "public_email", changes.public_email),
        ("publicPhone", "public_phone", changes.public_phone),
        ("contactName", "contact_name", changes.contact_name),
        ("contactEmail", "contact_email", changes.contact_email),
        ("contactPhone", "contact_phone", changes.contact_phone),
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

/// Creates a partner body (administrators); the slug is made from the name when absent.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    mut changes: Changes,
) -> AppResult<Outcome<partner::Model>> {
    admin(viewer)?;
    let mut checks = Checks::default();
    let name = changes.name.clone().unwrap_or_default();
    checks.text("name", &name, MAX_LINE);
    changes.slug = Some(checks.slug_or_from_name(changes.slug.take(), &name));
    let values = columns(db, changes, None, &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let actor = viewer.actor();
    let write = RowWrite {
        actor: &actor,
        entity_type: "partner",
        values,
    };
    Ok(Ok(insert_journaled(db, write).await?))
}

/// Updates partner body `id` at `version` (administrators).
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
    changes: Changes,
) -> AppResult<Outcome<partner::Model>> {
    admin(viewer)?;
    let id = GlobalId::parse_as(id, NodeType::Partner)?;
    let before: partner::Model = load_current(db, id, "partner", version).await?;
    let mut checks = Checks::default();
    let values = columns(db, changes, Some(id), &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let actor = viewer.actor();
    let write = RowWrite {
        actor: &actor,
        entity_type: "partner",
        values,
    };
    Ok(Ok(update_journaled(db, &before, write, false).await?))
}
