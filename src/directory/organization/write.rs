//! Writing organizations: create, update (own profile or admin), soft delete. Each write is one
//! transaction with its journal entry; updates are refused with `CONFLICT` on a stale version.

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection};

use crate::auth::{Viewer, policy};
use crate::db::journal::Operation;
use crate::db::write::{
    Journaled, Write, check_version, existing_ids, load_live, replace_links, slug_taken,
};
use crate::directory::checks::{Checks, MAX_LINE, MAX_TEXT, Outcome, Patch, ProblemCode};
use crate::directory::id::{GlobalId, NodeType};
use crate::directory::vocabulary::write::slug_taken_problem;
use crate::entity::organization;
use crate::error::{AppError, AppResult};
use crate::text::{fold, name_words};
use crate::vocab::{CareDomain, OrganizationSize, OrganizationStatus};

/// Changes to an organization: only the fields given change; `null` clears an optional field.
/// Lists of IDs replace the current links.
#[derive(Debug, Default)]
pub struct Changes {
    /// A new slug (administrators only).
    pub slug: Option<String>,
    /// A new name.
    pub name: Option<String>,
    /// Other names the organization is known by.
    pub also_known_as: Option<Vec<String>>,
    /// A short description.
    pub description: Option<String>,
    /// The website (an http(s) URL).
    pub website: Patch<String>,
    /// The URL of the logo.
    pub logo_url: Patch<String>,
    /// The city of the head office.
    pub city: Patch<String>,
    /// The size.
    pub size: Patch<OrganizationSize>,
    /// The domains of care provided.
    pub care_domains: Option<Vec<CareDomain>>,
    /// The relation to the network (administrators only).
    pub status: Option<OrganizationStatus>,
    /// When the organization joined (administrators only).
    pub joined_on: Patch<NaiveDate>,
    /// How the joining is publicly known.
    pub joined_note: Patch<String>,
    /// The public e-mail address.
    pub public_email: Patch<String>,
    /// The public telephone number.
    pub public_phone: Patch<String>,
    /// The contact person (partner-only).
    pub contact_name: Patch<String>,
    /// The contact person's e-mail address (partner-only).
    pub contact_email: Patch<String>,
    /// The contact person's telephone number (partner-only).
    pub contact_phone: Patch<String>,
    /// IDs of the regions worked in.
    pub region_ids: Option<Vec<String>>,
    /// IDs of the target groups served.
    pub target_group_ids: Option<Vec<String>>,
    /// IDs of the themes worked on.
    pub theme_ids: Option<Vec<String>>,
    /// IDs of the tags.
    pub tag_ids: Option<Vec<String>>,
    /// The KvK number, the AGB code and the website domain (see [`super::identifiers`]).
    pub identifiers: Identifiers,
}

/// Changes to the identifiers partners match an organization by; an empty text clears one.
#[derive(Debug, Default)]
pub struct Identifiers {
    /// The Chamber of Commerce number (8 digits).
    pub kvk_number: Patch<String>,
    /// The care-provider code (8 digits).
    pub agb_code: Patch<String>,
    /// The website's domain.
    pub website_domain: Patch<String>,
}

impl Identifiers {
    /// The fields with their input names and parsers.
    fn fields(&self) -> [(&'static str, &Patch<String>, super::identifiers::Parse); 3] {
        use super::identifiers::{agb_code, kvk_number, website_domain};
        [
            ("kvkNumber", &self.kvk_number, kvk_number),
            ("agbCode", &self.agb_code, agb_code),
            ("websiteDomain", &self.website_domain, website_domain),
        ]
    }

    fn check(&self, checks: &mut Checks) {
        for (field, value, parse) in self.fields() {
            if let Some(text) = value.value().filter(|t| !t.trim().is_empty())
                && let Err(message) = parse(text)
            {
                checks.push(field, ProblemCode::Invalid, message);
            }
        }
    }

    fn apply(self, row: &mut organization::ActiveModel) {
        use super::identifiers::{agb_code, kvk_number, website_domain};
        // Stored in the one form they are matched in; an empty text clears the field.
        fn parsed(value: Patch<String>, parse: super::identifiers::Parse) -> Patch<String> {
            match value {
                Patch::Set(text) if text.trim().is_empty() => Patch::Clear,
                Patch::Set(text) => parse(&text).map_or(Patch::Keep, Patch::Set),
                other => other,
            }
        }
        patch(&mut row.kvk_number, parsed(self.kvk_number, kvk_number));
        patch(&mut row.agb_code, parsed(self.agb_code, agb_code));
        patch(
            &mut row.website_domain,
            parsed(self.website_domain, website_domain),
        );
    }
}

/// The link tables of an organization: (input field, link table, column, target table, type).
const LINKS: [(&str, &str, &str, &str, NodeType); 4] = [
    (
        "regionIds",
        "organization_region",
        "region_id",
        "region",
        NodeType::Region,
    ),
    (
        "targetGroupIds",
        "organization_target_group",
        "target_group_id",
        "target_group",
        NodeType::TargetGroup,
    ),
    (
        "themeIds",
        "organization_theme",
        "theme_id",
        "theme",
        NodeType::Theme,
    ),
    ("tagIds", "organization_tag", "tag_id", "tag", NodeType::Tag),
];

impl Changes {
    fn links(&self) -> [Option<&Vec<String>>; 4] {
        [
            self.region_ids.as_ref(),
            self.target_group_ids.as_ref(),
            self.theme_ids.as_ref(),
            self.tag_ids.as_ref(),
        ]
    }

