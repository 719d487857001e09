//! The local Konnect-compatible control plane: the console's embedded default and a binary.
//!
//! It serves Konnect's paths, bodies and errors from a SQLite file in its data directory, so
//! the console talks to it with the very client it uses for Konnect.

pub mod analytics;
pub mod auth;
pub mod authz;
pub mod cluster;
pub mod compat;
pub mod control_planes;
pub mod dp_certs;
pub mod entities;
pub mod export;
pub mod identity;
pub mod limits;
pub mod problem;
pub mod server;
pub mod store;
mod validate;

pub use server::{Config, RunningControlPlane, StartError};

/// This control plane's version (the workspace's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
