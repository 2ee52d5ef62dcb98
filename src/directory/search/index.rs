//! Keeping the search index: built whole when it is empty or was built by another tokenizer
//! version ([`ensure_built`], [`rebuild`]), and kept current by following the change feed
//! ([`catch_up`], [`follow`]): every write appends a feed row in its transaction, so the indexer
//! re-reads each object the feed names and indexes it as anyone may now read it, or removes it
//! (a post no longer published, a deleted row).
//!
//! Invariants: `search_state.last_seq` is the feed position the index reflects, written in the
//! same transaction as the index rows; the indexer takes the write lock
//! ([`crate::db::begin_write`]) before it reads the position, so several replicas never index the
//! same change twice and never interleave; a term's counts are the number of indexed documents
//! holding it, and a term no document holds is deleted with its words.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

use crate::db::changes::DataVersion;
use crate::entity::{organization, partner, post, tag, theme};
use crate::error::{AppError, AppResult};

use super::document::{Analyzed, DocType, Searchable, analyze, visible_page, visible_rows};
use super::text::TOKENIZER_VERSION;

/// The table that names the index's changes: they move the data version (cached search
/// answers), and no [`crate::db::changes::TRACKED`] table.
const SEARCH_TABLE: &str = "search_document";

/// A statement with `?` placeholders, numbered (`$1`, …) for PostgreSQL.
pub(super) fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    if crate::db::is_postgres(db) {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        Statement::from_sql_and_values(backend, out, values)
    } else {
        Statement::from_sql_and_values(backend, sql, values)
    }
}

/// `?, ?, …` for `n` values.
pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Integers for an `IN (…)` list (never user text).
pub(super) fn int_list(values: impl IntoIterator<Item = i32>) -> String {
    values
        .into_iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn state(db: &impl ConnectionTrait) -> AppResult<(i32, i64)> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT tokenizer_version, last_seq FROM search_state WHERE id = 1",
            vec![],
        ))
        .await?
        .ok_or_else(|| AppError::internal("search_state has no row"))?;
    Ok((
        row.try_get("", "tokenizer_version")?,
        row.try_get("", "last_seq")?,
    ))
}

async fn last_feed_seq(db: &impl ConnectionTrait) -> AppResult<i64> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS seq FROM change_feed",
            vec![],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "seq")).transpose()?.unwrap_or(0))
}

/// What a build of the whole index did.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Documents indexed.
    pub documents: usize,
    /// Distinct terms.
    pub terms: usize,
    /// Postings (document, term) written.
    pub postings: usize,
    /// How long it took.
    pub elapsed: Duration,
}

/// Builds the index at start when it is empty or was built by another tokenizer version, and
/// otherwise indexes what the feed recorded since (writes of other processes while this one was
/// not running).
pub async fn ensure_built(db: &DatabaseConnection) -> AppResult<Option<BuildReport>> {
    let (version, _) = state(db).await?;
    if version != TOKENIZER_VERSION {
        return rebuild(db).await;
    }
    catch_up(db).await?;
    Ok(None)
}

