//! Runtime Manager's core: everything the console knows, independent of any window or host.
//!
//! The desktop shell (`src-tauri`) only delegates to [`Console`]; tests drive the same API
//! against the real local control plane.

pub mod access;
pub mod analytics;
pub mod cache;
pub mod certificates;
pub mod connection;
pub mod console;
pub mod declarative;
pub mod embedded;
pub mod entities;
pub mod error;
pub mod groups;
pub mod heap;
pub mod instances;
pub mod local_data;
pub mod members;
pub mod pacing;
pub mod profile;
pub mod profiles;
pub mod schemas;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod sync;
pub mod timestamp;
pub mod transfer;
pub mod vocabulary;
pub mod watch;
pub mod yaml;

pub use console::Console;
pub use error::{ConsoleError, ErrorCode};
pub use groups::{NewRuntimeGroup, Overview, RuntimeGroupRow};
pub use profile::Profile;
pub use vocabulary::{EntityKind, ExportFormat, TimeFrame};
