//! Events (the movement's meetings) and their kinds: the GraphQL types, their relations and the
//! root queries.

pub mod mutation;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, FixedOffset, Utc};

use crate::db::page::PageArgs;
use crate::directory;
use crate::directory::event::When;
use crate::entity::{event, event_kind, post};
use crate::error::{AppError, AppResult};
use crate::graphql::connection::{Conn, connection};
use crate::graphql::loader::{Relation, by_id, related_connection};
use crate::graphql::node::{NodeId, NodeType};
use crate::graphql::organization::Organization;
use crate::graphql::partner::Partner;
use crate::graphql::post::Post;
use crate::graphql::vocabulary::{Tag, Theme};
use crate::vocab::{AttendanceMode, EventRole};

/// A meeting of the movement: a start meeting, an exchange or theme meeting, the inspiration
/// day, a dialogue, a campfire conversation, a congress.
pub struct Event(pub event::Model);

/// A kind of event, e.g. "Startbijeenkomst" or "Kampvuurgesprek": a vocabulary the support
/// point curates and extends.
pub struct EventKind(pub event_kind::Model);

/// Which events to list by time. Upcoming and past split the events by their end: an event
/// under way is upcoming until it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum EventTime {
    /// Events that have not ended, earliest start first (the default).
    #[default]
    Upcoming,
    /// Events that have ended, latest start first.
    Past,
    /// All events, earliest start first.
    All,
}

impl From<EventTime> for When {
    fn from(time: EventTime) -> Self {
        match time {
            EventTime::Upcoming => When::Upcoming,
            EventTime::Past => When::Past,
            EventTime::All => When::All,
        }
    }
}

/// A meeting of the movement: a start meeting, an exchange or theme meeting, the inspiration
/// day, a dialogue, a campfire conversation, a congress.
#[Object]
impl Event {
    /// The event's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::Event.id(self.0.id)
    }

    /// The URL-safe name, e.g. `startbijeenkomst-2021-01-26`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The kind of event.
    async fn kind(&self, ctx: &Context<'_>) -> AppResult<EventKind> {
        by_id::<event_kind::Model>(ctx, self.0.kind_id)
            .await?
            .map(EventKind)
            .ok_or_else(|| AppError::internal("an event's kind is missing"))
    }

    /// When it starts, in Europe/Amsterdam time (the offset is that of the moment: `+01:00` in
    /// winter, `+02:00` in summer).
    async fn starts_at(&self) -> DateTime<FixedOffset> {
        directory::event::local(self.0.starts_at)
    }

    /// When it ends, in Europe/Amsterdam time.
    async fn ends_at(&self) -> DateTime<FixedOffset> {
        directory::event::local(self.0.ends_at)
    }

    /// The time zone the times are shown in: `Europe/Amsterdam`.
    async fn time_zone(&self) -> &'static str {
        directory::event::TIME_ZONE
    }

    /// Online, in person, or both; `null` where not known.
    async fn attendance(&self) -> Option<AttendanceMode> {
        self.0.attendance
    }

    /// How the time is publicly known, where only a day or a month is (e.g. "juli 2022, dag
    /// niet bekend"); `startsAt` and `endsAt` then span that period.
    async fn time_note(&self) -> Option<&str> {
        self.0.time_note.as_deref()
    }

    /// The city where it takes place.
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }

    /// The venue where it takes place.
    async fn venue(&self) -> Option<&str> {
        self.0.venue.as_deref()
    }

    /// What the event is about, as plain text or Markdown; never trusted HTML.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// How many people can attend, where known.
    async fn capacity(&self) -> Option<i32> {
        self.0.capacity
    }

    /// Where to register, where known.
    async fn registration_url(&self) -> Option<&str> {
        self.0.registration_url.as_deref()
    }

    /// The post that reports on the event, once there is one (and the caller may see it).
    async fn report(&self, ctx: &Context<'_>) -> AppResult<Option<Post>> {
        match self.0.report_post_id {
            Some(id) => Ok(by_id::<post::Model>(ctx, id).await?.map(Post)),
            None => Ok(None),
        }
    }

    /// The organizations hosting the event, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn host_organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Organization>> {
        let args = PageArgs::new(first, after, last, before);
        let relation = Relation::EventOrganizations(EventRole::Host);
        related_connection(ctx, relation, self.0.id, args, Organization).await
    }

    /// The organizations taking part (not hosting), A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn participating_organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Organization>> {
        let args = PageArgs::new(first, after, last, before);
        let relation = Relation::EventOrganizations(EventRole::Participant);
        related_connection(ctx, relation, self.0.id, args, Organization).await
    }

    /// The partner bodies hosting the event, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn host_partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Partner>> {
        let args = PageArgs::new(first, after, last, before);
        let relation = Relation::EventPartners(EventRole::Host);
        related_connection(ctx, relation, self.0.id, args, Partner).await
    }

    /// The partner bodies taking part (not hosting), A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn participating_partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Partner>> {
        let args = PageArgs::new(first, after, last, before);
        let relation = Relation::EventPartners(EventRole::Participant);
        related_connection(ctx, relation, self.0.id, args, Partner).await
    }

    /// The themes of the event, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Theme>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::EventThemes, self.0.id, args, Theme).await
    }

    /// The tags of the event, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Tag>> {
        let args = PageArgs::new(first, after, last, before);
        related_connection(ctx, Relation::EventTags, self.0.id, args, Tag).await
    }

    /// When the event was added to the directory.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the event was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }
}

