//! Judges whether Python source holds email addresses of real people as string
//! literals (credentials are the secret scanner's, `security.secrets`).

use crate::checks::python;
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.email-addresses",
        category: Category::Security,
        title: "No personal email addresses in code",
        summary: "No string literal in Python code holds the email address of a real person (example domains, no-reply addresses and package metadata are fine).",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Email addresses in code are personal data: they spread to every clone, fork and build, and changing them needs a release.",
        remediation: "Move email addresses to configuration (environment variables or a settings file outside the repository).",
        action: "Move email addresses from code to configuration",
        risk: "Personal data exposure",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let mut found = Vec::new();
    for f in &files {
        for l in f.py.literals.iter().filter(|l| l.kind == "email") {
            found.push(Site {
                file: *f,
                line: l.line,
                severity: def.severity,
                what: "Email address in code".to_string(),
                message: "A string literal holds an email address: personal data in code spreads to every clone and build, and changes need a release. Move it to configuration.".to_string(),
                evidence: cx.at(f.path(), l.line),
            });
        }
    }
    sites::judge(
        def,
        files.len(),
        ("email address", "email addresses"),
        found,
    )
}
