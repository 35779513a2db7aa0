//! Judges whether a minimum coverage is enforced.

use super::step_evidence;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "ci.coverage-gate",
        category: Category::Ci,
        title: "Coverage gate enforced",
        summary: "CI fails when coverage drops below a threshold (--cov-fail-under, fail_under, coverageThreshold, --fail-under-lines).",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "Without a gate, coverage only ever goes down: each change that adds untested code passes review. A threshold in CI makes the decline visible and blocks it.",
        remediation: "Run the tests with coverage in CI and fail below the threshold: `pytest --cov --cov-fail-under=80`, `fail_under` in [tool.coverage.report], Jest `coverageThreshold`, `cargo llvm-cov --fail-under-lines 80`.",
        action: "Gate CI on a minimum coverage",
        risk: "Regression risk",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    let gates = cx.facts.ci.steps("coverage-gate");
    if gates.is_empty()
        && cx.facts.ci.files.is_empty()
        && cx.facts.ci.local("coverage-gate").is_empty()
    {
        if let Some(o) = cx.not_shipped("CI configuration") {
            return o;
        }
    }
    if !gates.is_empty() {
        return Outcome::pass("CI enforces a coverage threshold").strength(
            def,
            "Coverage gate in CI",
            "",
            step_evidence(cx, &gates, 3),
        );
    }
    let local = cx.facts.ci.local("coverage-gate");
    let runs_tests = !cx.facts.ci.steps("test").is_empty();
    if !local.is_empty() {
        let evidence: Vec<Evidence> = local
            .iter()
            .take(3)
            .map(|t| Evidence::at(t.path.clone(), t.step.line, &t.step.text))
            .collect();
        // A threshold in the coverage configuration is enforced whenever the tests run
        // with coverage; CI running the tests makes that likely but not certain.
        let (score, message) = if runs_tests {
            (
                0.75,
                "A coverage threshold is configured and CI runs the tests, but no CI step visibly enforces the threshold.",
            )
        } else {
            (
                0.4,
                "A coverage threshold is configured but CI does not run the tests, so nothing enforces it.",
            )
        };
        return Outcome::scored(
            score,
            "coverage threshold configured, not visibly enforced in CI",
        )
        .concern(
            def,
            "Coverage threshold not enforced in CI",
            message,
            evidence,
        );
    }
    Outcome::fail("no coverage threshold anywhere").concern(
        def,
        "No coverage gate",
        "Nothing fails the build when coverage drops.",
        vec![Evidence::absent(
            "--cov-fail-under, fail_under, coverageThreshold, --fail-under-lines in CI and coverage configuration",
            cx.scope(),
        )],
    )
}
