//! The runtime's authentication and authorization plugins through a real control plane,
//! runtime and upstream: basic-auth, jwt, hmac-auth and acl with Kong's statuses, messages and
//! challenges, the consumer headers the upstream sees, hidden credentials, the anonymous
//! consumer and two auth plugins on one route (Kong's logical OR and AND).

use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use system_tests::gateway::{echoed, Gateway};

// Keys and tokens made for this test only (openssl genpkey; tokens expire in 2100).
const RSA_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqG4v+da5YNe4Dvfvv3tz
BcV0Or5LbEtOuCZavBSFWyg29s+DDG6YxzNSuLauk7icBRXlaywkUbSCtcoz8WDh
2dIofCn8JyAiNHQReRPI8LJdTchOG+Njt1j8PHh56Ltb/stXDRoXAlndI8XmNwYg
O4t7pYpnDNzxtGGyJPI2TM8qHcIjTND9XsKEWRKpYF4OzdMmFKImWBUvkMfqZ46k
0moluXk2euZPRMZIwy8TSnfPXo8cSw7hz+E/2siE6Ft2fhl33oGGe7+Qu51CASZY
/nn52hryuC/T+fKCgOtWfYPBJrbgnoYOa+tAxR587Uj9vYEGYpDwaw3ieK3rWkIQ
TQIDAQAB
-----END PUBLIC KEY-----
";
const EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENUhMLjHqur2I80FA9NMODkx9tH6j
jMOnUYuabgATg0wdS+Z+zFRDqjzdVGIfXS7O5gIorGMMGsnxPQ/x1E5IcQ==
-----END PUBLIC KEY-----
";
/// HS256 with `ann-jwt-secret`: `{"iss": "ann-hs", "exp": 4102444800}`.
const HS_GOOD: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhbm4taHMiLCJleHAiOjQxMDI0NDQ4MDB9.qAii2V9Xg4aL1_-bqBajXiPtOfaZiVAwcL_Hv5Sx-IA";
/// HS256 with `ann-jwt-secret`, expired in 2023.
const HS_EXPIRED: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhbm4taHMiLCJleHAiOjE3MDAwMDAwMDB9.513BTz831i-b3tpq5VhK8DwNhaQyxbAK7XCNh9ri5kw";
/// HS_GOOD's claims signed with another secret.
const HS_FORGED: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhbm4taHMiLCJleHAiOjQxMDI0NDQ4MDB9.3R79BGYasKf4peN0oRsAzQUN_nTYxlHCUu_pOAqRKd4";
/// RS256 with the key of RSA_PUBLIC: `{"iss": "ann-rs", "exp": 4102444800}`.
const RS_GOOD: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhbm4tcnMiLCJleHAiOjQxMDI0NDQ4MDB9.SU4x2nyp0azPiVo773qS2FLcLkDdhMtxyne7tKikIKFsNJJqXdTFBta2qKt7WOqZBgh-2O6onHg9kdGRqFkqLdEdfdIyCejDJqVI8QTk1yRBA2ruhkmVShzhYSQqyJ3-gLWkoObNCaFTZLwM6FQmhlx6RxPR4yhOmfDe1-525WaLboFqgQnfyYHtPk-vVceI-WH1Fhv41E4N1st8wBjBWXeaYhnQnP2SbDQ3MO-WKFHL3zNBrZYX3DxC5RuFMlZXNAWjufbrZBu_Ov_fcVkotSNj-hi_mbSsDj5qwn6kDie0KJwhOakX0Tc13jYnl4LYI5ZMjdUliN3_duIjt6XlrA";
/// ES256 with the key of EC_PUBLIC: `{"iss": "ann-es", "exp": 4102444800}`.
const ES_GOOD: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhbm4tZXMiLCJleHAiOjQxMDI0NDQ4MDB9.lDKViwClPm7AYnNP1xydJwnt3aQkMJtxMkUx6XC4OroDwHcC9CVJ06UUUtI6T3utBr7NHWPg4B8s-vg-Ojxsyw";

