//! Whole-repository fixtures: the verdict, the findings a reviewer would expect with
//! their evidence, the JSON contract, and snapshots of the reports.

use std::fs;
use std::path::PathBuf;

use greenlight::model::{ProjectKind, Severity, Status};
use greenlight::review::{Review, Verdict};

use crate::support::{audit, audit_json, audit_markdown, check_locations, fixtures, run, stderr};

fn repo(name: &str) -> PathBuf {
    fixtures().join("repos").join(name)
}

fn status(r: &Review, id: &str) -> Status {
    r.checks.iter().find(|c| c.id == id).unwrap().status
}

fn concern_titles(r: &Review, id: &str) -> Vec<String> {
    let c = r.checks.iter().find(|c| c.id == id).unwrap();
    c.findings
        .iter()
        .map(|&i| &r.findings[i])
        .filter(|f| f.is_concern())
        .map(|f| f.title.clone())
        .collect()
}

#[test]
fn poorly_prepared_cli_is_staging_only_for_the_right_reasons() {
    let r = audit(&repo("python-cli-poor"));
    assert_eq!(r.project_kind, ProjectKind::Cli);
    // Three red categories, but two of them hold a P1: its P1 concerns decide.
    assert_eq!(r.verdict, Verdict::StagingOnly);
    assert!(
        r.verdict_rule
            .starts_with("STAGING ONLY because 6 P1 concerns"),
        "{}",
        r.verdict_rule
    );
    // The maintainers' own warning, quoted with its line.
    assert_eq!(
        status(&r, "documentation.maintainer-warnings"),
        Status::Fail
    );
    assert_eq!(
        check_locations(&r, "documentation.maintainer-warnings"),
        vec!["README.md:5"]
    );
    // The committed .env, by name only.
    assert_eq!(check_locations(&r, "security.env-files"), vec![".env:1"]);
    // A god file under the fixture's own policy limit of 80 code lines.
    assert_eq!(
        check_locations(&r, "architecture.god-files"),
        vec!["stratgen/coordinator.py:1"]
    );
    // CI lints but never runs the tests; nothing end to end.
    assert_eq!(status(&r, "ci.pipeline"), Status::Pass);
    assert_eq!(status(&r, "ci.tests"), Status::Fail);
    assert_eq!(status(&r, "e2e.suite"), Status::Fail);
    assert_eq!(
        concern_titles(&r, "observability.structured-logging"),
        vec!["No structured logging"]
    );
    // Stack: the reference review's first table.
    let row = |c: &str| {
        r.stack
            .rows
            .iter()
            .find(|x| x.component == c)
            .map(|x| x.items.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>())
    };
    assert_eq!(row("CLI framework"), Some(vec!["Click".to_string()]));
    assert_eq!(row("LLM providers"), Some(vec!["OpenAI".to_string()]));
    assert_eq!(row("HTTP clients"), Some(vec!["Requests".to_string()]));
    assert_eq!(
        r.stack.services.first().map(|s| s.0.as_str()),
        Some("api.crossref.org")
    );
    let creds: Vec<&str> = r
        .stack
        .credentials
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(creds, vec!["OPENAI_API_KEY"]);
    let version = r.stack.languages[0].version.as_ref().unwrap();
    assert_eq!(version.0, ">=3.10");
    // Test inventory.
    assert_eq!(r.tests.cases(), 4);
    assert!(r.count(Severity::P1) >= 3);
    // The bugs a reviewer finds by reading the Python: a format spec that raises, a
    // test of a module that is gone, a test written against an old signature.
    assert_eq!(
        check_locations(&r, "code-quality.format-spec-errors"),
        vec!["stratgen/report.py:5"]
    );
    assert_eq!(
        check_locations(&r, "tests.import-errors"),
        vec!["tests/test_backtest.py:1"]
    );
    assert_eq!(
        check_locations(&r, "tests.signature-mismatch"),
        vec!["tests/test_report.py:5", "stratgen/report.py:4"]
    );
}

#[test]
fn well_prepared_service_is_staging_only_until_its_tests_run() {
    let r = audit(&repo("python-service-good"));
    assert_eq!(r.project_kind, ProjectKind::Service);
    assert_eq!(r.verdict, Verdict::StagingOnly);
    assert!(r.verdict_rule.contains("pending"), "{}", r.verdict_rule);
    assert_eq!(
        r.count(Severity::P0) + r.count(Severity::P1) + r.count(Severity::P2),
        0
    );
    for id in [
        "observability.health-endpoints",
        "observability.structured-logging",
        "observability.metrics",
        "observability.tracing",
        "observability.error-tracking",
        "ci.tests",
        "ci.coverage-gate",
        "security.secret-scanning",
        "security.dependency-audit",
        "security.sast",
        "deployment.container",
        "deployment.dockerfile",
        "deployment.orchestration",
        "deployment.release-pipeline",
        "deployment.rollback",
        "deployment.migrations",
        "e2e.suite",
        "performance.load-tests",
        "documentation.readme",
        "documentation.runbook",
    ] {
        assert_eq!(status(&r, id), Status::Pass, "{id}");
    }
    assert!(
        check_locations(&r, "observability.health-endpoints")
            .contains(&"ledger/main.py:26".to_string())
    );
    assert!(
        check_locations(&r, "ci.coverage-gate")
            .contains(&".github/workflows/ci.yml:21".to_string())
    );
    // Coverage is honestly unknown: never a pass without a test run.
    assert_eq!(status(&r, "tests.coverage"), Status::Unknown);
    assert!(
        r.criteria
            .iter()
            .any(|c| c.id == "global-coverage" && c.met.is_none())
    );
}

