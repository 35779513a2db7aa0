//! Judges whether linters (and, for Python and TypeScript, a type checker) are
//! configured.

use crate::analyze::catalog::{ArtifactKind, Ecosystem};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.linters",
        category: Category::CodeQuality,
        title: "Linters and type checker configured",
        summary: "A linter is configured, and a type checker for Python and TypeScript code.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "Static analysis catches whole classes of defects (undefined names, unused results, wrong types, risky calls) before any test runs. A reviewer's first question after 'do the tests pass' is 'what does the linter say'.",
        remediation: "Configure the standard tools: Ruff and mypy or Pyright for Python (in pyproject.toml), ESLint and `tsc --noEmit` for JavaScript/TypeScript, Clippy lints for Rust (`[lints.clippy]` in Cargo.toml), golangci-lint for Go; then run them in CI (see ci.lint).",
        action: "Configure a linter and a type checker",
        risk: "Code quality",
    },
    evaluate,
};

/// Linter names, to name what a task runner line runs.
const LINT_TOOLS: &[&str] = &[
    "golangci-lint",
    "staticcheck",
    "go vet",
    "clippy",
    "eslint",
    "biome",
    "ruff",
    "flake8",
    "pylint",
    "pre-commit",
];

fn uses(cx: &Context<'_>, eco: Ecosystem) -> bool {
    cx.sources()
        .any(|f| Ecosystem::of_language(f.lang()) == Some(eco))
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    let evidence_of = |kind: ArtifactKind| -> Vec<(String, Evidence)> {
        cx.facts
            .artifacts_of(kind)
            .filter_map(|a| {
                a.evidence
                    .first()
                    .map(|e| (a.artifact.name.clone(), e.clone()))
            })
            .collect()
    };
    let mut linters = evidence_of(ArtifactKind::Linter);
    // Rust and Go ship their own linters; running them in CI counts as configured.
    for s in cx.facts.ci.steps("lint") {
        if s.step.text.contains("clippy") || s.step.text.contains("go vet") {
            let base = if s.step.text.contains("clippy") {
                "Clippy"
            } else {
                "go vet"
            };
            // Named once: "Clippy" when also configured, "Clippy (in CI)" when only run.
            let name = if linters.iter().any(|(n, _)| n == base) {
                base.to_string()
            } else {
                format!("{base} (in CI)")
            };
            linters.push((name, cx.at(&s.file.path, s.step.line)));
        }
    }
    // A linter run by a task runner (tox, package.json scripts, Makefile, pre-commit)
    // is configured even without a configuration file of its own.
    for t in cx.facts.ci.local("lint").into_iter().take(3) {
        let lower = t.step.text.to_ascii_lowercase();
        let tool = LINT_TOOLS
            .iter()
            .find(|n| lower.contains(*n))
            .copied()
            .unwrap_or("linter");
        linters.push((
            format!("{tool} (via {})", t.path),
            cx.at(&t.path, t.step.line),
        ));
    }
    let needs_types = uses(cx, Ecosystem::Python) || cx.sources().any(|f| f.lang() == "typescript");
    let types = evidence_of(ArtifactKind::TypeChecker);
    let type_ok = !needs_types || !types.is_empty();
    let names = |v: &[(String, Evidence)]| {
        let mut n: Vec<&str> = Vec::new();
        for (name, _) in v {
            if !n.contains(&name.as_str()) {
                n.push(name);
            }
        }
        n.join(", ")
    };
    let mut found: Vec<Evidence> = linters
        .iter()
        .chain(&types)
        .map(|(_, e)| e.clone())
        .collect();
    found.dedup();
    match (linters.is_empty(), type_ok) {
        (false, true) => {
            let summary = if types.is_empty() {
                format!("linters: {}", names(&linters))
            } else {
                format!("linters: {}; type checking: {}", names(&linters), names(&types))
            };
            Outcome::pass(summary.clone()).strength(def, format!("Static analysis configured ({summary})"), "", found)
        }
        (false, false) => Outcome::partial(0.5, format!("linters: {}; no type checker", names(&linters))).concern(
            def,
            "No type checker configured",
            "Linters are configured but no type checker (mypy, Pyright, tsc) is, so type errors reach run time.",
            vec![Evidence::absent(
                "mypy / Pyright configuration, tsconfig.json",
                cx.scope(),
            )],
        ),
        (true, true) if !types.is_empty() => Outcome::partial(0.5, format!("type checking: {}; no linter", names(&types)))
            .concern(
                def,
                "No linter configured",
                "A type checker is configured but no linter is.",
                vec![Evidence::absent("ruff, flake8, pylint, ESLint, Biome, Clippy, golangci-lint configuration", cx.scope())],
            ),
        _ => Outcome::fail("no linter or type checker configured").concern(
            def,
            "No linter or type checker configured",
            "Nothing in the repository configures static analysis.",
            vec![Evidence::absent(
                "ruff/flake8/pylint/mypy/pyright config, ESLint/Biome/tsconfig, Clippy lints, golangci-lint config",
                cx.scope(),
            )],
        ),
    }
}
