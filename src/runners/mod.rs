//! Runners: the imperative shell. They read the clock and the disk, call the pure core, and
//! print. Today that is the command line; the GitHub Action and `serve` feed the same core.

pub mod action;
pub mod bench;
pub mod cli;
pub mod demo;
pub mod deploy;
pub mod handler;
pub mod init;
pub mod pr;
pub mod source;
