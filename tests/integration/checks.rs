//! Data-driven check tests: each check has `tests/fixtures/checks/<id>.toml` with cases
//! (a small repository each) that must fire and cases that must stay quiet, and the
//! exact evidence each must point at.

use std::collections::BTreeMap;
use std::fs;

use greenlight::model::{Evidence, Status};
use serde::Deserialize;

use crate::support::{commit_all, fake_git, fixtures, git, materialize};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Expected status: pass, partial, fail, unknown, not_applicable.
    status: String,
    /// Policy project kind for the case.
    kind: Option<String>,
    /// Extra greenlight.toml text.
    policy: Option<String>,
    /// `path:line` locations that must appear in the check's findings.
    #[serde(default)]
    evidence: Vec<String>,
    /// Text that must appear in some evidence snippet.
    snippet: Option<String>,
    /// An absence record must be among the evidence.
    #[serde(default)]
    absent: bool,
    /// Severity of the most severe concern.
    severity: Option<String>,
    /// How many concerns the check reports, exactly (merged findings).
    concerns: Option<usize>,
    /// The check's one-line summary, exactly.
    summary: Option<String>,
    /// The prioritized actions the check's concerns produce, exactly, in order.
    #[serde(default)]
    actions: Vec<String>,
    /// Create git metadata with these tags.
    git_tags: Option<Vec<String>>,
    /// A JUnit XML report to read (`--junit`), as text.
    junit: Option<String>,
    /// A coverage report to read (`--coverage`), as text.
    coverage: Option<String>,
    /// OSV advisories (JSON documents) to index as the local database.
    #[serde(default)]
    osv: Vec<String>,
    /// A pip-audit / cargo audit / npm audit JSON report to read (`--audit-report`).
    audit_report: Option<String>,
    /// Scan the git history (`--history`).
    #[serde(default)]
    history: bool,
    /// Make a real git repository with these commits, in order (`files` are part of
    /// the first).
    #[serde(default)]
    commits: Vec<FixtureCommit>,
    files: BTreeMap<String, String>,
}

/// One commit of a fixture's history.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureCommit {
    /// Author and committer date, ISO 8601.
    date: String,
    /// Files written (path → content).
    #[serde(default)]
    files: BTreeMap<String, String>,
    /// Files deleted.
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

fn status_id(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Partial => "partial",
        Status::Fail => "fail",
        Status::Unknown => "unknown",
        Status::NotApplicable => "not_applicable",
    }
}

