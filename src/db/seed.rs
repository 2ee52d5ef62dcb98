//! The network's seed data (`seed/network.toml`, compiled into the binary): the regions, target
//! groups, themes, tags, organizations, partners and articles of NETWORK.md.
//!
//! Seeding inserts what is missing, matched by slug, and never overwrites a row that exists:
//! the seed holds starting values that each organization may correct through its own profile.
//! Seeding twice therefore changes nothing. Every insert is journaled (audit log and change
//! feed), all in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DatabaseConnection,
    EntityTrait,
};
use serde::{Deserialize, Serialize};

use crate::db::journal::{self, Actor, Change, Operation};
use crate::entity::{organization, partner, post, region, tag, target_group, theme};
use crate::error::{AppError, AppResult};
use crate::text::{fold, is_slug};
use crate::vocab::{
    AuthorRole, CareDomain, OrganizationSize, OrganizationStatus, PartnerKind, PostKind,
    PostStatus, RegionKind,
};

/// The seed file, as shipped.
pub const NETWORK: &str = include_str!("../../seed/network.toml");

/// The whole seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    regions: Vec<SeedRegion>,
    target_groups: Vec<SeedTerm>,
    themes: Vec<SeedTerm>,
    tags: Vec<SeedTerm>,
    organizations: Vec<SeedOrganization>,
    partners: Vec<SeedPartner>,
    posts: Vec<SeedPost>,
    #[serde(default)]
    event_kinds: Vec<SeedEventKind>,
    #[serde(default)]
    events: Vec<SeedEvent>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SeedRegion {
    slug: String,
    name: String,
    kind: RegionKind,
    parent: Option<String>,
    #[serde(default, skip_serializing)]
    source: Source,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SeedTerm {
    slug: String,
    name: String,
    description: Option<String>,
    #[serde(default, skip_serializing)]
    source: Source,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SeedOrganization {
    slug: String,
    name: String,
    #[serde(default)]
    also_known_as: Vec<String>,
    description: String,
    website: Option<String>,
    city: Option<String>,
    size: Option<OrganizationSize>,
    #[serde(default)]
    care_domains: Vec<CareDomain>,
    status: OrganizationStatus,
    #[serde(default)]
    joined_on: Option<NaiveDate>,
    joined_note: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    target_groups: Vec<String>,
    #[serde(default)]
    themes: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    public_email: Option<String>,
    public_phone: Option<String>,
    #[serde(default, skip_serializing)]
    source: Source,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SeedPartner {
    slug: String,
    name: String,
    short_name: Option<String>,
    kind: PartnerKind,
    role: String,
    description: String,
    website: Option<String>,
    core_team: bool,
    public_email: Option<String>,
    public_phone: Option<String>,
    #[serde(default, skip_serializing)]
    source: Source,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SeedPost {
    slug: String,
    kind: PostKind,
    title: String,
    published_at: DateTime<Utc>,
    author_name: String,
    author_role: Option<AuthorRole>,
    organization: Option<String>,
    body: String,
    #[serde(default)]
    themes: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// Slugs of the organizations the post is about (its own `organization` is linked too).
    #[serde(default)]
    about_organizations: Vec<String>,
    /// Slugs of the partner bodies the post is about.
    #[serde(default)]
    about_partners: Vec<String>,
    #[serde(default, skip_serializing)]
    source: Source,
}

/// Where a seeded row's facts come from: one note or several, each naming a source text and the
/// place in it (`"startdocument-2021.txt, \"1 Aanleiding\": \"...\""`). Read by the seed check
/// test; never stored or journaled.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Source {
    /// No note.
    #[default]
    None,
    /// One note.
    One(String),
    /// Several notes.
    Many(Vec<String>),
}

impl Source {
    fn notes(&self) -> Vec<String> {
        match self {
            Source::None => Vec::new(),
            Source::One(note) => vec![note.clone()],
            Source::Many(notes) => notes.clone(),
        }
    }
}

/// One seeded row and the source notes it carries (see [`Seed::sourced_rows`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedRow {
    /// The seed file's section: `regions`, `themes`, `organizations`, ...
    pub section: &'static str,
    /// The row's slug.
    pub slug: String,
    /// Its `source` notes, in the order given; empty when it has none.
    pub sources: Vec<String>,
}

/// What a seeding run inserted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Rows inserted (links not counted).
    pub inserted: usize,
}

impl Seed {
    /// Parses and checks a seed file: slugs well-formed and unique, references resolvable.
    pub fn parse(text: &str) -> AppResult<Self> {
        let seed: Seed = toml::from_str(text)
            .map_err(|err| AppError::internal(format!("seed file does not parse: {err}")))?;
        seed.check()?;
        seed.check_events()?;
        Ok(seed)
    }

    /// Every row of the file with its `source` notes, section by section in the file's order.
    pub fn sourced_rows(&self) -> Vec<SourcedRow> {
        let mut rows = Vec::new();
        let mut add = |section: &'static str, slug: &str, source: &Source| {
            rows.push(SourcedRow {
                section,
                slug: slug.to_owned(),
                sources: source.notes(),
            })
        };
        for r in &self.regions {
            add("regions", &r.slug, &r.source);
        }
        for r in &self.target_groups {
            add("target_groups", &r.slug, &r.source);
        }
        for r in &self.themes {
            add("themes", &r.slug, &r.source);
        }
        for r in &self.tags {
            add("tags", &r.slug, &r.source);
        }
        for r in &self.organizations {
            add("organizations", &r.slug, &r.source);
        }
        for r in &self.partners {
            add("partners", &r.slug, &r.source);
        }
        for r in &self.posts {
            add("posts", &r.slug, &r.source);
        }
        for r in &self.event_kinds {
            add("event_kinds", &r.slug, &r.source);
        }
        for r in &self.events {
            add("events", &r.slug, &r.source);
        }
        rows
    }

    fn check(&self) -> AppResult<()> {
        let fail = |msg: String| Err(AppError::internal(format!("seed file: {msg}")));
        let sections: [(&str, Vec<&str>); 7] = [
            (
                "regions",
                self.regions.iter().map(|r| r.slug.as_str()).collect(),
            ),
            (
                "target_groups",
                self.target_groups.iter().map(|r| r.slug.as_str()).collect(),
            ),
            (
                "themes",
                self.themes.iter().map(|r| r.slug.as_str()).collect(),
            ),
            ("tags", self.tags.iter().map(|r| r.slug.as_str()).collect()),
            (
                "organizations",
                self.organizations.iter().map(|r| r.slug.as_str()).collect(),
            ),
            (
                "partners",
                self.partners.iter().map(|r| r.slug.as_str()).collect(),
            ),
            (
                "posts",
                self.posts.iter().map(|r| r.slug.as_str()).collect(),
            ),
        ];
        let mut known: HashMap<&str, Vec<&str>> = HashMap::new();
        for (section, slugs) in sections {
            for (i, slug) in slugs.iter().enumerate() {
                if !is_slug(slug) {
                    return fail(format!("{section}: `{slug}` is not a slug"));
                }
                if slugs[..i].contains(slug) {
                    return fail(format!("{section}: `{slug}` appears twice"));
                }
            }
            known.insert(section, slugs);
        }
        let refs = |section: &str, slugs: &[String]| -> AppResult<()> {
            for slug in slugs {
                if !known[section].contains(&slug.as_str()) {
                    return Err(AppError::internal(format!(
                        "seed file: unknown {section} `{slug}`"
                    )));
                }
            }
            Ok(())
        };
        for r in &self.regions {
            refs("regions", r.parent.as_slice())?;
        }
        for o in &self.organizations {
            refs("regions", &o.regions)?;
            refs("target_groups", &o.target_groups)?;
            refs("themes", &o.themes)?;
            refs("tags", &o.tags)?;
        }
        for p in &self.posts {
            refs("organizations", p.organization.as_slice())?;
            refs("themes", &p.themes)?;
            refs("tags", &p.tags)?;
        }
        Ok(())
    }
}

