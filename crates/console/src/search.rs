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
    text.iter().fold(0, |m, &b| m | 1 << byte_bit(b))
}

/// A byte's bit in `byte_mask`: each lower-case letter and digit its own, as names are made of
/// them (folding by `b % 64` gave `u` and `5` one bit, so every numbered name seemed to hold a
/// `u`); the other bytes share the rest.
fn byte_bit(b: u8) -> u32 {
    match b {
        b'a'..=b'z' => u32::from(b - b'a'),
        b'0'..=b'9' => 26 + u32::from(b - b'0'),
        _ => 36 + u32::from(b % 28),
    }
}

/// The score of `query`'s letters scattered through `text` (leftmost match), or `None` when
/// they are not all there in order, or when that score cannot exceed `floor`. `text` must not
/// hold `query` whole (its substring score is another rule's).
fn scattered_score(query: &[u8], text: &[u8], floor: i64) -> Option<i64> {
    let (&head, rest) = query.split_first()?;
    let first = memchr::memchr(head, text)?;
    if best_scattered(query.len(), first) <= floor {
        return None;
    }
    let mut last = first;
    for &c in rest {
        last += 1 + memchr::memchr(c, &text[last + 1..])?;
    }
    let gaps = (last - first + 1 - query.len()) as i64;
    Some(500 - gaps * 10 - first as i64 * 2 - (last - first) as i64)
}

/// The best score letters scattered from `first` on can reach: one gap, so a span of the
/// query's length.
fn best_scattered(query_len: usize, first: usize) -> i64 {
    500 - 10 - first as i64 * 2 - query_len as i64
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

/// A name match is worth more than the same match on an ID or tag.
const NAME_BONUS: i64 = 50;

/// The index: every item of every group, searched in memory. The terms lie end to end in one
/// buffer, so a substring is found by one vectorized scan of it; letters in order (`usr` for
/// `users-api`) are looked for in names only, where that reads as intended (in an ID or a path
/// scattered letters match almost anything), and only when substring hits do not already fill
/// the results. Large indexes are searched on every core.
#[derive(Debug, Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
    /// Every item's ID then label, end to end (as `Entry` delimits them).
    shown: String,
    /// The groups items belong to, each once.
    groups: Vec<Arc<(String, String)>>,
    text: String,
    terms: Vec<Term>,
    /// Each name's term (an index in `terms`) and byte mask.
    names: Vec<(u32, u64)>,
    /// How common each byte is in `text`, for the substring finder to look for a query's rarest.
    ranks: ByteRanks,
}

/// Each byte's rank by how often it occurs in the index's text, 0 the rarest. The substring
/// finder looks first for a query's two rarest bytes: its default ranking is of ordinary text,
/// where the hex digits and dashes of IDs, which fill much of an index, are not common.
#[derive(Debug, Clone, Copy)]
struct ByteRanks([u8; 256]);

impl Default for ByteRanks {
    fn default() -> ByteRanks {
        ByteRanks([0; 256])
    }
}

impl ByteRanks {
    fn of(text: &[u8]) -> ByteRanks {
        let mut counts = [0u64; 256];
        for &b in text {
            counts[b as usize] += 1;
        }
        let mut order: Vec<u8> = (0..=255).collect();
        order.sort_by_key(|&b| counts[b as usize]);
        let mut ranks = [0u8; 256];
        for (rank, b) in order.into_iter().enumerate() {
            ranks[b as usize] = rank as u8;
        }
        ByteRanks(ranks)
    }
}

impl memchr::arch::all::packedpair::HeuristicFrequencyRank for ByteRanks {
    fn rank(&self, byte: u8) -> u8 {
        self.0[byte as usize]
    }
}

/// An item as the index keeps it: its ID and label lie in the index's `shown` buffer and its group
/// is an index in `groups`. A million items are then a few large allocations instead of millions
/// of small ones, which the heap would keep interleaved with the build's freed ones.
#[derive(Debug, Clone, Copy)]
struct Entry {
    kind: Option<EntityKind>,
    group: u32,
    /// `shown[id_start..label_start]` is the ID, `shown[label_start..label_end]` the label.
    id_start: u32,
    label_start: u32,
    label_end: u32,
}

/// Items per search thread below which one thread is quicker than starting more.
const ITEMS_PER_THREAD: usize = 50_000;

