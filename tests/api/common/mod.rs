//! The test harness: `TestApp` starts the real server on port 0 against a fresh database and
//! speaks HTTP to it.
//!
//! SQLite: a fresh file in a temporary directory per test. PostgreSQL: when `TEST_POSTGRES_URL`
//! names a server (`scripts/with-postgres` starts a throwaway one), one template database is
//! migrated and seeded per run and each test gets `CREATE DATABASE … TEMPLATE` of it. Without
//! it the PostgreSQL tests say they are skipped, unless `REQUIRE_POSTGRES=1`, which makes them
//! fail.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use std::sync::Arc;

use network_directory::auth::{Role, TokenKeys};
use network_directory::db::StatementCounter;
use network_directory::graphql::node::NodeType;
use network_directory::{App, Config};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// The HS256 secret of test servers, so tests can forge tokens the server must refuse.
pub const TEST_SECRET: &str = "a-test-secret-that-is-longer-than-32-bytes";

/// The e-mail hash key of test servers: the same for every server, so that two servers on one
/// database (replicas) agree, as production's must.
pub const TEST_EMAIL_HASH_KEY: &str = "a-test-email-hash-key-longer-than-32-bytes";

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
    /// The server's token keys, to sign test tokens.
    pub keys: Arc<TokenKeys>,
    /// The server's key of e-mail address hashes (to run the retention job as the server does).
    pub email_hash_key: network_directory::privacy::EmailHashKey,
    _dir: tempfile::TempDir,
}

/// A caller of the API: anonymous, or with a token.
pub struct Caller<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl Caller<'_> {
    /// POSTs a GraphQL query and returns the HTTP status and the JSON response.
    pub async fn request(&self, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .post(format!("{}/graphql", self.app.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON response"))
    }

    /// POSTs a GraphQL query and returns the JSON response (whatever its status).
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.request(query, variables).await.1
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
        Self::sqlite_with(|_| {}).await
    }

    /// A server on a fresh PostgreSQL database. Only for tests marked
    /// `#[cfg_attr(not(postgres_tests), ignore = ...)]` (see `build.rs`): they fail when
    /// PostgreSQL is asked for and missing.
    pub async fn postgres() -> Self {
        Self::postgres_with(|_| {}).await
    }

    /// [`TestApp::sqlite`] with a changed configuration.
    pub async fn sqlite_with(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self::start(url, dir, configure).await
    }

    /// [`TestApp::postgres`] with a changed configuration.
    pub async fn postgres_with(configure: impl FnOnce(&mut Config)) -> Self {
        let url = postgres_test_database().await;
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start(url, dir, configure).await
    }

    /// A server on the given database URL (already created), with a changed configuration.
    pub async fn on_database(url: String, configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start(url, dir, configure).await
    }

    async fn start(
        url: String,
        dir: tempfile::TempDir,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        init_logs();
        let mut config = Config::for_database(url.clone(), dir.path().to_path_buf());
        config.jwt_secret = Some(network_directory::config::Secret::new(TEST_SECRET));
        config.email_hash_key = Some(network_directory::config::Secret::new(TEST_EMAIL_HASH_KEY));
        configure(&mut config);
        let app = App::build(&config).await.expect("the app builds");
        let base = format!("http://{}", app.address());
        let db = app.db().clone();
        let statements = app.statements();
        let keys = app.keys();
        let email_hash_key = app.email_hash_key();
        tokio::spawn(app.run(std::future::pending()));
        Self {
            base,
            client: reqwest::Client::new(),
            db,
            statements,
            database_url: url,
            keys,
            email_hash_key,
            _dir: dir,
        }
    }

    /// An anonymous caller.
    pub fn anon(&self) -> Caller<'_> {
        Caller {
            app: self,
            token: None,
        }
    }

    /// A caller with this token.
    pub fn with_token(&self, token: impl Into<String>) -> Caller<'_> {
        Caller {
            app: self,
            token: Some(token.into()),
        }
    }

    /// Signs a token with the server's key.
    pub fn token(&self, role: Role, sub: &str, org: Option<String>) -> String {
        self.keys
            .issue(role, sub, org, std::time::Duration::from_secs(3600))
            .expect("token")
            .0
    }

    /// Issues a token as the `token` command does (recorded, so that it can be listed and
    /// revoked); returns the token and its ID.
    pub async fn recorded_token(
        &self,
        role: Role,
        sub: &str,
        organization_id: Option<i32>,
    ) -> (String, String) {
        let (token, claims) = network_directory::auth::issued::issue(
            &self.db,
            &self.keys,
            role,
            sub,
            organization_id,
            std::time::Duration::from_secs(3600),
        )
        .await
        .expect("token issued and recorded");
        (token, claims.jti)
    }

    /// An administrator.
    pub fn as_admin(&self) -> Caller<'_> {
        self.with_token(self.token(Role::Admin, "steunpunt", None))
    }

    /// A partner (the Trimbos-instituut).
    pub fn as_partner(&self) -> Caller<'_> {
        self.with_token(self.token(Role::Partner, "trimbos-instituut", None))
    }

    /// The organization with this slug.
    pub async fn as_org(&self, slug: &str) -> Caller<'_> {
        let token = self.org_token(slug).await;
        self.with_token(token)
    }

    /// A token of the organization with this slug.
    pub async fn org_token(&self, slug: &str) -> String {
        let id = self
            .count(&format!(
                "SELECT CAST(id AS BIGINT) FROM organization WHERE slug = '{slug}'"
            ))
            .await;
        let org = NodeType::Organization.encode(id as i32);
        self.token(Role::Organization, slug, Some(org))
    }

    /// The global ID of the row of `table` with this slug.
    pub async fn id_of(&self, node_type: NodeType, table: &str, slug: &str) -> String {
        let id = self
            .count(&format!(
                "SELECT CAST(id AS BIGINT) FROM {table} WHERE slug = '{slug}'"
            ))
            .await;
        node_type.encode(id as i32)
    }

    /// POSTs a GraphQL query anonymously and returns the JSON response.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.anon().query(query, variables).await
    }

    /// POSTs an anonymous query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        self.anon().data(query, variables).await
    }

    /// POSTs an anonymous query that must fail and returns its first error's code.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        self.anon().error_code(query, variables).await
    }

    /// What every write changes: the journal and the rows' versions and counts. Equal before
    /// and after a request means the request wrote nothing.
    pub async fn fingerprint(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for table in [
            "audit_log",
            "change_feed",
            "revoked_token",
            "issued_token",
            "organization_region",
            "organization_theme",
            "post_theme",
            "organization_care_domain",
        ] {
            out.push(self.count(&format!("SELECT COUNT(*) FROM {table}")).await);
        }
        for table in [
            "organization",
            "partner",
            "post",
            "theme",
            "tag",
            "region",
            "target_group",
        ] {
            out.push(self.count(&format!("SELECT COUNT(*) FROM {table}")).await);
            out.push(
                self.count(&format!(
                    "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM {table}"
                ))
                .await,
            );
        }
        out
    }

    /// The value of a metric (with its labels, as `/metrics` writes them), 0 when absent.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.get("/metrics").await.text().await.expect("metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
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

