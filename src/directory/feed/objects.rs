//! The objects of the feed and the export: each visible row as a JSON object with the read API's
//! field names and values (camelCase, enum values as GraphQL spells them, global IDs, RFC 3339
//! times), its links as lists of global IDs. Built for many rows of one type at once: one
//! statement for the rows and one per link table, whatever their number.
//!
//! An object is a function of its own row and its own link rows (never of rows that link to it:
//! an organization has `regionIds`, a region no organization list), so it changes exactly when a
//! write of that object is journaled. A link is listed while its target is visible; targets are
//! deleted for good, and their tombstones tell a mirror to drop links to them. The one link
//! whose target can become visible again is an event's report (a post that is published,
//! rejected and published again): the journal records a change of the event then too.

use std::collections::{HashMap, HashSet};

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Asterisk, Condition, Expr, ExprTrait, JoinType, Order, Query};
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::db::page::Row;
use crate::directory::id::NodeType;
use crate::directory::visible::Visible;
use crate::entity::{
    event, event_kind, organization, partner, post, region, tag, target_group, theme,
};
use crate::error::AppResult;
use crate::vocab::{CareDomain, EventRole};

use super::Audience;

/// The GraphQL name of an enum value (`MENTAL_HEALTH_CARE`), from the vocabulary's own
/// declaration, so that the feed spells every value as the read API does.
fn name<T: async_graphql::EnumType>(value: T) -> &'static str {
    T::items()
        .iter()
        .find(|item| item.value == value)
        .map_or("", |item| item.name)
}

fn time(value: chrono::DateTime<chrono::Utc>) -> Value {
    Value::String(value.to_rfc3339())
}

fn ids(node_type: NodeType, rows: Option<&Vec<i32>>) -> Value {
    Value::Array(
        rows.map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|id| Value::String(node_type.encode(*id)))
            .collect(),
    )
}

fn col(table: &str, column: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

/// Which rows of a table the feed shows: those the read API shows partners (and, for the
/// public audience, anonymous callers): not deleted, and posts only when published.
pub fn visible(node_type: NodeType) -> Condition {
    match node_type {
        NodeType::Organization => organization::Model::visible(),
        NodeType::Region => region::Model::visible(),
        NodeType::TargetGroup => target_group::Model::visible(),
        NodeType::Theme => theme::Model::visible(),
        NodeType::Tag => tag::Model::visible(),
        NodeType::Partner => partner::Model::visible(),
        // Partners see published posts only, as anonymous callers do; administrators read the
        // feed as partners do (the moderation queue is not part of the mirror).
        NodeType::Post => post::Model::visible_to(&Viewer::Anonymous),
        NodeType::Event => event::Model::visible(),
        NodeType::EventKind => event_kind::Model::visible(),
    }
}

/// The table of a type.
pub fn table(node_type: NodeType) -> &'static str {
    match node_type {
        NodeType::Organization => "organization",
        NodeType::Region => "region",
        NodeType::TargetGroup => "target_group",
        NodeType::Theme => "theme",
        NodeType::Tag => "tag",
        NodeType::Partner => "partner",
        NodeType::Post => "post",
        NodeType::Event => "event",
        NodeType::EventKind => "event_kind",
    }
}

/// The visible rows of `M`'s table among `ids`, in id order.
pub(super) async fn rows<M: Row>(
    db: &impl ConnectionTrait,
    node_type: NodeType,
    ids: &[i32],
) -> AppResult<Vec<M>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let select = Query::select()
        .column((Alias::new(M::TABLE), Asterisk))
        .from(Alias::new(M::TABLE))
        .cond_where(visible(node_type))
        .and_where(col(M::TABLE, "id").is_in(ids.iter().copied()))
        .order_by((Alias::new(M::TABLE), Alias::new("id")), Order::Asc)
        .to_owned();
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| Ok(M::from_query_result(row, "")?))
        .collect()
}

/// The ids of `node_type`'s table after `after`, at most `limit`, in id order (visible or not: a
/// read along the primary key).
pub(super) async fn ids_after(
    db: &impl ConnectionTrait,
    node_type: NodeType,
    after: i32,
    limit: u64,
) -> AppResult<Vec<i32>> {
    let table = table(node_type);
    let select = Query::select()
        .column((Alias::new(table), Alias::new("id")))
        .from(Alias::new(table))
        .and_where(col(table, "id").gt(after))
        .order_by((Alias::new(table), Alias::new("id")), Order::Asc)
        .limit(limit)
        .to_owned();
    crate::db::select_ids(db, &select).await
}