/// Builds the whole index from the rows anyone may read, in one transaction holding the write
/// lock, and records the feed position it reflects. `None` when another process built it in the
/// meantime. Bulk loads that write no feed rows (the synthetic data set) call it.
pub async fn rebuild(db: &DatabaseConnection) -> AppResult<Option<BuildReport>> {
    let started = Instant::now();
    let txn = crate::db::begin_write(db).await?;
    if crate::db::is_postgres(&txn) {
        // A build is no request: at LARGE its index takes longer than a request may.
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
    }
    let (version, _) = state(&txn).await?;
    if version == TOKENIZER_VERSION && !is_empty(&txn).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    for table in [
        "search_posting",
        "search_word",
        "search_term",
        "search_document",
    ] {
        txn.execute_unprepared(&format!("DELETE FROM {table}"))
            .await?;
    }
    // Built after the rows are in, in one pass, rather than kept up row by row.
    txn.execute_unprepared("DROP INDEX idx_search_posting_rank")
        .await?;
    let mut build = Build::default();
    build.add_all::<organization::Model>(&txn).await?;
    build.add_all::<partner::Model>(&txn).await?;
    build.add_all::<theme::Model>(&txn).await?;
    build.add_all::<tag::Model>(&txn).await?;
    build.add_all::<post::Model>(&txn).await?;
    let last_seq = last_feed_seq(&txn).await?;
    let report = build.write(&txn).await?;
    txn.execute_unprepared(
        "CREATE INDEX idx_search_posting_rank ON search_posting (term_id, doc_type, score, entity_id)",
    )
    .await?;
    if crate::db::is_postgres(&txn) {
        txn.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('search_term', 'id'), GREATEST((SELECT MAX(id) FROM search_term), 1))",
        )
        .await?;
    }
    set_state(&txn, TOKENIZER_VERSION, last_seq).await?;
    txn.commit().await?;
    if crate::db::is_postgres(db) {
        for table in [
            "search_term",
            "search_word",
            "search_posting",
            "search_document",
        ] {
            db.execute_unprepared(&format!("ANALYZE {table}")).await?;
        }
    } else {
        db.execute_unprepared("ANALYZE search_term; ANALYZE search_word; ANALYZE search_posting; ANALYZE search_document;")
            .await?;
    }
    let report = BuildReport {
        elapsed: started.elapsed(),
        ..report
    };
    tracing::info!(
        documents = report.documents,
        terms = report.terms,
        postings = report.postings,
        elapsed_ms = report.elapsed.as_millis() as u64,
        "built the search index"
    );
    Ok(Some(report))
}

async fn is_empty(db: &impl ConnectionTrait) -> AppResult<bool> {
    Ok(db
        .query_one_raw(statement(
            db,
            "SELECT 1 AS one FROM search_document LIMIT 1",
            vec![],
        ))
        .await?
        .is_none())
}

async fn set_state(db: &impl ConnectionTrait, version: i32, last_seq: i64) -> AppResult<()> {
    db.execute_raw(statement(
        db,
        "UPDATE search_state SET tokenizer_version = ?, last_seq = ? WHERE id = 1",
        vec![version.into(), last_seq.into()],
    ))
    .await?;
    Ok(())
}

/// The index of a whole build, gathered in memory and written sorted.
#[derive(Default)]
struct Build {
    terms: HashMap<String, (i32, [i32; 5])>,
    words: HashMap<String, i32>,
    postings: Vec<(i32, i32, i32, i32)>,
    documents: Vec<(i32, i32, String)>,
}

impl Build {
    async fn add_all<M: Searchable>(&mut self, db: &impl ConnectionTrait) -> AppResult<()> {
        let mut after = 0;
        loop {
            let rows = visible_page::<M>(db, after, 2000).await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.id();
            for row in &rows {
                self.add(M::TYPE, row.id(), analyze(&row.fields()));
            }
        }
    }

    fn add(&mut self, doc_type: DocType, id: i32, doc: Analyzed) {
        let mut ids = Vec::with_capacity(doc.terms.len());
        for (term, score) in doc.terms {
            let next = self.terms.len() as i32 + 1;
            let entry = self.terms.entry(term).or_insert((next, [0; 5]));
            entry.1[doc_type.index()] += 1;
            ids.push(entry.0);
            self.postings.push((entry.0, doc_type.code(), id, score));
        }
        for (word, term) in doc.words {
            if let Some((term_id, _)) = self.terms.get(&term) {
                self.words.entry(word).or_insert(*term_id);
            }
        }
        ids.sort_unstable();
        self.documents
            .push((doc_type.code(), id, int_list(ids.iter().copied())));
    }

