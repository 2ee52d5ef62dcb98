//! A target group row.

super::vocabulary_entity!("target_group");
