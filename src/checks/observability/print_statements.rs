//! Judges whether Python production code outside command-line modules reports through
//! `print()` instead of logging.

use std::collections::HashMap;

use crate::analyze::python::{CallKind, Function};
use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, ProjectKind, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "observability.print-statements",
        category: Category::Observability,
        title: "No print() in library and service code",
        summary: "Python production modules that are not command-line code (no argparse/click/typer, no `__main__` guard, not `cli.py`/`__main__.py`/`scripts/`/`commands/`, not a console-script function) do not call print(); tests and examples are exempt.",
        weight: 0.5,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P3,
            library: Some(Severity::P3),
        }),
        effort: Effort::S,
        rationale: "print() writes to whatever stdout is: in a service it bypasses log levels, timestamps, request context and the log pipeline, and under a process manager it may be buffered or dropped; in a library it writes into its caller's output, which the caller can neither silence nor redirect (a CLI piping JSON gets corrupted). `print(..., file=sys.stderr)` has the same problems. In command-line code printing is the interface, so CLI modules are not counted.",
        remediation: "Log through `logger = logging.getLogger(__name__)` at the right level (debug for tracing, warning for problems) and let the application configure handlers; use `warnings.warn` for deprecations aimed at developers. Where output is the point (a report, a `dump()`), write to a stream the caller passes in. Keep print() in the CLI layer.",
        action: "Replace print() in library/service modules with logging",
        risk: "Output that cannot be filtered, routed or silenced; lost diagnostics in production",
    },
    evaluate,
};

/// Path segments and file names of command-line code.
fn cli_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let dirs: Vec<&str> = path.split('/').rev().skip(1).collect();
    matches!(name, "cli.py" | "__main__.py")
        || dirs
            .iter()
            .any(|d| matches!(*d, "cli" | "scripts" | "bin" | "commands" | "__main__"))
}

/// Functions whose job is to print (`print_help`, `show`, `dump`, `report`), or whose
/// caller decides whether they print (a `verbose`/`verbosity`/`quiet` parameter):
/// output is part of their contract.
fn prints_by_design(function: &Function) -> bool {
    let name = function.name.to_ascii_lowercase();
    [
        "print", "show", "display", "echo", "dump", "usage", "report",
    ]
    .iter()
    .any(|w| name.contains(w))
        || function.params.iter().any(|p| {
            matches!(
                p.name.as_str(),
                "verbose" | "verbosity" | "quiet" | "silent"
            )
        })
}

/// A print the author has marked as deliberate for linters (`# noqa`, `# noqa: T201`).
fn suppressed(cx: &Context<'_>, f: &PyRef<'_>, line: u32) -> bool {
    let text = cx.line(f.path(), line);
    let Some((_, rest)) = text.split_once("# noqa") else {
        return false;
    };
    let rest = rest.trim_start();
    match rest.strip_prefix(':') {
        Some(codes) => codes.split([',', ' ']).any(|c| c.trim().starts_with("T20")),
        None => true,
    }
}

/// Whether a function reads from the terminal with the builtin `input()`: it is
/// interactive, and its prints are the other half of the conversation.
fn interactive(f: &PyRef<'_>, function: &Function) -> bool {
    let Some(text) = f.file.text() else {
        return false;
    };
    let (Some(start), end) = (
        f.file.index.start_of(function.line),
        f.file
            .index
            .start_of(function.end_line.saturating_add(1))
            .unwrap_or(text.len()),
    ) else {
        return false;
    };
    text.get(start..end).is_some_and(|body| {
        body.match_indices("input(").any(|(at, _)| {
            !body
                .get(..at)
                .and_then(|b| b.chars().next_back())
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        })
    })
}

/// A `__main__` guard the facts may not record: one combined with another condition
/// (`if sys.platform != "win32" and __name__ == "__main__":`).
fn has_main_guard(f: &PyRef<'_>) -> bool {
    f.py.main_guard.is_some()
        || f.file.text().is_some_and(|text| {
            text.lines().any(|l| {
                l.starts_with("if ")
                    && l.contains("__name__")
                    && (l.contains("\"__main__\"") || l.contains("'__main__'"))
            })
        })
}

/// A standalone script: outside any package, imported by no other module, serving
/// nothing, and printing at module level — its top-level code is the program.
fn is_script(cx: &Context<'_>, f: &PyRef<'_>) -> bool {
    let module_level_print =
        f.py.calls
            .iter()
            .any(|c| c.function.is_none() && matches!(c.kind, CallKind::Print { .. }));
    let dir = f.file.dir();
    let init = if dir.is_empty() {
        "__init__.py".to_string()
    } else {
        format!("{dir}/__init__.py")
    };
    module_level_print
        && f.py.routes.is_empty()
        && f.py.server_starts.is_empty()
        && cx.inventory.file(&init).is_none()
        && !cx.facts.python.fan_in.contains_key(&f.index)
}

