//! Typed async client for Kong Konnect's control-plane API (`/v2/control-planes`, …).
//!
//! The same models serve the local control plane (`crates/control-plane`), so the console
//! and its embedded default speak one contract: Konnect's published OpenAPI documents.

pub mod client;
pub mod error;
pub mod models;
pub mod rate_limit;
pub mod reach;
pub mod region;
pub mod roles;
pub mod vocabulary;

pub use client::{
    Api, ApiHosts, ControlPlaneQuery, KonnectClient, RawEntity, RetryPolicy, RoleOwner, Timeouts,
};
pub use error::{ApiError, InvalidParameter, KonnectError, ProblemDetails};
pub use models::*;
pub use rate_limit::{AdaptiveLimiter, LimiterState};
pub use reach::{Cause, Outage, Reachability};
pub use region::{Region, GLOBAL_BASE_URL};
pub use vocabulary::{EntityKind, KindInfo, TimeFrame};
