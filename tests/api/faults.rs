//! Faults: PostgreSQL going away and coming back under load, every pooled connection busy,
//! and SIGTERM while writes are in flight: the server stays up, says what is wrong (an outage is
//! not overload), answers at once while the database is known to be down, recovers by itself,
//! and loses no write it acknowledged.
//!
//! An outage is only staged on PostgreSQL: a SQLite file does not go away the way a server
//! does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use network_directory::auth::{Role, TokenKeys};
use sea_orm::{
    ConnectionTrait, Database, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde_json::{Value, json};

use crate::common::{TEST_SECRET, TestApp};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL cluster of this test's own, which it can stop and start.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

fn postgres_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .collect();
    dirs.sort();
    dirs.into_iter().rev().find(|d| d.join("initdb").exists())
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command
                .args(["-u", "postgres", "--"])
                .arg(path)
                .current_dir("/");
            command
        } else {
            Command::new(path)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn new() -> Option<Self> {
        let bin = postgres_bin()?;
        let dir = tempfile::tempdir().ok()?;
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .ok()
            .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if as_postgres {
            Command::new("chown")
                .arg("postgres")
                .arg(dir.path())
                .status()
                .ok()?;
        }
        let cluster = Self {
            dir,
            bin,
            port: free_port(),
            as_postgres,
        };
        let ok = cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then_some(cluster)
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -h 127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "60", "-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            .arg("start")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "PostgreSQL starts");
    }

    fn stop(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .status();
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn postgres_outage_and_recovery_under_load() {
    let cluster = Cluster::new().expect(
        "PostgreSQL's server binaries (initdb, pg_ctl): on PATH or in /usr/lib/postgresql/*/bin",
    );
    cluster.start();
    let admin = Database::connect(cluster.url("postgres")).await.unwrap();
    admin
        .execute_unprepared("CREATE DATABASE directory")
        .await
        .unwrap();
    admin.close().await.unwrap();
    let app = TestApp::on_database(cluster.url("directory"), |_| {}).await;

    // Load: a reader that never stops, recording every status.
    let client = app.client.clone();
    let url = format!("{}/graphql", app.base);
    let load = tokio::spawn(async move {
        let mut statuses = Vec::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            let response = client
                .post(&url)
                .json(&json!({ "query": "{ organizations { totalCount } }" }))
                .send()
                .await;
            match response {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    statuses.push((
                        status,
                        body["errors"][0]["extensions"]["code"]
                            .as_str()
                            .unwrap_or("")
                            .to_owned(),
                    ));
                    if statuses.len() > 10
                        && statuses.iter().rev().take(10).all(|(s, _)| *s == 200)
                        && statuses.iter().any(|(s, _)| *s == 503)
                    {
                        break;
                    }
                }
                Err(err) => panic!("the server stopped answering: {err}"),
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        statuses
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    cluster.stop();
    // The first requests after the database went away may wait for the pool (at most the
    // acquire timeout, 3 s) before their 503: an outage, not overload.
    let started = Instant::now();
    let (status, body) = app
        .anon()
        .request("{ organizations { totalCount } }", json!({}))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "SERVICE_UNAVAILABLE"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fails fast: {:?}",
        started.elapsed()
    );
    assert!(
        !body.to_string().contains("Connection refused"),
        "no internals: {body}"
    );
    // Now the database is known to be down: every request is answered at once, with
    // `Retry-After`, across more than one open period of the breaker (2 s: its half-open probes
    // fail fast too).
    for _ in 0..12 {
        let started = Instant::now();
        let response = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": "{ organizations { totalCount } }" }))
            .send()
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(response.status(), 503);
        assert!(
            took < Duration::from_secs(1),
            "answered at once while the database is known to be down, not after the acquire timeout: {took:?}"
        );
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
            "{body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);
        assert!((1..=2).contains(&retry_after), "{retry_after}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let started = Instant::now();
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(1), "/readyz knows");
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the process stays up"
    );
    assert_eq!(
        app.metric("db_breaker_opened_total").await,
        1.0,
        "one outage"
    );
    assert!(app.metric("db_breaker_refusals_total").await >= 12.0);
    assert_eq!(
        app.metric("db_pool_exhausted_total").await,
        0.0,
        "not overload"
    );

    // Back within a few seconds of the database, without a restart.
    cluster.start();
    wait_for(
        "queries succeed again",
        Duration::from_secs(10),
        async || {
            app.anon()
                .request("{ organizations { totalCount } }", json!({}))
                .await
                .0
                == 200
        },
    )
    .await;
    wait_for(
        "/readyz says 200 again",
        Duration::from_secs(10),
        async || app.get("/readyz").await.status() == 200,
    )
    .await;
    assert_eq!(app.metric("db_breaker_open").await, 0.0);
    let written = app
        .as_admin()
        .data(
            "mutation { createTag(input: {name: \"Na de storing\"}) { tag { slug } } }",
            json!({}),
        )
        .await;
    assert_eq!(written["createTag"]["tag"]["slug"], "na-de-storing");

    let statuses = load.await.unwrap();
    assert!(
        statuses.iter().any(|(s, _)| *s == 503),
        "the outage was seen"
    );
    for (status, code) in &statuses {
        assert!(
            *status == 200
                || (*status == 503 && (code == "SERVICE_UNAVAILABLE" || code == "TIMEOUT")),
            "{status} {code}"
        );
    }
    app.db.close().await.ok();
}

const BUSY_ACQUIRE_TIMEOUT_MS: u64 = 1000;

/// Every pooled connection of `app` busy (`pool` of them): a write waits for the lock that
/// `lock` holds from outside. A read then gets `OVERLOADED` after the acquire timeout, with
/// `Retry-After` and `retryAfter`, counted in `/metrics`; the database is not taken for down
/// (no breaker), and once the lock is gone the write completes and reads are served again.
async fn exhausted_pool_is_overload(app: &TestApp, pool: u32, lock: DatabaseTransaction) {
    let token = app.token(Role::Admin, "steunpunt", None);
    let client = app.client.clone();
    let url = format!("{}/graphql", app.base);
    let write = tokio::spawn(async move {
        let response = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "query": "mutation { createTag(input: {name: \"Tijdens de drukte\"}) { tag { slug } } }" }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    });
    // Held for good, not just for the write's slug check: busy twice, 300 ms apart.
    let busy =
        async || app.metric("db_pool_connections{state=\"in_use\"}").await >= f64::from(pool);
    wait_for(
        "the waiting write holds every connection",
        Duration::from_secs(10),
        async || {
            busy().await && {
                tokio::time::sleep(Duration::from_millis(300)).await;
                busy().await
            }
        },
    )
    .await;

    let started = Instant::now();
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": "{ organizations { totalCount } }" }))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(
        body["errors"],
        json!([{
            "message": "The server is busy: every database connection is in use. Please retry in 1 s.",
            "locations": [{ "line": 1, "column": 3 }],
            "path": ["organizations"],
            "extensions": { "code": "OVERLOADED", "retryAfter": 1 },
        }])
    );
    assert!(
        took >= Duration::from_millis(BUSY_ACQUIRE_TIMEOUT_MS),
        "it waited for a connection: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(app.metric("db_pool_exhausted_total").await, 1.0);
    assert_eq!(app.metric("db_breaker_opened_total").await, 0.0);

    lock.rollback().await.unwrap();
    let (status, body) = write.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["createTag"]["tag"]["slug"], "tijdens-de-drukte",
        "{body}"
    );
    let (status, body) = app
        .anon()
        .request("{ organizations { totalCount } }", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.metric("db_pool_exhausted_total").await, 1.0);
}

fn busy(connections: u32) -> impl FnOnce(&mut network_directory::Config) {
    move |config| {
        config.database_max_connections = Some(connections);
        config.database_acquire_timeout_ms = BUSY_ACQUIRE_TIMEOUT_MS;
    }
}

#[tokio::test]
async fn exhausted_pool_is_overload_on_sqlite() {
    let app = TestApp::sqlite_with(busy(1)).await;
    // SQLite has one writer: an outside `BEGIN IMMEDIATE` makes the server's write wait.
    let outside = Database::connect(app.database_url.as_str()).await.unwrap();
    let lock = outside
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .unwrap();
    exhausted_pool_is_overload(&app, 1, lock).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: run `scripts/with-postgres cargo test`"
)]
async fn exhausted_pool_is_overload_on_postgres() {
    // Two connections: one is the replica's listening connection, held for good.
    let app = TestApp::postgres_with(busy(2)).await;
    let outside = Database::connect(app.database_url.as_str()).await.unwrap();
    let lock = outside.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE tag IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    exhausted_pool_is_overload(&app, 2, lock).await;
}

