//! A theme row.

super::vocabulary_entity!("theme");
