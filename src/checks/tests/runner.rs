//! Judges whether a test runner is configured, so the suite runs the same way
//! everywhere.

use crate::analyze::catalog::{ArtifactKind, DetectorKind, Ecosystem};
use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.runner",
        category: Category::Tests,
        title: "Test runner configured",
        summary: "A test runner is declared or configured (pytest/tox/nox, cargo, Jest/Vitest/Mocha or an npm test script, go test).",
        weight: 0.5,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "When the way to run the tests is written down, every developer and CI run executes the same suite with the same options; otherwise tests rot because nobody knows how to run them.",
        remediation: "Declare the runner and its options: `[tool.pytest.ini_options]` in pyproject.toml (with pytest as a dev dependency), a `test` script in package.json, or a nextest profile; document the command in the README.",
        action: "Declare the test runner and its options",
        risk: "Regression risk",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.production_lines() == 0 && cx.facts.tests.files.is_empty() {
        return Outcome::not_applicable("no production source code");
    }
    let mut found: Vec<Evidence> = cx
        .facts
        .artifacts_of(ArtifactKind::TestRunner)
        .filter_map(|a| a.evidence.first().cloned())
        .collect();
    for d in cx.facts.detected(DetectorKind::TestFramework) {
        if let Some(e) = d.declared.first() {
            found.push(e.clone());
        }
    }
    for m in &cx.facts.manifests {
        for (name, cmd, line) in &m.scripts {
            if name == "test" && !cmd.contains("no test specified") {
                found.push(cx.at(&m.path, *line));
            }
        }
    }
    for t in cx.facts.ci.local("test").into_iter().take(2) {
        found.push(cx.at(&t.path, t.step.line));
    }
    // Cargo and go test are built in: a Rust or Go project with tests has a runner.
    for t in &cx.facts.tests.files {
        let eco = Ecosystem::of_language(&t.language.to_ascii_lowercase());
        if matches!(eco, Some(Ecosystem::Rust) | Some(Ecosystem::Go)) {
            found.push(Evidence::at(
                t.path.clone(),
                t.first_line,
                "built-in test runner (cargo test / go test)",
            ));
            break;
        }
    }
    found.dedup();
    found.truncate(5);
    Presence {
        def: &CHECK.def,
        found,
        found_title: "Test runner configured".into(),
        missing_title: "No test runner configured".into(),
        missing_message: "Nothing declares how the tests are run.".into(),
        looked_for: "pytest/tox/nox configuration, test-framework dev dependencies, package.json test script, Jest/Vitest/Mocha config, Makefile/justfile test targets, Rust or Go tests".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge()
}
