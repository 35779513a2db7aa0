//! The Markdown report: every section of a hand-written production readiness review
//! that the facts support, each claim with its evidence.

use std::fmt::Write;

use crate::analyze::tests::TestKind;
use crate::model::{
    Category, Confidence, Evidence, Finding, FindingKind, Severity, Status, group_digits, plural,
};
use crate::review::{CategoryScore, Level, Rag, Review, Verdict};

/// Escapes text for a Markdown table cell or paragraph. Code spans (`` `a_b<c>` ``)
/// are kept as written, since Markdown shows escapes inside them literally; an
/// unmatched backtick is escaped.
pub(super) fn esc(s: &str) -> String {
    // Runs of backticks pair in ways a split cannot follow: escape everything.
    if s.contains("``") {
        return esc_plain(s).replace('`', "\\`");
    }
    let parts: Vec<&str> = s.split('`').collect();
    // With an odd number of backticks the last one opens nothing.
    let closed = parts.len() % 2 == 1;
    let mut out = String::with_capacity(s.len());
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if i % 2 == 1 && (closed || !last) {
            out.push('`');
            out.push_str(&code_text(part));
            out.push('`');
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            out.push_str(&esc_plain(part));
        }
    }
    out
}

fn esc_plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            '<' => out.push_str("&lt;"),
            '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// The text of an inline code span: control characters out, pipes escaped.
pub(super) fn code_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace('|', "\\|")
}

/// Inline code that survives backticks, pipes and control characters in the text: the
/// fence is one backtick longer than the longest run inside.
fn code(s: &str) -> String {
    let clean = code_text(s);
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    if longest == 0 {
        return format!("`{clean}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {clean} {fence}")
}

fn evidence_line(e: &Evidence) -> String {
    match e {
        Evidence::At(loc) if loc.snippet.is_empty() => code(&loc.display()),
        Evidence::At(loc) => format!("{} — {}", code(&loc.display()), code(&loc.snippet)),
        Evidence::Absent { looked_for, scope } => {
            format!("not found: {} (searched {})", esc(looked_for), esc(scope))
        }
    }
}

/// A category's status; one whose every check is not applicable shows as such rather
/// than as unknown.
fn category_icon(r: &Review, c: &CategoryScore) -> &'static str {
    if not_applicable(r, c) {
        "➖ N/A"
    } else {
        rag_icon(c.status)
    }
}

/// Whether no check of the category applies to this project.
fn not_applicable(r: &Review, c: &CategoryScore) -> bool {
    c.score.is_none()
        && r.checks
            .iter()
            .filter(|k| k.category == c.id)
            .all(|k| k.status == Status::NotApplicable)
}

fn rag_icon(r: Rag) -> &'static str {
    match r {
        Rag::Green => "🟢 Green",
        Rag::Yellow => "🟡 Yellow",
        Rag::Red => "🔴 Red",
        Rag::Unknown => "⏸️ Unknown",
    }
}

fn status_icon(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Partial => "⚠️ partial",
        Status::Fail => "❌ fail",
        Status::Unknown => "⏸️ unknown",
        Status::NotApplicable => "➖ n/a",
    }
}

fn verdict_icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Ready => "✅",
        Verdict::StagingOnly => "⚠️",
        Verdict::NotReady => "❌",
    }
}

fn score(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.1}/10"))
        .unwrap_or_else(|| "n/a".into())
}

fn first_loc(f: &Finding) -> String {
    crate::review::first_location(f)
        .map(|l| code(&l))
        .unwrap_or_else(|| "absence recorded".into())
}

/// Renders the whole review.
pub fn render(r: &Review) -> String {
    let mut o = String::new();
    header(&mut o, r);
    summary_page(&mut o, r);
    projects(&mut o, r);
    executive_summary(&mut o, r);
    stack(&mut o, r);
    checklist(&mut o, r);
    details(&mut o, r);
    tests(&mut o, r);
    static_analysis(&mut o, r);
    risk(&mut o, r);
    recommendation(&mut o, r);
    criteria(&mut o, r);
    actions(&mut o, r);
    strengths_and_concerns(&mut o, r);
    suppressed(&mut o, r);
    appendix(&mut o, r);
    o
}

fn header(o: &mut String, r: &Review) {
    let _ = writeln!(
        o,
        "# Production Readiness Review: {}\n",
        esc(&r.repository.display_name())
    );
    let _ = writeln!(o, "**Date:** {}  ", r.date);
    let commit = match (&r.repository.commit, &r.repository.branch) {
        (Some(c), Some(b)) => format!("`{}` on `{}`", c.get(..12).unwrap_or(c), esc(b)),
        (Some(c), None) => format!("`{}`", c.get(..12).unwrap_or(c)),
        _ => "not a git checkout".into(),
    };
    let _ = writeln!(o, "**Commit:** {commit}  ");
    let _ = writeln!(
        o,
        "**Project kind:** {} ({})  ",
        r.project_kind,
        if r.stack.kind_source == "policy" {
            "set by the policy"
        } else {
            "inferred"
        }
    );
    let _ = writeln!(o, "**Policy:** {}  ", esc(&r.policy_source));
    if let Some(w) = r.policy_effect.warning() {
        let _ = writeln!(o, "**Policy effect:** ⚠️ {}  ", esc(&w));
    }
    let _ = writeln!(
        o,
        "**Reviewer:** greenlight {} (automated, static analysis; tests not run)\n",
        r.tool_version
    );
    let _ = writeln!(o, "---\n");
}

/// Actions on the one-page summary.
const SUMMARY_ACTIONS: usize = 5;

/// The page a reader stops at: the verdict, why, and the actions that matter most,
/// each named by its most serious finding and where it is.
fn summary_page(o: &mut String, r: &Review) {
    let _ = writeln!(
        o,
        "## Summary
"
    );
    let _ = writeln!(
        o,
        "**{} {}** — deployment risk **{}**. {}
",
        verdict_icon(r.verdict),
        r.verdict.label(),
        r.deployment_risk.label(),
        esc(&r.verdict_rule)
    );
    if r.actions.is_empty() {
        let _ = writeln!(o, "No concern was found.\n\n---\n");
        return;
    }
    let shown = r.actions.len().min(SUMMARY_ACTIONS);
    let _ = writeln!(
        o,
        "**The {} most** (all {} under Prioritized Actions):\n",
        if shown == 1 {
            "action that matters".to_string()
        } else {
            format!("{shown} actions that matter")
        },
        r.actions.len()
    );
    for (n, a) in r.actions.iter().take(shown).enumerate() {
        // The action's most serious finding names it best.
        let first = a
            .findings
            .iter()
            .filter_map(|&i| r.findings.get(i))
            .min_by_key(|f| f.severity.unwrap_or(Severity::P3));
        let what = first
            .map(|f| {
                let scope = match f.project.as_deref() {
                    Some(p) if r.projects.len() > 1 && p != "." && !f.title.contains(p) => {
                        format!(" in `{}`", code_text(p))
                    }
                    _ => String::new(),
                };
                format!("{}{scope}", esc(&f.title))
            })
            .unwrap_or_default();
        let at = first.map(first_loc).unwrap_or_default();
        let more = match a.findings.len() {
            0 | 1 => String::new(),
            2 => ", and 1 more finding".to_string(),
            k => format!(", and {} more findings", k - 1),
        };
        let _ = writeln!(
            o,
            "{}. **{}** {what} — {} ({at}{more})",
            n + 1,
            a.priority,
            esc(&a.action)
        );
    }
    let _ = writeln!(o, "\n---\n");
}

