//! Mutations of posts.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use std::sync::Arc;

use crate::auth::Role;
use crate::directory::checks::Patch;
use crate::directory::post::write::{self, Changes, Submission};
use crate::error::AppResult;
use crate::graphql::organization::mutation::ids;
use crate::graphql::payload::patch;
use crate::graphql::payload::{UserError, payload};
use crate::graphql::post::Post;
use crate::graphql::{db, email_hash_key, viewer};
use crate::limits::{ClientIp, Limits};
use crate::vocab::{AuthorRole, PostKind};

/// A post to submit. Anyone may contribute a practice, what matters, an idea or a question; it
/// waits for moderation. An organization's posts are published at once under its name.
/// Bodies are plain text or Markdown: anything that looks like HTML is kept as text.
#[derive(InputObject)]
pub struct SubmitPostInput {
    /// The kind of post (default: `IDEA`). Without an organization or administrator token only
    /// `PRACTICE`, `WHAT_MATTERS`, `IDEA` and `QUESTION`.
    pub kind: Option<PostKind>,
    /// The title (at most 200 characters).
    pub title: String,
    /// The text (at most 20,000 characters).
    pub body: String,
    /// The name to show as author (at most 100 characters).
    pub author_name: String,
    /// The role the author writes from.
    pub author_role: Option<AuthorRole>,
    /// An e-mail address for the moderator only; never shown, deleted after moderation.
    pub author_email: Option<String>,
    /// IDs of the themes the post is about.
    #[graphql(default)]
    pub theme_ids: Vec<ID>,
    /// IDs of tags.
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
    /// The organization to post under: an organization token's own (the default for it), or any
    /// for administrators.
    pub organization_id: Option<ID>,
    /// IDs of the organizations the post is about (besides the one it is posted under).
    #[graphql(default)]
    pub about_organization_ids: Vec<ID>,
    /// IDs of the partner bodies the post is about.
    #[graphql(default)]
    pub about_partner_ids: Vec<ID>,
}

/// Changes to a post: only the fields given change.
#[derive(InputObject)]
pub struct UpdatePostInput {
    /// The post's ID.
    pub id: ID,
    /// The version last read; a stale one is refused with `CONFLICT`.
    pub version: i64,
    /// The changes.
    #[graphql(flatten)]
    pub changes: PostChanges,
}

/// The contents of a post to change: only the fields given change.
#[derive(Debug, Default, InputObject)]
pub struct PostChanges {
    /// The kind of post.
    pub kind: Option<PostKind>,
    /// The title.
    pub title: Option<String>,
    /// The text.
    pub body: Option<String>,
    /// The name shown as author.
    pub author_name: Option<String>,
    /// The role the author writes from; `null` clears it.
    pub author_role: MaybeUndefined<AuthorRole>,
    /// IDs of the themes (replace the current ones).
    pub theme_ids: Option<Vec<ID>>,
    /// IDs of the tags (replace the current ones).
    pub tag_ids: Option<Vec<ID>>,
    /// IDs of the organizations the post is about (replace the current ones; the one it is
    /// posted under stays).
    pub about_organization_ids: Option<Vec<ID>>,
    /// IDs of the partner bodies the post is about (replace the current ones).
    pub about_partner_ids: Option<Vec<ID>>,
}

impl From<PostChanges> for Changes {
    fn from(i: PostChanges) -> Self {
        Self {
            kind: i.kind,
            title: i.title,
            body: i.body,
            author_name: i.author_name,
            author_role: patch(i.author_role),
            theme_ids: i.theme_ids.map(ids),
            tag_ids: i.tag_ids.map(ids),
            about_organization_ids: i.about_organization_ids.map(ids),
            about_partner_ids: i.about_partner_ids.map(ids),
        }
    }
}

/// A moderator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ModerationDecision {
    /// Publish the post.
    Publish,
    /// Reject the post; it stays invisible and is purged after the retention period.
    Reject,
}

impl From<ModerationDecision> for write::ModerationDecision {
    fn from(decision: ModerationDecision) -> Self {
        match decision {
            ModerationDecision::Publish => Self::Publish,
            ModerationDecision::Reject => Self::Reject,
        }
    }
}

