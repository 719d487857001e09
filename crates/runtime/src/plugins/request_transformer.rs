//! request-transformer: the upstream request's headers, query string and body changed in
//! Kong's order (remove, rename, replace, add, append), its method and path replaced (Kong's
//! `request-transformer`, priority 801, access phase; `kong/plugins/request-transformer/access.lua`).

use std::borrow::Cow;

use bytes::Bytes;
use serde_json::Value;

use super::{Context, Parse, Plugin, Refusal, UpstreamHeaders};

/// A config entry `name:value` as Kong splits it (`^([^:]+):*(.-)$`): the name up to the first
/// colon, the value after the colons that follow it; `None` for an entry without a name.
pub(super) fn split_pair(entry: &str) -> Option<(&str, &str)> {
    let (name, value) = entry.split_once(':').unwrap_or((entry, ""));
    (!name.is_empty()).then(|| (name, value.trim_start_matches(':')))
}

/// Percent-decoding as a query string or form is decoded (`+` is a space).
pub(super) fn decode(text: &str) -> String {
    if !text.contains(['%', '+']) {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 2;
            }
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding as nginx's `escape_uri` does for arguments: all but unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a template expression reads from: the client's request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Header(String),
    Query(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `$(headers.name)`, `$(query_params["name"])`, with `or "default"`.
    Lookup {
        source: Source,
        default: String,
    },
}

/// A value as configured: text with Kong's `$(…)` template expressions. Of Kong's sandboxed
/// Lua this runtime evaluates lookups of `headers` and `query_params`, with an `or` default.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template(Vec<Part>);

impl Template {
    fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("$(") {
            let inner_start = at + 2;
            let mut depth = 1;
            let end = rest[inner_start..].char_indices().find_map(|(i, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                (depth == 0).then_some(inner_start + i)
            });
            let Some(end) = end else { break };
            if at > 0 {
                parts.push(Part::Text(rest[..at].to_string()));
            }
            parts.push(lookup(&rest[inner_start..end])?);
            rest = &rest[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template(parts))
    }

    fn render<'t>(&'t self, ctx: &Context) -> Cow<'t, str> {
        match self.0.as_slice() {
            [] => Cow::Borrowed(""),
            [Part::Text(t)] => Cow::Borrowed(t),
            parts => Cow::Owned(parts.iter().map(|p| render_part(p, ctx)).collect()),
        }
    }
}

fn render_part<'p>(part: &'p Part, ctx: &Context) -> Cow<'p, str> {
    let (source, default) = match part {
        Part::Text(t) => return Cow::Borrowed(t),
        Part::Lookup { source, default } => (source, default),
    };
    let found = match source {
        // Kong's headers table: any case, `_` for `-`.
        Source::Header(name) => ctx
            .req
            .headers()
            .get_str(name)
            .or_else(|| ctx.req.headers().get_str(&name.replace('_', "-")))
            .map(str::to_string),
        Source::Query(name) => {
            ctx.query().iter().find(|(k, _)| decode(k) == *name).map(|(_, v)| decode(v))
        }
    };
    found.map_or(Cow::Borrowed(default), Cow::Owned)
}

/// One `$( … )` expression: `headers.x`, `headers["x"]`, `query_params['x']`, `… or "d"`.
fn lookup(expr: &str) -> Result<Part, String> {
    let unsupported = || format!("template expression '$({expr})' is not supported here");
    let (target, default) = match expr.split_once(" or ") {
        Some((t, d)) => (t.trim(), Some(d.trim())),
        None => (expr.trim(), None),
    };
    let quoted = |s: &str| {
        let s = s.trim();
        ['"', '\'']
            .iter()
            .find_map(|q| s.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)))
            .map(str::to_string)
    };
    let default = match default {
        Some(d) => quoted(d).ok_or_else(unsupported)?,
        None => String::new(),
    };
    let (table, key) = if let Some((table, key)) = target.split_once('.') {
        (table, Some(key.to_string()))
    } else if let Some((table, key)) = target.split_once('[') {
        (table, key.strip_suffix(']').and_then(quoted))
    } else {
        return Err(unsupported());
    };
    let key = key.filter(|k| !k.is_empty()).ok_or_else(unsupported)?;
    let source = match table.trim() {
        "headers" => Source::Header(key.to_ascii_lowercase()),
        "query_params" => Source::Query(key),
        _ => return Err(unsupported()),
    };
    Ok(Part::Lookup { source, default })
}

/// One configured `name` or `name:value`.
#[derive(Debug)]
struct Entry {
    name: String,
    value: Template,
}

