//! A whole gateway for plugin tests: the control plane and one runtime as real processes on
//! loopback, a group with a pinned certificate, and a recording upstream (`upstream::echo`).
//! Configure through the API, wait until the runtime applied it, then send requests through it.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::processes::{self, free_port, Proc};
use crate::upstream::{echo, Echo};
use crate::{wait_until, Api, ADMIN_TOKEN};

pub struct Gateway {
    pub api: Api,
    pub group: String,
    pub upstream: Echo,
    /// `http://host:port` of the runtime's proxy and status listeners.
    pub proxy: String,
    pub status: String,
    pub http: reqwest::Client,
    endpoint: String,
    cert: PathBuf,
    key: PathBuf,
    _runtime: Proc,
    _cp: Proc,
    _tmp: tempfile::TempDir,
}

impl Gateway {
    /// A control plane, a group, an echo upstream and a runtime started with `runtime_args`.
    pub async fn start(runtime_args: &[&str]) -> Gateway {
        let tmp = tempfile::tempdir().unwrap();
        let (api_port, cluster_port) = (free_port(), free_port());
        let cp = processes::control_plane(&tmp.path().join("cp"), api_port, cluster_port);
        let api = Api::new(format!("http://127.0.0.1:{api_port}"), ADMIN_TOKEN);
        let (s, g) = api.call("POST", "/v2/control-planes", Some(json!({"name": "plugins"}))).await;
        assert_eq!(s, 201, "{g}");
        let group = g["id"].as_str().unwrap().to_string();
        let (cert, key) = hybrid::link::generate_client_certificate("plugins").unwrap();
        let pin = format!("/v2/control-planes/{group}/dp-client-certificates");
        assert_eq!(api.call("POST", &pin, Some(json!({"cert": cert}))).await.0, 201);
        let (cert_path, key_path) = (tmp.path().join("dp.crt"), tmp.path().join("dp.key"));
        std::fs::write(&cert_path, cert).unwrap();
        std::fs::write(&key_path, key).unwrap();
        let endpoint = format!("127.0.0.1:{cluster_port}");
        let (runtime, proxy, status) = processes::runtime_with(
            &endpoint,
            &cert_path,
            &key_path,
            "runtime-1",
            runtime_args,
            None,
        );
        Gateway {
            api,
            group,
            upstream: echo("upstream").await,
            proxy,
            status,
            http: reqwest::Client::new(),
            endpoint,
            cert: cert_path,
            key: key_path,
            _runtime: runtime,
            _cp: cp,
            _tmp: tmp,
        }
    }

    /// Another runtime of the same group, started with `args`: (process, proxy, status).
    pub fn another_runtime(&self, hostname: &str, args: &[&str]) -> (Proc, String, String) {
        processes::runtime_with(&self.endpoint, &self.cert, &self.key, hostname, args, None)
    }

    /// A core-entities call of the group: (status, body).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let path = format!("/v2/control-planes/{}/core-entities{path}", self.group);
        self.api.call(method, &path, body).await
    }

    /// Creates an entity (`/services`, `/consumers/ann/key-auth`, …); panics unless 201.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let (s, made) = self.call("POST", path, Some(body)).await;
        assert_eq!(s, 201, "POST {path}: {made}");
        made
    }

    /// A service to the echo upstream and a route to it on `path`: (service id, route id).
    pub async fn service_and_route(&self, name: &str, path: &str) -> (String, String) {
        let url = format!("http://{}", self.upstream.addr);
        let svc = self.create("/services", json!({"name": name, "url": url})).await;
        let sid = svc["id"].as_str().unwrap().to_string();
        let route = self
            .create(&format!("/services/{sid}/routes"), json!({"name": name, "paths": [path]}))
            .await;
        (sid, route["id"].as_str().unwrap().to_string())
    }

    /// Waits until the runtime serves the group's current configuration.
    pub async fn applied(&self) {
        let path = format!("/v2/control-planes/{}/expected-config-hash", self.group);
        let want = self.api.call("GET", &path, None).await.1["expected_hash"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let http = &self.http;
        wait_until("the runtime applies the configuration", 15, || async {
            let status = match http.get(format!("{}/status", self.status)).send().await {
                Ok(r) => r.json::<Value>().await.unwrap_or(Value::Null),
                Err(_) => Value::Null,
            };
            status["config_hash"] == want.as_str()
        })
        .await;
    }

    /// A request to the proxy: `self.to(reqwest::Method::GET, "/path")`.
    pub fn to(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.proxy))
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.to(reqwest::Method::GET, path)
    }
}

/// What the echo upstream received, from its answer: `headers`, `path` (with the query),
/// `method`, `body`.
pub async fn echoed(answer: reqwest::Response) -> Value {
    let status = answer.status();
    let body = answer.text().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not the echo's JSON ({e}): {body}"))
}
