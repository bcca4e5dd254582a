//! The server's integration tests, linked into one binary: each test binary
//! links the whole server, so one binary instead of eight keeps a clean
//! build's size and link time down. Modules group the tests by concern.

mod common;
mod media_client;
mod sip_phone;

mod audio;
mod day;
mod desk_phone;
mod drops;
mod flows;
mod fuzz;
mod languages;
mod logins;
mod operations;
mod pega;
mod recording;
mod relay;
mod security;
mod sim_cli;
mod sip;
mod sipp;
mod supervisor;
mod supervisor_access;
mod tls;
mod voice_ai;
mod wire_matrix;
