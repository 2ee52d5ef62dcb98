//! The search index (`search(query:)`): an inverted index in ordinary tables, read the same way
//! by SQLite and PostgreSQL, kept by the server's indexer (`directory::search`), which follows the
//! change feed. Tables:
//!
//! - `search_term`: the index terms (folded, stemmed words) with the number of documents of each
//!   type that hold them (the facets of a one-word query, and which word is rarest);
//! - `search_word`: the folded words as written, each with its term: what prefix (as you type)
//!   and typo matching look up;
//! - `search_posting`: which document holds which term, with the score of the best field it is
//!   in; the primary key finds one document's posting, `idx_search_posting_rank` reads a term's
//!   best documents of one type in order;
//! - `search_document`: the terms each indexed document holds, so that a re-index can remove them;
//! - `search_state`: the change-feed position indexed up to and the tokenizer version the index
//!   was built with (0: not built; the server builds it at start).
//!
//! Term and word columns compare byte-wise on both databases (the `"C"` collation on PostgreSQL)
//! so that prefix ranges read the same words.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE search_term (
        id INTEGER NOT NULL PRIMARY KEY,
        term TEXT NOT NULL UNIQUE,
        docs INTEGER NOT NULL DEFAULT 0,
        organizations INTEGER NOT NULL DEFAULT 0,
        partners INTEGER NOT NULL DEFAULT 0,
        themes INTEGER NOT NULL DEFAULT 0,
        tags INTEGER NOT NULL DEFAULT 0,
        posts INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE TABLE search_word (
        word TEXT NOT NULL PRIMARY KEY,
        term_id INTEGER NOT NULL
    ) WITHOUT ROWID",
    "CREATE TABLE search_posting (
        term_id INTEGER NOT NULL,
        doc_type INTEGER NOT NULL,
        entity_id INTEGER NOT NULL,
        score INTEGER NOT NULL,
        PRIMARY KEY (term_id, doc_type, entity_id)
    ) WITHOUT ROWID",
    "CREATE TABLE search_document (
        doc_type INTEGER NOT NULL,
        entity_id INTEGER NOT NULL,
        terms TEXT NOT NULL,
        PRIMARY KEY (doc_type, entity_id)
    ) WITHOUT ROWID",
    "CREATE TABLE search_state (
        id INTEGER NOT NULL PRIMARY KEY,
        tokenizer_version INTEGER NOT NULL,
        last_seq BIGINT NOT NULL
    )",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE search_term (
        id SERIAL PRIMARY KEY,
        term TEXT COLLATE \"C\" NOT NULL UNIQUE,
        docs INTEGER NOT NULL DEFAULT 0,
        organizations INTEGER NOT NULL DEFAULT 0,
        partners INTEGER NOT NULL DEFAULT 0,
        themes INTEGER NOT NULL DEFAULT 0,
        tags INTEGER NOT NULL DEFAULT 0,
        posts INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE TABLE search_word (
        word TEXT COLLATE \"C\" NOT NULL PRIMARY KEY,
        term_id INTEGER NOT NULL
    )",
    "CREATE TABLE search_posting (
        term_id INTEGER NOT NULL,
        doc_type INTEGER NOT NULL,
        entity_id INTEGER NOT NULL,
        score INTEGER NOT NULL,
        PRIMARY KEY (term_id, doc_type, entity_id)
    )",
    "CREATE TABLE search_document (
        doc_type INTEGER NOT NULL,
        entity_id INTEGER NOT NULL,
        terms TEXT NOT NULL,
        PRIMARY KEY (doc_type, entity_id)
    )",
    "CREATE TABLE search_state (
        id INTEGER NOT NULL PRIMARY KEY,
        tokenizer_version INTEGER NOT NULL,
        last_seq BIGINT NOT NULL
    )",
];

const COMMON: &[&str] = &[
    "CREATE INDEX idx_search_word_term ON search_word (term_id)",
    "CREATE INDEX idx_search_posting_rank ON search_posting (term_id, doc_type, score, entity_id)",
    "INSERT INTO search_state (id, tokenizer_version, last_seq) VALUES (1, 0, 0)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let tables = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for sql in tables.iter().chain(COMMON) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in [
            "search_state",
            "search_document",
            "search_posting",
            "search_word",
            "search_term",
        ] {
            db.execute_unprepared(&format!("DROP TABLE {table}"))
                .await?;
        }
        Ok(())
    }
}
