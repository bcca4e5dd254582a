//! `server`: serves the Call Control Panel, the reference CTI adapter, the
//! event relay and the simulator API; `server sim …` drives the simulator of
//! a running server (see the README for the command line).

use clap::Parser;
use server::config::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match server::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("server: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
