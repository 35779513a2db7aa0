//! Judges whether every Python file parses: the reviewer's `python -m py_compile`
//! over the tree, from the syntax tree greenlight already built.

use crate::checks::python::{self, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.syntax-errors",
        category: Category::CodeQuality,
        title: "Every Python file parses",
        summary: "No Python file has a syntax error (Python 2 statements included); templates that only look like Python are set aside.",
        weight: 2.0,
        severity: Severity::P0,
        by_kind: None,
        effort: Effort::S,
        rationale: "A module with a syntax error cannot be imported: every code path through it fails at run time, and every test that imports it fails at collection. It is the first thing a reviewer's `python -m py_compile` finds.",
        remediation: "Fix each syntax error at the line given (Python 2 `print x` becomes `print(x)`, `exec code` becomes `exec(code)`). Files that are templates rather than Python (Jinja, cookiecutter) should not end in `.py`, or should be listed under `ignore` in greenlight.toml.",
        action: "Fix the syntax errors so every module can be imported",
        risk: "Import failure at run time",
    },
    evaluate,
};

/// A `.py` file that is a template (Jinja/cookiecutter), not Python.
fn is_template(path: &str, text: &str) -> bool {
    path.contains("{{")
        || text.contains("{%")
        || text.contains("{{ cookiecutter")
        || crate::repo::kind::looks_template(path, text)
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let mut broken = Vec::new();
    let mut templates = 0usize;
    let unparsed = files.iter().filter(|f| f.py.unparsed.is_some()).count();
    for f in &files {
        if f.py.syntax_errors.is_empty() {
            continue;
        }
        if is_template(f.path(), f.file.text().unwrap_or("")) {
            templates += 1;
            continue;
        }
        broken.push(f);
    }
    let parsed = files.len().saturating_sub(templates + unparsed);
    let mut skipped = if templates > 0 {
        format!(
            "; {} set aside as templates",
            plural(templates, "file", "files")
        )
    } else {
        String::new()
    };
    if unparsed > 0 {
        skipped.push_str(&format!(
            "; {} not parsed (see code-quality.analysable-source)",
            plural(unparsed, "file", "files")
        ));
    }
    if broken.is_empty() {
        let all = if parsed == 1 {
            "the one Python file parses".to_string()
        } else {
            format!(
                "all {} parse",
                plural(parsed, "Python file", "Python files")
            )
        };
        return Outcome::pass(format!("{all}{skipped}"));
    }
    broken.sort_by_key(|f| (f.role, f.path()));
    let production = broken.iter().filter(|f| f.role == Role::Production).count();
    let summary = format!(
        "{} of {} with syntax errors ({production} in production code){skipped}",
        plural(broken.len(), "file", "files"),
        plural(parsed, "Python file", "Python files"),
    );
    let score = if production > 0 {
        0.0
    } else {
        0.5 + 0.4 * (1.0 - broken.len() as f64 / parsed.max(1) as f64)
    };
    let mut outcome = Outcome::scored(score, summary);
    for f in broken.iter().take(20) {
        let errors = &f.py.syntax_errors;
        let evidence: Vec<Evidence> = errors
            .iter()
            .take(3)
            .map(|e| cx.at(f.path(), e.line))
            .collect();
        let first = errors.first().map(|e| e.message.as_str()).unwrap_or("");
        let line = errors.first().map(|e| e.line).unwrap_or(1);
        // Python files in a test tree that pytest does not collect are test data
        // (inputs for a parser or formatter, often invalid on purpose).
        let data = f.role == Role::Test && !python::is_test_module(f.file);
        let (severity, label) = if data {
            (
                Role::Test.weigh(Role::Test.weigh(def.severity)),
                " (test data)",
            )
        } else {
            (f.role.weigh(def.severity), f.role.suffix())
        };
        outcome = outcome.concern_at(
            def,
            severity,
            format!("{} does not parse{label}", f.path()),
            format!(
                "{}:{line}: {first}{}. The module cannot be imported.",
                f.path(),
                if errors.len() > 1 {
                    format!(
                        " ({} in all)",
                        plural(errors.len(), "syntax error", "syntax errors")
                    )
                } else {
                    String::new()
                }
            ),
            evidence,
        );
    }
    if broken.len() > 20 {
        outcome
            .summary
            .push_str(&format!(" (20 listed, {} more)", broken.len() - 20));
    }
    outcome
}
