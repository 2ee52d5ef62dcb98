//! Mutations of events (administrators any; an organization the events it hosts) and of the
//! kinds of event (administrators).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};

use crate::directory::checks::Patch;
use crate::directory::event::write::{self, Changes};
use crate::directory::id::NodeType;
use crate::directory::vocabulary::write as terms;
use crate::entity::event_kind;
use crate::error::AppResult;
use crate::graphql::event::{Event, EventKind};
use crate::graphql::node::NodeId;
use crate::graphql::organization::mutation::{DeleteInput, DeletePayload, ids};
use crate::graphql::payload::{patch, payload};
use crate::graphql::vocabulary::mutation::{CreateTermInput, UpdateTermInput};
use crate::graphql::{db, viewer};
use crate::vocab::AttendanceMode;

/// A new event. Times are RFC 3339 timestamps with an offset (e.g.
/// `2021-01-26T10:00:00+01:00`); they are shown in Europe/Amsterdam time. An organization must
/// be among the hosts of an event it creates.
#[derive(InputObject)]
pub struct CreateEventInput {
    /// The slug (default: made from the title and the date, e.g. `startbijeenkomst-2021-01-26`).
    pub slug: Option<String>,
    /// The title (at most 200 characters).
    pub title: String,
    /// The ID of the kind of event.
    pub kind_id: ID,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends (not before the start).
    pub ends_at: DateTime<Utc>,
    /// Online, in person or both (where known).
    pub attendance: Option<AttendanceMode>,
    /// How the time is publicly known, where only a day or a month is (e.g. "juli 2022, dag
    /// niet bekend"); the times then span that period.
    pub time_note: Option<String>,
    /// The city where it takes place.
    pub city: Option<String>,
    /// The venue where it takes place.
    pub venue: Option<String>,
    /// What the event is about.
    #[graphql(default)]
    pub description: String,
    /// The ID of the post that reports on it.
    pub report_post_id: Option<ID>,
    /// How many people can attend (at least 1).
    pub capacity: Option<i32>,
    /// Where to register (an http(s) URL).
    pub registration_url: Option<String>,
    /// IDs of the hosting organizations.
    #[graphql(default)]
    pub host_organization_ids: Vec<ID>,
    /// IDs of the organizations taking part.
    #[graphql(default)]
    pub participating_organization_ids: Vec<ID>,
    /// IDs of the hosting partner bodies.
    #[graphql(default)]
    pub host_partner_ids: Vec<ID>,
    /// IDs of the partner bodies taking part.
    #[graphql(default)]
    pub participating_partner_ids: Vec<ID>,
    /// IDs of the themes.
    #[graphql(default)]
    pub theme_ids: Vec<ID>,
    /// IDs of the tags.
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
}

impl From<CreateEventInput> for Changes {
    fn from(i: CreateEventInput) -> Self {
        Self {
            slug: i.slug,
            title: Some(i.title),
            kind_id: Some(i.kind_id.0),
            starts_at: Some(i.starts_at),
            ends_at: Some(i.ends_at),
            attendance: Patch::given(i.attendance),
            time_note: Patch::given(i.time_note),
            city: Patch::given(i.city),
            venue: Patch::given(i.venue),
            description: Some(i.description),
            report_post_id: Patch::given(i.report_post_id.map(|id| id.0)),
            capacity: Patch::given(i.capacity),
            registration_url: Patch::given(i.registration_url),
            host_organization_ids: Some(ids(i.host_organization_ids)),
            participating_organization_ids: Some(ids(i.participating_organization_ids)),
            host_partner_ids: Some(ids(i.host_partner_ids)),
            participating_partner_ids: Some(ids(i.participating_partner_ids)),
            theme_ids: Some(ids(i.theme_ids)),
            tag_ids: Some(ids(i.tag_ids)),
        }
    }
}

