//! Data access for organizations: the visible rows, the orderings, the filters and care domains.

pub mod identifiers;
pub mod write;

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, LikeExpr, Query, SelectStatement};

use crate::db::page::Row;
use crate::db::page::{KeyKind, KeyValue, Listing, SortKey, not_deleted};
use crate::directory::visible::Visible;
use crate::entity::organization;
use crate::error::AppResult;
use crate::text::words;
use crate::vocab::{CareDomain, OrganizationStatus};

const TABLE: &str = "organization";

/// A-Z by name (diacritics folded, case ignored).
pub const BY_NAME: SortKey = SortKey {
    name: "name",
    table: TABLE,
    column: "sort_name",
    kind: KeyKind::Text,
    descending: false,
};

/// Earliest joined first; organizations that have not joined come last.
pub const BY_JOINED: SortKey = SortKey {
    name: "joined",
    table: TABLE,
    column: "joined_on",
    kind: KeyKind::Date {
        nulls_as: far_future(),
    },
    descending: false,
};

const fn far_future() -> NaiveDate {
    match NaiveDate::from_ymd_opt(9999, 12, 31) {
        Some(date) => date,
        None => NaiveDate::MAX,
    }
}

impl Row for organization::Model {
    const TABLE: &'static str = TABLE;

    fn id(&self) -> i32 {
        self.id
    }

    fn key(&self, sort: &SortKey) -> KeyValue {
        match sort.column {
            "joined_on" => sort.date_value(self.joined_on),
            _ => KeyValue::Text(self.sort_name.clone()),
        }
    }

    fn visible() -> Condition {
        not_deleted(TABLE)
    }
}

/// The visible organizations matching `filter`, in `sort` order.
pub fn listing(filter: Condition, sort: SortKey) -> Listing {
    Listing {
        table: TABLE,
        filter: organization::Model::visible().add(filter),
        sort,
    }
}

/// What a client may filter organizations on. Within one field any value matches; all fields
/// given must match.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Region slugs; a province also matches the finer regions under it.
    pub regions: Option<Vec<String>>,
    /// Target-group slugs.
    pub target_groups: Option<Vec<String>>,
    /// Care domains.
    pub care_domains: Option<Vec<CareDomain>>,
    /// Theme slugs.
    pub themes: Option<Vec<String>>,
    /// Tag slugs.
    pub tags: Option<Vec<String>>,
    /// Statuses.
    pub statuses: Option<Vec<OrganizationStatus>>,
    /// Text the name or an also-known-as name contains (case and diacritics ignored).
    pub name_contains: Option<String>,
    /// KvK numbers (spaces and dots ignored).
    pub kvk_numbers: Option<Vec<String>>,
    /// AGB codes (spaces and dots ignored).
    pub agb_codes: Option<Vec<String>>,
    /// Website domains (case ignored).
    pub website_domains: Option<Vec<String>>,
}

fn col(table: &str, column: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

/// `EXISTS (SELECT 1 FROM link WHERE link.organization_id = organization.id AND link.column IN (ids))`
fn linked(link: &str, column: &str, ids: SelectStatement) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(Alias::new(link))
            .and_where(col(link, "organization_id").equals((Alias::new(TABLE), Alias::new("id"))))
            .and_where(col(link, column).in_subquery(ids))
            .to_owned(),
    )
}

/// `SELECT id FROM table WHERE slug IN (slugs)`
pub fn ids_of_slugs(table: &str, slugs: &[String]) -> SelectStatement {
    Query::select()
        .column((Alias::new(table), Alias::new("id")))
        .from(Alias::new(table))
        .and_where(col(table, "slug").is_in(slugs.iter().cloned()))
        .to_owned()
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as escape character.
pub fn like_pattern(text: &str) -> LikeExpr {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

impl Filter {
    /// The SQL condition of this filter.
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(slugs) = &self.regions {
            let regions = Query::select()
                .column((Alias::new("region"), Alias::new("id")))
                .from(Alias::new("region"))
                .cond_where(
                    Condition::any()
                        .add(col("region", "slug").is_in(slugs.iter().cloned()))
                        .add(col("region", "parent_id").in_subquery(ids_of_slugs("region", slugs))),
                )
                .to_owned();
            cond = cond.add(linked("organization_region", "region_id", regions));
        }
        if let Some(slugs) = &self.target_groups {
            cond = cond.add(linked(
                "organization_target_group",
                "target_group_id",
                ids_of_slugs("target_group", slugs),
            ));
        }
        if let Some(slugs) = &self.themes {
            cond = cond.add(linked(
                "organization_theme",
                "theme_id",
                ids_of_slugs("theme", slugs),
            ));
        }
        if let Some(slugs) = &self.tags {
            cond = cond.add(linked(
                "organization_tag",
                "tag_id",
                ids_of_slugs("tag", slugs),
            ));
        }
        if let Some(domains) = &self.care_domains {
            let values: Vec<String> = domains.iter().map(sea_orm::ActiveEnum::to_value).collect();
            cond = cond.add(Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(Alias::new("organization_care_domain"))
                    .and_where(
                        col("organization_care_domain", "organization_id")
                            .equals((Alias::new(TABLE), Alias::new("id"))),
                    )
                    .and_where(col("organization_care_domain", "care_domain").is_in(values))
                    .to_owned(),
            ));
        }
        // Identifiers are compared in their stored form; a value that cannot be one matches
        // nothing.
        for (values, column, parse) in [
            (
                &self.kvk_numbers,
                "kvk_number",
                identifiers::kvk_number as identifiers::Parse,
            ),
            (&self.agb_codes, "agb_code", identifiers::agb_code),
            (
                &self.website_domains,
                "website_domain",
                identifiers::website_domain,
            ),
        ] {
            if let Some(values) = values {
                let stored: Vec<String> = values.iter().filter_map(|v| parse(v).ok()).collect();
                cond = cond.add(col(TABLE, column).is_in(stored));
            }
        }
        if let Some(statuses) = &self.statuses {
            let values: Vec<String> = statuses.iter().map(sea_orm::ActiveEnum::to_value).collect();
            cond = cond.add(col(TABLE, "status").is_in(values));
        }
        // Compared as folded words: "noord holland" finds "Noord-Holland-Noord", "clienten"
        // finds "Cliënten", in the name and the other names alike. An empty text filters
        // nothing; one without letters or digits (`%`, `"`) is in no name's words.
        if let Some(text) = self
            .name_contains
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let text = words(text);
            cond = cond.add(if text.is_empty() {
                Expr::val(false)
            } else {
                col(TABLE, "name_words").like(like_pattern(&text))
            });
        }
        cond
    }
}

/// The care domains of each of `ids`, in the enum's order.
pub async fn care_domains(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<CareDomain>>> {
    let rows = db
        .query_all(
            Query::select()
                .columns([Alias::new("organization_id"), Alias::new("care_domain")])
                .from(Alias::new("organization_care_domain"))
                .and_where(Expr::col(Alias::new("organization_id")).is_in(ids.iter().copied())),
        )
        .await?;
    let mut out: HashMap<i32, Vec<CareDomain>> = HashMap::new();
    for row in rows {
        let id: i32 = row.try_get("", "organization_id")?;
        let value: String = row.try_get("", "care_domain")?;
        if let Ok(domain) = <CareDomain as sea_orm::ActiveEnum>::try_from_value(&value) {
            out.entry(id).or_default().push(domain);
        }
    }
    for domains in out.values_mut() {
        domains.sort_by_key(|d| *d as u8);
    }
    Ok(out)
}

impl Visible for organization::Model {}
