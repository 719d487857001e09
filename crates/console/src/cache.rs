//! The offline cache: a SQLite file holding the last synced state of each profile, with fetch
//! times.

use std::path::Path;
use std::sync::{Arc, Mutex};

use konnect::ControlPlane;
use rusqlite::{params, Connection, OptionalExtension};

/// Each entry moves the cache schema one version forward (`PRAGMA user_version`).
const MIGRATIONS: &[&str] = &[
    // 1: runtime groups per profile with their instance counts, and each profile's last sync.
    "CREATE TABLE groups (
        profile_id TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        active_instances INTEGER NOT NULL,
        total_instances INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (profile_id, id)
     );
     CREATE TABLE sync_state (
        profile_id TEXT PRIMARY KEY,
        synced_at TEXT,
        last_error TEXT,
        last_error_at TEXT
     );",
    // 2: each group's runtime instances as last fetched, and how many were in sync.
    "ALTER TABLE groups ADD COLUMN in_sync_instances INTEGER NOT NULL DEFAULT 0;
     CREATE TABLE instances (
        profile_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        body TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (profile_id, group_id)
     );",
    // 3: other cached views (dashboards per group and time frame), by key.
    "CREATE TABLE views (
        profile_id TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (profile_id, key)
     );",
    // 4: instances are cached as views like the others; their own table goes.
    "DROP TABLE instances;",
    // 5: every entity of every synced group, and the config hash each group was synced at.
    "CREATE TABLE entities (
        profile_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        body TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (profile_id, group_id, kind, id)
     );
     CREATE TABLE group_sync (
        profile_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (profile_id, group_id)
     );",
    // 6: Kong's schemas each group's API served (`plugins/{name}`, an entity kind, the available
    // plugins), for forms offline.
    "CREATE TABLE schemas (
        profile_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (profile_id, group_id, name)
     );",
];

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cached data is unreadable: {0}")]
    Corrupt(String),
    #[error("cache task failed: {0}")]
    Join(String),
}

/// A group as last fetched, with its instance counts at that time.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedGroup {
    pub group: ControlPlane,
    pub active_instances: i64,
    pub total_instances: i64,
    pub in_sync_instances: i64,
    pub fetched_at: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncState {
    pub synced_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

#[derive(Clone)]
pub struct Cache {
    conn: Arc<Mutex<Connection>>,
    /// A second, read-only connection for what a page shows at once: with WAL it reads the last
    /// commit while a sync writes through `conn`, instead of queueing behind the sync's writes.
    reader: Arc<Mutex<Connection>>,
}

// The statements the cache runs more than a line long, named by what they do.

const INSERT_ENTITY: &str =
    "INSERT OR REPLACE INTO entities (profile_id, group_id, kind, id, body, fetched_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

const INSERT_VIEW: &str =
    "INSERT OR REPLACE INTO views (profile_id, key, body, fetched_at) VALUES (?1, ?2, ?3, ?4)";

const INSERT_GROUP_SYNC: &str =
    "INSERT OR REPLACE INTO group_sync (profile_id, group_id, config_hash, synced_at) VALUES \
    (?1, ?2, ?3, ?4)";

const INSERT_SCHEMA: &str =
    "INSERT OR REPLACE INTO schemas (profile_id, group_id, name, body, fetched_at) VALUES \
    (?1, ?2, ?3, ?4, ?5)";

const SELECT_SCHEMA: &str =
    "SELECT body, fetched_at FROM schemas WHERE profile_id = ?1 AND group_id = ?2 AND name = ?3";

const DELETE_GROUP_SCHEMAS: &str = "DELETE FROM schemas WHERE profile_id = ?1 AND group_id = ?2";

const DELETE_GROUP_ENTITIES: &str = "DELETE FROM entities WHERE profile_id = ?1 AND group_id = ?2";

/// A group's instances view and its dashboards (keys from ?3 up to ?4: see `prefix_end`).
const DELETE_GROUP_VIEWS: &str =
    "DELETE FROM views WHERE profile_id = ?1 AND (key = ?2 OR (key >= ?3 AND key < ?4))";

/// The views under a prefix, in key order (keys from ?2 up to ?3: see `prefix_end`).
const SELECT_VIEWS_UNDER: &str = "SELECT key, fetched_at FROM views WHERE profile_id = ?1 \
    AND key >= ?2 AND key < ?3 ORDER BY key";

/// The least string above every string that starts with `prefix` (its last character moved up
/// one), so that the keys under a prefix are read as a range of the key's index, a seek, where
/// comparing each key's start scanned every view (the dashboards' check after a sync read all
/// views once per group: 500 groups × 1,000 views). SQLite compares text as UTF-8 bytes, in code
/// point order. An empty prefix, or one of `char::MAX` alone, has no such string: a run of
/// `char::MAX` one longer stands in (the app's keys are ASCII).
fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    char::MAX.to_string().repeat(prefix.chars().count() + 1)
}

