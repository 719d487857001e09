//! Starting and stopping the control plane: routes, state, bootstrap and the listening socket.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{any, delete, get};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::{self, Principal, SessionTokens};
use crate::control_planes;
use crate::identity;

/// This control plane's own OpenAPI document: exactly the operations it implements.
pub const OPENAPI: &str = include_str!("../openapi.yaml");
use crate::problem::Problem;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Address of the data plane link (TLS WebSocket), Kong's `cluster_listen`.
    pub cluster_listen: SocketAddr,
    /// The org admin's token on first start; generated (and returned once) when `None`.
    pub admin_token: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub sessions: SessionTokens,
    /// How clients reach this server, e.g. `http://127.0.0.1:8001/v2`; used in endpoint URLs it
    /// hands out.
    pub base_url: String,
    /// The group id of every configuration write; the data plane link listens to push new config.
    pub config_events: tokio::sync::broadcast::Sender<String>,
    /// `host:port` data planes dial, handed out as each group's `control_plane_endpoint`.
    pub cluster_endpoint: String,
    pub connected: crate::cluster::Connected,
    /// Each group's config hash at a config version, so asking for the expected hash of an
    /// unchanged group costs one row read instead of an export of the whole config.
    pub hashes: crate::cluster::HashCache,
    /// Why nodes refused their group's configuration, as they reported it.
    pub node_errors: crate::cluster::NodeErrors,
}

impl AppState {
    pub fn config_changed(&self, cp: &str) {
        let _ = self.config_events.send(cp.to_string());
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
    #[error("data plane link certificate: {0}")]
    ClusterIdentity(std::io::Error),
}

/// A control plane serving on a loopback socket; dropping the handle leaves it running until
/// `shutdown`.
pub struct RunningControlPlane {
    pub addr: SocketAddr,
    /// Where data planes connect (TLS WebSocket `/v1/outlet`).
    pub cluster_addr: SocketAddr,
    /// The admin token generated on first start, to be shown once; `None` on later starts.
    pub generated_admin_token: Option<String>,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    cluster_task: JoinHandle<()>,
    hashes_task: JoinHandle<()>,
}

impl RunningControlPlane {
    pub async fn start(config: Config) -> Result<RunningControlPlane, StartError> {
        // The database holds credentials: a data dir made here is the control plane's own, 0700
        // (one that exists is left as its owner set it).
        let mut data_dir = std::fs::DirBuilder::new();
        data_dir.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut data_dir, hybrid::keyfile::PRIVATE_DIR_MODE);
        data_dir
            .create(&config.data_dir)
            .map_err(|e| StartError::DataDir(config.data_dir.clone(), e))?;
        let store = Store::open(&Store::path_in(&config.data_dir))?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| StartError::Listen(config.listen, e))?;
        let addr = listener.local_addr().map_err(|e| StartError::Listen(config.listen, e))?;
        let cluster = TcpListener::bind(config.cluster_listen)
            .await
            .map_err(|e| StartError::Listen(config.cluster_listen, e))?;
        let cluster_addr =
            cluster.local_addr().map_err(|e| StartError::Listen(config.cluster_listen, e))?;
        let acceptor =
            crate::cluster::tls_acceptor(&config.data_dir).map_err(StartError::ClusterIdentity)?;
        let state = AppState {
            store,
            sessions: SessionTokens::default(),
            base_url: format!("http://{addr}/v2"),
            config_events: tokio::sync::broadcast::channel(256).0,
            cluster_endpoint: cluster_addr.to_string(),
            connected: Default::default(),
            hashes: Default::default(),
            node_errors: Default::default(),
        };
        let generated_admin_token = auth::bootstrap_admin(&state.store, config.admin_token).await?;
        control_planes::ensure_default_group(&state).await?;

        let app = router(state.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served =
                axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                    .with_graceful_shutdown(async move {
                        let _ = stop_rx.await;
                    })
                    .await;
            if let Err(e) = served {
                tracing::error!("control plane stopped: {e}");
            }
        });
        let cluster_task = tokio::spawn(crate::cluster::serve(cluster, acceptor, state.clone()));
        let hashes_task = tokio::spawn(crate::cluster::keep_hashes_current(state.clone()));
        tracing::info!(%addr, %cluster_addr, "control plane listening");
        Ok(RunningControlPlane {
            addr,
            cluster_addr,
            generated_admin_token,
            state,
            stop: Some(stop_tx),
            task,
            cluster_task,
            hashes_task,
        })
    }

    /// The API root clients use, e.g. `http://127.0.0.1:8001`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A token acting as the org admin, valid only while this process runs and never written to
    /// disk.
    pub async fn mint_admin_session(&self) -> Result<String, StoreError> {
        let admin = auth::org_admin(&self.state.store)
            .await?
            .unwrap_or(Principal { id: String::new(), org_admin: true });
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
        self.cluster_task.abort();
        self.hashes_task.abort();
    }
}

