//! A group's configuration as decK sees it: entities keyed by natural names (not IDs), references
//! by name, no timestamps. One form serves decK export, decK import (plan, then apply) and the
//! comparison of two groups.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{json, Map, Value};
use ts_rs::TS;

use crate::vocabulary::EntityKind::{self, *};

/// Fields of each kind that hold a reference, and the kind they point at.
const REFERENCES: [(&str, EntityKind); 7] = [
    ("service", EntityKind::Services),
    ("route", EntityKind::Routes),
    ("consumer", EntityKind::Consumers),
    ("consumer_group", EntityKind::ConsumerGroups),
    ("upstream", EntityKind::Upstreams),
    ("certificate", EntityKind::Certificates),
    ("set", EntityKind::KeySets),
];

/// The fields that scope a plugin, in the order decK nests them.
const PLUGIN_SCOPES: [&str; 4] = ["service", "route", "consumer", "consumer_group"];

/// Fields the server owns; they never count as a difference and are not exported.
const SERVER_FIELDS: [&str; 3] = ["id", "created_at", "updated_at"];

/// One entity in declarative form.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: EntityKind,
    /// The natural key within its kind (a service's name, a target's `upstream/target`, …).
    pub key: String,
    /// The ID where the entity exists in a group (none for an entity only in a file).
    pub id: Option<String>,
    /// Fields without server-owned ones; references are names.
    pub body: Map<String, Value>,
}

/// Entities by (kind, key), in decK's order of kinds (referenced kinds first).
pub type Declared = BTreeMap<(EntityKind, String), Item>;

fn text(body: &Map<String, Value>, field: &str) -> Option<String> {
    body.get(field).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

fn short_digest(s: &str) -> String {
    use md5::Digest;
    hex::encode(&md5::Md5::digest(s.trim().as_bytes())[..6])
}

/// The natural key of an entity whose references are already names.
fn natural_key(kind: EntityKind, b: &Map<String, Value>) -> Option<String> {
    use EntityKind::*;
    let r = |f: &str| text(b, f).unwrap_or_default();
    Some(match kind {
        // A key-auth's key is its secret: known by a digest of it, never the key itself.
        KeyAuths => format!("{}/key {}", r("consumer"), short_digest(&r("key"))),
        Certificates | CaCertificates => short_digest(&r("cert")),
        Plugins => {
            let scope: Vec<String> = PLUGIN_SCOPES
                .iter()
                .filter_map(|f| text(b, f).map(|v| format!("{f}={v}")))
                .collect();
            let instance = text(b, "instance_name").map(|n| format!("#{n}")).unwrap_or_default();
            format!(
                "{}{}@{}",
                r("name"),
                instance,
                if scope.is_empty() { "global".into() } else { scope.join(",") }
            )
        }
        // Every other kind is known by its naming fields (a consumer's username, a vault's prefix),
        // within its parent for a nested kind (a target's upstream, a credential's consumer).
        _ => {
            let own = kind.info().label_fields.iter().find_map(|f| text(b, f))?;
            match kind.info().parent {
                Some((field, _)) => format!("{}/{own}", r(field)),
                None => own,
            }
        }
    })
}

/// A group's entities (as the API returns them) in declarative form. Entities without a natural
/// key (an unnamed route) are keyed by their ID, so they still show up and compare.
pub fn from_entities(entities: &[(EntityKind, Value)]) -> Declared {
    // First the keys of referenceable entities, so references can be written as names.
    let mut names: HashMap<(EntityKind, String), String> = HashMap::new();
    let mut out = Declared::new();
    let mut pending: Vec<(EntityKind, &Map<String, Value>)> =
        entities.iter().filter_map(|(k, v)| Some((*k, v.as_object()?))).collect();
    pending.sort_by_key(|(k, _)| *k);
    for (kind, raw) in pending {
        let id = text(raw, "id");
        let mut body = Map::new();
        for (f, v) in raw {
            if SERVER_FIELDS.contains(&f.as_str()) || v.is_null() {
                continue;
            }
            let target_kind = REFERENCES.iter().find(|(rf, _)| rf == f).map(|(_, k)| *k);
            match (target_kind, v.get("id").and_then(Value::as_str)) {
                (Some(tk), Some(rid)) => {
                    let name = names
                        .get(&(tk, rid.to_string()))
                        .cloned()
                        .unwrap_or_else(|| rid.to_string());
                    body.insert(f.clone(), Value::String(name));
                }
                _ => {
                    body.insert(f.clone(), v.clone());
                }
            }
        }
        fill_plugin_defaults(kind, &mut body);
        let key = natural_key(kind, &body).or_else(|| id.clone()).unwrap_or_default();
        if let Some(id) = &id {
            names.insert((kind, id.clone()), key.clone());
        }
        out.insert((kind, key.clone()), Item { kind, key, id, body });
    }
    out
}

/// One field that differs between two sides.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FieldChange {
    pub field: String,
    #[ts(type = "unknown")]
    pub left: Value,
    #[ts(type = "unknown")]
    pub right: Value,
}

