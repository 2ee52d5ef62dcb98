//! An organization (participant). `contact_*` and `internal_notes` are partner-only; the links
//! to regions, target groups, themes, tags and care domains live in link tables.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::vocab::{OrganizationSize, OrganizationStatus};

/// A list of names, stored as a JSON array.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Names(pub Vec<String>);

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[serde(default)]
    pub created_at: DateTimeUtc,
    #[serde(default)]
    pub updated_at: DateTimeUtc,
    #[serde(default)]
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    pub sort_name: String,
    /// The folded words of the name and the other names (`text::name_words`), what
    /// `nameContains` searches; derived, so kept out of audit entries.
    #[serde(skip_serializing, default)]
    pub name_words: String,
    #[sea_orm(column_type = "JsonBinary")]
    #[serde(default)]
    pub also_known_as: Names,
    #[sea_orm(column_type = "Text")]
    #[serde(default)]
    pub description: String,
    pub website: Option<String>,
    pub logo_url: Option<String>,
    pub city: Option<String>,
    pub size: Option<OrganizationSize>,
    pub status: OrganizationStatus,
    pub joined_on: Option<Date>,
    pub joined_note: Option<String>,
    pub public_email: Option<String>,
    pub public_phone: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub internal_notes: Option<String>,
    /// The Chamber of Commerce number (KvK-nummer): 8 digits.
    pub kvk_number: Option<String>,
    /// The care-provider code (AGB-code, Vektis): 8 digits.
    pub agb_code: Option<String>,
    /// The domain of the organization's website, e.g. `ggzfriesland.nl`.
    pub website_domain: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
