//! The embedded default: the local control plane started in-process, and a console bound to it.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use control_plane::{Config, RunningControlPlane};
use konnect::KonnectClient;

use crate::error::ConsoleError;
use crate::profile::Profile;
use crate::Console;

/// The local control plane and the console talking to it; stop with [`EmbeddedDefault::shutdown`].
pub struct EmbeddedDefault {
    pub console: Console,
    pub control_plane: RunningControlPlane,
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
        Ok(EmbeddedDefault { console, control_plane })
    }

    pub async fn shutdown(self) {
        self.control_plane.shutdown().await;
    }
}
