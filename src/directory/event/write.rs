//! Writing events: create, update, soft delete. Administrators write any event; an
//! organization writes the events it hosts (`auth::policy`). Each write is one transaction with
//! its journal entry; updates and deletes are refused with `CONFLICT` on a stale version.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use crate::auth::{Viewer, policy};
use crate::db::journal::Operation;
use crate::db::write::{
    Journaled, Write, check_version, load_live, replace_links, slug_taken, sorted_ids,
};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::directory::organization::write::{patch, resolve_ids};
use crate::directory::vocabulary::write::slug_taken_problem;
use crate::entity::event;
use crate::error::{AppError, AppResult};
use crate::text::slugify;
use crate::vocab::{AttendanceMode, EventRole};

/// Changes to an event: only the fields given change; `Clear` empties an optional field. Lists
/// of IDs replace the current links; an organization or partner listed as host is not also
/// listed as taking part.
#[derive(Debug, Default)]
pub struct Changes {
    /// A new slug.
    pub slug: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The ID of the event's kind.
    pub kind_id: Option<String>,
    /// When it starts.
    pub starts_at: Option<DateTime<Utc>>,
    /// When it ends (not before the start).
    pub ends_at: Option<DateTime<Utc>>,
    /// Online, in person or both.
    pub attendance: Patch<AttendanceMode>,
    /// How the time is publicly known, where only a day or a month is.
    pub time_note: Patch<String>,
    /// The city.
    pub city: Patch<String>,
    /// The venue.
    pub venue: Patch<String>,
    /// What the event is about.
    pub description: Option<String>,
    /// The ID of the post that reports on it.
    pub report_post_id: Patch<String>,
    /// How many people can attend (at least 1).
    pub capacity: Patch<i32>,
    /// Where to register (an http(s) URL).
    pub registration_url: Patch<String>,
    /// IDs of the hosting organizations.
    pub host_organization_ids: Option<Vec<String>>,
    /// IDs of the organizations taking part.
    pub participating_organization_ids: Option<Vec<String>>,
    /// IDs of the hosting partners.
    pub host_partner_ids: Option<Vec<String>>,
    /// IDs of the partners taking part.
    pub participating_partner_ids: Option<Vec<String>>,
    /// IDs of the themes.
    pub theme_ids: Option<Vec<String>>,
    /// IDs of the tags.
    pub tag_ids: Option<Vec<String>>,
}

/// The people links of an event: (input field, link table, column, target table, type, role).
const PEOPLE: [(&str, &str, &str, &str, NodeType, EventRole); 4] = [
    (
        "hostOrganizationIds",
        "event_organization",
        "organization_id",
        "organization",
        NodeType::Organization,
        EventRole::Host,
    ),
    (
        "participatingOrganizationIds",
        "event_organization",
        "organization_id",
        "organization",
        NodeType::Organization,
        EventRole::Participant,
    ),
    (
        "hostPartnerIds",
        "event_partner",
        "partner_id",
        "partner",
        NodeType::Partner,
        EventRole::Host,
    ),
    (
        "participatingPartnerIds",
        "event_partner",
        "partner_id",
        "partner",
        NodeType::Partner,
        EventRole::Participant,
    ),
];

/// The vocabulary links of an event: (input field, link table, column, target table, type).
const TERMS: [(&str, &str, &str, &str, NodeType); 2] = [
    (
        "themeIds",
        "event_theme",
        "theme_id",
        "theme",
        NodeType::Theme,
    ),
    ("tagIds", "event_tag", "tag_id", "tag", NodeType::Tag),
];

/// The smallest capacity an event may have.
const MIN_CAPACITY: i32 = 1;

/// The checked links of a write: the row ids per link, when given.
#[derive(Debug, Default)]
struct Links {
    people: [Option<Vec<i32>>; 4],
    terms: [Option<Vec<i32>>; 2],
    kind: Option<i32>,
    report: Patch<i32>,
}

impl Changes {
    fn people(&self) -> [Option<&Vec<String>>; 4] {
        [
            self.host_organization_ids.as_ref(),
            self.participating_organization_ids.as_ref(),
            self.host_partner_ids.as_ref(),
            self.participating_partner_ids.as_ref(),
        ]
    }

