//! Judges the coverage of the critical modules — the policy's `critical` globs, else
//! the most imported and the largest production modules — and names their uncovered
//! functions and the tests to write.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.critical-coverage",
        category: Category::Tests,
        title: "Critical modules are covered",
        summary: "Each critical module (policy `critical` globs, else the most imported and largest production modules) reaches the critical threshold (default 90%); its uncovered functions are named, with tests to write.",
        weight: 2.0,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::M,
        rationale: "Average coverage hides where it matters: the modules everything else depends on, and the largest ones, are where an untested line most likely breaks something users see. Reviewers hold them to a higher bar than the rest.",
        remediation: "Write the suggested tests for each critical module, success path first, then the error paths the function raises or handles; measure again until the module reaches the threshold, and gate CI on it (`--cov-fail-under` per package, or a coverage tool's per-file minimum).",
        action: "Cover the critical modules' uncovered functions",
        risk: "Functional bugs",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let threshold = cx.policy.thresholds.critical_coverage;
    let Some(run) = cx.run.filter(|r| r.coverage.is_some()) else {
        if cx.production_lines() == 0 {
            return Outcome::not_applicable("no production source code");
        }
        return Outcome::unknown(
            "not measured: coverage is known only with --run-tests or --coverage FILE",
        );
    };
    let critical: Vec<&crate::run::ModuleCoverage> = run
        .modules
        .iter()
        .filter(|m| m.critical.is_some())
        .collect();
    if critical.is_empty() && run.critical_without_data.is_empty() {
        if !run.critical_unmeasured.is_empty() {
            return Outcome::unknown(format!(
                "not measured: the coverage report does not cover the language of {}",
                run.critical_unmeasured.join(", ")
            ));
        }
        return Outcome::not_applicable("no critical module has coverage data");
    }
    let below: Vec<&&crate::run::ModuleCoverage> =
        critical.iter().filter(|m| m.percent < threshold).collect();
    let total = critical.len() + run.critical_without_data.len();
    let met = critical.len() - below.len();
    let mut outcome = Outcome::scored(
        met as f64 / total.max(1) as f64,
        format!(
            "{met} of {} at or above {threshold}%",
            plural(total, "critical module", "critical modules")
        ),
    );
    for m in below {
        let never: Vec<&crate::run::UncoveredFunction> =
            m.uncovered.iter().filter(|u| u.never_run()).collect();
        let names: Vec<String> = m
            .uncovered
            .iter()
            .take(8)
            .map(|u| {
                if u.never_run() || u.missing == 0 {
                    format!("`{}`", u.name)
                } else if u.statements == 0 {
                    format!(
                        "`{}` ({} unrun)",
                        u.name,
                        plural(u.missing as usize, "line", "lines")
                    )
                } else {
                    format!(
                        "`{}` ({} of {} statements unrun)",
                        u.name, u.missing, u.statements
                    )
                }
            })
            .collect();
        let mut evidence: Vec<Evidence> = m
            .uncovered
            .iter()
            .take(5)
            .map(|u| {
                let mut e = cx.at(&m.path, u.line);
                if let Evidence::At(loc) = &mut e {
                    loc.end_line = u.end_line.max(u.line);
                }
                e
            })
            .collect();
        if evidence.is_empty() {
            evidence.push(cx.at(&m.path, 1));
        }
        let tests: Vec<String> = m.suggested.iter().take(6).map(|t| t.display()).collect();
        outcome = outcome.concern_at(
            def,
            Severity::P1,
            format!(
                "Critical module {} is {:.0}% covered (expected ≥ {threshold}%)",
                m.path, m.percent
            ),
            format!(
                "{} is critical ({}): {} of {} statements covered, {:.1}%, a gap of {:.1} points.{}{}{}",
                m.path,
                m.critical.as_deref().unwrap_or("critical"),
                m.covered,
                m.statements,
                m.percent,
                threshold - m.percent,
                if names.is_empty() {
                    String::new()
                } else {
                    format!(
                        " Uncovered functions{}: {}.",
                        if never.is_empty() {
                            String::new()
                        } else {
                            format!(" ({} never run)", never.len())
                        },
                        names.join(", ")
                    )
                },
                if tests.is_empty() {
                    String::new()
                } else {
                    format!(" Tests to write in {}: {}.", m.test_file, tests.join(", "))
                },
                if m.blocked_tests.is_empty() {
                    String::new()
                } else {
                    format!(
                        " Part of the gap is {} that import it but were blocked ({}): see tests.run.",
                        plural(m.blocked_tests.len(), "a test file", "test files"),
                        m.blocked_tests.join(", ")
                    )
                }
            ),
            evidence,
        );
    }
    for (path, reason) in &run.critical_without_data {
        outcome = outcome.concern_at(
            def,
            Severity::P1,
            format!("Critical module {path} has no coverage data"),
            format!(
                "{path} is critical ({reason}), but the coverage report has no data for it: no test imports it, or the report was produced without it."
            ),
            vec![cx.at(path, 1)],
        );
    }
    outcome
}