/// The visible rows of `target` linked from each of `parents` in `link(parent, child)` (where
/// `extra` holds, e.g. an event role), in the order of their row ids: not by name as the read
/// API lists them, since renaming a target would then change objects that link to it without a
/// change of theirs.
async fn links(
    db: &impl ConnectionTrait,
    (link, parent, child): (&str, &str, &str),
    target: NodeType,
    extra: Condition,
    parents: &[i32],
) -> AppResult<HashMap<i32, Vec<i32>>> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    if parents.is_empty() {
        return Ok(out);
    }
    let target_table = table(target);
    let select = Query::select()
        .expr_as(col(link, parent), Alias::new("parent"))
        .expr_as(col(link, child), Alias::new("child"))
        .from(Alias::new(link))
        .join(
            JoinType::InnerJoin,
            Alias::new(target_table),
            col(target_table, "id").equals((Alias::new(link), Alias::new(child))),
        )
        .and_where(col(link, parent).is_in(parents.iter().copied()))
        .cond_where(visible(target))
        .cond_where(extra)
        .order_by((Alias::new(link), Alias::new(child)), Order::Asc)
        .to_owned();
    for row in db.query_all(&select).await? {
        let parent: i32 = row.try_get("", "parent")?;
        let child: i32 = row.try_get("", "child")?;
        out.entry(parent).or_default().push(child);
    }
    Ok(out)
}

/// Which of `ids` are visible rows of `node_type` (the targets of single links: a region's
/// parent, a post's organization, an event's kind and report).
async fn visible_ids(
    db: &impl ConnectionTrait,
    node_type: NodeType,
    ids: impl IntoIterator<Item = i32>,
) -> AppResult<HashSet<i32>> {
    let ids: HashSet<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(ids);
    }
    let table = table(node_type);
    let select = Query::select()
        .column((Alias::new(table), Alias::new("id")))
        .from(Alias::new(table))
        .and_where(col(table, "id").is_in(ids.iter().copied()))
        .cond_where(visible(node_type))
        .to_owned();
    crate::db::select_ids(db, &select).await
}

fn single(node_type: NodeType, id: Option<i32>, visible: &HashSet<i32>) -> Value {
    match id.filter(|id| visible.contains(id)) {
        Some(id) => Value::String(node_type.encode(id)),
        None => Value::Null,
    }
}

/// A row type the feed carries.
pub(super) trait FeedObject: Row {
    /// Its type.
    const TYPE: NodeType;

    /// The objects of `rows` (visible rows of this type), by row id.
    async fn objects(
        db: &impl ConnectionTrait,
        audience: Audience,
        rows: &[Self],
    ) -> AppResult<Vec<(i32, Value)>>;
}

fn row_ids<M: Row>(rows: &[M]) -> Vec<i32> {
    rows.iter().map(Row::id).collect()
}

impl FeedObject for organization::Model {
    const TYPE: NodeType = NodeType::Organization;

    async fn objects(
        db: &impl ConnectionTrait,
        audience: Audience,
        rows: &[Self],
    ) -> AppResult<Vec<(i32, Value)>> {
        let parents = row_ids(rows);
        let none = Condition::all;
        let regions = links(
            db,
            ("organization_region", "organization_id", "region_id"),
            NodeType::Region,
            none(),
            &parents,
        )
        .await?;
        let target_groups = links(
            db,
            (
                "organization_target_group",
                "organization_id",
                "target_group_id",
            ),
            NodeType::TargetGroup,
            none(),
            &parents,
        )
        .await?;
        let themes = links(
            db,
            ("organization_theme", "organization_id", "theme_id"),
            NodeType::Theme,
            none(),
            &parents,
        )
        .await?;
        let tags = links(
            db,
            ("organization_tag", "organization_id", "tag_id"),
            NodeType::Tag,
            none(),
            &parents,
        )
        .await?;
        let domains = crate::directory::organization::care_domains(db, &parents).await?;
        Ok(rows
            .iter()
            .map(|o| {
                let care: Vec<&str> = domains
                    .get(&o.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|d: &CareDomain| name(*d))
                    .collect();
                let mut object = json!({
                    "id": NodeType::Organization.encode(o.id),
                    "slug": o.slug,
                    "name": o.name,
                    "alsoKnownAs": o.also_known_as.0,
                    "description": o.description,
                    "website": o.website,
                    "logoUrl": o.logo_url,
                    "city": o.city,
                    "size": o.size.map(name),
                    "status": name(o.status),
                    "joinedOn": o.joined_on.map(|d| d.format("%Y-%m-%d").to_string()),
                    "joinedNote": o.joined_note,
                    "publicEmail": o.public_email,
                    "publicPhone": o.public_phone,
                    "kvkNumber": o.kvk_number,
                    "agbCode": o.agb_code,
                    "websiteDomain": o.website_domain,
                    "careDomains": care,
                    "regionIds": ids(NodeType::Region, regions.get(&o.id)),
                    "targetGroupIds": ids(NodeType::TargetGroup, target_groups.get(&o.id)),
                    "themeIds": ids(NodeType::Theme, themes.get(&o.id)),
                    "tagIds": ids(NodeType::Tag, tags.get(&o.id)),
                    "createdAt": time(o.created_at),
                    "updatedAt": time(o.updated_at),
                    "version": o.version,
                });
                if audience.reads_contacts() {
                    object["contactName"] = json!(o.contact_name);
                    object["contactEmail"] = json!(o.contact_email);
                    object["contactPhone"] = json!(o.contact_phone);
                }
                (o.id, object)
            })
            .collect())
    }
}