    /// Checks the changes; returns the resolved link ids (per link table, when given).
    async fn check(
        &self,
        db: &impl ConnectionTrait,
        checks: &mut Checks,
        except: Option<i32>,
    ) -> AppResult<[Option<Vec<i32>>; 4]> {
        if let Some(slug) = &self.slug {
            checks.slug("slug", slug);
            if checks.ok()
                && slug_taken::<organization::Entity>(db, organization::Column::Slug, slug, except)
                    .await?
            {
                checks.push(
                    "slug",
                    ProblemCode::Taken,
                    format!("the slug `{slug}` is taken"),
                );
            }
        }
        if let Some(name) = &self.name {
            checks.text("name", name, MAX_LINE);
        }
        if let Some(names) = &self.also_known_as {
            if names.len() > MAX_OTHER_NAMES {
                checks.push(
                    "alsoKnownAs",
                    ProblemCode::TooLong,
                    format!("`alsoKnownAs` may hold at most {MAX_OTHER_NAMES} names"),
                );
            }
            for name in names {
                checks.text("alsoKnownAs", name, MAX_LINE);
            }
        }
        if let Some(description) = &self.description {
            checks.max("description", description, MAX_TEXT);
        }
        checks.url("website", self.website.value().map(String::as_str));
        checks.url("logoUrl", self.logo_url.value().map(String::as_str));
        for (field, value) in [
            ("city", &self.city),
            ("joinedNote", &self.joined_note),
            ("publicPhone", &self.public_phone),
            ("contactName", &self.contact_name),
            ("contactPhone", &self.contact_phone),
        ] {
            if let Some(value) = value.value() {
                checks.max(field, value, MAX_LINE);
            }
        }
        checks.email("publicEmail", self.public_email.value().map(String::as_str));
        self.identifiers.check(checks);
        checks.email(
            "contactEmail",
            self.contact_email.value().map(String::as_str),
        );
        let mut resolved: [Option<Vec<i32>>; 4] = Default::default();
        for (i, ids) in self.links().into_iter().enumerate() {
            let Some(ids) = ids else { continue };
            let (field, _, _, table, node_type) = LINKS[i];
            resolved[i] = resolve_ids(db, checks, field, table, node_type, ids).await?;
        }
        Ok(resolved)
    }

