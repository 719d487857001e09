//! Embeds every `schemas/plugins/*.json` (Kong's plugin schemas as data) in the binary: a plugin
//! file dropped into the directory is served and accepted without touching the code.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/plugins");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut table = String::from("&[\n");
    for name in &names {
        let file = dir.join(format!("{name}.json"));
        // Each file is its own rerun trigger too: editing one in place changes no directory entry.
        println!("cargo:rerun-if-changed={}", file.display());
        writeln!(table, "    ({name:?}, include_str!({:?})),", file.display().to_string()).unwrap();
    }
    table.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("plugin_schemas.rs");
    std::fs::write(out, table).unwrap();
}
