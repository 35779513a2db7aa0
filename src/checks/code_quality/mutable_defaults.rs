//! Judges whether Python functions take mutable default arguments (`def f(x=[])`),
//! which are created once and shared by every call.

use crate::analyze::python::{Default, Function, Param};
use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity, plural};
use crate::repo::RepoFile;
use regex::Regex;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.mutable-defaults",
        category: Category::CodeQuality,
        title: "No mutable default arguments",
        summary: "No function parameter defaults to a list, dict or set (`=[]`, `={}`, `=set()`, `=dict()`, `=list()`); `None`, tuples and frozensets are fine. P2 when the body modifies, returns or stores the default, P3 otherwise.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "A default value is evaluated once, when the `def` runs, and the same object is handed to every call that omits the argument. As soon as one call appends to it or stores it, the next call starts with that data: state leaks between requests and users, and the bug appears only after the first call, so unit tests that build fresh objects rarely catch it.",
        remediation: "Default to `None` and create the object in the body: `def f(items=None):` then `items = [] if items is None else items`. For a constant default, use an immutable value (a tuple, a frozenset, `types.MappingProxyType`). Ruff's B006 (flake8-bugbear) keeps new ones out.",
        action: "Replace mutable default arguments with None",
        risk: "State shared between calls",
    },
    evaluate,
};

/// Findings listed (one per function).
const LISTED: usize = 20;

/// One function with mutable defaults.
struct Flagged<'a> {
    file: PyRef<'a>,
    func: &'a Function,
    params: Vec<&'a Param>,
    /// Parameters the body modifies, returns or stores.
    shared: Vec<&'a str>,
}

/// Whether the body of `func` modifies `name` in place, returns it, yields it or stores
/// it (then the default object outlives the call).
fn shares(file: &RepoFile, func: &Function, name: &str) -> bool {
    let n = regex::escape(name);
    let pattern = format!(
        r"\b{n}\s*\.\s*(?:append|extend|insert|update|add|setdefault|pop|popitem|remove|discard|clear|sort|reverse)\s*\(|\b{n}\s*\[[^\]]*\]\s*(?:[-+*/|&^]?=[^=])|\b{n}\s*(?:\+=|-=|\|=|&=|\^=)|\bdel\s+{n}\s*\[|^\s*(?:return|yield)\s+{n}\s*$|[^=!<>]=\s*{n}\s*$"
    );
    let Ok(re) = Regex::new(&pattern) else {
        return true;
    };
    (func.line.saturating_add(1)..=func.end_line).any(|l| {
        let text = file.line(l);
        let code = text.split('#').next().unwrap_or("");
        re.is_match(code)
    })
}

/// The default as written on the parameter's line, when it fits there (`[]`,
/// `{"a": 1}`).
fn default_text<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let re = Regex::new(&format!(r"\b{}\s*(?::[^=]*)?=\s*", regex::escape(name))).ok()?;
    let at = re.find(line)?.end();
    let rest = line.get(at..)?;
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return rest.get(..=i);
                }
            }
            _ if depth == 0 && !c.is_alphanumeric() && c != '_' && c != '.' => return None,
            _ => {}
        }
    }
    None
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let functions: usize = files.iter().map(|f| f.py.functions.len()).sum();
    let mut found: Vec<Flagged<'_>> = Vec::new();
    for f in &files {
        for func in &f.py.functions {
            let params: Vec<&Param> = func
                .params
                .iter()
                .filter(|p| p.default == Some(Default::Mutable))
                // `# noqa` on the parameter: the authors accepted it.
                .filter(|p| !f.file.line(p.line).contains("noqa"))
                .collect();
            if params.is_empty() {
                continue;
            }
            let shared = params
                .iter()
                .filter(|p| shares(f.file, func, &p.name))
                .map(|p| p.name.as_str())
                .collect();
            found.push(Flagged {
                file: *f,
                func,
                params,
                shared,
            });
        }
    }
    let parameters: usize = found.iter().map(|x| x.params.len()).sum();
    if found.is_empty() {
        return Outcome::pass(format!(
            "no mutable default among {}",
            plural(functions, "function", "functions")
        ));
    }
    // Production first, then the defaults that are modified or kept.
    found.sort_by(|a, b| {
        (a.file.role, a.shared.is_empty(), a.file.path(), a.func.line).cmp(&(
            b.file.role,
            b.shared.is_empty(),
            b.file.path(),
            b.func.line,
        ))
    });
    let production: usize = found
        .iter()
        .filter(|x| x.file.role == Role::Production)
        .map(|x| x.params.len())
        .sum();
    // A default the body modifies or keeps is a bug waiting for its second call; one
    // it only reads is a hazard.
    let penalty: f64 = found
        .iter()
        .filter(|x| x.file.role == Role::Production)
        .map(|x| if x.shared.is_empty() { 0.05 } else { 0.15 })
        .sum();
    let score = 0.9 - penalty;
    let mut outcome = Outcome::scored(
        score.max(0.3),
        format!(
            "{} in {} with a mutable default ({production} in production code)",
            plural(parameters, "parameter", "parameters"),
            plural(found.len(), "function", "functions"),
        ),
    );
    for x in found.iter().take(LISTED) {
        let f = &x.file;
        let names: Vec<String> = x.params.iter().map(|p| format!("`{}`", p.name)).collect();
        let mut lines: Vec<u32> = x.params.iter().map(|p| p.line).collect();
        lines.dedup();
        let evidence = lines.iter().map(|&l| cx.at(f.path(), l)).collect();
        let first = x.params.first().map(|p| p.name.as_str()).unwrap_or("x");
        let first_line = x.params.first().map(|p| p.line).unwrap_or(x.func.line);
        let value = default_text(f.file.line(first_line), first)
            .filter(|v| v.len() <= 40)
            .unwrap_or("[]");
        let (severity, how) = if x.shared.is_empty() {
            (
                Severity::P3,
                "The body does not modify, return or store it, so it is harmless today, but one `append` away from leaking state between calls.".to_string(),
            )
        } else {
            let shared: Vec<String> = x.shared.iter().map(|n| format!("`{n}`")).collect();
            (
                def.severity,
                format!(
                    "The body modifies, returns or stores {}, so what one call leaves in it is seen by the next.",
                    shared.join(", ")
                ),
            )
        };
        outcome = outcome.concern_at(
            def,
            f.role.weigh(severity),
            format!(
                "{}() defaults {} to {}{}",
                x.func.qualname,
                names.join(", "),
                if names.len() > 1 {
                    "mutable values"
                } else {
                    "a mutable value"
                },
                f.role.suffix()
            ),
            format!(
                "{}:{first_line}: a default is created once, when `def {}` runs, and every call that omits the argument gets that same object. {how} Default to `None` and build it in the body: `{first} = {value} if {first} is None else {first}`.",
                f.path(),
                x.func.name,
            ),
            evidence,
        );
    }
    if found.len() > LISTED {
        outcome.summary.push_str(&format!(
            " ({LISTED} listed, {} more)",
            found.len() - LISTED
        ));
    }
    outcome
}
