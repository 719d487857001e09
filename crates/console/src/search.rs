//! Search across every cached group and entity kind: by name, ID, tag, host and path, best
//! matches first; a name also matches by its letters in order, so `usr` finds `users-api`. The
//! UI's list filters score with the same rule (`fuzzyScore` in `ui/src/vocabulary.ts`, tested on
//! the same cases).

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
    /// (field, lower-cased value); the name and the ID are always the first two. Moved into
    /// the index's one buffer when the index is built.
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
    let (q, t) = (query.as_bytes(), text.as_bytes());
    let (&head, rest) = q.split_first()?;
    // The leftmost match, each letter found by `memchr` after the one before: most terms fail,
    // and a vectorized scan rejects them faster than a byte loop. Byte-wise matching is exact for
    // UTF-8 too (a character's bytes only match the same character's).
    let first = memchr::memchr(head, t)?;
    let mut last = first;
    for &c in rest {
        last += 1 + memchr::memchr(c, &t[last + 1..])?;
    }
    let gaps = (last - first + 1 - q.len()) as i64;
    if gaps == 0 {
        return Some(substring_score(first, t.len(), q.len()));
    }
    if let Some(pos) = memchr::memmem::find(t, q) {
        return Some(substring_score(pos, t.len(), q.len()));
    }
    let span = (last - first) as i64;
    Some(500 - gaps * 10 - first as i64 * 2 - span)
}

fn substring_score(pos: usize, text_len: usize, query_len: usize) -> i64 {
    let exact = if text_len == query_len { 500 } else { 0 };
    1000 + exact - pos as i64 * 2 - (text_len - query_len) as i64 / 4
}

/// Which bytes a text has, folded into 64 bits: a name whose mask lacks one of the query's bits
/// cannot hold the query's letters, so it is passed over without being read.
fn byte_mask(text: &[u8]) -> u64 {
    text.iter().fold(0, |m, &b| m | 1 << (b % 64))
}

/// One term of one item: where its lower-cased text lies in the index's buffer.
#[derive(Debug, Clone, Copy)]
struct Term {
    start: u32,
    end: u32,
    item: u32,
    /// The field, as an index in `FIELDS`.
    field: u8,
}

const FIELDS: [&str; 5] = ["name", "id", "tag", "host", "path"];

/// Between terms in the buffer: no query holds it, so no match spans two terms.
const SEPARATOR: char = '\0';

/// A hit: (score, item, field).
type Hit = (i64, u32, u8);

/// The best a scattered (not substring) match can score: `fuzzy_score`'s 500 less one gap, plus
/// a name's bonus. Once `limit` substring hits all score more, no scattered match can place.
const BEST_SCATTERED: i64 = 500 - 10 + NAME_BONUS;

/// A name match is worth more than the same match on an ID or tag.
const NAME_BONUS: i64 = 50;

/// The index: every item of every group, searched in memory. The terms lie end to end in one
/// buffer, so a substring is found by one vectorized scan of it; letters in order (`usr` for
/// `users-api`) are looked for in names only, where that reads as intended (in an ID or a path
/// scattered letters match almost anything), and only when substring hits do not already fill
/// the results. Large indexes are searched on every core.
#[derive(Debug, Default)]
pub struct SearchIndex {
    items: Vec<SearchItem>,
    text: String,
    terms: Vec<Term>,
    /// Each name's term (an index in `terms`) and byte mask.
    names: Vec<(u32, u64)>,
}

/// Items per search thread below which one thread is quicker than starting more.
const ITEMS_PER_THREAD: usize = 50_000;

impl SearchIndex {
    pub fn new(mut items: Vec<SearchItem>) -> SearchIndex {
        let (mut text, mut terms, mut names) = (String::new(), Vec::new(), Vec::new());
        for (i, item) in items.iter_mut().enumerate() {
            for (field, value) in std::mem::take(&mut item.terms) {
                let field = FIELDS.iter().position(|f| *f == field).unwrap_or(0) as u8;
                let start = text.len() as u32;
                text.push_str(&value.replace(SEPARATOR, ""));
                if field == 0 {
                    names.push((terms.len() as u32, byte_mask(&text.as_bytes()[start as usize..])));
                }
                terms.push(Term { start, end: text.len() as u32, item: i as u32, field });
                text.push(SEPARATOR);
            }
        }
        text.shrink_to_fit();
        terms.shrink_to_fit();
        names.shrink_to_fit();
        SearchIndex { items, text, terms, names }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn term_text(&self, t: &Term) -> &str {
        &self.text[t.start as usize..t.end as usize]
    }

    /// Substring hits among `terms` (a run of whole items, in order): each item's best.
    fn substring_hits(
        &self,
        finder: &memchr::memmem::Finder,
        q_len: usize,
        terms: &[Term],
    ) -> Vec<Hit> {
        let (Some(first), Some(last)) = (terms.first(), terms.last()) else { return Vec::new() };
        let base = first.start as usize;
        let haystack = &self.text.as_bytes()[base..last.end as usize];
        let (mut hits, mut at): (Vec<Hit>, usize) = (Vec::new(), 0);
        for pos in finder.find_iter(haystack).map(|p| p + base) {
            while terms[at].end as usize <= pos {
                at += 1;
            }
            let t = &terms[at];
            let bonus = if t.field == 0 { NAME_BONUS } else { 0 };
            let score =
                substring_score(pos - t.start as usize, (t.end - t.start) as usize, q_len) + bonus;
            keep_best(&mut hits, (score, t.item, t.field));
        }
        hits
    }

    /// Names among `names` that hold the query's letters in order, for items without a hit yet.
    fn scattered_hits(&self, q: &str, names: &[(u32, u64)], found: &[bool]) -> Vec<Hit> {
        let want = byte_mask(q.as_bytes());
        let mut hits = Vec::new();
        for &(term, _) in names.iter().filter(|(_, m)| m & want == want) {
            let t = &self.terms[term as usize];
            if found[t.item as usize] {
                continue;
            }
            if let Some(score) = fuzzy_score(q, self.term_text(t)) {
                hits.push((score + NAME_BONUS, t.item, t.field));
            }
        }
        hits
    }

    /// `work` on about one part per core of `all` (cut by `cut`), the parts' results joined.
    fn on_every_core<T: Sync, R: Send>(
        &self,
        all: &[T],
        cut: impl Fn(&[T], usize) -> usize,
        work: impl Fn(&[T]) -> Vec<R> + Sync,
    ) -> Vec<R> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let parts = cores.min(self.items.len() / ITEMS_PER_THREAD).max(1);
        if parts == 1 {
            return work(all);
        }
        let size = all.len().div_ceil(parts).max(1);
        let mut runs = Vec::new();
        let mut rest = all;
        while !rest.is_empty() {
            let at = cut(rest, size.min(rest.len()));
            let (run, more) = rest.split_at(at);
            runs.push(run);
            rest = more;
        }
        std::thread::scope(|scope| {
            let work = &work;
            let parts: Vec<_> =
                runs.into_iter().map(|run| scope.spawn(move || work(run))).collect();
            parts.into_iter().flat_map(|p| p.join().unwrap_or_default()).collect()
        })
    }

