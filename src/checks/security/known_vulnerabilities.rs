//! Judges whether installed (pinned or locked) package versions have published
//! advisories, from the local OSV database and the audit reports supplied.

use crate::advisories::{Hit, Scan, index};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.known-vulnerabilities",
        category: Category::Security,
        title: "No known vulnerabilities in installed packages",
        summary: "Pinned and locked package versions are matched offline against a local OSV database (`greenlight advisories update`) and against pip-audit, cargo audit and npm audit reports (`--audit-report`).",
        weight: 1.5,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "A dependency version with a published advisory is a vulnerability anyone can look up, often with a public exploit. Upgrading to the fixed version is usually the cheapest security fix there is.",
        remediation: "Upgrade each listed package to the fixed version (or later) in its manifest and lock file, then re-run the audit. Refresh the local database with `greenlight advisories update PATH` before auditing; in CI, cache the directory it writes. Where no fix exists, remove or replace the package, or record why the advisory does not apply as a suppression with a reason.",
        action: "Upgrade dependencies with known vulnerabilities to their fixed versions",
        risk: "Exploitable known vulnerabilities in dependencies",
    },
    evaluate,
};

/// A database older than this is called stale in the summary.
const STALE_DAYS: u64 = 30;
/// Findings listed individually; the rest are counted in the summary.
const MAX_FINDINGS: usize = 50;

fn evaluate(cx: &Context<'_>) -> Outcome {
    let scan = cx.advisories;
    if scan.ecosystems.is_empty() && scan.reports.is_empty() {
        return Outcome::not_applicable("no package manifests");
    }
    let fix = format!("greenlight advisories update {}", scan.shown_root);
    let note = notes(scan, &fix);
    if scan.hits.is_empty() {
        if !scan.errors.is_empty() {
            return Outcome::unknown(format!("{}{note}", scan.errors.join("; ")));
        }
        let uncovered = scan.uncovered();
        if !uncovered.is_empty() {
            let names: Vec<&str> = uncovered.iter().map(|e| index::osv_name(*e)).collect();
            return Outcome::unknown(format!(
                "no local advisory database for {}: run `{fix}`",
                names.join(", ")
            ));
        }
        if scan.packages.is_empty() && scan.reports.is_empty() {
            return Outcome::unknown(format!(
                "no locked or exactly pinned package versions to match{note}"
            ));
        }
        return Outcome::pass(format!(
            "{} checked; none has a known advisory{note}",
            plural(
                scan.packages.len(),
                "pinned or locked package version",
                "pinned or locked package versions"
            )
        ));
    }
    let mut hits: Vec<&Hit> = scan.hits.iter().collect();
    hits.sort_by_key(|h| (h.severity.unwrap_or(CHECK.def.severity), h.package.clone()));
    let worst = hits
        .iter()
        .map(|h| h.severity.unwrap_or(CHECK.def.severity))
        .min()
        .unwrap_or(CHECK.def.severity);
    let packages: std::collections::HashSet<(&str, Option<&str>)> = hits
        .iter()
        .map(|h| (h.package.as_str(), h.version.as_deref()))
        .collect();
    let summary = format!(
        "{} with {}{}{note}",
        plural(
            packages.len(),
            "vulnerable package version",
            "vulnerable package versions"
        ),
        plural(hits.len(), "known advisory", "known advisories"),
        if hits.len() > MAX_FINDINGS {
            format!(" (the first {MAX_FINDINGS} listed)")
        } else {
            String::new()
        }
    );
    let mut out = if worst <= Severity::P1 {
        Outcome::fail(summary)
    } else {
        Outcome::partial(0.5, summary)
    };
    for h in hits.into_iter().take(MAX_FINDINGS) {
        let severity = h.severity.unwrap_or(CHECK.def.severity);
        let version = h
            .version
            .clone()
            .or_else(|| h.range.as_ref().map(|r| format!("versions {r}")))
            .unwrap_or_else(|| "an affected version".into());
        let id = h.ids.first().cloned().unwrap_or_default();
        let title = format!("{} {version}: {id}", h.package);
        let aliases = h.ids.get(1..).unwrap_or(&[]).join(", ");
        let fix_text = match &h.fixed {
            Some(f) => format!("Upgrade to {f} or later."),
            None => "No fixed version is published: remove or replace the package, or document why the advisory does not apply.".into(),
        };
        let message = format!(
            "{}{} ({}). {fix_text}",
            if h.summary.is_empty() {
                "Known vulnerability"
            } else {
                h.summary.as_str()
            },
            if aliases.is_empty() {
                String::new()
            } else {
                format!(" — also {aliases}")
            },
            h.sources.join(", ")
        );
        let evidence = match &h.at {
            Some((path, line)) => cx.at(path, *line),
            None => Evidence::absent(
                format!("{} in the repository's manifests and lock files", h.package),
                h.sources.join(", "),
            ),
        };
        out = out
            .concern_at(&CHECK.def, severity, title, message, vec![evidence])
            .fingerprint(format!(
                "{}@{}:{id}",
                h.package,
                h.version.as_deref().unwrap_or("")
            ));
    }
    out
}

/// Database freshness and report count, for the summary.
fn notes(scan: &Scan, fix: &str) -> String {
    let mut parts = Vec::new();
    for d in &scan.databases {
        let days = scan.now.saturating_sub(d.meta.downloaded_at) / 86_400;
        let age = if days > STALE_DAYS {
            format!("{days} days old, stale: run `{fix}`")
        } else if days == 0 {
            "downloaded today".into()
        } else {
            format!("{days} days old")
        };
        parts.push(format!(
            "{} database of {} {age}",
            d.meta.ecosystem,
            crate::model::plural(d.meta.advisories, "advisory", "advisories")
        ));
    }
    for r in &scan.reports {
        parts.push(format!("{} report {}", r.tool, r.path));
    }
    let uncovered: Vec<&str> = scan
        .uncovered()
        .iter()
        .map(|e| index::osv_name(*e))
        .collect();
    if !scan.hits.is_empty() && !uncovered.is_empty() {
        parts.push(format!(
            "no database for {}: run `{fix}`",
            uncovered.join(", ")
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}