    async fn write(mut self, db: &impl ConnectionTrait) -> AppResult<BuildReport> {
        let report = BuildReport {
            documents: self.documents.len(),
            terms: self.terms.len(),
            postings: self.postings.len(),
            elapsed: Duration::ZERO,
        };
        let mut terms: Vec<(String, (i32, [i32; 5]))> = self.terms.into_iter().collect();
        terms.sort_by_key(|(_, (id, _))| *id);
        for chunk in terms.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO search_term (id, term, docs, organizations, partners, themes, tags, posts) VALUES ",
            );
            let mut values = Vec::with_capacity(chunk.len());
            for (i, (term, (id, counts))) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let docs: i32 = counts.iter().sum();
                sql.push_str(&format!(
                    "({id}, ?, {docs}, {})",
                    int_list(counts.iter().copied())
                ));
                values.push(Value::from(term.clone()));
            }
            db.execute_raw(statement(db, &sql, values)).await?;
        }
        let mut words: Vec<(String, i32)> = self.words.into_iter().collect();
        words.sort();
        for chunk in words.chunks(500) {
            let sql = format!(
                "INSERT INTO search_word (word, term_id) VALUES {}",
                vec!["(?, ?)"; chunk.len()].join(", ")
            );
            let values = chunk
                .iter()
                .flat_map(|(word, id)| [Value::from(word.clone()), Value::from(*id)])
                .collect();
            db.execute_raw(statement(db, &sql, values)).await?;
        }
        // In key order: the primary key's B-tree grows at its end.
        self.postings.sort_unstable();
        for chunk in self.postings.chunks(2000) {
            let mut sql = String::with_capacity(chunk.len() * 24 + 80);
            sql.push_str(
                "INSERT INTO search_posting (term_id, doc_type, entity_id, score) VALUES ",
            );
            for (i, (term, doc_type, id, score)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("({term},{doc_type},{id},{score})"));
            }
            db.execute_unprepared(&sql).await?;
        }
        self.documents.sort_unstable();
        for chunk in self.documents.chunks(1000) {
            let mut sql =
                String::from("INSERT INTO search_document (doc_type, entity_id, terms) VALUES ");
            for (i, (doc_type, id, terms)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                // `terms` is digits and commas, made here.
                sql.push_str(&format!("({doc_type},{id},'{terms}')"));
            }
            db.execute_unprepared(&sql).await?;
        }
        Ok(report)
    }
}

/// Indexes the changes the feed recorded since the index's position, in batches, each in one
/// transaction with the write lock. Returns the number of feed rows read.
pub async fn catch_up(db: &DatabaseConnection) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let (version, last) = state(db).await?;
        if version != TOKENIZER_VERSION || last_feed_seq(db).await? <= last {
            return Ok(total);
        }
        let txn = crate::db::begin_write(db).await?;
        // Read again under the lock: another replica may have indexed meanwhile.
        let (_, last) = state(&txn).await?;
        let rows = txn
            .query_all_raw(statement(
                &txn,
                "SELECT seq, entity_type, entity_id FROM change_feed WHERE seq > ? ORDER BY seq LIMIT 500",
                vec![last.into()],
            ))
            .await?;
        let Some(end) = rows.last() else {
            txn.rollback().await?;
            return Ok(total);
        };
        let end: i64 = end.try_get("", "seq")?;
        let mut changed = BTreeSet::new();
        for row in &rows {
            let table: String = row.try_get("", "entity_type")?;
            let id: i32 = row.try_get("", "entity_id")?;
            if let Some(doc_type) = DocType::from_table(&table) {
                changed.insert((doc_type, id));
            }
        }
        for (doc_type, id) in &changed {
            reindex(&txn, *doc_type, *id).await?;
        }
        set_state(&txn, TOKENIZER_VERSION, end).await?;
        if !changed.is_empty() && crate::db::is_postgres(&txn) {
            // Every replica's cache of anonymous answers holds search answers too.
            txn.execute_unprepared(&format!(
                "SELECT pg_notify('{}', '{SEARCH_TABLE}')",
                crate::db::changes::CHANNEL
            ))
            .await?;
        }
        txn.commit().await?;
        total += rows.len();
    }
}

