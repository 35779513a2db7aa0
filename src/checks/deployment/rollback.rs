//! Judges whether a service documents or automates rollback.

use crate::checks::ci::step_evidence;
use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.rollback",
        category: Category::Deployment,
        title: "Rollback procedure",
        summary: "A service documents how to roll back a release, or automates it (helm rollback, kubectl rollout undo, blue/green or canary deployment).",
        weight: 0.75,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "Every release can go wrong; the time to recover depends on whether rolling back is a known, practised command or an improvisation during the incident.",
        remediation: "Document the rollback procedure in the runbook (which command, which version, how to verify), automate it where the platform allows (helm rollback, previous image tag), and make database migrations backward compatible for one release.",
        action: "Document and automate the rollback procedure",
        risk: "Rollback",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if !cx.kind.is_service() {
        return Outcome::not_applicable(format!(
            "a {} is rolled back by installing an earlier version",
            cx.kind.noun()
        ));
    }
    let mut found: Vec<Evidence> = step_evidence(cx, &cx.facts.ci.all_steps("rollback"), 3);
    found.extend(
        cx.facts
            .docs
            .topic("rollback")
            .iter()
            .take(3)
            .map(|(p, l, t)| Evidence::at(p.clone(), *l, t)),
    );
    Presence {
        def: &CHECK.def,
        found,
        found_title: "Rollback documented or automated".into(),
        missing_title: "No rollback procedure".into(),
        missing_message: "Nothing documents or automates how to return to the previous release.".into(),
        looked_for: "rollback / blue-green / canary in README and docs; helm rollback, kubectl rollout undo in CI".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge()
}
