//! A region: one of the twelve provinces, or a finer region under one (`parent_id`).

use sea_orm::entity::prelude::*;

use crate::vocab::RegionKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "region")]
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
    pub kind: RegionKind,
    pub parent_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
