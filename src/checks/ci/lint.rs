//! Judges whether CI runs linters and, for Python and TypeScript, a type checker.

use super::step_evidence;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "ci.lint",
        category: Category::Ci,
        title: "CI runs linters and type checks",
        summary: "A CI job runs a linter (and a type checker for Python/TypeScript); formatting checks are not linting, and tools only in pre-commit or a Makefile count as configured, not enforced.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "Static analysis that runs only when a developer remembers is not a gate. Running it in CI makes its findings block the merge instead of reaching production.",
        remediation: "Add lint and type-check steps to CI (e.g. `ruff check .` and `mypy .`, `cargo clippy -- -D warnings`, `eslint .` and `tsc --noEmit`, `golangci-lint run`) and make them required checks.",
        action: "Run linters and type checks in CI",
        risk: "Code quality",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    if cx.facts.ci.files.is_empty() {
        if let Some(o) = cx.not_shipped("CI configuration") {
            return o;
        }
    }
    let lint = cx.facts.ci.steps("lint");
    let types = cx.facts.ci.steps("type-check");
    let needs_types = cx
        .sources()
        .any(|f| f.lang() == "python" || f.lang() == "typescript");
    let local_lint = cx.facts.ci.local("lint");
    let local_types = cx.facts.ci.local("type-check");
    let local_evidence = |tasks: &[&crate::analyze::ci::LocalTask]| -> Vec<Evidence> {
        tasks
            .iter()
            .take(3)
            .map(|t| Evidence::at(t.path.clone(), t.step.line, &t.step.text))
            .collect()
    };
    let lint_ok = !lint.is_empty();
    let types_ok = !needs_types || !types.is_empty();
    let mut evidence = step_evidence(cx, &lint, 3);
    evidence.extend(step_evidence(cx, &types, 3));
    match (lint_ok, types_ok) {
        (true, true) => {
            let summary = if needs_types {
                "CI lints and type-checks"
            } else {
                "CI lints (the compiler checks types)"
            };
            Outcome::pass(summary).strength(def, "CI runs static analysis", "", evidence)
        }
        (true, false) => {
            let mut ev = vec![Evidence::absent(
                "mypy, pyright, tsc --noEmit in CI jobs",
                "CI configuration",
            )];
            ev.extend(local_evidence(&local_types));
            Outcome::partial(0.6, "CI lints but does not type-check")
                .strength(def, "CI runs linters", "", evidence)
                .concern(
                    def,
                    "CI does not type-check",
                    "The CI pipeline runs linters but no type checker.",
                    ev,
                )
        }
        (false, true) if needs_types => {
            let mut ev = vec![Evidence::absent(
                "ruff, flake8, pylint, eslint, clippy, golangci-lint in CI jobs",
                "CI configuration",
            )];
            ev.extend(local_evidence(&local_lint));
            Outcome::partial(0.5, "CI type-checks but runs no linter")
                .strength(def, "CI type-checks", "", evidence)
                .concern(
                    def,
                    "CI runs no linter",
                    "The CI pipeline type-checks but runs no linter.",
                    ev,
                )
        }
        _ => {
            let mut ev = vec![Evidence::absent(
                "ruff, flake8, pylint, mypy, eslint, tsc, clippy, golangci-lint, pre-commit in CI jobs",
                if cx.facts.ci.files.is_empty() {
                    "CI configuration (none exists)".to_string()
                } else {
                    "CI configuration".to_string()
                },
            )];
            let local: Vec<_> = local_lint.iter().chain(&local_types).copied().collect();
            ev.extend(local_evidence(&local));
            let format_only = cx.facts.ci.steps("format");
            ev.extend(step_evidence(cx, &format_only, 2));
            let message = if !format_only.is_empty() && local.is_empty() {
                "CI only checks formatting; no linter or type checker runs."
            } else if local.is_empty() {
                "No CI job runs static analysis."
            } else {
                "Static analysis is configured locally (pre-commit, Makefile, scripts) but no CI job enforces it."
            };
            let score = if local.is_empty() { 0.0 } else { 0.25 };
            Outcome::scored(score, "static analysis not run in CI").concern(
                def,
                "CI runs no static analysis",
                message,
                ev,
            )
        }
    }
}