/// P0/P1 concerns listed in each project's section.
const PROJECT_CONCERNS_SHOWN: usize = 5;
/// Pending checks named in a category's note; the rest are counted.
const PENDING_SHOWN: usize = 3;

/// With several projects: a table of them, then each project's verdict, scores and
/// most serious concerns.
fn projects(o: &mut String, r: &Review) {
    if r.projects.len() < 2 {
        return;
    }
    let _ = writeln!(o, "## Projects\n");
    let _ = writeln!(
        o,
        "The repository holds {}; the verdict is decided by those that ship (marked ✔ below).\n",
        plural(r.projects.len(), "project", "projects")
    );
    let _ = writeln!(
        o,
        "| Project | Kind | Languages | Lines | Verdict | Decides | Top concern |"
    );
    let _ = writeln!(o, "|---|---|---|---:|---|---|---|");
    for p in &r.projects {
        let top = p
            .top_concern
            .as_ref()
            .map(|(t, at)| match at {
                Some(at) => format!("{} ({})", esc(t), code(at)),
                None => esc(t),
            })
            .unwrap_or_else(|| "—".into());
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} {} | {} | {top} |",
            code(&p.path),
            p.kind,
            esc(&p.languages.join(", ")),
            group_digits(p.lines),
            verdict_icon(p.verdict),
            p.verdict.label(),
            if p.decides {
                "✔".to_string()
            } else {
                format!("no ({})", p.role.label())
            },
        );
    }
    let _ = writeln!(o);
    // A section for each project that decides the verdict or holds a P0/P1 concern;
    // the others are fully described by their row.
    let detailed = |p: &&crate::review::ProjectReview| {
        let [p0, p1, _, _] = p.concerns;
        p.decides || p0 + p1 > 0
    };
    let in_table_only = r.projects.iter().filter(|p| !detailed(p)).count();
    if in_table_only > 0 {
        let _ = writeln!(
            o,
            "{} that {} not decide the verdict and {} no P0/P1 concern {} described by {} row alone; {} findings are in the sections below.\n",
            plural(in_table_only, "project", "projects"),
            if in_table_only == 1 { "does" } else { "do" },
            if in_table_only == 1 { "holds" } else { "hold" },
            if in_table_only == 1 { "is" } else { "are" },
            if in_table_only == 1 { "its" } else { "their" },
            if in_table_only == 1 { "its" } else { "their" },
        );
    }
    for p in r.projects.iter().filter(detailed) {
        let _ = writeln!(
            o,
            "### Project {} ({}{}): {} **{}**\n",
            code(&p.path),
            esc(&p.name),
            if p.kind_source == "policy" {
                format!(", {} as the policy says", p.kind)
            } else {
                format!(", {}", p.kind)
            },
            verdict_icon(p.verdict),
            p.verdict.label()
        );
        let _ = writeln!(o, "> {}\n", esc(&p.verdict_rule));
        let scores: Vec<String> = p
            .categories
            .iter()
            .map(|c| format!("{} {} {}", rag_icon(c.status), esc(c.title), score(c.score)))
            .collect();
        let _ = writeln!(o, "{}\n", scores.join(" · "));
        let [p0, p1, p2, p3] = p.concerns;
        let _ = writeln!(
            o,
            "Concerns: {p0} P0, {p1} P1, {p2} P2, {p3} P3. Made a project by: {}.\n",
            p.markers
                .iter()
                .map(|m| code(m))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut serious: Vec<&Finding> = p
            .findings
            .iter()
            .filter(|f| f.is_concern() && f.severity.is_some_and(|s| s <= Severity::P1))
            .collect();
        serious.sort_by_key(|f| f.severity);
        for f in serious.iter().take(PROJECT_CONCERNS_SHOWN) {
            let _ = writeln!(
                o,
                "- **{}** {} ({})",
                f.severity.map(Severity::label).unwrap_or(""),
                esc(&f.title),
                first_loc(f)
            );
        }
        if serious.len() > PROJECT_CONCERNS_SHOWN {
            let _ = writeln!(
                o,
                "- … and {} more P0/P1 (see the findings below).",
                serious.len() - PROJECT_CONCERNS_SHOWN
            );
        }
        if !serious.is_empty() {
            let _ = writeln!(o);
        }
    }
    let _ = writeln!(o, "---\n");
}

fn executive_summary(o: &mut String, r: &Review) {
    let _ = writeln!(o, "## Executive Summary\n");
    let _ = writeln!(
        o,
        "### Verdict: {} **{}** — deployment risk **{}**\n",
        verdict_icon(r.verdict),
        r.verdict.label(),
        r.deployment_risk.label()
    );
    let _ = writeln!(o, "{}\n", esc(&r.summary));
    let _ = writeln!(o, "> **Rule applied:** {}\n", esc(&r.verdict_rule));
    let _ = writeln!(o, "### Critical Findings\n");
    let _ = writeln!(o, "| Category | Status | Score | Notes |");
    let _ = writeln!(o, "|----------|--------|-------|-------|");
    for c in &r.categories {
        let worst = r
            .concerns()
            .filter(|f| f.category == c.category)
            .min_by_key(|f| f.severity);
        let best = r.strengths().find(|f| f.category == c.category);
        let mut note = match (worst, best) {
            (Some(w), _) => format!(
                "{}: {}",
                w.severity.map(|s| s.label()).unwrap_or(""),
                esc(&w.title)
            ),
            (None, Some(b)) => esc(&b.title),
            (None, None) if not_applicable(r, c) => {
                format!("no check applies to a {}", r.project_kind.noun())
            }
            (None, None) if c.score.is_none() => "nothing could be determined statically".into(),
            (None, None) => "no concerns".into(),
        };
        let pending: Vec<&str> = r
            .checks
            .iter()
            .filter(|k| k.category == c.id && k.status == Status::Unknown)
            .map(|k| k.title)
            .collect();
        if !pending.is_empty() {
            let shown = pending.len().min(PENDING_SHOWN);
            let mut list = pending.get(..shown).unwrap_or(&[]).join(", ");
            if pending.len() > shown {
                list.push_str(&format!(" and {} more", pending.len() - shown));
            }
            note.push_str(&format!("; pending: {}", esc(&list)));
        }
        let _ = writeln!(
            o,
            "| **{}** | {} | {} | {} |",
            c.title,
            category_icon(r, c),
            score(c.score),
            note
        );
    }
    let _ = writeln!(
        o,
        "\n**Overall score:** {}\n\n---\n",
        score(r.overall_score)
    );
}

