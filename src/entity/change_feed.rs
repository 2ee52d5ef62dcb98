//! One entry of the partners' change feed; `seq` increases monotonically (see
//! `directory::feed` for what readers rely on).

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
    /// A change partners never hear of: of a post that has never been published.
    pub hidden: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