/// An entity present on both sides with different fields.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Changed {
    pub kind: EntityKind,
    pub key: String,
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct EntityRef {
    pub kind: EntityKind,
    pub key: String,
}

/// The entity-level difference between two declarative states.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Difference {
    pub only_left: Vec<EntityRef>,
    pub only_right: Vec<EntityRef>,
    pub changed: Vec<Changed>,
    pub same: u32,
}

/// Fields that differ; with `right_only_fields`, only the fields the right side states (a decK
/// file leaves out what it does not set, which then keeps its current value).
pub fn field_changes(
    left: &Map<String, Value>,
    right: &Map<String, Value>,
    right_only_fields: bool,
) -> Vec<FieldChange> {
    let mut fields: Vec<&String> = right.keys().collect();
    if !right_only_fields {
        fields.extend(left.keys().filter(|k| !right.contains_key(*k)));
    }
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|f| {
            let (l, r) = (
                left.get(f).cloned().unwrap_or(Value::Null),
                right.get(f).cloned().unwrap_or(Value::Null),
            );
            (!same_value(&l, &r)).then(|| FieldChange { field: f.clone(), left: l, right: r })
        })
        .collect()
}

/// Equal, treating lists as sets where Kong does (tags, hosts, methods…) by comparing sorted
/// copies.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            let (mut x, mut y): (Vec<String>, Vec<String>) = (
                x.iter().map(Value::to_string).collect(),
                y.iter().map(Value::to_string).collect(),
            );
            x.sort();
            y.sort();
            x == y
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// What a preview or a diff shows instead of a secret's value.
pub const MASK: &str = "••••••";

/// The dotted paths of an entity's secret fields, as Kong's schemas mark them (`encrypted`): a
/// credential's key, password or secret, a certificate's private key, a plugin's Redis password.
fn secret_paths(item: &Item) -> Vec<String> {
    use control_plane::entities::{kong_schema, schema};
    let schema = match item.kind {
        EntityKind::Plugins => {
            text(&item.body, "name").and_then(|n| kong_schema::plugin_schema(&n))
        }
        kind => schema::kind(kind.path()).map(|k| &k.schema),
    };
    schema.map(kong_schema::encrypted_paths).unwrap_or_default()
}

/// Replaces the value at `path` inside `value` with the mask; an unset secret stays null, so
/// "set" and "unset" still read differently.
fn mask_at(value: &mut Value, path: &[&str]) {
    match path {
        [] if !value.is_null() => *value = Value::String(MASK.into()),
        [] => {}
        [head, rest @ ..] => {
            if let Some(inner) = value.get_mut(*head) {
                mask_at(inner, rest)
            }
        }
    }
}

/// The changes with every secret inside them masked (a whole `config` keeps its other fields).
fn masked(mut changes: Vec<FieldChange>, secrets: &[String]) -> Vec<FieldChange> {
    for change in &mut changes {
        for secret in secrets {
            let path: Vec<&str> = secret.split('.').collect();
            if path[0] == change.field {
                mask_at(&mut change.left, &path[1..]);
                mask_at(&mut change.right, &path[1..]);
            }
        }
    }
    changes
}

