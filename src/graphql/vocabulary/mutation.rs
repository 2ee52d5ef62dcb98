//! Curating the vocabulary and the regions (administrators): create, update, delete themes,
//! tags, target groups and regions.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use sea_orm::{DatabaseConnection, Value};

use crate::auth::policy;
use crate::db::write::{
    RowWrite, Versioned, insert_journaled, load_current, slug_taken, update_journaled,
};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, Problem, ProblemCode};
use crate::entity::{region, tag, target_group, theme};
use crate::error::AppResult;
use crate::graphql::loader::Row;
use crate::graphql::node::{GlobalId, NodeType};
use crate::graphql::organization::mutation::{DeleteInput, DeletePayload};
use crate::graphql::payload::payload;
use crate::graphql::region::Region;
use crate::graphql::vocabulary::{Tag, TargetGroup, Theme};
use crate::graphql::{db, viewer};
use crate::text::fold;
use crate::vocab::RegionKind;

/// A new theme, tag or target group.
#[derive(InputObject)]
pub struct CreateTermInput {
    /// The slug (default: derived from the name).
    pub slug: Option<String>,
    /// The name.
    pub name: String,
    /// A short description.
    pub description: Option<String>,
}

/// Changes to a theme, tag or target group: only the fields given change.
#[derive(InputObject)]
pub struct UpdateTermInput {
    /// The object's ID.
    pub id: ID,
    /// The version last read; a stale one is refused with `CONFLICT`.
    pub version: i64,
    /// A new slug.
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// A short description; `null` clears it.
    pub description: MaybeUndefined<String>,
}

/// A new region.
#[derive(InputObject)]
pub struct CreateRegionInput {
    /// The slug (default: derived from the name).
    pub slug: Option<String>,
    /// The name.
    pub name: String,
    /// Province, or finer region.
    pub kind: RegionKind,
    /// For a finer region: the ID of its province.
    pub parent_id: Option<ID>,
}

/// Changes to a region: only the fields given change.
#[derive(InputObject)]
pub struct UpdateRegionInput {
    /// The region's ID.
    pub id: ID,
    /// The version last read; a stale one is refused with `CONFLICT`.
    pub version: i64,
    /// A new slug.
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// The province a finer region lies in; `null` clears it.
    pub parent_id: MaybeUndefined<ID>,
}

payload!(
    /// The result of `createTheme` and `updateTheme`.
    ThemePayload, theme: Theme
);
payload!(
    /// The result of `createTag` and `updateTag`.
    TagPayload, tag: Tag
);
payload!(
    /// The result of `createTargetGroup` and `updateTargetGroup`.
    TargetGroupPayload, target_group: TargetGroup
);
payload!(
    /// The result of `createRegion` and `updateRegion`.
    RegionPayload, region: Region
);

