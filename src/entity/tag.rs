//! A tag row.

super::vocabulary_entity!("tag");
