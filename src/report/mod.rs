//! Report: findings, diagnostics and plans for people (aligned text) and for scripts
//! (JSON in a stable, documented shape: docs/plan-json.md).

pub mod audit;
pub mod dashboard;
pub mod gate;
pub mod json;
pub mod markdown;
pub mod request;
pub mod schema;
pub mod table;
pub mod text;
