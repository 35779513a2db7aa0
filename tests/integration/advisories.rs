//! `greenlight advisories update` from a local mirror, then offline audits against the
//! database it wrote, and `--audit-report` ingestion through the command line.

use std::collections::BTreeMap;
use std::fs;

use crate::support::{greenlight, materialize, osv_mirror, stderr, stdout};

const FLASK: &str = r#"{"id":"PYSEC-2019-179","aliases":["CVE-2019-1010083"],"summary":"Flask denial of service via crafted JSON","database_specific":{"severity":"HIGH"},"affected":[{"package":{"ecosystem":"PyPI","name":"Flask"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}]}"#;
const JINJA: &str = r#"{"id":"GHSA-462w-v97r-4m45","aliases":["CVE-2019-10906","PYSEC-2019-217"],"summary":"Jinja2 sandbox escape via string formatting","affected":[{"package":{"ecosystem":"PyPI","name":"jinja2"},"versions":["2.10"]}]}"#;
const WITHDRAWN: &str = r#"{"id":"PYSEC-2000-1","withdrawn":"2021-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#;

fn repo() -> tempfile::TempDir {
    let mut files = BTreeMap::new();
    files.insert(
        "requirements.txt".to_string(),
        "requests==2.31.0\nflask==0.12.2\nJinja2==2.10\n".to_string(),
    );
    files.insert("app.py".to_string(), "import flask\n".to_string());
    materialize(&files)
}

fn check<'a>(review: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    review["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

fn findings<'a>(review: &'a serde_json::Value, id: &str) -> Vec<&'a serde_json::Value> {
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == id)
        .collect()
}

fn audit(
    repo: &std::path::Path,
    cache: &std::path::Path,
    extra: &[&str],
) -> (serde_json::Value, std::process::Output) {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("review.json");
    let output = greenlight()
        .env("GREENLIGHT_CACHE_DIR", cache)
        .args([
            "audit",
            repo.to_str().unwrap(),
            "--quiet",
            "--out",
            json.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap();
    let text = fs::read_to_string(&json)
        .unwrap_or_else(|_| panic!("no JSON written; stderr: {}", stderr(&output)));
    (serde_json::from_str(&text).unwrap(), output)
}

#[test]
fn update_from_a_file_mirror_then_audit_offline_finds_pinned_vulnerable_versions() {
    let repo = repo();
    let work = tempfile::tempdir().unwrap();
    let mirror = osv_mirror(
        work.path(),
        &[FLASK.to_string(), JINJA.to_string(), WITHDRAWN.to_string()],
    );
    let cache = work.path().join("cache");
    let source = format!("file://{}", mirror.display());
    let up = greenlight()
        .args(["advisories", "update", repo.path().to_str().unwrap()])
        .args(["--source", &source, "--cache-dir", cache.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
    let printed = stdout(&up);
    assert!(printed.contains("PyPI"), "{printed}");
    assert!(
        printed.contains("2 advisories"),
        "withdrawn is left out: {printed}"
    );

    let (review, output) = audit(repo.path(), &cache, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let id = "security.known-vulnerabilities";
    assert_eq!(check(&review, id)["status"], "fail");
    let found = findings(&review, id);
    assert_eq!(found.len(), 2, "{found:#?}");
    let flask = found
        .iter()
        .find(|f| f["title"].as_str().unwrap().contains("PYSEC-2019-179"))
        .unwrap();
    assert_eq!(flask["severity"], "P1");
    assert!(
        flask["message"]
            .as_str()
            .unwrap()
            .contains("Upgrade to 1.0 or later")
    );
    assert_eq!(flask["evidence"][0]["path"], "requirements.txt");
    assert_eq!(flask["evidence"][0]["line"], 2);
    let jinja = found
        .iter()
        .find(|f| f["title"].as_str().unwrap().contains("GHSA-462w-v97r-4m45"))
        .unwrap();
    assert_eq!(jinja["evidence"][0]["line"], 3);
    assert!(
        jinja["message"]
            .as_str()
            .unwrap()
            .contains("No fixed version")
    );
    // requests 2.31.0 is only named by a withdrawn advisory.
    assert!(
        !found
            .iter()
            .any(|f| f["title"].as_str().unwrap().contains("requests"))
    );
    let summary = check(&review, id)["summary"].as_str().unwrap().to_string();
    assert!(
        summary.contains("PyPI database of 2 advisories downloaded today"),
        "{summary}"
    );

    // The same advisory from a pip-audit report is merged, not repeated.
    let report = work.path().join("pip-audit.json");
    fs::write(&report, r#"{"dependencies":[{"name":"flask","version":"0.12.2","vulns":[{"id":"PYSEC-2019-179","fix_versions":["1.0"],"aliases":["CVE-2019-1010083"],"description":"DoS"}]}]}"#).unwrap();
    let (merged, _) = audit(
        repo.path(),
        &cache,
        &["--audit-report", report.to_str().unwrap()],
    );
    assert_eq!(findings(&merged, id).len(), 2);
}

#[test]
fn without_a_database_the_check_is_unknown_and_names_the_command() {
    let repo = repo();
    let empty = tempfile::tempdir().unwrap();
    let (review, _) = audit(repo.path(), empty.path(), &[]);
    let c = check(&review, "security.known-vulnerabilities");
    assert_eq!(c["status"], "unknown");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!(
            "greenlight advisories update {}",
            repo.path().display()
        )),
        "{summary}"
    );
}

#[test]
fn a_report_that_is_not_an_audit_report_is_an_error_naming_it() {
    let repo = repo();
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("weird.json");
    fs::write(&bad, r#"{"hello": "world"}"#).unwrap();
    let output = greenlight()
        .args(["audit", repo.path().to_str().unwrap(), "--quiet"])
        .args(["--audit-report", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("weird.json") && err.contains("not pip-audit, cargo audit or npm audit JSON"),
        "{err}"
    );
}

#[test]
fn update_refuses_an_unknown_ecosystem_and_a_missing_mirror() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let o = greenlight()
        .args([
            "advisories",
            "update",
            "--ecosystem",
            "maven",
            "--cache-dir",
            cache.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown ecosystem `maven`"));
    let o = greenlight()
        .args([
            "advisories",
            "update",
            "--ecosystem",
            "go",
            "--cache-dir",
            cache.to_str().unwrap(),
        ])
        .args(["--source", work.path().join("nowhere").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("all.zip"), "{}", stderr(&o));
}
