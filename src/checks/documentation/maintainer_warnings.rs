//! Quotes the maintainers' own warnings about their software ("not systematically
//! tested", "do not use in production", "experimental", "WIP").

use crate::analyze::catalog::WarningStrength;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.maintainer-warnings",
        category: Category::Documentation,
        title: "No warnings from the maintainers",
        summary: "The README and docs carry no warning by the maintainers that the software is untested, experimental or not for production.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::M,
        rationale: "When the people who wrote the software say it has not been tested or is not ready for production, a reviewer takes them at their word: the warning outweighs any green check.",
        remediation: "Resolve what the warning is about (test the release, stabilise the API), then remove or update the warning; if it still holds, do not ship to production.",
        action: "Resolve the maintainers' stated reservations (or do not ship)",
        risk: "Acknowledged immaturity",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let warnings = &cx.facts.docs.warnings;
    if warnings.is_empty() {
        return Outcome::pass("no warnings in README or docs");
    }
    let strong: Vec<_> = warnings
        .iter()
        .filter(|w| w.strength == WarningStrength::Strong)
        .collect();
    let mild: Vec<_> = warnings
        .iter()
        .filter(|w| w.strength == WarningStrength::Mild)
        .collect();
    let mut outcome = if strong.is_empty() {
        Outcome::partial(0.6, plural(mild.len(), "mild warning", "mild warnings"))
    } else {
        Outcome::fail(format!(
            "{} that the software is not ready",
            plural(strong.len(), "warning", "warnings")
        ))
    };
    for w in strong.iter().take(5) {
        outcome = outcome.concern(
            def,
            format!(
                "Maintainers warn: \"{}\"",
                crate::model::shorten(&w.text, 90)
            ),
            format!("{}:{} says: \"{}\"", w.path, w.line, w.text),
            vec![Evidence::at(w.path.clone(), w.line, &w.text)],
        );
    }
    if !mild.is_empty() {
        let evidence = mild
            .iter()
            .take(5)
            .map(|w| Evidence::at(w.path.clone(), w.line, &w.text))
            .collect();
        outcome = outcome.concern_at(
            def,
            Severity::P3,
            format!("Maintainers describe the software as experimental or in progress ({})", mild.len()),
            "The documentation calls parts of the software experimental, work in progress or pre-release.",
            evidence,
        );
    }
    outcome
}