/// Seeds the shipped network data, inserting only what is missing.
pub async fn seed(db: &DatabaseConnection) -> AppResult<SeedReport> {
    seed_from(db, &Seed::parse(NETWORK)?).await
}

/// True when the database holds no directory data yet.
pub async fn is_empty(db: &DatabaseConnection) -> AppResult<bool> {
    for table in ["region", "organization"] {
        let select = Query::select()
            .expr(Expr::val(1))
            .from(Alias::new(table))
            .limit(1)
            .to_owned();
        if db.query_one(&select).await?.is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Seeds `seed`, inserting only what is missing, in one transaction.
pub async fn seed_from(db: &DatabaseConnection, seed: &Seed) -> AppResult<SeedReport> {
    let txn = crate::db::begin_write(db).await?;
    let mut run = Run {
        db: &txn,
        actor: Actor::system("seed"),
        inserted: 0,
        now: Utc::now(),
    };
    let regions = run.regions(&seed.regions).await?;
    let target_groups = run
        .terms::<target_group::Entity>("target_group", &seed.target_groups)
        .await?;
    let themes = run.terms::<theme::Entity>("theme", &seed.themes).await?;
    let tags = run.terms::<tag::Entity>("tag", &seed.tags).await?;
    let organizations = run
        .organizations(
            &seed.organizations,
            &Ids {
                regions,
                target_groups,
                themes: themes.clone(),
                tags: tags.clone(),
            },
        )
        .await?;
    let partners = run.partners(&seed.partners).await?;
    run.posts(&seed.posts, &organizations, &partners, &themes, &tags)
        .await?;
    run.events(&seed.event_kinds, &seed.events).await?;
    let report = SeedReport {
        inserted: run.inserted,
    };
    txn.commit().await?;
    Ok(report)
}

struct Ids {
    regions: HashMap<String, i32>,
    target_groups: HashMap<String, i32>,
    themes: HashMap<String, i32>,
    tags: HashMap<String, i32>,
}

struct Run<'a, C> {
    db: &'a C,
    actor: Actor,
    inserted: usize,
    now: DateTime<Utc>,
}

impl<C: ConnectionTrait> Run<'_, C> {
    async fn journal(
        &mut self,
        entity_type: &'static str,
        id: i32,
        org: Option<i32>,
        after: &impl Serialize,
    ) -> AppResult<()> {
        self.inserted += 1;
        let after = serde_json::to_value(after).map_err(AppError::internal)?;
        journal::record(
            self.db,
            &self.actor,
            Change {
                entity_type,
                entity_id: id,
                organization_id: org,
                operation: Operation::Create,
                before: None,
                after: Some(after),
            },
        )
        .await
    }

    /// The ids of all rows of `E`'s table by slug.
    async fn existing<E>(&self) -> AppResult<HashMap<String, i32>>
    where
        E: EntityTrait,
    {
        let rows = self
            .db
            .query_all(
                Query::select()
                    .columns([Alias::new("id"), Alias::new("slug")])
                    .from(E::default().table_ref()),
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String>("", "slug")?,
                    row.try_get::<i32>("", "id")?,
                ))
            })
            .collect()
    }

    async fn link(
        &self,
        table: &'static str,
        columns: [&'static str; 2],
        left: i32,
        rights: &[String],
        ids: &HashMap<String, i32>,
    ) -> AppResult<()> {
        for slug in rights {
            let right = ids
                .get(slug)
                .copied()
                .ok_or_else(|| AppError::internal(format!("seed: unknown `{slug}`")))?;
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new(table))
                .columns(columns.map(Alias::new))
                .values([left.into(), right.into()])
                .map_err(AppError::internal)?
                .on_conflict(
                    OnConflict::columns(columns.map(Alias::new))
                        .do_nothing()
                        .to_owned(),
                );
            self.db.execute(&insert).await?;
        }
        Ok(())
    }

    async fn regions(&mut self, seeds: &[SeedRegion]) -> AppResult<HashMap<String, i32>> {
        let mut ids = self.existing::<region::Entity>().await?;
        // Parents come before their children in any order of the file: provinces first.
        let (provinces, finer): (Vec<_>, Vec<_>) = seeds.iter().partition(|r| r.parent.is_none());
        for seed in provinces.into_iter().chain(finer) {
            if ids.contains_key(&seed.slug) {
                continue;
            }
            let parent_id = seed.parent.as_ref().and_then(|p| ids.get(p).copied());
            let row = region::ActiveModel {
                id: NotSet,
                created_at: Set(self.now),
                updated_at: Set(self.now),
                version: Set(1),
                deleted_at: Set(None),
                slug: Set(seed.slug.clone()),
                name: Set(seed.name.clone()),
                sort_name: Set(fold(&seed.name)),
                kind: Set(seed.kind),
                parent_id: Set(parent_id),
            }
            .insert(self.db)
            .await?;
            self.journal("region", row.id, None, seed).await?;
            ids.insert(seed.slug.clone(), row.id);
        }
        Ok(ids)
    }

    async fn terms<E>(
        &mut self,
        entity_type: &'static str,
        seeds: &[SeedTerm],
    ) -> AppResult<HashMap<String, i32>>
    where
        E: EntityTrait,
    {
        let mut ids = self.existing::<E>().await?;
        for seed in seeds {
            if ids.contains_key(&seed.slug) {
                continue;
            }
            let mut insert = Query::insert();
            insert
                .into_table(E::default().table_ref())
                .columns(
                    [
                        "created_at",
                        "updated_at",
                        "version",
                        "slug",
                        "name",
                        "sort_name",
                        "description",
                    ]
                    .map(Alias::new),
                )
                .values([
                    self.now.into(),
                    self.now.into(),
                    1i64.into(),
                    seed.slug.clone().into(),
                    seed.name.clone().into(),
                    fold(&seed.name).into(),
                    seed.description.clone().into(),
                ])
                .map_err(AppError::internal)?
                .returning_col(Alias::new("id"));
            let row = self
                .db
                .query_one(&insert)
                .await?
                .ok_or_else(|| AppError::internal("insert returned no id"))?;
            let id: i32 = row.try_get("", "id")?;
            self.journal(entity_type, id, None, seed).await?;
            ids.insert(seed.slug.clone(), id);
        }
        Ok(ids)
    }

    async fn organizations(
        &mut self,
        seeds: &[SeedOrganization],
        ids: &Ids,
    ) -> AppResult<HashMap<String, i32>> {
        let mut existing = self.existing::<organization::Entity>().await?;
        for seed in seeds {
            if existing.contains_key(&seed.slug) {
                continue;
            }
            let row = organization::ActiveModel {
                id: NotSet,
                created_at: Set(self.now),
                updated_at: Set(self.now),
                version: Set(1),
                deleted_at: Set(None),
                slug: Set(seed.slug.clone()),
                name: Set(seed.name.clone()),
                sort_name: Set(fold(&seed.name)),
                name_words: Set(crate::text::name_words(&seed.name, &seed.also_known_as)),
                also_known_as: Set(organization::Names(seed.also_known_as.clone())),
                description: Set(seed.description.trim().to_owned()),
                website: Set(seed.website.clone()),
                logo_url: Set(None),
                city: Set(seed.city.clone()),
                size: Set(seed.size),
                status: Set(seed.status),
                joined_on: Set(seed.joined_on),
                joined_note: Set(seed.joined_note.clone()),
                public_email: Set(seed.public_email.clone()),
                public_phone: Set(seed.public_phone.clone()),
                contact_name: Set(None),
                contact_email: Set(None),
                contact_phone: Set(None),
                internal_notes: Set(None),
                // The texts give no KvK numbers, AGB codes or domains: left for the profiles.
                kvk_number: Set(None),
                agb_code: Set(None),
                website_domain: Set(None),
            }
            .insert(self.db)
            .await?;
            let id = row.id;
            self.link(
                "organization_region",
                ["organization_id", "region_id"],
                id,
                &seed.regions,
                &ids.regions,
            )
            .await?;
            self.link(
                "organization_target_group",
                ["organization_id", "target_group_id"],
                id,
                &seed.target_groups,
                &ids.target_groups,
            )
            .await?;
            self.link(
                "organization_theme",
                ["organization_id", "theme_id"],
                id,
                &seed.themes,
                &ids.themes,
            )
            .await?;
            self.link(
                "organization_tag",
                ["organization_id", "tag_id"],
                id,
                &seed.tags,
                &ids.tags,
            )
            .await?;
            for domain in &seed.care_domains {
                let mut insert = Query::insert();
                insert
                    .into_table(Alias::new("organization_care_domain"))
                    .columns(["organization_id", "care_domain"].map(Alias::new))
                    .values([id.into(), sea_orm::ActiveEnum::to_value(domain).into()])
                    .map_err(AppError::internal)?
                    .on_conflict(
                        OnConflict::columns(["organization_id", "care_domain"].map(Alias::new))
                            .do_nothing()
                            .to_owned(),
                    );
                self.db.execute(&insert).await?;
            }
            self.journal("organization", id, Some(id), seed).await?;
            existing.insert(seed.slug.clone(), id);
        }
        Ok(existing)
    }

    async fn partners(&mut self, seeds: &[SeedPartner]) -> AppResult<HashMap<String, i32>> {
        let mut existing = self.existing::<partner::Entity>().await?;
        for seed in seeds {
            if existing.contains_key(&seed.slug) {
                continue;
            }
            let row = partner::ActiveModel {
                id: NotSet,
                created_at: Set(self.now),
                updated_at: Set(self.now),
                version: Set(1),
                deleted_at: Set(None),
                slug: Set(seed.slug.clone()),
                name: Set(seed.name.clone()),
                sort_name: Set(fold(&seed.name)),
                short_name: Set(seed.short_name.clone()),
                kind: Set(seed.kind),
                role: Set(seed.role.trim().to_owned()),
                description: Set(seed.description.trim().to_owned()),
                website: Set(seed.website.clone()),
                core_team: Set(seed.core_team),
                public_email: Set(seed.public_email.clone()),
                public_phone: Set(seed.public_phone.clone()),
                contact_name: Set(None),
                contact_email: Set(None),
                contact_phone: Set(None),
                internal_notes: Set(None),
            }
            .insert(self.db)
            .await?;
            self.journal("partner", row.id, None, seed).await?;
            existing.insert(seed.slug.clone(), row.id);
        }
        Ok(existing)
    }

    async fn posts(
        &mut self,
        seeds: &[SeedPost],
        organizations: &HashMap<String, i32>,
        partners: &HashMap<String, i32>,
        themes: &HashMap<String, i32>,
        tags: &HashMap<String, i32>,
    ) -> AppResult<()> {
        let existing = self.existing::<post::Entity>().await?;
        for seed in seeds {
            if existing.contains_key(&seed.slug) {
                continue;
            }
            let organization_id = seed
                .organization
                .as_ref()
                .and_then(|s| organizations.get(s).copied());
            let row = post::ActiveModel {
                id: NotSet,
                created_at: Set(seed.published_at),
                updated_at: Set(seed.published_at),
                version: Set(1),
                deleted_at: Set(None),
                slug: Set(seed.slug.clone()),
                kind: Set(seed.kind),
                title: Set(seed.title.clone()),
                body: Set(seed.body.trim().to_owned()),
                author_name: Set(seed.author_name.clone()),
                author_role: Set(seed.author_role),
                author_email: Set(None),
                author_email_hash: Set(None),
                organization_id: Set(organization_id),
                status: Set(PostStatus::Published),
                published_at: Set(Some(seed.published_at)),
                moderated_at: Set(None),
                moderated_by: Set(None),
            }
            .insert(self.db)
            .await?;
            self.link(
                "post_theme",
                ["post_id", "theme_id"],
                row.id,
                &seed.themes,
                themes,
            )
            .await?;
            self.link("post_tag", ["post_id", "tag_id"], row.id, &seed.tags, tags)
                .await?;
            // (A trigger links the post's own organization.)
            self.link(
                "post_organization",
                ["post_id", "organization_id"],
                row.id,
                &seed.about_organizations,
                organizations,
            )
            .await?;
            self.link(
                "post_partner",
                ["post_id", "partner_id"],
                row.id,
                &seed.about_partners,
                partners,
            )
            .await?;
            self.journal("post", row.id, organization_id, seed).await?;
        }
        Ok(())
    }
}

