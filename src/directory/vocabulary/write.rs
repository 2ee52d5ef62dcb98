//! Curating the vocabulary (administrators): themes, tags and target groups, which share one
//! shape (slug, name, description), and the soft delete that partners and regions share too.

use sea_orm::{DatabaseConnection, Value};

use crate::auth::{Viewer, policy};
use crate::db::page::Row;
use crate::db::write::{
    RowWrite, Versioned, insert_journaled, load_current, slug_taken, update_journaled,
};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::error::AppResult;
use crate::text::fold;

/// Changes to a theme, tag or target group: only the fields given change.
#[derive(Debug, Default)]
pub struct TermChanges {
    /// A new slug.
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// A short description.
    pub description: Patch<String>,
}

/// Checks slug, name and description and turns them into the column values of `table`.
pub(crate) async fn term_columns(
    db: &DatabaseConnection,
    table: &str,
    changes: TermChanges,
    except: Option<i32>,
    checks: &mut Checks,
) -> AppResult<Vec<(&'static str, Value)>> {
    let mut values: Vec<(&'static str, Value)> = Vec::new();
    if let Some(slug) = changes.slug {
        checks.slug("slug", &slug);
        if checks.ok() && slug_taken(db, table, &slug, except).await? {
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
    match changes.description {
        Patch::Keep => {}
        Patch::Clear => values.push(("description", Option::<String>::None.into())),
        Patch::Set(text) => {
            checks.max("description", &text, MAX_TEXT);
            values.push(("description", Some(text).into()));
        }
    }
    Ok(values)
}

/// Creates a term of `M`'s table (administrators); the slug is made from the name when absent.
pub async fn create<M: Row + serde::Serialize>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    entity_type: &'static str,
    mut changes: TermChanges,
) -> AppResult<Outcome<M>> {
    policy::require_admin(viewer, "curate the vocabulary")?;
    let mut checks = Checks::default();
    let name = changes.name.clone().unwrap_or_default();
    checks.text("name", &name, MAX_LINE);
    changes.slug = Some(checks.slug_or_from_name(changes.slug.take(), &name));
    let values = term_columns(db, M::TABLE, changes, None, &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let actor = viewer.actor();
    let write = RowWrite {
        actor: &actor,
        entity_type,
        values,
    };
    Ok(Ok(insert_journaled(db, write).await?))
}

/// Updates term `id` of `M`'s table at `version` (administrators).
pub async fn update<M: Row + Versioned + serde::Serialize>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    (entity_type, node_type): (&'static str, NodeType),
    id: &str,
    version: i64,
    changes: TermChanges,
) -> AppResult<Outcome<M>> {
    policy::require_admin(viewer, "curate the vocabulary")?;
    let id = GlobalId::parse_as(id, node_type)?;
    let before: M = load_current(db, id, entity_type, version).await?;
    let mut checks = Checks::default();
    let values = term_columns(db, M::TABLE, changes, Some(id), &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let actor = viewer.actor();
    let write = RowWrite {
        actor: &actor,
        entity_type,
        values,
    };
    Ok(Ok(update_journaled(db, &before, write, false).await?))
}

/// Softly deletes row `id` of `M`'s table at `version` (administrators): a term, a region or a
/// partner body.
pub async fn delete<M: Row + Versioned + serde::Serialize>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    (entity_type, node_type): (&'static str, NodeType),
    id: &str,
    version: i64,
) -> AppResult<()> {
    policy::require_admin(viewer, &format!("delete a {}", node_type.name()))?;
    let id = GlobalId::parse_as(id, node_type)?;
    let before: M = load_current(db, id, entity_type, version).await?;
    let actor = viewer.actor();
    let write = RowWrite {
        actor: &actor,
        entity_type,
        values: Vec::new(),
    };
    update_journaled(db, &before, write, true).await?;
    Ok(())
}
