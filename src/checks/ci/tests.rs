//! Judges whether CI runs the test suite.

use super::step_evidence;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "ci.tests",
        category: Category::Ci,
        title: "CI runs the tests",
        summary: "A CI job runs the test suite (pytest, cargo test, npm test, go test, …), itself or through what it calls: scripts, local actions, reusable workflows, make/just/task targets, npm scripts, pre-commit, tox, nox, lefthook hooks, and Compose files whose services run a test runner. In a workspace, a member's suite runs when a job names it, runs a task in every member (`pnpm -r test`, `turbo run test`), starts Vitest or Jest at the root over the whole tree, or reaches it through package scripts (`yarn test` → `yarn workspace server run test`). When none does but a step is named for tests and runs a command greenlight cannot read as a runner (a project's own CLI), the root project gets a P3 note instead of a P1.",
        weight: 2.0,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "Tests that only run on a developer's machine, when remembered, do not prevent regressions. The suite has to run on every change before merge.",
        remediation: "Add a test job to CI that installs the project with its test dependencies and runs the suite on every pull request, failing the build on any failure.",
        action: "Run the test suite in CI on every pull request",
        risk: "Regression risk",
    },
    evaluate,
};

/// Whether a script runs a task in a workspace's members rather than in one place.
fn fans_out(text: &str) -> bool {
    const FAN_OUTS: &[&str] = &[
        "turbo run",
        "turbo test",
        "lerna run",
        "nx run-many",
        "nx affected",
        "--workspaces",
        "--recursive",
        "pnpm -r",
        "yarn workspaces",
        "--filter",
    ];
    FAN_OUTS.iter().any(|f| text.contains(f)) || text.split_whitespace().any(|w| w == "-ws")
}

