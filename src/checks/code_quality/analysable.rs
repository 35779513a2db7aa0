//! Judges whether every source and test file could be read and analysed.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};
use crate::repo::{Content, FileKind};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.analysable-source",
        category: Category::CodeQuality,
        title: "Every source file analysable",
        summary: "Source and test files are readable UTF-8 text within the size cap, so every claim covers them.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "A file greenlight cannot read (permissions, encoding, size) is a file no claim in the review covers. Non-UTF-8 source also breaks tools and editors, and multi-megabyte source files are usually generated code checked in by mistake.",
        remediation: "Re-encode source files as UTF-8, fix permissions of unreadable files, and move generated or data files out of source directories (or list them under `ignore` in greenlight.toml). Raise `thresholds.max_file_bytes` only if large hand-written sources are intended.",
        action: "Make every source file readable UTF-8 text (or exclude generated files)",
        risk: "Blind spots",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let relevant: Vec<_> = cx
        .files()
        .filter(|f| matches!(f.kind, FileKind::Source | FileKind::Test) && f.language.is_some())
        .collect();
    if relevant.is_empty() {
        return Outcome::not_applicable("no source files");
    }
    let mut evidence = Vec::new();
    let (mut lossy, mut unreadable, mut large) = (0usize, 0usize, 0usize);
    for f in &relevant {
        let why = match &f.content {
            Content::TooLarge => {
                large += 1;
                format!(
                    "{} bytes, over the {}-byte cap: not analysed",
                    f.bytes, cx.inventory.max_file_bytes
                )
            }
            Content::OverBudget => {
                large += 1;
                "past the audit's read budget: not analysed".to_string()
            }
            Content::Unreadable(e) => {
                unreadable += 1;
                format!("could not be read: {e}")
            }
            Content::Text(_) if f.lossy => {
                lossy += 1;
                "not valid UTF-8; read with replacement characters".to_string()
            }
            Content::Binary => {
                unreadable += 1;
                "contains NUL bytes (UTF-16 or binary): not analysed".to_string()
            }
            _ => continue,
        };
        if evidence.len() < 10 {
            evidence.push(Evidence::at(f.path.clone(), 1, &why));
        }
    }
    // Python files read but not parsed (the parser's time budget ran out).
    let mut unparsed = 0usize;
    for f in crate::checks::python::files(cx) {
        if let Some(why) = &f.py.unparsed {
            unparsed += 1;
            if evidence.len() < 10 {
                evidence.push(Evidence::at(f.path().to_string(), 1, why));
            }
        }
    }
    let bad = lossy + unreadable + large + unparsed;
    if bad == 0 {
        return Outcome::pass(format!(
            "all {} read as UTF-8 text",
            plural(relevant.len(), "source file", "source files")
        ));
    }
    let score = 1.0 - (bad as f64 / relevant.len() as f64).min(1.0);
    let mut parts = Vec::new();
    if lossy > 0 {
        parts.push(format!("{lossy} not UTF-8"));
    }
    if unreadable > 0 {
        parts.push(format!("{unreadable} unreadable or binary"));
    }
    if large > 0 {
        parts.push(format!("{large} over the size cap"));
    }
    if unparsed > 0 {
        parts.push(format!("{unparsed} not parsed (malformed beyond recovery)"));
    }
    let summary = format!(
        "{} of {} source files: {}",
        bad,
        relevant.len(),
        parts.join(", ")
    );
    // Any file left out keeps the check from passing.
    Outcome::scored(score.min(0.95), summary.clone()).concern(
        def,
        format!(
            "{} could not be fully analysed",
            plural(bad, "source file", "source files")
        ),
        summary,
        evidence,
    )
}