pub fn difference(left: &Declared, right: &Declared) -> Difference {
    compare(left, right, false)
}

/// Entities only on one side, and those on both whose fields differ; with `right_only_fields`,
/// only the fields the right side states count (see `field_changes`).
fn compare(left: &Declared, right: &Declared, right_only_fields: bool) -> Difference {
    let mut d = Difference::default();
    for (k, l) in left {
        match right.get(k) {
            None => d.only_left.push(EntityRef { kind: l.kind, key: l.key.clone() }),
            Some(r) => {
                let fields =
                    masked(field_changes(&l.body, &r.body, right_only_fields), &secret_paths(l));
                if fields.is_empty() {
                    d.same += 1;
                } else {
                    d.changed.push(Changed { kind: l.kind, key: l.key.clone(), fields });
                }
            }
        }
    }
    d.only_right = right
        .iter()
        .filter(|(k, _)| !left.contains_key(*k))
        .map(|(_, r)| EntityRef { kind: r.kind, key: r.key.clone() })
        .collect();
    d
}

// ---- decK files ----

fn strip(mut body: Map<String, Value>, fields: &[&str]) -> Value {
    for f in fields {
        body.remove(*f);
    }
    Value::Object(body)
}

/// The kinds a decK file writes nested in (or, for plugins and routes, beside) their owners; the
/// others are plain top-level lists.
const NESTED_IN_DECK: [EntityKind; 13] = [
    EntityKind::Services,
    EntityKind::Routes,
    EntityKind::Consumers,
    EntityKind::KeyAuths,
    EntityKind::BasicAuths,
    EntityKind::Jwts,
    EntityKind::HmacAuths,
    EntityKind::Acls,
    EntityKind::Plugins,
    EntityKind::Upstreams,
    EntityKind::Targets,
    EntityKind::Certificates,
    EntityKind::Snis,
];

