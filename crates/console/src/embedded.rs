//! The embedded default: the local control plane started in-process, and a console bound to it.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use control_plane::{Config, RunningControlPlane};
use konnect::KonnectClient;

use crate::error::ConsoleError;
use crate::profile::Profile;
use crate::profiles::{NewKonnectProfile, ProfileList, ProfileStore};
use crate::secrets::Secrets;
use crate::Console;

/// The local control plane and the console talking to it; stop with [`EmbeddedDefault::shutdown`].
pub struct EmbeddedDefault {
    /// The Local profile's console, always there (the demo and local runtimes use it).
    local: Arc<Console>,
    /// The console of the active profile (Local or a Konnect organization).
    active: tokio::sync::RwLock<Arc<Console>>,
    pub profiles: ProfileStore,
    pub control_plane: RunningControlPlane,
    data_dir: PathBuf,
    /// Hostnames of the runtimes started with "New runtime instance" (numbered per group).
    started: tokio::sync::Mutex<Vec<String>>,
    /// Starts those runtimes; the host plugs one in (the desktop app: the demo crate's fleet).
    launcher: std::sync::OnceLock<Arc<dyn RuntimeLauncher>>,
    /// The running sync's cancel switch, for "Cancel" beside the progress bar.
    sync_cancel: std::sync::Mutex<Option<crate::sync::CancelToken>>,
}

/// What "New runtime instance" did: on the Local profile it started a runtime process; on a
/// Konnect profile it registered a certificate and gives the command that starts Kong Gateway.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StartedInstance {
    pub hostname: String,
    pub node_id: String,
    pub proxy_url: String,
    /// Konnect profile: `docker run …` for a Kong Gateway data plane with the new certificate.
    pub docker_command: Option<String>,
}

/// A runtime to start on the Local profile: joined to `cluster` with a certificate pinned to its
/// group.
#[derive(Debug, Clone)]
pub struct LocalRuntime {
    pub cluster: String,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub node_id: String,
    pub hostname: String,
}

/// What starting a runtime resolves to: its proxy's URL.
pub type LaunchFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, ConsoleError>> + Send + 'a>>;

/// Starts runtime processes for "New runtime instance" on the Local profile. The core only
/// prepares them (certificate pinned, files written); processes are the host's business.
pub trait RuntimeLauncher: Send + Sync {
    fn launch(&self, runtime: LocalRuntime) -> LaunchFuture<'_>;
}

pub fn control_plane_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("control-plane")
}

pub fn cache_path(data_dir: &Path) -> PathBuf {
    data_dir.join("cache.sqlite")
}

impl EmbeddedDefault {
    /// Starts the control plane on a free loopback port with its data under `data_dir`, and mints
    /// an in-memory admin token for this run: the Local profile needs no stored secret.
    pub async fn start(data_dir: &Path) -> Result<EmbeddedDefault, ConsoleError> {
        let config = Config {
            data_dir: control_plane_dir(data_dir),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            cluster_listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            admin_token: None,
        };
        let control_plane = RunningControlPlane::start(config).await.map_err(|e| {
            ConsoleError::local(format!("The local control plane did not start: {e}"))
        })?;
        let token = control_plane.mint_admin_session().await.map_err(|e| {
            ConsoleError::local(format!("The local control plane refused a session: {e}"))
        })?;
        let client = KonnectClient::new(&control_plane.base_url(), token)?;
        let local = Arc::new(Console::new(Profile::local(), client, &cache_path(data_dir))?);
        // RUNTIME_MANAGER_SECRETS=memory keeps tokens in memory (for runs that must not touch a
        // keyring).
        let secrets = if std::env::var("RUNTIME_MANAGER_SECRETS").as_deref() == Ok("memory") {
            Secrets::memory("RUNTIME_MANAGER_SECRETS=memory")
        } else {
            Secrets::detect()
        };
        let profiles = ProfileStore::new(data_dir, secrets);
        let embedded = EmbeddedDefault {
            active: tokio::sync::RwLock::new(local.clone()),
            local,
            profiles,
            control_plane,
            data_dir: data_dir.to_path_buf(),
            started: Default::default(),
            launcher: Default::default(),
            sync_cancel: Default::default(),
        };
        // Reopen on the profile used last: read-only from its cache if its token cannot be read;
        // on Local only if the profile itself cannot be opened.
        let last = embedded.profiles.list().active;
        if last != "local" {
            if let Err(e) = embedded.switch_profile(&last).await {
                tracing::warn!("staying on the Local profile: {}", e.message);
                embedded.profiles.set_active("local")?;
            }
        }
        Ok(embedded)
    }

