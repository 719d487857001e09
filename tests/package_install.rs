//! The `.deb` as a user gets it: unpacked into a clean root (`dpkg -x`), its tree (the app, the
//! `runtime` and `control-plane` binaries, desktop entry, icons, AppStream metadata), its helper
//! binaries run from there, and the installed app driven through WebDriver to the overview, with
//! the demo's runtimes being the installed `runtime`.
//!
//! `scripts/test.sh` builds the `.deb` from the debug build first (`scripts/package.sh --debug`).
//! Without it, or with one older than the app just built, these tests fail under CI (`CI` set) and
//! say how to build it otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Deserialize;
use system_tests::processes;
use system_tests::webdriver::AppSession;
use system_tests::{bin_dir, workspace_root};

/// Every size the package installs an icon at (hicolor `NxN/apps/`).
const ICON_SIZES: [u32; 7] = [16, 32, 48, 64, 128, 256, 512];

/// The installed tree's helper binaries, out of `PATH` (see `demo::living::runtime_beside`).
const HELPERS: &str = "usr/lib/runtime-manager";

/// What the packages are built from: `src-tauri/tauri.conf.json`.
struct AppConfig {
    product_name: String,
    identifier: String,
    version: String,
}

fn app_config() -> AppConfig {
    let path = workspace_root().join("src-tauri/tauri.conf.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let field = |name: &str| config[name].as_str().unwrap_or_else(|| panic!("{name}")).to_string();
    AppConfig {
        product_name: field("productName"),
        identifier: field("identifier"),
        version: field("version"),
    }
}

/// The `.deb` unpacked into a temp dir, as `dpkg` would install it under `/`.
struct Installed {
    deb: PathBuf,
    root: PathBuf,
    tmp: tempfile::TempDir,
}

impl Installed {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

/// No package (or a stale one) fails under CI; elsewhere the test says why it did nothing.
fn missing(why: String) -> Option<Installed> {
    let hint = "build it with ./scripts/package.sh --debug (after cargo build --workspace --bins)";
    assert!(std::env::var_os("CI").is_none(), "{why}: {hint}");
    eprintln!("SKIP: {why}: {hint}");
    None
}

/// Unpacks the debug build's `.deb` into a fresh root, if there is one for the app just built; or
/// the `.deb` named by `RUNTIME_MANAGER_DEB` (a release one from `scripts/package.sh`), as it is.
fn install() -> Option<Installed> {
    let config = app_config();
    let chosen = std::env::var_os("RUNTIME_MANAGER_DEB").map(PathBuf::from);
    let bundles = bin_dir().join("bundle/deb");
    let name = format!("{}_{}_amd64.deb", config.product_name, config.version);
    let deb = chosen.clone().unwrap_or_else(|| bundles.join(&name));
    if !deb.is_file() {
        return missing(format!("no {}", deb.display()));
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let out = Command::new("dpkg").arg("-x").arg(&deb).arg(&root).output().expect("dpkg");
    assert!(out.status.success(), "dpkg -x: {}", String::from_utf8_lossy(&out.stderr));
    let installed = Installed { deb, root, tmp };
    if chosen.is_some() {
        return Some(installed);
    }
    // The package is bundled without binary patching, so its app is the build's byte for byte;
    // any difference means the app was rebuilt after the package was made.
    let built = std::fs::read(bin_dir().join("runtime-manager")).expect("the app is built");
    if std::fs::read(installed.path("usr/bin/runtime-manager")).ok().as_ref() != Some(&built) {
        return missing(format!("{name} is older than the app just built"));
    }
    Some(installed)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 == 0o111)
}

/// One field of the `.deb`'s control file.
fn control_field(deb: &Path, field: &str) -> String {
    let out = Command::new("dpkg-deb").arg("-f").arg(deb).arg(field).output().expect("dpkg-deb");
    assert!(out.status.success(), "dpkg-deb -f {field}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The `[Desktop Entry]` group of a desktop file, key by key.
fn desktop_entry(text: &str) -> std::collections::HashMap<String, String> {
    let mut in_group = false;
    let mut keys = std::collections::HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_group = line == "[Desktop Entry]";
        } else if in_group && !line.starts_with('#') {
            if let Some((k, v)) = line.split_once('=') {
                keys.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }
    keys
}

/// A PNG's width and height, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let png = std::fs::read(path).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR", "{path:?}");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The parts of an AppStream component the checks below read.
#[derive(Deserialize)]
struct Component {
    #[serde(rename = "@type")]
    kind: String,
    id: String,
    name: String,
    summary: String,
    description: Description,
    launchable: Launchable,
    provides: Provides,
    releases: Releases,
}

#[derive(Deserialize)]
struct Description {
    p: Vec<String>,
}

#[derive(Deserialize)]
struct Launchable {
    #[serde(rename = "@type")]
    kind: String,
    #[serde(rename = "$text")]
    id: String,
}

#[derive(Deserialize)]
struct Provides {
    binary: Vec<String>,
}

#[derive(Deserialize)]
struct Releases {
    release: Vec<Release>,
}

#[derive(Deserialize)]
struct Release {
    #[serde(rename = "@version")]
    version: String,
}

#[test]
fn the_deb_installs_the_app_its_binaries_a_desktop_entry_icons_and_appstream_metadata() {
    let Some(installed) = install() else { return };
    let config = app_config();

    assert_eq!(control_field(&installed.deb, "Package"), "runtime-manager");
    assert_eq!(control_field(&installed.deb, "Version"), config.version);
    let depends = control_field(&installed.deb, "Depends");
    assert!(depends.contains("libwebkit2gtk-4.1-0"), "the webview is a dependency: {depends}");

    let helpers = [format!("{HELPERS}/runtime"), format!("{HELPERS}/control-plane")];
    for bin in ["usr/bin/runtime-manager"].into_iter().chain(helpers.iter().map(String::as_str)) {
        assert!(is_executable(&installed.path(bin)), "{bin} is installed and executable");
    }
    // Nothing as plainly named as `runtime` lands on everyone's PATH.
    for plain in ["runtime", "control-plane"] {
        assert!(!installed.path("usr/bin").join(plain).exists(), "usr/bin/{plain}");
    }

    // The desktop entry: the app, its icon, and runtime-manager:// links handed to it.
    let desktop_name = format!("{}.desktop", config.product_name);
    let desktop = installed.path("usr/share/applications").join(&desktop_name);
    let entry = desktop_entry(&std::fs::read_to_string(&desktop).expect("a desktop entry"));
    assert_eq!(entry["Type"], "Application");
    assert_eq!(entry["Name"], config.product_name);
    assert_eq!(entry["Exec"], "runtime-manager %u", "a deep link reaches the app as its argument");
    assert_eq!(entry["Icon"], "runtime-manager");
    assert!(entry["Categories"].split(';').any(|c| c == "Development"), "{entry:?}");
    assert!(!entry["Comment"].is_empty());
    assert!(entry["MimeType"].split(';').any(|m| m == "x-scheme-handler/runtime-manager"));

    // The icon the entry names, at every size, each really that size.
    for size in ICON_SIZES {
        let icon = installed
            .path("usr/share/icons/hicolor")
            .join(format!("{size}x{size}/apps/{}.png", entry["Icon"]));
        assert!(icon.is_file(), "no {size}×{size} icon: {}", icon.display());
        assert_eq!(png_size(&icon), (size, size), "{}", icon.display());
    }

    // AppStream metadata, named and identified as the app, launching its desktop entry.
    let metainfo =
        installed.path("usr/share/metainfo").join(format!("{}.metainfo.xml", config.identifier));
    let xml = std::fs::read_to_string(&metainfo).expect("AppStream metadata");
    let component: Component =
        quick_xml::de::from_str(&xml).unwrap_or_else(|e| panic!("{}: {e}", metainfo.display()));
    assert_eq!(component.kind, "desktop-application");
    assert_eq!(component.id, config.identifier);
    assert_eq!(component.name, config.product_name);
    assert!(component.summary.len() > 10 && !component.summary.ends_with('.'), "a summary");
    assert!(!component.description.p.is_empty(), "a description");
    assert_eq!(component.launchable.kind, "desktop-id");
    assert_eq!(component.launchable.id, desktop_name, "it launches the installed entry");
    assert!(component.provides.binary.iter().any(|b| b == "runtime-manager"));
    assert_eq!(
        component.releases.release.first().map(|r| r.version.as_str()),
        Some(config.version.as_str()),
        "the newest release listed is the packaged version"
    );
}

#[tokio::test]
async fn the_installed_runtime_and_control_plane_run() {
    let Some(installed) = install() else { return };
    let config = app_config();

    for bin in ["runtime", "control-plane"] {
        let out = Command::new(installed.path(HELPERS).join(bin)).arg("--version").output();
        let out = out.unwrap_or_else(|e| panic!("{bin}: {e}"));
        let version = String::from_utf8_lossy(&out.stdout);
        assert_eq!(version.trim(), format!("{bin} {}", config.version), "the package's version");
    }

    // The installed control plane serves its API, with its default group, on its own.
    let data = installed.tmp.path().join("cp-data");
    let api_port = system_tests::processes::free_port();
    let cluster_port = system_tests::processes::free_port();
    let binary = installed.path(HELPERS).join("control-plane");
    let _cp = system_tests::processes::control_plane_from(&binary, &data, api_port, cluster_port);
    let api =
        system_tests::Api::new(format!("http://127.0.0.1:{api_port}"), system_tests::ADMIN_TOKEN);
    let (status, body) = api.call("GET", "/v2/control-planes", None).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> =
        body["data"].as_array().unwrap().iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(names, ["default"]);
}

/// Processes whose executable is `exe`, with their command lines.
fn processes_of(exe: &Path) -> Vec<(u32, Vec<String>)> {
    let exe = exe.canonicalize().unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if std::fs::read_link(entry.path().join("exe")).ok().as_deref() != Some(exe.as_path()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        found.push((pid, args));
    }
    found
}

#[tokio::test]
async fn the_installed_app_reaches_the_overview_and_runs_the_installed_runtime() {
    if !system_tests::have_display() {
        return;
    }
    let Some(installed) = install() else { return };
    let app = installed.path("usr/bin/runtime-manager");
    let runtime = installed.path(HELPERS).join("runtime");
    let data = installed.tmp.path().join("data");
    let home = installed.tmp.path().join("home");
    let runtime_dir = installed.tmp.path().join("xdg-runtime");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&runtime_dir).unwrap();
    // A first run on a fresh data dir: the embedded default and the living demo. Nothing points
    // the app at the build's `runtime`, so the demo can only find the installed one.
    assert!(std::env::var_os("RUNTIME_MANAGER_RUNTIME_BIN").is_none());
    let s = AppSession::launch(
        &app,
        &[
            ("RUNTIME_MANAGER_DATA_DIR", &data),
            ("HOME", &home),
            ("XDG_RUNTIME_DIR", &runtime_dir),
            ("RUNTIME_MANAGER_SECRETS", Path::new("memory")),
        ],
    )
    .await;
    s.find("[data-testid=group-row-default]").await;
    for group in ["development", "production"] {
        s.find(&format!("[data-testid=group-row-{group}] [data-testid=demo-badge]")).await;
    }
    assert_eq!(s.execute("return document.title").await, "Runtime Manager");
    assert_eq!(processes_of(&app).len(), 1, "the installed app is what runs");

    // The demo's runtimes of each group are the installed binary, started with this data dir's
    // certificates.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let runtimes = processes_of(&runtime);
        let of = |group: &str| {
            let cert = data.join(format!("demo/{group}.crt"));
            runtimes.iter().any(|(_, args)| args.iter().any(|a| Path::new(a) == cert))
        };
        if of("development") && of("production") {
            break;
        }
        assert!(Instant::now() < deadline, "no installed runtime per demo group: {runtimes:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // And they are connected and in sync, as the overview says.
    let deadline = Instant::now() + Duration::from_secs(20);
    for group in ["development", "production"] {
        let row = format!("[data-testid=group-row-{group}]");
        while !s.text_content(&row).await.contains("2 in sync") {
            let text = s.text_content(&row).await;
            assert!(Instant::now() < deadline, "{group}'s runtimes never showed in sync: {text}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    let shot = bin_dir().parent().unwrap().join("screenshots/installed-overview.png");
    s.screenshot(&shot).await;
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "a real picture, not a blank");
    s.close().await;

    // The app quits with the session and its runtimes with it: an installed app leaves no
    // processes behind (a lingering one would also take the next test's launches, being the one
    // instance of this app id). A close WebDriver failed to deliver is asked for with SIGTERM.
    for (pid, _) in processes_of(&app) {
        processes::until_app_quits(pid, Duration::from_secs(10)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !processes_of(&app).is_empty() || !processes_of(&runtime).is_empty() {
        if Instant::now() > deadline {
            let left = [processes_of(&app), processes_of(&runtime)].concat();
            for (pid, _) in &left {
                let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
            }
            panic!("processes of the installed app outlived its session: {left:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
