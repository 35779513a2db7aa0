//! Judges whether the licence is stated.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.license",
        category: Category::Documentation,
        title: "Licence",
        summary: "A LICENSE file states the terms; a licence declared only in the manifest is partial.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Without a licence the code cannot legally be used, copied or deployed by anyone but its authors, and legal review will stop a release.",
        remediation: "Add a LICENSE file with the full licence text and declare the same SPDX identifier in the manifest.",
        action: "Add a LICENSE file",
        risk: "Legal",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files = cx.facts.docs.role("license");
    if !files.is_empty() {
        return super::role_presence(cx, def, "license", "Licence", "", "", def.severity);
    }
    let declared: Vec<Evidence> = cx
        .facts
        .manifests
        .iter()
        .filter_map(|m| m.license.as_ref().map(|(_, l)| cx.at(&m.path, *l)))
        .take(2)
        .collect();
    if !declared.is_empty() {
        return Outcome::partial(0.5, "licence declared in the manifest, no LICENSE file").concern(
            def,
            "No LICENSE file",
            "A licence is declared in the manifest but its text is not in the repository.",
            declared,
        );
    }
    super::role_presence(
        cx,
        def,
        "license",
        "Licence",
        "No licence is stated, so nobody else may legally use the code.",
        "LICENSE*, LICENCE*, COPYING*, license in manifests",
        def.severity,
    )
}