    /// The `limit` best hits for `query`; each item counts once, by its best-matching term.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let q = query.trim().to_lowercase().replace(SEPARATOR, "");
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let finder = memchr::memmem::Finder::new(q.as_bytes());
        // Runs end on an item's last term, so an item's terms are scored together.
        let whole_items = |terms: &[Term], mut at: usize| {
            while at < terms.len() && terms[at].item == terms[at - 1].item {
                at += 1;
            }
            at
        };
        let mut hits = self.on_every_core(&self.terms, whole_items, |run| {
            self.substring_hits(&finder, q.len(), run)
        });
        if !Self::filled(&mut hits, limit) {
            let mut found = vec![false; self.items.len()];
            for h in &hits {
                found[h.1 as usize] = true;
            }
            let (q, found) = (&q, &found);
            let names = self.on_every_core(
                &self.names,
                |_, at| at,
                |run| self.scattered_hits(q, run, found),
            );
            hits.extend(names);
        }
        top(&mut hits, limit);
        let label = |h: &Hit| self.items[h.1 as usize].label.as_str();
        hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| label(a).cmp(label(b))));
        hits.into_iter().map(|h| self.hit(h)).collect()
    }

    /// Whether `limit` of `hits` already outscore any scattered match (keeping only those).
    fn filled(hits: &mut Vec<Hit>, limit: usize) -> bool {
        if hits.len() < limit {
            return false;
        }
        top(hits, limit);
        hits.iter().all(|h| h.0 > BEST_SCATTERED)
    }

    fn hit(&self, (score, item, field): Hit) -> SearchHit {
        let it = &self.items[item as usize];
        SearchHit {
            kind: it.kind.map_or_else(|| "group".to_string(), |k| k.to_string()),
            id: it.id.clone(),
            label: it.label.clone(),
            group_id: it.group.0.clone(),
            group_name: it.group.1.clone(),
            matched: FIELDS[field as usize].to_string(),
            score,
        }
    }
}

/// Adds a hit of an item, keeping the item's best: hits arrive in item order.
fn keep_best(hits: &mut Vec<Hit>, hit: Hit) {
    match hits.last_mut() {
        Some(last) if last.1 == hit.1 => {
            if hit.0 > last.0 {
                *last = hit;
            }
        }
        _ => hits.push(hit),
    }
}

/// Keeps the `limit` best-scoring hits, in no order.
fn top(hits: &mut Vec<Hit>, limit: usize) {
    if limit < hits.len() {
        hits.select_nth_unstable_by(limit, |a, b| b.0.cmp(&a.0));
        hits.truncate(limit);
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

    #[test]
    fn letters_in_order_count_in_names_only() {
        // `alg` is scattered through the path /auth/login, not in any name: no hit, as scattered
        // letters in IDs, hosts and paths match almost anything.
        assert!(index().search("alg", 5).is_empty());
        assert_eq!(index().search("lgn", 5)[0].label, "login", "in a name they do");
    }

    #[test]
    fn a_large_index_searched_on_every_core_finds_what_one_thread_does() {
        let group = Arc::new(("g".to_string(), "g".to_string()));
        let items: Vec<SearchItem> = (0..120_000)
            .filter_map(|i| {
                let body = json!({"id": format!("id-{i}"), "name": format!("svc-{i:06}")});
                SearchItem::from_entity(EntityKind::Services, &body, group.clone())
            })
            .collect();
        let index = SearchIndex::new(items);
        let hits = index.search("svc-11999", 20);
        let labels: Vec<&str> = hits.iter().map(|h| h.label.as_str()).collect();
        assert_eq!(labels[0], "svc-119990", "{labels:?}");
        assert!(labels[..10].iter().all(|l| l.starts_with("svc-11999")), "{labels:?}");
        assert_eq!(hits.len(), 20, "scattered matches fill the rest: {labels:?}");
        assert_eq!(index.search("sv9", 5).len(), 5, "scattered letters across the parts");
    }
}