async fn analyzed<M: Searchable>(
    db: &impl ConnectionTrait,
    id: i32,
) -> AppResult<Option<Analyzed>> {
    Ok(visible_rows::<M>(db, &[id])
        .await?
        .first()
        .map(|row| analyze(&row.fields())))
}

/// Indexes one object as anyone may now read it, or removes it from the index.
pub async fn reindex(db: &impl ConnectionTrait, doc_type: DocType, id: i32) -> AppResult<()> {
    let doc = match doc_type {
        DocType::Organization => analyzed::<organization::Model>(db, id).await?,
        DocType::Partner => analyzed::<partner::Model>(db, id).await?,
        DocType::Theme => analyzed::<theme::Model>(db, id).await?,
        DocType::Tag => analyzed::<tag::Model>(db, id).await?,
        DocType::Post => analyzed::<post::Model>(db, id).await?,
    };
    remove(db, doc_type, id).await?;
    if let Some(doc) = doc {
        add(db, doc_type, id, doc).await?;
    }
    Ok(())
}

async fn remove(db: &impl ConnectionTrait, doc_type: DocType, id: i32) -> AppResult<()> {
    let code = doc_type.code();
    let Some(row) = db
        .query_one_raw(statement(
            db,
            "SELECT terms FROM search_document WHERE doc_type = ? AND entity_id = ?",
            vec![code.into(), id.into()],
        ))
        .await?
    else {
        return Ok(());
    };
    let terms: String = row.try_get("", "terms")?;
    let ids: Vec<i32> = terms
        .split(',')
        .filter_map(|t| t.trim().parse().ok())
        .collect();
    if !ids.is_empty() {
        let list = int_list(ids.iter().copied());
        let column = doc_type.count_column();
        for sql in [
            format!(
                "DELETE FROM search_posting WHERE term_id IN ({list}) AND doc_type = {code} AND entity_id = {id}"
            ),
            format!(
                "UPDATE search_term SET docs = docs - 1, {column} = {column} - 1 WHERE id IN ({list})"
            ),
            format!(
                "DELETE FROM search_word WHERE term_id IN (SELECT id FROM search_term WHERE docs <= 0 AND id IN ({list}))"
            ),
            format!("DELETE FROM search_term WHERE docs <= 0 AND id IN ({list})"),
        ] {
            db.execute_unprepared(&sql).await?;
        }
    }
    db.execute_unprepared(&format!(
        "DELETE FROM search_document WHERE doc_type = {code} AND entity_id = {id}"
    ))
    .await?;
    Ok(())
}

