//! Judges whether production Python functions stay within the policy's limits on
//! McCabe complexity, length and block nesting.

use crate::analyze::python::{Function, PyFile};
use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::config::Thresholds;
use crate::model::{Category, Effort, Evidence, Location, Severity, group_digits, plural};
use crate::repo::{FileKind, RepoFile};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "architecture.complex-functions",
        category: Category::Architecture,
        title: "Functions stay simple",
        summary: "Production Python functions stay under the policy's limits: McCabe complexity 15, 100 lines of code in the body (signature, docstrings, comments and nested definitions excluded), nesting depth 5 (thresholds.max_function_complexity, max_function_lines, max_nesting). Scored by the share of functions over.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::M,
        rationale: "Complexity counts the independent paths through a function; past about 15, no one holds them all in mind, tests cover a fraction of them, and defects cluster there (McCabe's limit was 10). Very long or deeply nested functions hide the same problem. They are where a reviewer expects bugs and where every change is riskiest, so they are worth knowing by name even when the rest of the code is clean.",
        remediation: "Start with the worst functions listed. Extract the body of each branch or loop into a named helper, replace long `if/elif` chains on a value with a dispatch table, return early instead of nesting, and move validation into its own function. Add tests around a function before restructuring it. Parsers and state machines can be legitimately complex: raise the thresholds in greenlight.toml, or suppress the finding for that path with a reason.",
        action: "Break up the most complex functions",
        risk: "Maintainability and defect density",
    },
    evaluate,
};

/// Findings listed: the worst functions.
const LISTED: usize = 10;

/// One function with its measures.
struct Measured<'a> {
    file: PyRef<'a>,
    func: &'a Function,
    /// Lines of code in the body.
    lines: u32,
}

impl Measured<'_> {
    fn complex(&self, t: &Thresholds) -> bool {
        self.func.complexity > t.max_function_complexity
    }

    fn long(&self, t: &Thresholds) -> bool {
        self.lines > t.max_function_lines
    }

    fn deep(&self, t: &Thresholds) -> bool {
        self.func.nesting > t.max_nesting
    }

    fn over(&self, t: &Thresholds) -> bool {
        self.complex(t) || self.long(t) || self.deep(t)
    }

    /// The largest ratio of a measure to its limit.
    fn badness(&self, t: &Thresholds) -> f64 {
        ratio(self.func.complexity, t.max_function_complexity)
            .max(ratio(self.lines, t.max_function_lines))
            .max(ratio(self.func.nesting, t.max_nesting))
    }

    /// `complexity 42 (limit 15), 180 lines of code (limit 100)`: the measures over
    /// their limits.
    fn figures(&self, t: &Thresholds) -> String {
        let mut parts = Vec::new();
        if self.complex(t) {
            parts.push(format!(
                "complexity {} (limit {})",
                self.func.complexity, t.max_function_complexity
            ));
        }
        if self.long(t) {
            parts.push(format!(
                "{} lines of code (limit {})",
                self.lines, t.max_function_lines
            ));
        }
        if self.deep(t) {
            parts.push(format!(
                "nesting {} (limit {})",
                self.func.nesting, t.max_nesting
            ));
        }
        parts.join(", ")
    }
}

fn ratio(value: u32, limit: u32) -> f64 {
    f64::from(value) / f64::from(limit.max(1))
}

/// Lines of code in a function's body: after the signature (which in some APIs holds
/// hundreds of lines of parameter documentation), without blank lines, comments, lines
/// wholly inside string literals (docstrings) and the definitions nested in it (`skip`,
/// measured on their own).
fn body_lines(file: &RepoFile, func: &Function, skip: &[(u32, u32)]) -> u32 {
    let (Some(text), Some(start)) = (file.text(), file.index.start_of(func.line)) else {
        return func.length();
    };
    let end = file
        .index
        .start_of(func.end_line.saturating_add(1))
        .unwrap_or(text.len());
    let Some(src) = text.get(start..end) else {
        return func.length();
    };
    let bytes = src.as_bytes();
    let mut line = func.line;
    let mut count = 0u32;
    let mut depth = 0i32;
    // (quote, triple)
    let mut string: Option<(u8, bool)> = None;
    let mut comment = false;
    let mut in_body = false;
    let mut code = false;
    let mut i = 0usize;
    let counted = |line: u32| !skip.iter().any(|&(a, b)| a <= line && line <= b);
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b == b'\n' {
            if in_body && code && counted(line) {
                count += 1;
            }
            line += 1;
            code = false;
            comment = false;
            if matches!(string, Some((_, false))) {
                string = None;
            }
            continue;
        }
        if comment {
            continue;
        }
        if let Some((q, triple)) = string {
            if b == b'\\' && bytes.get(i) != Some(&b'\n') {
                i += 1;
            } else if b == q {
                if !triple {
                    string = None;
                } else if bytes.get(i) == Some(&q) && bytes.get(i + 1) == Some(&q) {
                    string = None;
                    i += 2;
                }
            }
            continue;
        }
        match b {
            b'#' => comment = true,
            b'"' | b'\'' => {
                let triple = bytes.get(i) == Some(&b) && bytes.get(i + 1) == Some(&b);
                if triple {
                    i += 2;
                }
                string = Some((b, triple));
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                code = true;
            }
            b')' | b']' | b'}' => {
                depth -= 1;
                code = true;
            }
            b':' if !in_body && depth == 0 => {
                // The signature ends here; what follows on this line is body.
                in_body = true;
                code = false;
            }
            b' ' | b'\t' | b'\r' | b'\\' => {}
            _ => code = true,
        }
    }
    if in_body && code && counted(line) {
        count += 1;
    }
    count
}