    /// Checks the changes against the event as it is (`before`, none for a new one).
    async fn check(
        &self,
        db: &impl ConnectionTrait,
        checks: &mut Checks,
        before: Option<&event::Model>,
    ) -> AppResult<Links> {
        if let Some(slug) = &self.slug {
            checks.slug("slug", slug);
            if checks.ok()
                && slug_taken::<event::Entity>(db, event::Column::Slug, slug, before.map(|b| b.id))
                    .await?
            {
                checks.push(
                    "slug",
                    ProblemCode::Taken,
                    format!("the slug `{slug}` is taken"),
                );
            }
        }
        if let Some(title) = &self.title {
            checks.text("title", title, MAX_LINE);
        }
        if let Some(description) = &self.description {
            checks.max("description", description, MAX_TEXT);
        }
        for (field, value) in [
            ("city", &self.city),
            ("venue", &self.venue),
            ("timeNote", &self.time_note),
        ] {
            if let Some(value) = value.value() {
                checks.max(field, value, MAX_LINE);
            }
        }
        checks.url(
            "registrationUrl",
            self.registration_url.value().map(String::as_str),
        );
        if let Some(capacity) = self.capacity.value()
            && *capacity < MIN_CAPACITY
        {
            checks.push(
                "capacity",
                ProblemCode::Invalid,
                format!("`capacity` must be at least {MIN_CAPACITY}"),
            );
        }
        let starts = self.starts_at.or(before.map(|b| b.starts_at));
        let ends = self.ends_at.or(before.map(|b| b.ends_at));
        if let (Some(starts), Some(ends)) = (starts, ends)
            && ends < starts
        {
            checks.push(
                "endsAt",
                ProblemCode::Invalid,
                "`endsAt` must not be before `startsAt`",
            );
        }
        let mut links = Links::default();
        if let Some(kind) = &self.kind_id {
            links.kind = resolve_ids(
                db,
                checks,
                "kindId",
                "event_kind",
                NodeType::EventKind,
                std::slice::from_ref(kind),
            )
            .await?
            .and_then(|ids| ids.first().copied());
        }
        links.report = match &self.report_post_id {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(id) => resolve_ids(
                db,
                checks,
                "reportPostId",
                "post",
                NodeType::Post,
                std::slice::from_ref(id),
            )
            .await?
            .and_then(|ids| ids.first().copied())
            .map_or(Patch::Keep, Patch::Set),
        };
        for (i, ids) in self.people().into_iter().enumerate() {
            let Some(ids) = ids else { continue };
            let (field, _, _, table, node_type, _) = PEOPLE[i];
            links.people[i] = resolve_ids(db, checks, field, table, node_type, ids).await?;
        }
        for (i, ids) in [self.theme_ids.as_ref(), self.tag_ids.as_ref()]
            .into_iter()
            .enumerate()
        {
            let Some(ids) = ids else { continue };
            let (field, _, _, table, node_type) = TERMS[i];
            links.terms[i] = resolve_ids(db, checks, field, table, node_type, ids).await?;
        }
        for (hosts, participants) in [(0, 1), (2, 3)] {
            if let (Some(h), Some(p)) = (&links.people[hosts], &links.people[participants])
                && h.iter().any(|id| p.contains(id))
            {
                checks.push(
                    PEOPLE[participants].0,
                    ProblemCode::Invalid,
                    "a host is not also listed as taking part",
                );
            }
        }
        Ok(links)
    }

    /// Puts the changes into `row`.
    fn apply(self, row: &mut event::ActiveModel, links: &Links) {
        if let Some(slug) = self.slug {
            row.slug = Set(slug);
        }
        if let Some(title) = self.title {
            row.title = Set(title.trim().to_owned());
        }
        if let Some(kind) = links.kind {
            row.kind_id = Set(kind);
        }
        if let Some(starts_at) = self.starts_at {
            row.starts_at = Set(starts_at);
        }
        if let Some(ends_at) = self.ends_at {
            row.ends_at = Set(ends_at);
        }
        if let Some(description) = self.description {
            row.description = Set(description);
        }
        patch(&mut row.attendance, self.attendance);
        patch(&mut row.time_note, self.time_note);
        patch(&mut row.city, self.city);
        patch(&mut row.venue, self.venue);
        patch(&mut row.capacity, self.capacity);
        patch(&mut row.registration_url, self.registration_url);
        patch(&mut row.report_post_id, links.report.clone());
    }
}

