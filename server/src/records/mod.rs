//! Call records and persisted sessions: the database ([`db`]), its one
//! writer ([`writer`]), the history API ([`api`]) and the recordings'
//! retention ([`retention`]).

pub mod api;
pub mod db;
pub mod retention;
pub mod writer;

pub use db::{Database, DbError, RecordFilter, SavedSession};
pub use writer::{Job, Recorder, WriterHealth};
