//! Judges whether dependencies are audited for known vulnerabilities, and whether CI
//! enforces it.

use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.dependency-audit",
        category: Category::Security,
        title: "Dependency audit enforced",
        summary: "A known-vulnerability audit of dependencies (pip-audit, cargo audit/deny, npm audit, govulncheck, OSV-Scanner, Trivy) runs in CI; in pre-commit or a task runner only it is configured, not enforced. Update bots are judged by `security.dependency-updates`: version updates are not an audit.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P2,
            library: Some(Severity::P3),
        }),
        effort: Effort::S,
        rationale: "Most vulnerable code in production is in dependencies, not in the project's own code. An audit in CI reports a published advisory on the next build instead of after an incident.",
        remediation: "Add the ecosystem's audit to CI (`pip-audit`, `cargo audit` or `cargo deny check advisories`, `npm audit --audit-level=high`, `govulncheck ./...`) and enable Dependabot or Renovate to propose the upgrades.",
        action: "Audit dependencies for known vulnerabilities in CI",
        risk: "Vulnerable dependencies",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let has_deps = cx
        .facts
        .manifests
        .iter()
        .any(|m| !m.dependencies.is_empty());
    if !has_deps {
        return Outcome::not_applicable("no declared dependencies");
    }
    super::enforced(
        cx,
        &CHECK.def,
        "dependency-audit",
        "dependency audit",
        "pip-audit, safety, cargo audit/deny, npm audit, govulncheck, osv-scanner, trivy, dependency-review in CI, pre-commit or task runners",
        Vec::new(),
        CHECK.def.severity_for(cx.kind),
    )
}
