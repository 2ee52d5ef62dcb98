//! `GET /events.ics`: the movement's events as an iCalendar feed (RFC 5545) that people
//! subscribe to in their own calendar application; `?organization=<slug>` or `?theme=<slug>`
//! narrows it to one organization's or one theme's events. It holds the
//! [`directory::event::FEED_LIMIT`] events with the latest start, read through the core.
//!
//! The text is built with the `icalendar` crate, which escapes TEXT values (`\`, `;`, `,`,
//! newlines) and folds lines at 75 octets. Times are written in UTC (`…Z`), which needs no
//! `VTIMEZONE` component and is exact across daylight saving time; `X-WR-TIMEZONE` tells
//! calendar applications to show them in Europe/Amsterdam time.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, Component, EventLike, Property};
use serde::Deserialize;

use crate::directory;
use crate::directory::event::{FeedEvent, FeedScope};
use crate::error::{AppError, ErrorCode};
use crate::http::AppState;

/// The feed's `PRODID`: who made the calendar.
pub const PRODID: &str = "-//Radicale vernieuwing langdurige ggz//network-directory//NL";

/// The query of `/events.ics`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// An organization's slug: the events it hosts or takes part in.
    organization: Option<String>,
    /// A theme's slug: the events under it.
    theme: Option<String>,
}

/// `GET /events.ics`
pub async fn events(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<FeedQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // The same per-address rate limit as the GraphQL endpoint.
    let client = crate::http::graphql::client_ip(
        peer.ip(),
        &headers,
        state.http.trusted_proxy_header.as_deref(),
    );
    if let Err(AppError::RateLimited {
        message,
        retry_after,
    }) = state.limits.check_ip(client.0)
    {
        state.metrics.rate_limited.with_label_values(&["ip"]).inc();
        let mut response = plain(StatusCode::TOO_MANY_REQUESTS, message);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return response;
    }
    let scope = match query {
        Ok(Query(FeedQuery {
            organization: Some(slug),
            theme: None,
        })) => FeedScope::Organization(slug),
        Ok(Query(FeedQuery {
            organization: None,
            theme: Some(slug),
        })) => FeedScope::Theme(slug),
        Ok(Query(FeedQuery {
            organization: None,
            theme: None,
        })) => FeedScope::All,
        _ => {
            return plain(
                StatusCode::BAD_REQUEST,
                "give at most one of `organization=<slug>` and `theme=<slug>`".to_owned(),
            );
        }
    };
    match directory::event::feed(&state.db, &scope).await {
        Ok(events) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            calendar(&events),
        )
            .into_response(),
        Err(err) if err.code() == ErrorCode::NotFound => {
            let what = match scope {
                FeedScope::Organization(slug) => format!("no organization with slug `{slug}`"),
                FeedScope::Theme(slug) => format!("no theme with slug `{slug}`"),
                FeedScope::All => "not found".to_owned(),
            };
            plain(StatusCode::NOT_FOUND, what)
        }
        Err(err) => {
            // The cause is logged, never shown.
            tracing::error!(error = ?err, "the calendar feed failed");
            let status = match err.code() {
                ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            plain(
                status,
                "the calendar feed is unavailable; try again later".to_owned(),
            )
        }
    }
}

fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// Line breaks as TEXT values carry them: `\n` only (the crate escapes it).
fn text(value: &str) -> String {
    value.replace("\r\n", "\n").replace('\r', "\n")
}

/// The calendar text of `events`.
pub fn calendar(events: &[FeedEvent]) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name("Radicale vernieuwing langdurige ggz")
        .timezone(directory::event::TIME_ZONE);
    for FeedEvent { event, kind } in events {
        let mut item = icalendar::Event::new();
        item.uid(&format!("event-{}@network-directory", event.id))
            // When the event's information was last revised (RFC 5545 §3.8.7.2).
            .timestamp(event.updated_at)
            .starts(event.starts_at)
            .ends(event.ends_at)
            .summary(&text(&event.title))
            .description(&text(&match &event.time_note {
                Some(note) => format!("{note}\n\n{}", event.description),
                None => event.description.clone(),
            }));
        let place: Vec<&str> = [event.venue.as_deref(), event.city.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !place.is_empty() {
            item.location(&text(&place.join(", ")));
        } else if event.attendance == Some(crate::vocab::AttendanceMode::Online) {
            item.location("Online");
        }
        if let Some(url) = &event.registration_url {
            item.url(url);
        }
        if let Some(kind) = kind {
            item.append_property(Property::new("CATEGORIES", text(kind).replace(',', " ")));
        }
        calendar.push(item.done());
    }
    calendar.done().to_string()
}