impl FeedObject for partner::Model {
    const TYPE: NodeType = NodeType::Partner;

    async fn objects(
        _db: &impl ConnectionTrait,
        audience: Audience,
        rows: &[Self],
    ) -> AppResult<Vec<(i32, Value)>> {
        Ok(rows
            .iter()
            .map(|p| {
                let mut object = json!({
                    "id": NodeType::Partner.encode(p.id),
                    "slug": p.slug,
                    "name": p.name,
                    "shortName": p.short_name,
                    "kind": name(p.kind),
                    "role": p.role,
                    "description": p.description,
                    "website": p.website,
                    "coreTeam": p.core_team,
                    "publicEmail": p.public_email,
                    "publicPhone": p.public_phone,
                    "createdAt": time(p.created_at),
                    "updatedAt": time(p.updated_at),
                    "version": p.version,
                });
                if audience.reads_contacts() {
                    object["contactName"] = json!(p.contact_name);
                    object["contactEmail"] = json!(p.contact_email);
                    object["contactPhone"] = json!(p.contact_phone);
                }
                (p.id, object)
            })
            .collect())
    }
}

impl FeedObject for region::Model {
    const TYPE: NodeType = NodeType::Region;

    async fn objects(
        db: &impl ConnectionTrait,
        _audience: Audience,
        rows: &[Self],
    ) -> AppResult<Vec<(i32, Value)>> {
        let parents = visible_ids(
            db,
            NodeType::Region,
            rows.iter().filter_map(|r| r.parent_id),
        )
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let object = json!({
                    "id": NodeType::Region.encode(r.id),
                    "slug": r.slug,
                    "name": r.name,
                    "kind": name(r.kind),
                    "parentId": single(NodeType::Region, r.parent_id, &parents),
                    "updatedAt": time(r.updated_at),
                    "version": r.version,
                });
                (r.id, object)
            })
            .collect())
    }
}

/// The objects of a vocabulary (target groups, themes, tags, event kinds): one shape.
macro_rules! term_object {
    ($module:ident, $node_type:expr) => {
        impl FeedObject for $module::Model {
            const TYPE: NodeType = $node_type;

            async fn objects(
                _db: &impl ConnectionTrait,
                _audience: Audience,
                rows: &[Self],
            ) -> AppResult<Vec<(i32, Value)>> {
                Ok(rows
                    .iter()
                    .map(|t| {
                        let object = json!({
                            "id": $node_type.encode(t.id),
                            "slug": t.slug,
                            "name": t.name,
                            "description": t.description,
                            "updatedAt": time(t.updated_at),
                            "version": t.version,
                        });
                        (t.id, object)
                    })
                    .collect())
            }
        }
    };
}

term_object!(target_group, NodeType::TargetGroup);
term_object!(theme, NodeType::Theme);
term_object!(tag, NodeType::Tag);
term_object!(event_kind, NodeType::EventKind);

impl FeedObject for post::Model {
    const TYPE: NodeType = NodeType::Post;

