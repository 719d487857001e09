//! Starting and stopping the control plane: routes, state, bootstrap and the listening socket.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::{self, Principal, SessionTokens};
use crate::control_planes;
use crate::problem::Problem;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// The org admin's token on first start; generated (and returned once) when `None`.
    pub admin_token: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub sessions: SessionTokens,
    /// How clients reach this server, e.g. `http://127.0.0.1:8001/v2`; used in endpoint URLs it hands out.
    pub base_url: String,
    /// Ticks on every configuration write; the data plane link listens to push new config.
    pub config_events: tokio::sync::broadcast::Sender<()>,
}

impl AppState {
    pub fn config_changed(&self) {
        let _ = self.config_events.send(());
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("cannot open the control plane database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// A control plane serving on a loopback socket; dropping the handle leaves it running until `shutdown`.
pub struct RunningControlPlane {
    pub addr: SocketAddr,
    /// The admin token generated on first start, to be shown once; `None` on later starts.
    pub generated_admin_token: Option<String>,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningControlPlane {
    pub async fn start(config: Config) -> Result<RunningControlPlane, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| StartError::DataDir(config.data_dir.clone(), e))?;
        let store = Store::open(&config.data_dir.join("control-plane.sqlite"))?;
        let listener = TcpListener::bind(config.listen).await.map_err(|e| StartError::Listen(config.listen, e))?;
        let addr = listener.local_addr().map_err(|e| StartError::Listen(config.listen, e))?;
        let state = AppState { store, sessions: SessionTokens::default(), base_url: format!("http://{addr}/v2"), config_events: tokio::sync::broadcast::channel(64).0 };
        let generated_admin_token = auth::bootstrap_admin(&state.store, config.admin_token).await?;
        control_planes::ensure_default_group(&state).await?;

        let app = router(state.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("control plane stopped: {e}");
            }
        });
        tracing::info!(%addr, "control plane listening");
        Ok(RunningControlPlane { addr, generated_admin_token, state, stop: Some(stop_tx), task })
    }

    /// The API root clients use, e.g. `http://127.0.0.1:8001`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A token acting as the org admin, valid only while this process runs and never written to disk.
    pub async fn mint_admin_session(&self) -> Result<String, StoreError> {
        let admin = auth::org_admin(&self.state.store).await?.unwrap_or(Principal { id: String::new(), org_admin: true });
        let token = auth::generate_token("kpat_");
        self.state.sessions.insert(&token, admin);
        Ok(token)
    }

    /// Stops accepting requests, lets in-flight ones finish, and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

fn router(state: AppState) -> Router {
    let v2 = Router::new()
        .route("/control-planes", get(control_planes::list).post(control_planes::create))
        .route("/control-planes/{id}", get(control_planes::get).patch(control_planes::update).delete(control_planes::delete))
        .route("/control-planes/{id}/nodes", get(control_planes::list_nodes))
        .route("/control-planes/{cp}/core-entities/{*rest}", any(crate::entities::api::dispatch));
    Router::new()
        .nest("/v2", v2)
        .fallback(|| async { Problem::new(axum::http::StatusCode::NOT_FOUND, "No such API path.").into_response() })
        .layer(middleware::from_fn_with_state(state.clone(), auth::require_token))
        .with_state(state)
}
