//! sea-orm entities: storage only. GraphQL types in `graphql/` wrap these models with explicit
//! fields, so a private column cannot leak through a derive.
//!
//! A field marked `#[serde(default)]` (and every `Option`) may be left out of a row read as JSON
//! ([`crate::db::json_rows`]) by a reader that shows no field made from it.

pub mod audit_log;
pub mod change_feed;
pub mod event;
pub mod event_kind;
pub mod issued_token;
pub mod organization;
pub mod partner;
pub mod post;
pub mod region;
pub mod revoked_token;
pub mod tag;
pub mod target_group;
pub mod theme;

/// Defines a vocabulary entity (target group, theme, tag): a slug, a name and a description.
macro_rules! vocabulary_entity {
    ($table:literal) => {
        use sea_orm::entity::prelude::*;

        #[doc = concat!("A row of `", $table, "`.")]
        #[derive(
            Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
        )]
        #[sea_orm(table_name = $table)]
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
            pub description: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}
pub(crate) use vocabulary_entity;

/// The bookkeeping of a versioned, journaled table (see [`crate::db::write::Write`]), with its
/// typed columns; `plain` also journals its rows as their columns (types with links or private
/// data say how they are journaled beside their writes).
macro_rules! versioned {
    ($($module:ident $type:literal $($plain:ident)?),* $(,)?) => {
        $(
            impl crate::db::write::Versioned for $module::Model {
                fn version(&self) -> i64 {
                    self.version
                }

                fn is_live(&self) -> bool {
                    self.deleted_at.is_none()
                }
            }

            impl crate::db::write::VersionedEntity for $module::Entity {
                const TYPE: &'static str = $type;
                const ID: $module::Column = $module::Column::Id;
                const VERSION: $module::Column = $module::Column::Version;
                const CREATED_AT: $module::Column = $module::Column::CreatedAt;
                const UPDATED_AT: $module::Column = $module::Column::UpdatedAt;
                const DELETED_AT: $module::Column = $module::Column::DeletedAt;
            }

            $(versioned!(@$plain $module);)?
        )*
    };
    (@plain $module:ident) => {
        impl crate::db::write::Journaled for $module::Model {
            fn id(&self) -> i32 {
                self.id
            }
        }
    };
}

versioned!(
    event "event",
    event_kind "event_kind" plain,
    organization "organization",
    partner "partner" plain,
    post "post",
    region "region" plain,
    tag "tag" plain,
    target_group "target_group" plain,
    theme "theme" plain,
);
