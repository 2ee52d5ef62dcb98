//! Keys and the `token` command: the secret's rules, generated secrets, EdDSA key files, and
//! tokens issued on the command line that the server accepts.

use std::process::Command;

use network_directory::auth::{Role, TokenKeys};
use network_directory::config::{Config, JwtAlgorithm, Secret};
use serde_json::json;

use crate::common::{TEST_SECRET, TestApp};

fn config(dir: &std::path::Path) -> Config {
    Config::for_database(
        format!("sqlite://{}?mode=rwc", dir.join("k.db").display()),
        dir.to_path_buf(),
    )
}

#[tokio::test]
async fn the_token_command_issues_tokens_the_server_accepts() {
    let app = TestApp::sqlite().await;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_network-directory"))
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("JWT_SECRET", TEST_SECRET)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let out = run(&[
        "token",
        "--role",
        "organization",
        "--org",
        "ggz-friesland",
        "--ttl",
        "90d",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(
        token.matches('.').count(),
        2,
        "a JWT on standard output, nothing else"
    );
    let viewer = app
        .with_token(token)
        .data(
            "{ viewer { role organization { slug } expiresAt } }",
            json!({}),
        )
        .await;
    assert_eq!(viewer["viewer"]["organization"]["slug"], "ggz-friesland");
    let expires =
        chrono::DateTime::parse_from_rfc3339(viewer["viewer"]["expiresAt"].as_str().unwrap())
            .unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((89..=90).contains(&days), "90 days, got {days}");

    let out = run(&["token", "--role", "partner", "--sub", "trimbos-instituut"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let partner = app
        .with_token(String::from_utf8(out.stdout).unwrap().trim())
        .data("{ viewer { role subject } }", json!({}))
        .await;
    assert_eq!(
        partner["viewer"],
        json!({ "role": "PARTNER", "subject": "trimbos-instituut" })
    );

    let out = run(&["token", "--role", "admin"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["token", "--role", "organization", "--org", "bestaat-niet"]);
    assert!(
        !out.status.success(),
        "an unknown organization gets no token"
    );
    assert!(out.stdout.is_empty());
    let out = run(&["token", "--role", "partner"]);
    assert!(!out.status.success(), "a partner token needs --sub");
}

#[tokio::test]
async fn a_short_secret_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.jwt_secret = Some(Secret::new("too-short"));
    let Err(err) = TokenKeys::from_config(&config) else {
        panic!("a short secret must be refused")
    };
    assert!(format!("{err:?}").contains("32 bytes"));
    let out = Command::new(env!("CARGO_BIN_EXE_network-directory"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display()),
        )
        .env("JWT_SECRET", "too-short")
        .env("BIND_ADDRESS", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the server does not start");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("too-short"),
        "the secret is never printed"
    );
}

#[tokio::test]
async fn a_generated_secret_is_private_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let first = TokenKeys::from_config(&config).unwrap();
    let path = dir.path().join("jwt-secret");
    let secret = std::fs::read_to_string(&path).unwrap();
    assert!(secret.trim().len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let second = TokenKeys::from_config(&config).unwrap();
    let (token, _) = first
        .issue(
            Role::Admin,
            "steunpunt",
            None,
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    assert!(
        second.verify(&token).is_ok(),
        "the same secret after a restart"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), secret);
}

/// Copies a test key pair's file from `tests/fixtures` (made once with `openssl genpkey`; the
/// tests need no `openssl` at run time).
fn fixture(name: &str, to: &std::path::Path) {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::copy(&from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

#[tokio::test]
async fn eddsa_keys_from_pem_files() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private.pem");
    let public = dir.path().join("public.pem");
    fixture("ed25519.pem", &private);
    fixture("ed25519.pub.pem", &public);
    let mut config = config(dir.path());
    config.jwt_algorithm = JwtAlgorithm::EdDsa;
    config.jwt_public_key_file = Some(public.clone());
    config.jwt_private_key_file = Some(private);
    let issuer = TokenKeys::from_config(&config).unwrap();
    let (token, _) = issuer
        .issue(
            Role::Admin,
            "steunpunt",
            None,
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    // A server with the public key only verifies, and cannot sign.
    config.jwt_private_key_file = None;
    let verifier = TokenKeys::from_config(&config).unwrap();
    assert!(!verifier.can_sign());
    assert_eq!(verifier.verify(&token).unwrap().sub, "steunpunt");
    // An HS256 token is refused by an EdDSA server, whatever its signature.
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &issuer.verify(&token).unwrap(),
        &jsonwebtoken::EncodingKey::from_secret(std::fs::read(&public).unwrap().as_slice()),
    )
    .unwrap();
    assert!(verifier.verify(&hs).is_err());
    // A missing key file is an error at start.
    config.jwt_public_key_file = Some(dir.path().join("missing.pem"));
    assert!(TokenKeys::from_config(&config).is_err());
}

#[tokio::test]
async fn rs256_keys_from_pem_files() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("rsa.pem");
    let public = dir.path().join("rsa.pub.pem");
    fixture("rsa.pem", &private);
    fixture("rsa.pub.pem", &public);
    let mut config = config(dir.path());
    config.jwt_algorithm = JwtAlgorithm::Rs256;
    config.jwt_public_key_file = Some(public);
    config.jwt_private_key_file = Some(private);
    let keys = TokenKeys::from_config(&config).unwrap();
    let (token, _) = keys
        .issue(
            Role::Partner,
            "trimbos-instituut",
            None,
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(keys.verify(&token).unwrap().role, Role::Partner);
    // An EdDSA key where RS256 is configured is refused at start.
    config.jwt_algorithm = JwtAlgorithm::EdDsa;
    assert!(TokenKeys::from_config(&config).is_err());
}

/// Run where there is no database or secret, `token` creates nothing: it says what it looked
/// for and fails.
#[test]
fn the_token_command_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_network-directory"))
        .args(["token", "--role", "admin"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("JWT_SECRET")
        .env_remove("DATA_DIR")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no token");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no database at"), "{said}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing was created"
    );
}