fn router(state: AppState) -> Router {
    let v2 = Router::new()
        .route("/control-planes", get(control_planes::list).post(control_planes::create))
        .route(
            "/control-planes/{id}",
            get(control_planes::get).patch(control_planes::update).delete(control_planes::delete),
        )
        .route("/control-planes/{id}/nodes", get(control_planes::list_nodes))
        .route(
            "/control-planes/{id}/nodes/{node}",
            get(control_planes::get_node).delete(control_planes::delete_node),
        )
        .route(
            "/control-planes/{id}/expected-config-hash",
            get(control_planes::expected_config_hash),
        )
        .route(
            "/control-planes/{id}/dp-client-certificates",
            get(crate::dp_certs::list).post(crate::dp_certs::create),
        )
        .route(
            "/control-planes/{id}/dp-client-certificates/{cert}",
            get(crate::dp_certs::get).delete(crate::dp_certs::delete),
        )
        .route("/control-planes/{cp}/core-entities/{*rest}", any(crate::entities::api::dispatch))
        .route("/metrics", axum::routing::post(crate::analytics::metrics))
        .route("/organizations/me", get(identity::organization));
    let v3 = Router::new()
        .route("/users/me", get(identity::me))
        .route("/users/{id}/teams", get(identity::user_teams))
        .route(
            "/users/{id}/assigned-roles",
            get(identity::user_roles).post(identity::assign_user_role),
        )
        .route("/users/{id}/assigned-roles/{role}", delete(identity::remove_user_role))
        .route("/system-accounts/{id}/teams", get(identity::account_teams))
        .route("/roles", get(identity::roles))
        .route("/organizations/me", get(identity::organization))
        .route("/system-accounts", get(identity::list_accounts).post(identity::create_account))
        .route(
            "/system-accounts/{id}",
            get(identity::get_account)
                .patch(identity::update_account)
                .delete(identity::delete_account),
        )
        .route(
            "/system-accounts/{id}/access-tokens",
            get(identity::list_tokens).post(identity::create_token),
        )
        .route(
            "/system-accounts/{id}/access-tokens/{token}",
            get(identity::get_token).delete(identity::delete_token),
        )
        .route(
            "/system-accounts/{id}/assigned-roles",
            get(identity::account_roles).post(identity::assign_account_role),
        )
        .route("/system-accounts/{id}/assigned-roles/{role}", delete(identity::remove_account_role))
        .route("/teams", get(identity::list_teams).post(identity::create_team))
        .route(
            "/teams/{id}",
            get(identity::get_team).patch(identity::update_team).delete(identity::delete_team),
        )
        .route(
            "/teams/{id}/system-accounts",
            get(identity::list_team_accounts).post(identity::add_team_account),
        )
        .route("/teams/{id}/system-accounts/{account}", delete(identity::remove_team_account))
        .route(
            "/teams/{id}/assigned-roles",
            get(identity::team_roles).post(identity::assign_team_role),
        )
        .route("/teams/{id}/assigned-roles/{role}", delete(identity::remove_team_role));
    let api = Router::new()
        .nest("/v2", v2)
        .nest("/v3", v3)
        .route("/konnect-api/api/runtime_groups", get(control_planes::legacy_runtime_groups))
        .fallback(|| async {
            Problem::new(axum::http::StatusCode::NOT_FOUND, "No such API path.").into_response()
        })
        // Layers run outside-in: authenticate, then authorize.
        .layer(middleware::from_fn_with_state(state.clone(), crate::authz::authorize))
        .layer(middleware::from_fn_with_state(state.clone(), auth::require_token));
    Router::new()
        .route(
            "/openapi.yaml",
            get(|| async { ([(axum::http::header::CONTENT_TYPE, "application/yaml")], OPENAPI) }),
        )
        .merge(api)
        .layer(axum::extract::DefaultBodyLimit::max(crate::limits::MAX_BODY_BYTES))
        // Outermost: whatever is refused, by a handler or by axum itself, is answered in JSON.
        .layer(middleware::from_fn(crate::problem::json_errors))
        .with_state(state)
}