/// The organizations hosting event `id`.
pub async fn hosts(db: &impl ConnectionTrait, id: i32) -> AppResult<Vec<i32>> {
    let select = Query::select()
        .column(Alias::new("organization_id"))
        .from(Alias::new("event_organization"))
        .and_where(Expr::col(Alias::new("event_id")).eq(id))
        .and_where(
            Expr::col(Alias::new("role")).eq(sea_orm::ActiveEnum::to_value(&EventRole::Host)),
        )
        .to_owned();
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| Ok(row.try_get("", "organization_id")?))
        .collect()
}

async fn write_links(db: &impl ConnectionTrait, id: i32, links: &Links) -> AppResult<()> {
    for (i, ids) in links.people.iter().enumerate() {
        let Some(ids) = ids else { continue };
        let (_, table, column, _, _, role) = PEOPLE[i];
        let role = sea_orm::ActiveEnum::to_value(&role);
        // The role's links, and any other link of the rows given: a row takes the new role.
        let delete = Query::delete()
            .from_table(Alias::new(table))
            .and_where(Expr::col(Alias::new("event_id")).eq(id))
            .cond_where(
                sea_orm::sea_query::Condition::any()
                    .add(Expr::col(Alias::new("role")).eq(role.clone()))
                    .add(Expr::col(Alias::new(column)).is_in(ids.iter().copied())),
            )
            .to_owned();
        db.execute(&delete).await?;
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        for other in unique {
            let insert = Query::insert()
                .into_table(Alias::new(table))
                .columns([
                    Alias::new("event_id"),
                    Alias::new(column),
                    Alias::new("role"),
                ])
                .values([id.into(), other.into(), role.clone().into()])
                .map_err(AppError::internal)?
                .to_owned();
            db.execute(&insert).await?;
        }
    }
    for (i, ids) in links.terms.iter().enumerate() {
        if let Some(ids) = ids {
            let (_, table, column, _, _) = TERMS[i];
            replace_links(db, table, "event_id", column, id, ids).await?;
        }
    }
    Ok(())
}

/// The event as the audit log records it: its columns and its links.
async fn snapshot(db: &impl ConnectionTrait, row: &event::Model) -> AppResult<serde_json::Value> {
    let mut value = serde_json::to_value(row).map_err(AppError::internal)?;
    for (field, table, column, _, _, role) in PEOPLE {
        let select = Query::select()
            .column(Alias::new(column))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new("event_id")).eq(row.id))
            .and_where(Expr::col(Alias::new("role")).eq(sea_orm::ActiveEnum::to_value(&role)))
            .to_owned();
        value[field] = serde_json::json!(sorted_ids(db, &select, column).await?);
    }
    for (field, table, column, _, _) in TERMS {
        let select = Query::select()
            .column(Alias::new(column))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new("event_id")).eq(row.id))
            .to_owned();
        value[field] = serde_json::json!(sorted_ids(db, &select, column).await?);
    }
    Ok(value)
}

impl Journaled for event::Model {
    fn id(&self) -> i32 {
        self.id
    }

    fn snapshot(
        &self,
        db: &sea_orm::DatabaseTransaction,
    ) -> impl Future<Output = AppResult<serde_json::Value>> + Send {
        snapshot(db, self)
    }
}

/// The organization an event's journal entries are filed under: the writing organization, or
/// else the first host.
fn filed_under(viewer: &Viewer, hosts: &[i32]) -> Option<i32> {
    viewer
        .organization_id()
        .or_else(|| hosts.iter().min().copied())
}

/// Creates an event: administrators any, an organization one it hosts.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    mut changes: Changes,
) -> AppResult<Outcome<event::Model>> {
    policy::require_event_writer(viewer)?;
    let mut checks = Checks::default();
    let title = changes.title.clone().unwrap_or_default();
    checks.text("title", &title, MAX_LINE);
    if changes.slug.is_none() {
        // Titles repeat ("Uitwisselingsbijeenkomst"): the date makes the slug of each its own.
        let date = changes
            .starts_at
            .map(|t| super::local(t).format("%Y-%m-%d").to_string());
        let slug = slugify(&format!("{title} {}", date.unwrap_or_default()));
        if !slug.is_empty()
            && slug_taken::<event::Entity>(db, event::Column::Slug, &slug, None).await?
        {
            checks.push(
                "slug",
                ProblemCode::Taken,
                format!("the slug `{slug}` made from the title and date is taken: give a `slug`"),
            );
        }
        changes.slug = Some(slug);
    }
    if changes.kind_id.is_none() {
        checks.push("kindId", ProblemCode::Required, "`kindId` is required");
    }
    let (Some(starts_at), Some(ends_at)) = (changes.starts_at, changes.ends_at) else {
        checks.push(
            "startsAt",
            ProblemCode::Required,
            "`startsAt` and `endsAt` are required",
        );
        return Ok(Err(checks.into_errors()));
    };
    let links = changes.check(db, &mut checks, None).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let hosts = links.people[0].clone().unwrap_or_default();
    policy::require_event_host(viewer, &hosts)?;
    let mut row = event::ActiveModel {
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        attendance: Set(None),
        time_note: Set(None),
        description: Set(String::new()),
        city: Set(None),
        venue: Set(None),
        report_post_id: Set(None),
        capacity: Set(None),
        registration_url: Set(None),
        ..Default::default()
    };
    changes.apply(&mut row, &links);
    let write = Write::begin(db, viewer.actor()).await?;
    let Ok(row) = write.insert::<event::Entity>(row).await? else {
        return Ok(slug_taken_problem());
    };
    write_links(write.txn(), row.id, &links).await?;
    write
        .journal_under::<event::Entity>(Operation::Create, &row, None, filed_under(viewer, &hosts))
        .await?;
    write.commit().await?;
    Ok(Ok(row))
}

