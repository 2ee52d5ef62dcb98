//! The directory's schema, as a sequence of sea-orm migrations that run on SQLite and PostgreSQL,
//! forward and back. One change per dated file; never edit a migration that has shipped.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_create_vocabulary;
mod m20261123_000002_create_organization;
mod m20261123_000003_create_partner;
mod m20261123_000004_create_post;
mod m20261123_000005_create_audit_and_change_feed;
mod m20261124_000006_add_read_indexes;
mod m20261202_000007_record_tokens_and_email_hashes;
mod m20261202_000008_add_organization_name_words;
mod m20261202_000009_create_event;
mod m20261202_000010_add_post_subjects;
mod m20261202_000011_create_search_index;
mod m20261202_000012_add_feed_and_organization_identifiers;
mod m20261203_000013_index_unhashed_emails;

/// Applies the migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_vocabulary::Migration),
            Box::new(m20261123_000002_create_organization::Migration),
            Box::new(m20261123_000003_create_partner::Migration),
            Box::new(m20261123_000004_create_post::Migration),
            Box::new(m20261123_000005_create_audit_and_change_feed::Migration),
            Box::new(m20261124_000006_add_read_indexes::Migration),
            Box::new(m20261202_000007_record_tokens_and_email_hashes::Migration),
            Box::new(m20261202_000008_add_organization_name_words::Migration),
            Box::new(m20261202_000009_create_event::Migration),
            Box::new(m20261202_000010_add_post_subjects::Migration),
            Box::new(m20261202_000011_create_search_index::Migration),
            Box::new(m20261202_000012_add_feed_and_organization_identifiers::Migration),
            Box::new(m20261203_000013_index_unhashed_emails::Migration),
        ]
    }
}
