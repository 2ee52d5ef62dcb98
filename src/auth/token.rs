//! JSON Web Tokens: the claims, the keys (from configuration), signing and verification.
//!
//! The accepted algorithm is pinned by configuration and never taken from a token's header;
//! `exp`, `iss`, `aud` and `sub` are required, `nbf` is checked when present, with a small
//! leeway. An HS256 secret must be at least 32 bytes; without `JWT_SECRET` one is generated
//! once into the data directory (mode 0600) and printed nowhere.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{Config, JwtAlgorithm};
use crate::error::{AppError, AppResult};

/// Seconds of clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;
/// The shortest HS256 secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

/// The role a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The network's support point: everything.
    Admin,
    /// One organization: its own profile, relations and posts.
    Organization,
    /// A partner body: partner-only fields and the change feed.
    Partner,
}

impl Role {
    /// The role as written in tokens and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Organization => "organization",
            Self::Partner => "partner",
        }
    }
}

/// The claims of our tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Who the token is for (a person, a partner's slug, an organization's slug).
    pub sub: String,
    /// What the token may do.
    pub role: Role,
    /// For the organization role: the organization's global ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Token ID, for revocation.
    pub jti: String,
    /// Query cost budget per minute for this token (default: `COST_BUDGET_PER_MINUTE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_budget: Option<u32>,
}

impl Claims {
    /// The expiry as a timestamp.
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// Why a presented token was refused. The client is told only that it is not valid; the kind is
/// logged (without the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Malformed, wrong signature, wrong algorithm, missing claims.
    Invalid,
    /// Expired.
    Expired,
    /// Not yet valid.
    NotYetValid,
    /// Wrong issuer or audience.
    WrongIssuerOrAudience,
}

/// The keys and the validation rules, built once from configuration.
pub struct TokenKeys {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

fn random_token_id() -> AppResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn read_file(path: &Path, what: &str) -> AppResult<Vec<u8>> {
    std::fs::read(path)
        .map_err(|err| AppError::internal(format!("cannot read {what} {}: {err}", path.display())))
}

/// Where the embedded default keeps the HS256 secret it generates.
pub fn generated_secret_path(config: &Config) -> PathBuf {
    config.data_dir.join("jwt-secret")
}

/// The HS256 secret: `JWT_SECRET`, or the one generated into the data directory.
fn hs256_secret(config: &Config) -> AppResult<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let path = generated_secret_path(config);
    if path.exists() {
        return Ok(read_file(&path, "the JWT secret")?.trim_ascii().to_vec());
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|err| {
        AppError::internal(format!(
            "cannot create {}: {err}",
            config.data_dir.display()
        ))
    })?;
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    write_private(&path, secret.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a new HS256 secret for tokens");
    Ok(secret.into_bytes())
}

fn write_private(path: &Path, contents: &[u8]) -> AppResult<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|err| AppError::internal(format!("cannot create {}: {err}", path.display())))?;
    file.write_all(contents).map_err(AppError::internal)
}

impl TokenKeys {
    /// Builds the keys from configuration, refusing weak or unusable keys, and proves them with
    /// a sign-and-verify round trip when a signing key is available.
    pub fn from_config(config: &Config) -> AppResult<Self> {
        let (algorithm, encoding, decoding) = match config.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = hs256_secret(config)?;
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(AppError::internal(format!(
                        "JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"
                    )));
                }
                (
                    Algorithm::HS256,
                    Some(EncodingKey::from_secret(&secret)),
                    DecodingKey::from_secret(&secret),
                )
            }
            JwtAlgorithm::Rs256 | JwtAlgorithm::EdDsa => {
                let path = config.jwt_public_key_file.as_ref().ok_or_else(|| {
                    AppError::internal("JWT_PUBLIC_KEY_FILE is required for RS256 and EdDSA")
                })?;
                let public = read_file(path, "the JWT public key")?;
                let private = config
                    .jwt_private_key_file
                    .as_ref()
                    .map(|path| read_file(path, "the JWT private key"))
                    .transpose()?;
                let bad = |err: jsonwebtoken::errors::Error| {
                    AppError::internal(format!("bad JWT key: {err}"))
                };
                if config.jwt_algorithm == JwtAlgorithm::Rs256 {
                    (
                        Algorithm::RS256,
                        private
                            .map(|k| EncodingKey::from_rsa_pem(&k))
                            .transpose()
                            .map_err(bad)?,
                        DecodingKey::from_rsa_pem(&public).map_err(bad)?,
                    )
                } else {
                    (
                        Algorithm::EdDSA,
                        private
                            .map(|k| EncodingKey::from_ed_pem(&k))
                            .transpose()
                            .map_err(bad)?,
                        DecodingKey::from_ed_pem(&public).map_err(bad)?,
                    )
                }
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        let keys = Self {
            algorithm,
            encoding,
            decoding,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
        };
        keys.self_test()?;
        Ok(keys)
    }

    /// Signs and verifies a throwaway token, so a broken key fails at start, not at first use.
    fn self_test(&self) -> AppResult<()> {
        if self.encoding.is_none() {
            return Ok(());
        }
        let token = self.issue(
            Role::Admin,
            "self-test",
            None,
            std::time::Duration::from_secs(60),
        )?;
        self.verify(&token.0)
            .map(|_| ())
            .map_err(|err| AppError::internal(format!("JWT self-test failed: {err:?}")))
    }

    /// True when tokens can be issued here (a private key or secret is configured).
    pub fn can_sign(&self) -> bool {
        self.encoding.is_some()
    }

    /// Issues a token; returns it with its claims.
    pub fn issue(
        &self,
        role: Role,
        sub: &str,
        org: Option<String>,
        ttl: std::time::Duration,
    ) -> AppResult<(String, Claims)> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            org,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
            iat: now,
            nbf: Some(now),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: random_token_id()?,
            cost_budget: None,
        };
        Ok((self.sign(&claims)?, claims))
    }

    /// Signs arbitrary claims (the CLI and tests use it).
    pub fn sign(&self, claims: &Claims) -> AppResult<String> {
        let key = self.encoding.as_ref().ok_or_else(|| {
            AppError::internal("no signing key configured (JWT_PRIVATE_KEY_FILE)")
        })?;
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, key).map_err(AppError::internal)
    }

    /// Verifies a token and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                    TokenError::WrongIssuerOrAudience
                }
                _ => TokenError::Invalid,
            })
    }
}