/// Checks slug, name and description and turns them into column values.
async fn term_columns(
    db: &DatabaseConnection,
    table: &str,
    slug: Option<String>,
    name: Option<String>,
    description: MaybeUndefined<String>,
    except: Option<i32>,
    checks: &mut Checks,
) -> AppResult<Vec<(&'static str, Value)>> {
    let mut values: Vec<(&'static str, Value)> = Vec::new();
    if let Some(slug) = slug {
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
    if let Some(name) = name {
        checks.text("name", &name, MAX_LINE);
        values.push(("sort_name", fold(&name).into()));
        values.push(("name", name.trim().to_owned().into()));
    }
    match description {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => values.push(("description", Option::<String>::None.into())),
        MaybeUndefined::Value(text) => {
            checks.max("description", &text, MAX_TEXT);
            values.push(("description", Some(text).into()));
        }
    }
    Ok(values)
}

async fn create_term<M: Row + serde::Serialize>(
    ctx: &Context<'_>,
    entity_type: &'static str,
    input: CreateTermInput,
) -> AppResult<Result<M, Vec<Problem>>> {
    policy::require_admin(viewer(ctx), "curate the vocabulary")?;
    let mut checks = Checks::default();
    checks.text("name", &input.name, MAX_LINE);
    let slug = checks.slug_or_from_name(input.slug, &input.name);
    let description = input
        .description
        .map_or(MaybeUndefined::Undefined, MaybeUndefined::Value);
    let values = term_columns(
        db(ctx),
        M::TABLE,
        Some(slug),
        Some(input.name),
        description,
        None,
        &mut checks,
    )
    .await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let actor = viewer(ctx).actor();
    Ok(Ok(insert_journaled(
        db(ctx),
        RowWrite {
            actor: &actor,
            entity_type,
            values,
        },
    )
    .await?))
}

async fn update_term<M: Row + Versioned + serde::Serialize>(
    ctx: &Context<'_>,
    entity_type: &'static str,
    node_type: NodeType,
    input: UpdateTermInput,
) -> AppResult<Result<M, Vec<Problem>>> {
    policy::require_admin(viewer(ctx), "curate the vocabulary")?;
    let id = GlobalId::parse_as(&input.id, node_type)?;
    let before: M = load_current(db(ctx), id, entity_type, input.version).await?;
    let mut checks = Checks::default();
    let values = term_columns(
        db(ctx),
        M::TABLE,
        input.slug,
        input.name,
        input.description,
        Some(id),
        &mut checks,
    )
    .await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let actor = viewer(ctx).actor();
    Ok(Ok(update_journaled(
        db(ctx),
        &before,
        RowWrite {
            actor: &actor,
            entity_type,
            values,
        },
        false,
    )
    .await?))
}

/// Softly deletes row `input.id` of `M`'s table at `input.version` (administrators).
pub async fn delete_row<M: Row + Versioned + serde::Serialize>(
    ctx: &Context<'_>,
    entity_type: &'static str,
    node_type: NodeType,
    input: DeleteInput,
) -> AppResult<DeletePayload> {
    policy::require_admin(viewer(ctx), &format!("delete a {}", node_type.name()))?;
    let id = GlobalId::parse_as(&input.id, node_type)?;
    let before: M = load_current(db(ctx), id, entity_type, input.version).await?;
    let actor = viewer(ctx).actor();
    let write = RowWrite {
        actor: &actor,
        entity_type,
        values: Vec::new(),
    };
    update_journaled(db(ctx), &before, write, true).await?;
    Ok(DeletePayload::done(input.id))
}

/// Resolves a region's parent: it must be an existing province.
async fn parent(db: &DatabaseConnection, id: &ID, checks: &mut Checks) -> AppResult<Option<i32>> {
    let Ok(id) = GlobalId::parse_as(id, NodeType::Region) else {
        checks.push(
            "parentId",
            ProblemCode::Invalid,
            "`parentId` is not the ID of a Region",
        );
        return Ok(None);
    };
    match crate::db::write::load_row::<region::Model>(db, id).await? {
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

/// Curating the vocabulary and the regions.
#[derive(Default)]
pub struct VocabularyMutation;

#[Object]
impl VocabularyMutation {
    /// Creates a theme (administrators).
    async fn create_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new theme.")] input: CreateTermInput,
    ) -> AppResult<Option<ThemePayload>> {
        Ok(Some(ThemePayload::outcome(
            create_term::<theme::Model>(ctx, "theme", input).await?,
            Theme,
        )))
    }

    /// Updates a theme (administrators).
    async fn update_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateTermInput,
    ) -> AppResult<Option<ThemePayload>> {
        Ok(Some(ThemePayload::outcome(
            update_term::<theme::Model>(ctx, "theme", NodeType::Theme, input).await?,
            Theme,
        )))
    }

    /// Deletes a theme (administrators).
    async fn delete_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        delete_row::<theme::Model>(ctx, "theme", NodeType::Theme, input)
            .await
            .map(Some)
    }

    /// Creates a tag (administrators).
    async fn create_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new tag.")] input: CreateTermInput,
    ) -> AppResult<Option<TagPayload>> {
        Ok(Some(TagPayload::outcome(
            create_term::<tag::Model>(ctx, "tag", input).await?,
            Tag,
        )))
    }

    /// Updates a tag (administrators).
    async fn update_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateTermInput,
    ) -> AppResult<Option<TagPayload>> {
        Ok(Some(TagPayload::outcome(
            update_term::<tag::Model>(ctx, "tag", NodeType::Tag, input).await?,
            Tag,
        )))
    }

    /// Deletes a tag (administrators).
    async fn delete_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        delete_row::<tag::Model>(ctx, "tag", NodeType::Tag, input)
            .await
            .map(Some)
    }

    /// Creates a target group (administrators).
    async fn create_target_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new target group.")] input: CreateTermInput,
    ) -> AppResult<Option<TargetGroupPayload>> {
        Ok(Some(TargetGroupPayload::outcome(
            create_term::<target_group::Model>(ctx, "target_group", input).await?,
            TargetGroup,
        )))
    }

    /// Updates a target group (administrators).
    async fn update_target_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateTermInput,
    ) -> AppResult<Option<TargetGroupPayload>> {
        Ok(Some(TargetGroupPayload::outcome(
            update_term::<target_group::Model>(ctx, "target_group", NodeType::TargetGroup, input)
                .await?,
            TargetGroup,
        )))
    }

    /// Deletes a target group (administrators).
    async fn delete_target_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The target group and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        delete_row::<target_group::Model>(ctx, "target_group", NodeType::TargetGroup, input)
            .await
            .map(Some)
    }

    /// Creates a region (administrators).
    async fn create_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new region.")] input: CreateRegionInput,
    ) -> AppResult<Option<RegionPayload>> {
        policy::require_admin(viewer(ctx), "curate regions")?;
        let mut checks = Checks::default();
        checks.text("name", &input.name, MAX_LINE);
        let slug = checks.slug_or_from_name(input.slug, &input.name);
        let mut values = term_columns(
            db(ctx),
            "region",
            Some(slug),
            Some(input.name),
            MaybeUndefined::Undefined,
            None,
            &mut checks,
        )
        .await?;
        values.push(("kind", sea_orm::ActiveEnum::to_value(&input.kind).into()));
        let parent_id = match &input.parent_id {
            Some(id) => parent(db(ctx), id, &mut checks).await?,
            None => None,
        };
        values.push(("parent_id", parent_id.into()));
        if !checks.ok() {
            return Ok(Some(RegionPayload::refused(checks.into_errors())));
        }
        let actor = viewer(ctx).actor();
        let row: region::Model = insert_journaled(
            db(ctx),
            RowWrite {
                actor: &actor,
                entity_type: "region",
                values,
            },
        )
        .await?;
        Ok(Some(RegionPayload::done(Region(row))))
    }

    /// Updates a region (administrators).
    async fn update_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateRegionInput,
    ) -> AppResult<Option<RegionPayload>> {
        policy::require_admin(viewer(ctx), "curate regions")?;
        let id = GlobalId::parse_as(&input.id, NodeType::Region)?;
        let before: region::Model = load_current(db(ctx), id, "region", input.version).await?;
        let mut checks = Checks::default();
        let mut values = term_columns(
            db(ctx),
            "region",
            input.slug,
            input.name,
            MaybeUndefined::Undefined,
            Some(id),
            &mut checks,
        )
        .await?;
        match &input.parent_id {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => values.push(("parent_id", Option::<i32>::None.into())),
            MaybeUndefined::Value(parent_id) => {
                let parent_id = parent(db(ctx), parent_id, &mut checks).await?;
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
            return Ok(Some(RegionPayload::refused(checks.into_errors())));
        }
        let actor = viewer(ctx).actor();
        let row = update_journaled(
            db(ctx),
            &before,
            RowWrite {
                actor: &actor,
                entity_type: "region",
                values,
            },
            false,
        )
        .await?;
        Ok(Some(RegionPayload::done(Region(row))))
    }

    /// Deletes a region (administrators).
    async fn delete_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        delete_row::<region::Model>(ctx, "region", NodeType::Region, input)
            .await
            .map(Some)
    }
}
