//! Judges whether ownership of the code is written down.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.codeowners",
        category: Category::Documentation,
        title: "Owners named",
        summary: "CODEOWNERS (or MAINTAINERS/OWNERS) names who owns which part of the code.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "When something breaks in production, someone has to know whom to call; when a change is proposed, someone has to be asked to review it. Unowned code gets neither.",
        remediation: "Add .github/CODEOWNERS mapping paths to the responsible people or teams, and require their review on protected branches.",
        action: "Name code owners (CODEOWNERS)",
        risk: "Ownership",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::role_presence(
        cx,
        &CHECK.def,
        "codeowners",
        "Code owners",
        "No file names who owns the code or whom to escalate to.",
        "CODEOWNERS, .github/CODEOWNERS, docs/CODEOWNERS, MAINTAINERS, OWNERS",
        CHECK.def.severity,
    )
}
