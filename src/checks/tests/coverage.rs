//! Judges measured test coverage against the policy threshold. Coverage is only known
//! when the tests ran; until then the check is honestly unknown.

use crate::analyze::catalog::ArtifactKind;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.coverage",
        category: Category::Tests,
        title: "Coverage meets the threshold",
        summary: "Measured line coverage reaches the policy threshold (default 80%, critical modules 90%).",
        weight: 2.0,
        severity: Severity::P0,
        by_kind: None,
        effort: Effort::L,
        rationale: "Coverage shows which code the tests execute at all. Code no test runs can break without anyone noticing; critical modules (the ones most depended upon) need the most.",
        remediation: "Measure coverage (pytest --cov, cargo llvm-cov, c8/Istanbul, go test -cover), then add tests for the uncovered functions of the critical modules first, and gate CI on the threshold (`--cov-fail-under`).",
        action: "Measure coverage and raise it to the threshold",
        risk: "Functional bugs",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    let tooling: Vec<String> = cx
        .facts
        .artifacts_of(ArtifactKind::Coverage)
        .filter_map(|a| {
            a.evidence
                .first()
                .and_then(|e| e.location())
                .map(|l| format!("{} ({})", a.artifact.name, l.display()))
        })
        .collect();
    let configured = if tooling.is_empty() {
        "no coverage tooling configured".to_string()
    } else {
        format!("coverage tooling configured: {}", tooling.join(", "))
    };
    Outcome::unknown(format!(
        "not measured: greenlight did not run the tests; {configured}"
    ))
}