    /// Puts the changes into `row`, the row as it was `before` (none for a new row).
    fn apply(self, row: &mut organization::ActiveModel, before: Option<&organization::Model>) {
        if let Some(slug) = self.slug {
            row.slug = Set(slug);
        }
        if let Some(name) = self.name {
            row.sort_name = Set(fold(&name));
            row.name = Set(name.trim().to_owned());
        }
        if let Some(names) = self.also_known_as {
            row.also_known_as = Set(organization::Names(
                names.into_iter().map(|n| n.trim().to_owned()).collect(),
            ));
        }
        // The words `nameContains` searches follow the names, the changed ones or else those
        // the row had.
        let name = row.name.try_as_ref().or(before.map(|b| &b.name));
        let names = row
            .also_known_as
            .try_as_ref()
            .or(before.map(|b| &b.also_known_as));
        if let (Some(name), Some(names)) = (name, names) {
            row.name_words = Set(name_words(name, &names.0));
        }
        if let Some(description) = self.description {
            row.description = Set(description);
        }
        if let Some(status) = self.status {
            row.status = Set(status);
        }
        patch(&mut row.website, self.website);
        patch(&mut row.logo_url, self.logo_url);
        patch(&mut row.city, self.city);
        patch(&mut row.size, self.size);
        patch(&mut row.joined_on, self.joined_on);
        patch(&mut row.joined_note, self.joined_note);
        patch(&mut row.public_email, self.public_email);
        patch(&mut row.public_phone, self.public_phone);
        patch(&mut row.contact_name, self.contact_name);
        patch(&mut row.contact_email, self.contact_email);
        patch(&mut row.contact_phone, self.contact_phone);
        self.identifiers.apply(row);
    }
}

/// Applies an optional-field patch: `Keep` keeps, `Clear` clears, `Set` sets.
pub fn patch<T>(field: &mut sea_orm::ActiveValue<Option<T>>, value: Patch<T>)
where
    T: Into<sea_orm::Value> + sea_orm::sea_query::Nullable,
    Option<T>: Into<sea_orm::Value>,
{
    match value {
        Patch::Keep => {}
        Patch::Clear => *field = Set(None),
        Patch::Set(v) => *field = Set(Some(v)),
    }
}

/// Resolves global IDs of `table` rows; unknown or malformed ones are user errors on `field`.
pub async fn resolve_ids(
    db: &impl ConnectionTrait,
    checks: &mut Checks,
    field: &str,
    table: &str,
    node_type: NodeType,
    ids: &[String],
) -> AppResult<Option<Vec<i32>>> {
    let mut rows = Vec::new();
    for id in ids {
        match GlobalId::parse_as(id, node_type) {
            Ok(row) => rows.push(row),
            Err(_) => {
                checks.push(
                    field,
                    ProblemCode::Invalid,
                    format!("`{id}` is not the ID of a {}", node_type.name()),
                );
                return Ok(None);
            }
        }
    }
    let found = existing_ids(db, table, &rows).await?;
    if let Some(missing) = rows.iter().find(|id| !found.contains(id)) {
        checks.push(
            field,
            ProblemCode::NotFound,
            format!(
                "no {} with ID `{}`",
                node_type.name(),
                node_type.encode(*missing)
            ),
        );
        return Ok(None);
    }
    Ok(Some(rows))
}

async fn write_links(
    db: &impl ConnectionTrait,
    id: i32,
    links: [Option<Vec<i32>>; 4],
    care_domains: Option<Vec<CareDomain>>,
) -> AppResult<()> {
    for (i, ids) in links.into_iter().enumerate() {
        if let Some(ids) = ids {
            let (_, table, column, _, _) = LINKS[i];
            replace_links(db, table, "organization_id", column, id, &ids).await?;
        }
    }
    if let Some(domains) = care_domains {
        let values: Vec<i32> = Vec::new();
        replace_links(
            db,
            "organization_care_domain",
            "organization_id",
            "care_domain",
            id,
            &values,
        )
        .await?;
        let mut domains = domains;
        domains.sort_by_key(|d| *d as u8);
        domains.dedup();
        for domain in domains {
            let insert = Query::insert()
                .into_table(Alias::new("organization_care_domain"))
                .columns([Alias::new("organization_id"), Alias::new("care_domain")])
                .values([id.into(), sea_orm::ActiveEnum::to_value(&domain).into()])
                .map_err(AppError::internal)?
                .to_owned();
            db.execute(&insert).await?;
        }
    }
    Ok(())
}

/// The organization as the audit log records it: its columns and its links.
async fn snapshot(
    db: &impl ConnectionTrait,
    row: &organization::Model,
) -> AppResult<serde_json::Value> {
    let mut value = serde_json::to_value(row).map_err(AppError::internal)?;
    // The four link tables in one statement: each link tagged with its table's place in LINKS.
    let mut links: Option<SelectStatement> = None;
    for (i, (_, table, column, _, _)) in LINKS.iter().enumerate() {
        let select = Query::select()
            .expr_as(Expr::val(i as i32), Alias::new("list"))
            .expr_as(Expr::col(Alias::new(*column)), Alias::new("id"))
            .from(Alias::new(*table))
            .and_where(Expr::col(Alias::new("organization_id")).eq(row.id))
            .to_owned();
        links = Some(match links {
            None => select,
            Some(mut all) => all.union(UnionType::All, select).to_owned(),
        });
    }
    let mut lists: [Vec<i32>; LINKS.len()] = Default::default();
    if let Some(links) = links {
        for link in db.query_all(&links).await? {
            let list: i32 = link.try_get("", "list")?;
            let list = usize::try_from(list).map_err(AppError::internal)?;
            lists
                .get_mut(list)
                .ok_or_else(|| AppError::internal("a link of no list"))?
                .push(link.try_get("", "id")?);
        }
    }
    for ((field, ..), mut ids) in LINKS.iter().zip(lists) {
        ids.sort_unstable();
        value[*field] = serde_json::json!(ids);
    }
    let domains = crate::directory::organization::care_domains(db, &[row.id]).await?;
    value["careDomains"] = serde_json::to_value(domains.get(&row.id).cloned().unwrap_or_default())
        .map_err(AppError::internal)?;
    Ok(value)
}

/// The snapshot of `row` with the links of `before`, the snapshot of the row before a write
/// that left its links as they were.
fn with_links_of(
    before: &serde_json::Value,
    row: &organization::Model,
) -> AppResult<serde_json::Value> {
    let mut value = serde_json::to_value(row).map_err(AppError::internal)?;
    for field in LINKS.iter().map(|link| link.0).chain(["careDomains"]) {
        value[field] = before[field].clone();
    }
    Ok(value)
}

impl Journaled for organization::Model {
    fn id(&self) -> i32 {
        self.id
    }

