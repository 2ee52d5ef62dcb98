//! Curating the partner bodies (administrators).

use sea_orm::{ActiveValue::Set, DatabaseConnection};

use crate::auth::{Viewer, policy};
use crate::db::write::{create_one, load_current, slug_taken, update_one};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::directory::vocabulary::write::slug_taken_problem;
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

/// An optional text's new value: trimmed, and empty text stored as nothing.
fn optional(value: Patch<String>) -> Option<Option<String>> {
    match value {
        Patch::Keep => None,
        Patch::Clear => Some(None),
        Patch::Set(v) => Some(Some(v.trim().to_owned()).filter(|v| !v.is_empty())),
    }
}

/// Checks the changes and sets them on a partner row.
async fn changed_row(
    db: &DatabaseConnection,
    changes: Changes,
    except: Option<i32>,
    checks: &mut Checks,
) -> AppResult<partner::ActiveModel> {
    let mut row = partner::ActiveModel::default();
    if let Some(slug) = changes.slug {
        checks.slug("slug", &slug);
        if checks.ok()
            && slug_taken::<partner::Entity>(db, partner::Column::Slug, &slug, except).await?
        {
            checks.push(
                "slug",
                ProblemCode::Taken,
                format!("the slug `{slug}` is taken"),
            );
        }
        row.slug = Set(slug);
    }
    if let Some(name) = changes.name {
        checks.text("name", &name, MAX_LINE);
        row.sort_name = Set(fold(&name));
        row.name = Set(name.trim().to_owned());
    }
    if let Some(kind) = changes.kind {
        row.kind = Set(kind);
    }
    if let Some(role) = changes.role {
        checks.max("role", &role, MAX_TEXT);
        row.role = Set(role);
    }
    if let Some(description) = changes.description {
        checks.max("description", &description, MAX_TEXT);
        row.description = Set(description);
    }
    if let Some(core_team) = changes.core_team {
        row.core_team = Set(core_team);
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
        ("shortName", &mut row.short_name, changes.short_name),
        ("website", &mut row.website, changes.website),
        ("publicEmail", &mut row.public_email, changes.public_email),
        ("publicPhone", &mut row.public_phone, changes.public_phone),
        ("contactName", &mut row.contact_name, changes.contact_name),
        (
            "contactEmail",
            &mut row.contact_email,
            changes.contact_email,
        ),
        (
            "contactPhone",
            &mut row.contact_phone,
            changes.contact_phone,
        ),
    ] {
        if let Some(text) = value.value() {
            checks.max(field, text, MAX_LINE);
        }
        if let Some(value) = optional(value) {
            *column = Set(value);
        }
    }
    Ok(row)
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
    let row = changed_row(db, changes, None, &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    Ok(create_one::<partner::Entity>(db, viewer.actor(), row)
        .await?
        .map_or_else(|_| slug_taken_problem(), Ok))
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
    let before = load_current::<partner::Entity>(db, id, "partner", version).await?;
    let mut checks = Checks::default();
    let row = changed_row(db, changes, Some(id), &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    Ok(Ok(update_one::<partner::Entity>(
        db,
        viewer.actor(),
        &before,
        Some(row),
    )
    .await?))
}
