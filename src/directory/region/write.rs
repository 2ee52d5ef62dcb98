//! Curating the regions (administrators): provinces and the finer regions inside them.

use sea_orm::{ActiveValue::Set, DatabaseConnection};

use crate::auth::{Viewer, policy};
use crate::db::write::{create_one, load_current, load_row, update_one};
use crate::directory::checks::{Checks, MAX_LINE, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::directory::vocabulary::write::{TermChanges, slug_taken_problem, term_changes};
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
    match load_row::<region::Entity>(db, id).await? {
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
    let mut row = term_changes::<region::Entity>(db, term, None, &mut checks).await?;
    row.kind = Set(changes.kind.unwrap_or(RegionKind::Province));
    row.parent_id = Set(match changes.parent_id.value() {
        Some(id) => parent(db, id, &mut checks).await?,
        None => None,
    });
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    Ok(create_one::<region::Entity>(db, viewer.actor(), row)
        .await?
        .map_or_else(|_| slug_taken_problem(), Ok))
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
    let before = load_current::<region::Entity>(db, id, "region", version).await?;
    let mut checks = Checks::default();
    let term = TermChanges {
        slug: changes.slug,
        name: changes.name,
        description: Patch::Keep,
    };
    let mut row = term_changes::<region::Entity>(db, term, Some(id), &mut checks).await?;
    match &changes.parent_id {
        Patch::Keep => {}
        Patch::Clear => row.parent_id = Set(None),
        Patch::Set(parent_id) => {
            let parent_id = parent(db, parent_id, &mut checks).await?;
            if parent_id == Some(id) {
                checks.push(
                    "parentId",
                    ProblemCode::Invalid,
                    "a region cannot be its own parent",
                );
            }
            row.parent_id = Set(parent_id);
        }
    }
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    Ok(Ok(update_one::<region::Entity>(
        db,
        viewer.actor(),
        &before,
        Some(row),
    )
    .await?))
}