/// Changes to an event: only the fields given change; `null` clears an optional field. Lists of
/// IDs replace the current links. An organization must remain among the hosts.
#[derive(InputObject)]
pub struct UpdateEventInput {
    /// The event's ID.
    pub id: ID,
    /// The version last read; a stale one is refused with `CONFLICT`.
    pub version: i64,
    /// A new slug.
    pub slug: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The ID of the kind of event.
    pub kind_id: Option<ID>,
    /// When it starts.
    pub starts_at: Option<DateTime<Utc>>,
    /// When it ends (not before the start).
    pub ends_at: Option<DateTime<Utc>>,
    /// Online, in person or both; `null` when not known.
    pub attendance: MaybeUndefined<AttendanceMode>,
    /// How the time is publicly known, where only a day or a month is.
    pub time_note: MaybeUndefined<String>,
    /// The city where it takes place.
    pub city: MaybeUndefined<String>,
    /// The venue where it takes place.
    pub venue: MaybeUndefined<String>,
    /// What the event is about.
    pub description: Option<String>,
    /// The ID of the post that reports on it.
    pub report_post_id: MaybeUndefined<ID>,
    /// How many people can attend (at least 1).
    pub capacity: MaybeUndefined<i32>,
    /// Where to register (an http(s) URL).
    pub registration_url: MaybeUndefined<String>,
    /// IDs of the hosting organizations.
    pub host_organization_ids: Option<Vec<ID>>,
    /// IDs of the organizations taking part.
    pub participating_organization_ids: Option<Vec<ID>>,
    /// IDs of the hosting partner bodies.
    pub host_partner_ids: Option<Vec<ID>>,
    /// IDs of the partner bodies taking part.
    pub participating_partner_ids: Option<Vec<ID>>,
    /// IDs of the themes.
    pub theme_ids: Option<Vec<ID>>,
    /// IDs of the tags.
    pub tag_ids: Option<Vec<ID>>,
}

impl From<UpdateEventInput> for Changes {
    fn from(i: UpdateEventInput) -> Self {
        Self {
            slug: i.slug,
            title: i.title,
            kind_id: i.kind_id.map(|id| id.0),
            starts_at: i.starts_at,
            ends_at: i.ends_at,
            attendance: patch(i.attendance),
            time_note: patch(i.time_note),
            city: patch(i.city),
            venue: patch(i.venue),
            description: i.description,
            report_post_id: patch(i.report_post_id).map(|id| id.0),
            capacity: patch(i.capacity),
            registration_url: patch(i.registration_url),
            host_organization_ids: i.host_organization_ids.map(ids),
            participating_organization_ids: i.participating_organization_ids.map(ids),
            host_partner_ids: i.host_partner_ids.map(ids),
            participating_partner_ids: i.participating_partner_ids.map(ids),
            theme_ids: i.theme_ids.map(ids),
            tag_ids: i.tag_ids.map(ids),
        }
    }
}

payload!(
    /// The result of `createEvent`.
    CreateEventPayload, event: Event
);
payload!(
    /// The result of `updateEvent`.
    UpdateEventPayload, event: Event
);
payload!(
    /// The result of `createEventKind` and `updateEventKind`.
    EventKindPayload, event_kind: EventKind
);

/// Mutations of events and their kinds.
#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    /// Creates an event: administrators any, an organization one that it hosts.
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new event.")] input: CreateEventInput,
    ) -> AppResult<Option<CreateEventPayload>> {
        Ok(Some(CreateEventPayload::outcome(
            write::create(db(ctx), viewer(ctx), input.into()).await?,
            Event,
        )))
    }

    /// Updates an event: administrators any, an organization one that it hosts.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateEventInput,
    ) -> AppResult<Option<UpdateEventPayload>> {
        let id = input.id.clone();
        let version = input.version;
        Ok(Some(UpdateEventPayload::outcome(
            write::update(db(ctx), viewer(ctx), &id, version, input.into()).await?,
            Event,
        )))
    }

    /// Deletes an event (softly): administrators any, an organization one that it hosts.
    async fn delete_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        let id = write::delete(db(ctx), viewer(ctx), &input.id, input.version).await?;
        Ok(Some(DeletePayload::done(NodeType::Event.id(id))))
    }

    /// Creates a kind of event (administrators).
    async fn create_event_kind(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new kind.")] input: CreateTermInput,
    ) -> AppResult<Option<EventKindPayload>> {
        Ok(Some(EventKindPayload::outcome(
            terms::create::<event_kind::Entity>(db(ctx), viewer(ctx), input.into()).await?,
            EventKind,
        )))
    }

    /// Updates a kind of event (administrators).
    async fn update_event_kind(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateTermInput,
    ) -> AppResult<Option<EventKindPayload>> {
        let changes = terms::TermChanges {
            slug: input.slug,
            name: input.name,
            description: patch(input.description),
        };
        Ok(Some(EventKindPayload::outcome(
            terms::update::<event_kind::Entity>(
                db(ctx),
                viewer(ctx),
                NodeType::EventKind,
                &input.id,
                input.version,
                changes,
            )
            .await?,
            EventKind,
        )))
    }

    /// Deletes a kind of event (administrators); refused while events are of that kind.
    async fn delete_event_kind(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kind and its version.")] input: DeleteInput,
    ) -> AppResult<Option<DeletePayload>> {
        let outcome = write::delete_kind(db(ctx), viewer(ctx), &input.id, input.version).await?;
        Ok(Some(DeletePayload::outcome(outcome, |()| input.id)))
    }
}
