//! Search across every cached group and entity kind: by name, ID, tag, host and path, fuzzy
//! enough that `usr` finds `users-api` (the letters in order), best matches first.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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

/// The searchable text of one item, lower-cased once when the index is built.
#[derive(Debug, Clone)]
pub struct SearchItem {
    pub kind: String,
    pub id: String,
    pub label: String,
    pub group_id: String,
    pub group_name: String,
    /// (field, lower-cased value)
    pub terms: Vec<(&'static str, String)>,
}

impl SearchItem {
    /// The terms of an entity body as Kong shapes it: name, id, tags, hosts, paths, and for
    /// nameless kinds their natural key (a consumer's username, a target's address, an SNI's name).
    pub fn from_entity(kind: &str, body: &serde_json::Value, group_id: &str, group_name: &str) -> Option<SearchItem> {
        let id = body.get("id")?.as_str()?.to_string();
        let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let list = |k: &str| body.get(k).and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect::<Vec<_>>()).unwrap_or_default();
        let label = text("name").or_else(|| text("username")).or_else(|| text("custom_id")).or_else(|| text("target")).or_else(|| text("prefix")).unwrap_or_else(|| id.clone());
        let mut terms = vec![("name", label.to_lowercase()), ("id", id.to_lowercase())];
        for t in list("tags") {
            terms.push(("tag", t.to_lowercase()));
        }
        for h in list("hosts").into_iter().chain(text("host")) {
            terms.push(("host", h.to_lowercase()));
        }
        for p in list("paths").into_iter().chain(text("path")) {
            terms.push(("path", p.to_lowercase()));
        }
        Some(SearchItem { kind: kind.to_string(), id, label, group_id: group_id.to_string(), group_name: group_name.to_string(), terms })
    }
}

/// How well `query` (lower-case) matches `text`: a substring beats a scattered subsequence, an
/// earlier and tighter match beats a later and looser one; `None` when the letters are not all there in order.
pub fn fuzzy_score(query: &str, text: &str) -> Option<i64> {
    if query.is_empty() {
        return None;
    }
    if let Some(pos) = text.find(query) {
        let exact = if text.len() == query.len() { 500 } else { 0 };
        return Some(1000 + exact - pos as i64 * 2 - (text.len() - query.len()) as i64 / 4);
    }
    let (mut qi, mut first, mut last, mut gaps) = (query.chars().peekable(), None, 0usize, 0i64);
    let mut prev: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let Some(&want) = qi.peek() else { break };
        if c == want {
            first.get_or_insert(i);
            if let Some(p) = prev {
                gaps += (i - p - 1) as i64;
            }
            prev = Some(i);
            last = i;
            qi.next();
        }
    }
    if qi.peek().is_some() {
        return None;
    }
    let span = (last - first.unwrap_or(0)) as i64;
    Some(500 - gaps * 10 - first.unwrap_or(0) as i64 * 2 - span)
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
                    .filter_map(|(field, text)| fuzzy_score(&q, text).map(|s| (s + if *field == "name" { 50 } else { 0 }, *field)))
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
            .map(|(score, it, field)| SearchHit { kind: it.kind.clone(), id: it.id.clone(), label: it.label.clone(), group_id: it.group_id.clone(), group_name: it.group_name.clone(), matched: field.to_string(), score })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index() -> SearchIndex {
        let items = [
            ("services", json!({"id": "1111", "name": "users-api", "host": "users.internal", "tags": ["team-a"]})),
            ("services", json!({"id": "2222", "name": "orders", "host": "orders.internal"})),
            ("routes", json!({"id": "3333", "name": "login", "paths": ["/auth/login"], "hosts": ["api.example.com"]})),
            ("consumers", json!({"id": "4444", "username": "ursula"})),
        ];
        SearchIndex::new(items.iter().filter_map(|(k, b)| SearchItem::from_entity(k, b, "g1", "dev")).collect())
    }

    #[test]
    fn letters_in_order_find_a_name() {
        let hits = index().search("usr", 10);
        assert_eq!(hits[0].label, "users-api", "{hits:?}");
        assert_eq!(index().search("urs", 10).iter().map(|h| h.label.as_str()).collect::<Vec<_>>(), ["ursula", "users-api"]);
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
        assert!(fuzzy_score("users", "users").unwrap() > fuzzy_score("users", "users-api").unwrap());
        assert_eq!(fuzzy_score("zzz", "users-api"), None);
        assert!(index().search("qqq", 5).is_empty());
    }
}