fn stack(o: &mut String, r: &Review) {
    let s = &r.stack;
    let _ = writeln!(o, "## 1. Architecture & Stack\n");
    let _ = writeln!(o, "| Component | Technology | Evidence |");
    let _ = writeln!(o, "|-----------|------------|----------|");
    for l in &s.languages {
        let version = l
            .version
            .as_ref()
            .map(|(v, _)| format!(" {}", esc(v)))
            .unwrap_or_default();
        let ev = l
            .version
            .as_ref()
            .map(|(_, e)| evidence_line(e))
            .unwrap_or_else(|| "no version requirement declared".into());
        let _ = writeln!(
            o,
            "| Language | {}{} — {} in {} | {} |",
            l.name,
            version,
            plural(l.code_lines, "code line", "code lines"),
            plural(l.files, "file", "files"),
            ev
        );
    }
    for row in &s.rows {
        let names: Vec<String> = row.items.iter().map(|(n, _)| esc(n)).collect();
        let ev = row
            .items
            .first()
            .map(|(_, e)| evidence_line(e))
            .unwrap_or_default();
        let _ = writeln!(o, "| {} | {} | {} |", row.component, names.join(", "), ev);
    }
    if !s.services.is_empty() {
        let hosts: Vec<String> = s
            .services
            .iter()
            .take(8)
            .map(|(h, n, _)| format!("{} ({n})", esc(h)))
            .collect();
        let ev = s
            .services
            .first()
            .map(|(_, _, e)| evidence_line(e))
            .unwrap_or_default();
        let _ = writeln!(o, "| External services | {} | {} |", hosts.join(", "), ev);
    }
    if !s.credentials.is_empty() {
        let names: Vec<String> = s
            .credentials
            .iter()
            .take(10)
            .map(|(n, _)| code(n))
            .collect();
        let ev = s
            .credentials
            .first()
            .map(|(_, e)| evidence_line(e))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "| Credentials from environment | {} | {} |",
            names.join(", "),
            ev
        );
    }
    if !s.env_vars.is_empty() {
        let names: Vec<String> = s.env_vars.iter().take(10).map(|(n, _)| code(n)).collect();
        let more = if s.env_vars.len() > 10 {
            format!(" and {} more", s.env_vars.len() - 10)
        } else {
            String::new()
        };
        let ev = s
            .env_vars
            .first()
            .map(|(_, e)| evidence_line(e))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "| Other environment variables | {}{more} | {} |",
            names.join(", "),
            ev
        );
    }
    let _ = writeln!(o);
    let why: Vec<String> = s
        .kind_evidence
        .iter()
        .take(4)
        .map(|(reason, e)| format!("{} ({})", esc(reason), evidence_line(e)))
        .collect();
    let _ = writeln!(
        o,
        "**Project kind:** {} — {}\n",
        r.project_kind,
        why.join("; ")
    );
    let deploy = deployment_model(r);
    let _ = writeln!(o, "**Deployment model:** {deploy}\n");
    analysis_table(o, r);
    let _ = writeln!(o, "---\n");
}

/// Which code-level checks read each language, when some do not.
fn analysis_table(o: &mut String, r: &Review) {
    if r.analysis.iter().all(|a| a.not_read_by.is_empty()) {
        return;
    }
    let _ = writeln!(o, "**Code analysis by language:**\n");
    let _ = writeln!(
        o,
        "| Language | Code lines | Code-level checks that read it | Not analysed by |"
    );
    let _ = writeln!(
        o,
        "|----------|------------|--------------------------------|-----------------|"
    );
    for a in &r.analysis {
        let titles: Vec<&str> = a
            .not_read_by
            .iter()
            .map(|id| crate::checks::find(id).map_or(*id, |c| c.def.title))
            .collect();
        let _ = writeln!(
            o,
            "| {} | {} | {} of {} | {} |",
            a.language,
            group_digits(a.code_lines),
            a.code_checks - a.not_read_by.len(),
            a.code_checks,
            if titles.is_empty() {
                "—".to_string()
            } else {
                esc(&titles.join(", "))
            }
        );
    }
    let _ = writeln!(
        o,
        "\nRepository-level checks (CI, containers, secrets, dependencies, documentation, tests inventory) read every language.\n"
    );
}

fn deployment_model(r: &Review) -> String {
    let check = |id: &str| r.checks.iter().find(|c| c.id == id);
    let mut parts = Vec::new();
    match check("deployment.container").map(|c| c.status) {
        Some(Status::Pass) => parts.push("container image built from a Dockerfile".to_string()),
        Some(Status::NotApplicable) => {
            parts.push("distributed as a package (no container expected)".to_string())
        }
        _ => parts.push("no containerisation".to_string()),
    }
    match check("deployment.orchestration").map(|c| c.status) {
        Some(Status::Pass) => parts.push("deployment described as code".into()),
        Some(Status::NotApplicable) => {}
        _ => parts.push("no deployment descriptors (compose, Kubernetes, Terraform)".into()),
    }
    match check("deployment.release-pipeline").map(|c| c.status) {
        Some(Status::Pass) => parts.push("releases automated in CI".into()),
        _ => parts.push("no automated release".into()),
    }
    let mut s = parts.join("; ");
    s.push('.');
    s
}

fn checklist(o: &mut String, r: &Review) {
    let _ = writeln!(o, "## 2. Scored Checklist\n");
    let _ = writeln!(
        o,
        "| Category | Status | Score | Evidence | Risks | Actions Required |"
    );
    let _ = writeln!(
        o,
        "|----------|--------|-------|----------|-------|------------------|"
    );
    for c in &r.categories {
        let strengths: Vec<String> = r
            .strengths()
            .filter(|f| f.category == c.category)
            .take(3)
            .map(|f| {
                let loc = crate::review::first_location(f)
                    .map(|l| format!(" ({})", code(&l)))
                    .unwrap_or_default();
                format!("{}{loc}", esc(&f.title))
            })
            .collect();
        let mut concerns: Vec<&Finding> =
            r.concerns().filter(|f| f.category == c.category).collect();
        concerns.sort_by_key(|f| f.severity);
        let risks: Vec<String> = concerns.iter().take(3).map(|f| esc(&f.title)).collect();
        let mut acts: Vec<String> = r
            .actions
            .iter()
            .filter(|a| a.check.starts_with(&format!("{}.", c.id)))
            .take(3)
            .map(|a| format!("{} {}", a.priority, esc(&a.action)))
            .collect();
        acts.dedup();
        let none = |v: &Vec<String>, empty: &str| {
            if v.is_empty() {
                empty.to_string()
            } else {
                v.join("; ")
            }
        };
        let _ = writeln!(
            o,
            "| **{}** | {} | {} | {} | {} | {} |",
            c.title,
            category_icon(r, c),
            score(c.score),
            none(&strengths, "—"),
            none(&risks, "none found"),
            none(&acts, "—")
        );
    }
    let _ = writeln!(o, "\n---\n");
}

/// Concerns of one check sharing severity and action from which all but the first are
/// one line each, with the action said once.
const COMPACT_FROM: usize = 3;

