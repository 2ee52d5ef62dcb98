//! Data access for the vocabulary tables (target groups, themes, tags, event kinds), which share
//! one shape.

pub mod write;

use crate::db::page::{Listing, not_deleted};
pub use crate::directory::named::by_name;
use crate::directory::named::named_row;
use crate::entity::{event_kind, tag, target_group, theme};

/// All visible rows of a vocabulary table, A-Z.
pub fn listing(table: &'static str) -> Listing {
    Listing {
        table,
        filter: not_deleted(table),
        sort: by_name(table),
    }
}

named_row!(target_group);
named_row!(theme);
named_row!(tag);
named_row!(event_kind);
