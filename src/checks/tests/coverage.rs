//! Judges measured test coverage against the policy threshold. Coverage is only known
//! when the tests ran; until then the check is honestly unknown.

use crate::analyze::catalog::ArtifactKind;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.coverage",
        category: Category::Tests,
        title: "Coverage meets the threshold",
        summary: "Measured statement coverage of production code reaches the policy threshold (default 80%); measured with --run-tests or read from --coverage FILE.",
        weight: 2.0,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::L,
        rationale: "Coverage shows which code the tests execute at all. Code no test runs can break without anyone noticing; critical modules (the ones most depended upon) need the most.",
        remediation: "Measure coverage (pytest --cov, cargo llvm-cov, c8/Istanbul, go test -cover), then add tests for the uncovered functions of the critical modules first, and gate CI on the threshold (`--cov-fail-under`).",
        action: "Raise coverage to the threshold, critical modules first",
        risk: "Functional bugs",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    if let Some(run) = cx.run {
        if let (Some(overall), Some(coverage)) = (&run.overall, &run.coverage) {
            return measured(cx, run, overall, coverage);
        }
        if !run.coverage_problems.is_empty() {
            // A report that cannot be used is an error, never 0% or 100%.
            let mut outcome = Outcome::unknown(format!(
                "not measured: {}",
                plural(
                    run.coverage_problems.len(),
                    "coverage report",
                    "coverage reports"
                ) + " could not be used"
            ));
            for p in &run.coverage_problems {
                outcome = outcome.concern_at(
                    &CHECK.def,
                    Severity::P1,
                    "A coverage report could not be used",
                    p.clone(),
                    vec![Evidence::absent(
                        "report paths that name files of this repository",
                        cx.scope(),
                    )],
                );
            }
            return outcome;
        }
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
        "not measured: run with --run-tests, or read a CI run's report with --coverage FILE; {configured}"
    ))
}

fn measured(
    cx: &Context<'_>,
    run: &crate::run::TestRun,
    overall: &crate::run::Overall,
    coverage: &crate::run::Coverage,
) -> Outcome {
    let def = &CHECK.def;
    let threshold = cx.policy.thresholds.coverage;
    let summary = format!(
        "{:.1}% of {} in production code ({}; threshold {threshold}%)",
        overall.percent,
        plural(overall.statements as usize, "statement", "statements"),
        coverage.source
    );
    if overall.percent >= threshold {
        return Outcome::pass(summary.clone()).strength(
            def,
            format!(
                "Coverage {:.1}% meets the {threshold}% threshold",
                overall.percent
            ),
            summary,
            Vec::new(),
        );
    }
    let outcome = Outcome::scored((overall.percent / threshold.max(1.0)).min(0.95), summary);
    // The least covered modules with the most statements to gain, as evidence.
    let mut worst: Vec<&crate::run::ModuleCoverage> = run
        .modules
        .iter()
        .filter(|m| m.percent < threshold && m.statements > 0)
        .collect();
    worst.sort_by(|a, b| {
        let gain = |m: &crate::run::ModuleCoverage| m.statements.saturating_sub(m.covered);
        gain(b).cmp(&gain(a)).then(a.path.cmp(&b.path))
    });
    let evidence: Vec<Evidence> = worst
        .iter()
        .take(5)
        .map(|m| {
            let line = m
                .uncovered
                .first()
                .map(|u| u.line)
                .or_else(|| {
                    coverage
                        .file(&m.path)
                        .and_then(|f| f.missing.first().copied())
                })
                .unwrap_or(1);
            let mut e = cx.at(&m.path, line);
            if let Evidence::At(loc) = &mut e {
                loc.snippet = format!(
                    "{:.0}% covered ({} of {} statements)",
                    m.percent, m.covered, m.statements
                );
            }
            e
        })
        .collect();
    let severity = if overall.percent < threshold / 2.0 {
        Severity::P1
    } else {
        Severity::P2
    };
    let without = if overall.files_without_data > 0 {
        format!(
            " {} were never imported by any test and have no coverage data.",
            plural(
                overall.files_without_data,
                "production file",
                "production files"
            )
        )
    } else {
        String::new()
    };
    outcome.concern_at(
        def,
        severity,
        format!(
            "Coverage is {:.1}%, below the {threshold}% threshold",
            overall.percent
        ),
        format!(
            "The tests execute {} of {} production statements ({:.1}%); {:.1} points short of the threshold.{without} The modules with the most uncovered statements are listed as evidence.",
            overall.covered,
            overall.statements,
            overall.percent,
            threshold - overall.percent
        ),
        evidence,
    )
}