    /// The Local profile's console (the embedded control plane's), whichever profile is active.
    pub fn local(&self) -> &Arc<Console> {
        &self.local
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Plugs in what starts runtime processes on the Local profile; the first one set stays.
    pub fn set_runtime_launcher(&self, launcher: Arc<dyn RuntimeLauncher>) {
        let _ = self.launcher.set(launcher);
    }

    /// The active profile's console.
    pub async fn console(&self) -> Arc<Console> {
        self.active.read().await.clone()
    }

    pub fn list_profiles(&self) -> ProfileList {
        self.profiles.list()
    }

    /// Makes `id` the active profile: its client with the token from the keyring, the same cache
    /// file. A token that cannot be read (no keyring, a locked one, gone) opens the profile's
    /// cache read-only, saying why; entering the token again ([`Self::replace_token`]) brings it
    /// online.
    pub async fn switch_profile(&self, id: &str) -> Result<ProfileList, ConsoleError> {
        let profile = self.profiles.find(id)?;
        let cache = cache_path(&self.data_dir);
        let console = match (&profile, profile.konnect_hosts()) {
            (Profile::Konnect { .. }, Some(hosts)) => match self.profiles.client_for(&profile) {
                Ok(client) => Arc::new(Console::new(profile.clone(), client, &cache)?),
                Err(e) => {
                    tracing::warn!("opening '{}' read-only: {}", profile.name(), e.message);
                    Arc::new(Console::read_only(profile.clone(), hosts, &cache, e.message)?)
                }
            },
            _ => self.local.clone(),
        };
        *self.active.write().await = console;
        self.profiles.set_active(id)?;
        Ok(self.profiles.list())
    }

    /// Adds a Konnect profile (token checked, then kept in the keyring) and switches to it.
    pub async fn add_konnect_profile(
        &self,
        form: NewKonnectProfile,
    ) -> Result<ProfileList, ConsoleError> {
        let profile = self.profiles.add_konnect(form).await?;
        self.switch_profile(profile.id()).await
    }

    /// Replaces a profile's token (checked against the API, then kept in the keyring) and opens
    /// the profile with it: the way back online for one opened read-only.
    pub async fn replace_token(&self, id: &str, token: &str) -> Result<ProfileList, ConsoleError> {
        self.profiles.replace_token(id, token).await?;
        self.switch_profile(id).await
    }

    /// Removes a Konnect profile and its token; if it was active, Local becomes active.
    pub async fn remove_profile(&self, id: &str) -> Result<ProfileList, ConsoleError> {
        self.profiles.remove(id)?;
        if self.console().await.profile().id() == id {
            *self.active.write().await = self.local.clone();
        }
        Ok(self.profiles.list())
    }

    /// Local profile: makes a certificate, pins it to the group, and starts a real `runtime`
    /// process with it. Konnect profile: makes and pins the certificate, and returns the
    /// `docker run` command for a Kong Gateway data plane that uses it.
    pub async fn new_runtime_instance(
        &self,
        group_id: &str,
    ) -> Result<StartedInstance, ConsoleError> {
        let active = self.console().await;
        if matches!(active.profile(), Profile::Konnect { .. }) {
            return konnect_instance(active.client(), group_id)
                .await
                .map_err(|e| active.note_refusal(group_id, "nodes", e));
        }
        let launcher = self.launcher.get().cloned().ok_or_else(|| {
            ConsoleError::local("This app cannot start runtime processes on the Local profile.")
        })?;
        let client = self.local.client();
        let group = client.get_control_plane(group_id).await?;
        let mut started = self.started.lock().await;
        let n =
            started.iter().filter(|h| h.starts_with(&format!("{}-local-", group.name))).count() + 1;
        let hostname = format!("{}-local-{n}", group.name);
        let (cert, key) = hybrid::link::generate_client_certificate(&hostname)
            .map_err(|e| ConsoleError::local(e.to_string()))?;
        client
            .pin_dp_certificate(
                group_id,
                &cert,
                &format!("{hostname} (started by Runtime Manager)"),
            )
            .await
            .map_err(|e| active.note_refusal(group_id, "nodes", e.into()))?;
        // The group's instance directory holds only their certificates and keys: it is made 0700,
        // each key 0600, and every file is written atomically.
        let dir = self.data_dir.join("instances").join(group_id);
        let (cert_path, key_path) =
            hybrid::keyfile::write_certificate_pair(&dir, &hostname, &cert, &key)
                .map_err(ConsoleError::local)?;
        let node_id = uuid::Uuid::new_v4().to_string();
        let proxy_url = launcher
            .launch(LocalRuntime {
                cluster: self.control_plane.cluster_addr.to_string(),
                cert: cert_path,
                key: key_path,
                node_id: node_id.clone(),
                hostname: hostname.clone(),
            })
            .await?;
        started.push(hostname.clone());
        Ok(StartedInstance { hostname, node_id, proxy_url, docker_command: None })
    }

    /// "Sync now": one sync with progress; a second request while one runs is refused.
    pub async fn sync_now(
        &self,
        progress: std::sync::Arc<dyn Fn(crate::sync::SyncProgress) + Send + Sync>,
    ) -> Result<crate::sync::SyncReport, ConsoleError> {
        let cancel = crate::sync::CancelToken::default();
        {
            let mut slot = self.sync_cancel.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_some() {
                return Err(ConsoleError::new(
                    crate::ErrorCode::Conflict,
                    "A sync is already running.",
                ));
            }
            *slot = Some(cancel.clone());
        }
        let result = self.console().await.sync(progress, cancel).await;
        *self.sync_cancel.lock().unwrap_or_else(|p| p.into_inner()) = None;
        result
    }

    /// Cancels the running sync, if any; groups already committed stay, the others as they were.
    pub fn cancel_sync(&self) -> bool {
        match self.sync_cancel.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        }
    }

