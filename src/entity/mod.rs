//! sea-orm entities: storage only. GraphQL types in `graphql/` wrap these models with explicit
//! fields, so a private column cannot leak through a derive.

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
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
        #[sea_orm(table_name = $table)]
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
            pub description: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}
pub(crate) use vocabulary_entity;

macro_rules! versioned {
    ($($module:ident),*) => {
        $(
            impl crate::db::write::Versioned for $module::Model {
                fn version(&self) -> i64 {
                    self.version
                }

                fn is_live(&self) -> bool {
                    self.deleted_at.is_none()
                }
            }
        )*
    };
}

versioned!(
    event,
    event_kind,
    organization,
    partner,
    post,
    region,
    tag,
    target_group,
    theme
);
