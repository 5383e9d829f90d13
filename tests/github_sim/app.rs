//! The GitHub App endpoints, for the server's tests: `GET /app`, `GET /app/installations`,
//! `POST /app/installations/{id}/access_tokens`, `GET /repos/{o}/{r}/installation` (all
//! authenticated by the App's RS256 JWT, checked against its public key, its issuer and its
//! times) and `GET /installation/repositories` (by an installation token). Installation
//! tokens it mints are accepted on the repository's endpoints until they expire, by the
//! simulator's clock, which a test may move. Shapes follow GitHub's REST reference
//! ("Apps" and "Installations": `integration`, `installation`, `installation-token`).

use super::api::{self, Answer};
use serde_json::{Value, json};

/// A GitHub App installed on the simulated repository.
#[derive(Debug, Clone)]
pub struct AppSim {
    pub app_id: u64,
    /// The bot user is `<slug>[bot]`: set the simulator's `actor` to it.
    pub slug: String,
    pub installation_id: u64,
    /// How long a minted installation token lives (GitHub: one hour).
    pub token_ttl: i64,
    /// The App's public key (PEM), to check JWTs with.
    pub public_key: String,
    /// The simulator's clock, seconds since the epoch; `None` is the wall clock.
    pub now: Option<i64>,
    /// Minted tokens and when each expires.
    pub minted: Vec<(String, i64)>,
    /// Whether `GET /installation/repositories` lists the repository (an installation made
    /// after the server started does not show there yet).
    pub listed: bool,
}

impl AppSim {
    /// The test App: id 424242 (the simulator's `Options::app`), slug `adoptbot`, installation 77, with the key of
    /// `tests/fixtures/app/`.
    pub fn test_app() -> AppSim {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        AppSim {
            app_id: 424_242,
            slug: "adoptbot".into(),
            installation_id: 77,
            token_ttl: 3600,
            public_key: std::fs::read_to_string(root.join("tests/fixtures/app/app-key.pub.pem"))
                .expect("the test App's public key"),
            now: None,
            minted: Vec::new(),
            listed: true,
        }
    }

    // The simulator is GitHub: its clock is the wall clock unless a test moved it.
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> i64 {
        self.now.unwrap_or_else(|| chrono::Utc::now().timestamp())
    }

    /// Whether `auth` carries an installation token that is still valid.
    pub fn accepts(&self, auth: Option<&str>) -> bool {
        let now = self.now();
        auth.and_then(|a| {
            a.strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("token "))
        })
        .is_some_and(|t| self.minted.iter().any(|(m, exp)| m == t && *exp > now))
    }

    fn jwt_ok(&self, auth: Option<&str>) -> Result<(), Answer> {
        let Some(token) = auth.and_then(|a| a.strip_prefix("Bearer ")) else {
            return Err(api::error(401, "A JSON web token could not be decoded"));
        };
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(self.public_key.as_bytes())
            .expect("the App's public key");
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        // The times are checked against the simulator's clock below.
        v.validate_exp = false;
        v.required_spec_claims.clear();
        let Ok(data) = jsonwebtoken::decode::<Value>(token, &key, &v) else {
            return Err(api::error(401, "A JSON web token could not be decoded"));
        };
        let c = data.claims;
        let now = self.now();
        let (Some(iat), Some(exp)) = (c["iat"].as_i64(), c["exp"].as_i64()) else {
            return Err(api::error(
                401,
                "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.",
            ));
        };
        if c["iss"].as_str() != Some(self.app_id.to_string().as_str()) {
            return Err(api::error(401, "'Issuer' claim ('iss') must be an Integer"));
        }
        if iat > now + 60 {
            return Err(api::error(
                401,
                "'Issued at' claim ('iat') must be an Integer representing a time in the past.",
            ));
        }
        if exp <= now || exp - iat > 600 {
            return Err(api::error(
                401,
                "'Expiration time' claim ('exp') is too far in the future",
            ));
        }
        Ok(())
    }

    fn account(owner: &str) -> Value {
        json!({ "login": owner, "id": 9_919, "type": "Organization", "site_admin": false })
    }

    /// Serves the App endpoints; `None` for any other path.
    pub fn serve(
        &mut self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        owner: &str,
        full_name: &str,
    ) -> Option<Answer> {
        let installation_path = format!("/repos/{full_name}/installation");
        let tokens_path = format!("/app/installations/{}/access_tokens", self.installation_id);
        let installation = json!({
                "id": self.installation_id,
                "app_id": self.app_id,
                "app_slug": self.slug,
                "account": AppSim::account(owner),
                "target_type": "Organization",
                "repository_selection": "selected",
                "permissions": { "checks": "write", "contents": "write", "issues": "write", "pull_requests": "write", "members": "read", "metadata": "read" },
                "events": ["pull_request", "pull_request_review", "issue_comment", "push"],
        });
        let jwt = |this: &AppSim| this.jwt_ok(auth);
        Some(match (method, path) {
            ("GET", "/app") => match jwt(self) {
                Err(a) => a,
                Ok(()) => api::answer(
                    200,
                    json!({
                        "id": self.app_id,
                        "slug": self.slug,
                        "name": "adoptbot",
                        "owner": AppSim::account(owner),
                        "permissions": { "checks": "write", "contents": "write" },
                        "events": ["pull_request"],
                    }),
                ),
            },
            ("GET", "/app/installations") => match jwt(self) {
                Err(a) => a,
                Ok(()) => api::answer(200, json!([installation])),
            },
            ("GET", p) if p.eq_ignore_ascii_case(&installation_path) => match jwt(self) {
                Err(a) => a,
                Ok(()) => api::answer(200, installation),
            },
            ("POST", p) if p.starts_with("/app/installations/") => match jwt(self) {
                Err(a) => a,
                Ok(()) if p != tokens_path => api::error(404, "Not Found"),
                Ok(()) => {
                    let n = self.minted.len() + 1;
                    let token = format!("ghs_SimInstallationToken{n:016}");
                    let exp = self.now() + self.token_ttl;
                    self.minted.push((token.clone(), exp));
                    let expires_at = chrono::DateTime::from_timestamp(exp, 0)
                        .expect("a time")
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    api::answer(
                        201,
                        json!({ "token": token, "expires_at": expires_at, "permissions": { "checks": "write" }, "repository_selection": "selected" }),
                    )
                }
            },
            ("GET", "/installation/repositories") => {
                if self.accepts(auth) && !self.listed {
                    api::answer(
                        200,
                        json!({ "total_count": 0, "repository_selection": "selected", "repositories": [] }),
                    )
                } else if self.accepts(auth) {
                    api::answer(
                        200,
                        json!({ "total_count": 1, "repository_selection": "selected", "repositories": [ { "id": 1, "name": full_name.split('/').nth(1), "full_name": full_name, "private": true, "owner": AppSim::account(owner) } ] }),
                    )
                } else {
                    api::error(401, "Bad credentials")
                }
            }
            _ if path.starts_with("/app") || path == "/installation/repositories" => {
                api::error(404, "Not Found")
            }
            _ => return None,
        })
    }
}
