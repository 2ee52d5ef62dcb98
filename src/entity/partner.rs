//! A partner body. `contact_*` and `internal_notes` are partner-only.

use sea_orm::entity::prelude::*;

use crate::vocab::PartnerKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "partner")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub sort_name: String,
    pub short_name: Option<String>,
    pub kind: PartnerKind,
    #[sea_orm(column_type = "Text")]
    pub role: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub website: Option<String>,
    pub core_team: bool,
    pub public_email: Option<String>,
    pub public_phone: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub internal_notes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
