//! Judges whether the README covers installation, usage, configuration and testing.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.readme",
        category: Category::Documentation,
        title: "README covers the essentials",
        summary: "A README exists with sections on installation, usage, configuration and testing; a project of a larger repository is judged by the README in its own directory, else the repository's.",
        weight: 1.5,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "The README is the entry point for every user, operator and new developer: how to install, run, configure and test the software must not be tribal knowledge.",
        remediation: "Give the README an Installation, a Usage, a Configuration (environment variables, config files) and a Testing/Development section, each with copy-pasteable commands.",
        action: "Complete the README (install, usage, configuration, testing)",
        risk: "Onboarding",
    },
    evaluate,
};

const REQUIRED: [(&str, &str); 4] = [
    ("install", "installation"),
    ("usage", "usage"),
    ("configuration", "configuration"),
    ("testing", "testing"),
];

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let Some(readme) = &cx.facts.docs.readme else {
        return Outcome::fail("no README").concern_at(
            def,
            Severity::P1,
            "No README",
            if cx.scope.is_some() {
                "Neither the project's directory nor the repository's root has a README."
            } else {
                "The repository has no README at its root."
            },
            vec![Evidence::absent(
                if cx.scope.is_some() {
                    "README, README.md, README.rst, README.txt in the project's directory or at the root"
                } else {
                    "README, README.md, README.rst, README.txt at the root"
                },
                cx.scope(),
            )],
        );
    };
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for (id, name) in REQUIRED {
        match readme.section(id) {
            Some(h) => present.push((name, cx.at(&readme.path, h.line))),
            None => missing.push(name),
        }
    }
    let score = present.len() as f64 / REQUIRED.len() as f64;
    let names = |v: &[&str]| v.join(", ");
    let present_names: Vec<&str> = present.iter().map(|(n, _)| *n).collect();
    let summary = if missing.is_empty() {
        format!("{} covers {}", readme.path, names(&present_names))
    } else {
        format!("{} lacks {}", readme.path, names(&missing))
    };
    let mut outcome = Outcome::scored(score, summary);
    if !present.is_empty() {
        outcome = outcome.strength(
            def,
            format!("README covers {}", names(&present_names)),
            format!("{} ({} lines)", readme.path, readme.lines),
            present.into_iter().map(|(_, e)| e).collect(),
        );
    }
    if !missing.is_empty() {
        let headings: Vec<&str> = readme
            .headings
            .iter()
            .map(|h| h.title.as_str())
            .take(12)
            .collect();
        let severity = if missing.len() >= 3 {
            Severity::P2
        } else {
            Severity::P3
        };
        outcome = outcome.concern_at(
            def,
            severity,
            format!("README has no {} section", names(&missing)),
            format!("{} does not explain {}.", readme.path, names(&missing)),
            vec![Evidence::absent(
                format!("{} headings", names(&missing)),
                format!(
                    "{} headings in {}: {}",
                    readme.headings.len(),
                    readme.path,
                    if headings.is_empty() {
                        "none".to_string()
                    } else {
                        headings.join(" | ")
                    }
                ),
            )],
        );
    }
    outcome
}