/// A group as a decK file: services with their routes and plugins nested, consumers with their
/// credentials of every kind and plugins, upstreams with targets, certificates with SNIs.
pub fn to_deck(group_name: &str, declared: &Declared) -> Value {
    let of = |kind: EntityKind| declared.values().filter(move |i| i.kind == kind);
    let mut doc = Map::new();
    doc.insert("_format_version".into(), json!("3.0"));
    doc.insert("_konnect".into(), json!({ "control_plane_name": group_name }));
    let plugin_scope = |p: &Item| {
        PLUGIN_SCOPES.iter().filter(|f| p.body.contains_key(**f)).copied().collect::<Vec<_>>()
    };
    let nested_plugins = |field: &str, owner: &str| -> Vec<Value> {
        of(EntityKind::Plugins)
            .filter(|p| {
                plugin_scope(p) == [field] && text(&p.body, field).as_deref() == Some(owner)
            })
            .map(|p| strip(p.body.clone(), &[field]))
            .collect()
    };

    let mut services = Vec::new();
    for s in of(EntityKind::Services) {
        let mut v = s.body.clone();
        let routes: Vec<Value> = of(EntityKind::Routes)
            .filter(|r| text(&r.body, "service").as_deref() == Some(&s.key))
            .map(|r| {
                let mut rb = r.body.clone();
                rb.remove("service");
                let rp = nested_plugins("route", &r.key);
                if !rp.is_empty() {
                    rb.insert(Plugins.deck_key().into(), Value::Array(rp));
                }
                Value::Object(rb)
            })
            .collect();
        if !routes.is_empty() {
            v.insert(Routes.deck_key().into(), Value::Array(routes));
        }
        let sp = nested_plugins("service", &s.key);
        if !sp.is_empty() {
            v.insert(Plugins.deck_key().into(), Value::Array(sp));
        }
        services.push(Value::Object(v));
    }
    let loose_routes: Vec<Value> = of(EntityKind::Routes)
        .filter(|r| !r.body.contains_key("service"))
        .map(|r| Value::Object(r.body.clone()))
        .collect();
    let mut consumers = Vec::new();
    for c in of(EntityKind::Consumers) {
        let mut v = c.body.clone();
        for kind in EntityKind::CREDENTIALS {
            let creds: Vec<Value> = of(kind)
                .filter(|k| text(&k.body, "consumer").as_deref() == Some(&c.key))
                .map(|k| strip(k.body.clone(), &["consumer"]))
                .collect();
            if !creds.is_empty() {
                v.insert(kind.deck_key().into(), Value::Array(creds));
            }
        }
        let cp = nested_plugins("consumer", &c.key);
        if !cp.is_empty() {
            v.insert(Plugins.deck_key().into(), Value::Array(cp));
        }
        consumers.push(Value::Object(v));
    }
    let upstreams: Vec<Value> = of(EntityKind::Upstreams)
        .map(|u| {
            let mut v = u.body.clone();
            let targets: Vec<Value> = of(EntityKind::Targets)
                .filter(|t| text(&t.body, "upstream").as_deref() == Some(&u.key))
                .map(|t| strip(t.body.clone(), &["upstream"]))
                .collect();
            if !targets.is_empty() {
                v.insert(Targets.deck_key().into(), Value::Array(targets));
            }
            Value::Object(v)
        })
        .collect();
    let certificates: Vec<Value> = of(EntityKind::Certificates)
        .map(|c| {
            let mut v = c.body.clone();
            let snis: Vec<Value> = of(EntityKind::Snis)
                .filter(|s| text(&s.body, "certificate").as_deref() == Some(&c.key))
                .map(|s| strip(s.body.clone(), &["certificate"]))
                .collect();
            if !snis.is_empty() {
                v.insert(Snis.deck_key().into(), Value::Array(snis));
            }
            Value::Object(v)
        })
        .collect();
    // Plugins that are global or scoped to more than one entity stay at the top level.
    let top_plugins: Vec<Value> = of(EntityKind::Plugins)
        .filter(|p| plugin_scope(p).len() != 1 || plugin_scope(p) == ["consumer_group"])
        .map(|p| Value::Object(p.body.clone()))
        .collect();
    for (kind, list) in [
        (EntityKind::Services, services),
        (EntityKind::Routes, loose_routes),
        (EntityKind::Consumers, consumers),
        (EntityKind::Upstreams, upstreams),
        (EntityKind::Certificates, certificates),
        (EntityKind::Plugins, top_plugins),
    ] {
        if !list.is_empty() {
            doc.insert(kind.deck_key().into(), Value::Array(list));
        }
    }
    for kind in EntityKind::ALL.into_iter().filter(|k| !NESTED_IN_DECK.contains(k)) {
        let list: Vec<Value> = of(kind).map(|i| Value::Object(i.body.clone())).collect();
        if !list.is_empty() {
            doc.insert(kind.deck_key().into(), Value::Array(list));
        }
    }
    Value::Object(doc)
}

