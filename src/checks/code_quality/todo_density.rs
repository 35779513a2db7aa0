//! Judges how many TODO / FIXME / HACK / XXX markers production code carries.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};
use crate::repo::FileKind;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.todo-density",
        category: Category::CodeQuality,
        title: "Few TODO/FIXME markers",
        summary: "TODO, FIXME, HACK and XXX comments per 1,000 lines of production code stay under the policy limit (default 5).",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::M,
        rationale: "Each marker is a known gap the authors chose to ship. A high density means unfinished work is going to production; FIXME and HACK in particular flag code its authors knew to be wrong.",
        remediation: "Triage the markers: fix what matters before release, turn the rest into tracked issues and delete the comment (or reference the issue number).",
        action: "Triage TODO/FIXME/HACK markers into issues or fixes",
        risk: "Unfinished work",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let kloc = cx.production_lines() as f64 / 1000.0;
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    let mut markers: Vec<(String, u32, &str)> = Vec::new();
    for s in &cx.facts.sources {
        let Some(f) = cx.inventory.files.get(s.file) else {
            continue;
        };
        if f.kind != FileKind::Source {
            continue;
        }
        for m in s.markers.iter().filter(|m| !s.is_inline_test(m.line)) {
            markers.push((f.path.clone(), m.line, m.tag));
        }
    }
    let limit = cx.policy.thresholds.todo_per_kloc;
    let density = markers.len() as f64 / kloc;
    let summary = format!(
        "{} in {} of code ({density:.1} per 1,000; limit {limit})",
        plural(markers.len(), "marker", "markers"),
        plural(cx.production_lines(), "line", "lines")
    );
    if density <= limit {
        return Outcome::pass(summary);
    }
    let score = if density <= 2.0 * limit { 0.5 } else { 0.0 };
    // FIXME and HACK first: they mark code known to be wrong.
    markers.sort_by_key(|(_, _, tag)| match *tag {
        "FIXME" | "HACK" => 0,
        _ => 1,
    });
    let evidence: Vec<Evidence> = markers
        .iter()
        .take(10)
        .map(|(p, l, _)| cx.at(p, *l))
        .collect();
    Outcome::scored(score, summary.clone()).concern(
        &CHECK.def,
        format!(
            "{} in production code",
            plural(markers.len(), "TODO/FIXME marker", "TODO/FIXME markers")
        ),
        summary,
        evidence,
    )
}