    async fn objects(
        db: &impl ConnectionTrait,
        _audience: Audience,
        rows: &[Self],
    ) -> AppResult<Vec<(i32, Value)>> {
        let parents = row_ids(rows);
        let none = Condition::all;
        let themes = links(
            db,
            ("post_theme", "post_id", "theme_id"),
            NodeType::Theme,
            none(),
            &parents,
        )
        .await?;
        let tags = links(
            db,
            ("post_tag", "post_id", "tag_id"),
            NodeType::Tag,
            none(),
            &parents,
        )
        .await?;
        let organizations = links(
            db,
            ("post_organization", "post_id", "organization_id"),
            NodeType::Organization,
            none(),
            &parents,
        )
        .await?;
        let partners = links(
            db,
            ("post_partner", "post_id", "partner_id"),
            NodeType::Partner,
            none(),
            &parents,
        )
        .await?;
        let own = visible_ids(
            db,
            NodeType::Organization,
            rows.iter().filter_map(|p| p.organization_id),
        )
        .await?;
        Ok(rows
            .iter()
            .map(|p| {
                // Never the author's e-mail address or its hash: administrators' fields.
                let object = json!({
                    "id": NodeType::Post.encode(p.id),
                    "slug": p.slug,
                    "kind": name(p.kind),
                    "title": p.title,
                    "body": p.body,
                    "authorName": p.author_name,
                    "authorRole": p.author_role.map(name),
                    "organizationId": single(NodeType::Organization, p.organization_id, &own),
                    "organizationIds": ids(NodeType::Organization, organizations.get(&p.id)),
                    "partnerIds": ids(NodeType::Partner, partners.get(&p.id)),
                    "themeIds": ids(NodeType::Theme, themes.get(&p.id)),
                    "tagIds": ids(NodeType::Tag, tags.get(&p.id)),
                    "status": name(p.status),
                    "publishedAt": p.published_at.map(time),
                    "createdAt": time(p.created_at),
                    "updatedAt": time(p.updated_at),
                    "version": p.version,
                });
                (p.id, object)
            })
            .collect())
    }
}

impl FeedObject for event::Model {
    const TYPE: NodeType = NodeType::Event;

    async fn objects(
        db: &impl ConnectionTrait,
        _audience: Audience,
        rows: &[Self],
    ) -> AppResult<Vec<(i32, Value)>> {
        let parents = row_ids(rows);
        let role =
            |link: &'static str, role: EventRole| crate::directory::event::in_role(link, role);
        let mut people = Vec::new();
        for (link, column, target, event_role) in [
            (
                "event_organization",
                "organization_id",
                NodeType::Organization,
                EventRole::Host,
            ),
            (
                "event_organization",
                "organization_id",
                NodeType::Organization,
                EventRole::Participant,
            ),
            (
                "event_partner",
                "partner_id",
                NodeType::Partner,
                EventRole::Host,
            ),
            (
                "event_partner",
                "partner_id",
                NodeType::Partner,
                EventRole::Participant,
            ),
        ] {
            people.push(
                links(
                    db,
                    (link, "event_id", column),
                    target,
                    role(link, event_role),
                    &parents,
                )
                .await?,
            );
        }
        let themes = links(
            db,
            ("event_theme", "event_id", "theme_id"),
            NodeType::Theme,
            Condition::all(),
            &parents,
        )
        .await?;
        let tags = links(
            db,
            ("event_tag", "event_id", "tag_id"),
            NodeType::Tag,
            Condition::all(),
            &parents,
        )
        .await?;
        let kinds = visible_ids(db, NodeType::EventKind, rows.iter().map(|e| e.kind_id)).await?;
        let reports = visible_ids(
            db,
            NodeType::Post,
            rows.iter().filter_map(|e| e.report_post_id),
        )
        .await?;
        let local = |t| Value::String(crate::directory::event::local(t).to_rfc3339());
        Ok(rows
            .iter()
            .map(|e| {
                let object = json!({
                    "id": NodeType::Event.encode(e.id),
                    "slug": e.slug,
                    "title": e.title,
                    "kindId": single(NodeType::EventKind, Some(e.kind_id), &kinds),
                    "startsAt": local(e.starts_at),
                    "endsAt": local(e.ends_at),
                    "timeZone": crate::directory::event::TIME_ZONE,
                    "attendance": e.attendance.map(name),
                    "timeNote": e.time_note,
                    "city": e.city,
                    "venue": e.venue,
                    "description": e.description,
                    "capacity": e.capacity,
                    "registrationUrl": e.registration_url,
                    "reportPostId": single(NodeType::Post, e.report_post_id, &reports),
                    "hostOrganizationIds": ids(NodeType::Organization, people[0].get(&e.id)),
                    "participatingOrganizationIds":
                        ids(NodeType::Organization, people[1].get(&e.id)),
                    "hostPartnerIds": ids(NodeType::Partner, people[2].get(&e.id)),
                    "participatingPartnerIds": ids(NodeType::Partner, people[3].get(&e.id)),
                    "themeIds": ids(NodeType::Theme, themes.get(&e.id)),
                    "tagIds": ids(NodeType::Tag, tags.get(&e.id)),
                    "createdAt": time(e.created_at),
                    "updatedAt": time(e.updated_at),
                    "version": e.version,
                });
                (e.id, object)
            })
            .collect())
    }
}
