//! What one node can run of its group's configuration: the enabled plugins it lacks, the plugin
//! entities that configure them, and the configuration it is sent without them.
//!
//! Konnect's control plane does this for data planes older than a plugin (koko's `Remove: true`
//! changes, reported as an error-severity compatibility issue): the rest of the configuration
//! still reaches the node, and the node shows Incompatible with the plugin named. The node's
//! config hash is then the hash of what it was sent, never the group's expected hash, so it reads
//! out of sync until it runs the whole configuration.

use std::collections::BTreeSet;

use serde_json::Value;

/// The foreign keys that say where a plugin applies, most specific first.
const SCOPES: [&str; 4] = ["route", "service", "consumer", "consumer_group"];

/// A plugin entity the node is not sent: its id and where it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    pub id: String,
    /// `(scope, id)` pairs (`("route", "…")`); empty for a global plugin.
    pub scope: Vec<(&'static str, String)>,
}

/// An enabled plugin of the configuration the node does not run, and its entities.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingPlugin {
    pub name: String,
    pub entities: Vec<LeftOut>,
}

/// The node's share of a configuration.
#[derive(Debug, Default)]
pub struct Fitted {
    /// The configuration less the plugins the node lacks; `None` when it runs all of it.
    pub table: Option<Value>,
    /// By plugin name.
    pub missing: Vec<MissingPlugin>,
}

/// A foreign key as the export writes it (a bare id) or as `{id}`.
fn foreign_key(entity: &Value, key: &str) -> Option<String> {
    match entity.get(key)? {
        Value::String(id) => Some(id.clone()),
        Value::Object(o) => o.get("id")?.as_str().map(str::to_string),
        _ => None,
    }
}

/// Whether the node must be spared this plugin entity: enabled, and a plugin it does not run.
/// A disabled one is harmless (a runtime skips it) and stays, as the group has it.
fn lacks(node_plugins: &BTreeSet<String>, plugin: &Value) -> bool {
    plugin["enabled"].as_bool() != Some(false)
        && plugin["name"].as_str().is_some_and(|n| !node_plugins.contains(n))
}

/// Fits `table` (a group's `config_table`) to a node that runs `node_plugins`.
pub fn fit(table: &Value, node_plugins: &BTreeSet<String>) -> Fitted {
    let plugins = table.get("plugins").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut missing: Vec<MissingPlugin> = Vec::new();
    for p in plugins.iter().filter(|p| lacks(node_plugins, p)) {
        let name = p["name"].as_str().unwrap_or_default();
        let entity = LeftOut {
            id: p["id"].as_str().unwrap_or_default().to_string(),
            scope: SCOPES.iter().filter_map(|s| Some((*s, foreign_key(p, s)?))).collect(),
        };
        match missing.iter_mut().find(|m| m.name == name) {
            Some(m) => m.entities.push(entity),
            None => missing.push(MissingPlugin { name: name.to_string(), entities: vec![entity] }),
        }
    }
    if missing.is_empty() {
        return Fitted::default();
    }
    missing.sort_by(|a, b| a.name.cmp(&b.name));
    let mut fitted = table.clone();
    let kept: Vec<Value> = plugins.iter().filter(|p| !lacks(node_plugins, p)).cloned().collect();
    // As the export leaves out a kind with no entities: the same content, the same hash.
    match (fitted.as_object_mut(), kept.is_empty()) {
        (Some(t), true) => drop(t.remove("plugins")),
        (Some(t), false) => drop(t.insert("plugins".into(), Value::Array(kept))),
        (None, _) => {}
    }
    Fitted { table: Some(fitted), missing }
}

