//! The model: plain data types for every document of an adoption repository, the framework
//! as data, and diagnostics. No I/O here.

pub mod adoption;
pub mod audit;
pub mod clock;
pub mod cloud;
pub mod codes;
pub mod diagnostic;
pub mod event;
pub mod experiment;
pub mod finding;
pub mod forge;
pub mod framework;
pub mod inventory;
pub mod located;
pub mod phase;
pub mod radar;
pub mod repository;
pub mod runbook;
pub mod scorecard;
pub mod slo;
pub mod team;
pub mod units;
pub mod use_case;

pub use adoption::*;
pub use clock::Clock;
pub use diagnostic::*;
pub use experiment::*;
pub use framework::*;
pub use inventory::*;
pub use located::Located;
pub use phase::Phase;
pub use radar::*;
pub use repository::*;
pub use runbook::*;
pub use scorecard::*;
pub use slo::*;
pub use team::*;
pub use units::*;
pub use use_case::*;
