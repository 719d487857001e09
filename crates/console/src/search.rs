//! Search across every cached group and entity kind: by name, ID, tag, host and path, fuzzy
//! enough that `usr` finds `users-api` (the letters in order), best matches first. The UI's list
//! filters use the same rule (`fuzzyScore` in `ui/src/vocabulary.ts`, tested on the same cases).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::vocabulary::EntityKind;

/// One thing search can find: a group or an entity of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SearchHit {
    /// `group`, or the entity kind (`services`, `routes`, …).
    pub kind: String,
    pub id: String,
    /// What the UI shows: the name, or for nameless entities their most telling field.
    pub label: String,
    pub group_id: String,
    pub group_name: String,
    /// Which field matched (`name`, `id`, `tag`, `host`, `path`).
    pub matched: String,
    pub score: i64,
}

/// The searchable text of one item, lower-cased once when the index is built. Kind and group
/// are shared (`Arc<str>`): 100,000 items of 20 groups hold 20 group names, not 100,000.
#[derive(Debug, Clone)]
pub struct SearchItem {
    /// The entity's kind; `None` for a group.
    pub kind: Option<EntityKind>,
    pub id: String,
    pub label: String,
    pub group: Arc<(String, String)>,
    /// (field, lower-cased value); the name and the ID are always the first two.
    pub terms: Vec<(&'static str, Box<str>)>,
}

impl SearchItem {
    /// The terms of an entity body as Kong shapes it: name, id, tags, hosts, paths, and for
    /// nameless kinds their natural key (a consumer's username, a target's address, an SNI's name).
    pub fn from_entity(
        kind: EntityKind,
        body: &serde_json::Value,
        group: Arc<(String, String)>,
    ) -> Option<SearchItem> {
        let id = body.get("id")?.as_str()?.to_string();
        let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let list = |k: &str| {
            body.get(k)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        let label = kind.label(body);
        let mut terms: Vec<(&'static str, Box<str>)> =
            vec![("name", label.to_lowercase().into()), ("id", id.to_lowercase().into())];
        for t in list("tags") {
            terms.push(("tag", t.to_lowercase().into()));
        }
        for h in list("hosts").into_iter().chain(text("host")) {
            terms.push(("host", h.to_lowercase().into()));
        }
        for p in list("paths").into_iter().chain(text("path")) {
            terms.push(("path", p.to_lowercase().into()));
        }
        terms.shrink_to_fit();
        Some(SearchItem { kind: Some(kind), id, label, group, terms })
    }
}

/// How well `query` (lower-case) matches `text`: a substring beats a scattered subsequence, an
/// earlier and tighter match beats a later and looser one; `None` when the letters are not all
/// there in order.
pub fn fuzzy_score(query: &str, text: &str) -> Option<i64> {
    if query.is_empty() {
        return None;
    }
    // Most terms fail: reject them with one pass over the bytes before anything dearer. Byte-wise
    // matching is exact for UTF-8 too (a character's bytes only match the same character's).
    let (q, t) = (query.as_bytes(), text.as_bytes());
    let (mut qi, mut first, mut last, mut gaps, mut prev) =
        (0usize, usize::MAX, 0usize, 0i64, usize::MAX);
    for (i, &c) in t.iter().enumerate() {
        if c == q[qi] {
            if first == usize::MAX {
                first = i;
            }
            if prev != usize::MAX {
                gaps += (i - prev - 1) as i64;
            }
            prev = i;
            last = i;
            qi += 1;
            if qi == q.len() {
                break;
            }
        }
    }
    if qi < q.len() {
        return None;
    }
    if gaps > 0 {
        if let Some(pos) = text.find(query) {
            return Some(substring_score(pos, text.len(), query.len()));
        }
    } else {
        return Some(substring_score(first, text.len(), query.len()));
    }
    let span = (last - first) as i64;
    Some(500 - gaps * 10 - first as i64 * 2 - span)
}

fn substring_score(pos: usize, text_len: usize, query_len: usize) -> i64 {
    let exact = if text_len == query_len { 500 } else { 0 };
    1000 + exact - pos as i64 * 2 - (text_len - query_len) as i64 / 4
}

/// The index: every item of every group, searched in memory.
#[derive(Debug, Default)]
pub struct SearchIndex {
    items: Vec<SearchItem>,
}

impl SearchIndex {
    pub fn new(items: Vec<SearchItem>) -> SearchIndex {
        SearchIndex { items }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `limit` best hits for `query`; each item counts once, by its best-matching term.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(i64, &SearchItem, &'static str)> = self
            .items
            .iter()
            .filter_map(|item| {
                item.terms
                    .iter()
                    // A name match is worth more than the same match on an ID or tag.
                    .filter_map(|(field, text)| {
                        fuzzy_score(&q, text)
                            .map(|s| (s + if *field == "name" { 50 } else { 0 }, *field))
                    })
                    .max_by_key(|(s, _)| *s)
                    .map(|(s, f)| (s, item, f))
            })
            .collect();
        let limit = limit.min(hits.len());
        if limit < hits.len() {
            hits.select_nth_unstable_by(limit, |a, b| b.0.cmp(&a.0));
            hits.truncate(limit);
        }
        hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.label.cmp(&b.1.label)));
        hits.into_iter()
            .map(|(score, it, field)| SearchHit {
                kind: it.kind.map_or_else(|| "group".to_string(), |k| k.to_string()),
                id: it.id.clone(),
                label: it.label.clone(),
                group_id: it.group.0.clone(),
                group_name: it.group.1.clone(),
                matched: field.to_string(),
                score,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index() -> SearchIndex {
        let items = [
            (
                EntityKind::Services,
                json!({
                    "id": "1111", "name": "users-api", "host": "users.internal", "tags": ["team-a"]
                }),
            ),
            (
                EntityKind::Services,
                json!({"id": "2222", "name": "orders", "host": "orders.internal"}),
            ),
            (
                EntityKind::Routes,
                json!({
                    "id": "3333", "name": "login", "paths": ["/auth/login"],
                    "hosts": ["api.example.com"]
                }),
            ),
            (EntityKind::Consumers, json!({"id": "4444", "username": "ursula"})),
        ];
        let group = Arc::new(("g1".to_string(), "dev".to_string()));
        SearchIndex::new(
            items
                .iter()
                .filter_map(|(k, b)| SearchItem::from_entity(*k, b, group.clone()))
                .collect(),
        )
    }

    #[test]
    fn letters_in_order_find_a_name() {
        let hits = index().search("usr", 10);
        assert_eq!(hits[0].label, "users-api", "{hits:?}");
        assert_eq!(
            index().search("urs", 10).iter().map(|h| h.label.as_str()).collect::<Vec<_>>(),
            ["ursula", "users-api"]
        );
        assert!(!hits.iter().any(|h| h.label == "orders"));
    }

    #[test]
    fn hosts_paths_tags_and_ids_are_searched() {
        let i = index();
        assert_eq!(i.search("/auth", 5)[0].matched, "path");
        assert_eq!(i.search("api.example", 5)[0].label, "login");
        assert_eq!(i.search("team-a", 5)[0].matched, "tag");
        assert_eq!(i.search("4444", 5)[0].label, "ursula");
    }

    #[test]
    fn substring_beats_scattered_letters_and_unknown_finds_nothing() {
        assert!(fuzzy_score("ord", "orders").unwrap() > fuzzy_score("ord", "o-r-d").unwrap());
        assert!(
            fuzzy_score("users", "users").unwrap() > fuzzy_score("users", "users-api").unwrap()
        );
        assert_eq!(fuzzy_score("zzz", "users-api"), None);
        assert!(index().search("qqq", 5).is_empty());
    }
}
