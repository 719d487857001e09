//! The `control-plane` binary: first-start bootstrap, the admin token shown once or taken from
//! the environment, bearer auth, and state kept across restarts.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Process {
    child: Child,
    base: String,
    token_line: Option<String>,
}

fn start(dir: &std::path::Path, env_token: Option<&str>) -> Process {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_control-plane"));
    cmd.args([
        "--data-dir",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--cluster-listen",
        "127.0.0.1:0",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    cmd.env_remove("CONTROL_PLANE_ADMIN_TOKEN");
    if let Some(t) = env_token {
        cmd.env("CONTROL_PLANE_ADMIN_TOKEN", t);
    }
    // Owned by a `Process` at once, so its `Drop` stops and reaps the child on every path,
    // a failed read included.
    let mut process =
        Process { child: cmd.spawn().unwrap(), base: String::new(), token_line: None };
    let mut lines = BufReader::new(process.child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the binary prints its address").unwrap();
        if let Some(base) = line.strip_prefix("control-plane listening on ") {
            process.base = base.to_string();
            return process;
        }
        if line.starts_with("Org admin token") {
            process.token_line = Some(line);
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

async fn status(base: &str, token: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new().get(format!("{base}/v2/control-planes"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_generated_admin_token_is_printed_once_and_works_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), None);
    let line = first.token_line.clone().expect("a generated token is printed on first start");
    let token = line.rsplit(' ').next().unwrap().to_string();
    assert!(token.starts_with("kpat_") && token.len() > 40, "{line}");
    assert_eq!(status(&first.base, Some(&token)).await, 200);
    assert_eq!(status(&first.base, None).await, 401);
    assert_eq!(status(&first.base, Some("kpat_nope")).await, 401);
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v2/control-planes", first.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"][0]["name"], "default");
    drop(first);

    let second = start(dir.path(), None);
    assert_eq!(second.token_line, None, "the token is shown once only");
    assert_eq!(status(&second.base, Some(&token)).await, 200, "the stored hash still matches");
}

#[tokio::test]
async fn an_admin_token_from_the_environment_is_used_and_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let p = start(dir.path(), Some("kpat_from_env_0123456789"));
    assert_eq!(p.token_line, None, "a token given by the operator is not printed");
    assert_eq!(status(&p.base, Some("kpat_from_env_0123456789")).await, 200);
}
