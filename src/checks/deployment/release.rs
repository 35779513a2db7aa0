//! Judges whether releases are automated (publish or deploy from CI).

use crate::checks::ci::step_evidence;
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.release-pipeline",
        category: Category::Deployment,
        title: "Automated release",
        summary: "CI publishes or deploys releases (twine/uv/poetry publish, cargo publish, npm publish, goreleaser, docker push, kubectl/helm, platform deploys).",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P3,
            library: Some(Severity::P3),
        }),
        effort: Effort::M,
        rationale: "Releases cut by hand from a laptop are irreproducible: they depend on local state, skip the checks CI runs, and cannot be repeated quickly to roll forward or back.",
        remediation: "Add a release workflow triggered by a version tag that builds, tests and publishes (package registry, container registry) or deploys, using stored credentials and trusted publishing where available.",
        action: "Automate releases from CI (tag → build → publish/deploy)",
        risk: "Deployment",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    let steps = cx.facts.ci.all_steps("release");
    if !steps.is_empty() {
        return Outcome::pass(format!(
            "releases from {}",
            plural(steps.len(), "CI step", "CI steps")
        ))
        .strength(
            def,
            "Automated release in CI",
            "",
            step_evidence(cx, &steps, 3),
        );
    }
    if cx.facts.ci.files.is_empty() {
        if let Some(o) = cx.not_shipped("CI configuration") {
            return o;
        }
    }
    // A Go library is released by pushing a version tag: the module proxy serves it.
    let go_library = cx.kind == crate::model::ProjectKind::Library
        && !cx.facts.manifests.is_empty()
        && cx
            .facts
            .manifests
            .iter()
            .all(|m| m.ecosystem == crate::analyze::catalog::Ecosystem::Go);
    if go_library {
        let tags: Vec<&String> = cx
            .inventory
            .git
            .as_ref()
            .map(|g| {
                g.tags
                    .iter()
                    .filter(|t| super::versioning::is_version_tag(t))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(latest) = tags.iter().max_by(|a, b| {
            super::versioning::version_key(a).cmp(&super::versioning::version_key(b))
        }) {
            return Outcome::pass(format!(
                "released as Go module versions by tag (latest {latest})"
            ))
            .strength(
                def,
                "Released by version tags",
                format!(
                    "a Go module is published by pushing a version tag; {}",
                    plural(tags.len(), "tag", "tags")
                ),
                vec![cx.at("go.mod", 1)],
            );
        }
    }
    let local = cx.facts.ci.local("release");
    let mut evidence = vec![Evidence::absent(
        "publish/deploy steps (twine, uv/poetry publish, cargo publish, npm publish, goreleaser, docker push, kubectl, helm, terraform apply)",
        if cx.facts.ci.files.is_empty() {
            "CI configuration (none exists)".to_string()
        } else {
            plural(cx.facts.ci.files.len(), "CI file", "CI files")
        },
    )];
    evidence.extend(
        local
            .iter()
            .take(3)
            .map(|t| Evidence::at(t.path.clone(), t.step.line, &t.step.text)),
    );
    let (score, message) = if local.is_empty() {
        (
            0.0,
            "No CI job publishes or deploys a release; releases are manual.",
        )
    } else {
        (
            0.25,
            "Release commands exist in local scripts, but no CI job runs them.",
        )
    };
    Outcome::scored(score, "no release automation in CI").concern_at(
        def,
        def.severity_for(cx.kind),
        "No automated release pipeline",
        message,
        evidence,
    )
}