/// A kind of event in the seed file.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SeedEventKind {
    slug: String,
    name: String,
    description: Option<String>,
    #[serde(default, skip_serializing)]
    source: Source,
}

/// An event in the seed file. The sources give days or months, not times: an event spans the
/// days `from` to `until` (both included) in Europe/Amsterdam time, from midnight to midnight,
/// and `time_note` says what the source gives.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SeedEvent {
    slug: String,
    title: String,
    kind: String,
    from: NaiveDate,
    until: NaiveDate,
    time_note: Option<String>,
    attendance: Option<crate::vocab::AttendanceMode>,
    city: Option<String>,
    venue: Option<String>,
    description: String,
    /// The slug of the post that reports on the event.
    report: Option<String>,
    #[serde(default)]
    host_organizations: Vec<String>,
    #[serde(default)]
    participating_organizations: Vec<String>,
    #[serde(default)]
    host_partners: Vec<String>,
    #[serde(default)]
    participating_partners: Vec<String>,
    #[serde(default)]
    themes: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default, skip_serializing)]
    source: Source,
}

/// Midnight at the start of `date` in Europe/Amsterdam time (never in a DST gap: the clocks
/// change at 02:00 and 03:00).
fn amsterdam_midnight(date: NaiveDate) -> AppResult<DateTime<Utc>> {
    use chrono::TimeZone;
    chrono_tz::Europe::Amsterdam
        .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::internal(format!("seed: no midnight on {date}")))
}

