//! The server side of the Call Control Panel.

pub mod config;
mod http;
pub mod switch;

use config::Cli;

/// Errors that stop the server from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(#[from] std::io::Error),
}

/// Binds the listener and serves until Ctrl-C or SIGTERM.
pub async fn run(cli: Cli) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(cli.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: cli.addr,
            source,
        })?;
    let local = listener.local_addr()?;
    let router = http::router(&cli, local);
    tracing::info!("serving the Call Control Panel on http://{local}");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
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
