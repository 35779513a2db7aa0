//! Judges the test run: whether the suite ran, what kept tests from running (each root
//! cause once, with the static evidence joined in), and which tests failed.

use std::collections::BTreeMap;

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};
use crate::run::{BlockerKind, CaseStatus};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.run",
        category: Category::Tests,
        title: "The test suite runs and passes",
        summary: "With --run-tests (or --junit): every test collected, none failing; each reason tests could not run is classified (missing module or package, syntax error, fixture, wrong signature, timeout).",
        weight: 2.0,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::M,
        rationale: "A suite that does not run protects nothing, and the reasons it does not run (a module deleted under its tests, a dependency nobody declared, a signature changed without its tests) are the same reasons the product breaks in production. Counting tests is not enough: they have to run green.",
        remediation: "Fix the blockers first, most affected tests first: restore or re-point missing modules, declare and install missing packages, update tests to the current signatures, define missing fixtures. Then fix or delete failing tests, and run the suite in CI on every pull request so it stays green.",
        action: "Make the test suite run green",
        risk: "Functional bugs",
    },
    evaluate,
};

fn severity_of(kind: BlockerKind) -> Severity {
    match kind {
        BlockerKind::MissingInternalModule
        | BlockerKind::MissingName
        | BlockerKind::SyntaxError => Severity::P0,
        // The environment's gaps, not the project's.
        BlockerKind::RunnerMissing
        | BlockerKind::SetupFailed
        | BlockerKind::MissingDeclaredPackage => Severity::P2,
        _ => Severity::P1,
    }
}

/// Blockers that say what the test environment lacks rather than what the project
/// got wrong.
fn environmental(kind: BlockerKind) -> bool {
    matches!(
        kind,
        BlockerKind::RunnerMissing | BlockerKind::SetupFailed | BlockerKind::MissingDeclaredPackage
    )
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let Some(run) = cx.run.filter(|r| !r.suites.is_empty()) else {
        // Asked to run, but nothing ran: say why rather than how to ask.
        if let Some(r) = cx.run.filter(|r| !r.isolation.is_empty()) {
            let why = r
                .problems
                .iter()
                .chain(&r.notes)
                .next()
                .map(String::as_str)
                .unwrap_or("no runner applied");
            let mut outcome = Outcome::unknown(format!("the tests were not run: {why}"));
            for p in &r.problems {
                outcome = outcome.concern_at(
                    def,
                    Severity::P2,
                    "The tests could not be run",
                    p.clone(),
                    vec![Evidence::absent(
                        "a scratch copy the tests could run in",
                        cx.scope(),
                    )],
                );
            }
            return outcome;
        }
        if cx.facts.tests.files.is_empty() {
            return Outcome::not_applicable("no tests to run");
        }
        return Outcome::unknown(
            "not run: pass --run-tests to run the tests in a sandbox, or --junit FILE to read a CI run's results",
        );
    };
    let counts = run.counts();
    let environment_only = run.blockers.iter().all(|b| environmental(b.kind));
    let mut outcome = if counts.collected == 0 && !run.blockers.is_empty() && environment_only {
        Outcome::unknown(format!(
            "the tests could not be started: {}",
            run.blockers
                .first()
                .map(|b| b.message.clone())
                .unwrap_or_default()
        ))
    } else if counts.collected == 0 && run.blockers.is_empty() {
        Outcome::unknown("the runner reported no test results")
    } else {
        let ran = counts.collected.saturating_sub(counts.skipped).max(1);
        let mut score = counts.passed as f64 / ran as f64;
        let blocking = run.blockers.iter().any(|b| !environmental(b.kind));
        if blocking {
            score = score.min(0.5);
        }
        // A suite that did not run, or whose results were cut, leaves the pass unproven.
        if run
            .suites
            .iter()
            .any(|s| s.not_run.is_some() || s.incomplete)
        {
            score = score.min(0.9);
        }
        Outcome::scored(
            score,
            format!(
                "{}: {}{}",
                plural(counts.collected, "test collected", "tests collected"),
                counts.describe(),
                if run.blockers.is_empty() {
                    String::new()
                } else {
                    format!("; {}", plural(run.blockers.len(), "blocker", "blockers"))
                }
            ),
        )
    };
    for b in &run.blockers {
        // A syntax error the static analysis found is reported once, there.
        if b.kind == BlockerKind::SyntaxError
            && crate::checks::python::files(cx)
                .any(|f| f.path() == b.subject && !f.py.syntax_errors.is_empty())
        {
            continue;
        }
        let affected = if b.tests.is_empty() {
            String::new()
        } else {
            let shown: Vec<&str> = b.tests.iter().take(5).map(String::as_str).collect();
            format!(
                " It stopped {}: {}{}.",
                b.affected(),
                shown.join(", "),
                if b.tests.len() > 5 { ", …" } else { "" }
            )
        };
        let title = match b.kind {
            BlockerKind::Timeout => format!("The test run hit the time limit ({})", b.subject),
            BlockerKind::RunnerMissing | BlockerKind::SetupFailed => {
                format!("The tests could not be run: {}", b.kind.label())
            }
            _ => format!("Tests blocked by a {}: {}", b.kind.label(), b.subject),
        };
        outcome = outcome.concern_at(
            def,
            severity_of(b.kind),
            title,
            format!("{}.{affected}", b.message.trim_end_matches('.')),
            b.evidence.clone(),
        );
    }
    // Failures not already explained by a blocker, one finding per test file.
    let explained: Vec<&str> = run
        .blockers
        .iter()
        .flat_map(|b| b.tests.iter().map(String::as_str))
        .collect();
    let mut failing: BTreeMap<String, Vec<&crate::run::CaseResult>> = BTreeMap::new();
    for c in run.cases() {
        if c.status != CaseStatus::Failed && c.status != CaseStatus::Errored {
            continue;
        }
        let file = c.file.clone().unwrap_or_else(|| c.classname.clone());
        if explained.contains(&file.as_str()) {
            continue;
        }
        failing.entry(file).or_default().push(c);
    }
    for (file, cases) in failing.iter().take(15) {
        let names: Vec<String> = cases
            .iter()
            .take(5)
            .map(|c| format!("`{}`", c.name))
            .collect();
        let first = cases.first().map(|c| first_error(c)).unwrap_or_default();
        let evidence: Vec<Evidence> = cases
            .iter()
            .take(3)
            .filter_map(|c| test_location(cx, file, c))
            .collect();
        outcome = outcome.concern_at(
            def,
            Severity::P1,
            format!("{} failing in {file}", plural(cases.len(), "test", "tests")),
            format!(
                "{} failed: {}{}.{}",
                plural(cases.len(), "test", "tests"),
                names.join(", "),
                if cases.len() > 5 { ", …" } else { "" },
                if first.is_empty() {
                    String::new()
                } else {
                    format!(" First error: {}", crate::model::shorten(&first, 200))
                }
            ),
            if evidence.is_empty() {
                vec![Evidence::absent(
                    format!("{file} in this repository"),
                    cx.scope(),
                )]
            } else {
                evidence
            },
        );
    }
    if counts.collected > 0
        && counts.failed == 0
        && counts.errored == 0
        && run.blockers.is_empty()
        && !run.suites.iter().any(|s| s.incomplete)
    {
        let commands: Vec<String> = run
            .suites
            .iter()
            .filter_map(|s| s.test_step().map(|t| format!("`{}`", t.command)))
            .collect();
        outcome = outcome.strength(
            def,
            format!("{} pass", plural(counts.passed, "test", "tests")),
            format!(
                "Every collected test passed ({}){}.",
                counts.describe(),
                if commands.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", commands.join(", "))
                }
            ),
            cx.facts
                .tests
                .files
                .first()
                .map(|f| cx.at(&f.path, f.first_line))
                .into_iter()
                .collect(),
        );
    }
    outcome
}

