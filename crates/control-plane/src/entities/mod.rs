//! The configuration API (`/v2/control-planes/{id}/core-entities/...`): Kong Admin API semantics
//! for every entity kind, driven by one schema per kind.

pub mod api;
pub mod kong_schema;
mod lua_pattern;
mod pem;
pub mod schema;
pub mod store;
pub mod validate;
pub mod wire;
