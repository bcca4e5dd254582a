//! Command line and environment configuration.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;

/// Every flag can also come from the environment variable shown in `--help`,
/// so containers and CI can configure the server without a wrapper script.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "server",
    version,
    about = "OpenCTI Call Control Panel server: panel, reference CTI adapter, event relay and simulator"
)]
pub struct Cli {
    /// Address to listen on (port 0 picks a free port and logs it).
    #[arg(long, env = "CCP_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Origin allowed to embed the panel and open its WebSocket (repeatable;
    /// in the environment, separate origins with commas).
    #[arg(
        long = "allowed-origin",
        env = "CCP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Directory holding the built site (`pkg/` with the wasm, JS and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}
