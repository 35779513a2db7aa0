//! Judges whether end-to-end (or at least integration) tests exist.

use crate::analyze::catalog::ArtifactKind;
use crate::analyze::tests::TestKind;
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Evidence, ProjectKind, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "e2e.suite",
        category: Category::E2e,
        title: "End-to-end tests exist",
        summary: "End-to-end tests (browser drivers, tests that run the built program, e2e/ suites) are present; for a library, integration tests of its public API count. A service whose integration tests already go through its interface (an HTTP test client, a database-backed suite), or whose unit tests CI runs on every change, lacks only the last step (P2); with no test at all, tests.suite carries the gap.",
        weight: 2.0,
        severity: Severity::P1,
        // A command-line tool's journeys are its sub-commands, usually covered by
        // its unit tests; a service's are requests through several components.
        by_kind: Some(KindSeverity {
            service: Severity::P1,
            cli: Severity::P2,
            library: Some(Severity::P2),
        }),
        effort: Effort::M,
        rationale: "Unit tests with mocks prove the parts; only a test that drives the whole system the way a user does (a request through the API, a command through the CLI, a click through the UI) proves they fit together. Reviewers ask for at least one passing end-to-end test before production.",
        remediation: "Add an end-to-end suite (tests/e2e/) that exercises the main user journey against the real program: an HTTP test client or Playwright for services, assert_cmd / subprocess runs for CLIs. Mock only what is outside your control (third-party APIs), and run it in CI.",
        action: "Create at least one end-to-end test of the main user flow",
        risk: "Integration issues",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if cx.production_lines() == 0 && cx.facts.tests.files.is_empty() {
        return Outcome::not_applicable("no production source code");
    }
    let t = &cx.facts.tests;
    let mut e2e: Vec<_> = t.of_kind(TestKind::E2e).collect();
    e2e.extend(t.e2e_elsewhere.iter());
    let integ: Vec<_> = t.of_kind(TestKind::Integration).collect();
    let cite = |f: &&crate::analyze::tests::TestFile| {
        Evidence::at(
            f.path.clone(),
            f.first_line,
            &format!("{} ({})", plural(f.cases, "test", "tests"), f.reason),
        )
    };
    if !e2e.is_empty() {
        let cases: usize = e2e.iter().map(|f| f.cases).sum();
        let summary = format!(
            "{} in {}; {} integration test files",
            plural(cases, "end-to-end test", "end-to-end tests"),
            plural(e2e.len(), "file", "files"),
            integ.len()
        );
        return Outcome::pass(summary.clone()).strength(
            def,
            "End-to-end tests present",
            summary,
            e2e.iter().take(5).map(cite).collect(),
        );
    }
    let configured: Vec<Evidence> = cx
        .facts
        .artifacts_of(ArtifactKind::E2e)
        .filter_map(|a| a.evidence.first().cloned())
        .collect();
    if !integ.is_empty() && cx.kind == ProjectKind::Library {
        // A library's user is code calling its public API: tests through that API are
        // its end-to-end tests.
        let cases: usize = integ.iter().map(|f| f.cases).sum();
        let summary = format!(
            "{} through the public API in {}",
            plural(cases, "integration test", "integration tests"),
            plural(integ.len(), "file", "files")
        );
        return Outcome::pass(summary.clone()).strength(
            def,
            "Public API exercised by integration tests",
            summary,
            integ.iter().take(5).map(cite).collect(),
        );
    }
    if !integ.is_empty() {
        let cases: usize = integ.iter().map(|f| f.cases).sum();
        let summary = format!(
            "no end-to-end tests; {} in {}",
            plural(cases, "integration test", "integration tests"),
            plural(integ.len(), "file", "files")
        );
        // Requests through the application's own interface (an HTTP test client, a
        // database-backed suite) already prove the parts fit: what is missing is the
        // last step, not the whole journey.
        return Outcome::partial(0.5, summary.clone())
            .strength(def, "Integration tests present", "", integ.iter().take(5).map(cite).collect())
            .concern_at(
                def,
                Severity::P2,
                "No end-to-end tests",
                "Integration tests exist, but nothing drives the whole system the way a user does.",
                vec![Evidence::absent(
                    "browser-driven tests, tests running the built program, e2e/ or acceptance/ suites",
                    plural(t.files.len(), "test file", "test files"),
                )],
            );
    }
    if t.files.is_empty() {
        if let Some(o) = cx.not_shipped("The test suite") {
            return o;
        }
    }
    let mut message = String::from("No end-to-end or integration tests were found");
    if !configured.is_empty() {
        message.push_str(
            "; end-to-end configuration or directories exist, but no test case was found there",
        );
    }
    message.push('.');
    let mut evidence = vec![Evidence::absent(
        "e2e/, integration/, acceptance/ suites; Playwright, Cypress, Selenium, TestClient, supertest, httptest, assert_cmd usage in tests",
        plural(t.files.len(), "test file", "test files"),
    )];
    evidence.extend(configured);
    // With no test at all, `tests.suite` carries the gap: this is the same action.
    // Unit tests that CI runs on every change are a gate already: what is missing is
    // the journey through the whole system, a P2 gap.
    let ci_runs_tests = cx
        .facts
        .ci
        .steps("test")
        .first()
        .map(|s| (s.file.path.clone(), s.step.line));
    let severity = if t.files.is_empty() || ci_runs_tests.is_some() {
        Severity::P2.max(CHECK.def.severity_for(cx.kind))
    } else {
        CHECK.def.severity_for(cx.kind)
    };
    if let Some((path, line)) = ci_runs_tests.filter(|_| !t.files.is_empty()) {
        message.push_str(&format!(
            " The unit tests run in CI ({path}:{line}), so what is missing is a test of the whole system."
        ));
    }
    Outcome::fail("no end-to-end or integration tests").concern_at(
        def,
        severity,
        "No end-to-end tests",
        message,
        evidence,
    )
}
