//! Search over organizations, partner bodies, themes, tags and published posts: one box, ranked,
//! Dutch-aware, forgiving of typos and unfinished words, the same on SQLite and PostgreSQL.
//!
//! The language work is done in Rust ([`text`]) and the index is an inverted index in ordinary
//! tables (`search_*`, see the migration), which both databases read the same way, so both give
//! the same answers. [`index`] keeps it current by following the change feed; [`query`] answers;
//! [`document`] says what is searchable and how much each field counts. Only what anyone may read
//! is indexed, and hits are loaded through the ordinary visible-row reads, so a hit the index
//! still holds for a moment after its object was hidden is never shown.

pub mod document;
pub mod index;
pub mod query;
pub mod text;

pub use document::{DocType, Searchable};
pub use query::{Outcome, Request, search};
pub use text::Highlighter;
