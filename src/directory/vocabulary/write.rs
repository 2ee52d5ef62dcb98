//! Curating the vocabulary (administrators): themes, tags, target groups and event kinds, which
//! share one shape (slug, name, description), and the soft delete that partners and regions
//! share too.

use sea_orm::{ActiveModelBehavior, ActiveModelTrait, DatabaseConnection, IntoActiveModel};

use crate::auth::{Viewer, policy};
use crate::db::write::{
    Journaled, Versioned, VersionedEntity, create_one, load_current, slug_taken, update_one,
};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::entity::{event_kind, region, tag, target_group, theme};
use crate::error::AppResult;
use crate::text::fold;

/// A table of named terms: a slug, a name (with its folded sort key) and, for most, a
/// description.
pub trait TermEntity:
    VersionedEntity<
        Model: Journaled + IntoActiveModel<Self::ActiveModel>,
        ActiveModel: ActiveModelTrait<Entity = Self> + ActiveModelBehavior + Send,
    >
{
    /// The slug column.
    const SLUG: Self::Column;
    /// The name column.
    const NAME: Self::Column;
    /// The folded name, for sorting.
    const SORT_NAME: Self::Column;
    /// The description column, when the table has one.
    const DESCRIPTION: Option<Self::Column>;
}

macro_rules! term_entity {
    ($($module:ident $(with $description:ident)?),*) => {
        $(
            impl TermEntity for $module::Entity {
                const SLUG: $module::Column = $module::Column::Slug;
                const NAME: $module::Column = $module::Column::Name;
                const SORT_NAME: $module::Column = $module::Column::SortName;
                const DESCRIPTION: Option<$module::Column> =
                    term_entity!(@description $module $($description)?);
            }
        )*
    };
    (@description $module:ident description) => { Some($module::Column::Description) };
    (@description $module:ident) => { None };
}

term_entity!(
    theme with description,
    tag with description,
    target_group with description,
    event_kind with description,
    region
);

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

/// Checks slug, name and description and sets them on a row of `E`.
pub(crate) async fn term_changes<E: TermEntity>(
    db: &DatabaseConnection,
    changes: TermChanges,
    except: Option<i32>,
    checks: &mut Checks,
) -> AppResult<E::ActiveModel> {
    let mut row = E::ActiveModel::default();
    if let Some(slug) = changes.slug {
        checks.slug("slug", &slug);
        if checks.ok() && slug_taken::<E>(db, E::SLUG, &slug, except).await? {
            checks.push(
                "slug",
                ProblemCode::Taken,
                format!("the slug `{slug}` is taken"),
            );
        }
        row.set(E::SLUG, slug.into());
    }
    if let Some(name) = changes.name {
        checks.text("name", &name, MAX_LINE);
        row.set(E::SORT_NAME, fold(&name).into());
        row.set(E::NAME, name.trim().to_owned().into());
    }
    if let Some(column) = E::DESCRIPTION {
        match changes.description {
            Patch::Keep => {}
            Patch::Clear => row.set(column, Option::<String>::None.into()),
            Patch::Set(text) => {
                checks.max("description", &text, MAX_TEXT);
                row.set(column, Some(text).into());
            }
        }
    }
    Ok(row)
}

/// The problem of a slug that a concurrent write took first.
pub(crate) fn slug_taken_problem<T>() -> Outcome<T> {
    let mut checks = Checks::default();
    checks.push("slug", ProblemCode::Taken, "the slug is taken");
    Err(checks.into_errors())
}

/// Creates a term of `E` (administrators); the slug is made from the name when absent.
pub async fn create<E: TermEntity>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    mut changes: TermChanges,
) -> AppResult<Outcome<E::Model>> {
    policy::require_admin(viewer, "curate the vocabulary")?;
    let mut checks = Checks::default();
    let name = changes.name.clone().unwrap_or_default();
    checks.text("name", &name, MAX_LINE);
    changes.slug = Some(checks.slug_or_from_name(changes.slug.take(), &name));
    let row = term_changes::<E>(db, changes, None, &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    Ok(create_one::<E>(db, viewer.actor(), row)
        .await?
        .map_or_else(|_| slug_taken_problem(), Ok))
}

/// Updates term `id` of `E` at `version` (administrators).
pub async fn update<E: TermEntity>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    node_type: NodeType,
    id: &str,
    version: i64,
    changes: TermChanges,
) -> AppResult<Outcome<E::Model>> {
    policy::require_admin(viewer, "curate the vocabulary")?;
    let id = GlobalId::parse_as(id, node_type)?;
    let before = load_current::<E>(db, id, E::TYPE, version).await?;
    let mut checks = Checks::default();
    let row = term_changes::<E>(db, changes, Some(id), &mut checks).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    Ok(Ok(
        update_one::<E>(db, viewer.actor(), &before, Some(row)).await?
    ))
}

/// Softly deletes row `id` of `E` at `version` (administrators): a term, a region or a partner
/// body.
pub async fn delete<E: VersionedEntity>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    node_type: NodeType,
    id: &str,
    version: i64,
) -> AppResult<()>
where
    E::Model: Journaled + Versioned,
{
    policy::require_admin(viewer, &format!("delete a {}", node_type.name()))?;
    let id = GlobalId::parse_as(id, node_type)?;
    let before = load_current::<E>(db, id, E::TYPE, version).await?;
    update_one::<E>(db, viewer.actor(), &before, None).await?;
    Ok(())
}
