//! Tests & coverage: a test suite exists, its size relative to the code, a runner is
//! configured, and coverage.

pub mod coverage;
pub mod critical_coverage;
pub mod import_errors;
pub mod ratio;
pub mod run;
pub mod runner;
pub mod signature_mismatch;
pub mod suite;

use crate::checks::Context;
use crate::run::BlockerKind;

/// Whether the test run reports this root cause as a blocker for `test_file`: the
/// static prediction is then left to `tests.run`, so one cause is one finding.
pub fn confirmed_by_run(
    cx: &Context<'_>,
    kinds: &[BlockerKind],
    test_file: &str,
    subject: impl Fn(&str) -> bool,
) -> bool {
    cx.run.is_some_and(|r| {
        r.blockers.iter().any(|b| {
            kinds.contains(&b.kind) && b.tests.iter().any(|t| t == test_file) && subject(&b.subject)
        })
    })
}
