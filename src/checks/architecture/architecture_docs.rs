//! Judges whether the architecture is written down (architecture docs or ADRs).

use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "architecture.architecture-docs",
        category: Category::Architecture,
        title: "Architecture documented",
        summary: "An architecture or design document (or ADRs) describes how the system fits together.",
        weight: 1.0,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Whoever is paged at night, or reviews a change, needs to know the components, how data flows between them and which external systems they depend on. Without a written architecture that knowledge lives in a few heads and leaves with them.",
        remediation: "Add docs/ARCHITECTURE.md (or ARCHITECTURE.md at the root) with the components, their responsibilities, the data flow, external dependencies and deployment topology; record significant decisions as ADRs under docs/adr/.",
        action: "Write an architecture overview (components, data flow, dependencies)",
        risk: "Knowledge loss",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let docs = &cx.facts.docs;
    let mut found: Vec<Evidence> = docs
        .role("architecture")
        .iter()
        .chain(docs.role("adr"))
        .take(8)
        .map(|p| cx.at_start(p))
        .collect();
    if found.is_empty() {
        // A README section on the architecture is better than nothing.
        if let Some(readme) = &docs.readme {
            if let Some(h) = readme.headings.iter().find(|h| {
                let t = h.title.to_ascii_lowercase();
                t.contains("architecture") || t.contains("design") || t.contains("how it works")
            }) {
                return Outcome::partial(0.5, format!("only a README section: \"{}\"", h.title))
                    .concern(
                        &CHECK.def,
                        "Architecture described only in the README",
                        "The README has an architecture section but there is no dedicated architecture document or ADR.",
                        vec![cx.at(&readme.path, h.line)],
                    );
            }
        }
    }
    found.dedup();
    let n = found.len();
    Presence {
        def: &CHECK.def,
        found,
        found_title: format!(
            "Architecture documentation present ({})",
            crate::model::plural(n, "document", "documents")
        ),
        missing_title: "No architecture documentation".into(),
        missing_message: "Nothing describes the system's components, data flow or design decisions.".into(),
        looked_for: "ARCHITECTURE*, DESIGN.md, docs/architecture*, docs/design*, ADRs (docs/adr/, docs/decisions/), README architecture section".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge()
}
