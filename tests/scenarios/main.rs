//! The scenario suites, one module per capability, each scenario run on the local forge and
//! on the GitHub simulator (`support::world`), and the contract every forge adapter keeps.
//! One test binary, so that the simulator is built once.

mod support;

mod command;
mod contract;
mod default_branch;
mod gate;
mod plan_agrees;
mod refusals;
mod renew;
mod request;
mod serve;
mod trust_audit;
mod trust_branches;
mod trust_checks;
mod trust_commits;
mod trust_contributors;
mod trust_infra;
mod trust_replay;
mod trust_rules;
mod warm;