const DELETE_KIND: &str =
    "DELETE FROM entities WHERE profile_id = ?1 AND group_id = ?2 AND kind = ?3";

const DELETE_ENTITY: &str =
    "DELETE FROM entities WHERE profile_id = ?1 AND group_id = ?2 AND kind = ?3 AND id = ?4";

const DELETE_REFERRING: &str =
    "DELETE FROM entities WHERE profile_id = ?1 AND group_id = ?2 AND body LIKE ?3";

const SELECT_ENTITIES: &str =
    "SELECT kind, body, fetched_at FROM entities WHERE profile_id = ?1 AND group_id = ?2 AND \
    (?3 IS NULL OR kind = ?3) ORDER BY rowid";

/// SELECT_ENTITIES' bodies of one kind, the first ?4 of them (-1: all).
const SELECT_ENTITY_BODIES: &str =
    "SELECT kind, body, fetched_at FROM entities WHERE profile_id = ?1 AND group_id = ?2 AND \
    kind = ?3 ORDER BY rowid LIMIT ?4";

const SELECT_GROUPS: &str =
    "SELECT body, active_instances, total_instances, fetched_at, in_sync_instances FROM \
    groups WHERE profile_id = ?1 ORDER BY lower(name)";

const INSERT_GROUP: &str =
    "INSERT OR REPLACE INTO groups (profile_id, id, name, body, active_instances, \
    total_instances, fetched_at, in_sync_instances) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

const SYNC_SUCCEEDED: &str =
    "INSERT INTO sync_state (profile_id, synced_at, last_error, last_error_at) VALUES (?1, \
    ?2, NULL, NULL) ON CONFLICT(profile_id) DO UPDATE SET synced_at = excluded.synced_at, \
    last_error = NULL, last_error_at = NULL";

const SYNC_FAILED: &str =
    "INSERT INTO sync_state (profile_id, synced_at, last_error, last_error_at) VALUES (?1, \
    NULL, ?2, ?3) ON CONFLICT(profile_id) DO UPDATE SET last_error = excluded.last_error, \
    last_error_at = excluded.last_error_at";

fn corrupt(e: serde_json::Error) -> CacheError {
    CacheError::Corrupt(e.to_string())
}

