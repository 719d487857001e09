//! The console's domain words: the entity kinds and time frames (defined once, in
//! `konnect::vocabulary`, as the API names them) and the export formats, taken by the console's
//! API as typed values or their names, and exported to TypeScript: types by ts-rs, tables as
//! `vocabulary.ts`, so the UI never keeps its own list of either.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use konnect::vocabulary::{EntityKind, KindInfo, TimeFrame};

use crate::ConsoleError;

/// How a decK export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportFormat {
    Yaml,
    Json,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 2] = [ExportFormat::Yaml, ExportFormat::Json];
}

/// A word of the vocabulary as the console's API takes it: the typed value, or its name (from a
/// file, a test, a script), checked here so a wrong one is a field error naming what is allowed.
pub trait Term<T>: Copy {
    fn term(self) -> Result<T, ConsoleError>;
}

macro_rules! terms {
    ($($t:ty, $field:literal, $parse:path, $all:expr, $name:path);* $(;)?) => {$(
        impl Term<$t> for $t {
            fn term(self) -> Result<$t, ConsoleError> {
                Ok(self)
            }
        }
        impl Term<$t> for &str {
            fn term(self) -> Result<$t, ConsoleError> {
                $parse(self).ok_or_else(|| {
                    let all: Vec<&str> = $all.iter().map(|t| $name(*t)).collect();
                    ConsoleError::field($field, format!("must be one of: {}", all.join(", ")))
                })
            }
        }
    )*};
}

fn format_name(f: ExportFormat) -> &'static str {
    match f {
        ExportFormat::Yaml => "yaml",
        ExportFormat::Json => "json",
    }
}

fn format_from_name(name: &str) -> Option<ExportFormat> {
    ExportFormat::ALL.into_iter().find(|f| format_name(*f) == name)
}

terms! {
    EntityKind, "kind", EntityKind::from_path, EntityKind::ALL, EntityKind::path;
    TimeFrame, "time_frame", TimeFrame::from_name, TimeFrame::ALL, TimeFrame::as_str;
    ExportFormat, "format", format_from_name, ExportFormat::ALL, format_name;
}

/// The vocabulary's tables as TypeScript constants, beside the types ts-rs writes.
pub fn typescript_tables() -> String {
    let kinds: Vec<KindInfo> = EntityKind::ALL.iter().map(|k| k.info()).collect();
    format!(
        "// Generated from crates/console/src/vocabulary.rs by `cargo test -p console`. \
         Do not edit.\n\
         import type {{ EntityKind }} from './EntityKind'\n\
         import type {{ ExportFormat }} from './ExportFormat'\n\
         import type {{ KindInfo }} from './KindInfo'\n\
         import type {{ TimeFrame }} from './TimeFrame'\n\n\
         /** Every entity kind, in decK's order (referenced kinds first). */\n\
         export const ENTITY_KINDS: KindInfo[] = {}\n\n\
         export const TIME_FRAMES: TimeFrame[] = {}\n\n\
         export const ALL_KIND_NAMES: EntityKind[] = {}\n\n\
         export const EXPORT_FORMATS: ExportFormat[] = {}\n",
        json(&kinds),
        json(&TimeFrame::ALL),
        json(&EntityKind::ALL),
        json(&ExportFormat::ALL),
    )
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("the vocabulary serializes")
}

/// Where ts-rs writes the bindings (`.cargo/config.toml` sets it for every cargo run).
pub fn bindings_dir() -> std::path::PathBuf {
    std::env::var_os("TS_RS_EXPORT_DIR").map(Into::into).unwrap_or_else(|| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings")
    })
}

/// Writes a generated file unless it already says `want`; `Err` names a file that was stale, so
/// a test can fail on a generated file that drifted from its source (the next run passes).
pub fn write_generated(name: &str, want: &str) -> Result<(), String> {
    let file = bindings_dir().join(name);
    if std::fs::read_to_string(&file).ok().as_deref() == Some(want) {
        return Ok(());
    }
    std::fs::create_dir_all(bindings_dir()).map_err(|e| e.to_string())?;
    std::fs::write(&file, want).map_err(|e| e.to_string())?;
    Err(format!("{} was out of date; it is regenerated: commit it", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_word_is_a_field_error_naming_the_right_ones() {
        let err = Term::<EntityKind>::term("widgets").unwrap_err();
        assert!(err.fields["kind"].contains("key-sets"), "{err:?}");
        assert_eq!(Term::<TimeFrame>::term("7d").unwrap().secs(), 604_800);
        assert!(Term::<ExportFormat>::term("xml").unwrap_err().fields.contains_key("format"));
    }

    /// The tables are written beside ts-rs's bindings; a change to the vocabulary that was not
    /// regenerated fails here (the run writes the new file, so the next run passes).
    #[test]
    fn the_typescript_tables_are_current() {
        if let Err(stale) = write_generated("vocabulary.ts", &typescript_tables()) {
            panic!("{stale}");
        }
    }
}
