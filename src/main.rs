//! The `network-directory` binary: parse the command line, start logging, dispatch.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use network_directory::auth::{Role, TokenKeys};
use network_directory::cli::{Cli, Command, TokenRole};
use network_directory::entity::{organization, partner};
use network_directory::error::AppError;
use network_directory::{App, db, telemetry};

// mimalloc instead of glibc's malloc: a profile of the directory page put a fifth of the
// server's time in malloc and free (many small, short-lived allocations across threads). With
// the crate's `override` feature SQLite's own allocations (a copy of every column value read,
// each statement's sorter) use it too: glibc's `malloc_consolidate` alone was 6% of a computed
// directory page.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    telemetry::init(cli.config.log_format, &cli.config.log_filter);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let message = match err {
                AppError::Client { message, .. } => message,
                AppError::Internal(cause) | AppError::Unavailable(cause) => cause.to_string(),
                other => format!("{other:?}"),
            };
            tracing::error!(error = %message, "failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            App::build(&config)
                .await?
                .run(network_directory::app::shutdown_signal())
                .await
        }
        Command::Migrate { down } => {
            let (conn, _) = db::connect(&config, None).await?;
            match down {
                Some(steps) => db::rollback(&conn, steps).await?,
                None => db::migrate(&conn).await?,
            }
            tracing::info!("migrations done");
            Ok(())
        }
        Command::Seed => {
            let (conn, _) = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let report = db::seed::seed(&conn).await?;
            tracing::info!(inserted = report.inserted, "seed done");
            Ok(())
        }
        Command::Synthetic { scale } => {
            let (conn, _) = db::connect(&config, None).await?;
            db::migrate(&conn).await?;
            let started = std::time::Instant::now();
            // Authors' addresses are hashed as the API hashes them when posts are written, with
            // the key the server will use (recorded, so a server with another key refuses).
            let key = network_directory::privacy::EmailHashKey::from_config(&config)?;
            key.check_database(&conn).await?;
            let report = db::synthetic::load(&conn, scale, &|email| key.hash(email)).await?;
            tracing::info!(
                rows = report.rows,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "synthetic data loaded"
            );
            // The bulk load writes no change-feed rows: build the search index from the rows.
            if let Some(built) = network_directory::directory::search::index::rebuild(&conn).await?
            {
                let size = network_directory::directory::search::index::size(&conn).await?;
                tracing::info!(
                    documents = built.documents,
                    terms = built.terms,
                    postings = built.postings,
                    elapsed_ms = built.elapsed.as_millis() as u64,
                    rows = ?size,
                    "search index built"
                );
            }
            Ok(())
        }
        Command::Token {
            role,
            org,
            sub,
            ttl,
        } => {
            // A token must match a server's database and secret: find them, never create them
            // (run elsewhere, this used to make a new empty database and a new secret).
            let url = config.database_url();
            if let Some(path) = db::sqlite_file(url.expose())
                && !path.exists()
            {
                return Err(AppError::bad_input(format!(
                    "no database at {}: run this where the server keeps its data (DATA_DIR, now {}) or set DATABASE_URL",
                    path.display(),
                    config.data_dir.display()
                )));
            }
            let secret = network_directory::auth::token::generated_secret_path(&config);
            if config.jwt_algorithm == network_directory::config::JwtAlgorithm::Hs256
                && config.jwt_secret.is_none()
                && !secret.exists()
            {
                return Err(AppError::bad_input(format!(
                    "no token secret: set JWT_SECRET as the server has it, or run this where the server keeps its data ({} is not there)",
                    secret.display()
                )));
            }
            let (conn, _) = db::connect(&config, None).await?;
            // The token is recorded, so that administrators can list and revoke it: the
            // database must have the table, which the server's migrations create.
            if !db::pending_migrations(&conn).await?.is_empty() {
                return Err(AppError::bad_input(format!(
                    "the database {} is not up to date: run `network-directory migrate` (or start the server) first",
                    db::sqlite_file(url.expose()).map_or_else(
                        || "at DATABASE_URL".to_owned(),
                        |path| format!("at {}", path.display())
                    )
                )));
            }
            let keys = TokenKeys::from_config(&config)?;
            let token = issue_token(&conn, &keys, role, org, sub, ttl).await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{token}").map_err(AppError::internal)?;
            Ok(())
        }
        Command::Schema => {
            let mut out = std::io::stdout().lock();
            out.write_all(network_directory::sdl().as_bytes())
                .map_err(AppError::internal)?;
            Ok(())
        }
    }
}

/// Issues a token and records it, checking that its organization or partner exists.
async fn issue_token(
    conn: &sea_orm::DatabaseConnection,
    keys: &TokenKeys,
    role: TokenRole,
    org: Option<String>,
    sub: Option<String>,
    ttl: std::time::Duration,
) -> Result<String, AppError> {
    let (role, sub, organization_id) = match role {
        TokenRole::Admin => (Role::Admin, sub.unwrap_or_else(|| "admin".to_owned()), None),
        TokenRole::Partner => {
            let sub =
                sub.ok_or_else(|| AppError::bad_input("--role partner needs --sub PARTNER-SLUG"))?;
            lookup::<partner::Entity>(conn, partner::Column::Slug, &sub).await?;
            (Role::Partner, sub, None)
        }
        TokenRole::Organization => {
            let slug =
                org.ok_or_else(|| AppError::bad_input("--role organization needs --org SLUG"))?;
            let id =
                lookup::<organization::Entity>(conn, organization::Column::Slug, &slug).await?;
            (Role::Organization, sub.unwrap_or(slug), Some(id))
        }
    };
    let (token, claims) =
        network_directory::auth::issued::issue(conn, keys, role, &sub, organization_id, ttl)
            .await?;
    tracing::info!(role = role.as_str(), sub = %claims.sub, jti = %claims.jti, expires_at = %claims.expires_at(), "token issued");
    Ok(token)
}

/// The id of the live row of `E` with this slug.
async fn lookup<E: network_directory::db::write::VersionedEntity>(
    conn: &sea_orm::DatabaseConnection,
    column: E::Column,
    slug: &str,
) -> Result<i32, AppError> {
    network_directory::db::write::live_id::<E>(conn, column, slug)
        .await?
        .ok_or_else(|| AppError::bad_input(format!("no {} with slug `{slug}`", E::TYPE)))
}
