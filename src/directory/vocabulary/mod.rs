//! Data access for the vocabulary tables (target groups, themes, tags, event kinds), which share
//! one shape.

pub mod write;

use sea_orm::sea_query::Condition;

use crate::db::page::Row;
use crate::db::page::{KeyKind, KeyValue, Listing, SortKey, not_deleted};
use crate::entity::{event_kind, tag, target_group, theme};

/// The A-Z ordering of a vocabulary table.
pub const fn by_name(table: &'static str) -> SortKey {
    SortKey {
        name: "name",
        table,
        column: "sort_name",
        kind: KeyKind::Text,
        descending: false,
    }
}

/// All visible rows of a vocabulary table, A-Z.
pub fn listing(table: &'static str) -> Listing {
    Listing {
        table,
        filter: not_deleted(table),
        sort: by_name(table),
    }
}

macro_rules! vocabulary_row {
    ($module:ident) => {
        impl Row for $module::Model {
            const TABLE: &'static str = stringify!($module);

            fn id(&self) -> i32 {
                self.id
            }

            fn key(&self, _sort: &SortKey) -> KeyValue {
                KeyValue::Text(self.sort_name.clone())
            }

            fn visible() -> Condition {
                not_deleted(Self::TABLE)
            }
        }
    };
}

vocabulary_row!(target_group);
vocabulary_row!(theme);
vocabulary_row!(tag);
vocabulary_row!(event_kind);
