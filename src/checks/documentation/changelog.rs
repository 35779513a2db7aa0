//! Judges whether changes are recorded in a changelog.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.changelog",
        category: Category::Documentation,
        title: "Changelog",
        summary: "A changelog (CHANGELOG, CHANGES, HISTORY, NEWS, release notes) records what each release changed.",
        weight: 0.75,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Operators deciding whether to upgrade, and engineers looking for the release that introduced a bug, need to know what changed when.",
        remediation: "Keep CHANGELOG.md in the Keep a Changelog format (or generate release notes from conventional commits) and update it with every release.",
        action: "Keep a changelog",
        risk: "Release traceability",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::role_presence(
        cx,
        &CHECK.def,
        "changelog",
        "Changelog",
        "Nothing records what changed between releases.",
        "CHANGELOG*, CHANGES*, HISTORY*, NEWS*, RELEASE_NOTES*, docs/changelog*, changelog.d/",
        CHECK.def.severity,
    )
}
