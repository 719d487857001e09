//! `sync-once`: one full sync of a Konnect-style profile into `<data dir>/cache.sqlite`, then exit;
//! a separate process so a test can SIGKILL it mid-sync, as a user killing the app would.
//!
//! Usage: `sync-once --api <url> --data-dir <dir> [--profile <id>]`, the token in
//! `SYNC_ONCE_TOKEN` (from the environment only, so it never shows in `ps`). Prints
//! `synced <done>/<total> groups` after each group and `done` at the end; never the token.

use std::path::PathBuf;
use std::sync::Arc;

use console::sync::CancelToken;
use console::{Console, Profile};
use konnect::{KonnectClient, Region};

fn usage(why: &str) -> ! {
    eprintln!(
        "sync-once: {why}\nusage: sync-once --api <url> --data-dir <dir> [--profile <id>] \
         (SYNC_ONCE_TOKEN)"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let (mut api, mut data_dir, mut profile_id) = (None, None, "sync-once".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--api" => api = args.next(),
            "--data-dir" => data_dir = args.next().map(PathBuf::from),
            "--profile" => {
                profile_id = args.next().unwrap_or_else(|| usage("--profile needs an id"))
            }
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let api = api.unwrap_or_else(|| usage("--api is required"));
    let data_dir = data_dir.unwrap_or_else(|| usage("--data-dir is required"));
    let token = std::env::var("SYNC_ONCE_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| usage("SYNC_ONCE_TOKEN is not set"));

    // The same profile, client and cache file the app builds for a Konnect profile.
    let profile = Profile::Konnect {
        id: profile_id.clone(),
        name: profile_id,
        region: Region::Us,
        base_url: Some(api),
    };
    let hosts = profile.konnect_hosts().expect("a Konnect profile has hosts");
    let client = KonnectClient::with_hosts(hosts, token).unwrap_or_else(|e| usage(&e.to_string()));
    let console = Console::new(profile, client, &console::embedded::cache_path(&data_dir))
        .unwrap_or_else(|e| {
            eprintln!("sync-once: the cache did not open: {}", e.message);
            std::process::exit(1)
        });
    let progress = Arc::new(|p: console::sync::SyncProgress| {
        println!("synced {}/{} groups", p.groups_done, p.groups_total);
    });
    match console.sync(progress, CancelToken::default()).await {
        Ok(report) if report.failed.is_empty() => println!("done"),
        Ok(report) => {
            eprintln!("sync-once: groups failed: {:?}", report.failed);
            std::process::exit(1)
        }
        Err(e) => {
            eprintln!("sync-once: {}", e.message);
            std::process::exit(1)
        }
    }
}