impl SearchIndex {
    pub fn new(items: Vec<SearchItem>) -> SearchIndex {
        let mut index = SearchIndex::default();
        let mut group_at: std::collections::HashMap<Arc<(String, String)>, u32> =
            std::collections::HashMap::new();
        for (i, item) in items.into_iter().enumerate() {
            // Items come group by group: the last item's group is looked up only when it changes.
            let group = match index.groups.last() {
                Some(last) if Arc::ptr_eq(last, &item.group) => index.groups.len() as u32 - 1,
                _ => *group_at.entry(item.group.clone()).or_insert_with(|| {
                    index.groups.push(item.group.clone());
                    index.groups.len() as u32 - 1
                }),
            };
            let id_start = index.shown.len() as u32;
            index.shown.push_str(&item.id);
            let label_start = index.shown.len() as u32;
            index.shown.push_str(&item.label);
            let label_end = index.shown.len() as u32;
            index.entries.push(Entry { kind: item.kind, group, id_start, label_start, label_end });
            for (field, value) in item.terms {
                index.add_term(i as u32, field, &value);
            }
        }
        index.entries.shrink_to_fit();
        index.shown.shrink_to_fit();
        index.groups.shrink_to_fit();
        index.text.shrink_to_fit();
        index.terms.shrink_to_fit();
        index.names.shrink_to_fit();
        index.ranks = ByteRanks::of(index.text.as_bytes());
        index
    }

    fn add_term(&mut self, item: u32, field: &str, value: &str) {
        let field = FIELDS.iter().position(|f| *f == field).unwrap_or(0) as u8;
        let start = self.text.len() as u32;
        if value.contains(SEPARATOR) {
            self.text.extend(value.chars().filter(|c| *c != SEPARATOR));
        } else {
            self.text.push_str(value);
        }
        if field == 0 {
            let mask = byte_mask(&self.text.as_bytes()[start as usize..]);
            self.names.push((self.terms.len() as u32, mask));
        }
        self.terms.push(Term { start, end: self.text.len() as u32, item, field });
        self.text.push(SEPARATOR);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn label(&self, item: u32) -> &str {
        let e = &self.entries[item as usize];
        &self.shown[e.label_start as usize..e.label_end as usize]
    }

    /// Substring hits among `terms` (a run of whole items, in order): the `limit` best items
    /// (each by its best term), and every item hit.
    fn substring_hits(
        &self,
        finder: &memchr::memmem::Finder,
        q_len: usize,
        terms: &[Term],
        limit: usize,
    ) -> (Vec<Hit>, Vec<u32>) {
        let (Some(first), Some(last)) = (terms.first(), terms.last()) else {
            return (Vec::new(), Vec::new());
        };
        let base = first.start as usize;
        let haystack = &self.text.as_bytes()[base..last.end as usize];
        let (mut best, mut items, mut at) = (Best::new(limit), Vec::new(), 0);
        // The item being read and its best hit so far: hits arrive in item order.
        let mut current: Option<Hit> = None;
        for pos in finder.find_iter(haystack).map(|p| p + base) {
            while terms[at].end as usize <= pos {
                at += 1;
            }
            let t = &terms[at];
            let bonus = if t.field == 0 { NAME_BONUS } else { 0 };
            let score =
                substring_score(pos - t.start as usize, (t.end - t.start) as usize, q_len) + bonus;
            match &mut current {
                Some(c) if c.1 == t.item => {
                    if score > c.0 {
                        *c = (score, t.item, t.field);
                    }
                }
                _ => {
                    if let Some(done) = current.replace((score, t.item, t.field)) {
                        best.offer(done);
                    }
                    items.push(t.item);
                }
            }
        }
        if let Some(done) = current {
            best.offer(done);
        }
        (best.hits, items)
    }

    /// The `limit` best names among `names` that hold the query's letters in order, for items
    /// without a substring hit. A name that cannot outscore the `limit` best found so far is
    /// left after one letter's scan, and once those all score what no scattered match can beat,
    /// the rest are not read.
    fn scattered_hits(
        &self,
        q: &str,
        names: &[(u32, u64)],
        found: &[bool],
        limit: usize,
    ) -> Vec<Hit> {
        let (q, want) = (q.as_bytes(), byte_mask(q.as_bytes()));
        let unbeatable = best_scattered(q.len(), 0) + NAME_BONUS;
        let mut best = Best::new(limit);
        for &(term, _) in names.iter().filter(|(_, m)| m & want == want) {
            if best.floor() >= unbeatable {
                break;
            }
            let t = &self.terms[term as usize];
            if found[t.item as usize] {
                continue;
            }
            let text = &self.text.as_bytes()[t.start as usize..t.end as usize];
            if let Some(score) = scattered_score(q, text, best.floor().saturating_sub(NAME_BONUS)) {
                best.offer((score + NAME_BONUS, t.item, t.field));
            }
        }
        best.hits
    }

    /// `work` on about one part per core of `all` (cut by `cut`): each part's result.
    fn on_every_core<T: Sync, R: Send>(
        &self,
        all: &[T],
        cut: impl Fn(&[T], usize) -> usize,
        work: impl Fn(&[T]) -> R + Sync,
    ) -> Vec<R> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let parts = cores.min(self.entries.len() / ITEMS_PER_THREAD).max(1);
        if parts == 1 {
            return vec![work(all)];
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
            parts.into_iter().map(|p| p.join().expect("a search thread panicked")).collect()
        })
    }

    /// The `limit` best hits for `query`; each item counts once, by its best-matching term.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let q = query.trim().to_lowercase().replace(SEPARATOR, "");
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let finder = memchr::memmem::FinderBuilder::new()
            .build_forward_with_ranker(self.ranks, q.as_bytes());
        // Runs end on an item's last term, so an item's terms are scored together.
        let whole_items = |terms: &[Term], mut at: usize| {
            while at < terms.len() && terms[at].item == terms[at - 1].item {
                at += 1;
            }
            at
        };
        let parts = self.on_every_core(&self.terms, whole_items, |run| {
            self.substring_hits(&finder, q.len(), run, limit)
        });
        let mut hits: Vec<Hit> = parts.iter().flat_map(|(best, _)| best.iter().copied()).collect();
        if !Self::filled(&hits, limit, best_scattered(q.len(), 0) + NAME_BONUS) {
            // Every item with a substring hit is passed over: its name, if it holds the query
            // whole, scored as a substring already.
            let mut found = vec![false; self.entries.len()];
            for item in parts.iter().flat_map(|(_, items)| items) {
                found[*item as usize] = true;
            }
            let (q, found) = (&q, &found);
            let names = self.on_every_core(
                &self.names,
                |_, at| at,
                |run| self.scattered_hits(q, run, found, limit),
            );
            hits.extend(names.into_iter().flatten());
        }
        top(&mut hits, limit);
        let label = |h: &Hit| self.label(h.1);
        hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| label(a).cmp(label(b))));
        hits.into_iter().map(|h| self.hit(h)).collect()
    }

    /// Whether `limit` of `hits` already outscore `best_scattered`, the best a scattered match
    /// can score.
    fn filled(hits: &[Hit], limit: usize, best_scattered: i64) -> bool {
        hits.iter().filter(|h| h.0 > best_scattered).count() >= limit
    }

    fn hit(&self, (score, item, field): Hit) -> SearchHit {
        let e = &self.entries[item as usize];
        let group = &self.groups[e.group as usize];
        SearchHit {
            kind: e.kind.map_or_else(|| "group".to_string(), |k| k.to_string()),
            id: self.shown[e.id_start as usize..e.label_start as usize].to_string(),
            label: self.label(item).to_string(),
            group_id: group.0.clone(),
            group_name: group.1.clone(),
            matched: FIELDS[field as usize].to_string(),
            score,
        }
    }
}

