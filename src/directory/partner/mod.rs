//! Data access for partner bodies.

pub mod write;

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use crate::db::page::{Listing, Row, SortKey};
use crate::directory::named::{by_name, named_row};
use crate::entity::partner;
use crate::vocab::PartnerKind;

const TABLE: &str = "partner";

/// A-Z by name.
pub const BY_NAME: SortKey = by_name(TABLE);

named_row!(partner);

/// Which partner bodies to list; every field given must match, any of a list's values does.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Kinds of body.
    pub kinds: Option<Vec<PartnerKind>>,
    /// Core-team members (`true`) or the others (`false`).
    pub core_team: Option<bool>,
}

impl Filter {
    /// The SQL condition of this filter.
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(kinds) = &self.kinds {
            let values: Vec<String> = kinds.iter().map(sea_orm::ActiveEnum::to_value).collect();
            cond = cond.add(Expr::col((Alias::new(TABLE), Alias::new("kind"))).is_in(values));
        }
        if let Some(core_team) = self.core_team {
            cond = cond.add(Expr::col((Alias::new(TABLE), Alias::new("core_team"))).eq(core_team));
        }
        cond
    }
}

/// The visible partners matching `filter`, A-Z.
pub fn listing(filter: Condition) -> Listing {
    Listing {
        table: TABLE,
        filter: partner::Model::visible().add(filter),
        sort: BY_NAME,
    }
}
