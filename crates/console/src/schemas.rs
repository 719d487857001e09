//! Kong's schemas as the group's API serves them (plugins, entity kinds, the available plugins),
//! cached per profile and group so forms render offline, and a validate-before-save call.
//!
//! Konnect's published spec has the plugin schema GET and the validate POST; it has no entity
//! schema GET and no available-plugins list. On a Konnect profile the console therefore never
//! asks for those: entity and credential schemas are Kong's own, shipped with the app, and the
//! available plugins are the ones Kong bundles (Konnect accepts every one of them), as Konnect's
//! own UI ships them.

use std::future::Future;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::profile::Profile;
use crate::timestamp::now;
use crate::vocabulary::{EntityKind, Term};
use crate::{Console, ConsoleError, ErrorCode};

/// The cache name of the available plugins list, beside `plugins/{name}` and the kinds' paths.
const AVAILABLE_PLUGINS: &str = "v1/available-plugins";

/// A schema in Kong's wire format (`fields` of one-key objects, `entity_checks`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct KongSchema {
    pub group_id: String,
    /// `plugins/{name}` for a plugin, the kind's path (`services`) for an entity.
    pub name: String,
    #[ts(type = "Record<string, unknown>")]
    pub schema: serde_json::Value,
    pub fetched_at: String,
    /// Set when the API could not be reached and this is the cached copy.
    pub offline_reason: Option<String>,
}

/// The plugins a group accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AvailablePlugins {
    pub group_id: String,
    pub names: Vec<String>,
    pub fetched_at: String,
    pub offline_reason: Option<String>,
}

/// What a schema sync cached for a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchemaSyncReport {
    pub group_id: String,
    /// Every schema name now cached for the group.
    pub cached: Vec<String>,
    /// Plugins in use whose schema the API does not serve (a custom plugin).
    pub missing: Vec<String>,
}

/// A plugin name goes into a URL path: Kong's names are lowercase words joined by `-` or `_`.
fn plugin_name(name: &str) -> Result<&str, ConsoleError> {
    let ok =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(name).ok_or_else(|| ConsoleError::field("name", format!("No plugin '{name}'.")))
}

/// Only these errors let the cache answer: the API is out of reach or asks us to wait.
fn cache_may_answer(err: &ConsoleError) -> bool {
    matches!(err.code, ErrorCode::Offline | ErrorCode::RateLimited)
}

impl Console {
    fn speaks_local_schemas(&self) -> bool {
        matches!(self.profile(), Profile::Local { .. })
    }

    /// A plugin's schema, live (and cached) or, offline, as last fetched for the group.
    pub async fn plugin_schema(
        &self,
        group_id: &str,
        name: &str,
    ) -> Result<KongSchema, ConsoleError> {
        let name = plugin_name(name)?;
        let fetch = self.client.plugin_schema(group_id, name);
        self.schema_live_or_cached(group_id, &format!("plugins/{name}"), Some(fetch)).await
    }

    /// An entity kind's schema. The local control plane serves it; Konnect does not (its
    /// published API has no such call), so on a Konnect profile it is Kong's own schema shipped
    /// with the app, as Konnect's UI ships its entity and credential forms.
    pub async fn entity_schema(
        &self,
        group_id: &str,
        kind: impl Term<EntityKind>,
    ) -> Result<KongSchema, ConsoleError> {
        let kind = kind.term()?;
        if !self.speaks_local_schemas() {
            return bundled_entity_schema(group_id, kind);
        }
        let fetch = Some(self.client.entity_schema(group_id, kind.path()));
        self.schema_live_or_cached(group_id, kind.path(), fetch).await
    }

