//! CI/CD: a pipeline exists and what its jobs do.

pub mod coverage_gate;
pub mod lint;
pub mod pipeline;
pub mod tests;

use crate::analyze::ci::StepRef;
use crate::checks::Context;
use crate::model::Evidence;

/// Evidence for CI steps: `file:line` with the command, naming the job.
pub(crate) fn step_evidence(cx: &Context<'_>, steps: &[StepRef<'_>], max: usize) -> Vec<Evidence> {
    let _ = cx;
    steps
        .iter()
        .take(max)
        .map(|s| {
            Evidence::at(
                s.file.path.clone(),
                s.step.line,
                &format!("job `{}`: {}", s.job.id, s.step.text),
            )
        })
        .collect()
}
