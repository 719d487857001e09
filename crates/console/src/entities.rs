//! A group's configuration entities, one list per kind, fetched with Konnect's offset paging and
//! cached so configuration can be reviewed offline.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::console::now;
use crate::{Console, ConsoleError, ErrorCode};

/// The kinds the Configuration view lists, by their core-entities path.
pub const KINDS: [&str; 11] = ["services", "routes", "consumers", "consumer_groups", "plugins", "upstreams", "certificates", "snis", "vaults", "keys", "key-sets"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntityList {
    pub group_id: String,
    pub kind: String,
    #[ts(type = "Array<Record<string, unknown>>")]
    pub rows: Vec<serde_json::Value>,
    pub fetched_at: String,
    pub offline_reason: Option<String>,
}

/// Every kind the console edits: the listed ones plus those that live under a parent.
pub const EDITABLE_KINDS: [&str; 14] = ["services", "routes", "consumers", "consumer_groups", "plugins", "upstreams", "targets", "certificates", "ca_certificates", "snis", "vaults", "keys", "key-sets", "key-auths"];

pub fn check_kind(kind: &str) -> Result<(), ConsoleError> {
    if EDITABLE_KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(ConsoleError::field("kind", format!("must be one of: {}", EDITABLE_KINDS.join(", "))))
    }
}

/// The core-entities path of a kind's collection for `body`: targets live under their upstream
/// and key-auth credentials under their consumer, as Konnect serves them.
fn collection_path(kind: &str, body: &serde_json::Value) -> Result<String, ConsoleError> {
    let parent = |field: &str, label: &str| body.get(field).and_then(|p| p.get("id").or(Some(p))).and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| ConsoleError::field(field, format!("A {label} is required.")));
    Ok(match kind {
        "targets" => format!("upstreams/{}/targets", parent("upstream", "upstream")?),
        "key-auths" => format!("consumers/{}/key-auth", parent("consumer", "consumer")?),
        k => k.to_string(),
    })
}

/// Writes fail with a clear reason offline; nothing is queued to be sent later.
fn write_error(e: konnect::KonnectError) -> ConsoleError {
    let mut err = ConsoleError::from(e);
    if err.code == ErrorCode::Offline {
        err.message = format!("Not saved: {} Changes can only be made while the control plane is reachable; nothing was queued.", err.message);
    }
    err
}

impl Console {
    /// Creates an entity; the API's field errors come back on the form's fields.
    pub async fn create_entity(&self, group_id: &str, kind: &str, body: serde_json::Value) -> Result<serde_json::Value, ConsoleError> {
        check_kind(kind)?;
        let path = collection_path(kind, &body)?;
        let created = self.client.create_entity(group_id, &path, &body).await.map_err(|e| self.note_refusal(group_id, kind, write_error(e)))?;
        self.cache.put_entity(self.profile().id(), group_id, kind, created.clone(), now()).await?;
        self.invalidate_search();
        Ok(created)
    }

    /// Changes the given fields of an entity. Konnect's core entities have no PATCH, only an
    /// upsert (PUT) of the whole entity, so the current one is read and the changes merged into it
    /// (a record field such as a plugin's `config` is merged one level deep).
    pub async fn update_entity(&self, group_id: &str, kind: &str, id: &str, changes: serde_json::Value) -> Result<serde_json::Value, ConsoleError> {
        check_kind(kind)?;
        let cached = self.cached_entity(group_id, kind, id).await?;
        let path = format!("{}/{id}", collection_path(kind, cached.as_ref().unwrap_or(&changes))?);
        let mut current = self.client.get_entity(group_id, &path).await.map_err(write_error)?;
        let (Some(cur), Some(ch)) = (current.as_object_mut(), changes.as_object()) else {
            return Err(ConsoleError::field("body", "An update is a set of fields."));
        };
        for (k, v) in ch {
            match (cur.get_mut(k), v) {
                (Some(serde_json::Value::Object(into)), serde_json::Value::Object(from)) => {
                    for (k2, v2) in from {
                        into.insert(k2.clone(), v2.clone());
                    }
                }
                _ => {
                    cur.insert(k.clone(), v.clone());
                }
            }
        }
        for f in ["id", "created_at", "updated_at"] {
            cur.remove(f);
        }
        // `url` is write-only shorthand; with host/port/path present it would conflict.
        if ch.contains_key("url") {
            for f in ["protocol", "host", "port", "path"] {
                if !ch.contains_key(f) {
                    cur.remove(f);
                }
            }
        }
        let updated = self.client.put_entity(group_id, &path, &current).await.map_err(|e| self.note_refusal(group_id, kind, write_error(e)))?;
        self.cache.put_entity(self.profile().id(), group_id, kind, updated.clone(), now()).await?;
        self.invalidate_search();
        Ok(updated)
    }

    /// Deletes an entity; one already gone counts as deleted.
    pub async fn delete_entity(&self, group_id: &str, kind: &str, id: &str) -> Result<(), ConsoleError> {
        check_kind(kind)?;
        let current = self.cached_entity(group_id, kind, id).await?;
        let path = match &current {
            Some(body) => format!("{}/{id}", collection_path(kind, body)?),
            None => format!("{kind}/{id}"),
        };
        match self.client.delete_entity(group_id, &path).await {
            Ok(()) => {}
            Err(konnect::KonnectError::Api(e)) if e.status == 404 => {}
            Err(e) => return Err(self.note_refusal(group_id, kind, write_error(e))),
        }
        // The cache drops what Kong's cascade deleted with it too.
        self.cache.remove_entity(self.profile().id(), group_id, kind, id).await?;
        self.invalidate_search();
        Ok(())
    }

    async fn cached_entity(&self, group_id: &str, kind: &str, id: &str) -> Result<Option<serde_json::Value>, ConsoleError> {
        Ok(self.cache.entities(self.profile().id(), group_id, Some(kind)).await?.into_iter().map(|(_, b, _)| b).find(|b| b.get("id").and_then(|v| v.as_str()) == Some(id)))
    }
}
