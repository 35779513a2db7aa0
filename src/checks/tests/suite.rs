//! Judges whether the project has automated tests at all, and counts them.

use crate::analyze::tests::TestKind;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, ProjectKind, Severity, group_digits, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.suite",
        category: Category::Tests,
        title: "Automated tests exist",
        summary: "Test files and test cases are counted per language (pytest/unittest, #[test], it()/test(), func TestX). No test at all is P0; P1 for a browser front end (its server carries the data) and for a command-line tool or a project of under 500 lines beside others in the same repository. Beside a tested product of the same repository, P0 becomes P1 and a small helper, a command-line tool or a browser front end (not a mobile app, which ships on its own) P2. A suite the documentation places in a repository of its own (`app-test`) is P2.",
        weight: 1.5,
        severity: Severity::P0,
        by_kind: None,
        effort: Effort::L,
        rationale: "Without automated tests nothing shows that the code does what it claims, and every change is a regression risk. No reviewer signs off production readiness for untested code.",
        remediation: "Add a test suite with the ecosystem's standard runner (pytest, cargo test, Jest/Vitest, go test), starting with the critical paths: the main entry points, error handling, and code that talks to external services. Run it in CI on every pull request.",
        action: "Write automated tests for the critical paths",
        risk: "Functional bugs",
    },
    evaluate,
};

/// Production lines under which a project of a larger repository is a helper.
pub(crate) const SMALL_PROJECT_LINES: usize = 500;

fn evaluate(cx: &Context<'_>) -> Outcome {
    let t = &cx.facts.tests;
    if cx.production_lines() == 0 && t.files.is_empty() {
        return Outcome::not_applicable("no production source code");
    }
    if t.files.is_empty() {
        if let Some(o) = cx.not_shipped("The test suite") {
            return o;
        }
        // A project marked by a Dockerfile inside a Go module (`client/Dockerfile`
        // under the root's go.mod): its directory's tests are counted with the module
        // that owns its code.
        if let Some(o) = tests_of_enclosing_project(cx) {
            return o;
        }
        // A suite kept in a repository of its own, which the documentation names
        // ("the code for testing is in a [separate repo](…/app-test)").
        if let Some((at, repository)) =
            crate::checks::elsewhere::linked_repository(cx, &["test"], &["test"])
        {
            return Outcome::fail(format!("no test cases here; the documentation names `{repository}`"))
                .concern_at(
                    &CHECK.def,
                    Severity::P2,
                    "Tests kept in another repository",
                    format!(
                        "No test cases are in this repository; the documentation says they live in `{repository}`, so a change here is not tested in the same step or pinned to the tests that cover it."
                    ),
                    vec![at],
                );
        }
        // A browser front end without tests ships UI regressions, not data loss: its
        // server and API carry the release-blocking gap.
        // So does a small helper (a build tool, a thin desktop shell) beside the
        // programs that carry the product.
        // In a repository of several projects, a command-line tool or desktop shell
        // beside a tested product is weighed as the product's helper.
        let helper_tool =
            cx.scope.is_some() && cx.kind == ProjectKind::Cli && cx.facts.projects.list.len() > 1;
        let severity = if cx.facts.stack.frontend.is_some()
            || helper_tool
            || (cx.scope.is_some() && cx.production_lines() < SMALL_PROJECT_LINES)
        {
            Severity::P1
        } else {
            CHECK.def.severity
        };
        return Outcome::fail("no test cases found").concern_at(
            &CHECK.def,
            severity,
            "No automated tests",
            format!(
                "No test cases were found for {} lines of production code.",
                group_digits(cx.production_lines())
            ),
            vec![Evidence::absent(
                "test functions (def test_*, #[test], it()/test(), func TestX) in test files",
                cx.scope(),
            )],
        );
    }
    let per_lang: Vec<String> = t
        .by_language
        .iter()
        .map(|(lang, n)| {
            format!(
                "{lang}: {} in {}",
                plural(n.cases, "case", "cases"),
                plural(n.files, "file", "files")
            )
        })
        .collect();
    let mut kinds: Vec<String> = Vec::new();
    for kind in TestKind::ALL {
        let n = t.of_kind(kind).count();
        if n > 0 {
            kinds.push(format!("{} {}", n, kind.label()));
        }
    }
    let summary = format!(
        "{} in {} ({}); files by kind: {}",
        plural(t.cases(), "test case", "test cases"),
        plural(t.files.len(), "file", "files"),
        per_lang.join("; "),
        kinds.join(", ")
    );
    let mut largest: Vec<_> = t.files.iter().collect();
    largest.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.path.cmp(&b.path)));
    let evidence = largest
        .iter()
        .take(5)
        .map(|f| {
            Evidence::at(
                f.path.clone(),
                f.first_line,
                &format!("{} ({})", plural(f.cases, "test", "tests"), f.kind.label()),
            )
        })
        .collect();
    Outcome::pass(summary.clone()).strength(
        &CHECK.def,
        "Automated tests present",
        summary,
        evidence,
    )
}

/// Test files inside the judged project's directory while its own test facts hold
/// none (they belong to an enclosing project): the outcome that says so, citing one.
fn tests_of_enclosing_project(cx: &Context<'_>) -> Option<Outcome> {
    let project = cx.facts.projects.list.get(cx.scope?)?;
    if project.path.is_empty() {
        return None;
    }
    let prefix = format!("{}/", project.path);
    let projects = &cx.facts.projects;
    // Owned by a project that encloses this one (the root, or a parent directory).
    let enclosing = |path: &str| {
        projects
            .of(path)
            .and_then(|o| projects.list.get(o))
            .is_some_and(|owner| {
                owner.path.is_empty() || prefix.starts_with(&format!("{}/", owner.path))
            })
    };
    let tests: Vec<&crate::repo::RepoFile> = cx
        .facts
        .tests
        .files
        .iter()
        .map(|t| t.path.as_str())
        .chain(
            cx.inventory
                .files
                .iter()
                .filter(|f| f.kind == crate::repo::FileKind::Test)
                .map(|f| f.path.as_str()),
        )
        .filter(|p| p.starts_with(&prefix) && enclosing(p))
        .filter_map(|p| cx.inventory.file(p))
        .filter(|f| {
            // Files with test cases in them, not specs or fixtures.
            f.text().is_some_and(|t| {
                t.contains("func Test")
                    || t.contains("def test")
                    || t.contains("#[test]")
                    || t.contains("it(")
                    || t.contains("test(")
            })
        })
        .collect();
    let first = tests.first()?;
    let summary = format!(
        "{} under {} are counted with the project that owns its code",
        plural(tests.len(), "test file", "test files"),
        project.path
    );
    Some(Outcome::pass(summary.clone()).strength(
        &CHECK.def,
        "Tests kept in the project's directory",
        summary,
        vec![cx.at_start(&first.path)],
    ))
}
