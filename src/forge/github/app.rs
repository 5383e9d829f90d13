//! GitHub App authentication: the App signs a short RS256 JWT with its private key, and
//! exchanges it for an installation token per installation, which every forge call of that
//! installation's repositories uses. Tokens are cached until 5 minutes before they expire.
//! The time is handed in, so that expiry is tested without waiting.
//!
//! Endpoints: `GET /app` (who the App is; the server's readiness), `GET
//! /repos/{owner}/{repo}/installation` (the installation of a repository a payload does not
//! name), `POST /app/installations/{id}/access_tokens`, `GET /app/installations` and `GET
//! /installation/repositories` (what to schedule).

use super::super::{ForgeError, ForgeResult};
use chrono::{DateTime, Duration as Span, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How long before its expiry a cached installation token is replaced.
pub const REFRESH_BEFORE: Span = Span::minutes(5);

/// The App, as `GET /app` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppInfo {
    pub id: u64,
    pub slug: String,
    #[serde(default)]
    pub name: String,
}

impl AppInfo {
    /// The login of the App's bot user: what its comments, PRs and commits are authored by.
    pub fn bot_login(&self) -> String {
        format!("{}[bot]", self.slug)
    }
}

/// An installation and the repositories it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    pub id: u64,
    /// `owner/name` of each repository.
    pub repositories: Vec<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    token: String,
    expires_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct IdAnswer {
    id: u64,
}

#[derive(Deserialize)]
struct RepoList {
    repositories: Vec<RepoName>,
}

#[derive(Deserialize)]
struct RepoName {
    full_name: String,
}

/// Why a private key was refused, without ever showing the key.
pub fn check_key(pem: &SecretString) -> Result<EncodingKey, String> {
    EncodingKey::from_rsa_pem(pem.expose_secret().trim().as_bytes()).map_err(|e| {
        format!(
            "the private key is not an RSA key in PEM (PKCS#1 `BEGIN RSA PRIVATE KEY`, as GitHub \
             downloads it, or PKCS#8 `BEGIN PRIVATE KEY`): {e}"
        )
    })
}

/// The App's credentials and its cache of installation tokens.
pub struct AppAuth {
    api_url: String,
    app_id: u64,
    key: EncodingKey,
    http: reqwest::Client,
    tokens: Mutex<HashMap<u64, (SecretString, DateTime<Utc>)>>,
    installations: Mutex<HashMap<String, u64>>,
    calls: std::sync::atomic::AtomicU32,
}

