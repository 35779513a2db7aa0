//! Judges whether operators have a runbook.

use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Evidence, ProjectKind, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.runbook",
        category: Category::Documentation,
        title: "Runbook",
        summary: "Operational documentation (runbook, playbooks, on-call or operations guide) exists for what is run in production.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P3,
            library: Some(Severity::P3),
        }),
        effort: Effort::M,
        rationale: "At 3 a.m. the on-call engineer needs to know how to restart, scale, roll back and diagnose the system, and whom to escalate to — not to reverse-engineer it from the code.",
        remediation: "Write docs/runbook.md: how to deploy and roll back, health checks and dashboards, common alerts and their fixes, dependencies and their owners, escalation contacts.",
        action: "Write an operational runbook",
        risk: "Operations",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.kind == ProjectKind::Library {
        return Outcome::not_applicable("libraries are not operated");
    }
    let files = cx.facts.docs.role("runbook");
    if files.is_empty() {
        // Escalation paths written elsewhere are a partial runbook.
        let mentions = cx.facts.docs.topic("escalation");
        if !mentions.is_empty() {
            let ev = mentions
                .iter()
                .take(3)
                .map(|(p, l, t)| Evidence::at(p.clone(), *l, t))
                .collect();
            return Outcome::partial(0.4, "no runbook; on-call or escalation mentioned in docs")
                .concern_at(
                    &CHECK.def,
                    CHECK.def.severity_for(cx.kind),
                    "No runbook",
                    "Documentation mentions on-call or escalation, but there is no runbook.",
                    ev,
                );
        }
    }
    super::role_presence(
        cx,
        &CHECK.def,
        "runbook",
        "Runbook",
        "There is no operational documentation for incidents, deployment or recovery.",
        "*runbook*, runbooks/, playbooks/*.md, on-call*, operations/, OPERATIONS*",
        CHECK.def.severity_for(cx.kind),
    )
}