    /// "Reset local data": stops a running sync (so it does not write back what it fetched
    /// before), empties the cache every profile shares, and drops what the consoles hold in
    /// memory from it. Settings, profiles, tokens and the control plane's data stay (see
    /// [`crate::local_data`]); the next refresh syncs from the API as on a first run.
    pub async fn reset_local_data(&self) -> Result<(), ConsoleError> {
        self.cancel_sync();
        crate::local_data::reset(&self.local.cache).await?;
        for console in [self.local.clone(), self.console().await] {
            console.invalidate_search();
            console.forget_access();
        }
        Ok(())
    }

    /// Saves an export — `text` (a decK file) or a dashboard `chart` (group, time frame, which) as
    /// PNG — in `RUNTIME_MANAGER_EXPORT_DIR`, else the platform's downloads folder, else the app's
    /// data dir; returns where it went.
    pub async fn save_export(
        &self,
        downloads: Option<PathBuf>,
        name: &str,
        text: Option<String>,
        chart: Option<(String, crate::TimeFrame, String)>,
    ) -> Result<String, ConsoleError> {
        let dir = std::env::var_os("RUNTIME_MANAGER_EXPORT_DIR")
            .map(PathBuf::from)
            .or(downloads.filter(|d| d.is_dir()))
            .unwrap_or_else(|| self.data_dir.join("exports"));
        let bytes = match (text, chart) {
            (Some(t), _) => t.into_bytes(),
            (None, Some((group, time_frame, which))) => {
                self.console().await.export_chart_png(&group, time_frame, &which).await?
            }
            (None, None) => return Err(ConsoleError::field("text", "Nothing to save.")),
        };
        Ok(crate::transfer::save_file(&dir, name, &bytes)?.display().to_string())
    }

    pub async fn shutdown(self) {
        self.control_plane.shutdown().await;
    }
}

/// The `host:port` of an endpoint URL (`https://x.cp0.konghq.com` → `x.cp0.konghq.com:443`).
fn host_port(url: &str) -> (String, String) {
    let rest = url.split("://").nth(1).unwrap_or(url).trim_end_matches('/');
    let host = rest.split(':').next().unwrap_or(rest).to_string();
    let hp = if rest.contains(':') { rest.to_string() } else { format!("{rest}:443") };
    (hp, host)
}

/// A Konnect data plane: a fresh certificate pinned to the group and the command to run Kong
/// Gateway with it (the flags Konnect's own "New data plane node" page uses).
async fn konnect_instance(
    client: &konnect::KonnectClient,
    group_id: &str,
) -> Result<StartedInstance, ConsoleError> {
    let group = client.get_control_plane(group_id).await?;
    let hostname = format!("{}-dp", group.name);
    let (cert, key) = hybrid::link::generate_client_certificate(&hostname)
        .map_err(|e| ConsoleError::local(e.to_string()))?;
    client.pin_dp_certificate(group_id, &cert, &format!("{hostname} (Runtime Manager)")).await?;
    let (cp, cp_host) = host_port(&group.config.control_plane_endpoint);
    let (tel, tel_host) = host_port(&group.config.telemetry_endpoint);
    // The PEM goes in as is: a double-quoted shell string keeps its line breaks.
    let quote = |pem: &str| pem.trim().to_string();
    let docker_command = format!(
        concat!(
            "docker run -d --name {hostname} \\\n",
            "  -e KONG_ROLE=data_plane -e KONG_DATABASE=off -e KONG_VITALS=off ",
            "-e KONG_KONNECT_MODE=on \\\n",
            "  -e KONG_CLUSTER_MTLS=pki -e KONG_CLUSTER_CONTROL_PLANE={cp} ",
            "-e KONG_CLUSTER_SERVER_NAME={cp_host} \\\n",
            "  -e KONG_CLUSTER_TELEMETRY_ENDPOINT={tel} ",
            "-e KONG_CLUSTER_TELEMETRY_SERVER_NAME={tel_host} \\\n",
            "  -e KONG_LUA_SSL_TRUSTED_CERTIFICATE=system \\\n",
            "  -e \"KONG_CLUSTER_CERT={}\" \\\n",
            "  -e \"KONG_CLUSTER_CERT_KEY={}\" \\\n",
            "  -p 8000:8000 -p 8443:8443 kong/kong-gateway:3.10",
        ),
        quote(&cert),
        quote(&key),
        hostname = hostname,
        cp = cp,
        cp_host = cp_host,
        tel = tel,
        tel_host = tel_host,
    );
    Ok(StartedInstance {
        hostname,
        node_id: String::new(),
        proxy_url: String::new(),
        docker_command: Some(docker_command),
    })
}
