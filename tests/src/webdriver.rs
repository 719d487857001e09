//! A small W3C WebDriver client over HTTP, enough to drive the app through tauri-driver.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// tauri-driver (which starts WebKitWebDriver) and one session on the app; killed on drop.
pub struct AppSession {
    http: reqwest::Client,
    base: String,
    session: String,
    /// Held for its Drop: the driver stops with the session.
    _driver: Driver,
}

pub struct Element(String);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl AppSession {
    /// Starts tauri-driver with `env` (the app inherits it) and opens a session on `application`.
    pub async fn launch(application: &Path, env: &[(&str, &Path)]) -> AppSession {
        assert!(
            application.exists(),
            "{} is missing: build it first (cargo build --workspace --bins)",
            application.display()
        );
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new("tauri-driver");
        cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Guarded from here on: a launch that fails below still stops the driver.
        let driver =
            Driver(cmd.spawn().expect("tauri-driver on PATH (scripts/setup.sh installs it)"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let options = json!({"application": application});
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": options}}});
        // tauri-driver listens before WebKitWebDriver is ready; a first session can be cut off.
        let mut attempt = 0;
        let resp: Value = loop {
            attempt += 1;
            match http.post(format!("{base}/session")).json(&caps).send().await {
                Ok(r) => break r.json().await.unwrap(),
                Err(e) if attempt < 3 => {
                    eprintln!("new session failed ({e}), retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => panic!("new session: {e}"),
            }
        };
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_string();
        AppSession { http, base, session, _driver: driver }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let mut req = self.http.request(method, &url);
        if let Some(b) = body {
            req = req.json(&b);
        } else {
            req = req.json(&json!({}));
        }
        let resp: Value =
            req.send().await.unwrap_or_else(|e| panic!("{url}: {e}")).json().await.unwrap();
        resp["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    /// The first element matching `css` now, if any.
    pub async fn find_now(&self, css: &str) -> Option<Element> {
        let v = self.post("/elements", json!({"using": "css selector", "value": css})).await;
        v.as_array()
            .and_then(|a| a.first())
            .and_then(|e| e[ELEMENT_KEY].as_str())
            .map(|id| Element(id.to_string()))
    }

    /// Waits up to 15 s for an element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(e) = self.find_now(css).await {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "no element matches {css}\npage text: {}",
                self.page_text().await
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until the page's visible text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = self.page_text().await;
            if text.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed {needle:?}; it shows:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.find_now(css).await.is_some() {
            assert!(Instant::now() < deadline, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits until an element matching `css` is visible and its fade-in has finished, then returns
    /// it (the first visible one of all that match: hidden popovers share selectors with the open
    /// one).
    pub async fn find_visible(&self, css: &str) -> Element {
        let script = format!(
            "document.querySelectorAll('[data-e2e-visible]')
               .forEach(e => e.removeAttribute('data-e2e-visible'));
             const shown = (e) => {{
               if (e.getClientRects().length === 0) return false;
               let n = e;
               while (n) {{
                 const s = getComputedStyle(n);
                 if (s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) < 1)
                   return false;
                 n = n.parentElement;
               }}
               return true
             }};
             const e = Array.from(document.querySelectorAll({})).find(shown);
             if (!e) return false;
             e.setAttribute('data-e2e-visible', '1');
             return true",
            serde_json::to_string(css).unwrap()
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.execute(&script).await != Value::Bool(true) {
            assert!(Instant::now() < deadline, "{css} never became visible");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.find("[data-e2e-visible]").await
    }

    /// Waits until nothing matching `css` is visible (hidden popovers may stay in the DOM).
    pub async fn wait_hidden(&self, css: &str) {
        let script = format!(
            "return Array.from(document.querySelectorAll({})).some(e => {{
               const s = getComputedStyle(e);
               return e.getClientRects().length > 0 && s.visibility !== 'hidden'
                 && s.display !== 'none';
             }})",
            serde_json::to_string(css).unwrap()
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.execute(&script).await == Value::Bool(true) {
            assert!(Instant::now() < deadline, "{css} is still visible");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks, retrying while the driver says the element cannot take it yet (a modal still
    /// sliding in, an overlay fading out); a click that never lands fails the test.
    pub async fn click(&self, e: &Element) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self.post(&format!("/element/{}/click", e.0), json!({})).await;
            let Some(err) = v.get("error").and_then(Value::as_str) else { break };
            assert!(
                Instant::now() < deadline,
                "click failed: {err}: {}",
                v.get("message").and_then(Value::as_str).unwrap_or("")
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn type_text(&self, e: &Element, text: &str) {
        self.post(&format!("/element/{}/value", e.0), json!({"text": text})).await;
    }

    pub async fn text(&self, e: &Element) -> String {
        self.cmd(reqwest::Method::GET, &format!("/element/{}/text", e.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The DOM text of the first element matching `css` (WebKit's element-text omits some badge
    /// text).
    pub async fn text_content(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.textContent : null",
            serde_json::to_string(css).unwrap()
        );
        self.execute(&script).await.as_str().unwrap_or_default().to_string()
    }

    pub async fn execute(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []})).await
    }

    /// Runs an async script: it calls its last argument with the result.
    pub async fn execute_async(&self, script: &str) -> Value {
        self.post("/execute/async", json!({"script": script, "args": []})).await
    }

    pub async fn page_text(&self) -> String {
        self.execute("return document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves a PNG of the webview to `path` and returns it.
    ///
    /// Without accelerated compositing (the app turns it off when there is no GPU, as under Xvfb)
    /// WebKitWebDriver's snapshot waits for the page's next paint, and a page at rest never paints
    /// again: the request hangs. So a one-pixel mark, invisible at 1% opacity, is repainted every
    /// frame while the snapshot is taken, and removed after.
    pub async fn screenshot(&self, path: &Path) -> PathBuf {
        self.execute(
            "const m = document.createElement('div'); m.id = '__paint-mark';
             m.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;'
               + 'pointer-events:none;z-index:2147483647';
             document.body.appendChild(m); let k = 0;
             const tick = () => {
               if (!m.isConnected) return;
               m.style.background = (k++ % 2) ? 'rgba(0,0,0,0.01)' : 'rgba(0,0,0,0.02)';
               requestAnimationFrame(tick)
             };
             requestAnimationFrame(tick)",
        )
        .await;
        let b64 = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        self.execute("document.getElementById('__paint-mark')?.remove()").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("screenshot data"))
            .expect("base64 PNG");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
        path.to_path_buf()
    }

    /// Resizes the app's window (W3C Set Window Rect).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Value {
        self.post("/window/rect", json!({"width": width, "height": height})).await
    }

    /// The window's place and size (W3C Get Window Rect): `x`, `y`, `width`, `height`.
    pub async fn window_rect(&self) -> Value {
        self.cmd(reqwest::Method::GET, "/window/rect", None).await
    }

    /// Moves and resizes the window (W3C Set Window Rect).
    pub async fn set_window_rect(&self, x: i64, y: i64, width: u32, height: u32) -> Value {
        self.post("/window/rect", json!({"x": x, "y": y, "width": width, "height": height})).await
    }

    pub async fn close(self) {
        let _ = self.cmd(reqwest::Method::DELETE, "", None).await;
    }
}

/// The tauri-driver process, stopped when dropped (a passed test, a panic, a failed launch).
struct Driver(Child);

impl Drop for Driver {
    /// SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver too.
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
    }
}
