//! Call records and persisted sessions: the database ([`db`]), its one
//! writer ([`writer`]) and the history API ([`api`]).

pub mod api;
pub mod db;
pub mod writer;

pub use db::{Database, DbError, RecordFilter, SavedSession};
pub use writer::{Job, Recorder, WriterHealth};
