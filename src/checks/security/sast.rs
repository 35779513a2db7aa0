//! Judges whether static security analysis runs in CI.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.sast",
        category: Category::Security,
        title: "Static security analysis",
        summary: "A SAST tool (CodeQL, Semgrep, Bandit, gosec, Ruff's S rules) runs in CI.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Injection, unsafe deserialisation, weak cryptography and shell execution follow recognisable patterns; a SAST tool finds them on every change for almost no cost.",
        remediation: "Enable CodeQL (`github/codeql-action`) or run Semgrep / Bandit / gosec in CI; for Python, enabling Ruff's `S` rules in the lint job is the cheapest start.",
        action: "Run static security analysis in CI",
        risk: "Security",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    super::enforced(
        cx,
        &CHECK.def,
        "sast",
        "static security analysis",
        "CodeQL, Semgrep, Bandit, gosec, ruff --select S in CI or task runners",
        Vec::new(),
        CHECK.def.severity,
    )
}