impl Seed {
    /// Checks the event sections: slugs well-formed and unique, references resolvable, a
    /// source for each, periods in order.
    fn check_events(&self) -> AppResult<()> {
        let fail = |msg: String| Err(AppError::internal(format!("seed file: {msg}")));
        let kinds: Vec<&str> = self.event_kinds.iter().map(|k| k.slug.as_str()).collect();
        let events: Vec<&str> = self.events.iter().map(|e| e.slug.as_str()).collect();
        for (section, slugs) in [("event_kinds", &kinds), ("events", &events)] {
            for (i, slug) in slugs.iter().enumerate() {
                if !is_slug(slug) {
                    return fail(format!("{section}: `{slug}` is not a slug"));
                }
                if slugs[..i].contains(slug) {
                    return fail(format!("{section}: `{slug}` appears twice"));
                }
            }
        }
        let has = |slugs: Vec<&str>, wanted: &[String], what: &str| -> AppResult<()> {
            match wanted.iter().find(|w| !slugs.contains(&w.as_str())) {
                Some(slug) => Err(AppError::internal(format!(
                    "seed file: unknown {what} `{slug}`"
                ))),
                None => Ok(()),
            }
        };
        for event in &self.events {
            if event.until < event.from {
                return fail(format!("event `{}` ends before it starts", event.slug));
            }
            has(
                kinds.clone(),
                std::slice::from_ref(&event.kind),
                "event kind",
            )?;
            let organizations = self.organizations.iter().map(|o| o.slug.as_str());
            let partners = self.partners.iter().map(|p| p.slug.as_str());
            for list in [
                &event.host_organizations,
                &event.participating_organizations,
            ] {
                has(organizations.clone().collect(), list, "organization")?;
            }
            for list in [&event.host_partners, &event.participating_partners] {
                has(partners.clone().collect(), list, "partner")?;
            }
            has(
                self.themes.iter().map(|t| t.slug.as_str()).collect(),
                &event.themes,
                "theme",
            )?;
            has(
                self.tags.iter().map(|t| t.slug.as_str()).collect(),
                &event.tags,
                "tag",
            )?;
            has(
                self.posts.iter().map(|p| p.slug.as_str()).collect(),
                event.report.as_slice(),
                "post",
            )?;
        }
        Ok(())
    }
}

