//! Entity rows in SQLite: list with offset paging and filters, get by id or endpoint key,
//! create/replace with uniqueness and reference checks, delete with Kong's cascade/restrict rules.

use rusqlite::types::Value as Sql;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::schema::{kind as kind_of, Kind, KINDS};
use super::validate::{ErrorType, FieldError, Validated};

#[derive(Debug)]
pub enum WriteError {
    /// Field or entity rule broken; Konnect's "validation error".
    Invalid(Vec<FieldError>),
    /// A unique value is taken; Konnect's "data constraint error".
    Unique(Vec<FieldError>),
    /// Delete refused: another entity depends on this one.
    Referenced(String),
    NotFound,
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        WriteError::Sql(e)
    }
}

/// List filters: tags (`a,b` all, `a/b` any) and the kind's name filter.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub tags_all: Vec<String>,
    pub tags_any: Vec<String>,
    pub name_eq: Option<String>,
    pub name_contains: Option<String>,
    /// Only entities whose `field` references `id` (nested paths like `services/{id}/routes`).
    pub parent: Option<(String, String)>,
    pub size: usize,
    pub after: Option<String>,
}

pub struct Page {
    pub bodies: Vec<String>,
    /// The last id of this page when more follow.
    pub next_after: Option<String>,
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn list(c: &Connection, cp: &str, kind: &Kind, q: &ListQuery) -> rusqlite::Result<Page> {
    let mut sql = String::from("SELECT e.id, e.body FROM entities e");
    let mut args: Vec<Sql> = Vec::new();
    if let Some((field, id)) = &q.parent {
        sql.push_str(
            " JOIN entity_refs r ON r.cp_id = e.cp_id AND r.kind = e.kind AND r.id = e.id AND \
                r.field = ? AND r.ref_id = ?",
        );
        args.push(Sql::Text(field.clone()));
        args.push(Sql::Text(id.clone()));
    }
    sql.push_str(" WHERE e.cp_id = ? AND e.kind = ? AND e.id > ?");
    args.extend([
        Sql::Text(cp.into()),
        Sql::Text(kind.path.into()),
        Sql::Text(q.after.clone().unwrap_or_default()),
    ]);
    if let (Some(field), Some(v)) = (kind.name_filter, &q.name_eq) {
        sql.push_str(&format!(" AND json_extract(e.body, '$.{field}') = ?"));
        args.push(Sql::Text(v.clone()));
    }
    if let (Some(field), Some(v)) = (kind.name_filter, &q.name_contains) {
        sql.push_str(&format!(
            " AND instr(lower(json_extract(e.body, '$.{field}')), lower(?)) > 0"
        ));
        args.push(Sql::Text(v.clone()));
    }
    for t in &q.tags_all {
        sql.push_str(" AND EXISTS (SELECT 1 FROM json_each(e.body, '$.tags') t WHERE t.value = ?)");
        args.push(Sql::Text(t.clone()));
    }
    if !q.tags_any.is_empty() {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM json_each(e.body, '$.tags') t WHERE t.value IN ({}))",
            vec!["?"; q.tags_any.len()].join(",")
        ));
        args.extend(q.tags_any.iter().cloned().map(Sql::Text));
    }
    sql.push_str(" ORDER BY e.id LIMIT ?");
    args.push(Sql::Integer(q.size as i64 + 1));
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows: Vec<(String, String)> = stmt
        .query_map(params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let next_after = if rows.len() > q.size {
        rows.truncate(q.size);
        rows.last().map(|(id, _)| id.clone())
    } else {
        None
    };
    Ok(Page { bodies: rows.into_iter().map(|(_, b)| b).collect(), next_after })
}

/// Resolves a path key (an id, or the kind's endpoint key such as a service name) to an id.
pub fn resolve_id(
    c: &Connection,
    cp: &str,
    kind: &Kind,
    key: &str,
) -> rusqlite::Result<Option<String>> {
    if uuid::Uuid::parse_str(key).is_ok() {
        let found: Option<String> = c
            .query_row(
                "SELECT id FROM entities WHERE cp_id = ?1 AND kind = ?2 AND id = ?3",
                params![cp, kind.path, key],
                |r| r.get(0),
            )
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    match kind.endpoint_key {
        Some(field) => c
            .query_row(
                "SELECT id FROM entity_unique WHERE cp_id = ?1 AND kind = ?2 AND field = ?3 AND \
                    value = ?4",
                params![cp, kind.path, field, key],
                |r| r.get(0),
            )
            .optional(),
        None => Ok(None),
    }
}

/// An entity's stored JSON text, as the API answers it.
pub fn get_text(
    c: &Connection,
    cp: &str,
    kind: &Kind,
    id: &str,
) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT body FROM entities WHERE cp_id = ?1 AND kind = ?2 AND id = ?3",
        params![cp, kind.path, id],
        |r| r.get(0),
    )
    .optional()
}