#[test]
fn rust_library_skips_what_libraries_do_not_need() {
    let r = audit(&repo("rust-crate"));
    assert_eq!(r.project_kind, ProjectKind::Library);
    for id in [
        "deployment.container",
        "deployment.orchestration",
        "observability.health-endpoints",
        "observability.metrics",
        "observability.structured-logging",
        "documentation.runbook",
    ] {
        assert_eq!(status(&r, id), Status::NotApplicable, "{id}");
    }
    // Inline #[test]s and tests/ integration tests are both counted.
    assert_eq!(r.tests.cases(), 5);
    assert_eq!(status(&r, "e2e.suite"), Status::Pass);
    assert!(check_locations(&r, "ci.lint").contains(&".github/workflows/ci.yml:9".to_string()));
    assert_eq!(
        check_locations(&r, "deployment.release-pipeline"),
        vec![".github/workflows/ci.yml:16"]
    );
    assert!(
        check_locations(&r, "performance.benchmarks").contains(&"benches/parse.rs:7".to_string())
    );
    assert_eq!(r.stack.languages[0].version.as_ref().unwrap().0, "≥ 1.70");
}

#[test]
fn a_category_whose_checks_cannot_read_the_code_is_unknown_not_passed() {
    // The operational checks do not apply to a library; the one that does (printing
    // from library code) reads Python only, so for this Rust crate it is pending.
    let library = repo("rust-crate");
    let md = audit_markdown(&library);
    assert!(
        md.contains("| **Observability** | ⏸️ Unknown | n/a | nothing could be determined statically; pending: No print() in library and service code |"),
        "{md}"
    );
    assert!(
        md.contains("| Rust | 32 | 0 of 8 | Functions stay simple, Exceptions are not swallowed,")
    );
    let r = audit(&library);
    let print = r
        .checks
        .iter()
        .find(|c| c.id == "observability.print-statements")
        .unwrap();
    assert_eq!(print.status, Status::Unknown);
    assert_eq!(
        print.summary,
        "pending: Rust (32 lines) not analysed — this check reads Python code only"
    );
    assert!(r.summary.contains(
        "Code-level checks read Python only: Rust (32 lines) was not analysed by 8 of them."
    ));
    // A CLI has observability checks that apply: its category is scored, not N/A.
    let cli = audit_markdown(&repo("python-cli-poor"));
    assert!(!cli.contains("| **Observability** | ➖ N/A"));
}