/// What one of remove, rename, replace, add, append does to each part of the request.
#[derive(Debug, Default)]
struct Changes {
    headers: Vec<Entry>,
    querystring: Vec<Entry>,
    body: Vec<Entry>,
}

impl Changes {
    fn parse(config: &Value) -> Result<Changes, String> {
        let entries = |field: &str| -> Result<Vec<Entry>, String> {
            let list = config[field].as_array().map(Vec::as_slice).unwrap_or_default();
            list.iter()
                .filter_map(Value::as_str)
                .filter_map(split_pair)
                .map(|(name, value)| {
                    Ok(Entry { name: name.to_string(), value: Template::parse(value)? })
                })
                .collect()
        };
        Ok(Changes {
            headers: entries("headers")?,
            querystring: entries("querystring")?,
            body: entries("body")?,
        })
    }
}

/// Parameters of a query string or form in their order, a name's values together; a value of
/// `None` is a name without `=`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Params(Vec<(String, Vec<Option<String>>)>);

impl Params {
    fn decoded<'p>(
        pairs: impl Iterator<Item = (&'p str, &'p str)>,
        bare: impl Fn(&str) -> bool,
    ) -> Params {
        let mut params = Params::default();
        for (k, v) in pairs {
            let value = (!bare(v)).then(|| decode(v));
            params.push(decode(k), value);
        }
        params
    }

    fn push(&mut self, name: String, value: Option<String>) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => self.0.push((name, vec![value])),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }

    fn rename(&mut self, old: &str, new: &str) -> bool {
        if old == new || !self.has(old) {
            return false;
        }
        self.remove(new);
        if let Some(p) = self.0.iter_mut().find(|(n, _)| n == old) {
            p.0 = new.to_string();
        }
        true
    }

    fn set(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => *values = vec![Some(value)],
            None => self.0.push((name.to_string(), vec![Some(value)])),
        }
    }

    /// Kong's `append_value`: beside the values there are; a bare name is replaced.
    fn append(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) if values.iter().all(Option::is_some) => values.push(Some(value)),
            _ => self.set(name, value),
        }
    }

    fn pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.0.iter().flat_map(|(name, values)| {
            values.iter().map(move |v| (encode(name), v.as_deref().map(encode).unwrap_or_default()))
        })
    }

    fn encoded(&self) -> String {
        let pairs: Vec<String> =
            self.pairs().map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") }).collect();
        pairs.join("&")
    }
}

fn form_params(body: &[u8]) -> Params {
    let text = String::from_utf8_lossy(body);
    let mut params = Params::default();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((k, v)) => params.push(decode(k), Some(decode(v))),
            None => params.push(decode(pair), None),
        }
    }
    params
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    Multipart,
}

fn body_kind(content_type: Option<&str>) -> Option<BodyKind> {
    let ct = content_type?.to_ascii_lowercase();
    if ct.contains("application/json") {
        Some(BodyKind::Json)
    } else if ct.contains("multipart/form-data") {
        Some(BodyKind::Multipart)
    } else if ct.contains("application/x-www-form-urlencoded") {
        Some(BodyKind::Form)
    } else {
        None
    }
}

/// A request-transformer config, parsed.
#[derive(Debug)]
pub struct RequestTransformer {
    http_method: Option<String>,
    uri: Option<Template>,
    remove: Changes,
    rename: Changes,
    replace: Changes,
    add: Changes,
    append: Changes,
}

impl RequestTransformer {
    fn from_config(config: &Value) -> Result<RequestTransformer, String> {
        let uri = config["replace"]["uri"].as_str().filter(|u| !u.is_empty());
        Ok(RequestTransformer {
            http_method: config["http_method"].as_str().map(str::to_ascii_uppercase),
            uri: uri.map(Template::parse).transpose()?,
            remove: Changes::parse(&config["remove"])?,
            rename: Changes::parse(&config["rename"])?,
            replace: Changes::parse(&config["replace"])?,
            add: Changes::parse(&config["add"])?,
            append: Changes::parse(&config["append"])?,
        })
    }

    fn each(&self, part: fn(&Changes) -> &Vec<Entry>) -> [&[Entry]; 5] {
        [&self.remove, &self.rename, &self.replace, &self.add, &self.append]
            .map(|c| part(c).as_slice())
    }

