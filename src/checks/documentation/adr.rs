//! Judges whether significant decisions are recorded as ADRs.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.adr",
        category: Category::Documentation,
        title: "Architecture decision records",
        summary: "Significant design decisions are recorded as ADRs (docs/adr/, docs/decisions/).",
        weight: 0.25,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Code shows what was decided, not why, nor which alternatives were rejected. Without the why, later changes undo decisions whose reasons nobody remembers.",
        remediation: "Start docs/adr/ with one short record per significant decision (context, decision, consequences), numbered and never rewritten, only superseded.",
        action: "Record significant decisions as ADRs",
        risk: "Knowledge loss",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::role_presence(
        cx,
        &CHECK.def,
        "adr",
        "Architecture decision records",
        "Design decisions and their reasons are not recorded.",
        "docs/adr/, docs/adrs/, docs/decisions/, adr-*.md, doc/architecture/decisions/",
        CHECK.def.severity,
    )
}
