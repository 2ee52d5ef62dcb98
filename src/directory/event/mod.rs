//! Data access for events (the movement's meetings): the visible rows, the two orderings by
//! start (upcoming ascending, past descending), the filter, the time zone events are shown in,
//! and the bounded list the calendar feed serves.
//!
//! Upcoming and past split the events by their end: an event that has not ended (also one
//! under way) is upcoming, one that has ended is past. So every event is in exactly one of the
//! two lists, and a congress of several days stays listed while it runs.

pub mod write;

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Europe::Amsterdam;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};

use crate::db::page::Row;
use crate::db::page::{KeyKind, KeyValue, Listing, SortKey, not_deleted};
use crate::directory::organization::ids_of_slugs;
use crate::directory::visible::Visible;
use crate::entity::event;
use crate::error::{AppError, AppResult};

const TABLE: &str = "event";

/// The time zone events take place in and are shown in.
pub const TIME_ZONE: &str = "Europe/Amsterdam";

/// Earliest start first.
pub const BY_START: SortKey = SortKey {
    name: "start",
    table: TABLE,
    column: "starts_at",
    kind: KeyKind::Time,
    descending: false,
};

/// Latest start first.
pub const BY_START_DESCENDING: SortKey = SortKey {
    name: "start-descending",
    table: TABLE,
    column: "starts_at",
    kind: KeyKind::Time,
    descending: true,
};

/// The most events the calendar feed holds: the ones with the latest start.
pub const FEED_LIMIT: u64 = 500;

/// A moment in Europe/Amsterdam time, with the offset of that moment (+01:00 in winter,
/// +02:00 in summer).
pub fn local(time: DateTime<Utc>) -> DateTime<FixedOffset> {
    time.with_timezone(&Amsterdam).fixed_offset()
}

impl Row for event::Model {
    const TABLE: &'static str = TABLE;

    fn id(&self) -> i32 {
        self.id
    }

    fn key(&self, _sort: &SortKey) -> KeyValue {
        KeyValue::Time(self.starts_at)
    }

    fn visible() -> Condition {
        not_deleted(TABLE)
    }
}

/// Which events, by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum When {
    /// Events that have not ended, earliest start first.
    #[default]
    Upcoming,
    /// Events that have ended, latest start first.
    Past,
    /// All events, earliest start first.
    All,
}

fn col(table: &str, column: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

/// The visible events matching `filter`, `when` seen at `now`, in that list's order.
pub fn listing(when: When, filter: Condition, now: DateTime<Utc>) -> Listing {
    let (time, sort) = match when {
        When::Upcoming => (col(TABLE, "ends_at").gte(now), BY_START),
        When::Past => (col(TABLE, "ends_at").lt(now), BY_START_DESCENDING),
        When::All => (Expr::val(true), BY_START),
    };
    Listing {
        table: TABLE,
        filter: event::Model::visible().add(time).add(filter),
        sort,
    }
}

/// What a client may filter events on. Within one field any value matches; all fields given
/// must match. `from` and `to` select the events that overlap the period between them.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Events that end at or after this moment.
    pub from: Option<DateTime<Utc>>,
    /// Events that start before this moment.
    pub to: Option<DateTime<Utc>>,
    /// Kind slugs.
    pub kinds: Option<Vec<String>>,
    /// Slugs of organizations hosting or taking part.
    pub organizations: Option<Vec<String>>,
    /// Theme slugs.
    pub themes: Option<Vec<String>>,
}

/// Events linked (in `link`, by `column`) to any of the rows `ids` selects.
fn linked(link: &str, column: &str, ids: SelectStatement) -> Expr {
    crate::db::page::linked(TABLE, (link, "event_id", column), ids)
}