    fn transform_method(&self, ctx: &mut Context) {
        let Some(method) = &self.http_method else { return };
        ctx.upstream_method = Some(method.clone());
        let content_type = ctx.upstream_header("content-type").map(Cow::into_owned);
        let to_query = matches!(method.as_str(), "GET" | "HEAD" | "TRACE");
        if !to_query || body_kind(content_type.as_deref()) != Some(BodyKind::Form) {
            return;
        }
        // A form sent as a GET goes in the query string, beside its parameters.
        let form = form_params(ctx.upstream_body.as_ref().unwrap_or(&ctx.req.body));
        if form.0.is_empty() {
            return;
        }
        let mut query = current_query(ctx);
        for (name, values) in form.0 {
            for value in values {
                query.push(name.clone(), value);
            }
        }
        set_query(ctx, query);
    }

    fn transform_headers(&self, ctx: &mut Context) {
        let [remove, rename, replace, add, append] = self.each(|c| &c.headers);
        if [remove, rename, replace, add, append].iter().all(|l| l.is_empty()) {
            return;
        }
        let rendered = |list: &[Entry], ctx: &Context| -> Vec<(String, String)> {
            list.iter().map(|e| (e.name.clone(), e.value.render(ctx).into_owned())).collect()
        };
        let (rename, replace, add, append) = (
            rendered(rename, ctx),
            rendered(replace, ctx),
            rendered(add, ctx),
            rendered(append, ctx),
        );
        let headers = ctx.upstream_headers_mut();
        let has = |h: &UpstreamHeaders, n: &str| h.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        for e in remove {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&e.name));
        }
        for (old, new) in &rename {
            if has(headers, old) {
                headers
                    .retain(|(k, _)| !k.eq_ignore_ascii_case(new) || k.eq_ignore_ascii_case(old));
                for (k, _) in headers.iter_mut().filter(|(k, _)| k.eq_ignore_ascii_case(old)) {
                    *k = Cow::Owned(new.clone());
                }
            }
        }
        for (name, value) in replace {
            if has(headers, &name) {
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
                headers.push((name.into(), value.into()));
            }
        }
        for (name, value) in add {
            if !has(headers, &name) && !name.eq_ignore_ascii_case("host") {
                headers.push((name.into(), value.into()));
            }
        }
        for (name, value) in append {
            if !name.eq_ignore_ascii_case("host") {
                headers.push((name.into(), value.into()));
            }
        }
    }

    fn transform_query(&self, ctx: &mut Context) {
        let [remove, rename, replace, add, append] = self.each(|c| &c.querystring);
        if [remove, rename, replace, add, append].iter().all(|l| l.is_empty()) {
            return;
        }
        let mut query = current_query(ctx);
        for e in remove {
            query.remove(&e.name);
        }
        for e in rename {
            query.rename(&e.name, &e.value.render(ctx));
        }
        for e in replace {
            if query.has(&e.name) {
                query.set(&e.name, e.value.render(ctx).into_owned());
            }
        }
        for e in add {
            if !query.has(&e.name) {
                query.set(&e.name, e.value.render(ctx).into_owned());
            }
        }
        for e in append {
            query.append(&e.name, e.value.render(ctx).into_owned());
        }
        set_query(ctx, query);
    }

    fn transform_body(&self, ctx: &mut Context) {
        let lists = self.each(|c| &c.body);
        if lists.iter().all(|l| l.is_empty()) {
            return;
        }
        let content_type = ctx.upstream_header("content-type").map(Cow::into_owned);
        let body = ctx.upstream_body.clone().unwrap_or_else(|| ctx.req.body.clone());
        let changed = match body_kind(content_type.as_deref()) {
            Some(BodyKind::Json) => self.transform_json(ctx, &body),
            Some(BodyKind::Form) => self.transform_form(ctx, &body),
            // Kong's multipart rewriting is not done here: the body goes as it came.
            Some(BodyKind::Multipart) | None => None,
        };
        if let Some(changed) = changed {
            ctx.upstream_body = Some(Bytes::from(changed));
        }
    }

    /// Kong's `transform_json_body`: remove, rename and replace only in a body that has
    /// something; values are strings; nothing changes in a body that is not a JSON object.
    fn transform_json(&self, ctx: &Context, body: &[u8]) -> Option<String> {
        let [remove, rename, replace, add, append] = self.each(|c| &c.body);
        let mut value = if body.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(body).ok()?
        };
        let fields = value.as_object_mut()?;
        let present =
            |v: Option<&Value>| !matches!(v, None | Some(Value::Null | Value::Bool(false)));
        let mut changed = false;
        if !body.is_empty() {
            for e in remove {
                fields.remove(&e.name);
                changed = true;
            }
            for e in rename {
                let new = e.value.render(ctx);
                if *new != e.name {
                    if let Some(v) = fields.remove(&e.name) {
                        fields.insert(new.into_owned(), v);
                        changed = true;
                    }
                }
            }
            for e in replace {
                if present(fields.get(&e.name)) {
                    fields.insert(e.name.clone(), Value::String(e.value.render(ctx).into_owned()));
                    changed = true;
                }
            }
        }
        for e in add {
            if !present(fields.get(&e.name)) {
                fields.insert(e.name.clone(), Value::String(e.value.render(ctx).into_owned()));
                changed = true;
            }
        }
        for e in append {
            let new = Value::String(e.value.render(ctx).into_owned());
            let appended = match fields.remove(&e.name) {
                Some(Value::Array(mut values)) => {
                    values.push(new);
                    values
                }
                Some(old @ Value::String(_)) => vec![old, new],
                _ => vec![new],
            };
            fields.insert(e.name.clone(), Value::Array(appended));
            changed = true;
        }
        changed.then(|| value.to_string())
    }

    fn transform_form(&self, ctx: &Context, body: &[u8]) -> Option<String> {
        let [remove, rename, replace, add, append] = self.each(|c| &c.body);
        let mut form = form_params(body);
        let mut changed = false;
        if !body.is_empty() {
            for e in remove {
                form.remove(&e.name);
                changed = true;
            }
            for e in rename {
                changed |= form.rename(&e.name, &e.value.render(ctx));
            }
            for e in replace {
                if form.has(&e.name) {
                    form.set(&e.name, e.value.render(ctx).into_owned());
                    changed = true;
                }
            }
        }
        for e in add {
            if !form.has(&e.name) {
                form.set(&e.name, e.value.render(ctx).into_owned());
                changed = true;
            }
        }
        for e in append {
            form.append(&e.name, e.value.render(ctx).into_owned());
            changed = true;
        }
        changed.then(|| form.encoded())
    }
}

