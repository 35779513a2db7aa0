//! What the Python security checks share: one finding per dangerous site, weighed by
//! where its code runs, listed up to a cap, and a status decided by the worst finding
//! in production code.

use crate::checks::python::{self, PyRef, Role};
use crate::checks::{CheckDef, Outcome};
use crate::model::{Evidence, Severity, plural};

/// Sites listed one by one; the rest are counted in the summary.
const LISTED: usize = 20;

/// One dangerous call or literal.
pub(crate) struct Site<'a> {
    pub file: PyRef<'a>,
    pub line: u32,
    /// Severity in production code, before weighing by role.
    pub severity: Severity,
    /// What the site is, without its place (`"Shell command built from data"`).
    pub what: String,
    /// What the code does and why it is dangerous.
    pub message: String,
    pub evidence: Evidence,
}

impl Site<'_> {
    fn weighed(&self) -> Severity {
        if self.acknowledged() {
            return Severity::P3;
        }
        self.file.role.weigh(self.severity)
    }

    /// The authors marked the line as reviewed for a security linter (`# nosec`,
    /// `# noqa: S…`): still listed, at the lowest severity.
    fn acknowledged(&self) -> bool {
        let line = self.file.file.line(self.line);
        let Some((_, comment)) = line.split_once('#') else {
            return false;
        };
        let c = comment.to_ascii_lowercase();
        c.contains("nosec") || c.contains("noqa: s") || c.contains("noqa:s")
    }
}

/// How sites are counted: (`"shell command built from data"`, `"shell commands built
/// from data"`).
pub(crate) type Noun = (&'static str, &'static str);

/// The outcome for a check's sites across `files` parsed Python files: fail when
/// production code has a P0/P1 site, partial when every site is lower or outside
/// production code, pass when there are none.
pub(crate) fn judge(def: &CheckDef, files: usize, noun: Noun, mut sites: Vec<Site<'_>>) -> Outcome {
    if sites.is_empty() {
        return Outcome::pass(format!(
            "no {} in {}",
            noun.1,
            plural(files, "Python file", "Python files")
        ));
    }
    sites.sort_by(|a, b| {
        (a.weighed(), a.file.role, a.file.path(), a.line).cmp(&(
            b.weighed(),
            b.file.role,
            b.file.path(),
            b.line,
        ))
    });
    let production: Vec<&Site<'_>> = sites
        .iter()
        .filter(|s| s.file.role == Role::Production)
        .collect();
    let summary = format!(
        "{} ({} in production code)",
        plural(sites.len(), noun.0, noun.1),
        production.len()
    );
    let mut outcome = if production.iter().any(|s| s.weighed() <= Severity::P1) {
        Outcome::fail(summary)
    } else if production.is_empty() {
        Outcome::partial(0.8, summary)
    } else {
        Outcome::partial(0.6, summary)
    };
    let total = sites.len();
    for s in sites.into_iter().take(LISTED) {
        let severity = s.weighed();
        let note = if s.acknowledged() {
            " (marked reviewed: nosec/noqa)"
        } else {
            ""
        };
        outcome = outcome.concern_at(
            def,
            severity,
            format!(
                "{} at {}:{}{}{note}",
                s.what,
                s.file.path(),
                s.line,
                s.file.role.suffix()
            ),
            s.message,
            vec![s.evidence],
        );
    }
    if total > LISTED {
        outcome
            .summary
            .push_str(&format!(" ({LISTED} listed, {} more)", total - LISTED));
    }
    outcome
}

/// Whether the function is a command of a command-line framework (click, typer):
/// its parameters are the invoking user's own options, not outside input.
pub(crate) fn is_cli_command(file: &PyRef<'_>, function: Option<usize>) -> bool {
    function
        .and_then(|i| file.py.functions.get(i))
        .is_some_and(|f| {
            f.decorators.iter().any(|d| {
                d.starts_with("click.") || d.starts_with("typer.") || d.ends_with(".command")
            })
        })
}