/// hmac-auth signatures with `bob-hmac-secret`, over `date @request-target` of
/// `GET /signed/things?x=1`, and over `date @request-target digest` of `POST /signed/things`
/// with the body `{"n":1}`, both dated DATE.
const DATE: &str = "Thu, 01 Jan 2026 00:00:00 GMT";
const HMAC_GET: &str = "lSbUYlEzkS+nTJk1xEOT2/X4rvorZGdo5upRZDL5EnA=";
const HMAC_POST: &str = "QRvkKdmS5OamVXBDEKbITs0Sv6+9EyM92hjrY7CmM/k=";
const DIGEST: &str = "SHA-256=K/0U9D0X/HzqJOCReoh5tLL4gLi67sG52Q+6rWVecb0=";

/// A refusal's status, `WWW-Authenticate` and JSON body.
async fn refused(answer: reqwest::Response) -> (u16, String, Value) {
    let status = answer.status().as_u16();
    let challenge = header(answer.headers(), "www-authenticate");
    let body = answer.json().await.unwrap_or(Value::Null);
    (status, challenge, body)
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// The consumer headers the upstream received: username, credential identifier, anonymous.
fn consumer_seen(seen: &Value) -> (&str, &str, &str) {
    let h = &seen["headers"];
    let get = |name: &str| h[name].as_str().unwrap_or("");
    (get("x-consumer-username"), get("x-credential-identifier"), get("x-anonymous-consumer"))
}

async fn plugin(gw: &Gateway, service: &str, name: &str, config: Value) {
    gw.create(&format!("/services/{service}/plugins"), json!({"name": name, "config": config}))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_hides_the_password_and_acl_admits_by_group() {
    let gw = Gateway::start(&[]).await;
    let (sid, _) = gw.service_and_route("basic", "/basic").await;
    plugin(&gw, &sid, "basic-auth", json!({"hide_credentials": true})).await;
    plugin(&gw, &sid, "acl", json!({"allow": ["staff"]})).await;
    for (user, group) in [("ann", "staff"), ("bob", "visitors")] {
        gw.create("/consumers", json!({"username": user})).await;
        let cred = json!({"username": format!("{user}-login"), "password": "s3cret"});
        gw.create(&format!("/consumers/{user}/basic-auth"), cred).await;
        gw.create(&format!("/consumers/{user}/acls"), json!({"group": group})).await;
    }
    gw.applied().await;

    let (status, challenge, body) = refused(gw.get("/basic").send().await.unwrap()).await;
    assert_eq!((status, challenge.as_str()), (401, "Basic realm=\"service\""));
    assert_eq!(body["message"], "Unauthorized");
    assert!(body["request_id"].is_string(), "Kong's error body: {body}");
    let wrong = gw.get("/basic").basic_auth("ann-login", Some("nope")).send().await.unwrap();
    assert_eq!(refused(wrong).await.2["message"], "Unauthorized");

    let ann = gw.get("/basic").basic_auth("ann-login", Some("s3cret")).send().await.unwrap();
    let seen = echoed(ann).await;
    assert_eq!(consumer_seen(&seen), ("ann", "ann-login", ""), "{seen}");
    assert!(seen["headers"].get("authorization").is_none(), "the password is hidden: {seen}");
    assert_eq!(seen["headers"]["x-consumer-groups"], "staff");

    let bob = gw.get("/basic").basic_auth("bob-login", Some("s3cret")).send().await.unwrap();
    let (status, _, body) = refused(bob).await;
    assert_eq!((status, body["message"].as_str()), (403, Some("You cannot consume this service")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_verifies_each_algorithm_from_header_query_and_cookie() {
    let gw = Gateway::start(&[]).await;
    let (sid, _) = gw.service_and_route("jwt", "/jwt").await;
    let config = json!({"claims_to_verify": ["exp"], "cookie_names": ["token"], "realm": "api"});
    plugin(&gw, &sid, "jwt", config).await;
    gw.create("/consumers", json!({"username": "ann"})).await;
    for cred in [
        json!({"key": "ann-hs", "secret": "ann-jwt-secret", "algorithm": "HS256"}),
        json!({"key": "ann-rs", "algorithm": "RS256", "rsa_public_key": RSA_PUBLIC}),
        json!({"key": "ann-es", "algorithm": "ES256", "rsa_public_key": EC_PUBLIC}),
    ] {
        gw.create("/consumers/ann/jwt", cred).await;
    }
    gw.applied().await;

    let (status, challenge, body) = refused(gw.get("/jwt").send().await.unwrap()).await;
    assert_eq!((status, challenge.as_str()), (401, "Bearer realm=\"api\""));
    assert_eq!(body, json!({"message": "Unauthorized"}), "Kong's jwt exits without a request id");

    let by_header = gw.get("/jwt").bearer_auth(HS_GOOD).send().await.unwrap();
    let seen = echoed(by_header).await;
    assert_eq!(consumer_seen(&seen), ("ann", "ann-hs", ""), "{seen}");
    assert!(seen["headers"]["authorization"].is_string(), "jwt does not hide the token");
    let by_query = gw.get(&format!("/jwt?jwt={RS_GOOD}")).send().await.unwrap();
    assert_eq!(consumer_seen(&echoed(by_query).await).1, "ann-rs");
    let by_cookie = gw.get("/jwt").header("cookie", format!("token={ES_GOOD}")).send();
    assert_eq!(consumer_seen(&echoed(by_cookie.await.unwrap()).await).1, "ann-es");

    let invalid = "Bearer realm=\"api\", error=\"invalid_token\"";
    let cases = [
        (gw.get("/jwt").bearer_auth(HS_EXPIRED), json!({"exp": "token expired"})),
        (gw.get("/jwt").bearer_auth(HS_FORGED), json!({"message": "Invalid signature"})),
        (
            gw.get(&format!("/jwt?jwt={RS_GOOD}")).bearer_auth(HS_GOOD),
            json!({"message": "Multiple tokens provided"}),
        ),
    ];
    for (request, want) in cases {
        let (status, challenge, body) = refused(request.send().await.unwrap()).await;
        assert_eq!((status, challenge.as_str(), &body), (401, invalid, &want));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hmac_auth_checks_signature_date_and_body_digest() {
    let gw = Gateway::start(&[]).await;
    let (signed, _) = gw.service_and_route("signed", "/signed").await;
    // A skew wide enough for the fixed DATE the signatures were made with.
    let config = json!({
        "clock_skew": 3_000_000_000u64, "enforce_headers": ["date"],
        "validate_request_body": true, "hide_credentials": true,
    });
    plugin(&gw, &signed, "hmac-auth", config).await;
    let (strict, _) = gw.service_and_route("strict", "/strict").await;
    plugin(&gw, &strict, "hmac-auth", json!({"realm": "api"})).await;
    gw.create("/consumers", json!({"username": "bob"})).await;
    let cred = json!({"username": "bob-hmac", "secret": "bob-hmac-secret"});
    gw.create("/consumers/bob/hmac-auth", cred).await;
    gw.applied().await;

    let authorization = |headers: &str, signature: &str| {
        format!(
            "hmac username=\"bob-hmac\", algorithm=\"hmac-sha256\", headers=\"{headers}\", \
             signature=\"{signature}\""
        )
    };
    let get = gw
        .get("/signed/things?x=1")
        .header("date", DATE)
        .header("authorization", authorization("date @request-target", HMAC_GET));
    let seen = echoed(get.send().await.unwrap()).await;
    assert_eq!(consumer_seen(&seen), ("bob", "bob-hmac", ""), "{seen}");
    assert!(seen["headers"].get("authorization").is_none(), "hidden: {seen}");

    let post = |body: &'static str| {
        gw.to(reqwest::Method::POST, "/signed/things")
            .header("date", DATE)
            .header("digest", DIGEST)
            .header("authorization", authorization("date @request-target digest", HMAC_POST))
            .body(body)
    };
    let seen = echoed(post("{\"n\":1}").send().await.unwrap()).await;
    assert_eq!(seen["body"], "{\"n\":1}");
    let tampered = refused(post("{\"n\":2}").send().await.unwrap()).await;
    assert_eq!((tampered.0, tampered.1.as_str()), (401, "hmac"));
    assert_eq!(tampered.2["message"], "HMAC signature does not match");

    let unsigned = refused(gw.get("/signed/things").send().await.unwrap()).await;
    assert_eq!(unsigned.2["message"], "Unauthorized");
    let no_date = gw
        .get("/signed/things?x=1")
        .header("x-date", DATE)
        .header("authorization", authorization("@request-target", HMAC_GET));
    let not_enforced = refused(no_date.send().await.unwrap()).await;
    assert_eq!(not_enforced.2["message"], "HMAC signature cannot be verified");

    let stale = gw
        .get("/strict/things?x=1")
        .header("date", DATE)
        .header("authorization", authorization("date @request-target", HMAC_GET));
    let (status, challenge, body) = refused(stale.send().await.unwrap()).await;
    assert_eq!((status, challenge.as_str()), (401, "hmac realm=\"api\""));
    assert_eq!(
        body["message"],
        "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC \
         Authentication"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_auth_plugins_combine_as_kongs_logical_or_and_and() {
    let gw = Gateway::start(&[]).await;
    for (user, group) in [("ann", "staff"), ("bob", "partners"), ("guest", "")] {
        gw.create("/consumers", json!({"username": user})).await;
        if !group.is_empty() {
            gw.create(&format!("/consumers/{user}/acls"), json!({"group": group})).await;
        }
    }
    let key = gw.create("/consumers/ann/key-auth", json!({"key": "ann-key"})).await;
    let bob_login = json!({"username": "bob-login", "password": "pw"});
    gw.create("/consumers/bob/basic-auth", bob_login).await;
    // Either credential, else the guest: key-auth (1250) runs before basic-auth (1100).
    let (either, _) = gw.service_and_route("either", "/either").await;
    plugin(&gw, &either, "key-auth", json!({"anonymous": "guest"})).await;
    plugin(&gw, &either, "basic-auth", json!({"anonymous": "guest"})).await;
    // The same, with acl turning the guest away (Kong's recipe for "one of these").
    let (one_of, _) = gw.service_and_route("one-of", "/one-of").await;
    plugin(&gw, &one_of, "key-auth", json!({"anonymous": "guest"})).await;
    plugin(&gw, &one_of, "basic-auth", json!({"anonymous": "guest"})).await;
    plugin(&gw, &one_of, "acl", json!({"allow": ["staff", "partners"]})).await;
    // Both credentials required.
    let (both, _) = gw.service_and_route("both", "/both").await;
    plugin(&gw, &both, "key-auth", json!({})).await;
    plugin(&gw, &both, "basic-auth", json!({})).await;
    // An anonymous consumer that does not exist.
    let (ghost, _) = gw.service_and_route("ghost", "/ghost").await;
    plugin(&gw, &ghost, "key-auth", json!({"anonymous": "ghost"})).await;
    gw.applied().await;
    let ann_key = key["id"].as_str().unwrap();

    let by_key = echoed(gw.get("/either").header("apikey", "ann-key").send().await.unwrap()).await;
    assert_eq!(consumer_seen(&by_key), ("ann", ann_key, ""), "basic-auth skipped: {by_key}");
    let by_basic = gw.get("/either").basic_auth("bob-login", Some("pw")).send().await.unwrap();
    let by_basic = echoed(by_basic).await;
    assert_eq!(consumer_seen(&by_basic), ("bob", "bob-login", ""), "after key-auth's guest");
    let guest = echoed(gw.get("/either").send().await.unwrap()).await;
    assert_eq!(consumer_seen(&guest), ("guest", "", "true"), "{guest}");
    let forged = gw.get("/either").header("x-consumer-username", "ann").send().await.unwrap();
    assert_eq!(consumer_seen(&echoed(forged).await).0, "guest", "a client's own is replaced");

    let ok = gw.get("/one-of").basic_auth("bob-login", Some("pw")).send().await.unwrap();
    assert_eq!(echoed(ok).await["headers"]["x-consumer-groups"], "partners");
    let (status, _, body) = refused(gw.get("/one-of").send().await.unwrap()).await;
    assert_eq!((status, body["message"].as_str()), (401, Some("Unauthorized")), "the guest");

    let key_only = gw.get("/both").header("apikey", "ann-key").send().await.unwrap();
    let (status, challenge, _) = refused(key_only).await;
    assert_eq!((status, challenge.as_str()), (401, "Basic realm=\"service\""), "AND: both");
    let both = gw
        .get("/both")
        .header("apikey", "ann-key")
        .basic_auth("bob-login", Some("pw"))
        .send()
        .await
        .unwrap();
    let both = echoed(both).await;
    assert_eq!(consumer_seen(&both).0, "bob", "the last auth plugin's consumer: {both}");

    let (status, _, body) = refused(gw.get("/ghost").send().await.unwrap()).await;
    assert_eq!(status, 500);
    assert_eq!(body["message"], "anonymous consumer ghost is configured but doesn't exist");
}