fn load(id: &str) -> Result<CaseFile, String> {
    let path = fixtures().join("checks").join(format!("{id}.toml"));
    let text = fs::read_to_string(&path)
        .map_err(|_| format!("missing fixture file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn run_case(id: &str, case: &Case) -> Result<(), String> {
    let mut files = case.files.clone();
    let mut policy = String::new();
    if let Some(k) = &case.kind {
        policy.push_str(&format!("project_kind = \"{k}\"\n"));
    }
    if let Some(p) = &case.policy {
        policy.push_str(p);
        policy.push('\n');
    }
    if !policy.is_empty() {
        files.insert("greenlight.toml".into(), policy);
    }
    let dir = materialize(&files);
    if let Some(tags) = &case.git_tags {
        fake_git(dir.path(), tags);
    }
    if !case.commits.is_empty() {
        git(dir.path(), "2024-01-01T00:00:00Z", &["init", "-q"]);
    }
    for commit in &case.commits {
        for (path, content) in &commit.files {
            let full = dir.path().join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, content).unwrap();
        }
        for path in &commit.remove {
            fs::remove_file(dir.path().join(path)).unwrap();
        }
        commit_all(dir.path(), &commit.date);
    }
    // Reports live outside the repository, as a CI run's artifacts do.
    let reports = tempfile::tempdir().unwrap();
    let mut options = greenlight::AuditOptions {
        history: case.history,
        ..greenlight::AuditOptions::default()
    };
    if let Some(text) = &case.junit {
        let path = reports.path().join("junit.xml");
        fs::write(&path, text).unwrap();
        options.run.junit.push(path);
    }
    if let Some(text) = &case.coverage {
        let path = reports.path().join("coverage.report");
        fs::write(&path, text).unwrap();
        options.run.coverage.push(path);
    }
    if let Some(text) = &case.audit_report {
        let path = reports.path().join("audit.json");
        fs::write(&path, text).unwrap();
        options.advisories.reports.push(path);
    }
    if !case.osv.is_empty() {
        options.advisories.db = Some(crate::support::osv_database(reports.path(), &case.osv));
    }
    let review =
        greenlight::audit(dir.path(), &options).map_err(|e| format!("audit failed: {e}"))?;
    let check = review
        .checks
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| format!("check {id} did not run"))?;
    let got = status_id(check.status);
    if got != case.status {
        return Err(format!(
            "status {got}, expected {} ({})",
            case.status, check.summary
        ));
    }
    if let Some(want) = &case.summary {
        if &check.summary != want {
            return Err(format!("summary {:?}, expected {want:?}", check.summary));
        }
    }
    if !case.actions.is_empty() {
        let got: Vec<&str> = review
            .actions
            .iter()
            .filter(|a| a.check == id)
            .map(|a| a.action.as_str())
            .collect();
        if got != case.actions {
            return Err(format!("actions {got:?}, expected {:?}", case.actions));
        }
    }
    let findings: Vec<_> = check
        .findings
        .iter()
        .map(|&i| &review.findings[i])
        .collect();
    let evidence: Vec<&Evidence> = findings.iter().flat_map(|f| f.evidence.iter()).collect();
    let locations: Vec<String> = evidence
        .iter()
        .filter_map(|e| e.location().map(|l| format!("{}:{}", l.path, l.line)))
        .collect();
    for want in &case.evidence {
        if !locations.contains(want) {
            return Err(format!("evidence {want} missing; got {locations:?}"));
        }
    }
    if let Some(s) = &case.snippet {
        let found = evidence.iter().any(|e| match e {
            Evidence::At(l) => l.snippet.contains(s.as_str()),
            Evidence::Absent { looked_for, .. } => looked_for.contains(s.as_str()),
        });
        if !found {
            return Err(format!("no evidence snippet contains {s:?}"));
        }
    }
    if case.absent
        && !evidence
            .iter()
            .any(|e| matches!(e, Evidence::Absent { .. }))
    {
        return Err("expected an absence record".into());
    }
    if let Some(n) = case.concerns {
        let got = findings.iter().filter(|f| f.is_concern()).count();
        if got != n {
            return Err(format!("{got} concerns, expected {n}"));
        }
    }
    if let Some(sev) = &case.severity {
        let worst = findings
            .iter()
            .filter(|f| f.is_concern())
            .filter_map(|f| f.severity)
            .min();
        let got = worst
            .map(|s| s.label().to_string())
            .unwrap_or_else(|| "none".into());
        if &got != sev {
            return Err(format!("severity {got}, expected {sev}"));
        }
    }
    let concerns = findings.iter().filter(|f| f.is_concern()).count();
    if case.status == "pass" && concerns > 0 {
        return Err(format!("passing check reported {concerns} concern(s)"));
    }
    if matches!(case.status.as_str(), "fail" | "partial") && concerns == 0 {
        return Err("failing check reported no concern".into());
    }
    Ok(())
}

#[test]
fn every_check_fires_and_stays_quiet_on_its_fixtures() {
    let mut failures = Vec::new();
    // GREENLIGHT_CHECK=<id> runs one check's fixtures while working on it.
    let only = std::env::var("GREENLIGHT_CHECK").ok();
    for id in greenlight::checks::ids() {
        if only.as_deref().is_some_and(|o| o != id) {
            continue;
        }
        let file = match load(id) {
            Ok(f) => f,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        // A check must have a case where it fires (with the evidence it must cite) —
        // or, for a check that cannot decide statically, where it says so — and a case
        // where it stays quiet.
        let fires = file.case.iter().any(|c| {
            (matches!(c.status.as_str(), "fail" | "partial")
                && (!c.evidence.is_empty() || c.absent))
                || c.status == "unknown"
        });
        let quiet = file
            .case
            .iter()
            .any(|c| matches!(c.status.as_str(), "pass" | "not_applicable"));
        if !fires {
            failures.push(format!("{id}: no firing case with expected evidence"));
        }
        if !quiet {
            failures.push(format!("{id}: no quiet case"));
        }
        for case in &file.case {
            if let Err(e) = run_case(id, case) {
                failures.push(format!("{id} — {}: {e}", case.name));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn no_fixture_file_names_an_unknown_check() {
    let ids = greenlight::checks::ids();
    for entry in fs::read_dir(fixtures().join("checks")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let id = name.trim_end_matches(".toml");
        assert!(
            ids.contains(&id),
            "fixture {name} names no registered check"
        );
    }
}
