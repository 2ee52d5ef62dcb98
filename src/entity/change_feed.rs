//! One entry of the partners' change feed; `seq` increases monotonically.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_feed")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub occurred_at: DateTimeUtc,
    pub entity_type: String,
    pub entity_id: i32,
    pub operation: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
