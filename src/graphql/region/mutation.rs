//! Curating the regions (administrators): create, update, delete.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use crate::directory::checks::Patch;
use crate::directory::id::NodeType;
use crate::directory::region::write::{self, RegionChanges};
use crate::entity::region;
use crate::error::AppResult;
use crate::graphql::organization::mutation::{DeleteInput, DeletePayload};
use crate::graphql::payload::{patch, payload};
use crate::graphql::region::Region;
use crate::graphql::vocabulary::mutation::delete_row;
use crate::graphql::{db, viewer};
use crate::vocab::RegionKind;

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
    /// The result of `createRegion` and `updateRegion`.
    RegionPayload, region: Region
);

/// Curating the regions.
#[derive(Default)]
pub struct RegionMutation;

#[Object]
impl RegionMutation {
    /// Creates a region (administrators).
    async fn create_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new region.")] input: CreateRegionInput,
    ) -> AppResult<Option<RegionPayload>> {
        let changes = RegionChanges {
            slug: input.slug,
            name: Some(input.name),
            kind: Some(input.kind),
            parent_id: Patch::given(input.parent_id.map(|id| id.0)),
        };
        Ok(Some(RegionPayload::outcome(
            write::create(db(ctx), viewer(ctx), changes).await?,
            Region,
        )))
    }

    /// Updates a region (administrators).
    async fn update_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateRegionInput,
    ) -> AppResult<Option<RegionPayload>> {
        let changes = RegionChanges {
            slug: input.slug,
            name: input.name,
            kind: None,
            parent_id: patch(input.parent_id).map(|id| id.0),
        };
        Ok(Some(RegionPayload::outcome(
            write::update(db(ctx), viewer(ctx), &input.id, input.version, changes).await?,
            Region,
        )))
    }

    /// Deletes a region (administrators).
    async fn delete_region(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The region and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        delete_row::<region::Entity>(ctx, NodeType::Region, input).await
    }
}