    /// The plugins the group accepts: the local control plane's list (cached), or on Konnect
    /// every plugin Kong bundles.
    pub async fn available_plugins(
        &self,
        group_id: &str,
    ) -> Result<AvailablePlugins, ConsoleError> {
        if !self.speaks_local_schemas() {
            let names = control_plane::entities::kong_schema::plugin_names();
            return Ok(AvailablePlugins {
                group_id: group_id.to_string(),
                names: names.into_iter().map(str::to_string).collect(),
                fetched_at: now(),
                offline_reason: None,
            });
        }
        let fetch = async {
            let list = self.client.available_plugins(group_id).await?;
            serde_json::to_value(list).map_err(|e| konnect::KonnectError::Decode {
                url: "".into(),
                message: e.to_string(),
            })
        };
        let got = self.schema_live_or_cached(group_id, AVAILABLE_PLUGINS, Some(fetch)).await?;
        let names = serde_json::from_value::<konnect::AvailablePlugins>(got.schema)
            .map_err(|e| ConsoleError::local(format!("cached plugin list unreadable: {e}")))?
            .names;
        Ok(AvailablePlugins {
            group_id: got.group_id,
            names,
            fetched_at: got.fetched_at,
            offline_reason: got.offline_reason,
        })
    }

    /// Checks an entity (a plugin is kind `plugins`) against the group's schemas without saving
    /// it: the API's message, or its field errors as a save would give them.
    pub async fn validate_entity(
        &self,
        group_id: &str,
        kind: impl Term<EntityKind>,
        mut body: serde_json::Value,
    ) -> Result<String, ConsoleError> {
        let kind = kind.term()?;
        crate::entities::expand_service_url(kind, &mut body)?;
        match self.client.validate_entity(group_id, kind.path(), &body).await {
            Ok(v) => Ok(v.message),
            Err(e) => {
                let mut err = ConsoleError::from(e);
                if err.code == ErrorCode::Offline {
                    err.message = format!("Not checked: {}", err.message);
                }
                Err(err)
            }
        }
    }