/// A check's findings: concerns that share severity and action are one group, the
/// first in full, the rest one line each, then the action once.
fn finding_list(o: &mut String, items: &[&Finding]) {
    let mut rest = items;
    while let Some((first, tail)) = rest.split_first() {
        let same = 1 + tail
            .iter()
            .take_while(|g| {
                g.is_concern()
                    && first.is_concern()
                    && g.severity == first.severity
                    && g.action == first.action
            })
            .count();
        let (group, after) = rest.split_at(same.min(rest.len()));
        rest = after;
        if group.len() < COMPACT_FROM {
            for f in group {
                finding_block(o, f, true);
            }
            continue;
        }
        finding_block(o, first, false);
        for f in group.iter().skip(1) {
            let _ = writeln!(
                o,
                "- **{}** {} ({})",
                f.severity.map(Severity::label).unwrap_or(""),
                esc(&f.title),
                first_loc(f)
            );
        }
        if let (Some(action), Some(effort)) = (&first.action, first.effort) {
            let _ = writeln!(
                o,
                "- *Action for these {}:* {} (effort {})",
                group.len(),
                esc(action),
                effort.describe()
            );
        }
    }
}

fn finding_block(o: &mut String, f: &Finding, with_action: bool) {
    let head = match (f.kind, f.severity) {
        (FindingKind::Concern, Some(sev)) => format!("**{sev}** {}", esc(&f.title)),
        (FindingKind::Concern, None) => esc(&f.title),
        (FindingKind::Strength, _) => format!("✅ {}", esc(&f.title)),
    };
    let _ = write!(o, "- {head}");
    if !f.message.is_empty() && f.message != f.title {
        let _ = write!(o, " — {}", esc(&f.message));
    }
    if f.is_concern() && f.confidence != Confidence::High {
        let _ = write!(o, " *(confidence: {})*", f.confidence);
    }
    let _ = writeln!(o);
    for e in f.evidence.iter().take(8) {
        let _ = writeln!(o, "  - {}", evidence_line(e));
    }
    if f.evidence.len() > 8 {
        let _ = writeln!(o, "  - … and {} more", f.evidence.len() - 8);
    }
    if let (true, Some(action), Some(effort)) = (with_action, &f.action, f.effort) {
        let _ = writeln!(
            o,
            "  - *Action:* {} (effort {})",
            esc(action),
            effort.describe()
        );
    }
    if let Some(fp) = &f.fingerprint {
        let _ = writeln!(o, "  - *Fingerprint:* {}", code(fp));
    }
}

fn details(o: &mut String, r: &Review) {
    let _ = writeln!(o, "## 3. Detailed Findings\n");
    for (i, c) in r.categories.iter().enumerate() {
        let _ = writeln!(
            o,
            "### 3.{} {} ({}, {})\n",
            i + 1,
            c.title,
            category_icon(r, c),
            score(c.score)
        );
        // Checks with findings, each with its findings; then the others, one line each.
        let of_category = || r.checks.iter().filter(|k| k.category == c.id);
        for check in of_category().filter(|k| !k.findings.is_empty()) {
            let _ = writeln!(
                o,
                "**{}** `{}` — {} — {}\n",
                esc(check.title),
                check.id,
                status_icon(check.status),
                esc(&check.summary)
            );
            let mut items: Vec<&Finding> = check
                .findings
                .iter()
                .filter_map(|&i| r.findings.get(i))
                .collect();
            items.sort_by(|a, b| {
                (a.kind == FindingKind::Strength, a.severity, &a.action).cmp(&(
                    b.kind == FindingKind::Strength,
                    b.severity,
                    &b.action,
                ))
            });
            finding_list(o, &items);
            let _ = writeln!(o);
        }
        let quiet: Vec<_> = of_category().filter(|k| k.findings.is_empty()).collect();
        for check in &quiet {
            let _ = writeln!(
                o,
                "- **{}** `{}` — {} — {}",
                esc(check.title),
                check.id,
                status_icon(check.status),
                esc(&check.summary)
            );
        }
        if !quiet.is_empty() {
            let _ = writeln!(o);
        }
    }
    let _ = writeln!(o, "---\n");
}

fn tests(o: &mut String, r: &Review) {
    let t = &r.tests;
    let _ = writeln!(o, "## 4. Tests & Coverage\n");
    match &r.test_run {
        Some(run) => test_run(o, r, run),
        None => {
            let _ = writeln!(
                o,
                "**Test run:** not run — greenlight reviewed the code statically; coverage is pending (`--run-tests`, or `--junit`/`--coverage` with a CI run's reports).\n"
            );
        }
    }
    let _ = writeln!(o, "### Test inventory\n");
    if t.files.is_empty() {
        let _ = writeln!(o, "No test cases were found.\n\n---\n");
        return;
    }
    let _ = writeln!(o, "| Language | Test files | Test cases |");
    let _ = writeln!(o, "|----------|-----------:|-----------:|");
    for (lang, n) in &t.by_language {
        let _ = writeln!(o, "| {lang} | {} | {} |", n.files, n.cases);
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "| Kind | Files | Cases |");
    let _ = writeln!(o, "|------|------:|------:|");
    for kind in TestKind::ALL {
        let files: Vec<_> = t.of_kind(kind).collect();
        let cases: usize = files.iter().map(|f| f.cases).sum();
        let _ = writeln!(o, "| {} | {} | {} |", kind.label(), files.len(), cases);
    }
    let _ = writeln!(
        o,
        "\nTest code: {} lines; production code: {} lines.\n",
        group_digits(t.test_code_lines),
        group_digits(t.production_code_lines)
    );
    let mut files: Vec<_> = t.files.iter().collect();
    files.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.path.cmp(&b.path)));
    let _ = writeln!(o, "| Test file | Kind | Cases |");
    let _ = writeln!(o, "|-----------|------|------:|");
    for f in files.iter().take(25) {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            code(&f.path),
            f.kind.label(),
            f.cases
        );
    }
    if files.len() > 25 {
        let _ = writeln!(o, "| … {} more | | |", files.len() - 25);
    }
    let _ = writeln!(o, "\n---\n");
}

