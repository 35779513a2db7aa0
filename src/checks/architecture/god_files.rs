//! Judges whether production source files stay under the policy's size limit.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, group_digits, plural};
use crate::repo::language::LanguageType;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "architecture.god-files",
        category: Category::Architecture,
        title: "No god files",
        summary: "Production source files stay under the code-line limit (default 1,000 lines of code, comments and docstrings excluded).",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::M,
        rationale: "A source file of thousands of lines usually holds several responsibilities at once: it is hard to review, every change to it risks unrelated behaviour, and it becomes the merge-conflict hotspot of the team. Reviewers single such files out because they concentrate risk.",
        remediation: "Split each oversized file along its responsibilities into modules of a few hundred lines, moving one cohesive group of functions or classes at a time behind the same public interface. Raise `thresholds.max_file_lines` in greenlight.toml only for files that are generated or intentionally flat (tables, fixtures).",
        action: "Break up the largest source files into cohesive modules",
        risk: "Maintainability",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let limit = cx.policy.thresholds.max_file_lines;
    let sources: Vec<_> = cx
        .sources()
        .filter(|f| {
            f.language
                .and_then(|l| l.get())
                .is_some_and(|l| l.kind == LanguageType::Programming)
        })
        .collect();
    if sources.is_empty() {
        return Outcome::not_applicable("no production source files");
    }
    // Code lines: a file long with docstrings or comments is not a god file.
    let mut big: Vec<_> = sources.iter().filter(|f| f.lines.code > limit).collect();
    big.sort_by(|a, b| b.lines.code.cmp(&a.lines.code).then(a.path.cmp(&b.path)));
    let largest = sources
        .iter()
        .max_by(|a, b| a.lines.code.cmp(&b.lines.code).then(b.path.cmp(&a.path)));
    if big.is_empty() {
        let detail = largest
            .map(|f| {
                format!(
                    "largest is {} with {}",
                    f.path,
                    plural(f.lines.code, "code line", "code lines")
                )
            })
            .unwrap_or_default();
        return Outcome::pass(format!(
            "no source file over {} code lines; {detail}",
            group_digits(limit)
        ));
    }
    let fraction = big.len() as f64 / sources.len() as f64;
    let mut outcome = Outcome::scored(
        1.0 - (fraction * 10.0).min(1.0),
        format!(
            "{} of {} over {} code lines",
            plural(big.len(), "source file", "source files"),
            group_digits(sources.len()),
            group_digits(limit)
        ),
    );
    for f in big.iter().take(10) {
        // A large module many others import is a god module: every change to it
        // ripples through its importers.
        let importers = cx
            .inventory
            .files
            .iter()
            .position(|x| x.path == f.path)
            .and_then(|i| cx.facts.python.fan_in.get(&i))
            .copied()
            .unwrap_or(0);
        let fan_in = if importers > 0 {
            format!(
                "; {} {} it",
                plural(importers, "production module", "production modules"),
                if importers == 1 { "imports" } else { "import" }
            )
        } else {
            String::new()
        };
        let text = format!(
            "{} code lines ({} lines in all){fan_in}",
            group_digits(f.lines.code),
            group_digits(f.lines.total())
        );
        outcome = outcome.concern(
            def,
            format!("{} has {} code lines", f.path, group_digits(f.lines.code)),
            format!(
                "{} holds {} lines of code, over the limit of {}{fan_in}.",
                f.path,
                group_digits(f.lines.code),
                group_digits(limit)
            ),
            vec![Evidence::At(crate::model::Location::span(
                f.path.clone(),
                1,
                u32::try_from(f.lines.total()).unwrap_or(u32::MAX),
                &text,
            ))],
        );
    }
    if big.len() > 10 {
        outcome
            .summary
            .push_str(&format!(" (10 largest listed, {} more)", big.len() - 10));
    }
    outcome
}
