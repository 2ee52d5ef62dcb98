//! Data access for regions.

pub mod write;

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use crate::db::page::Row;
use crate::db::page::{KeyKind, KeyValue, Listing, SortKey, not_deleted};
use crate::entity::region;

const TABLE: &str = "region";

/// A-Z by name.
pub const BY_NAME: SortKey = SortKey {
    name: "name",
    table: TABLE,
    column: "sort_name",
    kind: KeyKind::Text,
    descending: false,
};

impl Row for region::Model {
    const TABLE: &'static str = TABLE;

    fn id(&self) -> i32 {
        self.id
    }

    fn key(&self, _sort: &SortKey) -> KeyValue {
        KeyValue::Text(self.sort_name.clone())
    }

    fn visible() -> Condition {
        not_deleted(TABLE)
    }
}

/// The visible regions matching `filter`, A-Z.
pub fn listing(filter: Condition) -> Listing {
    Listing {
        table: TABLE,
        filter: region::Model::visible().add(filter),
        sort: BY_NAME,
    }
}

/// Only regions of this kind.
pub fn of_kind(kind: crate::vocab::RegionKind) -> Condition {
    Condition::all().add(
        Expr::col((Alias::new(TABLE), Alias::new("kind"))).eq(sea_orm::ActiveEnum::to_value(&kind)),
    )
}