#[test]
fn json_report_follows_the_contract() {
    let (v, out) = audit_json(&repo("python-cli-poor"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["name"], "greenlight");
    assert!(v["tool"]["version"].is_string());
    assert_eq!(v["repository"]["name"], "python-cli-poor");
    assert!(v["repository"]["commit"].is_null());
    assert_eq!(v["verdict"], "STAGING_ONLY");
    assert!(["LOW", "MEDIUM", "HIGH"].contains(&v["deployment_risk"].as_str().unwrap()));
    assert_eq!(v["project_kind"], "cli");
    let cats = v["categories"].as_array().unwrap();
    let ids: Vec<&str> = cats.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![
            "architecture",
            "code-quality",
            "tests",
            "e2e",
            "ci",
            "security",
            "observability",
            "performance",
            "deployment",
            "documentation"
        ]
    );
    for c in cats {
        assert!(c["title"].is_string());
        assert!(c["score"].is_null() || (0.0..=10.0).contains(&c["score"].as_f64().unwrap()));
        assert!(["green", "yellow", "red", "unknown"].contains(&c["status"].as_str().unwrap()));
    }
    for c in v["checks"].as_array().unwrap() {
        for key in ["id", "category", "title", "status"] {
            assert!(c[key].is_string(), "check field {key}");
        }
        assert!(
            ["pass", "partial", "fail", "unknown", "not_applicable"]
                .contains(&c["status"].as_str().unwrap())
        );
        assert!(c["score"].is_null() || (0.0..=1.0).contains(&c["score"].as_f64().unwrap()));
    }
    let findings = v["findings"].as_array().unwrap();
    for f in findings {
        assert!(["concern", "strength"].contains(&f["kind"].as_str().unwrap()));
        for key in [
            "check", "category", "kind", "severity", "title", "message", "evidence", "action",
            "effort",
        ] {
            assert!(f.get(key).is_some(), "finding field {key}");
        }
        if f["kind"] == "concern" {
            assert!(["P0", "P1", "P2", "P3"].contains(&f["severity"].as_str().unwrap()));
            assert!(f["action"].is_string());
            assert!(["S", "M", "L"].contains(&f["effort"].as_str().unwrap()));
        }
        for e in f["evidence"].as_array().unwrap() {
            let located = e["path"].is_string()
                && e["line"].as_u64().unwrap() >= 1
                && e["end_line"].is_u64()
                && e["snippet"].is_string();
            assert!(located || e["absent"].is_string(), "bad evidence {e}");
        }
    }
    for c in v["criteria"].as_array().unwrap() {
        assert!(c["id"].is_string() && c["requirement"].is_string() && c["actual"].is_string());
        assert!(c["met"].is_null() || c["met"].is_boolean());
    }
    for a in v["actions"].as_array().unwrap() {
        assert!(
            a["priority"].is_string()
                && a["action"].is_string()
                && a["effort"].is_string()
                && a["risk"].is_string()
        );
        for i in a["findings"].as_array().unwrap() {
            assert!((i.as_u64().unwrap() as usize) < findings.len());
        }
    }
    assert!(v["stack"]["languages"].is_array());
    for key in [
        "frameworks",
        "persistence",
        "external_services",
        "credentials",
    ] {
        assert!(v["stack"][key].is_array(), "stack.{key}");
    }
    assert_eq!(v["stack"]["frameworks"][0]["name"], "Click");
    assert_eq!(
        v["stack"]["external_services"][0]["host"],
        "api.crossref.org"
    );
    assert_eq!(v["stack"]["credentials"][0]["name"], "OPENAI_API_KEY");
    assert!(v["tests"]["files"].is_array());
    assert!(v["tests"]["run"].is_null());
}

#[test]
fn json_snapshot_of_the_poor_cli() {
    let root = repo("python-cli-poor");
    let (v, _) = audit_json(&root, &[]);
    // The repository path appears in commands the report suggests.
    let v: serde_json::Value =
        serde_json::from_str(&v.to_string().replace(root.to_str().unwrap(), "[root]")).unwrap();
    insta::assert_json_snapshot!("python_cli_poor", v, {
        ".repository.root" => "[root]",
        ".tool.version" => "[version]",
    });
}

#[test]
fn markdown_snapshot_of_the_good_service() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("review.md");
    let out = run(&[
        "audit",
        repo("python-service-good").to_str().unwrap(),
        "-q",
        "--out",
        md.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(md)
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "[version]")
        .replace(repo("python-service-good").to_str().unwrap(), "[root]");
    for section in [
        "## Executive Summary",
        "## 1. Architecture & Stack",
        "## 2. Scored Checklist",
        "## 3. Detailed Findings",
        "## 4. Tests & Coverage",
        "## 5. Static Analysis",
        "## 6. Risk Assessment",
        "## 7. Deployment Recommendation",
        "## 8. Acceptance Criteria Status",
        "## 9. Prioritized Actions",
        "## 10. Conclusion",
        "## Appendix: Files Reviewed",
    ] {
        assert!(text.contains(section), "missing {section}");
    }
    insta::assert_snapshot!("python_service_good_md", text);
}

#[test]
fn the_markdown_opens_with_the_verdict_and_the_actions_that_matter_named_by_their_worst_finding() {
    let r = audit(&repo("python-cli-poor"));
    let text = audit_markdown(&repo("python-cli-poor"));
    let summary = text.find("## Summary").expect("a summary section");
    // Before anything else: right after the header.
    assert!(summary < text.find("## Executive Summary").unwrap());
    let page = &text[summary
        ..text[summary..]
            .find("\n---")
            .map_or(text.len(), |e| summary + e)];
    assert!(
        page.contains(&format!("**⚠️ {}**", r.verdict.label())),
        "{page}"
    );
    // Markdown escapes (`test\_backtest.py`) aside, the rule is quoted whole.
    assert!(page.replace("\\_", "_").contains(&r.verdict_rule), "{page}");
    let listed = page
        .lines()
        .filter(|l| l.starts_with(char::is_numeric))
        .count();
    assert_eq!(listed, r.actions.len().min(5), "{page}");
    // Each action is named by its most serious finding, with its place.
    let first = &r.actions[0];
    let worst = first
        .findings
        .iter()
        .map(|&i| &r.findings[i])
        .min_by_key(|f| f.severity.unwrap_or(Severity::P3))
        .unwrap();
    let line = page.lines().find(|l| l.starts_with("1. ")).unwrap();
    assert!(line.contains(&worst.title), "{line}");
    assert!(line.contains(&format!("**{}**", first.priority)), "{line}");
}