/// A fenced block that no line of `text` can close.
fn fenced(text: &str) -> String {
    let mut longest = 2;
    for line in text.lines() {
        let run = line.trim_start().chars().take_while(|&c| c == '`').count();
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let clean: String = text
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect();
    format!("{fence}text\n{}\n{fence}", clean.trim_end())
}

fn test_run(o: &mut String, r: &Review, run: &crate::run::TestRun) {
    if !run.isolation.is_empty() {
        let _ = writeln!(o, "**Sandbox:** {}\n", esc(&run.isolation));
    }
    suites(o, run);
    blockers(o, run);
    coverage(o, r, run);
    if !run.critical_unmeasured.is_empty() {
        let shown: Vec<String> = run.critical_unmeasured.iter().map(|p| code(p)).collect();
        let _ = writeln!(
            o,
            "Critical modules whose language the coverage report does not measure: {} (coverage unknown).\n",
            shown.join(", ")
        );
    }
    if !run.problems.is_empty() || !run.coverage_problems.is_empty() || !run.notes.is_empty() {
        let _ = writeln!(o, "### Notes on the run\n");
        for p in run.problems.iter().chain(&run.coverage_problems) {
            let _ = writeln!(o, "- ❌ {}", esc(p));
        }
        for n in &run.notes {
            let _ = writeln!(o, "- {}", esc(n));
        }
        let _ = writeln!(o);
    }
}

/// Per suite: environment, commands, counts, per-file results, the output's end.
fn suites(o: &mut String, run: &crate::run::TestRun) {
    use crate::run::CaseStatus;
    for suite in &run.suites {
        let _ = writeln!(
            o,
            "### Test run: {} ({})\n",
            esc(&suite.runner),
            esc(&suite.language)
        );
        if !suite.environment.is_empty() {
            let _ = writeln!(o, "**Environment:** {}\n", esc(&suite.environment));
        }
        if !suite.steps.is_empty() {
            let _ = writeln!(o, "| Command | Duration | Exit | Network |");
            let _ = writeln!(o, "|---------|---------:|-----:|---------|");
            for s in &suite.steps {
                let exit = if s.timed_out {
                    "killed (time limit)".to_string()
                } else {
                    s.exit_code
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "killed".into())
                };
                let _ = writeln!(
                    o,
                    "| {} | {:.1} s | {} | {} |",
                    code(&s.command),
                    s.seconds,
                    exit,
                    if s.network {
                        "yes (installation)"
                    } else {
                        "no"
                    }
                );
            }
            let _ = writeln!(o);
        }
        if let Some(reason) = &suite.not_run {
            let _ = writeln!(o, "**Result:** ❌ not run — {}\n", esc(reason));
            continue;
        }
        let c = &suite.counts;
        let icon = if c.collected > 0 && c.failed == 0 && c.errored == 0 && !suite.timed_out() {
            "✅"
        } else {
            "❌"
        };
        let _ = writeln!(
            o,
            "**Result:** {icon} {} collected — {}{}\n",
            c.collected,
            c.describe(),
            if suite.timed_out() {
                " (killed at the time limit)"
            } else {
                ""
            }
        );
        if !suite.missing_packages.is_empty() {
            let mut shown: Vec<String> = suite
                .missing_packages
                .iter()
                .take(12)
                .map(|p| code(p))
                .collect();
            if suite.missing_packages.len() > 12 {
                shown.push(format!("… {} more", suite.missing_packages.len() - 12));
            }
            let _ = writeln!(
                o,
                "**Declared but not installed in the environment:** {}\n",
                shown.join(", ")
            );
        }
        let mut per_file: std::collections::BTreeMap<String, crate::run::Counts> =
            std::collections::BTreeMap::new();
        for case in &suite.cases {
            let key = case.file.clone().unwrap_or_else(|| {
                if case.classname.is_empty() {
                    "(unattributed)".into()
                } else {
                    case.classname.clone()
                }
            });
            let e = per_file.entry(key).or_default();
            e.collected += 1;
            match case.status {
                CaseStatus::Passed => e.passed += 1,
                CaseStatus::Failed => e.failed += 1,
                CaseStatus::Errored => e.errored += 1,
                CaseStatus::Skipped => e.skipped += 1,
            }
        }
        if !per_file.is_empty() {
            let _ = writeln!(
                o,
                "| Test file | Collected | Passed | Failed | Errors | Skipped |"
            );
            let _ = writeln!(
                o,
                "|-----------|----------:|-------:|-------:|-------:|--------:|"
            );
            let mut rows: Vec<_> = per_file.iter().collect();
            rows.sort_by(|a, b| {
                (b.1.failed + b.1.errored)
                    .cmp(&(a.1.failed + a.1.errored))
                    .then(a.0.cmp(b.0))
            });
            for (file, n) in rows.iter().take(40) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} |",
                    code(file),
                    n.collected,
                    n.passed,
                    n.failed,
                    n.errored,
                    n.skipped
                );
            }
            if rows.len() > 40 {
                let _ = writeln!(o, "| … {} more files | | | | | |", rows.len() - 40);
            }
            let _ = writeln!(o);
        }
        let troubled = suite.timed_out() || suite.counts.errored > 0 || suite.counts.collected == 0;
        if troubled && !suite.output_tail.is_empty() {
            let tail = crate::run::tail_lines(&suite.output_tail, 15);
            let _ = writeln!(o, "Last lines of output:\n\n{}\n", fenced(&tail));
        }
    }
}

/// Why tests could not run, one root cause each, with evidence.
fn blockers(o: &mut String, run: &crate::run::TestRun) {
    if !run.blockers.is_empty() {
        let _ = writeln!(o, "### Blockers\n");
        for (i, b) in run.blockers.iter().enumerate() {
            let _ = writeln!(
                o,
                "{}. **{}**: {} — {}",
                i + 1,
                esc(&capitalize(b.kind.label())),
                code(&b.subject),
                esc(&b.message)
            );
            for e in &b.evidence {
                let _ = writeln!(o, "   - {}", evidence_line(e));
            }
            if !b.tests.is_empty() {
                let shown: Vec<String> = b.tests.iter().take(8).map(|t| code(t)).collect();
                let _ = writeln!(
                    o,
                    "   - Affects {}: {}{}",
                    b.affected(),
                    shown.join(", "),
                    if b.tests.len() > 8 { ", …" } else { "" }
                );
            }
        }
        let _ = writeln!(o);
    }
}

/// Coverage overall, per module and for the critical modules, with suggested tests.
fn coverage(o: &mut String, r: &Review, run: &crate::run::TestRun) {
    let threshold = r.coverage_threshold;
    let critical_threshold = r.critical_threshold;
    if let (Some(cov), Some(overall)) = (&run.coverage, &run.overall) {
        let _ = writeln!(o, "### Coverage\n");
        let _ = writeln!(
            o,
            "**Overall:** {} **{:.1}%** of production code ({} of {} statements; threshold {}%) — from {} ({}).\n",
            if overall.percent >= threshold {
                "✅"
            } else {
                "❌"
            },
            overall.percent,
            overall.covered,
            overall.statements,
            threshold,
            esc(&cov.source),
            cov.format.label()
        );
        if overall.files_without_data > 0 {
            let _ = writeln!(
                o,
                "{} no coverage data (never imported while the tests ran, or left out of the report); their {} lines of code count above as unrun.\n",
                plural(
                    overall.files_without_data,
                    "production file has",
                    "production files have"
                ),
                overall.unmeasured_lines
            );
        }
        if !overall.languages.is_empty() {
            let _ = writeln!(o, "Measured: {} code.\n", overall.languages.join(", "));
        }
        let _ = writeln!(
            o,
            "| Module | Statements | Coverage | Status | Missing areas |"
        );
        let _ = writeln!(
            o,
            "|--------|-----------:|---------:|--------|---------------|"
        );
        for m in run.modules.iter().take(40) {
            let bar = if m.critical.is_some() {
                critical_threshold
            } else {
                threshold
            };
            let status = if m.percent >= bar {
                "✅ PASS"
            } else {
                "❌ FAIL"
            };
            let areas: Vec<String> = m.uncovered.iter().take(4).map(|u| u.name.clone()).collect();
            let _ = writeln!(
                o,
                "| {}{} | {} | **{:.1}%** | {} | {} |",
                code(&m.path),
                if m.critical.is_some() {
                    " (critical)"
                } else {
                    ""
                },
                m.statements,
                m.percent,
                status,
                esc(&areas.join(", "))
            );
        }
        if run.modules.len() > 40 {
            let _ = writeln!(o, "| … {} more modules | | | | |", run.modules.len() - 40);
        }
        let _ = writeln!(o);
        critical_modules(o, run, critical_threshold);
    }
}

