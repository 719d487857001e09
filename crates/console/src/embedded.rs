//! The embedded default: the local control plane started in-process, and a console bound to it.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use control_plane::{Config, RunningControlPlane};
use konnect::KonnectClient;

use crate::demo::{DemoStatus, LivingDemo};
use crate::error::ConsoleError;
use crate::fleet::{self, RuntimeProcess};
use crate::profile::Profile;
use crate::Console;

/// The local control plane and the console talking to it; stop with [`EmbeddedDefault::shutdown`].
pub struct EmbeddedDefault {
    pub console: Console,
    pub control_plane: RunningControlPlane,
    data_dir: PathBuf,
    demo: tokio::sync::Mutex<Option<LivingDemo>>,
    /// Runtimes started with "New runtime instance"; they run while the app does.
    started: tokio::sync::Mutex<Vec<RuntimeProcess>>,
    /// The running sync's cancel switch, for "Cancel" beside the progress bar.
    sync_cancel: std::sync::Mutex<Option<crate::sync::CancelToken>>,
}

/// What "New runtime instance" started.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StartedInstance {
    pub hostname: String,
    pub node_id: String,
    pub proxy_url: String,
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
        let control_plane = RunningControlPlane::start(config).await.map_err(|e| ConsoleError::local(format!("The local control plane did not start: {e}")))?;
        let token = control_plane.mint_admin_session().await.map_err(|e| ConsoleError::local(format!("The local control plane refused a session: {e}")))?;
        let client = KonnectClient::new(&control_plane.base_url(), token)?;
        let console = Console::new(Profile::local(), client, &cache_path(data_dir))?;
        Ok(EmbeddedDefault { console, control_plane, data_dir: data_dir.to_path_buf(), demo: Default::default(), started: Default::default(), sync_cancel: Default::default() })
    }

    /// Starts (or revives) the living demo; a no-op once the demo was removed.
    pub async fn start_demo(&self) -> Result<DemoStatus, ConsoleError> {
        let mut slot = self.demo.lock().await;
        if slot.is_none() {
            *slot = LivingDemo::start(self.console.client(), &self.control_plane.cluster_addr.to_string(), &self.data_dir.join("demo")).await?;
        }
        Ok(Self::status_of(&slot))
    }

    fn status_of(slot: &Option<LivingDemo>) -> DemoStatus {
        slot.as_ref().map(LivingDemo::status).unwrap_or(DemoStatus { running: false, groups: vec![], runtimes: 0, requests_sent: 0, note: None })
    }

    pub async fn demo_status(&self) -> DemoStatus {
        Self::status_of(&*self.demo.lock().await)
    }

    /// Removes the demo: its traffic, runtimes and groups; it does not come back on later runs.
    pub async fn remove_demo(&self) -> Result<DemoStatus, ConsoleError> {
        let mut slot = self.demo.lock().await;
        if let Some(demo) = slot.take() {
            demo.remove(self.console.client()).await?;
        }
        Ok(Self::status_of(&slot))
    }

    /// Makes a certificate, pins it to the group, and starts a real `runtime` process with it.
    pub async fn new_runtime_instance(&self, group_id: &str) -> Result<StartedInstance, ConsoleError> {
        let binary = crate::demo::runtime_binary().ok_or_else(|| ConsoleError::local("The runtime binary was not found next to the app (build it with cargo build -p runtime)."))?;
        let client = self.console.client();
        let group = client.get_control_plane(group_id).await?;
        let mut started = self.started.lock().await;
        let n = started.iter().filter(|p| p.hostname.starts_with(&format!("{}-local-", group.name))).count() + 1;
        let hostname = format!("{}-local-{n}", group.name);
        let (cert, key) = hybrid::link::generate_client_certificate(&hostname).map_err(|e| ConsoleError::local(e.to_string()))?;
        client.pin_dp_certificate(group_id, &cert, &format!("{hostname} (started by Runtime Manager)")).await?;
        let dir = self.data_dir.join("instances").join(group_id);
        std::fs::create_dir_all(&dir).map_err(|e| ConsoleError::local(e.to_string()))?;
        let (cert_path, key_path) = (dir.join(format!("{hostname}.crt")), dir.join(format!("{hostname}.key")));
        std::fs::write(&cert_path, cert).map_err(|e| ConsoleError::local(e.to_string()))?;
        std::fs::write(&key_path, key).map_err(|e| ConsoleError::local(e.to_string()))?;
        let node_id = fleet::node_id();
        let cluster = self.control_plane.cluster_addr.to_string();
        let process = fleet::spawn(&binary, &cluster, &cert_path, &key_path, &node_id, &hostname).await?;
        let info = StartedInstance { hostname, node_id, proxy_url: process.proxy.clone() };
        started.push(process);
        Ok(info)
    }

    /// "Sync now": one sync with progress; a second request while one runs is refused.
    pub async fn sync_now(&self, progress: std::sync::Arc<dyn Fn(crate::sync::SyncProgress) + Send + Sync>) -> Result<crate::sync::SyncReport, ConsoleError> {
        let cancel = crate::sync::CancelToken::default();
        {
            let mut slot = self.sync_cancel.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_some() {
                return Err(ConsoleError::new(crate::ErrorCode::Conflict, "A sync is already running."));
            }
            *slot = Some(cancel.clone());
        }
        let result = self.console.sync(progress, cancel).await;
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

    /// Where exports are saved when the platform has no downloads folder.
    pub fn default_export_dir(&self) -> PathBuf {
        self.data_dir.join("exports")
    }

    pub async fn shutdown(self) {
        if let Some(mut demo) = self.demo.into_inner() {
            demo.stop().await;
        }
        self.control_plane.shutdown().await;
    }
}
