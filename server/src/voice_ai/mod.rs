//! Voice AI (DESIGN.md §10): the call's audio out to an AI engine, and what
//! the engine says about the call back into the panels.
//!
//! - [`api`]: `POST /api/calls/{callId}/conversation-events`.
//! - [`events`]: the engine's events and their checks.
//! - [`messages`]: reading the engine's messages, shared by the API and the
//!   fork's WebSocket.
//! - [`fork`]: the fork's WebSocket client (Twilio Media Streams format).
//! - [`speech`]: the simulated customer's synthesised voice.

pub mod api;
pub mod events;
pub mod fork;
pub mod messages;
pub mod speech;