impl Cache {
    pub fn open(path: &Path) -> Result<Cache, CacheError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // With WAL, NORMAL still commits atomically (a crash loses at most the last commits, never
        // half of one); what it skips is an fsync per commit, which a re-fetchable cache can spare.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1))?;
        }
        let reader = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Ok(Cache { conn: Arc::new(Mutex::new(conn)), reader: Arc::new(Mutex::new(reader)) })
    }

    /// Runs `f` on the read-only connection (a page's first paint from the cache).
    async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, CacheError> + Send + 'static,
    ) -> Result<R, CacheError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || f(&reader.lock().unwrap_or_else(|p| p.into_inner())))
            .await
            .map_err(|e| CacheError::Join(e.to_string()))?
    }

    async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, CacheError> + Send + 'static,
    ) -> Result<R, CacheError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || f(&mut conn.lock().unwrap_or_else(|p| p.into_inner())))
            .await
            .map_err(|e| CacheError::Join(e.to_string()))?
    }

    /// Replaces a profile's groups with a fresh listing in one transaction: readers see all old or
    /// all new. A group the listing lacks (deleted in Konnect, or committed by a sync killed
    /// before its listing and deleted since) loses its entities, hash, views and schemas in the
    /// same transaction: otherwise they stay searchable, under no group, for good.
    pub async fn replace_groups(
        &self,
        profile: &str,
        groups: Vec<CachedGroup>,
        synced_at: String,
    ) -> Result<(), CacheError> {
        let profile = profile.to_string();
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM groups WHERE profile_id = ?1", params![profile])?;
            for g in &groups {
                insert_group(&tx, &profile, g)?;
            }
            let listed: std::collections::HashSet<&str> =
                groups.iter().map(|g| g.group.id.as_str()).collect();
            for id in cached_group_ids(&tx, &profile)? {
                if !listed.contains(id.as_str()) {
                    forget_group(&tx, &profile, &id)?;
                }
            }
            tx.execute(SYNC_SUCCEEDED, params![profile, synced_at])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn upsert_group(&self, profile: &str, group: CachedGroup) -> Result<(), CacheError> {
        let profile = profile.to_string();
        self.call(move |c| insert_group(c, &profile, &group).map_err(CacheError::from)).await
    }

    pub async fn remove_group(&self, profile: &str, id: &str) -> Result<(), CacheError> {
        let (profile, id) = (profile.to_string(), id.to_string());
        self.call(move |c| {
            let tx = c.transaction()?;
            forget_group(&tx, &profile, &id)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Remembers why the last sync failed, keeping the previous data and its sync time.
    pub async fn record_sync_error(
        &self,
        profile: &str,
        error: String,
        at: String,
    ) -> Result<(), CacheError> {
        let profile = profile.to_string();
        self.call(move |c| {
            c.execute(SYNC_FAILED, params![profile, error, at])?;
            Ok(())
        })
        .await
    }

    pub async fn groups(&self, profile: &str) -> Result<Vec<CachedGroup>, CacheError> {
        let profile = profile.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(SELECT_GROUPS)?;
            let rows = stmt.query_map(params![profile], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (body, active_instances, total_instances, fetched_at, in_sync_instances) = row?;
                let group = serde_json::from_str(&body).map_err(corrupt)?;
                out.push(CachedGroup {
                    group,
                    active_instances,
                    total_instances,
                    in_sync_instances,
                    fetched_at,
                });
            }
            Ok(out)
        })
        .await
    }

    pub async fn sync_state(&self, profile: &str) -> Result<SyncState, CacheError> {
        let profile = profile.to_string();
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT synced_at, last_error, last_error_at FROM sync_state WHERE profile_id = ?1",
                params![profile],
                |r| {
                    Ok(SyncState {
                        synced_at: r.get(0)?,
                        last_error: r.get(1)?,
                        last_error_at: r.get(2)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
        })
        .await
    }
}

/// Every row of one group: its listing row, entities, schemas, synced hash and views.
fn forget_group(c: &Connection, profile: &str, id: &str) -> rusqlite::Result<()> {
    c.execute("DELETE FROM groups WHERE profile_id = ?1 AND id = ?2", params![profile, id])?;
    c.execute(DELETE_GROUP_ENTITIES, params![profile, id])?;
    c.execute(DELETE_GROUP_SCHEMAS, params![profile, id])?;
    c.execute(
        "DELETE FROM group_sync WHERE profile_id = ?1 AND group_id = ?2",
        params![profile, id],
    )?;
    // The trailing colon keeps another group whose id starts with this one.
    let (instances, dashboards) = (format!("instances:{id}"), format!("dashboard:{id}:"));
    let dashboards_end = prefix_end(&dashboards);
    c.execute(DELETE_GROUP_VIEWS, params![profile, instances, dashboards, dashboards_end])?;
    Ok(())
}

/// Every group the profile's cached rows belong to. Entities and schemas are read one index seek
/// per group (the next id after the last), not a scan of every row: this runs at every sync.
fn cached_group_ids(
    c: &Connection,
    profile: &str,
) -> rusqlite::Result<std::collections::BTreeSet<String>> {
    let mut ids = std::collections::BTreeSet::new();
    for table in ["entities", "schemas", "group_sync"] {
        let mut next = c.prepare_cached(&format!(
            "SELECT group_id FROM {table} WHERE profile_id = ?1 AND group_id > ?2 \
             ORDER BY group_id LIMIT 1"
        ))?;
        let mut after = String::new();
        while let Some(id) =
            next.query_row(params![profile, after], |r| r.get::<_, String>(0)).optional()?
        {
            ids.insert(id.clone());
            after = id;
        }
    }
    let mut keys = c.prepare_cached("SELECT key FROM views WHERE profile_id = ?1")?;
    for key in keys.query_map(params![profile], |r| r.get::<_, String>(0))? {
        let key = key?;
        let group = match key.split_once(':') {
            Some(("instances", id)) => Some(id),
            Some(("dashboard", rest)) => rest.split(':').next(),
            _ => None,
        };
        ids.extend(group.map(str::to_string));
    }
    Ok(ids)
}

fn insert_group(c: &Connection, profile: &str, g: &CachedGroup) -> rusqlite::Result<()> {
    let body = serde_json::to_string(&g.group).unwrap_or_default();
    c.execute(
        INSERT_GROUP,
        params![
            profile,
            g.group.id,
            g.group.name,
            body,
            g.active_instances,
            g.total_instances,
            g.fetched_at,
            g.in_sync_instances
        ],
    )?;
    Ok(())
}

impl Cache {
    pub async fn put_view(
        &self,
        profile: &str,
        key: &str,
        body: String,
        fetched_at: String,
    ) -> Result<(), CacheError> {
        let (profile, key) = (profile.to_string(), key.to_string());
        self.call(move |c| {
            c.execute(INSERT_VIEW, params![profile, key, body, fetched_at])?;
            Ok(())
        })
        .await
    }

    /// The cached views whose key starts with `prefix`: (key, fetched at).
    pub async fn views_under(
        &self,
        profile: &str,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, CacheError> {
        let (profile, prefix) = (profile.to_string(), prefix.to_string());
        self.call(move |c| {
            let mut q = c.prepare_cached(SELECT_VIEWS_UNDER)?;
            let end = prefix_end(&prefix);
            let rows =
                q.query_map(params![profile, prefix, end], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub async fn view(&self, profile: &str, key: &str) -> Result<Option<String>, CacheError> {
        let (profile, key) = (profile.to_string(), key.to_string());
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT body FROM views WHERE profile_id = ?1 AND key = ?2",
                params![profile, key],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }
}

/// One group's configuration as fetched in one sync: every kind's rows and the hash they match.
/// A group's last full fetch: the config hash it was fetched at and when (RFC 3339).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncedAt {
    pub config_hash: String,
    pub synced_at: String,
}

#[derive(Debug, Clone, Default)]
pub struct GroupSnapshot {
    pub group_id: String,
    pub config_hash: String,
    /// (kind, entity) with the entity's JSON text as the API sent it.
    pub entities: Vec<(String, konnect::RawEntity)>,
    /// The runtime instances view, stored with the entities so both are of the same moment.
    pub instances_view: Option<String>,
    pub fetched_at: String,
}

impl Cache {
    /// Replaces a group's entities (and its instances view and synced hash) in one transaction:
    /// a crash or a cancel leaves the group wholly as it was or wholly as fetched.
    pub async fn commit_group(&self, profile: &str, snap: GroupSnapshot) -> Result<(), CacheError> {
        let profile = profile.to_string();
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(DELETE_GROUP_ENTITIES, params![profile, snap.group_id])?;
            {
                let mut ins = tx.prepare_cached(INSERT_ENTITY)?;
                for (kind, e) in &snap.entities {
                    ins.execute(params![
                        profile,
                        snap.group_id,
                        kind,
                        e.id,
                        e.json,
                        snap.fetched_at
                    ])?;
                }
            }
            if let Some(view) = &snap.instances_view {
                let key = format!("instances:{}", snap.group_id);
                tx.execute(INSERT_VIEW, params![profile, key, view, snap.fetched_at])?;
            }
            tx.execute(
                INSERT_GROUP_SYNC,
                params![profile, snap.group_id, snap.config_hash, snap.fetched_at],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Replaces one kind's rows of a group (a live list of that kind), in one transaction.
    pub async fn replace_kind(
        &self,
        profile: &str,
        group_id: &str,
        kind: &str,
        rows: Vec<serde_json::Value>,
        fetched_at: String,
    ) -> Result<(), CacheError> {
        let (profile, group_id, kind) =
            (profile.to_string(), group_id.to_string(), kind.to_string());
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(DELETE_KIND, params![profile, group_id, kind])?;
            {
                let mut ins = tx.prepare_cached(INSERT_ENTITY)?;
                for body in &rows {
                    let id = body.get("id").and_then(|v| v.as_str()).unwrap_or_default();
                    ins.execute(params![
                        profile,
                        group_id,
                        kind,
                        id,
                        body.to_string(),
                        fetched_at
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Writes one entity after a successful create or update.
    pub async fn put_entity(
        &self,
        profile: &str,
        group_id: &str,
        kind: &str,
        body: serde_json::Value,
        fetched_at: String,
    ) -> Result<(), CacheError> {
        let (profile, group_id, kind) =
            (profile.to_string(), group_id.to_string(), kind.to_string());
        self.call(move |c| {
            let id = body.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
            c.execute(
                INSERT_ENTITY,
                params![profile, group_id, kind, id, body.to_string(), fetched_at],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn remove_entity(
        &self,
        profile: &str,
        group_id: &str,
        kind: &str,
        id: &str,
    ) -> Result<(), CacheError> {
        let (profile, group_id, kind, id) =
            (profile.to_string(), group_id.to_string(), kind.to_string(), id.to_string());
        self.call(move |c| {
            let tx = c.transaction()?;
            tx.execute(DELETE_ENTITY, params![profile, group_id, kind, id])?;
            // Kong cascades a delete to what references the entity (a service's routes and
            // plugins); a reference is stored as `{"id":"…"}` and nothing else.
            let reference = format!("%{{\"id\":\"{id}\"}}%");
            tx.execute(DELETE_REFERRING, params![profile, group_id, reference])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// A group's entities of one kind (or every kind with `None`), with when they were fetched.
    pub async fn entities(
        &self,
        profile: &str,
        group_id: &str,
        kind: Option<&str>,
    ) -> Result<Vec<(String, serde_json::Value, String)>, CacheError> {
        let (profile, group_id, kind) =
            (profile.to_string(), group_id.to_string(), kind.map(str::to_string));
        self.read(move |c| {
            let mut stmt = c.prepare_cached(SELECT_ENTITIES)?;
            let rows = stmt.query_map(params![profile, group_id, kind], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (kind, body, at) = row?;
                out.push((kind, serde_json::from_str(&body).map_err(corrupt)?, at));
            }
            Ok(out)
        })
        .await
    }

    /// A group's cached entities of one kind (the `first` of them in the API's order, or all) as
    /// one JSON array of their bodies as stored, and when the newest was fetched; None when none
    /// are cached. Nothing is parsed here.
    pub async fn entity_bodies_json(
        &self,
        profile: &str,
        group_id: &str,
        kind: &str,
        first: Option<usize>,
    ) -> Result<Option<(String, String)>, CacheError> {
        let (profile, group_id, kind) =
            (profile.to_string(), group_id.to_string(), kind.to_string());
        let limit = first.map_or(-1, |n| n as i64);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(SELECT_ENTITY_BODIES)?;
            let mut rows = stmt.query(params![profile, group_id, kind, limit])?;
            let (mut array, mut newest) = (String::from("["), String::new());
            while let Some(r) = rows.next()? {
                if array.len() > 1 {
                    array.push(',');
                }
                array.push_str(
                    r.get_ref(1)?.as_str().map_err(|e| CacheError::Corrupt(e.to_string()))?,
                );
                let at = r.get_ref(2)?.as_str().map_err(|e| CacheError::Corrupt(e.to_string()))?;
                if at > newest.as_str() {
                    newest = at.to_string();
                }
            }
            array.push(']');
            Ok((!newest.is_empty()).then_some((array, newest)))
        })
        .await
    }

    /// Maps every cached entity of the profile (group id, kind, body) as it is read, so only
    /// the results are held, never every body at once.
    pub async fn map_entities<T: Send + 'static>(
        &self,
        profile: &str,
        f: impl Fn(&str, &str, &serde_json::Value) -> Option<T> + Send + 'static,
    ) -> Result<Vec<T>, CacheError> {
        let profile = profile.to_string();
        self.call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT group_id, kind, body FROM entities WHERE profile_id = ?1",
            )?;
            let mut rows = stmt.query(params![profile])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let (g, k, body): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let v: serde_json::Value =
                    serde_json::from_str(&body).map_err(|e| CacheError::Corrupt(e.to_string()))?;
                out.extend(f(&g, &k, &v));
            }
            Ok(out)
        })
        .await
    }

    /// Every group's last full fetch (its config hash then, and when), read once at the start of
    /// a sync (so no group waits on the cache, busy with another group's commit, before it starts
    /// fetching).
    pub async fn synced_hashes(
        &self,
        profile: &str,
    ) -> Result<std::collections::HashMap<String, SyncedAt>, CacheError> {
        let profile = profile.to_string();
        self.call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT group_id, config_hash, synced_at FROM group_sync WHERE profile_id = ?1",
            )?;
            let rows = stmt.query_map(params![profile], |r| {
                Ok((r.get(0)?, SyncedAt { config_hash: r.get(1)?, synced_at: r.get(2)? }))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// The config hash a group was last synced at.
    pub async fn synced_hash(
        &self,
        profile: &str,
        group_id: &str,
    ) -> Result<Option<String>, CacheError> {
        let (profile, group_id) = (profile.to_string(), group_id.to_string());
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT config_hash FROM group_sync WHERE profile_id = ?1 AND group_id = ?2",
                params![profile, group_id],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }
}

impl Cache {
    /// Keeps a schema as the API served it (JSON text), replacing an older copy.
    pub async fn put_schema(
        &self,
        profile: &str,
        group_id: &str,
        name: &str,
        body: String,
        fetched_at: String,
    ) -> Result<(), CacheError> {
        let (profile, group_id, name) =
            (profile.to_string(), group_id.to_string(), name.to_string());
        self.call(move |c| {
            c.execute(INSERT_SCHEMA, params![profile, group_id, name, body, fetched_at])?;
            Ok(())
        })
        .await
    }

    /// A cached schema's JSON text and when it was fetched.
    pub async fn schema(
        &self,
        profile: &str,
        group_id: &str,
        name: &str,
    ) -> Result<Option<(String, String)>, CacheError> {
        let (profile, group_id, name) =
            (profile.to_string(), group_id.to_string(), name.to_string());
        self.call(move |c| {
            Ok(c.query_row(SELECT_SCHEMA, params![profile, group_id, name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
        })
        .await
    }

    /// The names of a group's cached schemas, sorted.
    pub async fn schema_names(
        &self,
        profile: &str,
        group_id: &str,
    ) -> Result<Vec<String>, CacheError> {
        let (profile, group_id) = (profile.to_string(), group_id.to_string());
        self.call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT name FROM schemas WHERE profile_id = ?1 AND group_id = ?2 ORDER BY name",
            )?;
            let rows = stmt.query_map(params![profile, group_id], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}

impl Cache {
    /// Forgets everything fetched, for every profile, as a first run finds the cache. The file
    /// is then rewritten without the freed pages and its write-ahead log emptied, so what was
    /// deleted is not left readable on disk.
    pub async fn clear(&self) -> Result<(), CacheError> {
        self.call(|c| {
            let tx = c.transaction()?;
            // Every table of the cache holds fetched data: listed from the file itself, a table a
            // later migration adds is cleared too.
            let tables: Vec<String> = tx
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE \
                     'sqlite_%'",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for table in &tables {
                tx.execute(&format!("DELETE FROM \"{table}\""), [])?;
            }
            tx.commit()?;
            // Another connection reading at this moment makes these busy; the rows are gone
            // regardless, and the space is reused by the next sync.
            let compacted = c
                .execute_batch("VACUUM")
                .and_then(|()| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())));
            if let Err(e) = compacted {
                tracing::warn!("the emptied cache was not compacted: {e}");
            }
            Ok(())
        })
        .await
    }
}

/// A cached group as a sync leaves it, for the cache's and its users' unit tests.
#[cfg(test)]
pub(crate) fn test_group(id: &str, name: &str) -> CachedGroup {
    let body = serde_json::json!({
        "id": id,
        "name": name,
        "config": {
            "control_plane_endpoint": "https://cp.example",
            "telemetry_endpoint": "https://tp.example",
            "cluster_type": "CLUSTER_TYPE_HYBRID",
            "auth_type": "pinned_client_certs",
            "cloud_gateway": false
        },
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z"
    });
    CachedGroup {
        group: serde_json::from_value(body).unwrap(),
        active_instances: 0,
        total_instances: 0,
        in_sync_instances: 0,
        fetched_at: "2026-01-01T00:00:00Z".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_prefix_bounds_exactly_the_keys_under_it() {
        for (prefix, end) in [
            ("dashboard:g1:", "dashboard:g1;"),
            ("a", "b"),
            ("", "\u{10FFFF}"),
            ("x\u{D7FF}", "x\u{E000}"),
            ("x\u{10FFFF}", "y"),
        ] {
            assert_eq!(prefix_end(prefix), end, "{prefix:?}");
        }
        let (prefix, end) = ("dashboard:g1:", prefix_end("dashboard:g1:"));
        let under = ["dashboard:g1:", "dashboard:g1:15m", "dashboard:g1:\u{10FFFF}"];
        let outside = ["dashboard:g1", "dashboard:g10:15m", "dashboard:g2:15m", "dashboard:g1;"];
        for key in under {
            assert!(key.starts_with(prefix) && *key >= *prefix && *key < *end, "{key:?}");
        }
        for key in outside {
            assert!(!key.starts_with(prefix) && (*key < *prefix || *key >= *end), "{key:?}");
        }
    }

    fn group(id: &str) -> CachedGroup {
        test_group(id, id)
    }

    #[tokio::test]
    async fn the_views_under_a_prefix_are_its_keys_alone() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache.sqlite")).unwrap();
        let views = [
            ("p", "dashboard:a:1h"),
            ("p", "dashboard:a:15m"),
            ("p", "dashboard:a2:15m"),
            ("p", "dashboard:a;"),
            ("p", "instances:a"),
            ("other", "dashboard:a:24h"),
        ];
        for (profile, key) in views {
            cache.put_view(profile, key, "{}".into(), "t".into()).await.unwrap();
        }
        let under = cache.views_under("p", "dashboard:a:").await.unwrap();
        let keys: Vec<&str> = under.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["dashboard:a:15m", "dashboard:a:1h"]);
    }

    /// A group synced as a sync leaves it: entities, hash, instances view, a dashboard, a schema.
    async fn synced(cache: &Cache, profile: &str, id: &str) {
        let service = konnect::RawEntity { id: "s1".into(), json: r#"{"id":"s1"}"#.into() };
        let snap = GroupSnapshot {
            group_id: id.into(),
            config_hash: format!("hash-{id}"),
            entities: vec![("services".into(), service)],
            instances_view: Some("{}".into()),
            fetched_at: "t".into(),
        };
        cache.commit_group(profile, snap).await.unwrap();
        cache
            .put_view(profile, &format!("dashboard:{id}:15m"), "{}".into(), "t".into())
            .await
            .unwrap();
        cache.put_schema(profile, id, "plugins/cors", "{}".into(), "t".into()).await.unwrap();
    }

    /// What is cached of a group besides its row: (entities, synced hash, instances view,
    /// dashboard, schema) present.
    async fn held(cache: &Cache, profile: &str, id: &str) -> [bool; 5] {
        [
            !cache.entities(profile, id, None).await.unwrap().is_empty(),
            cache.synced_hash(profile, id).await.unwrap().is_some(),
            cache.view(profile, &format!("instances:{id}")).await.unwrap().is_some(),
            cache.view(profile, &format!("dashboard:{id}:15m")).await.unwrap().is_some(),
            cache.schema(profile, id, "plugins/cors").await.unwrap().is_some(),
        ]
    }

    #[tokio::test]
    async fn a_whole_sync_keeps_nothing_of_a_group_it_did_not_list() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("cache.sqlite")).unwrap();
        for profile in ["p", "other"] {
            let listing = vec![group("a"), group("a2"), group("b")];
            cache.replace_groups(profile, listing, "t1".into()).await.unwrap();
            for id in ["a", "a2", "b"] {
                synced(&cache, profile, id).await;
            }
        }
        // c was committed by a sync killed before it wrote the listing, then deleted in Konnect.
        synced(&cache, "p", "c").await;

        // a was deleted in Konnect: the next whole sync lists a2 and b.
        cache.replace_groups("p", vec![group("a2"), group("b")], "t2".into()).await.unwrap();

        let listed: Vec<_> =
            cache.groups("p").await.unwrap().into_iter().map(|g| g.group.id).collect();
        assert_eq!(listed, ["a2", "b"]);
        assert_eq!(held(&cache, "p", "a").await, [false; 5], "nothing of a is left to search");
        assert_eq!(held(&cache, "p", "c").await, [false; 5], "nor of c, never listed");
        assert_eq!(held(&cache, "p", "a2").await, [true; 5], "a2 is not a's (a prefix)");
        assert_eq!(held(&cache, "p", "b").await, [true; 5]);
        assert_eq!(held(&cache, "other", "a").await, [true; 5], "another profile's a is kept");
        assert_eq!(cache.sync_state("p").await.unwrap().synced_at.as_deref(), Some("t2"));
    }
}
