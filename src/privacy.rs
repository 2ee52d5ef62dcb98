//! Retention of personal data in contributions: an author's moderation e-mail address is
//! deleted, and a rejected contribution purged, `RETENTION_DAYS` after the moderation decision.
//! The job runs one to two minutes after start and then hourly; each run is one transaction,
//! journaled.
//!
//! An address outlives retention only as a keyed hash ([`EmailHashKey`]: HMAC-SHA256 of the
//! trimmed, lowercased address under a server key), by which erasure on request still finds the
//! author's posts. Without the key the hash cannot be checked against guessed addresses; the
//! key never enters the database, and a fingerprint of it there makes a server with another key
//! refuse to start (hashes made under two keys would miss each other).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sha2::Sha256;

use crate::config::Config;
use crate::db::journal::{self, Actor, Change, Operation};
use crate::entity::{audit_log, post};
use crate::error::{AppError, AppResult};

/// What one retention run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetentionReport {
    /// Moderation e-mail addresses deleted.
    pub emails_deleted: u64,
    /// Rejected contributions purged.
    pub posts_purged: u64,
}

/// Runs the retention job hourly, forever (the server aborts it at shutdown). The first run is
/// one to two minutes after start: not in the way of the first requests (it takes the write
/// lock), and replicas started together do not all run it at the same moment.
pub async fn run_retention(db: DatabaseConnection, key: EmailHashKey, days: u32) {
    let mut tick = crate::db::hourly_after_start();
    loop {
        tick.tick().await;
        match purge(&db, &key, Utc::now(), days).await {
            Ok(report) if report != RetentionReport::default() => {
                tracing::info!(
                    emails = report.emails_deleted,
                    posts = report.posts_purged,
                    "retention run"
                );
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "retention run failed; retrying in an hour"),
        }
    }
}

fn col(column: post::Column) -> Expr {
    Expr::col((post::Entity, column))
}

/// Deletes e-mail addresses and purges rejected contributions moderated before `now - days`.
/// An address is hashed with `key` before it is deleted, when it has no hash yet (a row written
/// before hashes existed).
pub async fn purge(
    db: &DatabaseConnection,
    key: &EmailHashKey,
    now: DateTime<Utc>,
    days: u32,
) -> AppResult<RetentionReport> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let txn = crate::db::begin_write(db).await?;
    let actor = Actor::system("retention");
    let rejected = sea_orm::ActiveEnum::to_value(&crate::vocab::PostStatus::Rejected);
    let select = Query::select()
        .columns([post::Column::Id, post::Column::OrganizationId])
        .from(post::Entity)
        .and_where(col(post::Column::Status).eq(rejected.clone()))
        .and_where(col(post::Column::ModeratedAt).lt(cutoff))
        .to_owned();
    let doomed = txn.query_all(&select).await?;
    let mut report = RetentionReport::default();
    for row in &doomed {
        let id: i32 = row.try_get("", "id")?;
        let organization_id: Option<i32> = row.try_get("", "organization_id")?;
        scrub_audit(&txn, &[id]).await?;
        journal::record(
            &txn,
            &actor,
            Change {
                entity_type: "post",
                entity_id: id,
                organization_id,
                operation: Operation::Delete,
                before: None,
                after: None,
            },
        )
        .await?;
        report.posts_purged += 1;
    }
    if !doomed.is_empty() {
        let delete = Query::delete()
            .from_table(post::Entity)
            .and_where(col(post::Column::Status).eq(rejected))
            .and_where(col(post::Column::ModeratedAt).lt(cutoff))
            .to_owned();
        txn.execute(&delete).await?;
    }
    hash_missing(
        &txn,
        key,
        Condition::all().add(col(post::Column::ModeratedAt).lt(cutoff)),
        u64::MAX,
    )
    .await?;
    let update = Query::update()
        .table(post::Entity)
        .value(post::Column::AuthorEmail, Option::<String>::None)
        .and_where(col(post::Column::AuthorEmail).is_not_null())
        // A row written since the hashing above (PostgreSQL reads committed rows afresh per
        // statement) keeps its address until the next run hashes it.
        .and_where(col(post::Column::AuthorEmailHash).is_not_null())
        .and_where(col(post::Column::ModeratedAt).lt(cutoff))
        .to_owned();
    report.emails_deleted = txn.execute(&update).await?.rows_affected();
    txn.commit().await?;
    crate::db::checkpoint(db).await?;
    Ok(report)
}

