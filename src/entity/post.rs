//! A post: an article of the movement or a person's contribution. `author_email` is for
//! moderation only and readable by administrators alone; `author_email_hash` (a keyed hash of
//! it, see `privacy::EmailHashKey`) outlives it for erasure on request and is read by nobody.

use sea_orm::entity::prelude::*;

use crate::vocab::{AuthorRole, PostKind, PostStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "post")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub created_at: DateTimeUtc,
    #[serde(default)]
    pub updated_at: DateTimeUtc,
    #[serde(default)]
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    #[serde(default)]
    pub slug: String,
    pub kind: PostKind,
    #[serde(default)]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub author_name: String,
    pub author_role: Option<AuthorRole>,
    pub author_email: Option<String>,
    pub author_email_hash: Option<String>,
    pub organization_id: Option<i32>,
    pub status: PostStatus,
    pub published_at: Option<DateTimeUtc>,
    pub moderated_at: Option<DateTimeUtc>,
    pub moderated_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
