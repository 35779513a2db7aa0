//! Judges whether a secret scanner guards the repository, and whether CI enforces it.

use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.secret-scanning",
        category: Category::Security,
        title: "Secret scanning enforced",
        summary: "A secret scanner (gitleaks, TruffleHog, detect-secrets, ggshield) runs in CI; in pre-commit only it is configured, not enforced.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P2,
            library: Some(Severity::P3),
        }),
        effort: Effort::S,
        rationale: "Credentials committed by accident are the most common and most exploited security failure in source repositories; once pushed they must be rotated. A scanner in CI stops them before merge.",
        remediation: "Run gitleaks or TruffleHog in CI on every pull request (e.g. `gitleaks/gitleaks-action`), and optionally in pre-commit for early feedback.",
        action: "Run a secret scanner in CI",
        risk: "Credential leak",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::enforced(
        cx,
        &CHECK.def,
        "secret-scan",
        "secret scanning",
        "gitleaks, trufflehog, detect-secrets, ggshield, secretlint in CI, pre-commit or task runners",
        Vec::new(),
        CHECK.def.severity_for(cx.kind),
    )
}