/// Parses a decK file (YAML or JSON) into declarative form, un-nesting what decK nests.
/// Errors name where the file is wrong.
pub fn from_deck(text_in: &str) -> Result<Declared, String> {
    let doc: Value = match serde_json::from_str(text_in) {
        Ok(v) => v,
        Err(_) => crate::yaml::from_str(text_in)
            .map_err(|e| format!("The file is neither JSON nor YAML: {e}"))?,
    };
    let Some(doc) = doc.as_object() else {
        return Err("The file must be a mapping with `_format_version` and entity lists.".into());
    };
    match doc.get("_format_version").and_then(Value::as_str) {
        Some("3.0") | Some("1.1") => {}
        Some(v) => return Err(format!("_format_version {v} is not supported; use \"3.0\".")),
        None => {
            return Err(
                "_format_version is missing; decK files start with `_format_version: \"3.0\"`."
                    .into(),
            )
        }
    }
    let mut flat: Vec<(EntityKind, Map<String, Value>)> = Vec::new();
    fn list<'a>(v: Option<&'a Value>, at: &str) -> Result<Vec<&'a Map<String, Value>>, String> {
        match v {
            None => Ok(vec![]),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, x)| x.as_object().ok_or_else(|| format!("{at}[{i}] must be a mapping.")))
                .collect(),
            Some(_) => Err(format!("{at} must be a list.")),
        }
    }
    let own = |m: &Map<String, Value>, nested: &[&str]| -> Map<String, Value> {
        m.iter()
            .filter(|(k, _)| !nested.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let with = |mut m: Map<String, Value>, field: &str, owner: &str| {
        m.insert(field.into(), Value::String(owner.to_string()));
        m
    };
    let need_name = |m: &Map<String, Value>, field: &str, at: &str| {
        text(m, field).ok_or_else(|| format!("{at} needs a {field}."))
    };
    // A list nested under its owner (a service's routes, a consumer's credentials…) becomes
    // entities of `kind` whose `field` names the owner.
    let nested = |flat: &mut Vec<(EntityKind, Map<String, Value>)>,
                  parent: &Map<String, Value>,
                  at: &str,
                  kind: EntityKind,
                  field: &str,
                  owner: &str|
     -> Result<(), String> {
        let key = kind.deck_key();
        for e in list(parent.get(key), &format!("{at}.{key}"))? {
            flat.push((kind, with(e.clone(), field, owner)));
        }
        Ok(())
    };
    for (i, s) in list(doc.get(Services.deck_key()), Services.deck_key())?.into_iter().enumerate() {
        let at = format!("services[{i}]");
        let name = need_name(s, "name", &at)?;
        flat.push((EntityKind::Services, own(s, &[Routes.deck_key(), Plugins.deck_key()])));
        for (j, r) in list(s.get(Routes.deck_key()), &format!("{at}.{}", Routes.deck_key()))?
            .into_iter()
            .enumerate()
        {
            let r_at = format!("{at}.routes[{j}]");
            let rname = need_name(r, "name", &r_at)?;
            flat.push((EntityKind::Routes, with(own(r, &[Plugins.deck_key()]), "service", &name)));
            nested(&mut flat, r, &r_at, EntityKind::Plugins, "route", &rname)?;
        }
        nested(&mut flat, s, &at, EntityKind::Plugins, "service", &name)?;
    }
    for (i, r) in list(doc.get(Routes.deck_key()), Routes.deck_key())?.into_iter().enumerate() {
        let at = format!("routes[{i}]");
        let rname = need_name(r, "name", &at)?;
        flat.push((EntityKind::Routes, own(r, &[Plugins.deck_key()])));
        nested(&mut flat, r, &at, EntityKind::Plugins, "route", &rname)?;
    }
    for (i, c) in list(doc.get(Consumers.deck_key()), Consumers.deck_key())?.into_iter().enumerate()
    {
        let at = format!("consumers[{i}]");
        let name = text(c, "username")
            .or_else(|| text(c, "custom_id"))
            .ok_or_else(|| format!("{at} needs a username or custom_id."))?;
        let mut owned: Vec<&str> = EntityKind::CREDENTIALS.map(EntityKind::deck_key).to_vec();
        owned.extend([Plugins.deck_key(), "groups"]);
        flat.push((EntityKind::Consumers, own(c, &owned)));
        for kind in EntityKind::CREDENTIALS {
            nested(&mut flat, c, &at, kind, "consumer", &name)?;
        }
        nested(&mut flat, c, &at, EntityKind::Plugins, "consumer", &name)?;
    }
    for (i, u) in list(doc.get(Upstreams.deck_key()), Upstreams.deck_key())?.into_iter().enumerate()
    {
        let at = format!("upstreams[{i}]");
        let name = need_name(u, "name", &at)?;
        flat.push((EntityKind::Upstreams, own(u, &[Targets.deck_key()])));
        nested(&mut flat, u, &at, EntityKind::Targets, "upstream", &name)?;
    }
    for (i, c) in
        list(doc.get(Certificates.deck_key()), Certificates.deck_key())?.into_iter().enumerate()
    {
        let key = short_digest(&text(c, "cert").unwrap_or_default());
        flat.push((EntityKind::Certificates, own(c, &[Snis.deck_key()])));
        let at = format!("certificates[{i}]");
        nested(&mut flat, c, &at, EntityKind::Snis, "certificate", &key)?;
    }
    for p in list(doc.get(Plugins.deck_key()), Plugins.deck_key())? {
        flat.push((EntityKind::Plugins, p.clone()));
    }
    // The plain top-level lists, and SNIs also written beside their certificates.
    let top_level = EntityKind::ALL
        .into_iter()
        .filter(|k| !NESTED_IN_DECK.contains(k) || *k == EntityKind::Snis);
    for kind in top_level {
        for e in list(doc.get(kind.deck_key()), kind.deck_key())? {
            flat.push((kind, e.clone()));
        }
    }
    let mut out = Declared::new();
    for (kind, mut body) in flat {
        for f in SERVER_FIELDS {
            body.remove(f);
        }
        // A reference written as `{id: …}` or `{name: …}` in a file becomes the plain name.
        for (rf, _) in REFERENCES {
            if let Some(Value::Object(o)) = body.get(rf) {
                if let Some(n) = o.get("name").or_else(|| o.get("id")).cloned() {
                    body.insert(rf.into(), n);
                }
            }
        }
        let key = natural_key(kind, &body).ok_or_else(|| {
            format!("A {kind} entry has no name to identify it: {}", Value::Object(body.clone()))
        })?;
        if out.contains_key(&(kind, key.clone())) {
            return Err(format!("{kind} '{key}' appears twice in the file."));
        }
        fill_plugin_defaults(kind, &mut body);
        out.insert((kind, key.clone()), Item { kind, key, id: None, body });
    }
    Ok(out)
}

/// A plugin's `config` as Kong stores it: a file states only what it sets, a group holds every
/// field with its schema default (one of another Kong version may lack some), so both sides are
/// filled from the plugin's schema before comparing (an unchanged plugin never shows as changed)
/// and a file's config is applied whole.
fn fill_plugin_defaults(kind: EntityKind, body: &mut Map<String, Value>) {
    use control_plane::entities::kong_schema;
    let Some(Value::Object(config)) = body.get("config").filter(|_| kind == EntityKind::Plugins)
    else {
        return;
    };
    let Some(schema) = text(body, "name").and_then(|n| kong_schema::plugin_schema(&n)) else {
        return;
    };
    if let Some((_, attrs)) = kong_schema::fields(schema).find(|(f, _)| *f == "config") {
        let filled = kong_schema::with_defaults(attrs, config);
        body.insert("config".into(), Value::Object(filled));
    }
}

/// What an import will do, shown before anything is applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ImportPlan {
    pub create: Vec<EntityRef>,
    pub update: Vec<Changed>,
    pub delete: Vec<EntityRef>,
    pub unchanged: u32,
}