impl<C: ConnectionTrait> Run<'_, C> {
    /// The kinds of event and the events, inserted when missing (matched by slug), with their
    /// links.
    async fn events(&mut self, kinds: &[SeedEventKind], seeds: &[SeedEvent]) -> AppResult<()> {
        use crate::entity::{event, event_kind};
        use crate::vocab::EventRole;

        let mut kind_ids = self.existing::<event_kind::Entity>().await?;
        for seed in kinds {
            if kind_ids.contains_key(&seed.slug) {
                continue;
            }
            let row = event_kind::ActiveModel {
                id: NotSet,
                created_at: Set(self.now),
                updated_at: Set(self.now),
                version: Set(1),
                deleted_at: Set(None),
                slug: Set(seed.slug.clone()),
                name: Set(seed.name.clone()),
                sort_name: Set(fold(&seed.name)),
                description: Set(seed.description.clone()),
            }
            .insert(self.db)
            .await?;
            self.journal("event_kind", row.id, None, seed).await?;
            kind_ids.insert(seed.slug.clone(), row.id);
        }
        let existing = self.existing::<event::Entity>().await?;
        let organizations = self.existing::<organization::Entity>().await?;
        let partners = self.existing::<partner::Entity>().await?;
        let posts = self.existing::<post::Entity>().await?;
        let themes = self.existing::<theme::Entity>().await?;
        let tags = self.existing::<tag::Entity>().await?;
        for seed in seeds {
            if existing.contains_key(&seed.slug) {
                continue;
            }
            let kind_id = kind_ids
                .get(&seed.kind)
                .copied()
                .ok_or_else(|| AppError::internal(format!("seed: unknown `{}`", seed.kind)))?;
            let row = event::ActiveModel {
                id: NotSet,
                created_at: Set(self.now),
                updated_at: Set(self.now),
                version: Set(1),
                deleted_at: Set(None),
                slug: Set(seed.slug.clone()),
                title: Set(seed.title.clone()),
                kind_id: Set(kind_id),
                starts_at: Set(amsterdam_midnight(seed.from)?),
                ends_at: Set(amsterdam_midnight(seed.until + chrono::Days::new(1))?),
                attendance: Set(seed.attendance),
                time_note: Set(seed.time_note.clone()),
                city: Set(seed.city.clone()),
                venue: Set(seed.venue.clone()),
                description: Set(seed.description.trim().to_owned()),
                report_post_id: Set(seed.report.as_ref().and_then(|s| posts.get(s).copied())),
                capacity: Set(None),
                registration_url: Set(None),
            }
            .insert(self.db)
            .await?;
            let id = row.id;
            for (table, column, role, slugs, ids) in [
                (
                    "event_organization",
                    "organization_id",
                    EventRole::Host,
                    &seed.host_organizations,
                    &organizations,
                ),
                (
                    "event_organization",
                    "organization_id",
                    EventRole::Participant,
                    &seed.participating_organizations,
                    &organizations,
                ),
                (
                    "event_partner",
                    "partner_id",
                    EventRole::Host,
                    &seed.host_partners,
                    &partners,
                ),
                (
                    "event_partner",
                    "partner_id",
                    EventRole::Participant,
                    &seed.participating_partners,
                    &partners,
                ),
            ] {
                for slug in slugs {
                    let other = ids
                        .get(slug)
                        .copied()
                        .ok_or_else(|| AppError::internal(format!("seed: unknown `{slug}`")))?;
                    let mut insert = Query::insert();
                    insert
                        .into_table(Alias::new(table))
                        .columns(["event_id", column, "role"].map(Alias::new))
                        .values([
                            id.into(),
                            other.into(),
                            sea_orm::ActiveEnum::to_value(&role).into(),
                        ])
                        .map_err(AppError::internal)?
                        .on_conflict(
                            OnConflict::columns(["event_id", column].map(Alias::new))
                                .do_nothing()
                                .to_owned(),
                        );
                    self.db.execute(&insert).await?;
                }
            }
            self.link(
                "event_theme",
                ["event_id", "theme_id"],
                id,
                &seed.themes,
                &themes,
            )
            .await?;
            self.link("event_tag", ["event_id", "tag_id"], id, &seed.tags, &tags)
                .await?;
            let host = seed
                .host_organizations
                .first()
                .and_then(|s| organizations.get(s).copied());
            self.journal("event", id, host, seed).await?;
        }
        Ok(())
    }
}
