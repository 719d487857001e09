//! A group's configuration entities, one list per kind, fetched with Konnect's offset paging and
//! cached so configuration can be reviewed offline.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::timestamp::now;
use crate::vocabulary::{EntityKind, Term};
use crate::{Console, ConsoleError, ErrorCode};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntityList {
    pub group_id: String,
    pub kind: EntityKind,
    #[ts(type = "Array<Record<string, unknown>>")]
    pub rows: Vec<serde_json::Value>,
    pub fetched_at: String,
    pub offline_reason: Option<String>,
}

/// An `EntityList` already written as JSON: a cached list goes to the UI with its bodies as
/// stored, not parsed into values and written out again (10,000 routes: 35-45 ms in all).
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct EntityListJson(#[ts(as = "EntityList")] pub Box<serde_json::value::RawValue>);

/// `EntityList`'s shape over borrowed parts, to write one without owning its rows as values.
#[derive(Serialize)]
pub(crate) struct EntityListOf<'a, Rows: Serialize + ?Sized> {
    pub group_id: &'a str,
    pub kind: EntityKind,
    pub rows: &'a Rows,
    pub fetched_at: &'a str,
    pub offline_reason: Option<&'a str>,
}

/// Every kind the console edits: all of them (kept for callers that count them).
pub const EDITABLE_KINDS: [EntityKind; 18] = EntityKind::ALL;

/// The core-entities path of a kind's collection for `body`: targets live under their upstream
/// and credentials under their consumer, as Konnect serves them (Konnect's spec has the
/// consumer-scoped create for every credential kind, the top-level one only for some).
fn collection_path(kind: EntityKind, body: &serde_json::Value) -> Result<String, ConsoleError> {
    let parent = |field: &str, label: &str| {
        body.get(field)
            .and_then(|p| p.get("id").or(Some(p)))
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| ConsoleError::field(field, format!("A {label} is required.")))
    };
    Ok(match kind {
        EntityKind::Targets => format!("upstreams/{}/targets", parent("upstream", "upstream")?),
        k => match credential_segment(k) {
            Some(segment) => format!("consumers/{}/{segment}", parent("consumer", "consumer")?),
            None => k.path().to_string(),
        },
    })
}

/// A credential kind's collection under its consumer (`/consumers/{id}/basic-auth`, …).
fn credential_segment(kind: EntityKind) -> Option<&'static str> {
    Some(match kind {
        EntityKind::KeyAuths => "key-auth",
        EntityKind::BasicAuths => "basic-auth",
        EntityKind::Jwts => "jwt",
        EntityKind::HmacAuths => "hmac-auth",
        EntityKind::Acls => "acls",
        _ => return None,
    })
}

/// A service's `url` shorthand, written out as the `protocol`, `host`, `port` and `path` Kong
/// stores: Konnect's schema requires `host`, and an update must replace all four together.
pub(crate) fn expand_service_url(
    kind: EntityKind,
    body: &mut serde_json::Value,
) -> Result<(), ConsoleError> {
    let Some(obj) = body.as_object_mut().filter(|_| kind == EntityKind::Services) else {
        return Ok(());
    };
    let Some(raw) = obj.remove("url") else { return Ok(()) };
    let text = raw.as_str().unwrap_or_default();
    let parsed =
        url::Url::parse(text).ok().filter(|u| u.host_str().is_some()).ok_or_else(|| {
            ConsoleError::field(
                "url",
                format!("'{text}' is not a URL such as http://users.internal:8080/api."),
            )
        })?;
    let path = Some(parsed.path()).filter(|p| *p != "/" && !p.is_empty());
    obj.insert("protocol".into(), parsed.scheme().into());
    obj.insert("host".into(), parsed.host_str().unwrap_or_default().into());
    obj.insert("port".into(), parsed.port_or_known_default().unwrap_or(80).into());
    obj.insert("path".into(), path.map_or(serde_json::Value::Null, Into::into));
    Ok(())
}

/// Writes fail with a clear reason offline; nothing is queued to be sent later.
fn write_error(e: konnect::KonnectError) -> ConsoleError {
    let mut err = ConsoleError::from(e);
    if err.code == ErrorCode::Offline {
        err.message = format!(
            "Not saved: {} Changes can only be made while the control plane is reachable; \
             nothing was queued.",
            err.message
        );
    }
    err
}

