//! The server side of the Call Control Panel: SSR of the panel, the
//! reference CTI adapter (a simulated switch), the event relay and the call
//! simulator's API and CLI.

pub mod config;
mod http;
pub mod origins;
pub mod records;
pub mod relay;
mod sim_api;
pub mod sim_cli;
pub mod switch;

use axum::serve::ListenerExt;
use config::{Cli, Command, ServeArgs};
use std::time::Duration;

use origins::Origins;
use records::{Database, DbError, Recorder};
use relay::Hub;
use switch::{Switch, records::RECENT_PER_AGENT};

/// Errors that stop the server from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(#[from] std::io::Error),
    #[error(transparent)]
    Sim(#[from] sim_cli::SimCliError),
    #[error(transparent)]
    Database(#[from] DbError),
}

/// Runs what the command line asks: serve, or drive the simulator.
pub async fn run(cli: Cli) -> Result<(), ServerError> {
    match cli.command {
        Some(Command::Sim(args)) => Ok(sim_cli::run(args).await?),
        None => serve(cli.serve).await,
    }
}

/// Binds the listener and serves until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: args.addr,
            source,
        })?;
    let (router, hub) = app_router(&args, listener.local_addr()?).await?;
    tracing::info!(
        "serving the Call Control Panel on http://{}",
        listener.local_addr()?
    );
    // Nagle's algorithm would hold an event frame that follows a response
    // frame until the client's delayed ACK (about 40 ms): send at once.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {err}");
        }
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    if !hub.recorder().flush(Duration::from_secs(5)).await {
        tracing::error!(
            backlog = hub.health().backlog,
            "stopping with records not yet written"
        );
    }
    Ok(())
}

/// The whole application for `args`, and its hub (tests drive both): opens
/// the database and brings back what the previous run left there (agents'
/// sessions, their recent calls, the call numbering).
pub async fn app_router(
    args: &ServeArgs,
    local: std::net::SocketAddr,
) -> Result<(axum::Router, Hub), ServerError> {
    let config = args.switch_config().map_err(ServerError::Config)?;
    let origins = Origins::new(&args.allowed_origins).map_err(ServerError::Config)?;
    let db = Database::open(&args.database).await?;
    let mut switch = Switch::new(config);
    switch.continue_numbering_after(db.last_call_number().await?);
    for (agent_id, calls) in db.recent_calls(RECENT_PER_AGENT as u32).await? {
        switch.restore_recent(&agent_id, calls);
    }
    let sessions = db.sessions().await?;
    let hub = Hub::new(switch, args.relay_config(), Recorder::start(db));
    hub.restore(sessions);
    Ok((http::router(args, local, hub.clone(), origins), hub))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