/// The `limit` best-scoring hits offered so far, in no order.
struct Best {
    limit: usize,
    hits: Vec<Hit>,
    /// The score a hit must beat to be kept: the lowest kept once `limit` are.
    floor: i64,
}

impl Best {
    fn new(limit: usize) -> Best {
        Best { limit, hits: Vec::with_capacity(limit + 1), floor: i64::MIN }
    }

    fn floor(&self) -> i64 {
        self.floor
    }

    fn offer(&mut self, hit: Hit) {
        if hit.0 <= self.floor {
            return;
        }
        self.hits.push(hit);
        if self.hits.len() > self.limit {
            let lowest = (0..self.hits.len()).min_by_key(|&i| self.hits[i].0).unwrap_or(0);
            self.hits.swap_remove(lowest);
        }
        if self.hits.len() == self.limit {
            self.floor = self.hits.iter().map(|h| h.0).min().unwrap_or(i64::MIN);
        }
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

    /// Every item's best score as the rule states it, item by item: its best substring match on
    /// any term (a name's worth NAME_BONUS more), else its name's letters in order.
    fn reference_scores(items: &[SearchItem], query: &str) -> Vec<i64> {
        let mut scores: Vec<i64> = items
            .iter()
            .filter_map(|item| {
                let bonus = |field: &str| if field == "name" { NAME_BONUS } else { 0 };
                let substring = item
                    .terms
                    .iter()
                    .filter_map(|(field, text)| {
                        let pos = text.find(query)?;
                        Some(substring_score(pos, text.len(), query.len()) + bonus(field))
                    })
                    .max();
                substring.or_else(|| Some(fuzzy_score(query, &item.terms[0].1)? + NAME_BONUS))
            })
            .collect();
        scores.sort_unstable_by(|a, b| b.cmp(a));
        scores
    }

    /// Services, routes and consumers, as a large organization's cache holds them.
    fn organization(n: usize) -> Vec<SearchItem> {
        let group = Arc::new(("g".to_string(), "g".to_string()));
        (0..n)
            .filter_map(|i| {
                let body = match i % 3 {
                    0 => json!({"id": format!("id-{i}"), "name": format!("svc-{i:06}-orders"),
                                "host": format!("orders-{}.internal", i % 97)}),
                    1 => json!({"id": format!("id-{i}"), "name": format!("route-{i:06}-users-api"),
                                "paths": [format!("/users/{i}")], "tags": ["team-a"]}),
                    // Names whose letters start later score less: met first, they must not
                    // keep out the better ones met after them.
                    _ if i % 6 == 2 => {
                        json!({"id": format!("id-{i}"), "username": format!("a-user-{i:06}")})
                    }
                    _ => json!({"id": format!("id-{i}"), "username": format!("User-{i:06}")}),
                };
                let kind = [EntityKind::Services, EntityKind::Routes, EntityKind::Consumers][i % 3];
                SearchItem::from_entity(kind, &body, group.clone())
            })
            .collect()
    }

    #[test]
    fn the_hits_are_the_best_scores_however_the_scan_is_cut_short() {
        let cases = [
            ("usr", 20),
            ("usr", 40),
            ("urs", 5),
            ("sv9", 20),
            ("u5", 20),
            ("rdr", 50),
            ("ord", 20),
            ("/users/4", 20),
            ("id-1199", 20),
            ("team", 20),
            ("0-ua", 20),
            ("zzz", 20),
            ("s0r", 1),
        ];
        // One search thread, then one per core.
        for size in [30_000, 120_000] {
            let items = organization(size);
            let index = SearchIndex::new(items.clone());
            for (query, limit) in cases {
                let got: Vec<i64> = index.search(query, limit).iter().map(|h| h.score).collect();
                let want = reference_scores(&items, query);
                assert_eq!(got, want[..limit.min(want.len())], "{query} (limit {limit}, {size})");
            }
        }
    }

    #[test]
    fn a_names_byte_mask_tells_letters_from_digits() {
        // (query, name, whether the name's mask holds the query's)
        let cases = [
            ("usr", "svc-0005123-orders", false),
            ("usr", "user-0005123", true),
            ("u5", "svc-0005123-orders", false),
            ("u5", "users-5", true),
            ("a-1", "api-1", true),
            ("a.1", "api-1", false),
        ];
        for (query, name, holds) in cases {
            let (q, n) = (byte_mask(query.as_bytes()), byte_mask(name.as_bytes()));
            assert_eq!(n & q == q, holds, "{query} in {name}");
        }
    }

    #[test]
    fn a_hit_shows_its_item_as_given_under_its_group() {
        let (dev, prod) = (
            Arc::new(("g1".to_string(), "Dev".to_string())),
            Arc::new(("g2".to_string(), "Prod".to_string())),
        );
        let entity = |kind, body: serde_json::Value, group: &Arc<(String, String)>| {
            SearchItem::from_entity(kind, &body, group.clone()).unwrap()
        };
        let items = vec![
            entity(EntityKind::Services, json!({"id": "S-1", "name": "Orders-API"}), &dev),
            entity(EntityKind::Consumers, json!({"id": "c-2", "username": "Ursula"}), &prod),
            // The same group in another Arc, as a group the listing lacks is made per entity.
            entity(
                EntityKind::Routes,
                json!({"id": "r-3", "name": "orders-route"}),
                &Arc::new((*dev).clone()),
            ),
            SearchItem {
                kind: None,
                id: "g2".into(),
                label: "Prod".into(),
                group: prod.clone(),
                terms: vec![("name", "prod".into()), ("id", "g2".into())],
            },
        ];
        let index = SearchIndex::new(items);
        assert_eq!(index.len(), 4);
        let shown = |q: &str| -> Vec<(String, String, String, String, String, String)> {
            index
                .search(q, 10)
                .into_iter()
                .map(|h| (h.kind, h.id, h.label, h.group_id, h.group_name, h.matched))
                .collect()
        };
        let row = |k: &str, id: &str, label: &str, g: &str, gn: &str, m: &str| {
            (k.into(), id.into(), label.into(), g.into(), gn.into(), m.into())
        };
        assert_eq!(
            shown("orders"),
            [
                row("services", "S-1", "Orders-API", "g1", "Dev", "name"),
                row("routes", "r-3", "orders-route", "g1", "Dev", "name"),
            ]
        );
        assert_eq!(shown("ursula"), [row("consumers", "c-2", "Ursula", "g2", "Prod", "name")]);
        assert_eq!(shown("g2"), [row("group", "g2", "Prod", "g2", "Prod", "id")]);
        assert_eq!(shown("s-1"), [row("services", "S-1", "Orders-API", "g1", "Dev", "id")]);
    }
}