/// The error a reader needs: pytest's `E   …` line, else the runner's message unless it
/// is only a location (`path:57:`).
fn first_error(c: &crate::run::CaseResult) -> String {
    let e_line = c
        .detail
        .lines()
        .find_map(|l| l.strip_prefix("E ").map(str::trim))
        .filter(|l| !l.is_empty());
    let location_only = |m: &str| {
        let m = m.trim().trim_end_matches(':');
        m.rsplit_once(':')
            .is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            && !m.contains(' ')
    };
    match e_line {
        Some(e) => e.to_string(),
        None if !location_only(&c.message) => c.message.clone(),
        None => c
            .detail
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !location_only(l))
            .unwrap_or("")
            .to_string(),
    }
}

/// Where a test is defined: the line the runner gave, else its `def`/`fn`/`func`.
fn test_location(cx: &Context<'_>, file: &str, c: &crate::run::CaseResult) -> Option<Evidence> {
    let f = cx.inventory.file(file)?;
    if let Some(line) = c.line.filter(|&l| l > 0) {
        return Some(cx.at(file, line));
    }
    let name = c.name.split('[').next().unwrap_or(&c.name);
    let name = name.rsplit(['.', ':', ' ']).next().unwrap_or(name);
    let total = u32::try_from(f.index.len()).unwrap_or(0);
    (1..=total)
        .find(|&n| {
            let t = f.line(n);
            ["def ", "fn ", "func "].iter().any(|k| {
                t.trim_start()
                    .trim_start_matches("async ")
                    .strip_prefix(k)
                    .is_some_and(|r| {
                        r.strip_prefix(name)
                            .is_some_and(|rest| rest.starts_with(['(', '<']))
                    })
            })
        })
        .map(|n| cx.at(file, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::CaseResult;

    #[test]
    fn the_first_error_is_the_error_not_its_location() {
        let mut c = CaseResult::new("t", "test_x", CaseStatus::Failed);
        c.message = "tests/test_mypy.yml:57:".into();
        c.detail = "tests/test_mypy.yml:57:\nTypecheckAssertionError: Invalid output".into();
        assert_eq!(first_error(&c), "TypecheckAssertionError: Invalid output");
        c.detail = "    def test_x():\n>       assert 1 == 2\nE       assert 1 == 2".into();
        assert_eq!(first_error(&c), "assert 1 == 2");
        c.message = "AssertionError: boom".into();
        c.detail = String::new();
        assert_eq!(first_error(&c), "AssertionError: boom");
    }
}
