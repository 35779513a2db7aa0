//! Judges whether any f-string puts an expression inside its format spec, where Python
//! reads it as a (then invalid) format specifier and raises `ValueError` every time.

use crate::checks::python::{self, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.format-spec-errors",
        category: Category::CodeQuality,
        title: "No expressions inside f-string format specs",
        summary: "No f-string replacement field carries an expression after its `:` (`f\"{x:.2f if x else 'n/a'}\"`), which raises ValueError whenever the line runs.",
        weight: 1.0,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "Everything after the `:` of an f-string field is handed to `format()` as the format specifier, so `f\"{x:.2f if x else 'n/a'}\"` asks for the specifier `.2f if x else 'n/a'` and raises `ValueError: Invalid format specifier` on every execution, whatever `x` is. The mistake parses, passes linters, and usually sits on a rarely run path (an error message, a report, a fallback), so it is found in production by the crash that replaces the message.",
        remediation: "Move the condition out of the format spec: `f\"{x:.2f}\" if x is not None else \"n/a\"`, or give the field one value and a plain spec: `f\"{(x or 0):.2f}\"`. Add a test that executes the line.",
        action: "Move conditional expressions out of f-string format specs",
        risk: "Crash on the affected path",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let mut bad: Vec<_> = files
        .iter()
        .flat_map(|f| f.py.bad_format_specs.iter().map(move |b| (f, b)))
        .collect();
    if bad.is_empty() {
        return Outcome::pass(format!(
            "no invalid format spec in {}",
            plural(files.len(), "Python file", "Python files")
        ));
    }
    bad.sort_by(|a, b| (a.0.role, a.0.path(), a.1.line).cmp(&(b.0.role, b.0.path(), b.1.line)));
    let production = bad.iter().filter(|b| b.0.role == Role::Production).count();
    let score = if production > 0 { 0.0 } else { 0.5 };
    let mut outcome = Outcome::scored(
        score,
        format!(
            "{} with an expression in the format spec ({production} in production code)",
            plural(bad.len(), "f-string field", "f-string fields")
        ),
    );
    for (f, b) in bad.iter().take(20) {
        let spec = b.spec.trim();
        // The standard part of the spec, before the expression begins.
        let plain = b.spec.split(char::is_whitespace).next().unwrap_or("");
        let field = if plain.is_empty() {
            String::new()
        } else {
            format!(":{plain}")
        };
        let keep = if plain.is_empty() {
            "Drop the spec".to_string()
        } else {
            format!("Keep the spec to `{plain}`")
        };
        outcome = outcome.concern_at(
            def,
            f.role.weigh(def.severity),
            format!(
                "{}:{} raises ValueError: format spec holds an expression{}",
                f.path(),
                b.line,
                f.role.suffix()
            ),
            format!(
                "Everything after the `:` is the format spec, here `{spec}`: an expression, not a format specifier, so this f-string raises `ValueError: Invalid format specifier` every time the line runs. {keep} and move the condition outside the field (`f\"{{x{field}}}\" if x else \"N/A\"`), or inside it (`f\"{{(x if x else 0){field}}}\"`)."
            ),
            vec![cx.at(f.path(), b.line)],
        );
    }
    if bad.len() > 20 {
        outcome
            .summary
            .push_str(&format!(" (20 listed, {} more)", bad.len() - 20));
    }
    outcome
}
