//! Konnect profiles with a real keyring: a private D-Bus session with GNOME Keyring (Secret
//! Service), a Konnect profile added against a real control plane, its token in the keyring and
//! nowhere on disk, the profile reopened after a restart, switched, removed (token gone), the
//! Konnect half of "New runtime instance", and the no-keyring case said plainly.

use std::process::Command;

use console::embedded::EmbeddedDefault;
use console::profiles::NewKonnectProfile;
use console::secrets::{SecretBackend, Secrets};
use console::{ErrorCode, Profile};
use system_tests::keyring::KeyringSession;
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};

/// What `secret-tool` (libsecret, outside the app) finds for our service: proof the token is in the
/// keyring.
fn keyring_has(secret: &str) -> bool {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "runtime-manager"])
        .output()
        .expect("secret-tool (Debian package libsecret-tools)");
    String::from_utf8_lossy(&out.stdout).contains(secret)
        || String::from_utf8_lossy(&out.stderr).contains(secret)
}

fn files_contain(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in walk(dir) {
        if std::fs::read(&entry)
            .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .unwrap_or(false)
        {
            hits.push(entry.display().to_string());
        }
    }
    hits
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn konnect_profiles_keep_their_token_in_the_keyring_only() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let session = KeyringSession::start(&home);
    assert_eq!(
        Secrets::detect().backend,
        SecretBackend::SecretService,
        "GNOME Keyring answers over the session bus"
    );

    // A "Konnect organization": a real control plane, reached with a personal access token.
    let cp_dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(cp_dir.path()).await;
    let api = Api::new(cp.base_url(), ADMIN_TOKEN);
    let (_, g) = api
        .call("POST", "/v2/control-planes", Some(serde_json::json!({"name": "konnect-prod"})))
        .await;
    let group_id = g["id"].as_str().unwrap().to_string();

    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let app = EmbeddedDefault::start(&data).await.unwrap();
    let form = |name: &str, region: &str, token: &str| NewKonnectProfile {
        name: name.into(),
        region: region.into(),
        token: token.into(),
        base_url: Some(cp.base_url()),
    };

    // Bad input is refused on its field, and a refused token is never stored.
    let e = app.add_konnect_profile(form("", "eu", ADMIN_TOKEN)).await.unwrap_err();
    assert!(e.fields.contains_key("name"), "{e:?}");
    let e = app.add_konnect_profile(form("Acme", "xx", ADMIN_TOKEN)).await.unwrap_err();
    assert!(e.fields["region"].contains("us, eu"), "{e:?}");
    let e = app.add_konnect_profile(form("Acme", "eu", "not-a-token")).await.unwrap_err();
    assert!(e.fields["token"].contains("kpat_"), "{e:?}");
    let e =
        app.add_konnect_profile(form("Acme", "eu", "kpat_wrong_token_value")).await.unwrap_err();
    assert!(e.fields["token"].contains("refused"), "{e:?}");
    assert!(!keyring_has("kpat_wrong_token_value"));

    // Added: the token is in the keyring, in no file of the app's data, and the profile is active.
    let list = app.add_konnect_profile(form("Acme", "eu", ADMIN_TOKEN)).await.unwrap();
    let acme = list.profiles.iter().find(|p| p.name() == "Acme").unwrap().clone();
    assert_eq!(list.active, acme.id());
    assert!(matches!(acme, Profile::Konnect { .. }));
    assert!(keyring_has(ADMIN_TOKEN), "secret-tool finds the token in GNOME Keyring");
    let overview = app.console().await.refresh_overview().await.unwrap();
    assert!(
        overview.groups.iter().any(|g| g.name == "konnect-prod"),
        "the Konnect profile shows the organization's groups"
    );
    assert_eq!(overview.profile_name, "Acme");
    let dup = app.add_konnect_profile(form("acme", "eu", ADMIN_TOKEN)).await.unwrap_err();
    assert!(dup.fields["name"].contains("already exists"));

    // "New runtime instance" on a Konnect profile: a pinned certificate and a docker command.
    let started = app.new_runtime_instance(&group_id).await.unwrap();
    let cmd = started.docker_command.expect("a docker command");
    assert!(
        cmd.contains("KONG_ROLE=data_plane")
            && cmd.contains("KONG_CLUSTER_CONTROL_PLANE=")
            && cmd.contains("BEGIN CERTIFICATE")
            && cmd.contains("PRIVATE KEY"),
        "{cmd}"
    );
    let (_, certs) = api
        .call("GET", &format!("/v2/control-planes/{group_id}/dp-client-certificates"), None)
        .await;
    assert_eq!(
        certs["items"].as_array().map(Vec::len).or_else(|| certs["data"].as_array().map(Vec::len)),
        Some(1),
        "{certs}"
    );

    app.shutdown().await;
    assert!(
        files_contain(&data, ADMIN_TOKEN).is_empty(),
        "the token is in no file: {:?}",
        files_contain(&data, ADMIN_TOKEN)
    );

    // Restarted: the app reopens on the Konnect profile with the token from the keyring.
    let app = EmbeddedDefault::start(&data).await.unwrap();
    assert_eq!(app.console().await.profile().name(), "Acme");
    assert!(app
        .console()
        .await
        .refresh_overview()
        .await
        .unwrap()
        .groups
        .iter()
        .any(|g| g.name == "konnect-prod"));

    // Switch to Local and back; remove: the token leaves the keyring and Local is active.
    app.switch_profile("local").await.unwrap();
    assert_eq!(app.console().await.profile().id(), "local");
    app.switch_profile(acme.id()).await.unwrap();
    let after = app.remove_profile(acme.id()).await.unwrap();
    assert_eq!(after.active, "local");
    assert_eq!(after.profiles.len(), 1);
    assert!(!keyring_has(ADMIN_TOKEN), "the token was removed from the keyring");
    assert_eq!(app.remove_profile("local").await.unwrap_err().code, ErrorCode::Validation);
    app.shutdown().await;
    cp.shutdown().await;

    // No Secret Service on the bus: the kernel keyring, or memory for this run, said plainly.
    drop(session);
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    match Secrets::detect().backend {
        SecretBackend::SecretService => panic!("there is no session bus now"),
        SecretBackend::KernelKeyring => {}
        SecretBackend::SessionOnly { reason } => {
            assert!(reason.contains("for this run only"), "{reason}")
        }
    }
}
