//! Judges whether every Python test module can be imported: an import of a module
//! or name that does not exist is a collection error, and every test in the file is
//! lost before it runs.

use crate::analyze::python::{ImportClass, ImportGuard};
use crate::checks::python::{self, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};
use crate::run::BlockerKind;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "tests.import-errors",
        category: Category::Tests,
        title: "Test modules can be imported",
        summary: "Every Python test module's imports of the project reach an existing module and name; otherwise the runner reports a collection error and none of the file's tests run.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "pytest imports each test module before running anything in it. An import of a module that was moved or deleted, or of a function that was renamed, fails collection: the whole file reports one error and its tests silently stop counting. Suites in this state usually pass in CI only because the broken files are skipped or deselected, so coverage is lower than the test count suggests.",
        remediation: "Point each import at where the code now lives (or restore the missing module or function), then run the suite once with `pytest --collect-only -q` to confirm every file collects. Delete test files for code that no longer exists.",
        action: "Fix the imports that stop test modules from being collected",
        risk: "Tests that never run",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let modules: Vec<_> = python::files(cx)
        .filter(|f| f.role == Role::Test && python::is_test_module(f.file))
        .collect();
    if modules.is_empty() {
        return Outcome::not_applicable("no Python test modules");
    }
    let project = &cx.facts.python;
    // (file, line, what is missing, detail)
    let mut broken: Vec<(&str, u32, String, String)> = Vec::new();
    for f in &modules {
        for c in project.imports_of(f.index) {
            let Some(imp) = f.py.imports.get(c.import) else {
                continue;
            };
            if imp.guard != ImportGuard::None {
                continue;
            }
            if let ImportClass::Unresolved {
                missing,
                looked_for,
            } = &c.class
            {
                broken.push((
                    f.path(),
                    imp.line,
                    format!("module {missing}"),
                    format!("the repository has no {looked_for}"),
                ));
            }
        }
        for m in project.missing_names.iter().filter(|m| m.file == f.index) {
            let Some(imp) = f.py.imports.get(m.import) else {
                continue;
            };
            if imp.guard != ImportGuard::None {
                continue;
            }
            let module = cx
                .inventory
                .files
                .get(m.module_file)
                .map(|t| t.path.as_str())
                .unwrap_or("");
            broken.push((
                f.path(),
                imp.line,
                format!("`{}`", m.name),
                format!("{module} does not define it"),
            ));
        }
    }
    // What the test run already reports as a blocker is one finding there, not two.
    let before = broken.len();
    broken.retain(|b| {
        !super::confirmed_by_run(
            cx,
            &[BlockerKind::MissingInternalModule, BlockerKind::MissingName],
            b.0,
            |_| true,
        )
    });
    let confirmed = before - broken.len();
    if broken.is_empty() && confirmed > 0 {
        return Outcome::fail(format!(
            "{} confirmed by the test run (see tests.run)",
            plural(confirmed, "missing import", "missing imports")
        ));
    }
    if broken.is_empty() {
        return Outcome::pass(format!(
            "all {} import what they need",
            plural(modules.len(), "test module", "test modules")
        ));
    }
    broken.sort();
    let files: std::collections::BTreeSet<&str> = broken.iter().map(|b| b.0).collect();
    let score = 1.0 - files.len() as f64 / modules.len() as f64;
    let mut outcome = Outcome::scored(
        score.min(0.9),
        format!(
            "{} of {} would fail to collect",
            plural(files.len(), "test module", "test modules"),
            plural(modules.len(), "test module", "test modules")
        ),
    );
    for path in files.iter().take(20) {
        let here: Vec<&(&str, u32, String, String)> =
            broken.iter().filter(|b| b.0 == *path).collect();
        let Some(first) = here.first() else { continue };
        let tests = python::files(cx)
            .find(|f| f.path() == *path)
            .map(|f| f.py.tests.len())
            .unwrap_or(0);
        let evidence: Vec<Evidence> = here.iter().take(3).map(|b| cx.at(b.0, b.1)).collect();
        // A published package often leaves test helpers out: the gap may be the
        // package's, not the project's.
        let (severity, note) = match &cx.facts.distribution {
            Some(d) => (
                Severity::P3,
                format!(
                    " This tree is a {}, which may not ship every test helper: check the source repository.",
                    d.kind
                ),
            ),
            None => (def.severity, String::new()),
        };
        outcome = outcome.concern_at(
            def,
            severity,
            format!("{path} cannot be collected: it imports missing {}", first.2),
            format!(
                "{path}:{} imports {}, but {}: the runner reports a collection error and the file's {} never run.{note}",
                first.1,
                first.2,
                first.3,
                plural(tests, "test", "tests")
            ),
            evidence,
        );
    }
    outcome
}
