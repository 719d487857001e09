//! response-transformer: the answer's headers and its JSON body's top-level fields changed in
//! Kong's order (remove, rename, replace, add, append) (Kong's `response-transformer`, priority
//! 800, header_filter and body_filter phases).

use bytes::Bytes;
use serde_json::{Number, Value};

use super::request_transformer::split_pair;
use super::{AnswerHead, Context, Parse, Plugin};

/// The JSON type a configured value is given (`json_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    String,
    Number,
    Boolean,
}

/// One configured `name` or `name:value`, and the type its value is written as.
#[derive(Debug)]
struct Entry {
    name: String,
    value: Option<String>,
    json_type: JsonType,
}

impl Entry {
    /// The value as JSON (Kong's `json_value`): a number that does not parse is no value.
    fn json(&self) -> Option<Value> {
        let value = self.value.as_deref()?;
        match self.json_type {
            JsonType::String => Some(Value::String(value.to_string())),
            JsonType::Boolean => Some(Value::Bool(value == "true")),
            JsonType::Number => match value.trim().parse::<i64>() {
                Ok(n) => Some(Value::Number(n.into())),
                Err(_) => {
                    value.trim().parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number)
                }
            },
        }
    }
}

/// What one of remove, rename, replace, add, append does to the headers and the JSON body.
#[derive(Debug, Default)]
struct Changes {
    headers: Vec<Entry>,
    json: Vec<Entry>,
}

fn entries(config: &Value, field: &str, types: &Value) -> Vec<Entry> {
    let list = config[field].as_array().map(Vec::as_slice).unwrap_or_default();
    let json_type = |i: usize| match types[i].as_str() {
        Some("number") => JsonType::Number,
        Some("boolean") => JsonType::Boolean,
        _ => JsonType::String,
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, e)| Some((i, split_pair(e.as_str()?)?)))
        .map(|(i, (name, value))| Entry {
            name: name.to_string(),
            value: (!value.is_empty()).then(|| value.to_string()),
            json_type: json_type(i),
        })
        .collect()
}

impl Changes {
    fn parse(config: &Value) -> Changes {
        Changes {
            headers: entries(config, "headers", &Value::Null),
            json: entries(config, "json", &config["json_types"]),
        }
    }
}

/// A response-transformer config, parsed.
#[derive(Debug)]
pub struct ResponseTransformer {
    remove: Changes,
    rename: Changes,
    replace: Changes,
    add: Changes,
    append: Changes,
}

/// `application/json` or `application/<something>+json`, among comma-separated types.
fn is_json(content_type: &str) -> bool {
    content_type.split(',').any(|ct| {
        let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.split_once('/') {
            Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
            _ => false,
        }
    })
}

impl ResponseTransformer {
    fn from_config(config: &Value) -> ResponseTransformer {
        ResponseTransformer {
            remove: Changes::parse(&config["remove"]),
            rename: Changes::parse(&config["rename"]),
            replace: Changes::parse(&config["replace"]),
            add: Changes::parse(&config["add"]),
            append: Changes::parse(&config["append"]),
        }
    }

    fn transforms_body(&self) -> bool {
        [&self.remove, &self.rename, &self.replace, &self.add, &self.append]
            .iter()
            .any(|c| !c.json.is_empty())
    }

    fn transform_headers(&self, head: &mut AnswerHead) {
        for e in &self.remove.headers {
            head.remove(&e.name);
        }
        for e in &self.rename.headers {
            let values = head.get_all(&e.name);
            let Some(new) = &e.value else { continue };
            if values.is_empty() {
                continue;
            }
            head.remove(new);
            for v in values {
                head.append(new.clone(), v);
            }
            head.remove(&e.name);
        }
        for e in &self.replace.headers {
            if let (true, Some(v)) = (head.contains(&e.name), &e.value) {
                head.set(e.name.clone(), v.clone());
            }
        }
        for e in &self.add.headers {
            if let (false, Some(v)) = (head.contains(&e.name), &e.value) {
                head.set(e.name.clone(), v.clone());
            }
        }
        for e in &self.append.headers {
            if let Some(v) = &e.value {
                head.append(e.name.clone(), v.clone());
            }
        }
    }

