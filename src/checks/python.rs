//! What the Python checks share: the parsed files with their role, and how findings
//! in test, fixture and example code are labelled and weighed (one severity level
//! lower than the same finding in production code).

use crate::analyze::python::PyFile;
use crate::checks::Context;
use crate::model::Severity;
use crate::repo::{FileKind, RepoFile};

/// Where a file's code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Production,
    Test,
    /// Fixtures, examples, samples, demos.
    Example,
}

impl Role {
    pub fn of(file: &RepoFile) -> Role {
        match file.kind {
            FileKind::Test => Role::Test,
            FileKind::Fixture => Role::Example,
            _ => Role::Production,
        }
    }

    /// `" (test code)"` and the like, for titles; empty for production code.
    pub fn suffix(self) -> &'static str {
        match self {
            Role::Production => "",
            Role::Test => " (test code)",
            Role::Example => " (example/fixture code)",
        }
    }

    /// A severity weighed by role: one level lower outside production code.
    pub fn weigh(self, severity: Severity) -> Severity {
        if self == Role::Production {
            return severity;
        }
        match severity {
            Severity::P0 => Severity::P1,
            Severity::P1 => Severity::P2,
            Severity::P2 | Severity::P3 => Severity::P3,
        }
    }
}

/// A schema migration (`migrations/0003_x.py`, `alembic/versions/x.py`): run once by
/// the deployment with values the migration itself chooses, never with a request's.
pub fn is_migration(path: &str) -> bool {
    // A module of numbered migration functions (`migrations.py`: `m001_initial(db)`).
    if path.rsplit('/').next() == Some("migrations.py") {
        return true;
    }
    let dirs: Vec<&str> = path.split('/').collect();
    let n = dirs.len().saturating_sub(1);
    let dirs = dirs.get(..n).unwrap_or(&[]);
    dirs.iter()
        .any(|d| matches!(*d, "migrations" | "migration" | "alembic"))
        || dirs
            .windows(2)
            .any(|w| matches!(w, [_, "versions"]) && dirs.contains(&"alembic"))
}

/// One parsed Python file.
#[derive(Clone, Copy)]
pub struct PyRef<'a> {
    /// Index into `Inventory::files`.
    pub index: usize,
    pub file: &'a RepoFile,
    pub py: &'a PyFile,
    pub role: Role,
}

impl PyRef<'_> {
    pub fn path(&self) -> &str {
        &self.file.path
    }
}

/// Every parsed Python file (source, test, fixture), in inventory order.
pub fn files<'a>(cx: &'a Context<'_>) -> impl Iterator<Item = PyRef<'a>> + 'a {
    cx.facts.sources.iter().filter_map(|s| {
        let py = s.python.as_deref()?;
        let file = cx.inventory.files.get(s.file)?;
        Some(PyRef {
            index: s.file,
            file,
            py,
            role: Role::of(file),
        })
    })
}

/// Whether the repository has Python code at all.
pub fn any(cx: &Context<'_>) -> bool {
    files(cx).next().is_some()
}

/// A file a test runner collects (see [`crate::analyze::python::is_test_module`]).
pub fn is_test_module(file: &RepoFile) -> bool {
    crate::analyze::python::is_test_module(file.name())
}

