//! The terminal summary: verdict, category table and top actions, coloured when the
//! output is a terminal.

use std::fmt::Write;

use crate::model::{Severity, group_digits, plural};
use crate::review::{Rag, Review, Verdict};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn red(&self, t: &str) -> String {
        self.wrap("1;31", t)
    }
    fn yellow(&self, t: &str) -> String {
        self.wrap("1;33", t)
    }
    fn green(&self, t: &str) -> String {
        self.wrap("1;32", t)
    }
    fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
}

/// Strips control characters so repository text cannot drive the terminal.
pub(super) fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

pub fn render(r: &Review, color: bool) -> String {
    let p = Paint { on: color };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} — {} ({}, {} files)",
        p.bold(&format!("greenlight {}", r.tool_version)),
        clean(&r.repository.display_name()),
        r.project_kind,
        r.inventory.files
    );
    let verdict = match r.verdict {
        Verdict::Ready => p.green(r.verdict.label()),
        Verdict::StagingOnly => p.yellow(r.verdict.label()),
        Verdict::NotReady => p.red(r.verdict.label()),
    };
    let score = r
        .overall_score
        .map(|s| format!("{s:.1}/10"))
        .unwrap_or_else(|| "n/a".into());
    let _ = writeln!(
        o,
        "\nVerdict: {verdict}   Deployment risk: {}   Score: {score}",
        p.bold(r.deployment_risk.label())
    );
    let _ = writeln!(o, "{}", clean(&r.verdict_rule));
    if let Some(w) = r.policy_effect.warning() {
        let _ = writeln!(o, "{}", p.yellow(&clean(&w)));
    }
    let _ = writeln!(o);
    for c in &r.categories {
        let status = match c.status {
            Rag::Green => p.green("green "),
            Rag::Yellow => p.yellow("yellow"),
            Rag::Red => p.red("red   "),
            Rag::Unknown => p.dim("n/a   "),
        };
        let s = c
            .score
            .map(|s| format!("{s:>4.1}"))
            .unwrap_or_else(|| " n/a".into());
        let _ = writeln!(o, "  {:<34} {s}  {status}", c.title);
    }
    if r.projects.len() > 1 {
        let _ = writeln!(o, "\nProjects ({}):", r.projects.len());
        let width = r
            .projects
            .iter()
            .map(|x| x.path.chars().count())
            .max()
            .unwrap_or(0);
        for x in &r.projects {
            let verdict = if x.decides {
                x.verdict.label().to_string()
            } else {
                format!("{} ({}, not deciding)", x.verdict.label(), x.role.label())
            };
            let top = x
                .top_concern
                .as_ref()
                .map(|(t, _)| format!("  — {}", clean(t)))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  {:<width$}  {:<7}  {:>7} lines  {verdict}{top}",
                clean(&x.path),
                x.kind.id(),
                group_digits(x.lines),
            );
        }
    }
    let counts: Vec<String> = [Severity::P0, Severity::P1, Severity::P2, Severity::P3]
        .iter()
        .map(|&s| format!("{} {s}", r.count(s)))
        .collect();
    let _ = writeln!(
        o,
        "\nConcerns: {}; {}",
        counts.join(", "),
        plural(r.strengths().count(), "strength", "strengths")
    );
    if let Some(run) = &r.test_run {
        let c = run.counts();
        let mut parts = Vec::new();
        for suite in &run.suites {
            match &suite.not_run {
                Some(why) => parts.push(format!("{}: not run ({})", suite.runner, why)),
                None => parts.push(format!(
                    "{}: {}{}",
                    suite.runner,
                    if suite.counts.collected == 0 {
                        "no test ran".to_string()
                    } else {
                        suite.counts.describe()
                    },
                    if suite.timed_out() {
                        ", killed at the time limit"
                    } else {
                        ""
                    }
                )),
            }
        }
        if parts.is_empty() && c.collected == 0 {
            parts.push("no results".into());
        }
        let coverage = run
            .overall
            .as_ref()
            .map(|o| {
                format!(
                    "; coverage {:.1}% (threshold {}%)",
                    o.percent, r.coverage_threshold
                )
            })
            .unwrap_or_default();
        let blockers = if run.blockers.is_empty() {
            String::new()
        } else {
            format!("; {}", plural(run.blockers.len(), "blocker", "blockers"))
        };
        let _ = writeln!(o, "Tests: {}{coverage}{blockers}", clean(&parts.join("; ")));
    }
    if !r.actions.is_empty() {
        let _ = writeln!(o, "\nTop actions:");
        for a in r.actions.iter().take(5) {
            let loc = a
                .findings
                .first()
                .and_then(|&i| r.findings.get(i))
                .and_then(crate::review::first_location)
                .map(|l| format!("  {}", p.dim(&clean(&l))))
                .unwrap_or_default();
            let pri = match a.priority {
                Severity::P0 => p.red("P0"),
                Severity::P1 => p.yellow("P1"),
                s => s.label().to_string(),
            };
            let _ = writeln!(
                o,
                "  {pri} [{}] {}{loc}",
                a.effort.label(),
                clean(&a.action)
            );
        }
    }
    o
}
