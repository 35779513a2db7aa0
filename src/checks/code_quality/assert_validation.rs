//! Judges whether production Python code validates function arguments with `assert`,
//! which `python -O` removes.

use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};
use crate::repo::FileKind;
use regex::Regex;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.assert-validation",
        category: Category::CodeQuality,
        title: "Arguments are not validated with assert",
        summary: "Public production functions do not check their arguments with `assert`, which `python -O` strips; asserts on internal state (including attributes reached through an argument), in private or nested functions, at module level and in tests are fine.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "`assert` statements are removed when Python runs with `-O` or `PYTHONOPTIMIZE` (some container images and packagers set it), so a function that asserts on its arguments accepts anything there, and the bad value fails later, further from the caller. Even when asserts run, callers get an AssertionError rather than a TypeError or ValueError they can catch and understand.",
        remediation: "Check arguments with an explicit `if` and raise the exception that describes the problem: `if timeout <= 0: raise ValueError(f\"timeout must be positive, got {timeout}\")`. Keep `assert` for internal invariants that no caller can break.",
        action: "Replace argument asserts with explicit checks that raise",
        risk: "Validation skipped under -O",
    },
    evaluate,
};

/// Findings listed (one per file).
const LISTED: usize = 15;
/// Lines cited per file.
const CITED: usize = 5;

/// Whether the assert at `line` validates the argument `param` of a public function:
/// it tests the argument itself (`assert x > 0`, `assert isinstance(x, T)`), not the
/// state reached through it (`assert x.parent is not None`), in a function callers
/// outside the module can reach, and its message does not call it an internal check.
fn validates(f: &PyRef<'_>, line: u32, param: &str) -> bool {
    let Some(func) = f.py.function_at(line) else {
        return false;
    };
    let private = |name: &str| name.starts_with('_') && !name.ends_with("__");
    if !func.top_level || func.qualname.split('.').any(private) {
        return false;
    }
    let (test, message) = split_assert(&statement(f, line));
    if message.to_ascii_lowercase().contains("internal") {
        return false;
    }
    // The parameter as a whole value: not an attribute (`self.param`), and not
    // followed by `.` or `[`.
    let Ok(re) = Regex::new(&format!(
        r"(?:^|[^.\w])\s*{}\b\s*([.\[]?)",
        regex::escape(param)
    )) else {
        return false;
    };
    re.captures_iter(&test)
        .any(|c| c.get(1).is_none_or(|m| m.as_str().is_empty()))
}

/// The text of the assert statement at `line`, continued while brackets are open.
fn statement(f: &PyRef<'_>, line: u32) -> String {
    let mut text = String::new();
    let mut depth = 0i32;
    for n in line..line.saturating_add(15) {
        let l = f.file.line(n);
        let code = l.split('#').next().unwrap_or("");
        for c in code.chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
        }
        text.push_str(code.trim());
        text.push(' ');
        if depth <= 0 && !code.trim_end().ends_with('\\') {
            break;
        }
    }
    text
}

/// An assert statement split into its test and its message, at the first comma
/// outside brackets and strings.
fn split_assert(text: &str) -> (String, String) {
    let body = text.trim_start().strip_prefix("assert").unwrap_or(text);
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                let (test, message) = body.split_at(i);
                return (test.to_string(), message.to_string());
            }
            _ => {}
        }
    }
    (body.to_string(), String::new())
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    // Production source only: tests, examples, build scripts and docs configuration
    // run their asserts on purpose or never under -O.
    let files: Vec<_> = python::files(cx)
        .filter(|f| f.role == Role::Production && f.file.kind == FileKind::Source)
        .collect();
    if files.is_empty() {
        return Outcome::not_applicable("no production Python files");
    }
    let asserts: usize = files.iter().map(|f| f.py.asserts.len()).sum();
    let mut found: Vec<_> = files
        .iter()
        .map(|f| {
            let on_params: Vec<(u32, &str)> =
                f.py.asserts
                    .iter()
                    .filter_map(|a| a.on_param.as_deref().map(|p| (a.line, p)))
                    .filter(|&(line, param)| validates(f, line, param))
                    .collect();
            (f, on_params)
        })
        .filter(|(_, a)| !a.is_empty())
        .collect();
    if found.is_empty() {
        if asserts == 0 {
            return Outcome::pass("no asserts in production code");
        }
        return Outcome::pass(format!(
            "no argument checked by assert ({} in production code, none validating an argument)",
            plural(asserts, "assert", "asserts")
        ));
    }
    found.sort_by(|a, b| {
        (std::cmp::Reverse(a.1.len()), a.0.path()).cmp(&(std::cmp::Reverse(b.1.len()), b.0.path()))
    });
    let total: usize = found.iter().map(|(_, a)| a.len()).sum();
    let kloc = (cx.production_lines() as f64 / 1000.0).max(1.0);
    let density = total as f64 / kloc;
    let mut outcome = Outcome::scored(
        0.9 - 0.1 * density,
        format!(
            "{} on function parameters in {} ({density:.1} per 1,000 lines)",
            plural(total, "assert", "asserts"),
            plural(found.len(), "file", "files"),
        ),
    );
    for (f, on_params) in found.iter().take(LISTED) {
        let evidence: Vec<Evidence> = on_params
            .iter()
            .take(CITED)
            .map(|(l, _)| cx.at(f.path(), *l))
            .collect();
        let mut names: Vec<&str> = on_params.iter().map(|(_, p)| *p).collect();
        names.sort_unstable();
        names.dedup();
        let names: Vec<String> = names.iter().take(6).map(|n| format!("`{n}`")).collect();
        outcome = outcome.concern(
            def,
            format!(
                "{} validates {} with assert",
                f.path(),
                plural(on_params.len(), "argument", "arguments")
            ),
            format!(
                "{} checks {} with `assert` (first at line {}): under `python -O` these checks vanish and bad values pass through. Raise TypeError or ValueError explicitly instead.",
                f.path(),
                names.join(", "),
                on_params.first().map(|(l, _)| *l).unwrap_or(1)
            ),
            evidence,
        );
    }
    if found.len() > LISTED {
        outcome.summary.push_str(&format!(
            " ({LISTED} files listed, {} more)",
            found.len() - LISTED
        ));
    }
    outcome
}
