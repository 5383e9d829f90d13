//! Which azure_identity 1.0 credential the bot uses, and its token cache.
//!
//! `ADOPTBOT_AZURE_CREDENTIAL` picks one of `managed-identity`, `workload-identity`,
//! `github-oidc`, `azure-cli`, `client-secret`. Unset, the environment decides, in this order:
//! 1. `IDENTITY_ENDPOINT` set: `managed-identity` (App Service, Container Apps, Functions);
//! 2. `ACTIONS_ID_TOKEN_REQUEST_URL` set: `github-oidc` (a GitHub Action with `id-token: write`);
//! 3. `AZURE_FEDERATED_TOKEN_FILE` set: `workload-identity` (AKS);
//! 4. `AZURE_CLIENT_SECRET` set: `client-secret`;
//! 5. otherwise `azure-cli` (a person's `az login`).
//!
//! On a VM with IMDS (no variable to see), set `managed-identity` explicitly. Tokens and
//! secrets stay in `secrecy` types and are never logged.

use crate::cloud::{Api, CloudError, CloudErrorKind, CloudResult, Identity};
use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, ClientAssertion, ClientAssertionCredential, ClientSecretCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential,
};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The audience of the GitHub Actions OIDC token exchanged for an Entra token.
pub const GITHUB_OIDC_AUDIENCE: &str = "api://AzureADTokenExchange";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    ManagedIdentity,
    WorkloadIdentity,
    GithubOidc,
    AzureCli,
    ClientSecret,
}

impl CredentialKind {
    pub const ALL: [(&'static str, CredentialKind); 5] = [
        ("managed-identity", CredentialKind::ManagedIdentity),
        ("workload-identity", CredentialKind::WorkloadIdentity),
        ("github-oidc", CredentialKind::GithubOidc),
        ("azure-cli", CredentialKind::AzureCli),
        ("client-secret", CredentialKind::ClientSecret),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("unknown")
    }

    /// The credential `ADOPTBOT_AZURE_CREDENTIAL` names, or the environment's (see the
    /// module's order). `env` reads a variable.
    pub fn choose(env: &dyn Fn(&str) -> Option<String>) -> CloudResult<CredentialKind> {
        let set = |k: &str| env(k).is_some_and(|v| !v.trim().is_empty());
        if let Some(v) = env("ADOPTBOT_AZURE_CREDENTIAL").filter(|v| !v.trim().is_empty()) {
            return Self::ALL
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(v.trim()))
                .map(|(_, k)| *k)
                .ok_or_else(|| {
                    config_error(format!(
                        "ADOPTBOT_AZURE_CREDENTIAL={v:?} is not one of {}",
                        Self::ALL.map(|(n, _)| n).join(", ")
                    ))
                });
        }
        Ok(if set("IDENTITY_ENDPOINT") {
            CredentialKind::ManagedIdentity
        } else if set("ACTIONS_ID_TOKEN_REQUEST_URL") {
            CredentialKind::GithubOidc
        } else if set("AZURE_FEDERATED_TOKEN_FILE") {
            CredentialKind::WorkloadIdentity
        } else if set("AZURE_CLIENT_SECRET") {
            CredentialKind::ClientSecret
        } else {
            CredentialKind::AzureCli
        })
    }
}

fn config_error(m: String) -> CloudError {
    CloudError::new(Api::Token, "configuration", CloudErrorKind::Refused, m)
}

fn identity_error(kind: CredentialKind, e: impl fmt::Display) -> CloudError {
    CloudError::new(
        Api::Token,
        format!("credential {}", kind.name()),
        CloudErrorKind::Unauthorised,
        format!("no token: {e}"),
    )
}

/// The Actions OIDC token as a client assertion (GitHub OIDC federation, no secret).
struct GithubOidc {
    client: reqwest::Client,
    url: String,
    token: SecretString,
}

impl fmt::Debug for GithubOidc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubOidc").finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl ClientAssertion for GithubOidc {
    async fn secret(
        &self,
        _options: Option<azure_core::http::ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        let fail = |m: String| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, m)
        };
        let mut url = reqwest::Url::parse(&self.url)
            .map_err(|e| fail(format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("audience", GITHUB_OIDC_AUDIENCE);
        let resp = self
            .client
            .get(url)
            .bearer_auth(self.token.expose_secret())
            .send()
            .await
            .map_err(|e| fail(format!("the Actions OIDC token request failed: {e}")))?;
        if !resp.status().is_success() {
            return Err(fail(format!(
                "the Actions OIDC token request answered HTTP {}; give the workflow `permissions: id-token: write`",
                resp.status()
            )));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| fail(format!("the Actions OIDC token answer: {e}")))?;
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| fail(format!("the Actions OIDC token answer is not JSON: {e}")))?;
        v.get("value")
            .and_then(|t| t.as_str())
            .map(str::to_owned)
            .ok_or_else(|| fail("the Actions OIDC token answer has no `value`".into()))
    }
}

