//! The server side of the Call Control Panel: SSR of the panel, the
//! reference CTI adapter (a simulated switch), the event relay and the call
//! simulator's API and CLI.

pub mod config;
mod http;
pub mod media;
pub mod origins;
pub mod pega;
pub mod records;
pub mod relay;
pub mod security;
mod sim_api;
pub mod sim_cli;
pub mod sip;
pub mod supervisor;
pub mod switch;
pub mod voice_ai;

use std::{net::SocketAddr, time::Duration};

use axum::serve::ListenerExt;
use axum_server::{
    accept::NoDelayAcceptor,
    tls_rustls::{RustlsAcceptor, RustlsConfig},
};
use config::{Cli, Command, ServeArgs};

use origins::Origins;
use records::{Database, DbError, Recorder};
use relay::Hub;
use switch::{Switch, records::RECENT_PER_AGENT};

/// Errors that stop the server from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Usage(&'static str),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the SIP edge on {addr} (udp and tcp): {source}")]
    SipBind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the media socket on udp://{addr}: {source}")]
    MediaBind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(#[from] std::io::Error),
    #[error(transparent)]
    Sim(#[from] sim_cli::SimCliError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    ApiKey(#[from] security::api_key::ApiKeyError),
    #[error("cannot use the TLS certificate {cert} and key {key}: {source}")]
    Tls {
        cert: String,
        key: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Credential(#[from] security::credentials::CredentialError),
    #[error(transparent)]
    Pega(#[from] pega::PegaConfigError),
}

/// Runs what the command line asks: serve, or drive the simulator.
pub async fn run(cli: Cli) -> Result<(), ServerError> {
    match cli.command {
        Some(Command::Sim(args)) => Ok(sim_cli::run(args).await?),
        Some(Command::HashPassword) => hash_password(),
        Some(Command::SipHa1 { extension }) => {
            let password = read_secret(
                "sip-ha1 reads the phone's password on standard input; it got nothing",
            )?;
            println!("{}", sip::registrar::ha1(&extension, &password));
            Ok(())
        }
        None => serve(cli.serve).await,
    }
}

/// `server hash-password`: standard input (one line, or all of it) to an
/// Argon2id hash on standard output.
fn hash_password() -> Result<(), ServerError> {
    let password =
        read_secret("hash-password reads the password on standard input; it got nothing")?;
    println!("{}", security::credentials::hash_password(&password)?);
    Ok(())
}

/// A secret on standard input (one line, or all of it), or `empty` as the
/// error when there is none.
fn read_secret(empty: &'static str) -> Result<String, ServerError> {
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)?;
    let secret = input.strip_suffix('\n').unwrap_or(&input);
    let secret = secret.strip_suffix('\r').unwrap_or(secret);
    if secret.is_empty() {
        return Err(ServerError::Usage(empty));
    }
    Ok(secret.to_string())
}

/// Binds the listener and serves (HTTPS with `--tls-cert`) until Ctrl-C or
/// SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), ServerError> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(RustlsConfig::from_pem_file(cert, key).await.map_err(
            |source| ServerError::Tls {
                cert: cert.display().to_string(),
                key: key.display().to_string(),
                source,
            },
        )?),
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: args.addr,
            source,
        })?;
    let local = listener.local_addr()?;
    let (router, hub) = app_router(&args, local).await?;
    // Connection info gives each request its client's address (login limits).
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            tracing::info!("serving the Call Control Panel on http://{local}");
            // Nagle's algorithm would hold an event frame that follows a
            // response frame until the client's delayed ACK (about 40 ms):
            // send at once.
            let listener = listener.tap_io(|tcp| {
                if let Err(err) = tcp.set_nodelay(true) {
                    tracing::debug!("cannot set TCP_NODELAY: {err}");
                }
            });
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
        Some(config) => {
            tracing::info!("serving the Call Control Panel on https://{local}");
            let handle = axum_server::Handle::new();
            tokio::spawn({
                let handle = handle.clone();
                async move {
                    shutdown_signal().await;
                    handle.graceful_shutdown(Some(Duration::from_secs(5)));
                }
            });
            axum_server::from_tcp(listener.into_std()?)?
                .acceptor(RustlsAcceptor::new(config).acceptor(NoDelayAcceptor))
                .handle(handle)
                .serve(service)
                .await?;
        }
    }
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
    local: SocketAddr,
) -> Result<(axum::Router, Hub), ServerError> {
    let config = args.switch_config().map_err(ServerError::Config)?;
    let phones = config.sip_phones.clone();
    let origins = Origins::new(&args.allowed_origins).map_err(ServerError::Config)?;
    let pega = args
        .pega_config
        .as_deref()
        .map(pega::PegaHost::load)
        .transpose()?;
    let access = args.api_access(local)?;
    let simulator = match args.simulator_enabled(local, &access) {
        Ok(()) => true,
        Err(why) => {
            tracing::warn!("{why}");
            false
        }
    };
    let db = Database::open(&args.database).await?;
    let mut switch = Switch::new(config);
    switch.continue_numbering_after(db.last_call_number().await?);
    for (agent_id, calls) in db.recent_calls(RECENT_PER_AGENT as u32).await? {
        switch.restore_recent(&agent_id, calls);
    }
    let sessions = db.sessions().await?;
    let hub = Hub::new(switch, args.relay_config(), Recorder::start(db));
    hub.restore(sessions);
    let media_config = args.media_config(local);
    let fork = match &args.media_fork_url {
        Some(url) if url.starts_with("ws://") => {
            tracing::info!("answered calls' audio is forked to {url}");
            Some(voice_ai::fork::opener(url.clone(), hub.clone()))
        }
        Some(url) => {
            return Err(ServerError::Config(format!(
                "--media-fork-url {url}: expected ws://HOST:PORT/PATH"
            )));
        }
        None => None,
    };
    let recordings =
        media::recording::Recordings::new(args.recordings_dir(), Some(hub.recorder().clone()));
    if let Some(days) = args.recording_retention_days {
        records::retention::start(hub.recorder().clone(), args.recordings_dir(), days);
    }
    let media = media::Media::start(media_config.clone(), hub.media_plan(), fork, recordings)
        .await
        .map_err(|source| ServerError::MediaBind {
            addr: media_config.addr,
            source,
        })?;
    if let Some(sip) = args
        .sip_config(media.local_addr().ip(), phones)
        .map_err(ServerError::Config)?
    {
        let addr = sip.addr;
        sip::start(sip, hub.clone(), media.clone())
            .await
            .map_err(|source| ServerError::SipBind { addr, source })?;
    }
    hub.attach_media(media);
    let surface = http::Surface {
        origins,
        access,
        simulator,
        tls: args.tls_cert.is_some(),
        pega,
    };
    Ok((http::router(args, local, hub.clone(), surface), hub))
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
