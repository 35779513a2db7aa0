//! Tests & coverage: a test suite exists, its size relative to the code, a runner is
//! configured, and coverage.

pub mod coverage;
pub mod import_errors;
pub mod ratio;
pub mod runner;
pub mod signature_mismatch;
pub mod suite;