pub fn exists(c: &Connection, cp: &str, kind: &Kind, id: &str) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM entities WHERE cp_id = ?1 AND kind = ?2 AND id = ?3)",
        params![cp, kind.path, id],
        |r| r.get(0),
    )
}

pub fn get(c: &Connection, cp: &str, kind: &Kind, id: &str) -> rusqlite::Result<Option<Value>> {
    let body: Option<String> = c
        .query_row(
            "SELECT body FROM entities WHERE cp_id = ?1 AND kind = ?2 AND id = ?3",
            params![cp, kind.path, id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}

/// The values that must be unique within the group for this entity.
fn unique_values(kind: &Kind, e: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in kind.schema["fields"].as_array().into_iter().flatten() {
        let Some((name, attrs)) = f.as_object().and_then(|o| o.iter().next()) else { continue };
        if attrs["unique"].as_bool() == Some(true) {
            if let Some(v) = e.get(name).filter(|v| !v.is_null()) {
                out.push((
                    name.clone(),
                    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
                ));
            }
        }
    }
    if kind.path == "acls" {
        // Kong's acls cache key: a consumer is in a group once.
        let consumer = e.get("consumer").and_then(|v| v.get("id")).and_then(Value::as_str);
        let group = e.get("group").and_then(Value::as_str).unwrap_or("");
        out.push(("group".into(), format!("{}|{group}", consumer.unwrap_or(""))));
    }
    if kind.path == "plugins" {
        // One plugin of a name per scope (global, or a service/route/consumer/consumer group
        // combination).
        let id = |f: &str| {
            e.get(f).and_then(|v| v.get("id")).and_then(Value::as_str).unwrap_or("").to_string()
        };
        let name = e.get("name").and_then(Value::as_str).unwrap_or("");
        out.push((
            "_scope".into(),
            format!(
                "{name}|{}|{}|{}|{}",
                id("route"),
                id("service"),
                id("consumer"),
                id("consumer_group")
            ),
        ));
    }
    out
}

fn value_after_bar(value: &str) -> &str {
    value.split_once('|').map_or(value, |(_, v)| v)
}

/// Creates or replaces one entity in an open transaction. `id` is the entity's id (new or
/// existing).
pub fn write(
    c: &Connection,
    cp: &str,
    kind: &Kind,
    id: &str,
    v: Validated,
) -> Result<Value, WriteError> {
    let mut e = v.entity;
    let mut missing = Vec::new();
    for r in &v.references {
        let exists: bool = c
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM entities WHERE cp_id = ?1 AND kind = ?2 AND id = ?3)",
            )?
            .query_row(params![cp, r.kind, r.id], |row| row.get(0))?;
        if !exists {
            let singular = kind_of(r.kind).map(|k| k.singular).unwrap_or(r.kind);
            missing.push(FieldError {
                kind: ErrorType::Reference,
                field: r.field.clone(),
                message: format!("the referenced {singular} '{}' does not exist", r.id),
            });
        }
    }
    if !missing.is_empty() {
        return Err(WriteError::Invalid(missing));
    }
    // Only the creation time is read back, not the whole stored entity.
    let existing: Option<Option<Sql>> = c
        .prepare_cached(
            "SELECT json_extract(body, '$.created_at') FROM entities WHERE cp_id = ?1 AND kind = \
                ?2 AND id = ?3",
        )?
        .query_row(params![cp, kind.path, id], |r| r.get(0))
        .optional()?;
    let now = now_secs();
    let created_at = match existing.flatten() {
        Some(Sql::Integer(n)) => Value::from(n),
        Some(Sql::Real(f)) => Value::from(f),
        _ => Value::from(now),
    };
    e.insert("id".into(), Value::String(id.to_string()));
    let stamp =
        |n: i64| if kind.path == "targets" { Value::from(n as f64) } else { Value::from(n) };
    e.insert(
        "created_at".into(),
        if kind.path == "targets" {
            Value::from(created_at.as_f64().unwrap_or(now as f64))
        } else {
            created_at
        },
    );
    if super::schema::has_field(kind, "updated_at") {
        e.insert("updated_at".into(), stamp(now));
    }
    derived_fields(kind, &mut e);
    let mut taken = Vec::new();
    for (field, value) in unique_values(kind, &e) {
        let owner: Option<String> = c
            .prepare_cached(
                "SELECT id FROM entity_unique WHERE cp_id = ?1 AND kind = ?2 AND field = ?3 AND \
                    value = ?4",
            )?
            .query_row(params![cp, kind.path, field, value], |r| r.get(0))
            .optional()?;
        if owner.is_some_and(|o| o != id) {
            let message = if field == "_scope" {
                format!(
                    "a plugin named '{}' is already configured for this scope",
                    e.get("name").and_then(Value::as_str).unwrap_or("")
                )
            } else if kind.path == "acls" {
                format!("the consumer is already in the ACL group '{}'", value_after_bar(&value))
            } else {
                format!("{field} (type: unique) constraint failed")
            };
            taken.push(FieldError {
                kind: ErrorType::Field,
                field: if field == "_scope" { "name".into() } else { field },
                message,
            });
        }
    }
    if !taken.is_empty() {
        return Err(WriteError::Unique(taken));
    }
    c.prepare_cached("DELETE FROM entity_unique WHERE cp_id = ?1 AND kind = ?2 AND id = ?3")?
        .execute(params![cp, kind.path, id])?;
    c.prepare_cached("DELETE FROM entity_refs WHERE cp_id = ?1 AND kind = ?2 AND id = ?3")?
        .execute(params![cp, kind.path, id])?;
    for (field, value) in unique_values(kind, &e) {
        c.prepare_cached(
            "INSERT INTO entity_unique (cp_id, kind, field, value, id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![cp, kind.path, field, value, id])?;
    }
    for r in &v.references {
        c.prepare_cached(
            "INSERT INTO entity_refs (cp_id, kind, id, field, ref_kind, ref_id) VALUES (?1, ?2, \
                ?3, ?4, ?5, ?6)",
        )?
        .execute(params![cp, kind.path, id, r.field, r.kind, r.id])?;
    }
    let body = Value::Object(e);
    c.prepare_cached(
        "INSERT INTO entities (cp_id, kind, id, body) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (cp_id, \
            kind, id) DO UPDATE SET body = excluded.body",
    )?
    .execute(params![cp, kind.path, id, body.to_string()])?;
    bump_version(c, cp)?;
    Ok(body)
}

/// The values the store sets: Kong's generated `auto` strings (a credential's key or secret)
/// where none was given, a CA certificate's digest, and a basic-auth password hashed as Kong
/// hashes it, so the clear text is neither kept nor answered.
fn derived_fields(kind: &Kind, e: &mut Map<String, Value>) {
    for (name, attrs) in kind.schema["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f.as_object().into_iter().flatten())
    {
        let generated =
            attrs["auto"] == true && attrs["type"] == "string" && attrs["uuid"].is_null();
        if generated && e.get(name).is_none_or(Value::is_null) {
            e.insert(name.clone(), Value::String(uuid::Uuid::new_v4().simple().to_string()));
        }
    }
    let text = |e: &Map<String, Value>, f: &str| {
        e.get(f).and_then(Value::as_str).unwrap_or_default().to_string()
    };
    match kind.path {
        "ca_certificates" => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(text(e, "cert").trim().as_bytes());
            e.insert("cert_digest".into(), Value::String(hex::encode(digest)));
        }
        "basic-auths" => {
            let consumer = e.get("consumer").and_then(|c| c.get("id")).and_then(Value::as_str);
            let hash = basic_auth_hash(consumer.unwrap_or_default(), &text(e, "password"));
            e.insert("password".into(), Value::String(hash));
        }
        _ => {}
    }
}

/// Kong's `kong/plugins/basic-auth/crypto.lua`: hex SHA-1 of the password salted with the
/// consumer's id, which is what its data planes compare a presented password against.
pub fn basic_auth_hash(consumer_id: &str, password: &str) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(format!("{password}{consumer_id}").as_bytes()))
}