/// Builds the credential `kind` from the environment. `tenant` is `adoption.yaml`'s
/// `azure.tenant_id` when known.
pub fn build(
    kind: CredentialKind,
    tenant: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> CloudResult<Arc<dyn TokenCredential>> {
    let need = |k: &str| {
        env(k)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| config_error(format!("credential {}: set {k}", kind.name())))
    };
    let tenant = || -> CloudResult<String> {
        match tenant {
            Some(t) => Ok(t.to_owned()),
            None => need("AZURE_TENANT_ID"),
        }
    };
    let fail = |e: azure_core::Error| identity_error(kind, e);
    Ok(match kind {
        CredentialKind::ManagedIdentity => {
            let user_assigned_id = env("AZURE_CLIENT_ID")
                .filter(|v| !v.trim().is_empty())
                .map(UserAssignedId::ClientId);
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id,
                ..Default::default()
            }))
            .map_err(fail)?
        }
        CredentialKind::WorkloadIdentity => {
            need("AZURE_FEDERATED_TOKEN_FILE")?;
            WorkloadIdentityCredential::new(None).map_err(fail)?
        }
        CredentialKind::GithubOidc => {
            let assertion = GithubOidc {
                client: reqwest::Client::new(),
                url: need("ACTIONS_ID_TOKEN_REQUEST_URL")?,
                token: SecretString::from(need("ACTIONS_ID_TOKEN_REQUEST_TOKEN")?),
            };
            ClientAssertionCredential::new(tenant()?, need("AZURE_CLIENT_ID")?, assertion, None)
                .map_err(fail)?
        }
        CredentialKind::AzureCli => AzureCliCredential::new(None).map_err(fail)?,
        CredentialKind::ClientSecret => ClientSecretCredential::new(
            &tenant()?,
            need("AZURE_CLIENT_ID")?,
            Secret::from(need("AZURE_CLIENT_SECRET")?),
            None,
        )
        .map_err(fail)?,
    })
}

/// A token the adapter holds: the secret and when to stop using it.
struct Held {
    token: SecretString,
    until: Instant,
}

/// The token cache: one token, reused until shortly before it expires, dropped when ARM
/// refuses it.
pub struct Tokens {
    credential: Arc<dyn TokenCredential>,
    kind_name: String,
    scope: String,
    held: Mutex<Option<Held>>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("credential", &self.kind_name)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A token is used until this long before it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(120);

impl Tokens {
    pub fn new(credential: Arc<dyn TokenCredential>, kind_name: &str, scope: String) -> Self {
        Tokens {
            credential,
            kind_name: kind_name.to_owned(),
            scope,
            held: Mutex::new(None),
        }
    }

    /// The token to use; a fresh one when `refresh` (ARM refused the last) or it is near
    /// its expiry.
    pub async fn get(&self, refresh: bool) -> CloudResult<SecretString> {
        let mut held = self.held.lock().await;
        if !refresh
            && let Some(h) = held.as_ref()
            && Instant::now() < h.until
        {
            return Ok(h.token.clone());
        }
        let t = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|e| {
                CloudError::new(
                    Api::Token,
                    format!("credential {}", self.kind_name),
                    CloudErrorKind::Unauthorised,
                    format!("no token for {}: {e}", self.scope),
                )
            })?;
        let left = lifetime(t.expires_on);
        let token = SecretString::from(t.token.secret().to_owned());
        *held = Some(Held {
            token: token.clone(),
            until: Instant::now() + left.saturating_sub(REFRESH_MARGIN),
        });
        Ok(token)
    }
}

/// How long a token has left. The one place the adapter reads the wall clock: a token's
/// expiry is wall-clock time, and the run's `Clock` may be a fixed day.
#[allow(clippy::disallowed_methods)]
fn lifetime(expires_on: azure_core::time::OffsetDateTime) -> Duration {
    let left = expires_on - azure_core::time::OffsetDateTime::now_utc();
    Duration::try_from(left).unwrap_or(Duration::ZERO)
}

