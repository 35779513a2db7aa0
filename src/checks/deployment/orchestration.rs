//! Judges whether a service describes how it is deployed (compose, Kubernetes, Helm,
//! Terraform, platform configs).

use crate::analyze::catalog::ArtifactKind;
use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.orchestration",
        category: Category::Deployment,
        title: "Deployment described as code",
        summary: "A service's deployment is described as code: Compose, Kubernetes manifests, Helm, Kustomize, Terraform/Pulumi, or a platform config (Fly, Heroku, Render, serverless).",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::M,
        rationale: "A deployment that exists only as console clicks or a wiki page cannot be reviewed, reproduced in another environment or rolled back reliably.",
        remediation: "Describe the deployment in the repository: Kubernetes manifests or a Helm chart, Terraform for the infrastructure, or the platform's config file; apply it from CI.",
        action: "Describe the deployment as code (manifests, Helm, Terraform)",
        risk: "Deployment",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if !cx.kind.is_service() {
        return Outcome::not_applicable(format!(
            "a {} is not deployed as a service",
            cx.kind.noun()
        ));
    }
    let mut found: Vec<Evidence> = Vec::new();
    for kind in [
        ArtifactKind::Orchestration,
        ArtifactKind::Iac,
        ArtifactKind::Platform,
    ] {
        for a in cx.facts.artifacts_of(kind) {
            found.extend(a.evidence.iter().take(2).cloned());
        }
    }
    for r in cx.facts.containers.kubernetes.iter().take(3) {
        found.push(cx.at(&r.path, r.line));
    }
    found.dedup();
    found.truncate(6);
    Presence {
        def: &CHECK.def,
        found,
        found_title: "Deployment described as code".into(),
        missing_title: "No deployment configuration".into(),
        missing_message: "Nothing in the repository describes how and where the service runs.".into(),
        looked_for: "docker-compose*.yml, Kubernetes manifests, Chart.yaml, kustomization.yaml, *.tf, Pulumi.yaml, fly.toml, Procfile, render.yaml, serverless.yml".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge()
}