impl Console {
    /// Creates an entity; the API's field errors come back on the form's fields.
    pub async fn create_entity(
        &self,
        group_id: &str,
        kind: impl Term<EntityKind>,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, ConsoleError> {
        self.create_entity_via(&self.client, group_id, kind.term()?, body).await
    }

    /// [`Console::create_entity`] through `client` (an import's, under its limiter).
    pub(crate) async fn create_entity_via(
        &self,
        client: &konnect::KonnectClient,
        group_id: &str,
        kind: EntityKind,
        mut body: serde_json::Value,
    ) -> Result<serde_json::Value, ConsoleError> {
        expand_service_url(kind, &mut body)?;
        let path = collection_path(kind, &body)?;
        let created = client
            .create_entity(group_id, &path, &body)
            .await
            .map_err(|e| self.note_refusal(group_id, kind.path(), write_error(e)))?;
        self.cache
            .put_entity(self.profile().id(), group_id, kind.path(), created.clone(), now())
            .await?;
        self.invalidate_search();
        Ok(created)
    }

    /// Changes the given fields of an entity. Konnect's core entities have no PATCH, only an
    /// upsert (PUT) of the whole entity, so the current one is read and the changes merged into it
    /// (a record field such as a plugin's `config` is merged one level deep).
    pub async fn update_entity(
        &self,
        group_id: &str,
        kind: impl Term<EntityKind>,
        id: &str,
        changes: serde_json::Value,
    ) -> Result<serde_json::Value, ConsoleError> {
        self.update_entity_via(&self.client, group_id, kind.term()?, id, changes).await
    }

    /// [`Console::update_entity`] through `client` (an import's, under its limiter).
    pub(crate) async fn update_entity_via(
        &self,
        client: &konnect::KonnectClient,
        group_id: &str,
        kind: EntityKind,
        id: &str,
        mut changes: serde_json::Value,
    ) -> Result<serde_json::Value, ConsoleError> {
        expand_service_url(kind, &mut changes)?;
        if kind == EntityKind::BasicAuths && changes.get("password").is_none_or(|p| p.is_null()) {
            // The API answers only the password's hash; sending it back would hash it again.
            return Err(ConsoleError::field(
                "password",
                "Kong keeps only a hash of a basic-auth password: enter the password (the same \
                 one or a new one) to save this credential.",
            ));
        }
        let cached = self.cached_entity(group_id, kind, id).await?;
        let path = format!("{}/{id}", collection_path(kind, cached.as_ref().unwrap_or(&changes))?);
        let mut current = client.get_entity(group_id, &path).await.map_err(write_error)?;
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
        let updated = client
            .put_entity(group_id, &path, &current)
            .await
            .map_err(|e| self.note_refusal(group_id, kind.path(), write_error(e)))?;
        self.cache
            .put_entity(self.profile().id(), group_id, kind.path(), updated.clone(), now())
            .await?;
        self.invalidate_search();
        Ok(updated)
    }

    /// Deletes an entity; one already gone counts as deleted.
    pub async fn delete_entity(
        &self,
        group_id: &str,
        kind: impl Term<EntityKind>,
        id: &str,
    ) -> Result<(), ConsoleError> {
        self.delete_entity_via(&self.client, group_id, kind.term()?, id).await
    }

    /// [`Console::delete_entity`] through `client` (an import's, under its limiter).
    pub(crate) async fn delete_entity_via(
        &self,
        client: &konnect::KonnectClient,
        group_id: &str,
        kind: EntityKind,
        id: &str,
    ) -> Result<(), ConsoleError> {
        let current = self.cached_entity(group_id, kind, id).await?;
        let path = match &current {
            Some(body) => format!("{}/{id}", collection_path(kind, body)?),
            None => format!("{kind}/{id}"),
        };
        match client.delete_entity(group_id, &path).await {
            Ok(()) => {}
            Err(konnect::KonnectError::Api(e)) if e.status == 404 => {}
            Err(e) => return Err(self.note_refusal(group_id, kind.path(), write_error(e))),
        }
        // The cache drops what Kong's cascade deleted with it too.
        self.cache.remove_entity(self.profile().id(), group_id, kind.path(), id).await?;
        self.invalidate_search();
        Ok(())
    }

    async fn cached_entity(
        &self,
        group_id: &str,
        kind: EntityKind,
        id: &str,
    ) -> Result<Option<serde_json::Value>, ConsoleError> {
        Ok(self
            .cache
            .entities(self.profile().id(), group_id, Some(kind.path()))
            .await?
            .into_iter()
            .map(|(_, b, _)| b)
            .find(|b| b.get("id").and_then(|v| v.as_str()) == Some(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_service_url_is_written_out_as_kong_stores_it() {
        let mut body = json!({"name": "users", "url": "https://users.internal/api/v1"});
        expand_service_url(EntityKind::Services, &mut body).unwrap();
        assert_eq!(
            body,
            json!({
                "name": "users", "protocol": "https", "host": "users.internal", "port": 443,
                "path": "/api/v1"
            })
        );
        let mut bare = json!({"url": "http://users.internal:8080"});
        expand_service_url(EntityKind::Services, &mut bare).unwrap();
        assert_eq!(bare["port"], 8080);
        assert_eq!(
            bare["path"],
            serde_json::Value::Null,
            "no path: the old one is cleared on an update"
        );
        let err = expand_service_url(EntityKind::Services, &mut json!({"url": "users.internal"}))
            .unwrap_err();
        assert!(err.fields["url"].contains("is not a URL"), "{err:?}");
        let mut route = json!({"url": "kept"});
        expand_service_url(EntityKind::Routes, &mut route).unwrap();
        assert_eq!(route["url"], "kept", "only services have the shorthand");
    }
}
