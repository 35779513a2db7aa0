//! Judges whether the project tells people how to report vulnerabilities.

use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.policy",
        category: Category::Security,
        title: "Security policy",
        summary: "A SECURITY.md (root, .github/ or docs/) says how to report vulnerabilities and which versions get fixes.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Whoever finds a vulnerability needs a private way to report it; without one, reports arrive as public issues or not at all, and users do not know which versions are supported.",
        remediation: "Add SECURITY.md with a private reporting channel (security e-mail or GitHub private vulnerability reporting), the supported versions, and the expected response time.",
        action: "Add a SECURITY.md with a private reporting channel",
        risk: "Security",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let found = cx
        .facts
        .docs
        .role("security-policy")
        .iter()
        .take(3)
        .map(|p| cx.at_start(p))
        .collect();
    Presence {
        def: &CHECK.def,
        found,
        found_title: "Security policy present".into(),
        missing_title: "No security policy".into(),
        missing_message: "There is no documented way to report a vulnerability privately.".into(),
        looked_for: "SECURITY.md, .github/SECURITY.md, docs/SECURITY.md".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge()
}
