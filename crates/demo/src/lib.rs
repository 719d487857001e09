//! The living demo of the embedded default, kept out of the host-agnostic core: a real upstream
//! (the origin server), runtime processes joined to the local control plane (the fleet) and
//! steady traffic through them. The desktop shell wires it in; `console` knows nothing of it
//! beyond the [`RuntimeLauncher`] it is handed.

pub mod fleet;
pub mod living;

use std::path::PathBuf;
use std::sync::Arc;

use console::embedded::{EmbeddedDefault, LaunchFuture, LocalRuntime, RuntimeLauncher};
use console::{ConsoleError, Profile};

pub use living::{DemoStatus, LivingDemo};

/// The demo of one app run: started once, removable, and gone for good once removed.
#[derive(Default)]
pub struct Demo {
    slot: tokio::sync::Mutex<Option<LivingDemo>>,
}

fn status_of(slot: &Option<LivingDemo>) -> DemoStatus {
    slot.as_ref().map(LivingDemo::status).unwrap_or(DemoStatus {
        running: false,
        groups: vec![],
        runtimes: 0,
        requests_sent: 0,
        note: None,
    })
}

impl Demo {
    /// Starts (or revives) the living demo; a no-op once the demo was removed.
    pub async fn start(&self, app: &EmbeddedDefault) -> Result<DemoStatus, ConsoleError> {
        let mut slot = self.slot.lock().await;
        if slot.is_none() {
            *slot = LivingDemo::start(
                app.local().client(),
                &app.control_plane.cluster_addr.to_string(),
                &app.data_dir().join("demo"),
            )
            .await?;
        }
        Ok(status_of(&slot))
    }

    /// The demo lives in the Local profile; on a Konnect profile there is none to show.
    pub async fn status(&self, app: &EmbeddedDefault) -> DemoStatus {
        if matches!(app.console().await.profile(), Profile::Konnect { .. }) {
            return status_of(&None);
        }
        status_of(&*self.slot.lock().await)
    }

    /// Removes the demo: its traffic, runtimes and groups; it does not come back on later runs.
    pub async fn remove(&self, app: &EmbeddedDefault) -> Result<DemoStatus, ConsoleError> {
        let mut slot = self.slot.lock().await;
        if let Some(demo) = slot.take() {
            demo.remove(app.local().client()).await?;
        }
        Ok(status_of(&slot))
    }

    /// Stops the demo's traffic and runtimes (its groups stay, for the next run).
    pub async fn stop(&self) {
        if let Some(demo) = self.slot.lock().await.as_mut() {
            demo.stop().await;
        }
    }
}

/// Runtime processes started with "New runtime instance" on the Local profile; they run while
/// the app does.
#[derive(Default)]
pub struct ProcessFleet {
    running: tokio::sync::Mutex<Vec<fleet::RuntimeProcess>>,
}

impl ProcessFleet {
    pub fn new() -> Arc<ProcessFleet> {
        Arc::new(ProcessFleet::default())
    }
}

impl RuntimeLauncher for ProcessFleet {
    fn launch(&self, runtime: LocalRuntime) -> LaunchFuture<'_> {
        Box::pin(async move {
            let binary: PathBuf = living::runtime_binary().ok_or_else(|| {
                ConsoleError::local(
                    "The runtime binary was not found next to the app nor in \
                     ../lib/runtime-manager/ (build it with cargo build -p runtime, or \
                     reinstall the package).",
                )
            })?;
            let process = fleet::spawn(
                &binary,
                &runtime.cluster,
                &runtime.cert,
                &runtime.key,
                &runtime.node_id,
                &runtime.hostname,
            )
            .await?;
            let proxy = process.proxy.clone();
            self.running.lock().await.push(process);
            Ok(proxy)
        })
    }
}