/// Each critical module: why, expected, actual, gap, uncovered functions, tests to
/// write.
fn critical_modules(o: &mut String, run: &crate::run::TestRun, critical_threshold: f64) {
    let critical: Vec<&crate::run::ModuleCoverage> = run
        .modules
        .iter()
        .filter(|m| m.critical.is_some())
        .collect();
    if !critical.is_empty() || !run.critical_without_data.is_empty() {
        let _ = writeln!(o, "### Critical modules\n");
    }
    for m in &critical {
        let ok = m.percent >= critical_threshold;
        let _ = writeln!(
            o,
            "#### {} {} ({})\n",
            if ok { "✅" } else { "❌" },
            code(&m.path),
            if ok {
                "MEETS THE THRESHOLD"
            } else {
                "BELOW THRESHOLD"
            }
        );
        let _ = writeln!(
            o,
            "- **Why critical**: {}",
            esc(m.critical.as_deref().unwrap_or(""))
        );
        let _ = writeln!(o, "- **Expected**: ≥ {critical_threshold}%");
        let _ = writeln!(
            o,
            "- **Actual**: {:.1}% ({} of {} statements)",
            m.percent, m.covered, m.statements
        );
        if !ok {
            let _ = writeln!(
                o,
                "- **Gap**: {:.1} percentage points",
                critical_threshold - m.percent
            );
        }
        if !m.blocked_tests.is_empty() {
            let shown: Vec<String> = m.blocked_tests.iter().map(|t| code(t)).collect();
            let _ = writeln!(
                o,
                "- **Blocked tests**: {} that import it did not run ({}); fix the blockers above before writing new tests",
                plural(m.blocked_tests.len(), "test file", "test files"),
                shown.join(", ")
            );
        }
        if !m.uncovered.is_empty() {
            let _ = writeln!(o, "- **Missing coverage**:");
            for u in m.uncovered.iter().take(12) {
                let what = if u.never_run() {
                    "never run".to_string()
                } else if u.statements > 0 {
                    format!("{} of {} statements unrun", u.missing, u.statements)
                } else if u.missing > 0 {
                    plural(u.missing as usize, "line unrun", "lines unrun")
                } else {
                    "never called".to_string()
                };
                let lines = if u.end_line > u.line {
                    format!("{}:{}-{}", m.path, u.line, u.end_line)
                } else {
                    format!("{}:{}", m.path, u.line)
                };
                let _ = writeln!(o, "  - {} — {} ({})", code(&u.name), code(&lines), what);
            }
            if m.uncovered.len() > 12 {
                let _ = writeln!(o, "  - … {} more", m.uncovered.len() - 12);
            }
        }
        if !m.suggested.is_empty() {
            let mut block = format!("# {}\n", m.test_file);
            for t in &m.suggested {
                block.push_str(&format!("- {}  # {}\n", t.display(), t.behaviour));
            }
            let _ = writeln!(o, "- **Suggested tests**:\n\n{}", fenced(&block));
        }
        let _ = writeln!(o);
    }
    for (path, reason) in &run.critical_without_data {
        let _ = writeln!(
            o,
            "#### ❌ {} (NO COVERAGE DATA)\n\n- **Why critical**: {}\n- **Expected**: ≥ {critical_threshold}%\n- **Actual**: no data: no test imported it\n",
            code(path),
            esc(reason)
        );
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Commands that run each language's standard static analysers.
const ANALYSERS: &[(&str, &[&str])] = &[
    ("Python", &["ruff check .", "mypy ."]),
    ("Rust", &["cargo clippy --all-targets -- -D warnings"]),
    ("JavaScript", &["npx eslint ."]),
    ("TypeScript", &["npx eslint .", "npx tsc --noEmit"]),
    ("Go", &["go vet ./...", "golangci-lint run"]),
];

fn static_analysis(o: &mut String, r: &Review) {
    let _ = writeln!(
        o,
        "## 5. Static Analysis
"
    );
    let summary = |id: &str| {
        r.checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("{} — {}", status_icon(c.status), esc(&c.summary)))
            .unwrap_or_default()
    };
    let _ = writeln!(o, "- **Configured:** {}", summary("code-quality.linters"));
    let _ = writeln!(o, "- **Enforced in CI:** {}", summary("ci.lint"));
    let _ = writeln!(
        o,
        "- **Configuration files:** {}",
        summary("code-quality.config-valid")
    );
    // greenlight's own analysis (Python parses, imports, dependencies, bug patterns).
    for (label, id) in [
        ("Syntax", "code-quality.syntax-errors"),
        ("Imports", "code-quality.unresolved-imports"),
        ("Dependencies", "code-quality.undeclared-dependencies"),
        ("Format specs", "code-quality.format-spec-errors"),
        ("Exception handling", "code-quality.exception-handling"),
    ] {
        let applies = r
            .checks
            .iter()
            .any(|c| c.id == id && c.status != Status::NotApplicable);
        if applies {
            let _ = writeln!(o, "- **{label}:** {}", summary(id));
        }
    }
    let _ = writeln!(
        o,
        "- **External results:** ⏸️ not run — greenlight did not execute external linters or type checkers on this tree.\n"
    );
    let commands: Vec<&str> = r
        .stack
        .languages
        .iter()
        .filter_map(|l| ANALYSERS.iter().find(|(name, _)| *name == l.name))
        .flat_map(|(_, cmds)| cmds.iter().copied())
        .fold(Vec::new(), |mut acc, c| {
            if !acc.contains(&c) {
                acc.push(c);
            }
            acc
        });
    if !commands.is_empty() {
        let _ = writeln!(
            o,
            "Run them to settle the static-analysis criterion:\n\n```bash"
        );
        for c in commands {
            let _ = writeln!(o, "{c}");
        }
        let _ = writeln!(o, "```\n");
    }
    let _ = writeln!(o, "---\n");
}

fn risk(o: &mut String, r: &Review) {
    let _ = writeln!(o, "## 6. Risk Assessment\n");
    let _ = writeln!(
        o,
        "### Production Deployment Risk: **{}**\n",
        r.deployment_risk.label()
    );
    let _ = writeln!(o, "| Risk Factor | Level | Why | Mitigation |");
    let _ = writeln!(o, "|-------------|-------|-----|------------|");
    for k in &r.risks {
        let level = match k.level {
            Level::High => "🔴 HIGH",
            Level::Medium => "🟡 MEDIUM",
            Level::Low => "🟢 LOW",
            Level::Unknown => "⏸️ UNKNOWN",
        };
        let _ = writeln!(
            o,
            "| **{}** | {} | {} | {} |",
            k.factor,
            level,
            esc(&k.reason),
            esc(&k.mitigation)
        );
    }
    let _ = writeln!(o, "\n---\n");
}

fn recommendation(o: &mut String, r: &Review) {
    let _ = writeln!(o, "## 7. Deployment Recommendation\n");
    let blocking: Vec<_> = r
        .actions
        .iter()
        .filter(|a| matches!(a.priority, Severity::P0 | Severity::P1))
        .collect();
    // A library is released to its users, not deployed.
    let library = r.project_kind == crate::model::ProjectKind::Library;
    let (go, hold, trial) = if library {
        (
            "CAN RELEASE",
            "DO NOT PUBLISH A STABLE RELEASE WITHOUT",
            "CAN PUBLISH A PRE-RELEASE",
        )
    } else {
        (
            "CAN DEPLOY TO PRODUCTION",
            "DO NOT DEPLOY TO PRODUCTION WITHOUT",
            "CAN DEPLOY TO STAGING",
        )
    };
    match r.verdict {
        Verdict::Ready => {
            let _ = writeln!(
                o,
                "**✅ {go}.** Remaining work is listed under Prioritized Actions.\n"
            );
        }
        Verdict::StagingOnly | Verdict::NotReady => {
            let _ = writeln!(o, "**❌ {hold}:**\n");
            let unmet: Vec<_> = r.criteria.iter().filter(|c| c.met != Some(true)).collect();
            let mut n = 0;
            for a in &blocking {
                n += 1;
                let _ = writeln!(
                    o,
                    "{n}. {} ({}, effort {})",
                    esc(&a.action),
                    a.priority,
                    a.effort.label()
                );
            }
            for c in &unmet {
                n += 1;
                let _ = writeln!(
                    o,
                    "{n}. {} — currently {}",
                    esc(&c.requirement),
                    esc(&c.actual)
                );
            }
            if n == 0 {
                let _ = writeln!(o, "1. {}", esc(&r.verdict_rule));
            }
            let _ = writeln!(o);
            if r.verdict == Verdict::StagingOnly {
                let _ = writeln!(o, "**✅ {trial}** to:\n");
                let pending: Vec<_> = r.criteria.iter().filter(|c| c.met.is_none()).collect();
                for c in pending {
                    let _ = writeln!(o, "- verify: {}", esc(&c.requirement));
                }
                if r.category(Category::E2e)
                    .is_some_and(|c| c.status != Rag::Green)
                {
                    let _ = writeln!(
                        o,
                        "- test the end-to-end flows manually until automated end-to-end tests exist"
                    );
                }
                if r.category(Category::Performance)
                    .is_some_and(|c| c.status != Rag::Green)
                {
                    let _ = writeln!(o, "- collect a performance baseline");
                }
                if r.category(Category::Observability)
                    .is_some_and(|c| c.status != Rag::Green)
                {
                    let _ = writeln!(
                        o,
                        "- find out which logs and signals are missing to operate it"
                    );
                }
                let _ = writeln!(o);
            }
        }
    }
    let _ = writeln!(o, "---\n");
}

fn criteria(o: &mut String, r: &Review) {
    let _ = writeln!(o, "## 8. Acceptance Criteria Status\n");
    let _ = writeln!(o, "| Criterion | Requirement | Actual | Status | Gap |");
    let _ = writeln!(o, "|-----------|-------------|--------|--------|-----|");
    for c in &r.criteria {
        let status = match c.met {
            Some(true) => "✅ met",
            Some(false) => "❌ not met",
            None => "⏸️ pending",
        };
        let _ = writeln!(
            o,
            "| **{}** | {} | {} | {} | {} |",
            c.id,
            esc(&c.requirement),
            esc(&c.actual),
            status,
            esc(c.gap.as_deref().unwrap_or("—"))
        );
    }
    let overall = if r.criteria.iter().any(|c| c.met == Some(false)) {
        "❌ **DOES NOT MEET ACCEPTANCE CRITERIA**"
    } else if r.criteria.iter().any(|c| c.met.is_none()) {
        "⏸️ **ACCEPTANCE CRITERIA PENDING** (not verifiable without running the tests)"
    } else {
        "✅ **MEETS ACCEPTANCE CRITERIA**"
    };
    let _ = writeln!(o, "\n**Overall status:** {overall}\n\n---\n");
}

fn actions(o: &mut String, r: &Review) {
    let _ = writeln!(o, "## 9. Prioritized Actions\n");
    if r.actions.is_empty() {
        let _ = writeln!(o, "No actions: no concerns were found.\n\n---\n");
        return;
    }
    let _ = writeln!(
        o,
        "| # | Priority | Action | Effort | Risk Addressed | Evidence |"
    );
    let _ = writeln!(
        o,
        "|---|----------|--------|--------|----------------|----------|"
    );
    for (i, a) in r.actions.iter().enumerate() {
        let ev = a
            .findings
            .first()
            .and_then(|&i| r.findings.get(i))
            .map(first_loc)
            .unwrap_or_default();
        let more = if a.findings.len() > 1 {
            format!(" (+{} more)", a.findings.len() - 1)
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "| {} | **{}** | {} | {} | {} | {ev}{more} |",
            i + 1,
            a.priority,
            esc(&a.action),
            a.effort.describe(),
            a.risk
        );
    }
    let _ = writeln!(o, "\n---\n");
}

fn strengths_and_concerns(o: &mut String, r: &Review) {
    let _ = writeln!(o, "## 10. Conclusion\n");
    let _ = writeln!(o, "### What's Good ✅\n");
    let strengths: Vec<&Finding> = r.strengths().collect();
    if strengths.is_empty() {
        let _ = writeln!(o, "No strengths were found.");
    }
    for (i, f) in strengths.iter().take(15).enumerate() {
        let loc = crate::review::first_location(f)
            .map(|l| format!(" ({})", code(&l)))
            .unwrap_or_default();
        let _ = writeln!(o, "{}. {}{loc}", i + 1, esc(&f.title));
    }
    let _ = writeln!(o, "\n### What's Concerning ❌\n");
    let mut concerns: Vec<&Finding> = r.concerns().collect();
    concerns.sort_by_key(|f| f.severity);
    if concerns.is_empty() {
        let _ = writeln!(o, "No concerns were found.");
    }
    for (i, f) in concerns.iter().take(15).enumerate() {
        let _ = writeln!(
            o,
            "{}. **{}** {} ({})",
            i + 1,
            f.severity.map(|s| s.label()).unwrap_or(""),
            esc(&f.title),
            first_loc(f)
        );
    }
    if concerns.len() > 15 {
        let _ = writeln!(
            o,
            "\n… and {} more in the detailed findings.",
            concerns.len() - 15
        );
    }
    let _ = writeln!(
        o,
        "\n### Final Verdict: {} **{}**\n\n{}\n\n---\n",
        verdict_icon(r.verdict),
        r.verdict.label(),
        esc(&r.verdict_rule)
    );
}

fn suppressed(o: &mut String, r: &Review) {
    if r.suppressed.is_empty() {
        return;
    }
    let _ = writeln!(o, "## Suppressed Findings\n");
    for s in &r.suppressed {
        let _ = writeln!(
            o,
            "- `{}` {} — suppressed: {}",
            s.finding.check,
            esc(&s.finding.title),
            esc(&s.reason)
        );
    }
    let _ = writeln!(o, "\n---\n");
}

fn appendix(o: &mut String, r: &Review) {
    let i = &r.inventory;
    let _ = writeln!(o, "## Appendix: Files Reviewed\n");
    let _ = writeln!(
        o,
        "{} reviewed ({} text, {} binary, {} over the {}-byte cap, {} unreadable, {} not UTF-8); {} lines ({} code, {} comment, {} blank).\n",
        plural(i.files, "file", "files"),
        group_digits(i.text_files),
        i.binary_files,
        i.too_large,
        group_digits(usize::try_from(i.max_file_bytes).unwrap_or(usize::MAX)),
        i.unreadable,
        i.not_utf8,
        group_digits(i.lines.total()),
        group_digits(i.lines.code),
        group_digits(i.lines.comment),
        group_digits(i.lines.blank),
    );
    if !i.by_language.is_empty() {
        let _ = writeln!(o, "| Language | Files | Code | Comments | Blank |");
        let _ = writeln!(o, "|----------|------:|-----:|---------:|------:|");
        for l in i.by_language.iter().take(15) {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                l.language,
                l.files,
                group_digits(l.lines.code),
                group_digits(l.lines.comment),
                group_digits(l.lines.blank)
            );
        }
        let _ = writeln!(o);
    }
    let kinds: Vec<String> = i.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(o, "Files by kind: {}.\n", kinds.join(", "));
    for (title, files) in [
        ("Core application files (largest first)", &i.source_files),
        ("Test files (largest first)", &i.test_files),
        ("Configuration, build and CI", &i.config_files),
        ("Documentation", &i.doc_files),
    ] {
        if files.is_empty() {
            continue;
        }
        let _ = writeln!(o, "### {title}\n");
        for f in files {
            let _ = writeln!(
                o,
                "- {} ({})",
                code(&f.path),
                plural(f.lines, "line", "lines")
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "### Not reviewed\n");
    let mut any = false;
    let at_least = if i.count_capped { "at least " } else { "" };
    for d in &i.skipped_dirs {
        any = true;
        let _ = writeln!(
            o,
            "- {} — {} ({at_least}{})",
            code(&format!("{}/", d.path)),
            d.reason,
            plural(d.files, "file", "files")
        );
    }
    // Skipped files counted by reason: the line only where the count is not zero.
    let counted = [
        (
            i.ignored_by_rules,
            format!(
                "{at_least}{} excluded by .gitignore/.ignore rules",
                plural(i.ignored_by_rules, "file", "files")
            ),
        ),
        (
            i.ignored_by_policy,
            format!(
                "{} excluded by the policy's `ignore` globs",
                plural(i.ignored_by_policy, "file", "files")
            ),
        ),
        (
            i.over_budget,
            format!(
                "{} past the audit's read budget (listed, not read)",
                plural(i.over_budget, "file", "files")
            ),
        ),
        (
            i.special,
            format!(
                "{} (FIFOs, sockets, devices are never opened)",
                plural(i.special, "special file", "special files")
            ),
        ),
        (
            i.too_deep,
            format!(
                "{} nested more than 64 directories deep",
                plural(i.too_deep, "file", "files")
            ),
        ),
        (
            i.symlinks,
            format!(
                "{} (symbolic links are never followed)",
                plural(i.symlinks, "symbolic link", "symbolic links")
            ),
        ),
    ];
    for (_, line) in counted.iter().filter(|(n, _)| *n > 0) {
        any = true;
        let _ = writeln!(o, "- {line}");
    }
    for (path, err) in i.walk_errors.iter().take(10) {
        any = true;
        let _ = writeln!(
            o,
            "- {} could not be read: {}",
            code(if path.is_empty() { "." } else { path }),
            esc(err)
        );
    }
    if !any {
        let _ = writeln!(o, "Nothing was skipped.");
    }
    let _ = writeln!(
        o,
        "\n---\n\n*Generated by greenlight {}. Each claim above cites the file and line it rests on; `greenlight explain <check-id>` documents every check.*",
        r.tool_version
    );
}

#[cfg(test)]
mod tests {
    use super::{esc, finding_list};
    use crate::model::{Category, Confidence, Effort, Evidence, Finding, FindingKind, Severity};

    fn concern(title: &str, path: &str, severity: Severity, action: &str) -> Finding {
        Finding {
            check: "security.action-pinning",
            category: Category::Security,
            kind: FindingKind::Concern,
            severity: Some(severity),
            title: title.into(),
            message: "the same long explanation".into(),
            evidence: vec![Evidence::at(path, 3, "uses: a/b@v1")],
            action: Some(action.into()),
            effort: Some(Effort::S),
            confidence: Confidence::High,
            fingerprint: Some(format!("{path}:unpinned")),
            project: None,
        }
    }

    #[test]
    fn three_concerns_with_one_action_are_one_group_with_the_action_said_once() {
        let fs = [
            concern("a in ci_x.yml", "ci_x.yml", Severity::P2, "Pin them"),
            concern("b", "b.yml", Severity::P2, "Pin them"),
            concern("c", "c.yml", Severity::P2, "Pin them"),
            concern("d", "d.yml", Severity::P3, "Pin them"),
        ];
        let refs: Vec<&Finding> = fs.iter().collect();
        let mut o = String::new();
        finding_list(&mut o, &refs);
        assert_eq!(
            o,
            "- **P2** a in ci\\_x.yml — the same long explanation\n  - `ci_x.yml:3` — `uses: a/b@v1`\n  - *Fingerprint:* `ci_x.yml:unpinned`\n- **P2** b (`b.yml:3`)\n- **P2** c (`c.yml:3`)\n- *Action for these 3:* Pin them (effort S (≤ 1 day))\n- **P3** d — the same long explanation\n  - `d.yml:3` — `uses: a/b@v1`\n  - *Action:* Pin them (effort S (≤ 1 day))\n  - *Fingerprint:* `d.yml:unpinned`\n"
        );
        // Two are each shown in full.
        let mut o = String::new();
        finding_list(&mut o, &refs[..2]);
        assert_eq!(o.matches("*Action:*").count(), 2);
    }

    #[test]
    fn escapes_prose_but_not_code_spans() {
        assert_eq!(
            esc("run `publish_docker` on <main> | _now_"),
            "run `publish_docker` on &lt;main> \\| \\_now\\_"
        );
        assert_eq!(esc("`a|b`"), "`a\\|b`");
        // An unmatched backtick opens nothing.
        assert_eq!(esc("it`s x_y"), "it\\`s x\\_y");
        assert_eq!(esc("`a` and `b_c"), "`a` and \\`b\\_c");
    }
}