/// The plan to make `current` what `file` declares (decK sync semantics: what the file lacks is
/// deleted).
pub fn plan(current: &Declared, file: &Declared) -> ImportPlan {
    let d = compare(current, file, true);
    ImportPlan { create: d.only_right, update: d.changed, delete: d.only_left, unchanged: d.same }
}

/// A declarative body as the API wants it: references by `{id}` of the group's entities.
pub fn to_api_body(
    item: &Item,
    ids: &HashMap<(EntityKind, String), String>,
) -> Result<Value, String> {
    let mut body = item.body.clone();
    for (rf, tk) in REFERENCES {
        if let Some(Value::String(name)) = body.get(rf).cloned() {
            let id = ids.get(&(tk, name.clone())).ok_or_else(|| {
                format!(
                    "{} '{}' refers to {rf} '{name}', which is neither in the group nor in the \
                     file.",
                    item.kind, item.key
                )
            })?;
            body.insert(rf.into(), json!({ "id": id }));
        }
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> Vec<(EntityKind, Value)> {
        vec![
            (
                EntityKind::Services,
                json!({
                    "id": "s1", "name": "users-api", "host": "users.internal", "port": 80,
                    "created_at": 1
                }),
            ),
            (
                EntityKind::Routes,
                json!({"id": "r1", "name": "users", "paths": ["/users"], "service": {"id": "s1"}}),
            ),
            (
                EntityKind::Plugins,
                json!({
                    "id": "p1", "name": "key-auth", "route": {"id": "r1"},
                    "config": {"key_names": ["apikey"]}
                }),
            ),
            (
                EntityKind::Plugins,
                json!({"id": "p2", "name": "rate-limiting", "config": {"minute": 5}}),
            ),
            (EntityKind::Consumers, json!({"id": "c1", "username": "ann"})),
            (
                EntityKind::KeyAuths,
                json!({"id": "k1", "key": "secret-1", "consumer": {"id": "c1"}}),
            ),
        ]
    }

    #[test]
    fn references_become_names_and_keys_are_natural() {
        let d = from_entities(&group());
        let route = d.values().find(|i| i.kind == "routes").unwrap();
        assert_eq!(route.body["service"], "users-api");
        assert!(!route.body.contains_key("id"));
        assert!(d.values().any(|i| i.kind == "plugins" && i.key == "key-auth@route=users"));
        let key_auth = d.values().find(|i| i.kind == "key-auths").unwrap();
        assert_eq!(key_auth.key, format!("ann/key {}", short_digest("secret-1")));
    }

    #[test]
    fn export_nests_as_deck_does_and_reads_back_the_same() {
        let d = from_entities(&group());
        let doc = to_deck("dev", &d);
        assert_eq!(doc["_format_version"], "3.0");
        assert_eq!(doc["services"][0]["routes"][0]["name"], "users");
        assert_eq!(doc["services"][0]["routes"][0]["plugins"][0]["name"], "key-auth");
        assert_eq!(doc["consumers"][0]["keyauth_credentials"][0]["key"], "secret-1");
        assert_eq!(doc["plugins"][0]["name"], "rate-limiting");
        let yaml = crate::yaml::to_string(&doc).unwrap();
        let back = from_deck(&yaml).unwrap();
        let p = plan(&d, &back);
        assert!(p.create.is_empty() && p.update.is_empty() && p.delete.is_empty(), "{p:?}");
    }

    /// A consumer with a credential of every kind, and a plugin stored as the API stores it
    /// (every config field, defaults filled).
    fn group_with_secrets() -> Vec<(EntityKind, Value)> {
        use control_plane::entities::kong_schema;
        let schema = kong_schema::plugin_schema("rate-limiting").unwrap();
        let attrs = kong_schema::fields(schema).find(|(f, _)| *f == "config").unwrap().1;
        let config =
            json!({"minute": 5, "policy": "redis", "redis": {"host": "r", "password": "pw"}});
        let stored = kong_schema::check_record(attrs, config.as_object().unwrap(), "", &mut vec![]);
        let cred = |id: &str, body: Value| {
            let mut b = body;
            b["id"] = json!(id);
            b["consumer"] = json!({"id": "c1"});
            b
        };
        vec![
            (EntityKind::Consumers, json!({"id": "c1", "username": "ann"})),
            (EntityKind::KeyAuths, cred("k1", json!({"key": "sekrit-key-1"}))),
            (EntityKind::BasicAuths, cred("b1", json!({"username": "ann-b", "password": "9f1a"}))),
            (EntityKind::Jwts, cred("j1", json!({"key": "iss-1", "secret": "jwt-sekrit"}))),
            (EntityKind::HmacAuths, cred("h1", json!({"username": "ann-h", "secret": "h-sekrit"}))),
            (EntityKind::Acls, cred("a1", json!({"group": "admins"}))),
            (
                EntityKind::Plugins,
                json!({"id": "p1", "name": "rate-limiting", "config": stored, "enabled": true}),
            ),
        ]
    }

    #[test]
    fn every_credential_kind_nests_under_its_consumer_and_reads_back_unchanged() {
        let d = from_entities(&group_with_secrets());
        let doc = to_deck("dev", &d);
        let ann = &doc["consumers"][0];
        for key in ["keyauth_credentials", "basicauth_credentials", "jwt_secrets"] {
            assert_eq!(ann[key].as_array().map(Vec::len), Some(1), "{key}");
        }
        assert_eq!(ann["hmacauth_credentials"][0]["username"], "ann-h");
        assert_eq!(ann["acls"][0]["group"], "admins");
        assert!(d.values().any(|i| i.kind == EntityKind::Acls && i.key == "ann/admins"));
        assert!(d.keys().all(|(_, key)| !key.contains("sekrit")), "no secret in a key");
        let back = from_deck(&crate::yaml::to_string(&doc).unwrap()).unwrap();
        let p = plan(&d, &back);
        assert!(p.create.is_empty() && p.update.is_empty() && p.delete.is_empty(), "{p:?}");
        assert_eq!(p.unchanged as usize, d.len());
    }

    #[test]
    fn a_plugin_config_stating_only_what_it_sets_is_unchanged() {
        let d = from_entities(&group_with_secrets());
        let file = from_deck(
            r#"{"_format_version": "3.0", "consumers": [{"username": "ann"}], "plugins": [
                {"name": "rate-limiting",
                 "config": {"minute": 5, "policy": "redis", "redis": {"host": "r", "password": "pw"}}}
            ]}"#,
        )
        .unwrap();
        let p = plan(&d, &file);
        assert!(p.update.is_empty(), "{:?}", p.update);
        assert_eq!(p.unchanged, 2);
    }

    #[test]
    fn secrets_are_masked_in_previews_and_diffs() {
        let d = from_entities(&group_with_secrets());
        let mut other = d.clone();
        for item in other.values_mut() {
            let secret = match item.kind {
                EntityKind::KeyAuths => "key",
                EntityKind::BasicAuths => "password",
                EntityKind::Jwts | EntityKind::HmacAuths => "secret",
                _ => continue,
            };
            item.body.insert(secret.into(), json!("changed-sekrit"));
        }
        let plugin = other.values_mut().find(|i| i.kind == Plugins).unwrap();
        plugin.body["config"]["redis"]["password"] = json!("other-sekrit");
        plugin.body["config"]["minute"] = json!(6);
        let diff = difference(&d, &other);
        let shown = serde_json::to_string(&diff).unwrap();
        assert!(!shown.contains("sekrit") && !shown.contains("\"pw\""), "{shown}");
        assert!(shown.contains(MASK) && shown.contains("\"minute\":6"), "{shown}");
        let kinds: Vec<EntityKind> = diff.changed.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [KeyAuths, BasicAuths, Jwts, HmacAuths, Plugins]);
    }

    #[test]
    fn plan_lists_creates_updates_and_deletes() {
        let d = from_entities(&group());
        let file = from_deck(
            r#"{"_format_version": "3.0", "services": [
                {"name": "users-api", "host": "users.v2.internal", "port": 80},
                {"name": "orders", "host": "orders"}
            ]}"#,
        )
        .unwrap();
        let p = plan(&d, &file);
        assert_eq!(p.create, vec![EntityRef { kind: EntityKind::Services, key: "orders".into() }]);
        assert_eq!(p.update[0].fields[0].field, "host");
        assert!(p.delete.iter().any(|e| e.kind == "routes" && e.key == "users"));
    }

    #[test]
    fn bad_files_are_refused_with_where() {
        assert!(from_deck("services: []").unwrap_err().contains("_format_version"));
        assert!(from_deck("_format_version: \"3.0\"\nservices:\n  - host: x\n")
            .unwrap_err()
            .contains("services[0] needs a name"));
        assert!(from_deck("{not yaml: [").is_err());
    }
}
