//! Stage 3 — dynamic facts. Only when asked (`--run-tests`, `--junit`, `--coverage`):
//! runs the target's tests in a sandbox and reads the reports they write, or reads
//! reports a CI run already produced.

pub mod ingest;
pub mod model;