    /// Fills the group's schema cache: the schema of every plugin in use, and on the local
    /// control plane every entity kind's schema and the available plugins.
    pub async fn sync_schemas(&self, group_id: &str) -> Result<SchemaSyncReport, ConsoleError> {
        let plugins = self.client.list_all_entities(group_id, EntityKind::Plugins.path()).await?;
        let mut in_use: Vec<String> = plugins
            .iter()
            .filter_map(|p| p.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect();
        in_use.sort();
        in_use.dedup();
        let mut missing = Vec::new();
        for name in &in_use {
            match self.plugin_schema(group_id, name).await {
                Ok(s) if s.offline_reason.is_none() => {}
                Ok(s) => return Err(ConsoleError::new(ErrorCode::Offline, offline(s))),
                Err(e) if matches!(e.code, ErrorCode::NotFound | ErrorCode::Validation) => {
                    missing.push(name.clone())
                }
                Err(e) => return Err(e),
            }
        }
        if self.speaks_local_schemas() {
            for kind in EntityKind::ALL {
                let s = self.entity_schema(group_id, kind).await?;
                if s.offline_reason.is_some() {
                    return Err(ConsoleError::new(ErrorCode::Offline, offline(s)));
                }
            }
            let list = self.available_plugins(group_id).await?;
            if let Some(reason) = list.offline_reason {
                return Err(ConsoleError::new(ErrorCode::Offline, reason));
            }
        }
        let cached = self.cache.schema_names(self.profile().id(), group_id).await?;
        Ok(SchemaSyncReport { group_id: group_id.to_string(), cached, missing })
    }

    /// After a sync: caches what the forms of each cached group need and the cache lacks (the
    /// schema of every plugin in use; on the local control plane, the kinds' schemas and the
    /// available plugins), so a group synced once renders its forms offline. What is cached
    /// already costs no request; the rest go out as many at once as a sync sends; a schema that
    /// cannot be fetched is left for the next sync.
    pub async fn cache_missing_schemas(&self) -> Result<u32, ConsoleError> {
        use futures_util::stream::{self, StreamExt};
        let mut missing = Vec::new();
        for group in self.cache.groups(self.profile().id()).await? {
            let id = group.group.id;
            let cached = self.cache.schema_names(self.profile().id(), &id).await?;
            missing.extend(
                self.schemas_wanted(&id)
                    .await?
                    .into_iter()
                    .filter(|n| !cached.contains(n))
                    .map(|name| (id.clone(), name)),
            );
        }
        let fetched = stream::iter(missing)
            .map(|(id, name)| async move {
                let got = match name.strip_prefix("plugins/") {
                    Some(plugin) => self.plugin_schema(&id, plugin).await.map(|_| ()),
                    None if name == AVAILABLE_PLUGINS => {
                        self.available_plugins(&id).await.map(|_| ())
                    }
                    None => self.entity_schema(&id, name.as_str()).await.map(|_| ()),
                };
                got.map_err(|e| tracing::warn!("schema {name} of group {id} not cached: {e}"))
                    .is_ok()
            })
            .buffer_unordered(crate::sync::DEFAULT_CONCURRENCY)
            .filter(|ok| std::future::ready(*ok))
            .count()
            .await;
        Ok(fetched as u32)
    }

    /// The schema names a group's forms read, from what its cache holds.
    async fn schemas_wanted(&self, group_id: &str) -> Result<Vec<String>, ConsoleError> {
        let plugins = self
            .cache
            .entities(self.profile().id(), group_id, Some(EntityKind::Plugins.path()))
            .await?;
        let mut wanted: Vec<String> = plugins
            .iter()
            .filter_map(|(_, p, _)| p.get("name")?.as_str().map(|n| format!("plugins/{n}")))
            .collect();
        if self.speaks_local_schemas() {
            wanted.extend(EntityKind::ALL.map(|k| k.path().to_string()));
            wanted.push(AVAILABLE_PLUGINS.to_string());
        }
        wanted.sort();
        wanted.dedup();
        Ok(wanted)
    }

    /// Fetches a schema and caches it; when the API cannot be reached, the cached copy marked
    /// with why, or the error if none. `fetch` is `None` where the API has no call for it.
    async fn schema_live_or_cached(
        &self,
        group_id: &str,
        name: &str,
        fetch: Option<impl Future<Output = Result<serde_json::Value, konnect::KonnectError>>>,
    ) -> Result<KongSchema, ConsoleError> {
        let Some(fetch) = fetch else {
            return Err(ConsoleError::new(
                ErrorCode::NotFound,
                format!("Konnect's API serves no '{name}' schema; the local control plane does."),
            ));
        };
        let (profile, fetched_at) = (self.profile().id(), now());
        let schema = |schema, fetched_at, offline_reason| KongSchema {
            group_id: group_id.to_string(),
            name: name.to_string(),
            schema,
            fetched_at,
            offline_reason,
        };
        let err = match fetch.await {
            Ok(body) => {
                let text = body.to_string();
                self.cache.put_schema(profile, group_id, name, text, fetched_at.clone()).await?;
                return Ok(schema(body, fetched_at, None));
            }
            Err(e) => ConsoleError::from(e),
        };
        if !cache_may_answer(&err) {
            return Err(err);
        }
        let Some((body, at)) = self.cache.schema(profile, group_id, name).await? else {
            return Err(err);
        };
        let body = serde_json::from_str(&body)
            .map_err(|e| ConsoleError::local(format!("cached schema unreadable: {e}")))?;
        Ok(schema(body, at, Some(err.message)))
    }
}

/// Kong 3.10's schema of a kind, as the app ships it.
fn bundled_entity_schema(group_id: &str, kind: EntityKind) -> Result<KongSchema, ConsoleError> {
    use control_plane::entities::{schema, wire};
    let kind_schema = schema::kind(kind.path()).ok_or_else(|| {
        ConsoleError::new(ErrorCode::NotFound, format!("No schema for {}.", kind.path()))
    })?;
    Ok(KongSchema {
        group_id: group_id.to_string(),
        name: kind.path().to_string(),
        schema: wire::entity_schema(kind_schema),
        fetched_at: now(),
        offline_reason: None,
    })
}

fn offline(s: KongSchema) -> String {
    s.offline_reason.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_names_are_kongs_words_only() {
        assert_eq!(plugin_name("rate-limiting").unwrap(), "rate-limiting");
        assert_eq!(plugin_name("ai_proxy2").unwrap(), "ai_proxy2");
        for bad in ["", "../services", "key-auth?x=1", "a/b"] {
            assert_eq!(plugin_name(bad).unwrap_err().code, ErrorCode::Validation, "{bad}");
        }
    }
}
