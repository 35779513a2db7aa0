//! Judges whether contributors are told how to work on the project.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "documentation.contributing",
        category: Category::Documentation,
        title: "Contributing guide",
        summary: "A CONTRIBUTING guide explains how to set up, test and submit changes.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "New team members and outside contributors need the development setup, the test command and the review rules; otherwise every change starts with guesswork and skipped checks.",
        remediation: "Add CONTRIBUTING.md: development setup, how to run tests and linters, branch and commit conventions, and what a pull request needs before review.",
        action: "Write a contributing guide",
        risk: "Knowledge loss",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::role_presence(
        cx,
        &CHECK.def,
        "contributing",
        "Contributing guide",
        "There is no written guide for setting up, testing and submitting changes.",
        "CONTRIBUTING*, .github/CONTRIBUTING*, docs/contributing*, docs/development*",
        CHECK.def.severity,
    )
}
