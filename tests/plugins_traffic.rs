//! Kong's traffic, security and transformation plugins through a real control plane, runtime and
//! recording upstream: what the client gets (status, headers, body) and what the upstream got.

use reqwest::{header::HeaderMap, Method, Response};
use serde_json::{json, Value};
use system_tests::gateway::{echoed, Gateway};

/// A service and route on `path` with the plugin `name` on the service.
async fn plugin_on(gw: &Gateway, path: &str, name: &str, config: Value) {
    let service = path.trim_start_matches('/').replace('/', "-");
    let (sid, _) = gw.service_and_route(&service, path).await;
    gw.create(&format!("/services/{sid}/plugins"), json!({"name": name, "config": config})).await;
}

fn upstream_hits(gw: &Gateway) -> u64 {
    gw.upstream.hits.load(std::sync::atomic::Ordering::SeqCst)
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

/// Status, headers and the body as JSON (Null when it is not JSON).
async fn answer(r: Response) -> (u16, HeaderMap, Value) {
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    let body = r.text().await.unwrap();
    (status, headers, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_preflights_and_marks_actual_answers() {
    let gw = Gateway::start(&[]).await;
    let config = json!({
        "origins": ["http://allowed.test", "https://.*\\.regex\\.test"],
        "methods": ["GET", "POST"],
        "headers": ["X-Custom"],
        "exposed_headers": ["X-Total"],
        "credentials": true,
        "max_age": 600,
    });
    plugin_on(&gw, "/cors", "cors", config).await;
    plugin_on(&gw, "/cors-continue", "cors", json!({"preflight_continue": true})).await;
    gw.applied().await;
    let preflight = |path: &str, origin: &str| {
        gw.to(Method::OPTIONS, path)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
    };

    let hits = upstream_hits(&gw);
    let (status, h, _) =
        answer(preflight("/cors", "http://allowed.test").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "access-control-allow-origin"), Some("http://allowed.test"));
    assert_eq!(header(&h, "access-control-allow-credentials"), Some("true"));
    assert_eq!(header(&h, "access-control-allow-methods"), Some("GET,POST"));
    assert_eq!(header(&h, "access-control-allow-headers"), Some("X-Custom"));
    assert_eq!(header(&h, "access-control-max-age"), Some("600"));
    assert_eq!(header(&h, "vary"), Some("Origin"));
    assert_eq!(header(&h, "content-length"), Some("0"));
    assert_eq!(upstream_hits(&gw), hits, "the gateway answered the preflight itself");

    let actual = gw.get("/cors").header("origin", "https://app.regex.test").send().await.unwrap();
    let h = actual.headers().clone();
    assert_eq!(header(&h, "access-control-allow-origin"), Some("https://app.regex.test"));
    assert_eq!(header(&h, "access-control-expose-headers"), Some("X-Total"));
    assert_eq!(header(&h, "access-control-allow-credentials"), Some("true"));
    assert!(h.get_all("vary").iter().any(|v| v == "Origin"), "{h:?}");
    assert!(h.get("access-control-allow-methods").is_none(), "only on preflights");
    assert_eq!(echoed(actual).await["headers"]["origin"], "https://app.regex.test");

    let other = gw.get("/cors").header("origin", "https://app.regex.test.evil").send().await;
    let h = other.unwrap().headers().clone();
    assert!(h.get("access-control-allow-origin").is_none(), "not an allowed origin: {h:?}");

    let continued = preflight("/cors-continue", "http://any.test").send().await.unwrap();
    assert!(continued.headers().get("access-control-allow-methods").is_none());
    assert_eq!(echoed(continued).await["method"], "OPTIONS", "preflight_continue proxies it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_restriction_denies_and_allows_by_address_and_range() {
    let gw = Gateway::start(&[]).await;
    plugin_on(&gw, "/denied", "ip-restriction", json!({"deny": ["127.0.0.1"]})).await;
    let custom = json!({"deny": ["127.0.0.0/8"], "status": 451, "message": "Not from here"});
    plugin_on(&gw, "/custom", "ip-restriction", custom).await;
    plugin_on(&gw, "/allowed", "ip-restriction", json!({"allow": ["10.0.0.0/8", "127.0.0.0/24"]}))
        .await;
    plugin_on(&gw, "/elsewhere", "ip-restriction", json!({"allow": ["10.0.0.0/8"]})).await;
    gw.applied().await;

    let hits = upstream_hits(&gw);
    let (status, _, body) = answer(gw.get("/denied").send().await.unwrap()).await;
    assert_eq!((status, &body["message"]), (403, &json!("IP address not allowed: 127.0.0.1")));
    let (status, _, body) = answer(gw.get("/custom").send().await.unwrap()).await;
    assert_eq!((status, &body["message"]), (451, &json!("Not from here")));
    let (status, _, _) = answer(gw.get("/elsewhere").send().await.unwrap()).await;
    assert_eq!(status, 403, "not in the allow list");
    assert_eq!(upstream_hits(&gw), hits, "no refused request reached the upstream");
    let seen = echoed(gw.get("/allowed").send().await.unwrap()).await;
    assert_eq!(seen["headers"]["x-real-ip"], "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_transformer_changes_what_the_upstream_gets() {
    let gw = Gateway::start(&[]).await;
    let config = json!({
        "remove": {"headers": ["x-drop"], "querystring": ["drop"], "body": ["secret"]},
        "rename": {"headers": ["x-old:x-new"], "querystring": ["old:new"], "body": ["old:new"]},
        "replace": {"headers": ["x-keep:replaced"], "querystring": ["keep:replaced"], "body": ["keep:replaced"]},
        "add": {"headers": ["x-added:from-$(headers.x_old)"], "querystring": ["added:1"], "body": ["added:yes"]},
        "append": {"headers": ["x-list:b"], "querystring": ["list:b"], "body": ["list:b"]},
    });
    plugin_on(&gw, "/transform", "request-transformer", config).await;
    let method_and_uri = json!({"http_method": "GET", "replace": {"uri": "/v2/$(headers.x_id)"}});
    plugin_on(&gw, "/moved", "request-transformer", method_and_uri).await;
    gw.applied().await;

    let sent = gw
        .to(Method::POST, "/transform?drop=1&old=o&keep=k&list=a")
        .header("x-drop", "1")
        .header("x-old", "o")
        .header("x-keep", "k")
        .json(&json!({"secret": "s", "old": 1, "keep": "k", "list": "a"}))
        .send()
        .await
        .unwrap();
    let seen = echoed(sent).await;
    let headers = &seen["headers"];
    assert!(headers.get("x-drop").is_none() && headers.get("x-old").is_none(), "{headers}");
    assert_eq!(headers["x-new"], "o");
    assert_eq!(headers["x-keep"], "replaced");
    assert_eq!(headers["x-added"], "from-o", "a template of the client's headers");
    assert_eq!(headers["x-list"], "b");
    assert_eq!(
        seen["path"], "/?added=1&keep=replaced&list=a&list=b&new=o",
        "sorted as Kong sets it"
    );
    let body: Value = serde_json::from_str(seen["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"new": 1, "keep": "replaced", "added": "yes", "list": ["a", "b"]}));
    assert_eq!(headers["content-length"], seen["body"].as_str().unwrap().len().to_string());

    let moved = gw.to(Method::POST, "/moved/x?q=1").header("x-id", "42").send().await.unwrap();
    let seen = echoed(moved).await;
    assert_eq!((&seen["method"], &seen["path"]), (&json!("GET"), &json!("/v2/42?q=1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_transformer_changes_the_answers_headers_and_json() {
    let gw = Gateway::start(&[]).await;
    let config = json!({
        "remove": {"json": ["headers"]},
        "rename": {"headers": ["date:x-upstream-date"], "json": ["server:upstream"]},
        "replace": {"headers": ["content-type:application/problem+json"], "json": ["method:changed"]},
        "add": {"headers": ["x-added:yes"], "json": ["added:1", "flag:true"], "json_types": ["number", "boolean"]},
        "append": {"headers": ["x-added:again"], "json": ["path:/second"]},
    });
    plugin_on(&gw, "/answers", "response-transformer", config).await;
    gw.applied().await;

    let r = gw.get("/answers/p").send().await.unwrap();
    let (status, h, _) = (r.status(), r.headers().clone(), ());
    let text = r.text().await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), Some("application/problem+json"));
    assert!(h.get("x-upstream-date").is_some(), "renamed: {h:?}");
    let added: Vec<_> = h.get_all("x-added").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(added, ["yes", "again"]);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["upstream"], "upstream");
    assert!(body.get("server").is_none() && body.get("headers").is_none(), "{body}");
    assert_eq!(body["method"], "changed");
    assert_eq!((&body["added"], &body["flag"]), (&json!(1), &json!(true)));
    assert_eq!(body["path"], json!(["/p", "/second"]));
    assert_eq!(header(&h, "content-length"), Some(text.len().to_string().as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_termination_answers_in_place_of_the_upstream() {
    let gw = Gateway::start(&[]).await;
    plugin_on(&gw, "/closed", "request-termination", json!({})).await;
    let raw =
        json!({"status_code": 200, "body": "<h1>maintenance</h1>", "content_type": "text/html"});
    plugin_on(&gw, "/raw", "request-termination", raw).await;
    let triggered = json!({"status_code": 418, "message": "Debugging", "trigger": "x-debug"});
    plugin_on(&gw, "/triggered", "request-termination", triggered).await;
    plugin_on(&gw, "/echo", "request-termination", json!({"echo": true, "status_code": 404})).await;
    gw.applied().await;

    let hits = upstream_hits(&gw);
    let (status, h, body) = answer(gw.get("/closed").send().await.unwrap()).await;
    assert_eq!((status, body), (503, json!({"message": "Service unavailable"})));
    assert_eq!(header(&h, "content-type"), Some("application/json; charset=utf-8"));
    let r = gw.get("/raw").send().await.unwrap();
    assert_eq!(header(r.headers(), "content-type"), Some("text/html"));
    assert_eq!(r.text().await.unwrap(), "<h1>maintenance</h1>");
    let (status, _, body) =
        answer(gw.get("/triggered").header("x-debug", "1").send().await.unwrap()).await;
    assert_eq!((status, body), (418, json!({"message": "Debugging"})));
    let (status, _, body) =
        answer(gw.get("/echo/x?a=1").header("x-mine", "m").send().await.unwrap()).await;
    assert_eq!((status, &body["message"]), (404, &json!("Not found")));
    assert_eq!(body["request"]["headers"]["x-mine"], "m");
    assert_eq!(body["request"]["query"], json!({"a": "1"}));
    assert_eq!(upstream_hits(&gw), hits, "nothing reached the upstream");
    echoed(gw.get("/triggered").send().await.unwrap()).await;
    assert_eq!(upstream_hits(&gw), hits + 1, "without the trigger the request goes on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_size_limiting_refuses_large_bodies() {
    let gw = Gateway::start(&[]).await;
    let config = json!({"allowed_payload_size": 10, "size_unit": "bytes"});
    plugin_on(&gw, "/upload", "request-size-limiting", config).await;
    let required = json!({"allowed_payload_size": 1, "require_content_length": true});
    plugin_on(&gw, "/strict", "request-size-limiting", required).await;
    gw.applied().await;

    let hits = upstream_hits(&gw);
    let big = gw.to(Method::POST, "/upload").body("01234567890").send().await.unwrap();
    let (status, _, body) = answer(big).await;
    assert_eq!((status, &body["message"]), (413, &json!("Request size limit exceeded")));
    assert_eq!(upstream_hits(&gw), hits);
    let fits = gw.to(Method::POST, "/upload").body("0123456789").send().await.unwrap();
    assert_eq!(echoed(fits).await["body"], "0123456789");
    // A body of unknown length goes chunked, without a Content-Length.
    let piece = http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(
        futures_util::stream::iter([Ok::<_, std::io::Error>(hyper::body::Frame::data(
            bytes::Bytes::from(vec![b'x'; 2 * 1024 * 1024]),
        ))]),
    ));
    let chunked = reqwest::Body::wrap(piece);
    let (status, _, _) =
        answer(gw.to(Method::POST, "/strict").body(chunked).send().await.unwrap()).await;
    assert_eq!(status, 413, "a chunked body is measured as read");
    let (status, _, body) = answer(gw.get("/strict").send().await.unwrap()).await;
    assert_eq!(
        (status, &body["message"]),
        (411, &json!("A valid Content-Length header is required"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlation_id_tags_each_request() {
    let gw = Gateway::start(&[]).await;
    plugin_on(&gw, "/counted", "correlation-id", json!({})).await;
    let echo =
        json!({"header_name": "X-Correlation", "generator": "uuid", "echo_downstream": true});
    plugin_on(&gw, "/echoed", "correlation-id", echo).await;
    gw.applied().await;

    let first = echoed(gw.get("/counted").send().await.unwrap()).await["headers"]
        ["kong-request-id"]
        .as_str()
        .unwrap()
        .to_string();
    let (runtime, n) = first.split_once('#').expect("uuid#counter");
    let second = echoed(gw.get("/counted").send().await.unwrap()).await;
    let want = format!("{runtime}#{}", n.parse::<u64>().unwrap() + 1);
    assert_eq!(second["headers"]["kong-request-id"], want.as_str());

    let r = gw.get("/echoed").send().await.unwrap();
    let back = header(r.headers(), "x-correlation").unwrap().to_string();
    assert_eq!(back.len(), 36, "a uuid: {back}");
    assert_eq!(echoed(r).await["headers"]["x-correlation"], back.as_str());
    let r = gw.get("/echoed").header("x-correlation", "mine").send().await.unwrap();
    assert_eq!(header(r.headers(), "x-correlation"), Some("mine"));
    assert_eq!(echoed(r).await["headers"]["x-correlation"], "mine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_detection_refuses_bots_and_denied_agents() {
    let gw = Gateway::start(&[]).await;
    let config = json!({"allow": ["^InternalBot/"], "deny": ["^EvilClient"]});
    plugin_on(&gw, "/site", "bot-detection", config).await;
    gw.applied().await;
    let with_agent = |agent: &'static str| gw.get("/site").header("user-agent", agent).send();

    let hits = upstream_hits(&gw);
    for agent in [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "EvilClient/1.0",
        "curl/8 Go-http-client/1.1",
    ] {
        let (status, _, body) = answer(with_agent(agent).await.unwrap()).await;
        assert_eq!((status, &body["message"]), (403, &json!("Forbidden")), "{agent}");
    }
    assert_eq!(upstream_hits(&gw), hits);
    let browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    assert_eq!(echoed(with_agent(browser).await.unwrap()).await["headers"]["user-agent"], browser);
    echoed(with_agent("InternalBot/1.0").await.unwrap()).await;
    echoed(gw.get("/site").send().await.unwrap()).await;
}