/// Definitions nested inside `func`: (first line, last line).
fn nested(py: &PyFile, func: &Function) -> Vec<(u32, u32)> {
    // Definitions are recorded in source order: those nested in `func` start in
    // (func.line, func.end_line], found by binary search rather than a scan.
    fn starting_within<T>(items: &[T], line: impl Fn(&T) -> u32, from: u32, to: u32) -> &[T] {
        let start = items.partition_point(|i| line(i) <= from);
        let end = items.partition_point(|i| line(i) <= to);
        items.get(start..end.max(start)).unwrap_or(&[])
    }
    let inside = |line: u32, end: u32| line > func.line && end <= func.end_line;
    starting_within(&py.functions, |f| f.line, func.line, func.end_line)
        .iter()
        .filter(|f| inside(f.line, f.end_line))
        .map(|f| (f.line, f.end_line))
        .chain(
            starting_within(&py.classes, |c| c.line, func.line, func.end_line)
                .iter()
                .filter(|c| inside(c.line, c.end_line))
                .map(|c| (c.line, c.end_line)),
        )
        .collect()
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let t = &cx.policy.thresholds;
    let files: Vec<_> = python::files(cx)
        .filter(|f| f.role == Role::Production && f.file.kind == FileKind::Source)
        .collect();
    let measured: Vec<Measured<'_>> = files
        .iter()
        .flat_map(|f| {
            f.py.functions.iter().map(move |func| Measured {
                file: *f,
                func,
                lines: body_lines(f.file, func, &nested(f.py, func)),
            })
        })
        .collect();
    let functions = measured.len();
    if functions == 0 {
        return Outcome::not_applicable("no functions in production Python code");
    }
    let limits = format!(
        "complexity {}, {} lines of code, nesting {}",
        t.max_function_complexity, t.max_function_lines, t.max_nesting
    );
    let mut over: Vec<&Measured<'_>> = measured.iter().filter(|m| m.over(t)).collect();
    if over.is_empty() {
        let detail = measured
            .iter()
            .max_by_key(|m| m.func.complexity)
            .map(|m| {
                format!(
                    "; most complex is {} ({}:{}, complexity {})",
                    m.func.qualname,
                    m.file.path(),
                    m.func.line,
                    m.func.complexity
                )
            })
            .unwrap_or_default();
        return Outcome::pass(format!(
            "all {} within the limits ({limits}){detail}",
            plural(functions, "function", "functions")
        ));
    }
    over.sort_by(|a, b| {
        b.badness(t)
            .total_cmp(&a.badness(t))
            .then(a.file.path().cmp(b.file.path()))
            .then(a.func.line.cmp(&b.func.line))
    });
    let complex = over.iter().filter(|m| m.complex(t)).count();
    let long = over.iter().filter(|m| m.long(t)).count();
    let deep = over.iter().filter(|m| m.deep(t)).count();
    let very = over
        .iter()
        .filter(|m| m.func.complexity > 2 * t.max_function_complexity)
        .count();
    let fraction = over.len() as f64 / functions as f64;
    let mut summary = format!(
        "{} of {} functions ({:.1}%) over the limits ({limits}): {complex} too complex ({very} over twice the limit), {long} too long, {deep} too deeply nested",
        over.len(),
        group_digits(functions),
        fraction * 100.0,
    );
    if over.len() > LISTED {
        summary.push_str(&format!("; the {LISTED} worst listed"));
    }
    let mut outcome = Outcome::scored(1.0 - 8.0 * fraction, summary);
    for m in over.iter().take(LISTED) {
        let f = m.func;
        let severity = if f.complexity > 2 * t.max_function_complexity {
            Severity::P2
        } else {
            Severity::P3
        };
        let path = m.file.path();
        let head = cx.line(path, f.line);
        outcome = outcome.concern_at(
            def,
            severity,
            format!("{} in {path}: {}", f.qualname, m.figures(t)),
            format!(
                "{}() at {path}:{}-{}: complexity {}, {} lines of code in its body, nesting depth {} (limits: {limits}).",
                f.qualname, f.line, f.end_line, f.complexity, m.lines, f.nesting,
            ),
            vec![Evidence::At(Location::span(path, f.line, f.end_line, &head))],
        );
    }
    outcome
}