/// A moderation decision on a post.
#[derive(InputObject)]
pub struct ModeratePostInput {
    /// The post's ID.
    pub id: ID,
    /// The version last read; a stale one is refused with `CONFLICT`.
    pub version: i64,
    /// Publish or reject.
    pub decision: ModerationDecision,
}

/// Whose personal data to erase: all posts written with this e-mail address, and/or these posts.
#[derive(InputObject)]
pub struct EraseAuthorInput {
    /// The author's e-mail address (case and surrounding spaces ignored); also finds posts
    /// whose address retention has deleted.
    pub author_email: Option<String>,
    /// Posts whose author to erase.
    #[graphql(default)]
    pub post_ids: Vec<ID>,
}

payload!(
    /// The result of `submitPost`.
    SubmitPostPayload, post: Post
);
payload!(
    /// The result of `updatePost` and `moderatePost`.
    UpdatePostPayload, post: Post
);

/// The result of `eraseAuthor`.
#[derive(SimpleObject)]
pub struct EraseAuthorPayload {
    /// How many posts had the author's name and e-mail address erased.
    pub erased_posts: u64,
    /// Problems with the input; when there are any, nothing was changed.
    pub user_errors: Vec<UserError>,
}

/// Mutations of posts.
#[derive(Default)]
pub struct PostMutation;

#[Object]
impl PostMutation {
    /// Submits a post: anonymous contributions wait for moderation; an organization publishes
    /// under its own name.
    async fn submit_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post.")] input: SubmitPostInput,
    ) -> AppResult<Option<SubmitPostPayload>> {
        let submission = Submission {
            changes: Changes {
                kind: input.kind,
                title: Some(input.title),
                body: Some(input.body),
                author_name: Some(input.author_name),
                author_role: Patch::given(input.author_role),
                theme_ids: Some(ids(input.theme_ids)),
                tag_ids: Some(ids(input.tag_ids)),
                about_organization_ids: Some(ids(input.about_organization_ids)),
                about_partner_ids: Some(ids(input.about_partner_ids)),
            },
            author_email: input.author_email,
            organization_id: input.organization_id.map(|id| id.0),
        };
        if !matches!(viewer(ctx).role(), Some(Role::Admin | Role::Organization))
            && let Some(limits) = ctx.data_opt::<Arc<Limits>>()
        {
            write::check_contribution_limits(db(ctx), limits, ctx.data_opt::<ClientIp>().copied())
                .await?;
        }
        Ok(Some(SubmitPostPayload::outcome(
            write::submit(db(ctx), viewer(ctx), email_hash_key(ctx), submission).await?,
            Post,
        )))
    }

    /// Edits a post: administrators any, an organization its own.
    async fn update_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdatePostInput,
    ) -> AppResult<Option<UpdatePostPayload>> {
        Ok(Some(UpdatePostPayload::outcome(
            write::update(
                db(ctx),
                viewer(ctx),
                &input.id,
                input.version,
                input.changes.into(),
            )
            .await?,
            Post,
        )))
    }

    /// Publishes or rejects a post (administrators).
    async fn moderate_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The decision.")] input: ModeratePostInput,
    ) -> AppResult<Option<UpdatePostPayload>> {
        let row = write::moderate(
            db(ctx),
            viewer(ctx),
            &input.id,
            input.version,
            input.decision.into(),
        )
        .await?;
        Ok(Some(UpdatePostPayload::done(Post(row))))
    }

    /// Erases an author's name and e-mail address everywhere, on request (administrators).
    async fn erase_author(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose data to erase.")] input: EraseAuthorInput,
    ) -> AppResult<Option<EraseAuthorPayload>> {
        let erased = write::erase_author(
            db(ctx),
            viewer(ctx),
            email_hash_key(ctx),
            input.author_email.as_deref(),
            &ids(input.post_ids),
        )
        .await?;
        Ok(Some(EraseAuthorPayload {
            erased_posts: erased,
            user_errors: Vec::new(),
        }))
    }
}
