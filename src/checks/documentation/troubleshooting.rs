//! Judges whether common problems and their fixes are documented.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.troubleshooting",
        category: Category::Documentation,
        title: "Troubleshooting guide",
        summary: "Common problems and their fixes are documented (troubleshooting guide, FAQ, known issues, or a README section).",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "The same failures recur — missing credentials, wrong versions, network errors. A troubleshooting section turns each into a two-minute fix instead of a support request.",
        remediation: "Add a Troubleshooting section to the README or docs/troubleshooting.md listing the common errors, their causes and fixes; grow it from support questions.",
        action: "Add a troubleshooting guide",
        risk: "Operations",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.facts.docs.role("troubleshooting").is_empty() {
        if let Some(readme) = &cx.facts.docs.readme {
            if let Some(h) = readme.section("troubleshooting") {
                return Outcome::pass(format!("README section \"{}\"", h.title)).strength(
                    &CHECK.def,
                    "Troubleshooting documented in the README",
                    "",
                    vec![cx.at(&readme.path, h.line)],
                );
            }
        }
    }
    super::role_presence(
        cx,
        &CHECK.def,
        "troubleshooting",
        "Troubleshooting guide",
        "Common problems and their fixes are not documented.",
        "*troubleshoot*, FAQ*, *known-issues*, README Troubleshooting/FAQ section",
        CHECK.def.severity,
    )
}