/// The upstream query string's parameters, decoded.
fn current_query(ctx: &Context) -> Params {
    let query = ctx.query();
    Params::decoded(query.iter().map(|(k, v)| (k.as_str(), v.as_str())), str::is_empty)
}

/// Sets the upstream query string, its names in order as Kong's `set_query` writes them.
fn set_query(ctx: &mut Context, mut params: Params) {
    params.0.sort_by(|a, b| a.0.cmp(&b.0));
    *ctx.query_mut() = params.pairs().collect();
}

impl Plugin for RequestTransformer {
    const NAME: &'static str = "request-transformer";
    const PRIORITY: i32 = 801;

    fn parse(args: &Parse) -> Result<Self, String> {
        RequestTransformer::from_config(args.config)
    }

    /// Kong's order: the path, the method, headers, body, then the query string.
    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        if let Some(uri) = &self.uri {
            ctx.upstream_path = Some(uri.render(ctx).into_owned());
        }
        self.transform_method(ctx);
        self.transform_headers(ctx);
        self.transform_body(ctx);
        self.transform_query(ctx);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::test_support::request;
    use crate::plugins::State;
    use serde_json::json;

    /// What the upstream gets: (method, path, query, headers, body).
    type Upstream = (String, Option<String>, String, Vec<(String, String)>, String);

