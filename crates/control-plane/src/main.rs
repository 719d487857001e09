//! `control-plane`: runs the local Konnect-compatible control plane as its own process.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use control_plane::{Config, RunningControlPlane};

#[derive(Parser)]
#[command(version, about = "Local Konnect-compatible control plane for Runtime Manager")]
struct Args {
    /// Where the SQLite database lives.
    #[arg(long, env = "CONTROL_PLANE_DATA_DIR")]
    data_dir: PathBuf,
    /// Address of the API listener.
    #[arg(long, env = "CONTROL_PLANE_LISTEN", default_value = "127.0.0.1:8001")]
    listen: SocketAddr,
    /// Address of the data plane link (TLS WebSocket `/v1/outlet`).
    #[arg(long, env = "CONTROL_PLANE_CLUSTER_LISTEN", default_value = "127.0.0.1:8005")]
    cluster_listen: SocketAddr,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    // Read from the environment only, never from the command line, so it stays out of `ps`.
    let admin_token = std::env::var("CONTROL_PLANE_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    let cp = match RunningControlPlane::start(Config {
        data_dir: args.data_dir,
        listen: args.listen,
        cluster_listen: args.cluster_listen,
        admin_token,
    })
    .await
    {
        Ok(cp) => cp,
        Err(e) => {
            eprintln!("control-plane: {e}");
            std::process::exit(1);
        }
    };
    if let Some(token) = &cp.generated_admin_token {
        // Shown once: only its hash is stored.
        println!("Org admin token (shown once, store it now): {token}");
    }
    println!("data plane link on {}", cp.cluster_addr);
    println!("control-plane listening on {}", cp.base_url());
    let _ = tokio::signal::ctrl_c().await;
    cp.shutdown().await;
}
