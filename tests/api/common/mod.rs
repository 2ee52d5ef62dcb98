//! The test harness: `TestApp` starts the real server on port 0 against a fresh database and
//! speaks HTTP to it.
//!
//! SQLite: a fresh file in a temporary directory per test. PostgreSQL: when `TEST_POSTGRES_URL`
//! names a server (`scripts/with-postgres` starts a throwaway one), one template database is
//! migrated and seeded per run and each test gets `CREATE DATABASE … TEMPLATE` of it. Without
//! it the PostgreSQL tests say they are skipped, unless `REQUIRE_POSTGRES=1`, which makes them
//! fail.

#![allow(dead_code)]

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use network_directory::db::StatementCounter;
use network_directory::{App, Config};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// A running server on a fresh database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The server's database pool (for arranging data and checking what was written).
    pub db: DatabaseConnection,
    /// The server's SQL statement counter.
    pub statements: StatementCounter,
    /// The database URL the server uses.
    pub database_url: String,
    _dir: tempfile::TempDir,
}

fn init_logs() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let filter = if filter == "1" {
            "info".to_owned()
        } else {
            filter
        };
        network_directory::telemetry::init(network_directory::config::LogFormat::Pretty, &filter);
    }
}

impl TestApp {
    /// A server on a fresh, migrated and seeded SQLite file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self::start(url, dir).await
    }

    /// A server on a fresh PostgreSQL database, or `None` when PostgreSQL is not available.
    pub async fn postgres() -> Option<Self> {
        let url = postgres_test_database().await?;
        let dir = tempfile::tempdir().expect("temp dir");
        Some(Self::start(url, dir).await)
    }

    async fn start(url: String, dir: tempfile::TempDir) -> Self {
        init_logs();
        let config = Config::for_database(url.clone(), dir.path().to_path_buf());
        let app = App::build(&config).await.expect("the app builds");
        let base = format!("http://{}", app.address());
        let db = app.db().clone();
        let statements = app.statements();
        tokio::spawn(app.run(std::future::pending()));
        Self {
            base,
            client: reqwest::Client::new(),
            db,
            statements,
            database_url: url,
            _dir: dir,
        }
    }

    /// POSTs a GraphQL query and returns the JSON response (whatever its status).
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON response")
    }

    /// POSTs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.query(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// POSTs a query that must fail and returns the `extensions.code` of its first error.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let response = self.query(query, variables).await;
        let code = &response["errors"][0]["extensions"]["code"];
        assert!(
            code.is_string(),
            "expected an error with a code: {response:#}"
        );
        code.as_str().unwrap_or_default().to_owned()
    }

    /// A GET to a path of the server.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent")
    }

    /// Runs raw SQL on the server's database (to arrange data the API cannot write yet).
    pub async fn sql(&self, sql: &str) {
        self.db.execute_unprepared(sql).await.expect("SQL runs");
    }

    /// A single number from a SQL query.
    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                sql,
            ))
            .await
            .expect("query runs")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("a number")
    }
}

static TEMPLATE: OnceLock<Option<(String, String)>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

fn with_database(server: &str, name: &str) -> String {
    match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{server}/{name}"),
    }
}

/// The URL of a fresh PostgreSQL database copied from the migrated, seeded template.
async fn postgres_test_database() -> Option<String> {
    let template = TEMPLATE.get_or_init(|| {
        // A runtime of its own: the pool used to build the template must not outlive this.
        std::thread::spawn(make_template)
            .join()
            .expect("template thread")
    });
    let Some((server, template)) = template else {
        let required = std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set"
        );
        static SAID: OnceLock<()> = OnceLock::new();
        SAID.get_or_init(|| {
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL tests skipped: TEST_POSTGRES_URL is not set (run `scripts/with-postgres cargo test`)"
            );
        });
        return None;
    };
    let name = format!("{template}_{}", NEXT_DB.fetch_add(1, Ordering::Relaxed));
    let admin = Database::connect(server.as_str())
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .expect("create test database");
    admin.close().await.expect("close");
    Some(with_database(server, &name))
}

fn make_template() -> Option<(String, String)> {
    let server = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let template = format!("nd_test_{}", std::process::id());
        let admin = Database::connect(server.as_str())
            .await
            .expect("connect to TEST_POSTGRES_URL");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {template}"))
            .await
            .expect("drop old template");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {template}"))
            .await
            .expect("create template");
        admin.close().await.expect("close");
        let db = Database::connect(with_database(&server, &template))
            .await
            .expect("connect to template");
        network_directory::db::migrate(&db)
            .await
            .expect("migrate template");
        network_directory::db::seed::seed(&db)
            .await
            .expect("seed template");
        db.close().await.expect("close");
        Some((server, template))
    })
}

/// Runs each named `async fn(TestApp)` against SQLite and against PostgreSQL, as the tests
/// `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[tokio::test]
                async fn sqlite() {
                    super::$test($crate::common::TestApp::sqlite().await).await;
                }

                #[tokio::test]
                async fn postgres() {
                    if let Some(app) = $crate::common::TestApp::postgres().await {
                        super::$test(app).await;
                    }
                }
            }
        )*
    };
}
