//! Cross-cutting analysis behaviour on small repositories: published packages, project
//! kinds, product names in the stack, and category colours.

use greenlight::model::{Category, ProjectKind, Status};
use greenlight::review::{Rag, Review};

use crate::support::{audit, files, materialize};

fn status(r: &Review, id: &str) -> Status {
    r.checks.iter().find(|c| c.id == id).unwrap().status
}

#[test]
fn a_published_sdist_leaves_ci_and_tests_unknown_not_failed() {
    let dir = materialize(&files(&[
        (
            "PKG-INFO",
            "Metadata-Version: 2.1\nName: geo\nVersion: 1.0\n",
        ),
        (
            "pyproject.toml",
            "[project]\nname = \"geo\"\nversion = \"1.0\"\n",
        ),
        ("geo/__init__.py", "def distance():\n    return 0\n"),
    ]));
    let r = audit(dir.path());
    for id in [
        "ci.pipeline",
        "ci.tests",
        "tests.suite",
        "security.secret-scanning",
        "deployment.release-pipeline",
    ] {
        assert_eq!(status(&r, id), Status::Unknown, "{id}");
    }
    let d = r.distribution.as_ref().unwrap();
    assert_eq!(
        (d.kind, d.marker.as_str()),
        ("Python source distribution", "PKG-INFO")
    );
    assert!(
        r.summary.contains("Python source distribution (PKG-INFO)"),
        "{}",
        r.summary
    );
    let ci = r.checks.iter().find(|c| c.id == "ci.pipeline").unwrap();
    assert!(
        ci.summary.contains("audit the source repository"),
        "{}",
        ci.summary
    );
}

#[test]
fn a_repository_without_ci_still_fails_the_ci_checks() {
    let dir = materialize(&files(&[
        (
            "pyproject.toml",
            "[project]\nname = \"geo\"\nversion = \"1.0\"\n",
        ),
        ("geo/__init__.py", "def distance():\n    return 0\n"),
    ]));
    let r = audit(dir.path());
    assert!(r.distribution.is_none());
    assert_eq!(status(&r, "ci.pipeline"), Status::Fail);
}

#[test]
fn a_command_behind_an_optional_extra_keeps_a_library_a_library() {
    let dir = materialize(&files(&[
        (
            "pyproject.toml",
            "[project]\nname = \"fetchlib\"\nversion = \"1.0\"\ndependencies = [\"idna\"]\n\n[project.optional-dependencies]\ncli = [\"click\"]\n\n[project.scripts]\nfetch = \"fetchlib._main:main\"\n",
        ),
        ("fetchlib/__init__.py", "from ._api import get\n"),
        ("fetchlib/_api.py", "def get(url):\n    return url\n"),
        (
            "fetchlib/_main.py",
            "import click\n\n\n@click.command()\ndef main():\n    pass\n",
        ),
    ]));
    assert_eq!(audit(dir.path()).project_kind, ProjectKind::Library);
    // The same command as a required part of the package makes a CLI.
    let dir = materialize(&files(&[
        (
            "pyproject.toml",
            "[project]\nname = \"fetchlib\"\nversion = \"1.0\"\ndependencies = [\"click\"]\n\n[project.scripts]\nfetch = \"fetchlib._main:main\"\n",
        ),
        ("fetchlib/__init__.py", "from ._api import get\n"),
        ("fetchlib/_main.py", "import click\n"),
    ]));
    assert_eq!(audit(dir.path()).project_kind, ProjectKind::Cli);
}

#[test]
fn the_stack_names_the_product_actually_used() {
    let dir = materialize(&files(&[
        (
            "go.mod",
            "module example.com/svc\n\ngo 1.22\n\nrequire github.com/rollbar/rollbar-go v1.4.5\n",
        ),
        (
            "main.go",
            "package main\n\nimport (\n\t\"net/http\"\n\n\t\"github.com/rollbar/rollbar-go\"\n)\n\nfunc main() {\n\trollbar.SetToken(\"x\")\n\thttp.ListenAndServe(\":8080\", nil)\n}\n",
        ),
    ]));
    let r = audit(dir.path());
    let row = r
        .stack
        .rows
        .iter()
        .find(|x| x.component == "Error tracking")
        .unwrap();
    let names: Vec<&str> = row.items.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["rollbar-go"]);
}

#[test]
fn housekeeping_alone_never_turns_a_category_red() {
    // A library with no benchmarks: the only performance concern is a P3.
    let dir = materialize(&files(&[
        (
            "Cargo.toml",
            "[package]\nname = \"geo\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
        ),
        ("src/lib.rs", "pub fn distance() -> f64 {\n    0.0\n}\n"),
    ]));
    let r = audit(dir.path());
    let perf = r.category(Category::Performance).unwrap();
    assert_eq!(perf.score, Some(0.0));
    assert_eq!(perf.status, Rag::Yellow);
}