fn server(dir: &Path, port: u16) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_network-directory"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("d.db").display()),
        )
        .env("JWT_SECRET", TEST_SECRET)
        .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
        .env("SHUTDOWN_GRACE_SECS", "20")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn sigterm_drains_and_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = server(dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_for("the server starts", Duration::from_secs(30), async || {
        client.get(format!("{base}/healthz")).send().await.is_ok()
    })
    .await;
    let mut config =
        network_directory::Config::for_database("sqlite::memory:", dir.path().to_path_buf());
    config.jwt_secret = Some(network_directory::config::Secret::new(TEST_SECRET));
    let token = TokenKeys::from_config(&config)
        .unwrap()
        .issue(Role::Admin, "steunpunt", None, Duration::from_secs(600))
        .unwrap()
        .0;

    let mut writers = Vec::new();
    for i in 0..60 {
        let client = client.clone();
        let url = format!("{base}/graphql");
        let token = token.clone();
        writers.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i * 10)).await;
            let title = format!("Bericht {i}");
            let body = json!({ "query": "mutation($t: String!) { submitPost(input: {kind: NEWS, title: $t, body: \"x\", authorName: \"Redactie\"}) { post { slug } } }", "variables": { "t": title } });
            let response = client.post(url).bearer_auth(token).json(&body).send().await.ok()?;
            let body: Value = response.json().await.ok()?;
            body["data"]["submitPost"]["post"]["slug"].as_str().map(str::to_owned)
        }));
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut acknowledged = Vec::new();
    for writer in writers {
        if let Some(slug) = writer.await.unwrap() {
            acknowledged.push(slug);
        }
    }
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "a clean exit after draining: {status:?}");
    assert!(
        !acknowledged.is_empty(),
        "some writes finished before the signal"
    );
    assert!(
        acknowledged.len() < 60,
        "the signal came while writes were still coming"
    );
    let db = Database::connect(format!(
        "sqlite://{}?mode=rw",
        dir.path().join("d.db").display()
    ))
    .await
    .unwrap();
    for slug in &acknowledged {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT id FROM post WHERE slug = '{slug}'"),
            ))
            .await
            .unwrap();
        assert!(row.is_some(), "acknowledged write {slug} is stored");
    }
}
