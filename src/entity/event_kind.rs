//! An event kind row (start meeting, exchange meeting, …): a vocabulary the support point extends.

super::vocabulary_entity!("event_kind");