    fn organization_id(&self) -> Option<i32> {
        Some(self.id)
    }

    fn snapshot(
        &self,
        db: &sea_orm::DatabaseTransaction,
    ) -> impl Future<Output = AppResult<serde_json::Value>> + Send {
        snapshot(db, self)
    }
}

/// The most other names an organization may have (former names, merged organizations).
const MAX_OTHER_NAMES: usize = 20;

/// Creates an organization (administrators).
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    mut changes: Changes,
) -> AppResult<Outcome<organization::Model>> {
    policy::require_admin(viewer, "create organizations")?;
    let mut checks = Checks::default();
    let name = changes.name.clone().unwrap_or_default();
    checks.text("name", &name, MAX_LINE);
    changes.slug = Some(checks.slug_or_from_name(changes.slug.take(), &name));
    let links = changes.check(db, &mut checks, None).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let care_domains = changes.care_domains.take();
    let mut row = organization::ActiveModel {
        also_known_as: Set(organization::Names::default()),
        description: Set(String::new()),
        status: Set(OrganizationStatus::Participant),
        website: Set(None),
        logo_url: Set(None),
        city: Set(None),
        size: Set(None),
        joined_on: Set(None),
        joined_note: Set(None),
        public_email: Set(None),
        public_phone: Set(None),
        contact_name: Set(None),
        contact_email: Set(None),
        contact_phone: Set(None),
        internal_notes: Set(None),
        ..Default::default()
    };
    changes.apply(&mut row, None);
    let write = Write::begin(db, viewer.actor()).await?;
    let Ok(row) = write.insert::<organization::Entity>(row).await? else {
        return Ok(slug_taken_problem());
    };
    write_links(write.txn(), row.id, links, care_domains).await?;
    write
        .journal::<organization::Entity>(Operation::Create, &row, None)
        .await?;
    write.commit().await?;
    Ok(Ok(row))
}

/// Updates an organization: administrators any, an organization itself (not its slug, status
/// or joining date, which the network's support point keeps).
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
    mut changes: Changes,
) -> AppResult<Outcome<organization::Model>> {
    let id = GlobalId::parse_as(id, NodeType::Organization)?;
    let before = load_live::<organization::Entity>(db, id, "organization").await?;
    policy::require_edit_organization(viewer, id)?;
    if !viewer.is_admin()
        && (changes.slug.is_some() || changes.status.is_some() || changes.joined_on.is_given())
    {
        return Err(policy::refuse(
            viewer,
            "change the slug, status or joining date; ask the support point",
        ));
    }
    check_version(&before, version)?;
    let mut checks = Checks::default();
    let links = changes.check(db, &mut checks, Some(id)).await?;
    if !checks.ok() {
        return Ok(Err(checks.into_errors()));
    }
    let care_domains = changes.care_domains.take();
    let mut row = organization::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        ..Default::default()
    };
    changes.apply(&mut row, Some(&before));
    let write = Write::begin(db, viewer.actor()).await?;
    let before_snapshot = write.snapshot(&before).await?;
    let after = write
        .update::<organization::Entity>(id, version, row)
        .await?;
    // A write that leaves the links (an organization editing its texts, the common case)
    // journals the links as they were instead of reading them again.
    let after_snapshot = if links.iter().all(Option::is_none) && care_domains.is_none() {
        with_links_of(&before_snapshot, &after)?
    } else {
        write_links(write.txn(), id, links, care_domains).await?;
        write.snapshot(&after).await?
    };
    write
        .journal_snapshots::<organization::Entity>(
            Operation::Update,
            &after,
            Some(before_snapshot),
            Some(after_snapshot),
            Some(id),
        )
        .await?;
    write.commit().await?;
    Ok(Ok(after))
}

/// Softly deletes an organization (administrators); partners learn of it in the change feed.
pub async fn delete(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: &str,
    version: i64,
) -> AppResult<i32> {
    policy::require_admin(viewer, "delete organizations")?;
    let id = GlobalId::parse_as(id, NodeType::Organization)?;
    let before = load_live::<organization::Entity>(db, id, "organization").await?;
    check_version(&before, version)?;
    let write = Write::begin(db, viewer.actor()).await?;
    let before_snapshot = write.snapshot(&before).await?;
    let after = write.delete::<organization::Entity>(id, version).await?;
    write
        .journal::<organization::Entity>(Operation::Delete, &after, Some(before_snapshot))
        .await?;
    write.commit().await?;
    Ok(id)
}
