//! Curating the regions (administrators): provinces and the finer regions inside them.

use sea_orm::DatabaseConnection;

use crate::auth::{Viewer, policy};
use crate::db::write::{RowWrite, insert_journaled, load_current, load_row, update_journaled};
use crate::directory::checks::{Checks, MAX_LINE, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::directory::vocabulary::write::{TermChanges, term_columns};
use crate::entity::region;
use crate::error::AppResult;
use crate::vocab::RegionKind;

/// Changes to a region: only the fields given change.
#[derive(Debug, Default)]
pub struct RegionChanges {
    /// A new slug.
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// Province or finer region (set when created).
    pub kind: Option<RegionKind>,
    /// The global ID of the province a finer region lies in.
    pub parent_id: Patch<String>,
}

/// Resolves a region's parent: it must be an existing province.
async fn parent(db: &DatabaseConnection, id: &str, checks: &mut Checks) -> AppResult<Option<i32>> {
    let Ok(id) = GlobalId::parse_as(id, NodeType::Region) else {
        checks.push(
            "parentId",
            ProblemCode::Invalid,
            "`parentId` is not the ID of a Region",
        );
        return Ok(None);
    };
    match load_row::<region::Model>(db, id).await? {
        Some(row) if row.deleted_at.is_none() && row.kind == RegionKind::Province => Ok(Some(id)),
        _ => {
            checks.push(
                "parentId",
                ProblemCode::NotFound,
                "the parent must be an existing province",
            );
            Ok(None)
        }
    }
}

/// Creates a region (administrators); the slug is made from the name when absent.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    changes: RegionChanges,
) -> AppResult<Outcome<region::Model>> {
    policy::require_admin(viewer, "curate regions")?;
    let mut checks = Checks::default();
    let name = changes.name.unwrap_or_default();
    checks.text("name", &name, MAX_LINE);
    let term = TermChanges {
        slug: Some(checks.slug_or_from_name(changes.slug, &name)),
        name: Some(name),
        description: Patch::Keep,
    };
    let mut values = term_columns(db, "region", term, None, &mut checks).await?;
    let kind = changes.kind.unwrap_or(RegionKind::Province);
    values.push(("kind", sea_orm::ActiveEnum::to_value(&kind).into()));
    let parent_id = match changes.parent_id.value() {
        Some(id) => parent(db, id, &mut checks).await?,
        None => None,
    };
    values.push(("parent_id", parent_id.into()));
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let actor = viewer.actor();
    let write = RowWrite {
        actor: &actor,
        entity_type: "region",
        values,
    };
    Ok(Ok(insert_journaled(db, write).await?))
}

/// Updates region `id` at `version` (administrators).
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
    changes: RegionChanges,
) -> AppResult<Outcome<region::Model>> {
    policy::require_admin(viewer, "curate regions")?;
    let id = GlobalId::parse_as(id, NodeType::Region)?;
    let before: region::Model = load_current(db, id, "region", version).await?;
    let mut checks = Checks::default();
    let term = TermChanges {
        slug: changes.slug,
        name: changes.name,
        description: Patch::Keep,
    };
    let mut values = term_columns(db, "region", term, Some(id), &mut checks).await?;
    match &changes.parent_id {
        Patch::Keep => {}
        Patch::Clear => values.push(("parent_id", Option::<i32>::None.into())),
        Patch::Set(parent_id) => {
            let parent_id = parent(db, parent_id, &mut checks).await?;
            if parent_id == Some(id) {
                checks.push(
                    "parentId",
                    ProblemCode::Invalid,
                    "a region cannot be its own parent",
                );
            }
            values.push(("parent_id", parent_id.into()));
        }
    }
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let actor = viewer.actor();
    let write = RowWrite {
        actor: &actor,
        entity_type: "region",
        values,
    };
    Ok(Ok(update_journaled(db, &before, write, false).await?))
}
