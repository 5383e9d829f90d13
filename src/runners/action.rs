//! `adoptbot action`: the GitHub Action runner. It reads the event GitHub Actions hands the
//! job (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`), talks to the API with `GITHUB_TOKEN` at
//! `GITHUB_API_URL` for `GITHUB_REPOSITORY`, and feeds the loop (`runners::reconcile`). Scheduled and manual
//! runs (`schedule`, `workflow_dispatch`) reconcile the default branch and run the scheduled
//! report (`handlers::dashboard::run`): the cloud is Azure when `adoption.yaml` has `azure:`,
//! unless `ADOPTBOT_CLOUD` says `none` or `snapshot:DIR`.

use super::outcome::Applied;
use super::reconcile;
use crate::forge::github::GitHub;
use crate::forge::github::events;
use crate::model::Clock;
use crate::model::event::Event;

/// The largest event payload read; GitHub caps deliveries at 25 MB.
const MAX_EVENT_BYTES: u64 = 25 * 1024 * 1024;

/// The login the Action's token acts as, unless `ADOPTBOT_BOT_LOGIN` says otherwise.
const ACTIONS_BOT: &str = "github-actions[bot]";

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| {
        format!("{name} is not set: run `adoptbot action` inside a GitHub Actions job, or set it")
    })
}

pub fn run(clock: Clock) -> Result<Applied, String> {
    let name = var("GITHUB_EVENT_NAME")?;
    let bot = std::env::var("ADOPTBOT_BOT_LOGIN").unwrap_or_else(|_| ACTIONS_BOT.to_string());
    let event = match name.as_str() {
        "schedule" | "workflow_dispatch" => Event::Schedule,
        _ => {
            let path = var("GITHUB_EVENT_PATH")?;
            let meta = std::fs::metadata(&path)
                .map_err(|e| format!("cannot read the event payload {path}: {e}"))?;
            if meta.len() > MAX_EVENT_BYTES {
                return Err(format!(
                    "the event payload {path} is {} bytes, more than the {MAX_EVENT_BYTES} GitHub sends",
                    meta.len()
                ));
            }
            let payload = std::fs::read(&path)
                .map_err(|e| format!("cannot read the event payload {path}: {e}"))?;
            events::parse(&name, &payload)?
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        // No commit author of its own: GitHub then writes the App's bot user as author and
        // committer and signs the commit, which is how the bot's commits are known.
        let forge = GitHub::from_env(&bot).map_err(|e| e.to_string())?;
        if event == Event::Schedule {
            let cloud = std::env::var("ADOPTBOT_CLOUD").ok();
            return scheduled_report(&forge, clock, cloud.as_deref())
                .await
                .map(|(applied, _)| applied);
        }
        reconcile::run(&forge, &event, clock)
            .await
            .map_err(|e| e.to_string())
    })
}

/// The scheduled report, with the cloud `ADOPTBOT_CLOUD` names (`azure`, `snapshot:DIR`,
/// `none`), or Azure when `adoption.yaml` has `azure:`.
/// The scheduled report on GitHub, with the cloud as the job or the server was given it:
/// `ADOPTBOT_CLOUD` (`azure`, `snapshot:DIR`, `none`), else Azure when `adoption.yaml` has
/// `azure:` and a credential is configured. The Action's `schedule` and the App server's
/// cron both run it.
pub async fn scheduled_report(
    forge: &GitHub,
    clock: Clock,
    cloud: Option<&str>,
) -> Result<(Applied, super::handlers::dashboard::Report), String> {
    scheduled_report_with(forge, clock, cloud, None).await
}

/// [`scheduled_report`] with the memory the App server keeps for the repository, if any.
pub async fn scheduled_report_with(
    forge: &GitHub,
    clock: Clock,
    cloud: Option<&str>,
    memory: Option<&mut super::handlers::Memory>,
) -> Result<(Applied, super::handlers::dashboard::Report), String> {
    use super::cloud::{AnyCloud, CloudSource};
    let choice: Option<Option<CloudSource>> = match cloud {
        Some("none") => Some(None),
        Some(v) => {
            Some(Some(v.parse().map_err(|e: String| {
                format!("ADOPTBOT_CLOUD: {e}, or `none`")
            })?))
        }
        None => None,
    };
    let choose = move |scopes: Option<&crate::model::AzureScopes>| {
        let source = match choice {
            Some(c) => c,
            None if scopes.is_some() && !azure_credential_configured() => {
                tracing::warn!(
                    "adoption.yaml names Azure, but the job has no Azure credential: the report runs without the cloud; give the job `id-token: write` and AZURE_CLIENT_ID, or set ADOPTBOT_AZURE_CREDENTIAL (docs/cloud.md)"
                );
                None
            }
            None => scopes.map(|_| CloudSource::Azure),
        };
        source
            .map(|s| AnyCloud::open(&s, scopes.map(|a| a.tenant_id.as_str())))
            .transpose()
    };
    let quiet = |_: crate::cloud::Api, _: &str| {};
    match memory {
        Some(m) => super::handlers::dashboard::run_with_memory(forge, choose, clock, &quiet, m)
            .await
            .map_err(|e| e.to_string()),
        None => super::handlers::dashboard::run(forge, choose, clock, &quiet)
            .await
            .map_err(|e| e.to_string()),
    }
}

/// Whether the job was given a way to Azure: a credential named, or the variables one of
/// them reads (a managed identity's endpoint, the Actions OIDC token, a federated token file,
/// a client secret). Without any, the fallback would be the Azure CLI, which a runner has no
/// login for.
fn azure_credential_configured() -> bool {
    [
        "ADOPTBOT_AZURE_CREDENTIAL",
        "IDENTITY_ENDPOINT",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_CLIENT_SECRET",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}