/// A kind of event, e.g. "Startbijeenkomst" or "Kampvuurgesprek": a vocabulary the support
/// point curates and extends.
#[Object]
impl EventKind {
    /// The kind's opaque global ID.
    pub async fn id(&self) -> ID {
        NodeType::EventKind.id(self.0.id)
    }

    /// The URL-safe name, e.g. `startbijeenkomst`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The kind's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// When the record was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The version of this record; updates must send the version they read.
    async fn version(&self) -> i64 {
        self.0.version
    }
}

/// Which events to list. Within one field any of the values matches; every field given must
/// match. `from` and `to` select the events that overlap the period between them.
#[derive(Debug, Default, InputObject)]
pub struct EventFilter {
    /// Events that end at or after this moment.
    pub from: Option<DateTime<Utc>>,
    /// Events that start before this moment.
    pub to: Option<DateTime<Utc>>,
    /// Slugs of event kinds.
    pub kinds: Option<Vec<String>>,
    /// Slugs of organizations hosting or taking part.
    pub organizations: Option<Vec<String>>,
    /// Slugs of themes.
    pub themes: Option<Vec<String>>,
}

impl From<EventFilter> for directory::event::Filter {
    fn from(f: EventFilter) -> Self {
        Self {
            from: f.from,
            to: f.to,
            kinds: f.kinds,
            organizations: f.organizations,
            themes: f.themes,
        }
    }
}

/// Root fields for events.
#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// The events, filtered: by default the upcoming ones (not yet ended), earliest start
    /// first; `when: PAST` lists those that have ended, latest start first.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which events to list.")] filter: Option<EventFilter>,
        #[graphql(desc = "Upcoming (default), past or all events.")] when: Option<EventTime>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<Event>> {
        let filter = directory::event::Filter::from(filter.unwrap_or_default()).condition();
        let listing =
            directory::event::listing(when.unwrap_or_default().into(), filter, Utc::now());
        let page =
            crate::graphql::list(ctx, &listing, PageArgs::new(first, after, last, before)).await?;
        Ok(connection(page, &listing.sort, Event))
    }

    /// The event with this slug, or `null`.
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's slug, e.g. `startbijeenkomst-2021-01-26`.")] slug: String,
    ) -> AppResult<Option<Event>> {
        Ok(crate::graphql::find_by_slug::<event::Model>(ctx, &slug)
            .await?
            .map(Event))
    }

    /// The kinds of event, A-Z.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn event_kinds(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n items (0-100).")] first: Option<i32>,
        #[graphql(desc = "Return items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n items (0-100).")] last: Option<i32>,
        #[graphql(desc = "Return items before this cursor.")] before: Option<String>,
    ) -> AppResult<Conn<EventKind>> {
        let listing = directory::vocabulary::listing("event_kind");
        let page =
            crate::graphql::list(ctx, &listing, PageArgs::new(first, after, last, before)).await?;
        Ok(connection(page, &listing.sort, EventKind))
    }

    /// The kind of event with this slug, or `null`.
    async fn event_kind(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kind's slug, e.g. `kampvuurgesprek`.")] slug: String,
    ) -> AppResult<Option<EventKind>> {
        Ok(
            crate::graphql::find_by_slug::<event_kind::Model>(ctx, &slug)
                .await?
                .map(EventKind),
        )
    }
}

/// The connection of the events under a parent (an organization, a theme).
pub async fn events_under(
    ctx: &Context<'_>,
    relation: fn(When) -> Relation,
    parent: i32,
    when: Option<EventTime>,
    args: PageArgs,
) -> AppResult<Conn<Event>> {
    let relation = relation(when.unwrap_or_default().into());
    related_connection(ctx, relation, parent, args, Event).await
}