/// The shortest `EMAIL_HASH_KEY` accepted.
pub const MIN_EMAIL_HASH_KEY_BYTES: usize = 32;

/// The key of the keyed hash of authors' e-mail addresses. `Debug` never shows it.
#[derive(Clone)]
pub struct EmailHashKey(Arc<Hmac<Sha256>>);

impl fmt::Debug for EmailHashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailHashKey([redacted])")
    }
}

/// Where the embedded default keeps the key it generates.
pub fn generated_email_hash_key_path(config: &Config) -> PathBuf {
    config.data_dir.join("email-hash-key")
}

/// An address as it is hashed and compared: trimmed and lowercased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl EmailHashKey {
    /// A key from its bytes, refused when shorter than [`MIN_EMAIL_HASH_KEY_BYTES`].
    pub fn new(key: &[u8]) -> AppResult<Self> {
        if key.len() < MIN_EMAIL_HASH_KEY_BYTES {
            return Err(AppError::internal(format!(
                "EMAIL_HASH_KEY must be at least {MIN_EMAIL_HASH_KEY_BYTES} bytes"
            )));
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(AppError::internal)?;
        Ok(Self(Arc::new(mac)))
    }

    /// `EMAIL_HASH_KEY`, or the key generated once into the data directory (mode 0600).
    pub fn from_config(config: &Config) -> AppResult<Self> {
        if let Some(key) = &config.email_hash_key {
            return Self::new(key.expose().as_bytes());
        }
        let path = generated_email_hash_key_path(config);
        if !path.exists() {
            crate::db::private_dir(&config.data_dir)?;
            let mut bytes = [0u8; 48];
            getrandom::fill(&mut bytes).map_err(AppError::internal)?;
            if create_once(&path, URL_SAFE_NO_PAD.encode(bytes).as_bytes())? {
                tracing::info!(path = %path.display(), "generated a new key for hashing e-mail addresses");
            }
        }
        let key = std::fs::read(&path)
            .map_err(|err| AppError::internal(format!("cannot read {}: {err}", path.display())))?;
        Self::new(key.trim_ascii())
    }

    fn mac(&self, domain: &[u8], message: &[u8]) -> String {
        let mut mac = Hmac::clone(&self.0);
        mac.update(domain);
        mac.update(message);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The hash of an address (after [`normalize_email`]): 64 hexadecimal digits.
    pub fn hash(&self, email: &str) -> String {
        self.mac(b"author-email\0", normalize_email(email).as_bytes())
    }

    /// What the database keeps to recognise the key: a hash of a fixed text, which tells
    /// nothing about the key.
    fn fingerprint(&self) -> String {
        self.mac(b"key-fingerprint\0", b"email_hash_key")
    }

    /// Records the key's fingerprint in a database that has none, and refuses a database whose
    /// hashes were made with another key (another replica's, or a lost generated key).
    pub async fn check_database(&self, db: &impl ConnectionTrait) -> AppResult<()> {
        let insert = Query::insert()
            .into_table(Alias::new("key_fingerprint"))
            .columns(["name", "fingerprint", "created_at"].map(Alias::new))
            .values([
                "email_hash_key".into(),
                self.fingerprint().into(),
                Utc::now().into(),
            ])
            .map_err(AppError::internal)?
            .on_conflict(
                OnConflict::column(Alias::new("name"))
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        db.execute(&insert).await?;
        let select = Query::select()
            .column(Alias::new("fingerprint"))
            .from(Alias::new("key_fingerprint"))
            .and_where(Expr::col(Alias::new("name")).eq("email_hash_key"))
            .to_owned();
        let stored: Option<String> = match db.query_one(&select).await? {
            Some(row) => Some(row.try_get("", "fingerprint")?),
            None => None,
        };
        if stored.as_deref() != Some(self.fingerprint().as_str()) {
            return Err(AppError::internal(
                "the e-mail hash key is not the one this database's hashes were made with: give \
                 every server the same EMAIL_HASH_KEY (or restore DATA_DIR/email-hash-key); see \
                 the README on EMAIL_HASH_KEY",
            ));
        }
        Ok(())
    }
}

/// Creates `path` with `contents`, readable by the owner only, unless it exists: written to a
/// private temporary file first and linked into place, so that a server starting at the same
/// moment reads either no file or the whole key. Returns true when this call created it.
fn create_once(path: &Path, contents: &[u8]) -> AppResult<bool> {
    use std::io::Write;
    let cannot = |err: std::io::Error| {
        AppError::internal(format!("cannot create {}: {err}", path.display()))
    };
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(AppError::internal)?;
    let temporary = path.with_extension(format!("tmp-{}", URL_SAFE_NO_PAD.encode(suffix)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(&temporary)
        .and_then(|mut file| file.write_all(contents).and_then(|()| file.sync_all()));
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(cannot(err)),
    }
}

/// Hashes the addresses of posts matching `filter` that have an address and no hash yet, at
/// most `limit` of them; returns how many.
async fn hash_missing(
    db: &impl ConnectionTrait,
    key: &EmailHashKey,
    filter: Condition,
    limit: u64,
) -> AppResult<u64> {
    let select = unhashed_select(filter, limit);
    let rows = db.query_all(&select).await?;
    for row in &rows {
        let id: i32 = row.try_get("", "id")?;
        let email: String = row.try_get("", "author_email")?;
        let update = Query::update()
            .table(post::Entity)
            .value(post::Column::AuthorEmailHash, key.hash(&email))
            .and_where(Expr::col(post::Column::Id).eq(id))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(rows.len() as u64)
}

/// The posts (id, address) matching `filter` whose author's address has no hash yet, in id order,
/// at most `limit` (`u64::MAX`: all). Read along `idx_post_email_unhashed`, which holds only them.
pub fn unhashed_select(filter: Condition, limit: u64) -> SelectStatement {
    let mut select = Query::select();
    select
        .columns([post::Column::Id, post::Column::AuthorEmail])
        .from(post::Entity)
        .cond_where(
            filter
                .add(col(post::Column::AuthorEmail).is_not_null())
                .add(col(post::Column::AuthorEmailHash).is_null()),
        )
        .order_by(post::Column::Id, sea_orm::sea_query::Order::Asc);
    if limit != u64::MAX {
        select.limit(limit);
    }
    select
}

/// Hashes the addresses of posts written before hashes existed (the migration that added the
/// column cannot: the key is not in the database). Runs at start, in batches; returns how many.
pub async fn backfill_email_hashes(db: &DatabaseConnection, key: &EmailHashKey) -> AppResult<u64> {
    let mut total = 0;
    loop {
        let txn = crate::db::begin_write(db).await?;
        let done = hash_missing(&txn, key, Condition::all(), 500).await?;
        txn.commit().await?;
        total += done;
        if done < 500 {
            return Ok(total);
        }
    }
}

/// What an erased author's name becomes.
pub const ERASED_NAME: &str = "[verwijderd]";

/// Removes authors' names, e-mail addresses and their hashes from the audit log's before/after
/// values of these posts.
pub async fn scrub_audit(db: &impl ConnectionTrait, post_ids: &[i32]) -> AppResult<()> {
    if post_ids.is_empty() {
        return Ok(());
    }
    let select = Query::select()
        .columns([
            audit_log::Column::Id,
            audit_log::Column::Before,
            audit_log::Column::After,
        ])
        .from(audit_log::Entity)
        .and_where(Expr::col(audit_log::Column::EntityType).eq("post"))
        .and_where(Expr::col(audit_log::Column::EntityId).is_in(post_ids.iter().copied()))
        .to_owned();
    for row in db.query_all(&select).await? {
        let id: i64 = row.try_get("", "id")?;
        let mut update = Query::update();
        update
            .table(audit_log::Entity)
            .and_where(Expr::col(audit_log::Column::Id).eq(id));
        for (name, column) in [
            ("before", audit_log::Column::Before),
            ("after", audit_log::Column::After),
        ] {
            let value: Option<serde_json::Value> = row.try_get("", name)?;
            if let Some(mut value) = value {
                if let Some(object) = value.as_object_mut() {
                    object.remove("author_email");
                    object.remove("author_email_hash");
                    if object.contains_key("author_name") {
                        object.insert("author_name".to_owned(), ERASED_NAME.into());
                    }
                }
                update.value(column, value);
            }
        }
        db.execute(&update).await?;
    }
    Ok(())
}