impl Filter {
    /// The SQL condition of this filter.
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(from) = self.from {
            cond = cond.add(col(TABLE, "ends_at").gte(from));
        }
        if let Some(to) = self.to {
            cond = cond.add(col(TABLE, "starts_at").lt(to));
        }
        if let Some(slugs) = &self.kinds {
            cond = cond.add(col(TABLE, "kind_id").in_subquery(ids_of_slugs("event_kind", slugs)));
        }
        if let Some(slugs) = &self.organizations {
            cond = cond.add(linked(
                "event_organization",
                "organization_id",
                ids_of_slugs("organization", slugs),
            ));
        }
        if let Some(slugs) = &self.themes {
            cond = cond.add(linked(
                "event_theme",
                "theme_id",
                ids_of_slugs("theme", slugs),
            ));
        }
        cond
    }
}

/// The rows linked to events in `link` (`event_organization` or `event_partner`) in `role`, as
/// the condition on the linked table's rows of a relation listed under an event.
pub fn in_role(link: &'static str, role: crate::vocab::EventRole) -> Condition {
    Condition::all().add(col(link, "role").eq(sea_orm::ActiveEnum::to_value(&role)))
}

/// Whose events a calendar feed holds.
#[derive(Debug, Clone)]
pub enum FeedScope {
    /// All events.
    All,
    /// The events an organization (by slug) hosts or takes part in.
    Organization(String),
    /// The events under a theme (by slug).
    Theme(String),
}

/// An event as the calendar feed shows it.
#[derive(Debug, Clone)]
pub struct FeedEvent {
    /// The event.
    pub event: event::Model,
    /// The name of its kind.
    pub kind: Option<String>,
}

/// The events of a calendar feed: the [`FEED_LIMIT`] with the latest start (upcoming ones
/// first of all), earliest first. An unknown organization or theme is `NOT_FOUND`.
pub async fn feed(db: &impl ConnectionTrait, scope: &FeedScope) -> AppResult<Vec<FeedEvent>> {
    let filter = match scope {
        FeedScope::All => Filter::default(),
        FeedScope::Organization(slug) => {
            exists(db, "organization", slug).await?;
            Filter {
                organizations: Some(vec![slug.clone()]),
                ..Filter::default()
            }
        }
        FeedScope::Theme(slug) => {
            exists(db, "theme", slug).await?;
            Filter {
                themes: Some(vec![slug.clone()]),
                ..Filter::default()
            }
        }
    };
    let listing = listing(When::All, filter.condition(), Utc::now());
    let select = Query::select()
        .column((Alias::new(TABLE), sea_orm::sea_query::Asterisk))
        .expr_as(col("event_kind", "name"), Alias::new("kind_name"))
        .from(Alias::new(TABLE))
        .left_join(
            Alias::new("event_kind"),
            col("event_kind", "id")
                .equals((Alias::new(TABLE), Alias::new("kind_id")))
                .and(col("event_kind", "deleted_at").is_null()),
        )
        .cond_where(listing.filter)
        .order_by(
            (Alias::new(TABLE), Alias::new("starts_at")),
            sea_orm::Order::Desc,
        )
        .order_by((Alias::new(TABLE), Alias::new("id")), sea_orm::Order::Desc)
        .limit(FEED_LIMIT)
        .to_owned();
    let mut events = Vec::new();
    for row in db.query_all(&select).await? {
        let event = <event::Model as sea_orm::FromQueryResult>::from_query_result(&row, "")?;
        let kind: Option<String> = row.try_get("", "kind_name")?;
        events.push(FeedEvent { event, kind });
    }
    events.reverse();
    Ok(events)
}

async fn exists(db: &impl ConnectionTrait, table: &'static str, slug: &str) -> AppResult<()> {
    let select = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new(table))
        .and_where(col(table, "slug").eq(slug))
        .and_where(col(table, "deleted_at").is_null())
        .to_owned();
    match db.query_one(&select).await? {
        Some(_) => Ok(()),
        None => Err(AppError::not_found(&format!("{table} `{slug}`"))),
    }
}

impl Visible for event::Model {}
