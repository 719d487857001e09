//! The control plane's SQLite file: schema migrations and a handle that runs queries off the async
//! runtime.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// Each entry moves the schema one version forward; `PRAGMA user_version` records how far a file
/// is.
const MIGRATIONS: &[&str] = &[
    // 1: runtime groups, principals and their hashed access tokens, data plane nodes.
    "CREATE TABLE control_planes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        labels TEXT NOT NULL,
        cluster_type TEXT NOT NULL,
        auth_type TEXT NOT NULL,
        cloud_gateway INTEGER NOT NULL,
        proxy_urls TEXT NOT NULL,
        is_default INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
     );
     CREATE TABLE principals (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        org_admin INTEGER NOT NULL,
        created_at TEXT NOT NULL
     );
     CREATE TABLE access_tokens (
        hash TEXT PRIMARY KEY,
        principal_id TEXT NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
     );
     CREATE TABLE nodes (
        control_plane_id TEXT NOT NULL REFERENCES control_planes(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        version TEXT NOT NULL,
        hostname TEXT NOT NULL,
        ip TEXT NOT NULL,
        last_ping INTEGER NOT NULL,
        config_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (control_plane_id, id)
     );",
    // 2: configuration entities of every kind in one table, with their unique values and
    //    references kept beside them so uniqueness, existence and delete rules are indexed lookups.
    "CREATE TABLE entities (
        cp_id TEXT NOT NULL REFERENCES control_planes(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (cp_id, kind, id)
     ) WITHOUT ROWID;
     CREATE TABLE entity_unique (
        cp_id TEXT NOT NULL REFERENCES control_planes(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        id TEXT NOT NULL,
        PRIMARY KEY (cp_id, kind, field, value)
     ) WITHOUT ROWID;
     CREATE INDEX entity_unique_owner ON entity_unique (cp_id, kind, id);
     CREATE TABLE entity_refs (
        cp_id TEXT NOT NULL REFERENCES control_planes(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        field TEXT NOT NULL,
        ref_kind TEXT NOT NULL,
        ref_id TEXT NOT NULL,
        PRIMARY KEY (cp_id, kind, id, field)
     ) WITHOUT ROWID;
     CREATE INDEX entity_refs_target ON entity_refs (cp_id, ref_kind, ref_id);
     CREATE TABLE group_members (
        cp_id TEXT NOT NULL REFERENCES control_planes(id) ON DELETE CASCADE,
        group_id TEXT NOT NULL,
        consumer_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (cp_id, group_id, consumer_id)
     ) WITHOUT ROWID;
     CREATE INDEX group_members_consumer ON group_members (cp_id, consumer_id);
     CREATE TABLE config_state (
        cp_id TEXT PRIMARY KEY REFERENCES control_planes(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
     );",
    // 3: pinned data plane certificates, and analytics reported by runtimes (deduplicated by id).
    "CREATE TABLE dp_certs (
        cp_id TEXT NOT NULL REFERENCES control_planes(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        cert TEXT NOT NULL,
        title TEXT,
        fingerprint TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (cp_id, id)
     );
     CREATE INDEX dp_certs_fingerprint ON dp_certs (fingerprint);
     CREATE TABLE analytics_reports (
        cp_id TEXT NOT NULL,
        report_id TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (cp_id, report_id)
     ) WITHOUT ROWID;
     CREATE TABLE analytics (
        cp_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        service TEXT,
        route TEXT,
        consumer TEXT,
        status INTEGER NOT NULL,
        count INTEGER NOT NULL,
        series TEXT NOT NULL
     );
     CREATE INDEX analytics_time ON analytics (cp_id, bucket);
     CREATE INDEX analytics_bucket ON analytics (bucket);",
    // 4: identity: system accounts' named tokens, teams and their members, roles assigned per
    // group.
    "ALTER TABLE principals ADD COLUMN description TEXT NOT NULL DEFAULT '';
     ALTER TABLE principals ADD COLUMN updated_at TEXT;
     ALTER TABLE access_tokens ADD COLUMN id TEXT;
     ALTER TABLE access_tokens ADD COLUMN name TEXT;
     ALTER TABLE access_tokens ADD COLUMN expires_at TEXT;
     ALTER TABLE access_tokens ADD COLUMN updated_at TEXT;
     ALTER TABLE access_tokens ADD COLUMN last_used_at TEXT;
     CREATE TABLE teams (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        labels TEXT NOT NULL DEFAULT '{}',
        system_team INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
     );
     CREATE TABLE team_members (
        team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        principal_id TEXT NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        PRIMARY KEY (team_id, principal_id)
     );
     CREATE TABLE assigned_roles (
        id TEXT PRIMARY KEY,
        owner_kind TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        role_name TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        entity_type_name TEXT NOT NULL,
        entity_region TEXT NOT NULL,
        UNIQUE (owner_kind, owner_id, role_name, entity_id, entity_type_name)
     );
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 5: each group's config hash as last worked out, with the config version and hash format it
    // was worked out for, so a restart does not hash every group's whole config again.
    "CREATE TABLE config_hashes (
        cp_id TEXT PRIMARY KEY REFERENCES control_planes(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        format INTEGER NOT NULL,
        hash TEXT NOT NULL,
        hashes TEXT NOT NULL
     );",
];

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database task failed: {0}")]
    Join(String),
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // An entity write alone runs nine cached statements; rusqlite keeps 16 by default, which
        // paging, exports and writes together would keep pushing out of the cache.
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&conn)?;
        Ok(Store { conn: Arc::new(Mutex::new(conn)) })
    }

    /// The database file of the control plane whose data directory is `data_dir`.
    pub fn path_in(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("control-plane.sqlite")
    }

    /// Runs `f` on a blocking thread with the connection, so SQLite never stalls the async runtime.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<R, rusqlite::Error> + Send + 'static,
        R: Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard).map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Join(e.to_string()))?
    }
}

fn migrate(conn: &Connection) -> Result<(), rusqlite::Error> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        conn.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1))?;
    }
    Ok(())
}