impl std::fmt::Debug for AppAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppAuth")
            .field("api_url", &self.api_url)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl AppAuth {
    /// The App `app_id` at `api_url` (`https://api.github.com`, or GitHub Enterprise Server's
    /// `https://host/api/v3`), signing with `pem` (PKCS#1 or PKCS#8).
    pub fn new(api_url: &str, app_id: u64, pem: &SecretString) -> Result<AppAuth, String> {
        let key = check_key(pem)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent("adoptbot")
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(AppAuth {
            api_url: api_url.trim().trim_end_matches('/').to_string(),
            app_id,
            key,
            http,
            tokens: Mutex::new(HashMap::new()),
            installations: Mutex::new(HashMap::new()),
            calls: Default::default(),
        })
    }

    pub fn app_id(&self) -> u64 {
        self.app_id
    }

    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The calls made to the App endpoints so far.
    pub fn calls(&self) -> u32 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The App's JWT at `now`: issued a minute back (clock drift, as GitHub advises) and
    /// valid for 9 minutes, under GitHub's 10.
    pub fn jwt(&self, now: DateTime<Utc>) -> ForgeResult<String> {
        #[derive(serde::Serialize)]
        struct Claims {
            iat: i64,
            exp: i64,
            iss: String,
        }
        let claims = Claims {
            iat: (now - Span::seconds(60)).timestamp(),
            exp: (now + Span::minutes(9)).timestamp(),
            iss: self.app_id.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| ForgeError::Other(format!("cannot sign the App's JWT: {e}")))
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: &str,
    ) -> ForgeResult<reqwest::Response> {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let url = format!("{}{path}", self.api_url);
        let answer = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(bearer)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await
            .map_err(|e| ForgeError::Server(format!("{method} {path}: {e}")))?;
        let status = answer.status().as_u16();
        if answer.status().is_success() {
            return Ok(answer);
        }
        let body = answer.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or(body);
        Err(super::status_error(
            status,
            format!("{method} {path}: {status} {message}"),
        ))
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: &str,
    ) -> ForgeResult<T> {
        let answer = self.send(method.clone(), path, bearer).await?;
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| ForgeError::Server(format!("{method} {path}: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ForgeError::Other(format!("{method} {path}: unexpected answer: {e}")))
    }

    /// `GET /app`: whether GitHub accepts the App's key, and who the App is.
    pub async fn app(&self, now: DateTime<Utc>) -> ForgeResult<AppInfo> {
        let jwt = self.jwt(now)?;
        self.json(reqwest::Method::GET, "/app", &jwt).await
    }

    /// The installation of `owner/name`: remembered from payloads, or asked for once.
    pub async fn installation_of(&self, full_name: &str, now: DateTime<Utc>) -> ForgeResult<u64> {
        let key = full_name.to_ascii_lowercase();
        if let Some(id) = self.lock_installations().get(&key) {
            return Ok(*id);
        }
        let jwt = self.jwt(now)?;
        let found: IdAnswer = self
            .json(
                reqwest::Method::GET,
                &format!("/repos/{full_name}/installation"),
                &jwt,
            )
            .await?;
        self.lock_installations().insert(key, found.id);
        Ok(found.id)
    }

    /// Remembers the installation a payload names for its repository.
    pub fn remember_installation(&self, full_name: &str, id: u64) {
        self.lock_installations()
            .insert(full_name.to_ascii_lowercase(), id);
    }

    /// An installation token for `installation`, from the cache unless it expires within
    /// [`REFRESH_BEFORE`] of `now`.
    pub async fn token(&self, installation: u64, now: DateTime<Utc>) -> ForgeResult<SecretString> {
        if let Some((token, expires)) = self.lock_tokens().get(&installation)
            && *expires - REFRESH_BEFORE > now
        {
            return Ok(token.clone());
        }
        let jwt = self.jwt(now)?;
        let answer: TokenAnswer = self
            .json(
                reqwest::Method::POST,
                &format!("/app/installations/{installation}/access_tokens"),
                &jwt,
            )
            .await?;
        let token = SecretString::from(answer.token);
        self.lock_tokens()
            .insert(installation, (token.clone(), answer.expires_at));
        Ok(token)
    }

    /// Every installation of the App and the repositories each covers.
    pub async fn installations(&self, now: DateTime<Utc>) -> ForgeResult<Vec<Installation>> {
        let jwt = self.jwt(now)?;
        let ids: Vec<IdAnswer> = self
            .json(
                reqwest::Method::GET,
                "/app/installations?per_page=100",
                &jwt,
            )
            .await?;
        let mut out = Vec::new();
        for IdAnswer { id } in ids {
            let token = self.token(id, now).await?;
            let list: RepoList = self
                .json(
                    reqwest::Method::GET,
                    "/installation/repositories?per_page=100",
                    token.expose_secret(),
                )
                .await?;
            let repositories: Vec<String> =
                list.repositories.into_iter().map(|r| r.full_name).collect();
            for r in &repositories {
                self.remember_installation(r, id);
            }
            out.push(Installation { id, repositories });
        }
        Ok(out)
    }

    fn lock_tokens(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<u64, (SecretString, DateTime<Utc>)>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_installations(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.installations.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS1: &str = include_str!("../../../tests/fixtures/app/app-key.pkcs1.pem");
    const PKCS8: &str = include_str!("../../../tests/fixtures/app/app-key.pkcs8.pem");
    const PUBLIC: &str = include_str!("../../../tests/fixtures/app/app-key.pub.pem");

    #[test]
    fn both_key_formats_sign_a_jwt_github_accepts() {
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        for pem in [PKCS1, PKCS8] {
            let auth =
                AppAuth::new("https://api.github.com", 42, &SecretString::from(pem)).unwrap();
            let jwt = auth.jwt(now).unwrap();
            let mut v = jsonwebtoken::Validation::new(Algorithm::RS256);
            v.validate_exp = false;
            v.required_spec_claims.clear();
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
            let data = jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &v).expect("verifies");
            assert_eq!(data.claims["iss"], "42");
            assert_eq!(data.claims["iat"], now.timestamp() - 60);
            assert_eq!(data.claims["exp"], now.timestamp() + 540);
        }
    }

    #[test]
    fn a_key_that_is_not_one_is_refused_without_being_shown() {
        let err = check_key(&SecretString::from(
            "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----",
        ))
        .err()
        .expect("refused");
        assert!(err.contains("PKCS#1"), "{err}");
        assert!(!err.contains("c2VjcmV0"), "{err}");
    }
}