/// Deletes an entity and whatever cascades from it, or refuses when a dependent restricts it.
pub fn delete(c: &Connection, cp: &str, kind: &Kind, id: &str) -> Result<(), WriteError> {
    let exists: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM entities WHERE cp_id = ?1 AND kind = ?2 AND id = ?3)",
        params![cp, kind.path, id],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(WriteError::NotFound);
    }
    let mut doomed = vec![(kind.path.to_string(), id.to_string())];
    let mut i = 0;
    while i < doomed.len() {
        let (k, eid) = doomed[i].clone();
        let mut stmt = c.prepare_cached(
            "SELECT kind, id, field FROM entity_refs WHERE cp_id = ?1 AND ref_kind = ?2 AND ref_id \
                = ?3",
        )?;
        let deps: Vec<(String, String, String)> = stmt
            .query_map(params![cp, k, eid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (dk, did, field) in deps {
            let restrict =
                kind_of(&dk).map(|dkind| on_delete(dkind, &field) == "restrict").unwrap_or(false);
            if restrict {
                let singular = kind_of(&k).map(|x| x.singular).unwrap_or("entity");
                return Err(WriteError::Referenced(format!(
                    "an existing '{dk}' entity references this '{singular}' entity"
                )));
            }
            if !doomed.contains(&(dk.clone(), did.clone())) {
                doomed.push((dk, did));
            }
        }
        i += 1;
    }
    for (k, eid) in &doomed {
        c.execute(
            "DELETE FROM entities WHERE cp_id = ?1 AND kind = ?2 AND id = ?3",
            params![cp, k, eid],
        )?;
        c.execute(
            "DELETE FROM entity_unique WHERE cp_id = ?1 AND kind = ?2 AND id = ?3",
            params![cp, k, eid],
        )?;
        c.execute(
            "DELETE FROM entity_refs WHERE cp_id = ?1 AND kind = ?2 AND id = ?3",
            params![cp, k, eid],
        )?;
        match k.as_str() {
            "consumers" => c.execute(
                "DELETE FROM group_members WHERE cp_id = ?1 AND consumer_id = ?2",
                params![cp, eid],
            )?,
            "consumer_groups" => c.execute(
                "DELETE FROM group_members WHERE cp_id = ?1 AND group_id = ?2",
                params![cp, eid],
            )?,
            _ => 0,
        };
    }
    bump_version(c, cp)?;
    Ok(())
}

fn on_delete(kind: &Kind, field: &str) -> String {
    kind.schema["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|f| f.get(field))
        .and_then(|a| a["on_delete"].as_str())
        .unwrap_or("restrict")
        .to_string()
}

/// Each write moves the group's config version forward; the data plane link pushes on a change.
pub fn bump_version(c: &Connection, cp: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO config_state (cp_id, version, updated_at) VALUES (?1, 1, ?2) ON CONFLICT \
            (cp_id) DO UPDATE SET version = version + 1, updated_at = excluded.updated_at",
    )?
    .execute(params![cp, now_secs()])?;
    Ok(())
}

/// Consumer group membership: the consumers of a group, or the groups of a consumer.
fn membership(
    c: &Connection,
    cp: &str,
    listed_kind: &str,
    join_on: &str,
    filter_on: &str,
    id: &str,
) -> rusqlite::Result<Vec<Value>> {
    let sql = format!(
        "SELECT e.body FROM group_members m JOIN entities e ON e.cp_id = m.cp_id AND e.kind = ?3 \
            AND e.id = m.{join_on}
         WHERE m.cp_id = ?1 AND m.{filter_on} = ?2 ORDER BY e.id"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![cp, id, listed_kind], |r| r.get::<_, String>(0))?;
    Ok(rows.filter_map(|r| r.ok()).filter_map(|b| serde_json::from_str(&b).ok()).collect())
}

pub fn members_of_group(c: &Connection, cp: &str, group_id: &str) -> rusqlite::Result<Vec<Value>> {
    membership(c, cp, "consumers", "consumer_id", "group_id", group_id)
}

pub fn groups_of_consumer(
    c: &Connection,
    cp: &str,
    consumer_id: &str,
) -> rusqlite::Result<Vec<Value>> {
    membership(c, cp, "consumer_groups", "group_id", "consumer_id", consumer_id)
}

pub fn add_member(
    c: &Connection,
    cp: &str,
    group_id: &str,
    consumer_id: &str,
) -> rusqlite::Result<bool> {
    let added = c.execute(
        "INSERT OR IGNORE INTO group_members (cp_id, group_id, consumer_id, created_at) VALUES \
            (?1, ?2, ?3, ?4)",
        params![cp, group_id, consumer_id, now_secs()],
    )?;
    bump_version(c, cp)?;
    Ok(added > 0)
}

pub fn remove_members(
    c: &Connection,
    cp: &str,
    group_id: Option<&str>,
    consumer_id: Option<&str>,
) -> rusqlite::Result<usize> {
    let n = c.execute(
        "DELETE FROM group_members WHERE cp_id = ?1 AND (?2 IS NULL OR group_id = ?2) AND (?3 IS \
            NULL OR consumer_id = ?3)",
        params![cp, group_id, consumer_id],
    )?;
    bump_version(c, cp)?;
    Ok(n)
}

/// The group's whole configuration, kind by kind, for export and for the data plane push.
pub fn all_entities(
    c: &Connection,
    cp: &str,
) -> rusqlite::Result<Vec<(&'static Kind, Vec<Value>)>> {
    let mut out = Vec::new();
    for kind in KINDS.iter() {
        let mut stmt = c.prepare_cached(
            "SELECT body FROM entities WHERE cp_id = ?1 AND kind = ?2 ORDER BY id",
        )?;
        let rows: Vec<Value> = stmt
            .query_map(params![cp, kind.path], |r| r.get::<_, String>(0))?
            .filter_map(|r| r.ok())
            .filter_map(|b| serde_json::from_str(&b).ok())
            .collect();
        out.push((kind, rows));
    }
    Ok(out)
}
