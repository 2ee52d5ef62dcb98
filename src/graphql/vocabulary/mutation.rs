//! Curating the vocabulary (administrators): create, update, delete themes, tags and target
//! groups.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use crate::db::write::{Journaled, Versioned, VersionedEntity};
use crate::directory::checks::{Outcome, Patch};
use crate::directory::id::NodeType;
use crate::directory::vocabulary::write::{self, TermChanges, TermEntity};
use crate::entity::{tag, target_group, theme};
use crate::error::AppResult;
use crate::graphql::organization::mutation::{DeleteInput, DeletePayload};
use crate::graphql::payload::{patch, payload};
use crate::graphql::vocabulary::{Tag, TargetGroup, Theme};
use crate::graphql::{db, viewer};

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

impl From<CreateTermInput> for TermChanges {
    fn from(input: CreateTermInput) -> Self {
        Self {
            slug: input.slug,
            name: Some(input.name),
            description: Patch::given(input.description),
        }
    }
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
async fn update<E: TermEntity>(
    ctx: &Context<'_>,
    node_type: NodeType,
    input: UpdateTermInput,
) -> AppResult<Outcome<E::Model>> {
    let changes = TermChanges {
        slug: input.slug,
        name: input.name,
        description: patch(input.description),
    };
    write::update::<E>(
        db(ctx),
        viewer(ctx),
        node_type,
        &input.id,
        input.version,
        changes,
    )
    .await
}

/// Softly deletes the row `input` names, of `E`'s table (administrators).
pub async fn delete_row<E: VersionedEntity>(
    ctx: &Context<'_>,
    node_type: NodeType,
    input: DeleteInput,
) -> AppResult<Option<DeletePayload>>
where
    E::Model: Journaled + Versioned,
{
    write::delete::<E>(db(ctx), viewer(ctx), node_type, &input.id, input.version).await?;
    Ok(Some(DeletePayload::done(input.id)))
}

/// Curating the vocabulary.
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
            write::create::<theme::Entity>(db(ctx), viewer(ctx), input.into()).await?,
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
            update::<theme::Entity>(ctx, NodeType::Theme, input).await?,
            Theme,
        )))
    }

    /// Deletes a theme (administrators).
    async fn delete_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        delete_row::<theme::Entity>(ctx, NodeType::Theme, input).await
    }

    /// Creates a tag (administrators).
    async fn create_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new tag.")] input: CreateTermInput,
    ) -> AppResult<Option<TagPayload>> {
        Ok(Some(TagPayload::outcome(
            write::create::<tag::Entity>(db(ctx), viewer(ctx), input.into()).await?,
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
            update::<tag::Entity>(ctx, NodeType::Tag, input).await?,
            Tag,
        )))
    }

    /// Deletes a tag (administrators).
    async fn delete_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        delete_row::<tag::Entity>(ctx, NodeType::Tag, input).await
    }

    /// Creates a target group (administrators).
    async fn create_target_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new target group.")] input: CreateTermInput,
    ) -> AppResult<Option<TargetGroupPayload>> {
        Ok(Some(TargetGroupPayload::outcome(
            write::create::<target_group::Entity>(db(ctx), viewer(ctx), input.into()).await?,
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
            update::<target_group::Entity>(ctx, NodeType::TargetGroup, input).await?,
            TargetGroup,
        )))
    }

    /// Deletes a target group (administrators).
    async fn delete_target_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The target group and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        delete_row::<target_group::Entity>(ctx, NodeType::TargetGroup, input).await
    }
}
