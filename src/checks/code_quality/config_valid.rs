//! Judges whether manifests, workflows and compose files parse.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.config-valid",
        category: Category::CodeQuality,
        title: "Configuration files parse",
        summary: "Manifests (pyproject.toml, Cargo.toml, package.json, …), CI workflows and compose files are well-formed.",
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
    for p in problems {
        let snippet = cx.line(&p.path, p.line);
        outcome = outcome.concern(
            &CHECK.def,
            format!("{} does not parse", p.path),
            format!("{}: {}", p.path, p.message),
            vec![Evidence::at(p.path.clone(), p.line, &snippet)],
        );
    }
    outcome
}