    /// Kong's `transform_json_body` on a JSON object's top-level fields; `None` when the body is
    /// not one (it then goes as it came).
    fn transform_json(&self, body: &[u8]) -> Option<Vec<u8>> {
        let mut value: Value = serde_json::from_slice(body).ok()?;
        let fields = value.as_object_mut()?;
        let present =
            |v: Option<&Value>| !matches!(v, None | Some(Value::Null | Value::Bool(false)));
        for e in &self.remove.json {
            fields.remove(&e.name);
        }
        for e in &self.rename.json {
            let Some(new) = &e.value else { continue };
            if let Some(v) = fields.remove(&e.name) {
                fields.insert(new.clone(), v);
            }
        }
        for e in &self.replace.json {
            if let (true, Some(v)) = (present(fields.get(&e.name)), e.json()) {
                fields.insert(e.name.clone(), v);
            }
        }
        for e in &self.add.json {
            if let (false, Some(v)) = (present(fields.get(&e.name)), e.json()) {
                fields.insert(e.name.clone(), v);
            }
        }
        for e in &self.append.json {
            let Some(v) = e.json() else { continue };
            let appended = match fields.remove(&e.name) {
                Some(Value::Array(mut values)) => {
                    values.push(v);
                    values
                }
                Some(old @ Value::String(_)) => vec![old, v],
                _ => vec![v],
            };
            fields.insert(e.name.clone(), Value::Array(appended));
        }
        serde_json::to_vec(&value).ok()
    }
}

impl Plugin for ResponseTransformer {
    const NAME: &'static str = "response-transformer";
    const PRIORITY: i32 = 800;

    fn parse(args: &Parse) -> Result<Self, String> {
        Ok(ResponseTransformer::from_config(args.config))
    }

    /// The headers; and whether the body is JSON to transform, noted for `body_filter`. As in
    /// Kong, the body is judged by its content type once the headers are transformed; the proxy
    /// sets the changed body's length.
    fn header_filter(&self, ctx: &mut Context, head: &mut AnswerHead) {
        self.transform_headers(head);
        if self.transforms_body() && head.get("content-type").is_some_and(|ct| is_json(&ct)) {
            ctx.notes.push((Self::NAME, "json".into()));
        }
    }

    fn wants_whole_body(&self) -> bool {
        self.transforms_body()
    }

    fn body_filter(&self, ctx: &mut Context, body: &mut Bytes) {
        if ctx.note(Self::NAME).is_none() {
            return;
        }
        if let Some(changed) = self.transform_json(body) {
            *body = Bytes::from(changed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::{HeadOut, Headers};
    use serde_json::json;

    fn upstream(raw: &str) -> Headers {
        let mut parsed = [httparse::EMPTY_HEADER; 16];
        let mut res = httparse::Response::new(&mut parsed);
        res.parse(raw.as_bytes()).unwrap();
        Headers::copy(raw.as_bytes(), res.headers)
    }

    #[test]
    fn answer_headers_change_in_kongs_order() {
        let plugin = ResponseTransformer::from_config(&json!({
            "remove": {"headers": ["x-drop"]},
            "rename": {"headers": ["x-old:x-new"]},
            "replace": {"headers": ["x-keep:replaced", "x-absent:never"]},
            "add": {"headers": ["x-keep:not-added", "x-added:yes"]},
            "append": {"headers": ["x-keep:second"]},
        }));
        let up =
            upstream("HTTP/1.1 200 OK\r\nX-Drop: 1\r\nX-Old: a\r\nX-Old: b\r\nX-Keep: k\r\n\r\n");
        let mut head = AnswerHead::new(200, Some(&up));
        plugin.transform_headers(&mut head);
        assert!(head.get("x-drop").is_none() && head.get("x-old").is_none());
        assert_eq!(head.get_all("x-new"), ["a", "b"]);
        assert_eq!(head.get_all("x-keep"), ["replaced", "second"]);
        assert!(head.get("x-absent").is_none());
        assert_eq!(head.get_all("x-added"), ["yes"]);
        let mut out = HeadOut::answer(200, "");
        head.write_added(&mut out);
        assert!(String::from_utf8_lossy(&out.out).contains("x-new: a\r\nx-new: b\r\n"));
    }

    #[test]
    fn json_fields_change_with_their_types() {
        let plugin = ResponseTransformer::from_config(&json!({
            "remove": {"json": ["secret"]},
            "rename": {"json": ["old:new"]},
            "replace": {"json": ["count:7", "off:on"], "json_types": ["number", "string"]},
            "add": {"json": ["flag:true", "count:0", "bad:x"], "json_types": ["boolean", "number", "number"]},
            "append": {"json": ["tags:b"]},
        }));
        let body = br#"{"secret":"s","old":1,"count":3,"off":false,"tags":"a"}"#;
        let out: Value = serde_json::from_slice(&plugin.transform_json(body).unwrap()).unwrap();
        assert_eq!(out, json!({"new":1,"count":7,"off":false,"flag":true,"tags":["a","b"]}));
        assert!(plugin.transform_json(b"not json").is_none());
        assert!(plugin.transform_json(b"[1,2]").is_none(), "only objects have fields");
    }

    #[test]
    fn json_answers_are_told_by_their_type() {
        let cases = [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/problem+json", true),
            ("text/html, application/json", true),
            ("text/plain", false),
            ("application/jsonp", false),
        ];
        for (ct, want) in cases {
            assert_eq!(is_json(ct), want, "{ct}");
        }
    }
}