/// A CI step named for tests (`label: ":hammer: Unit Test"`, `name: Test fixtures`)
/// whose command is not a test runner greenlight knows (the project's own CLI, a
/// script): its line and the name. Linting steps are not test steps.
fn named_test_step(cx: &Context<'_>) -> Option<(String, u32, String)> {
    const CI_DIRS: &[&str] = &[
        ".buildkite/",
        ".github/workflows/",
        ".depot/workflows/",
        ".circleci/",
        ".gitlab/",
        ".woodpecker/",
        ".drone",
        ".gitlab-ci",
        "azure-pipelines",
        "Jenkinsfile",
    ];
    // Only the repository's root project: a member's suite is not shown to run by a
    // step named for some suite.
    let root = cx
        .scope
        .and_then(|i| cx.facts.projects.get(i))
        .is_none_or(|p| p.path.is_empty());
    if !root {
        return None;
    }
    cx.inventory
        .files
        .iter()
        .filter(|f| CI_DIRS.iter().any(|d| f.path.starts_with(d)))
        .find_map(|f| {
            let text = f.text()?;
            text.lines().enumerate().find_map(|(i, line)| {
                // A workflow's own name (unindented) says nothing of its steps.
                if !line.starts_with([' ', '\t', '-']) {
                    return None;
                }
                // A step's or job's own name (`- name:`, `label:`), not an action's
                // input (`with: name: test-results`).
                let trimmed = line.trim();
                let t = trimmed.trim_start_matches("- ").trim_start();
                let step_name = trimmed.starts_with("- name:") || t.starts_with("label:");
                if !step_name {
                    return None;
                }
                let value = t
                    .strip_prefix("label:")
                    .or_else(|| t.strip_prefix("name:"))?
                    .trim()
                    .trim_matches(['"', '\'']);
                let lower = value.to_ascii_lowercase();
                let words: Vec<&str> = lower
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                let tests = words.iter().any(|w| matches!(*w, "test" | "tests"));
                // Linting and packaging steps, and the browser suites of other projects.
                let other = words.iter().any(|w| {
                    matches!(
                        *w,
                        "lint"
                            | "linting"
                            | "build"
                            | "deploy"
                            | "release"
                            | "e2e"
                            | "playwright"
                            | "cypress"
                            | "install"
                            | "setup"
                            | "publish"
                            | "report"
                            | "reports"
                            | "upload"
                            | "artifact"
                            | "artifacts"
                            | "results"
                            | "coverage"
                            | "cache"
                    )
                });
                (tests && !other).then(|| {
                    (
                        f.path.clone(),
                        u32::try_from(i + 1).unwrap_or(u32::MAX),
                        value.to_string(),
                    )
                })
            })
        })
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if cx.production_lines() == 0 && cx.facts.tests.files.is_empty() {
        return Outcome::not_applicable("no code and no tests");
    }
    // A project with no test at all has nothing for CI to run (a `"test": "vitest"`
    // script finds no file): `tests.suite` says so, and a repository's CI is judged
    // with the projects that have tests.
    // With no test at all anywhere, the gap is the missing suite, which `tests.suite`
    // reports; CI cannot run what does not exist.
    if cx.facts.tests.files.is_empty() && (cx.scope.is_some() || !cx.facts.ci.files.is_empty()) {
        return Outcome::not_applicable("no tests to run (see tests.suite)");
    }
    if cx.facts.ci.files.is_empty() {
        if let Some(o) = cx.not_shipped("CI configuration") {
            return o;
        }
        // The same gap as `ci.pipeline` (one action: add a pipeline that runs the
        // tests): scored, but not listed twice.
        return Outcome::not_applicable("no CI configuration (ci.pipeline reports it)");
    }
    let steps = cx.facts.ci.steps("test");
    if steps.is_empty() {
        // The test scripts that CI does not reach: a project's own first; a workspace
        // root's script that runs every member's (`turbo run test`) is not this
        // project's.
        let mut local = cx.facts.ci.local("test");
        if let Some(own) = cx.scope {
            local.retain(|t| !fans_out(&t.step.text));
            local.sort_by_key(|t| cx.facts.projects.of(&t.path) != Some(own));
        }
        let mut evidence = vec![Evidence::absent(
            "test commands (pytest, tox, cargo test, npm test, go test, …) in CI jobs",
            plural(cx.facts.ci.files.len(), "CI file", "CI files"),
        )];
        evidence.extend(
            local
                .iter()
                .take(3)
                .map(|t| Evidence::at(t.path.clone(), t.step.line, &t.step.text)),
        );
        // A step named for tests runs something greenlight cannot read as a runner:
        // the absence is not established.
        if let Some((path, line, name)) = named_test_step(cx) {
            evidence.insert(0, Evidence::at(path.clone(), line, &name));
            return Outcome::partial(0.5, "no recognised test command in CI").concern_at(
                def,
                Severity::P3,
                "Tests in CI not recognised",
                format!(
                    "No CI step runs a test command greenlight recognises, but {path}:{line} names a step \"{name}\": check that it runs the suite on every change."
                ),
                evidence,
            );
        }
        // A release recipe that runs the tests first gates every release by hand:
        // what is missing is the signal on each change.
        if let Some((path, line, recipe)) = &cx.facts.ci.release_tests {
            evidence.insert(0, Evidence::at(path.clone(), *line, recipe));
            return Outcome::partial(0.5, "tests run by the release recipe, not by CI")
                .concern_at(
                    def,
                    Severity::P2,
                    "Tests run only before releases, not in CI",
                    format!(
                        "No CI job runs the tests, but the release recipe `{recipe}` ({path}:{line}) runs them before publishing: releases are tested by hand, changes are not. Run the suite in CI on every pull request."
                    ),
                    evidence,
                );
        }
        return Outcome::fail("no CI job runs the tests").concern(
            def,
            "Tests are not run in CI",
            if cx.scope.is_some() {
                "No CI job runs this project's test suite."
            } else {
                "The CI configuration has no step that runs the test suite."
            },
            evidence,
        );
    }
    let summary = format!("tests run in {}", plural(steps.len(), "CI job", "CI jobs"));
    Outcome::pass(summary.clone()).strength(
        def,
        "CI runs the tests",
        summary,
        step_evidence(cx, &steps, 5),
    )
}