/// Console-script entry points: file index → function qualnames.
fn entry_points(cx: &Context<'_>) -> HashMap<usize, Vec<String>> {
    let mut out: HashMap<usize, Vec<String>> = HashMap::new();
    for ep in cx
        .facts
        .manifests
        .iter()
        .flat_map(|m| m.entry_points.iter())
    {
        let target = ep.target.split('[').next().unwrap_or("").trim();
        let Some((module, function)) = target.split_once(':') else {
            continue;
        };
        if let Some(file) = cx.facts.python.modules.get(module.trim()) {
            out.entry(*file)
                .or_default()
                .push(function.trim().to_string());
        }
    }
    out
}

/// Whether a print's `file=` sends it somewhere other than the process's own
/// stdout/stderr: a stream the caller handed in, a file being written.
fn writes_to_caller_stream(cx: &Context<'_>, f: &PyRef<'_>, line: u32) -> bool {
    python::call_args(cx, f.path(), line, "print")
        .and_then(|args| python::keyword_arg(args, "file"))
        .is_some_and(|target| !matches!(target, "sys.stdout" | "sys.stderr"))
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    // Prints in tests and examples are how they talk to their reader: never counted.
    let files: Vec<PyRef<'_>> = python::files(cx)
        .filter(|f| f.role == Role::Production)
        .collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python production code");
    }
    let entries = entry_points(cx);
    let mut in_cli = 0usize;
    let mut modules = 0usize;
    let mut flagged: Vec<(PyRef<'_>, Vec<u32>)> = Vec::new();
    for f in &files {
        let py = f.py;
        // A module that defines its own `print` calls that, not the builtin.
        let own_print = py
            .functions
            .iter()
            .any(|d| d.top_level && !d.is_method && d.name == "print");
        let cli_module = py.cli_framework
            || cli_path(f.path())
            || own_print
            || has_main_guard(f)
            || is_script(cx, f);
        let eps = entries.get(&f.index);
        let mut lines = Vec::new();
        // Whether each function prints by design, worked out once per function.
        let mut by_design: std::collections::HashMap<(u32, u32), bool> =
            std::collections::HashMap::new();
        for c in &py.calls {
            let CallKind::Print { stream } = c.kind else {
                continue;
            };
            let enclosing: Vec<&Function> = py
                .functions
                .iter()
                .filter(|d| d.line <= c.line && c.line <= d.end_line)
                .collect();
            let entry_point =
                eps.is_some_and(|names| enclosing.iter().any(|d| names.contains(&d.qualname)));
            if cli_module || entry_point {
                in_cli += 1;
                continue;
            }
            if enclosing.iter().any(|d| {
                *by_design
                    .entry((d.line, d.end_line))
                    .or_insert_with(|| prints_by_design(d) || interactive(f, d))
            }) || (stream && writes_to_caller_stream(cx, f, c.line))
                || suppressed(cx, f, c.line)
            {
                continue;
            }
            lines.push(c.line);
        }
        if !cli_module {
            modules += 1;
        }
        if !lines.is_empty() {
            flagged.push((*f, lines));
        }
    }
    let what = match cx.kind {
        ProjectKind::Library => "library module",
        ProjectKind::Cli => "non-CLI module",
        _ => "module",
    };
    if flagged.is_empty() {
        let summary = if in_cli > 0 {
            format!(
                "no print() outside command-line code ({} there)",
                plural(in_cli, "call", "calls")
            )
        } else {
            "no print() in production code".to_string()
        };
        return Outcome::pass(summary);
    }
    let count: usize = flagged.iter().map(|(_, l)| l.len()).sum();
    let share = flagged.len() as f64 / modules.max(1) as f64;
    let mut outcome = Outcome::scored(
        // A print is a nuisance, not a defect: never worse than partial.
        (1.0 - share).clamp(0.5, 0.75),
        format!(
            "{} in {}",
            plural(count, "print() call", "print() calls"),
            plural(flagged.len(), what, &format!("{what}s"))
        ),
    );
    let severity = def.severity_for(cx.kind);
    flagged.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.path().cmp(b.0.path())));
    let total = flagged.len();
    for (f, lines) in flagged.iter().take(20) {
        let shown: Vec<String> = lines.iter().take(5).map(u32::to_string).collect();
        outcome = outcome.concern_at(
            def,
            severity,
            format!(
                "{} in {}",
                plural(lines.len(), "print() call", "print() calls"),
                f.path()
            ),
            format!(
                "{} prints to the process's stdout/stderr (line{} {}{}) instead of logging: the output cannot be levelled, routed or silenced by whoever runs or imports it.",
                f.path(),
                if lines.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if lines.len() > 5 { ", …" } else { "" }
            ),
            lines.iter().take(5).map(|l| cx.at(f.path(), *l)).collect(),
        );
    }
    if total > 20 {
        outcome
            .summary
            .push_str(&format!(" (20 listed, {} more)", total - 20));
    }
    outcome
}
