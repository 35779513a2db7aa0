//! Judges whether request handlers open, send or delete files at paths taken from
//! the request without keeping them inside a directory.

use crate::analyze::python::{Call, CallKind, Function, PyFile};
use crate::checks::python;
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.path-traversal",
        category: Category::Security,
        title: "Request paths stay inside their directory",
        summary: "No HTTP handler (a routed function, or in a service a view taking `request`) opens, sends or deletes a file at a path built from one of its parameters without a containment check (`resolve()` + `is_relative_to`, `safe_join`, `secure_filename`, `basename`). A library function opening the path its caller gives is its API and is not judged.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "A file name from a URL or form is attacker-chosen: `../../etc/passwd`, an absolute path, or a symlink walks out of the upload directory and reads (or, with `rmtree`, deletes) any file the process can reach — configuration, keys, other users' data.",
        remediation: "Resolve the joined path and refuse it unless it stays under the base directory: `p = (BASE / name).resolve(); if not p.is_relative_to(BASE.resolve()): abort(404)`. Flask's `send_from_directory` / `werkzeug.utils.safe_join` and Starlette's `StaticFiles` do this for you; `secure_filename` suits names of uploads being saved. Better still, look files up by an id in a table rather than by a name from the request.",
        action: "Check that request-supplied paths stay inside their base directory",
        risk: "Path traversal",
    },
    evaluate,
};

/// Parameter names that carry a file name or path.
const PATHISH: &[&str] = &[
    "path",
    "file",
    "fname",
    "name",
    "dir",
    "folder",
    "doc",
    "attachment",
    "image",
    "asset",
    "resource",
    "download",
    "upload",
];

/// Why the function's parameters come from a request, when they do.
fn handler(
    py: &PyFile,
    index: usize,
    function: &Function,
    param: &str,
    service: bool,
) -> Option<&'static str> {
    if py.routes.iter().any(|r| r.function == Some(index)) {
        return Some("a routed HTTP handler");
    }
    // A view receives the request first (`def view(request, …)`, `def get(self,
    // request, …)`); `request=None` further on is a helper's optional context
    // (`render_to_string(template_name, context=None, request=None)`).
    // Pyramid's views take `(context, request)`.
    let takes_request = function
        .params
        .iter()
        .filter(|p| p.name != "self" && p.name != "cls" && p.name != "context")
        .take(1)
        .any(|p| matches!(p.name.as_str(), "request" | "req") && p.default.is_none());
    let lower = param.to_ascii_lowercase();
    let pathish = PATHISH.iter().any(|w| lower.contains(w));
    (service && takes_request && pathish && !function.name.starts_with('_'))
        .then_some("a view that takes the request")
}

fn verb(callee: &str) -> &'static str {
    match callee {
        "pathlib.Path" => "builds a path from",
        "shutil.rmtree" => "deletes the directory tree at",
        "flask.send_file"
        | "starlette.responses.FileResponse"
        | "fastapi.responses.FileResponse" => "sends the file at",
        _ => "opens the file at",
    }
}

fn site<'a>(cx: &Context<'_>, f: python::PyRef<'a>, c: &Call) -> Option<Site<'a>> {
    let CallKind::PathFromParam { callee, param } = &c.kind else {
        return None;
    };
    let index = c.function?;
    let function = f.py.functions.get(index)?;
    let why = handler(f.py, index, function, param, cx.kind.is_service())?;
    if pinned_to_literal(f, function, param, c.line) {
        return None;
    }
    Some(Site {
        file: f,
        line: c.line,
        severity: CHECK.def.severity,
        what: "Path from the request used unchecked".to_string(),
        message: format!(
            "`{}` is {why}, and `{callee}` {} its parameter `{param}` with no check that the path stays inside a base directory: `../` or an absolute path reaches any file the process can. Resolve the path and verify it is under the base directory (`is_relative_to`, `safe_join`, `send_from_directory`).",
            function.qualname,
            verb(callee),
        ),
        evidence: cx.at(f.path(), c.line),
    })
}

/// Whether the call sits inside an `if` that compares the parameter with a string
/// literal (`if book_format.upper() == 'TXT':`): there it can only be that literal.
fn pinned_to_literal(f: python::PyRef<'_>, function: &Function, param: &str, line: u32) -> bool {
    let Some(text) = f.file.text() else {
        return false;
    };
    let indent = |l: &str| l.len() - l.trim_start().len();
    let lines: Vec<&str> = text
        .lines()
        .skip(usize::try_from(function.line).unwrap_or(usize::MAX))
        .take(usize::try_from(line.saturating_sub(function.line)).unwrap_or(0))
        .collect();
    let Some(call) = lines.last() else {
        return false;
    };
    let mut depth = indent(call);
    // Walk up from the call through the blocks that enclose it.
    for l in lines.iter().rev().skip(1) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') || indent(l) >= depth {
            continue;
        }
        depth = indent(l);
        let condition = t.strip_prefix("if ").or_else(|| t.strip_prefix("elif "));
        if let Some(cond) = condition.and_then(|c| c.strip_suffix(':')) {
            // One literal on the right (`'TXT'`, not `'TXT' or allow_any`), in a
            // condition with no `or`.
            let one_literal = |right: &str| {
                let right = right.trim();
                let quote = right.chars().next();
                matches!(quote, Some('"' | '\''))
                    && right.len() >= 2
                    && right.chars().last() == quote
                    && right.chars().filter(|c| Some(*c) == quote).count() == 2
            };
            let compares = !cond.contains(" or ")
                && cond.split(" and ").any(|part| {
                    let Some((left, right)) = part.split_once("==") else {
                        return false;
                    };
                    let left = left.trim();
                    let subject = left.split('.').next().unwrap_or(left);
                    subject == param && one_literal(right)
                });
            if compares {
                return true;
            }
        }
        if depth == 0 {
            break;
        }
    }
    false
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let found = files
        .iter()
        .flat_map(|f| f.py.calls.iter().filter_map(|c| site(cx, *f, c)))
        .collect();
    sites::judge(
        def,
        files.len(),
        (
            "request path used without a containment check",
            "request paths used without a containment check",
        ),
        found,
    )
}
