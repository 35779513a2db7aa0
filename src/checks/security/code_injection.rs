//! Judges whether Python code runs text as code: the `eval` and `exec` builtins
//! applied to something other than a string literal.

use crate::analyze::python::CallKind;
use crate::checks::python::{self, PyRef};
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.code-injection",
        category: Category::Security,
        title: "No eval or exec of data",
        summary: "No Python code calls the `eval` or `exec` builtins on anything but a string literal. A module's own function named `eval` is not the builtin; running a named source file (`exec(compile(source, path, \"exec\"))`) or code typed by the program's own user (stdin, `sys.argv`, `input()`) is not injection.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::M,
        rationale: "`eval` and `exec` run their argument as Python with the full power of the process: reading files, opening sockets, importing `os`. There is no sandboxing them — restricted `globals` are escaped through object attributes — so any part of the text that comes from a request, a file or a message is remote code execution.",
        remediation: "Parse data instead of running it: `ast.literal_eval` for Python literals, `json.loads` for JSON, a dispatch table (`{\"add\": operator.add}`) for operation names, `getattr` on a fixed object for attribute names. Code that must run configuration written in Python should load it from a path the deployer controls with `runpy`/`importlib`, never from request data.",
        action: "Replace eval/exec of data with parsing or a dispatch table",
        risk: "Remote code execution",
    },
    evaluate,
};

/// Where a command-line program reads code its own user typed.
const INVOKER: &[&str] = &["sys.stdin", "sys.argv", "input("];

/// Whether the call runs code that whoever starts the program already controls: a
/// named source file (`exec(compile(source, path, "exec"))`, what `import` and `runpy`
/// do — the trust question is who can write the file), or text from the program's own
/// command line or terminal (`sys.argv`, stdin, `input()`, a management command's
/// `options`), whose user can run Python anyway.
fn invoker_code(f: &PyRef<'_>, function: Option<usize>, line: u32, callee: &str) -> bool {
    let statement = sites::statement(f, line);
    let Some(first) = sites::arguments(&statement, callee).and_then(|a| a.first().copied()) else {
        return false;
    };
    if first.starts_with("compile(") {
        let filename = sites::arguments(first, "compile").and_then(|a| a.get(1).copied());
        // `"<string>"`-style names mark text that is not a file.
        if filename.is_some_and(|n| !(sites::is_string_literal(n) && n.contains('<'))) {
            return true;
        }
    }
    if INVOKER.iter().any(|m| first.contains(m)) {
        return true;
    }
    let name = f.py.functions.get(function.unwrap_or(usize::MAX));
    if name.is_some_and(|n| n.name == "handle")
        && (first.starts_with("options[") || first.starts_with("options.get("))
    {
        return true;
    }
    // A local bound from the terminal earlier in the function: `code = input()`.
    let identifier = first.chars().all(|c| c.is_alphanumeric() || c == '_');
    identifier
        && sites::function_before(f, function, line).lines().any(|l| {
            l.trim()
                .strip_prefix(first)
                .and_then(|rest| rest.trim_start().strip_prefix('='))
                .is_some_and(|value| INVOKER.iter().any(|m| value.contains(m)))
        })
}

/// Whether every name the code is built from was checked against an allow-list earlier
/// in the function, leaving it only when it is one of the listed values:
/// `if op not in OPERATORS: raise …` before `exec("x" + op + "y", g)`.
fn allow_listed(f: &PyRef<'_>, function: Option<usize>, line: u32, callee: &str) -> bool {
    let statement = sites::statement(f, line);
    let Some(first) = sites::arguments(&statement, callee).and_then(|a| a.first().copied()) else {
        return false;
    };
    // The names outside string literals.
    let mut names: Vec<String> = Vec::new();
    let mut quote: Option<char> = None;
    let mut word = String::new();
    for ch in first.chars().chain(std::iter::once(' ')) {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None if ch == '"' || ch == '\'' => quote = Some(ch),
            None if ch.is_alphanumeric() || ch == '_' || ch == '.' => word.push(ch),
            None => {
                if word
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                {
                    names.push(std::mem::take(&mut word));
                }
                word.clear();
            }
        }
    }
    if names.is_empty() {
        return false;
    }
    let before = sites::function_before(f, function, line);
    let lines: Vec<&str> = before.lines().map(str::trim).collect();
    // `if name not in ALLOWED:`, or for a method's result (`fileobj.read()`), a check
    // of another attribute of the same object (`if fileobj.name not in FILES:`).
    let guards = |condition: &str, name: &str| {
        let checked = condition.split_whitespace().next().unwrap_or("");
        // Only a file object's contents (`f.read`) checked by its name or path.
        let same_object = name
            .split_once('.')
            .filter(|(_, method)| matches!(*method, "read" | "getvalue"))
            .is_some_and(|(object, _)| {
                checked
                    .strip_prefix(object)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|attr| matches!(attr, "name" | "filename" | "path"))
            });
        (checked == name || same_object)
            && condition
                .get(checked.len()..)
                .is_some_and(|rest| rest.trim_start().starts_with("not in "))
    };
    names.iter().all(|name| {
        lines.iter().enumerate().any(|(i, l)| {
            l.strip_prefix("if ").is_some_and(|c| guards(c, name))
                && lines
                    .iter()
                    .skip(i + 1)
                    .find(|n| !n.is_empty())
                    .is_some_and(|n| n.starts_with("raise") || n.starts_with("return"))
        })
    })
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let mut found = Vec::new();
    for f in &files {
        for c in &f.py.calls {
            let CallKind::Eval { callee, tainted } = &c.kind else {
                continue;
            };
            // `compile` only builds a code object; what runs it is an `eval`/`exec`,
            // reported on its own (usually on the same line).
            if callee == "compile"
                || invoker_code(f, c.function, c.line, callee)
                || allow_listed(f, c.function, c.line, callee)
            {
                continue;
            }
            // Code built from what a caller passes in is the injection; code the module
            // computes itself is a weaker smell.
            let (severity, origin) = match tainted {
                Some(p) if sites::is_cli_command(f, c.function) => (
                    Severity::P2,
                    format!("from the command-line option `{p}`, the invoking user's own input"),
                ),
                Some(p) => (def.severity, format!("built from the parameter `{p}`")),
                None => (Severity::P2, "computed in the module".to_string()),
            };
            found.push(Site {
                file: *f,
                line: c.line,
                severity,
                what: format!("`{callee}` of data"),
                message: format!(
                    "`{callee}` runs its argument, which is not a string literal ({origin}), as Python code with the process's full privileges: if any of it can come from outside, so can arbitrary code. Parse the data instead (`ast.literal_eval`, `json.loads`, a dispatch table)."
                ),
                evidence: cx.at(f.path(), c.line),
            });
        }
    }
    sites::judge(
        def,
        files.len(),
        ("eval/exec call on data", "eval/exec calls on data"),
        found,
    )
}
