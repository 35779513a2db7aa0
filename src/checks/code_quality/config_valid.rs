//! Judges whether manifests, workflows and compose files parse.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.config-valid",
        category: Category::CodeQuality,
        title: "Configuration files parse",
        summary: "Manifests (pyproject.toml, Cargo.toml, package.json, …), CI workflows and compose files are well-formed. A malformed Travis configuration beside GitHub workflows that run on pushes or pull requests is P3.",
        weight: 1.0,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "A manifest or workflow that does not parse breaks installation, builds or the whole CI pipeline, usually silently for the branch that introduced it. It also hides every dependency and job it declares from this review.",
        remediation: "Fix the syntax error at the reported line; validate manifests in CI (`pip install .`, `cargo metadata`, `npm ci`) and lint workflows (actionlint) so it cannot recur.",
        action: "Fix the malformed configuration files",
        risk: "Broken builds",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let parsed =
        cx.facts.manifests.len() + cx.facts.ci.files.len() + cx.facts.containers.compose.len();
    let problems = &cx.facts.problems;
    if problems.is_empty() {
        if parsed == 0 {
            return Outcome::not_applicable("no manifests, workflows or compose files");
        }
        return Outcome::pass(format!(
            "{} parsed",
            plural(parsed, "configuration file", "configuration files")
        ));
    }
    let mut outcome = Outcome::fail(format!(
        "{} could not be parsed",
        plural(problems.len(), "configuration file", "configuration files")
    ));
    use crate::analyze::ci::CiSystem;
    // Where the repository's CI runs now: GitHub workflows on pushes or pull requests.
    let github = cx.facts.ci.files.iter().find(|f| {
        f.system == CiSystem::GitHubActions
            && !f.malformed
            && f.triggers
                .iter()
                .any(|t| t == "push" || t == "pull_request")
    });
    for p in problems {
        let snippet = cx.line(&p.path, p.line);
        // A Travis configuration beside the workflows CI runs on: a second, likely
        // abandoned system; only its builds break.
        let legacy = github.filter(|_| CiSystem::of_path(&p.path) == Some(CiSystem::Travis));
        let (severity, message) = match legacy {
            Some(g) => (
                Severity::P3,
                format!(
                    "{}: {}. CI runs on GitHub Actions ({}), so this Travis configuration only breaks Travis builds; delete it if nothing runs it.",
                    p.path, p.message, g.path
                ),
            ),
            None => (CHECK.def.severity, format!("{}: {}", p.path, p.message)),
        };
        outcome = outcome.concern_at(
            &CHECK.def,
            severity,
            format!("{} does not parse", p.path),
            message,
            vec![Evidence::at(p.path.clone(), p.line, &snippet)],
        );
    }
    outcome
}