async fn add(
    db: &impl ConnectionTrait,
    doc_type: DocType,
    id: i32,
    doc: Analyzed,
) -> AppResult<()> {
    if doc.terms.is_empty() {
        return Ok(());
    }
    let mut terms: Vec<(&String, &i32)> = doc.terms.iter().collect();
    terms.sort();
    let mut ids: HashMap<String, i32> = HashMap::new();
    for chunk in terms.chunks(500) {
        let rows = db
            .query_all_raw(statement(
                db,
                &format!(
                    "SELECT id, term FROM search_term WHERE term IN ({})",
                    placeholders(chunk.len())
                ),
                chunk
                    .iter()
                    .map(|(t, _)| Value::from((*t).clone()))
                    .collect(),
            ))
            .await?;
        for row in rows {
            ids.insert(row.try_get("", "term")?, row.try_get("", "id")?);
        }
    }
    let missing: Vec<&String> = terms
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| !ids.contains_key(*t))
        .collect();
    for chunk in missing.chunks(500) {
        let rows = db
            .query_all_raw(statement(
                db,
                &format!(
                    "INSERT INTO search_term (term) VALUES {} RETURNING id, term",
                    vec!["(?)"; chunk.len()].join(", ")
                ),
                chunk.iter().map(|t| Value::from((*t).clone())).collect(),
            ))
            .await?;
        for row in rows {
            ids.insert(row.try_get("", "term")?, row.try_get("", "id")?);
        }
    }
    let mut words: Vec<(&String, i32)> = doc
        .words
        .iter()
        .filter_map(|(word, term)| ids.get(term).map(|id| (word, *id)))
        .collect();
    words.sort();
    for chunk in words.chunks(500) {
        db.execute_raw(statement(
            db,
            &format!(
                "INSERT INTO search_word (word, term_id) VALUES {} ON CONFLICT (word) DO NOTHING",
                vec!["(?, ?)"; chunk.len()].join(", ")
            ),
            chunk
                .iter()
                .flat_map(|(word, id)| [Value::from((*word).clone()), Value::from(*id)])
                .collect(),
        ))
        .await?;
    }
    let code = doc_type.code();
    let mut term_ids: Vec<i32> = Vec::with_capacity(terms.len());
    let mut sql =
        String::from("INSERT INTO search_posting (term_id, doc_type, entity_id, score) VALUES ");
    for (i, (term, score)) in terms.iter().enumerate() {
        let term_id = ids
            .get(*term)
            .copied()
            .ok_or_else(|| AppError::internal("a search term without an id"))?;
        term_ids.push(term_id);
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("({term_id},{code},{id},{score})"));
    }
    db.execute_unprepared(&sql).await?;
    term_ids.sort_unstable();
    let list = int_list(term_ids.iter().copied());
    let column = doc_type.count_column();
    db.execute_unprepared(&format!(
        "UPDATE search_term SET docs = docs + 1, {column} = {column} + 1 WHERE id IN ({list})"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO search_document (doc_type, entity_id, terms) VALUES ({code}, {id}, '{list}')"
    ))
    .await?;
    Ok(())
}

/// How often the indexer looks whether it heard of a change: the changes committed meanwhile
/// are indexed in one transaction. Each commit makes every SQLite reader connection drop its
/// page cache, so under a steady stream of writes fewer, larger index commits leave the reads
/// faster; a change is still searchable well within a second.
const BATCH: Duration = Duration::from_millis(250);

/// Follows the change feed for as long as the process runs: indexes within [`BATCH`] when this
/// process hears of a committed change (its own writes; on PostgreSQL every replica's, by
/// `NOTIFY`), and looks at the feed every second whatever it heard (writes of other processes on SQLite, a lost
/// listening connection). After indexing it moves `version`, so cached answers computed from the
/// index before are not served again. Uses its own connection (`db`), so that the indexer never
/// waits for the request pool nor counts among the requests' statements.
pub async fn follow(db: DatabaseConnection, version: DataVersion) {
    let mut seen = version.now();
    let mut looked = Instant::now();
    let mut failing = false;
    loop {
        tokio::time::sleep(BATCH).await;
        let now = version.now();
        if now == seen && looked.elapsed() < Duration::from_secs(1) {
            continue;
        }
        seen = now;
        looked = Instant::now();
        match catch_up(&db).await {
            Ok(read) => {
                if read > 0 {
                    version.bump_tables([SEARCH_TABLE]);
                    seen = version.now();
                }
                if failing {
                    tracing::info!("the search indexer follows the change feed again");
                }
                failing = false;
            }
            Err(err) => {
                if !failing {
                    tracing::warn!(error = ?err, "the search indexer cannot follow the change feed; retrying every second");
                }
                failing = true;
            }
        }
    }
}

/// The index's size in the database: rows of each table.
pub async fn size(db: &impl ConnectionTrait) -> AppResult<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for table in [
        "search_term",
        "search_word",
        "search_posting",
        "search_document",
    ] {
        let row = db
            .query_one_raw(statement(
                db,
                &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"),
                vec![],
            ))
            .await?;
        out.push((
            table,
            row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0),
        ));
    }
    Ok(out)
}
