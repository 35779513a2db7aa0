//! Judges whether a service separates its environments (dev, staging, production).

use crate::analyze::catalog::ArtifactKind;
use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.environments",
        category: Category::Deployment,
        title: "Environment separation",
        summary: "A service has environment-specific configuration (staging/production settings, overlays, values files) or CI deployment environments.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::M,
        rationale: "Without a staging environment configured like production, every release is tested for the first time in production; without separated configuration, a test run can hit production data.",
        remediation: "Keep per-environment configuration (settings modules, Kustomize overlays, Helm values files, or environment variables per deployment), deploy to staging before production, and use CI environments with protection rules.",
        action: "Separate staging and production configuration",
        risk: "Deployment",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if !cx.kind.is_service() {
        return Outcome::not_applicable(format!(
            "a {} has no deployment environments",
            cx.kind.noun()
        ));
    }
    let mut found: Vec<Evidence> = cx
        .facts
        .artifacts_of(ArtifactKind::Environments)
        .flat_map(|a| a.evidence.iter().take(3).cloned())
        .collect();
    for f in &cx.facts.ci.files {
        for j in &f.jobs {
            if let Some((name, line)) = &j.environment {
                // Publishing the documentation site is not a deployment environment.
                if name == "github-pages" {
                    continue;
                }
                found.push(Evidence::at(
                    f.path.clone(),
                    *line,
                    &format!("environment: {name}"),
                ));
            }
        }
    }
    found.truncate(5);
    Presence {
        def: &CHECK.def,
        found,
        found_title: "Environment-specific configuration present".into(),
        missing_title: "No environment separation".into(),
        missing_message: "Nothing distinguishes development, staging and production configuration.".into(),
        looked_for: "config/{staging,production}.*, settings/production.py, overlays/, values-*.yaml, environments/, `environment:` in CI jobs".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge()
}
