//! What the tables listed A-Z by name share: the ordering on `sort_name` (the folded name) and
//! the `Row` of a table whose rows are visible unless deleted.

use crate::db::page::{KeyKind, SortKey};

/// The A-Z ordering of `table`, on its folded name.
pub const fn by_name(table: &'static str) -> SortKey {
    SortKey {
        name: "name",
        table,
        column: "sort_name",
        kind: KeyKind::Text,
        descending: false,
    }
}

/// The `Row` of a table listed by name (`sort_name`) whose rows are visible unless deleted:
/// `named_row!(theme)` for the entity module `theme` and the table of the same name.
macro_rules! named_row {
    ($module:ident) => {
        impl $crate::db::page::Row for $module::Model {
            const TABLE: &'static str = stringify!($module);

            fn id(&self) -> i32 {
                self.id
            }

            fn key(&self, _sort: &$crate::db::page::SortKey) -> $crate::db::page::KeyValue {
                $crate::db::page::KeyValue::Text(self.sort_name.clone())
            }

            fn visible() -> sea_orm::sea_query::Condition {
                $crate::db::page::not_deleted(Self::TABLE)
            }
        }

        impl $crate::directory::visible::Visible for $module::Model {}
    };
}
pub(crate) use named_row;