/// Updates an event: administrators any, an organization one it hosts (and still hosts after).
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
    changes: Changes,
) -> AppResult<Outcome<event::Model>> {
    policy::require_event_writer(viewer)?;
    let id = GlobalId::parse_as(id, NodeType::Event)?;
    let before = load_live::<event::Entity>(db, id, "event").await?;
    let hosts_before = hosts(db, id).await?;
    policy::require_event_host(viewer, &hosts_before)?;
    check_version(&before, version)?;
    let mut checks = Checks::default();
    let links = changes.check(db, &mut checks, Some(&before)).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let hosts_after = links.people[0].clone().unwrap_or(hosts_before);
    policy::require_event_host(viewer, &hosts_after)?;
    let mut row = event::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        ..Default::default()
    };
    changes.apply(&mut row, &links);
    let write = Write::begin(db, viewer.actor()).await?;
    let before_snapshot = write.snapshot(&before).await?;
    let after = write.update::<event::Entity>(id, version, row).await?;
    write_links(write.txn(), id, &links).await?;
    write
        .journal_under::<event::Entity>(
            Operation::Update,
            &after,
            Some(before_snapshot),
            filed_under(viewer, &hosts_after),
        )
        .await?;
    write.commit().await?;
    Ok(Ok(after))
}

/// Softly deletes an event: administrators any, an organization one it hosts.
pub async fn delete(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
) -> AppResult<i32> {
    policy::require_event_writer(viewer)?;
    let id = GlobalId::parse_as(id, NodeType::Event)?;
    let before = load_live::<event::Entity>(db, id, "event").await?;
    let hosts = hosts(db, id).await?;
    policy::require_event_host(viewer, &hosts)?;
    check_version(&before, version)?;
    let write = Write::begin(db, viewer.actor()).await?;
    let before_snapshot = write.snapshot(&before).await?;
    let after = write.delete::<event::Entity>(id, version).await?;
    write
        .journal_under::<event::Entity>(
            Operation::Delete,
            &after,
            Some(before_snapshot),
            filed_under(viewer, &hosts),
        )
        .await?;
    write.commit().await?;
    Ok(id)
}

/// How many live events are of kind `id`.
pub async fn events_of_kind(db: &impl ConnectionTrait, id: i32) -> AppResult<u64> {
    Ok(event::Entity::find()
        .filter(event::Column::KindId.eq(id))
        .filter(event::Column::DeletedAt.is_null())
        .count(db)
        .await?)
}

/// Softly deletes event kind `id` at `version` (administrators); a kind that live events have
/// is refused, so that no event is left without one.
pub async fn delete_kind(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
) -> AppResult<Outcome<()>> {
    policy::require_admin(viewer, "curate the vocabulary")?;
    let row = GlobalId::parse_as(id, NodeType::EventKind)?;
    let used = events_of_kind(db, row).await?;
    if used > 0 {
        let mut checks = Checks::default();
        checks.push(
            "id",
            ProblemCode::Invalid,
            format!("{used} event(s) are of this kind: give them another kind first"),
        );
        return Ok(Err(checks.into_errors()));
    }
    crate::directory::vocabulary::write::delete::<crate::entity::event_kind::Entity>(
        db,
        viewer,
        NodeType::EventKind,
        id,
        version,
    )
    .await?;
    Ok(Ok(()))
}