/// The bot's identity from its access token's claims (`oid`, `tid`). The token is not
/// verified here: ARM verifies it; the bot only reads who it is.
pub fn identity_of(token: &SecretString) -> CloudResult<Identity> {
    let bad = |m: &str| {
        CloudError::new(
            Api::Token,
            "access token",
            CloudErrorKind::Malformed,
            format!("{m}; expected a JWT with an `oid` claim"),
        )
    };
    let payload = token
        .expose_secret()
        .split('.')
        .nth(1)
        .ok_or_else(|| bad("not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("the claims are not base64url"))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| bad("the claims are not JSON"))?;
    let oid = claims
        .get("oid")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad("no `oid` claim"))?;
    Ok(Identity {
        oid: oid.to_owned(),
        tenant_id: claims
            .get("tid")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn the_credential_is_named_or_chosen_in_the_documented_order() {
        let pick = |vars: &[(&str, &str)]| CredentialKind::choose(&env(vars));
        assert_eq!(pick(&[]).unwrap(), CredentialKind::AzureCli);
        assert_eq!(
            pick(&[
                ("AZURE_CLIENT_SECRET", "x"),
                ("IDENTITY_ENDPOINT", "http://x")
            ])
            .unwrap(),
            CredentialKind::ManagedIdentity
        );
        assert_eq!(
            pick(&[
                ("AZURE_FEDERATED_TOKEN_FILE", "/f"),
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "u")
            ])
            .unwrap(),
            CredentialKind::GithubOidc
        );
        assert_eq!(
            pick(&[
                ("AZURE_FEDERATED_TOKEN_FILE", "/f"),
                ("AZURE_CLIENT_SECRET", "s")
            ])
            .unwrap(),
            CredentialKind::WorkloadIdentity
        );
        assert_eq!(
            pick(&[("AZURE_CLIENT_SECRET", "s")]).unwrap(),
            CredentialKind::ClientSecret
        );
        assert_eq!(
            pick(&[
                ("ADOPTBOT_AZURE_CREDENTIAL", "client-secret"),
                ("IDENTITY_ENDPOINT", "x")
            ])
            .unwrap(),
            CredentialKind::ClientSecret
        );
        let e = pick(&[("ADOPTBOT_AZURE_CREDENTIAL", "password")]).unwrap_err();
        assert!(e.to_string().contains("managed-identity"), "{e}");
    }

    #[test]
    fn missing_settings_are_named() {
        let e = build(CredentialKind::ClientSecret, Some("t"), &env(&[])).unwrap_err();
        assert!(e.to_string().contains("AZURE_CLIENT_ID"), "{e}");
        let e = build(
            CredentialKind::GithubOidc,
            None,
            &env(&[("AZURE_CLIENT_ID", "c")]),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("ACTIONS_ID_TOKEN_REQUEST_URL"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn the_github_oidc_assertion_asks_for_the_token_exchange_audience() {
        use axum::extract::Request;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new().fallback(|req: Request| async move {
            let query = req.uri().query().unwrap_or("").to_owned();
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let audience_ok = query.contains("audience=api%3A%2F%2FAzureADTokenExchange");
            if audience_ok && auth == "Bearer actions-request-token" && query.contains("x=1") {
                r#"{"value":"oidc-jwt"}"#.to_owned()
            } else {
                format!(r#"{{"wrong":"{query} {auth}"}}"#)
            }
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let oidc = GithubOidc {
            client: reqwest::Client::new(),
            url: format!("http://{addr}/token?x=1"),
            token: SecretString::from("actions-request-token".to_string()),
        };
        assert_eq!(oidc.secret(None).await.expect("assertion"), "oidc-jwt");
        assert!(!format!("{oidc:?}").contains("actions-request-token"));
        let wrong = GithubOidc {
            token: SecretString::from("other".to_string()),
            ..oidc
        };
        let e = wrong.secret(None).await.expect_err("no value");
        assert!(e.to_string().contains("no `value`"), "{e}");
        server.abort();
    }

    #[test]
    fn the_identity_is_the_tokens_oid() {
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"oid":"11111111-2222-3333-4444-555555555555","tid":"t"}"#);
        let tok = SecretString::from(format!("eyJhbGciOiJub25lIn0.{claims}.sig"));
        let id = identity_of(&tok).unwrap();
        assert_eq!(id.oid, "11111111-2222-3333-4444-555555555555");
        assert_eq!(id.tenant_id.as_deref(), Some("t"));
        assert!(identity_of(&SecretString::from("opaque".to_string())).is_err());
    }
}