    fn run(config: Value, head: &str, body: &str) -> Upstream {
        let plugin = RequestTransformer::from_config(&config).unwrap();
        let (req, snap, state) = (request(head, body), Snapshot::default(), State::default());
        let mut ctx = Context::new(&req, "127.0.0.1", &snap, &state);
        plugin.access(&mut ctx).unwrap();
        let headers = (ctx.upstream_headers().unwrap_or_default().iter())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let body = ctx.upstream_body.clone().unwrap_or_else(|| req.body.clone());
        (
            ctx.upstream_method.clone().unwrap_or_else(|| req.method().to_string()),
            ctx.upstream_path.clone(),
            ctx.upstream_query().into_owned(),
            headers,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    fn header<'h>(headers: &'h [(String, String)], name: &str) -> Vec<&'h str> {
        headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn pairs_split_as_kong_splits_them() {
        let cases = [
            ("x-a:1", Some(("x-a", "1"))),
            ("x-a::1:2", Some(("x-a", "1:2"))),
            ("x-a", Some(("x-a", ""))),
            (":v", None),
        ];
        for (entry, want) in cases {
            assert_eq!(split_pair(entry), want, "{entry}");
        }
    }

    #[test]
    fn headers_change_in_kongs_order() {
        let config = json!({
            "remove": {"headers": ["x-drop"]},
            "rename": {"headers": ["x-old:x-new"]},
            "replace": {"headers": ["x-keep:replaced", "x-absent:never"]},
            "add": {"headers": ["x-keep:not-added", "x-added:from-$(headers.x_old)", "x-q:$(query_params.q or 'none')"]},
            "append": {"headers": ["x-keep:second"]},
        });
        let head = "GET /p?q=1 HTTP/1.1\r\nHost: h\r\nX-Drop: 1\r\nX-Old: o\r\nX-Keep: k\r\n";
        let (_, _, _, headers, _) = run(config, head, "");
        assert!(header(&headers, "x-drop").is_empty());
        assert_eq!(header(&headers, "x-new"), ["o"]);
        assert!(header(&headers, "x-old").is_empty());
        assert_eq!(header(&headers, "x-keep"), ["replaced", "second"]);
        assert!(header(&headers, "x-absent").is_empty(), "replace only replaces");
        assert_eq!(header(&headers, "x-added"), ["from-o"], "templates read the client's headers");
        assert_eq!(header(&headers, "x-q"), ["1"]);
    }

    #[test]
    fn the_query_string_changes_and_is_written_in_order() {
        let config = json!({
            "remove": {"querystring": ["drop"]},
            "rename": {"querystring": ["old:new"]},
            "replace": {"querystring": ["keep:two words"]},
            "add": {"querystring": ["added:x", "keep:no"]},
            "append": {"querystring": ["list:b"]},
        });
        let (_, _, query, _, _) =
            run(config, "GET /p?zz=1&drop=1&old=o&keep=k&list=a HTTP/1.1\r\nHost: h\r\n", "");
        assert_eq!(query, "added=x&keep=two%20words&list=a&list=b&new=o&zz=1");
    }

    #[test]
    fn json_and_form_bodies_change() {
        let config = json!({
            "remove": {"body": ["secret"]},
            "rename": {"body": ["old:new"]},
            "replace": {"body": ["keep:replaced", "off:never"]},
            "add": {"body": ["added:yes", "keep:no"]},
            "append": {"body": ["list:b", "num:1"]},
        });
        let post = |ct: &str| format!("POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: {ct}\r\n");
        let json_body = r#"{"secret":1,"old":"o","keep":"k","off":false,"list":"a","num":5}"#;
        let (_, _, _, _, body) = run(config.clone(), &post("application/json"), json_body);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({"new":"o","keep":"replaced","off":false,"added":"yes","list":["a","b"],"num":["1"]})
        );
        let (_, _, _, _, empty) = run(config.clone(), &post("application/json"), "");
        assert_eq!(
            serde_json::from_str::<Value>(&empty).unwrap(),
            json!({"added":"yes","keep":"no","list":["b"],"num":["1"]})
        );
        let (_, _, _, _, broken) = run(config.clone(), &post("application/json"), "{oops");
        assert_eq!(broken, "{oops", "a body that is not JSON goes as it came");
        let form = "secret=1&old=o&keep=k&list=a";
        let (_, _, _, _, body) = run(config, &post("application/x-www-form-urlencoded"), form);
        assert_eq!(body, "new=o&keep=replaced&list=a&list=b&added=yes&num=1");
    }

    #[test]
    fn method_and_path_are_replaced_and_a_form_goes_to_the_query() {
        let config = json!({"http_method": "get", "replace": {"uri": "/v2/$(headers.x_id)"}});
        let head = "POST /p?a=1 HTTP/1.1\r\nHost: h\r\nX-Id: 42\r\nContent-Type: application/x-www-form-urlencoded\r\n";
        let (method, path, query, _, _) = run(config, head, "b=2&a=3");
        assert_eq!((method.as_str(), path.as_deref()), ("GET", Some("/v2/42")));
        assert_eq!(query, "a=1&a=3&b=2");
    }

    #[test]
    fn templates_parse_lookups_and_refuse_other_lua() {
        let t = Template::parse("a-$(headers[\"X-Y\"])-$(query_params.q or \"d\")").unwrap();
        assert_eq!(t.0.len(), 4);
        assert_eq!(
            t.0[1],
            Part::Lookup { source: Source::Header("x-y".into()), default: String::new() }
        );
        assert!(Template::parse("$(os.exit())").is_err());
        assert_eq!(Template::parse("no template").unwrap().0, [Part::Text("no template".into())]);
        assert_eq!(decode("a+b%20c%2"), "a b c%2");
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