/// The first three of `items`, comma-separated, then how many more there are:
/// "`a` (line 3), `b` (line 9) and 4 more".
pub fn first_few(items: impl Iterator<Item = String>, total: usize) -> String {
    let shown: Vec<String> = items.take(3).collect();
    let more = total.saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The argument text of the call to `name` that begins on `line`, between its
/// parentheses and possibly spanning lines — for what the facts do not record (a
/// `**kwargs` splat, the target of `file=`). `None` when no call to `name` starts on
/// that line or its parentheses do not close within a few thousand characters.
pub fn call_args<'a>(cx: &'a Context<'_>, path: &str, line: u32, name: &str) -> Option<&'a str> {
    let file = cx.inventory.file(path)?;
    let rest = file.text()?.get(file.index.start_of(line)?..)?;
    let first = rest.get(..rest.find('\n').unwrap_or(rest.len()))?;
    let open = call_open(first, name)?;
    inside_parens(rest.get(open..)?)
}

/// The offset just past `name(` at the first call of `name` in `text`; the name must
/// not continue a longer identifier (`myeval(` is not `eval(`).
pub fn call_open(text: &str, name: &str) -> Option<usize> {
    let pattern = format!("{name}(");
    text.match_indices(&pattern).find_map(|(at, _)| {
        let before = text.get(..at)?.chars().next_back();
        (!before.is_some_and(|c| c.is_alphanumeric() || c == '_')).then_some(at + pattern.len())
    })
}

/// The text of `body` up to the bracket that closes the one just before it (strings
/// and comments skipped); `None` when it does not close within a few thousand
/// characters.
pub fn inside_parens(body: &str) -> Option<&str> {
    let mut depth = 0u32;
    let mut quote = None;
    let mut escaped = false;
    let mut comment = false;
    for (i, c) in body.char_indices().take_while(|(i, _)| *i < 8_000) {
        if comment {
            comment = c != '\n';
        } else if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                '"' | '\'' => quote = Some(c),
                '#' => comment = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => return body.get(..i),
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
        }
    }
    None
}

/// The top-level arguments of an argument text, trimmed (`a, f(b, c), k=d` → `a`,
/// `f(b, c)`, `k=d`).
pub fn split_args(args: &str) -> Vec<&str> {
    let mut out = split_top(args, ",");
    out.retain(|a| !a.is_empty());
    out
}

/// `text` split at `separator` where it stands outside brackets and strings, each part
/// trimmed (`split_top("a + f(b + c)", " + ")` is `["a", "f(b + c)"]`).
pub fn split_top<'t>(text: &'t str, separator: &str) -> Vec<&'t str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut escaped, mut start) = (0u32, None, false, 0);
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ if depth == 0
                && i >= start
                && text.get(i..).is_some_and(|r| r.starts_with(separator)) =>
            {
                out.extend(text.get(start..i).map(str::trim));
                start = i + separator.len();
            }
            _ => {}
        }
    }
    out.extend(text.get(start..).map(str::trim));
    out
}

/// The value of keyword argument `name` in an argument text.
pub fn keyword_arg<'a>(args: &'a str, name: &str) -> Option<&'a str> {
    split_args(args).into_iter().find_map(|a| {
        let value = a.strip_prefix(name)?.trim_start().strip_prefix('=')?;
        (!value.starts_with('=')).then(|| value.trim())
    })
}

/// Whether an argument text passes `**mapping`, which may carry any keyword.
pub fn splats_keywords(args: &str) -> bool {
    split_args(args).iter().any(|a| a.starts_with("**"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_a_separator_outside_brackets_and_strings() {
        assert_eq!(split_top("a + f(b + c)", " + "), vec!["a", "f(b + c)"]);
        assert_eq!(split_top("'x + y' + z", " + "), vec!["'x + y'", "z"]);
        assert_eq!(split_top("v if c else w", " if "), vec!["v", "c else w"]);
        assert_eq!(split_top("abc", " + "), vec!["abc"]);
        assert_eq!(split_args("a, , b"), vec!["a", "b"]);
    }

    #[test]
    fn splits_arguments_at_top_level_commas_only() {
        let args = "url, f(a, b), headers={'a': 1, 'b': \"x,y\"}, timeout=(3, 10), ";
        assert_eq!(
            split_args(args),
            vec![
                "url",
                "f(a, b)",
                "headers={'a': 1, 'b': \"x,y\"}",
                "timeout=(3, 10)"
            ]
        );
        assert_eq!(keyword_arg(args, "timeout"), Some("(3, 10)"));
        assert_eq!(
            keyword_arg("x == 1, file = sys.stderr", "file"),
            Some("sys.stderr")
        );
        assert_eq!(keyword_arg("file == 1", "file"), None);
        assert!(splats_keywords("url, **kwargs"));
        assert!(!splats_keywords("url, *args, x='**'"));
    }
}
