//! The GitHub adapter of the [`super::Forge`] trait, on octocrab.
