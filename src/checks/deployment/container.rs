//! Judges whether a runnable project has a container build.

use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome, Presence};
use crate::model::{Category, Effort, ProjectKind, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.container",
        category: Category::Deployment,
        title: "Container build",
        summary: "A service (or CLI) has a Dockerfile/Containerfile, so it builds into the same image everywhere; not expected of libraries.",
        weight: 1.0,
        severity: Severity::P1,
        by_kind: Some(KindSeverity {
            service: Severity::P1,
            cli: Severity::P3,
            library: None,
        }),
        effort: Effort::S,
        rationale: "A container image pins the runtime, system libraries and dependencies the code was tested with, and is the unit every modern platform deploys and rolls back. Without one, each deployment rebuilds an environment by hand.",
        remediation: "Add a Dockerfile: a pinned slim base image, a multi-stage build that leaves compilers out of the final image, a non-root USER, and a HEALTHCHECK; build it in CI.",
        action: "Create a Dockerfile and build the image in CI",
        risk: "Deployment",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.kind == ProjectKind::Library {
        return Outcome::not_applicable("libraries are not deployed as containers");
    }
    let found = cx
        .facts
        .containers
        .dockerfiles
        .iter()
        .take(5)
        .map(|d| cx.at(&d.path, d.stages.first().map(|s| s.line).unwrap_or(1)))
        .collect();
    Presence {
        def: &CHECK.def,
        found,
        found_title: format!(
            "Container build present ({})",
            plural(
                cx.facts.containers.dockerfiles.len(),
                "Dockerfile",
                "Dockerfiles"
            )
        ),
        missing_title: "No container build".into(),
        missing_message: format!(
            "There is no Dockerfile, so the {} has no reproducible deployment artifact.",
            cx.kind.noun()
        ),
        looked_for: "Dockerfile, Dockerfile.*, *.Dockerfile, Containerfile".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity_for(cx.kind),
    }
    .judge()
}
