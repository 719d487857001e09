//! How much one request may carry, and the check of JSON nesting that runs before any parser.
//!
//! For comparison: nginx answers 413 past `client_max_body_size` (1 MiB by default; Kong's Admin
//! API sets 10 MiB). Kong's JSON decoder (lua-cjson) nests at most 1000 deep; the runtime's
//! (`serde_json`) refuses more than 128, which the pushed configuration adds its own levels to.
//! Kong's schemas put no cap on set, array or string lengths (only `len_max` per field where a
//! schema says so) and Konnect's documents none on `tags`; the caps here are far above any
//! configuration seen in practice and keep one write's work bounded.

/// Largest request body accepted (2 MiB, axum's default, kept explicit): past it, 413.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Deepest nesting of objects and arrays in a configuration entity, the entity itself counting as
/// one: 32, far below the 128 the runtime's parser accepts for the whole pushed configuration.
pub const MAX_DEPTH: usize = 32;
/// Most items in one array or set, and most entries in one object or map, of an entity (a
/// route's `paths`, a service's `tags`, a vault's `config`): 1000.
pub const MAX_ITEMS: usize = 1000;
/// Longest string in an entity, in characters: 64 Ki, room for a certificate chain in PEM.
pub const MAX_STRING_CHARS: usize = 65_536;
/// Most tags one list request may filter by: Kong's Admin API figure ("cannot query more than 5
/// tags").
pub const MAX_QUERY_TAGS: usize = 5;

/// One step of a path into a JSON document: an object key or a 0-based array index.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A field path as Kong's errors name it: keys joined by `.`, array items as `[n]` counted from 1
/// (`config.headers[2]`).
pub fn field_path(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{}]", i + 1)),
        }
    }
    out
}

/// Scans JSON text once, without building it, for objects or arrays nested more than `max`
/// deep. Returns the path of the first container that opens past the limit (the container
/// holding it is at depth `max`), or `None` when the text stays within it. The scan is linear
/// and allocates only the current path; malformed text is left for the parser to refuse.
pub fn too_deep(text: &[u8], max: usize) -> Option<Vec<Step>> {
    enum Level {
        /// The span of the last key read, and whether a key is expected next.
        Object {
            key: Option<(usize, usize)>,
            expect_key: bool,
        },
        Array {
            index: usize,
        },
    }
    let mut stack: Vec<Level> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < text.len() && text[i] != b'"' {
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Level::Object { key, expect_key: true }) = stack.last_mut() {
                    *key = Some((start, (i + 1).min(text.len())));
                }
            }
            b'{' | b'[' => {
                if stack.len() >= max {
                    let mut path = Vec::with_capacity(stack.len());
                    for level in &stack {
                        match level {
                            Level::Object { key: Some((a, b)), .. } => path.push(Step::Key(
                                serde_json::from_slice::<String>(&text[*a..*b]).unwrap_or_default(),
                            )),
                            Level::Object { key: None, .. } => path.push(Step::Key(String::new())),
                            Level::Array { index } => path.push(Step::Index(*index)),
                        }
                    }
                    return Some(path);
                }
                stack.push(if text[i] == b'{' {
                    Level::Object { key: None, expect_key: true }
                } else {
                    Level::Array { index: 0 }
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Level::Array { index }) => *index += 1,
                Some(Level::Object { expect_key, .. }) => *expect_key = true,
                None => {}
            },
            b':' => {
                if let Some(Level::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
    }

    #[test]
    fn nesting_within_the_limit_passes_and_past_it_names_the_field() {
        assert_eq!(too_deep(nested(32).as_bytes(), 32), None);
        let path = too_deep(nested(33).as_bytes(), 32).unwrap();
        assert_eq!(path.len(), 32);
        assert_eq!(field_path(&path[1..]), vec!["a"; 31].join("."));
        let body = br#"{"name": "v", "config": {"list": [1, {"x": [[[1]]]}], "s": "{[{[\"]"}}"#;
        assert_eq!(too_deep(body, 7), None);
        assert_eq!(field_path(&too_deep(body, 6).unwrap()), "config.list[2].x[1][1]");
        assert_eq!(field_path(&too_deep(body, 4).unwrap()), "config.list[2].x");
        // Brackets inside strings do not count; escaped quotes do not end a string.
        assert_eq!(too_deep(br#"{"k\"{": "[[[[[[[[", "e": "\\"}"#, 1), None);
    }

    #[test]
    fn a_huge_depth_is_found_without_recursion() {
        let deep = "[".repeat(1_000_000);
        assert_eq!(too_deep(deep.as_bytes(), 32).map(|p| p.len()), Some(32));
    }
}
