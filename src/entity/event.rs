//! An event (a meeting of the movement). Times are stored in UTC and shown in Europe/Amsterdam
//! time; the links to organizations and partners (with their role), themes and tags live in
//! link tables.

use sea_orm::entity::prelude::*;

use crate::vocab::AttendanceMode;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub kind_id: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub attendance: Option<AttendanceMode>,
    /// How the time is publicly known, where the times are a period around it (e.g. "juli
    /// 2022, dag niet bekend").
    pub time_note: Option<String>,
    pub city: Option<String>,
    pub venue: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub report_post_id: Option<i32>,
    pub capacity: Option<i32>,
    pub registration_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