/// The URL of a fresh, empty PostgreSQL database (not even migrated).
pub async fn empty_postgres_database() -> String {
    // Through the template's set-up, which checks that PostgreSQL is there.
    postgres_test_database().await;
    let (server, template) = TEMPLATE
        .get()
        .and_then(Option::as_ref)
        .expect("the template exists");
    let name = format!(
        "{template}_empty_{}",
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    let admin = Database::connect(server.as_str())
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create an empty database");
    admin.close().await.expect("close");
    with_database(server, &name)
}

/// The URL of a fresh PostgreSQL database copied from the migrated, seeded template; a test
/// failure when PostgreSQL was asked for (`TEST_POSTGRES=1`, `REQUIRE_POSTGRES=1`) but
/// `TEST_POSTGRES_URL` is not set.
async fn postgres_test_database() -> String {
    let template = TEMPLATE.get_or_init(|| {
        // A runtime of its own: the pool used to build the template must not outlive this.
        std::thread::spawn(make_template)
            .join()
            .expect("template thread")
    });
    let Some((server, template)) = template else {
        panic!(
            "the PostgreSQL tests were compiled in (TEST_POSTGRES=1 or REQUIRE_POSTGRES=1) but \
             TEST_POSTGRES_URL is not set: run `scripts/with-postgres cargo test`"
        );
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
    with_database(server, &name)
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
                #[cfg_attr(
                    not(postgres_tests),
                    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
                )]
                async fn postgres() {
                    super::$test($crate::common::TestApp::postgres().await).await;
                }
            }
        )*
    };
}

/// Like [`on_both_databases`], for tests of a server configured by `$configure` (a
/// `fn(&mut Config)` of the calling module).
#[macro_export]
macro_rules! on_both_databases_with {
    ($configure:ident: $($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[tokio::test]
                async fn sqlite() {
                    super::$test(
                        $crate::common::TestApp::sqlite_with(super::$configure).await,
                    )
                    .await;
                }

                #[tokio::test]
                #[cfg_attr(
                    not(postgres_tests),
                    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
                )]
                async fn postgres() {
                    super::$test(
                        $crate::common::TestApp::postgres_with(super::$configure).await,
                    )
                    .await;
                }
            }
        )*
    };
}

/// A query document of `n` aliased copies (`a0`, `a1`, …) of one root `selection`.
pub fn aliased(n: usize, selection: &str) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: {selection}")).collect();
    format!("{{ {} }}", fields.join(" "))
}
