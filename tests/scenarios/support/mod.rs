//! What every scenario shares: the test helpers of the whole test suite (`common`), the
//! GitHub simulator (built once, here), the webhook payloads the simulator's world sends,
//! the request texts, and the two worlds a scenario runs in.
#![allow(dead_code)]

#[path = "../../common/mod.rs"]
pub mod common;
#[path = "../../github_sim/mod.rs"]
pub mod sim;

pub mod gates;
pub mod github;
pub mod local;
pub mod webhooks;
pub mod world;

pub use common::*;

/// The day every scenario happens on unless it says otherwise.
pub const TODAY: &str = "2026-11-27";

/// A valid request of team `fraud-analytics`, owned by Ivan, on the `azure-openai` blueprint.
pub const REQUEST: &str = "title: Fraud rules distillation\nteam: fraud-analytics\nowner: ivan-novak\nhypothesis: A distilled model catches 95% of what the rules catch.\nsuccess_criteria:\n  - { metric: recall_vs_rules, comparator: \">=\", target: 0.95 }\nnext_step: Shadow-run it next to the rules engine.\ntime_box: 2w\ncost_cap: 1500 USD\ncost_tag: exp-fraud-distill\nblueprint: azure-openai\nparameters:\n  location: swedencentral\n  chat_model: gpt-4o-mini\n  expected_monthly_token_spend_usd: 300\n  address_space: 10.63.8.0/24\n  endpoint_subnet: 10.63.8.0/27\n";

/// The branch and file of the request of `fraud-distill`.
pub const REQUEST_BRANCH: &str = "request/fraud-distill";
pub const REQUEST_FILE: &str = "experiments/fraud-distill.yaml";
pub const REQUEST_TITLE: &str = "Experiment: fraud rules distillation";

/// The difference between two call counts.
pub fn since(
    before: adoptbot::forge::CallCount,
    after: adoptbot::forge::CallCount,
) -> adoptbot::forge::CallCount {
    adoptbot::forge::CallCount {
        reads: after.reads - before.reads,
        writes: after.writes - before.writes,
    }
}

/// `(path, text)` pairs as the changes of a commit.
pub fn changes(files: &[(String, String)]) -> Vec<(&str, Option<&str>)> {
    files
        .iter()
        .map(|(p, c)| (p.as_str(), Some(c.as_str())))
        .collect()
}