/// Whether the file is a command-line script: it declares commands of a command-line
/// framework (click, typer) or runs under a `__main__` guard, and starts with a
/// shebang or has a name no `import` can use (`update-data.py`). Its functions' parameters come from the person running it.
pub(crate) fn is_cli_script(file: &PyRef<'_>) -> bool {
    // A file no `import` statement can name (`update-data.py`) and that serves no
    // routes runs as a script.
    let unimportable = file
        .file
        .name()
        .strip_suffix(".py")
        .is_some_and(|stem| stem.contains('-'))
        && file.py.routes.is_empty()
        && file.py.server_starts.is_empty();
    let shebang = file.file.line(1).starts_with("#!") || unimportable;
    let commands = file.py.functions.iter().any(|f| {
        f.decorators
            .iter()
            .any(|d| d.starts_with("click.") || d.starts_with("typer.") || d.ends_with(".command"))
    });
    shebang && (commands || file.py.main_guard.is_some())
}

/// Longest statement read, in lines.
const STATEMENT_LINES: u32 = 40;
/// Longest stretch of a function read before a call, in lines.
const FUNCTION_LINES: u32 = 300;

/// The text of the statement that starts at `line`: that line and the following ones
/// until its brackets balance. Brackets inside strings are counted too; in the code
/// this reads they come in pairs.
pub(crate) fn statement(file: &PyRef<'_>, line: u32) -> String {
    let mut text = String::new();
    let mut depth = 0i64;
    for n in line..line.saturating_add(STATEMENT_LINES) {
        let l = file.file.line(n);
        for c in l.chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
        }
        text.push_str(l);
        text.push('\n');
        if depth <= 0 || (l.is_empty() && file.file.line(n + 1).is_empty()) {
            break;
        }
    }
    text
}

/// The text of the enclosing function from its first line up to (not including)
/// `line`; empty at module level.
pub(crate) fn function_before(file: &PyRef<'_>, function: Option<usize>, line: u32) -> String {
    let Some(f) = function.and_then(|i| file.py.functions.get(i)) else {
        return String::new();
    };
    let start = f.line.max(line.saturating_sub(FUNCTION_LINES));
    (start..line)
        .map(|n| file.file.line(n))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The arguments of the first call to `name` in `text`, split at top-level commas and
/// trimmed: `arguments("x = f(a, g(b, c))", "f")` is `["a", "g(b, c)"]`. `None` when
/// `text` has no such call. The name must not continue a longer identifier
/// (`myeval(` is not `eval(`).
pub(crate) fn arguments<'t>(text: &'t str, name: &str) -> Option<Vec<&'t str>> {
    let body = text.get(python::call_open(text, name)?..)?;
    // A statement cut short still yields the arguments it shows.
    Some(python::split_args(
        python::inside_parens(body).unwrap_or(body),
    ))
}

/// Whether an argument's text is a plain string literal (not an f-string), bytes
/// included: `"…"`, `b'…'`, `r"""…"""`.
pub(crate) fn is_string_literal(arg: &str) -> bool {
    let body = arg.trim_start_matches(['b', 'B', 'r', 'R', 'u', 'U']);
    arg.len() - body.len() <= 2 && (body.starts_with('"') || body.starts_with('\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_arguments_of_a_named_call() {
        assert_eq!(
            arguments("x = f(a, g(b, c), 'd, e')", "f"),
            Some(vec!["a", "g(b, c)", "'d, e'"])
        );
        assert_eq!(arguments("myeval(x) or eval(y)\n", "eval"), Some(vec!["y"]));
        assert_eq!(arguments("load(\n    path,\n)", "load"), Some(vec!["path"]));
        assert_eq!(arguments("nothing here", "eval"), None);
    }

    #[test]
    fn recognises_string_literals() {
        assert!(is_string_literal("\"\"\"\\\n a: 1\"\"\""));
        assert!(is_string_literal("b'\\x80'"));
        assert!(!is_string_literal("f\"{x}\""));
        assert!(!is_string_literal("data"));
        assert!(!is_string_literal("bytes_value"));
    }
}
