//! greenlight's own failures (never the audited repository's: those become findings).

use std::path::PathBuf;

use crate::config::PolicyError;

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Error {
        Error::Policy(e)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} does not exist", .0.display())]
    RootNotFound(PathBuf),
    #[error("{} is not a directory", .0.display())]
    RootNotDirectory(PathBuf),
    #[error("cannot read {}: {}", .0.display(), .1)]
    RootUnreadable(PathBuf, std::io::Error),
    #[error("invalid policy {0}")]
    Policy(PolicyError),
    #[error("{0}")]
    Sandbox(String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}
