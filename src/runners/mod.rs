//! Runners: the imperative shell. The loop (`reconcile`) and its handlers per capability
//! (`handlers/`) read through the forge, ask the pure core for the desired state and apply
//! the difference; the runners feed it triggers: the command line (`cli`), the GitHub Action
//! (`action`), the demo (`demo`). `clock` is the one place the real clock is read.

pub mod action;
pub mod audit;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod cloud;
pub mod demo;
pub mod deploy;
pub mod dry_run;
pub mod error;
pub mod handlers;
pub mod init;
pub mod outcome;
pub mod pr;
pub mod reconcile;
pub mod serve;
pub mod source;
