//! Data access for regions.

pub mod write;

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use crate::db::page::{Listing, Row, SortKey};
use crate::directory::named::{by_name, named_row};
use crate::entity::region;

const TABLE: &str = "region";

/// A-Z by name.
pub const BY_NAME: SortKey = by_name(TABLE);

named_row!(region);

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
