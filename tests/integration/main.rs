//! greenlight's integration tests: one binary that drives the built `greenlight` and
//! the library on fixture repositories under `tests/fixtures/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods
)]

mod advisories;
mod analysis;
mod bad_input;
mod checks;
mod cli;
mod docs;
mod history;
#[cfg(unix)]
mod hostile;
mod invariant;
mod projects;
mod redaction;
mod repos;
mod run;
mod secrets;
mod support;