/// The issue a missing plugin raises, in Konnect's `NodeCompatibilityIssue` shape: the plugin
/// named, each of its entities an affected `plugin` resource with where it applies.
pub fn issue(missing: &MissingPlugin) -> konnect::CompatibilityIssue {
    let n = missing.entities.len();
    let affected = missing
        .entities
        .iter()
        .map(|e| konnect::CompatibilityAffectedResource {
            id: e.id.clone(),
            resource_type: "plugin".into(),
            parent_code: None,
            details: if e.scope.is_empty() {
                vec!["global".into()]
            } else {
                e.scope.iter().map(|(scope, id)| format!("{scope}: {id}")).collect()
            },
        })
        .collect();
    konnect::CompatibilityIssue {
        code: "plugin_not_available".into(),
        severity: "error".into(),
        description: format!(
            "Plugin '{name}' is not available on this data plane node. Its {n} plugin \
             configuration{s} {are} left out of the configuration the node is sent, so the \
             requests it serves skip what '{name}' does.",
            name = missing.name,
            s = if n == 1 { "" } else { "s" },
            are = if n == 1 { "is" } else { "are" },
        ),
        resolution: Some(format!(
            "Run a data plane node that has the '{}' plugin (a runtime started without \
             --disable-plugin {0}), or disable or delete the plugin configurations listed.",
            missing.name
        )),
        affected_resources: affected,
        documentation_url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn has(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn table() -> Value {
        json!({
            "_format_version": "3.0",
            "services": [{"id": "s1", "name": "orders"}],
            "plugins": [
                {"id": "ka", "name": "key-auth", "service": "s1", "enabled": true},
                {"id": "rl-route", "name": "rate-limiting", "route": "r1", "service": "s1",
                    "enabled": true},
                {"id": "rl-global", "name": "rate-limiting", "enabled": true},
                {"id": "cors-c", "name": "cors", "consumer": {"id": "c1"}, "enabled": true},
                {"id": "off", "name": "acl", "enabled": false},
            ],
        })
    }

    fn kept(f: &Fitted) -> Vec<String> {
        let plugins = f.table.as_ref().unwrap().get("plugins").map(|p| p.as_array().unwrap());
        plugins.into_iter().flatten().map(|p| p["id"].as_str().unwrap().to_string()).collect()
    }

    #[test]
    fn a_node_is_sent_what_it_runs_and_told_what_it_lacks() {
        let cases: [(&[&str], &[&str], &[&str]); 4] = [
            // node plugins, missing plugin names, plugin entities kept
            (&["key-auth", "rate-limiting", "cors"], &[], &[]),
            (&["key-auth", "cors"], &["rate-limiting"], &["ka", "cors-c", "off"]),
            (&["key-auth"], &["cors", "rate-limiting"], &["ka", "off"]),
            (&[], &["cors", "key-auth", "rate-limiting"], &["off"]),
        ];
        for (node, missing, want_kept) in cases {
            let f = fit(&table(), &has(node));
            let names: Vec<&str> = f.missing.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, missing, "node {node:?}");
            if missing.is_empty() {
                assert!(f.table.is_none(), "a node that runs everything gets the group's own");
            } else {
                assert_eq!(kept(&f), want_kept, "node {node:?}");
                assert_eq!(f.table.as_ref().unwrap()["services"], table()["services"]);
            }
        }
    }

    #[test]
    fn a_node_left_with_no_plugins_gets_no_plugins_key_as_the_export_writes_it() {
        let table = json!({"services": [], "plugins": [{"id": "c", "name": "cors"}]});
        let f = fit(&table, &has(&[]));
        assert_eq!(f.table, Some(json!({"services": []})));
    }

    #[test]
    fn the_issue_names_the_plugin_and_each_entity_with_its_scope() {
        let f = fit(&table(), &has(&["key-auth", "cors"]));
        let issue = issue(&f.missing[0]);
        assert_eq!(
            (issue.code.as_str(), issue.severity.as_str()),
            ("plugin_not_available", "error")
        );
        assert!(issue.description.starts_with("Plugin 'rate-limiting' is not available"));
        assert!(issue.description.contains("2 plugin configurations are left out"));
        assert!(issue.resolution.unwrap().contains("--disable-plugin rate-limiting"));
        let affected: Vec<(&str, &str, Vec<&str>)> = issue
            .affected_resources
            .iter()
            .map(|r| {
                let details = r.details.iter().map(String::as_str).collect();
                (r.id.as_str(), r.resource_type.as_str(), details)
            })
            .collect();
        assert_eq!(
            affected,
            [
                ("rl-route", "plugin", vec!["route: r1", "service: s1"]),
                ("rl-global", "plugin", vec!["global"]),
            ]
        );
        let cors = fit(&table(), &has(&["key-auth", "rate-limiting"]));
        assert_eq!(issue_details(&cors), ["consumer: c1"], "an {{id}} foreign key reads too");
    }

    fn issue_details(f: &Fitted) -> Vec<String> {
        issue(&f.missing[0]).affected_resources[0].details.clone()
    }
}
