//! Judges how Python code catches exceptions: bare `except:` clauses and broad handlers
//! that swallow the error (`except Exception: pass`).

use crate::analyze::python::Handler;
use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "code-quality.exception-handling",
        category: Category::CodeQuality,
        title: "Exceptions are not swallowed",
        summary: "No bare `except:` (unless it re-raises) and no `except Exception:` whose body only passes without a comment saying why; narrow handlers (`except ValueError: pass`), handlers that log or re-raise, `__del__` and clauses marked `# noqa` are fine. Scored by density per 1,000 lines of production code.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "A bare `except:` also catches KeyboardInterrupt and SystemExit, so Ctrl-C and `sys.exit()` stop working inside it. `except Exception: pass` turns every failure in its `try` block — a typo, a broken connection, corrupt data — into silence: the program carries on in a wrong state and the error that would have explained the incident is gone. Both are what a reviewer's `grep -n 'except'` looks for first.",
        remediation: "Catch the exceptions the code expects (`except (KeyError, ValueError):`), and where a broad handler is really wanted, say what happened: `except Exception: log.exception(\"…\")`, or re-raise. A bare `except:` becomes `except Exception:`; cleanup that must run on any exit goes in `finally:` (or `except BaseException: …; raise`).",
        action: "Narrow bare and silent exception handlers, or log what they catch",
        risk: "Silent failures",
    },
    evaluate,
};

/// Findings listed (one per file).
const LISTED: usize = 20;
/// Lines cited per file.
const CITED: usize = 5;

/// What is wrong with one handler.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Problem {
    /// `except:` that does not re-raise.
    Bare,
    /// `except Exception:` (or bare) whose body only passes.
    Swallowed,
}

/// The problem with a handler, if it has one. The file's text says what the facts do
/// not: whether the handler re-raises, and whether a comment explains it.
fn problem(h: &Handler, f: &PyRef<'_>) -> Option<Problem> {
    if !(h.bare || (h.broad && h.swallows)) {
        return None;
    }
    // Python ignores (and prints) exceptions raised in `__del__`; swallowing them
    // there is the convention.
    if f.py
        .function_at(h.line)
        .is_some_and(|func| func.name == "__del__")
    {
        return None;
    }
    let body = Body::of(f, h.line);
    if body.acknowledged {
        return None;
    }
    if h.broad && h.swallows {
        // A comment saying why the error may be ignored makes it a decision.
        return (!body.explained).then_some(Problem::Swallowed);
    }
    (!body.raises).then_some(Problem::Bare)
}

/// What the text of an `except` clause shows.
#[derive(Default)]
struct Body {
    /// It contains a `raise` statement.
    raises: bool,
    /// A comment in it (other than a coverage or type pragma) explains it.
    explained: bool,
    /// A linter suppression (`# noqa`, `# pylint: disable`) on the clause accepts it.
    acknowledged: bool,
}

impl Body {
    /// The clause at `line`: the rest of that line and the lines indented deeper.
    fn of(f: &PyRef<'_>, line: u32) -> Body {
        let head = f.file.line(line);
        let indent = indentation(head);
        let mut body = Body::default();
        let rest = head.split_once(':').map(|(_, r)| r).unwrap_or("");
        body.read(rest);
        if let Some(c) = comment(rest) {
            let c = c.to_ascii_lowercase();
            body.acknowledged = c.starts_with("noqa") || c.starts_with("pylint: disable");
        }
        let total = u32::try_from(f.file.index.len()).unwrap_or(u32::MAX);
        for n in line.saturating_add(1)..=total {
            let text = f.file.line(n);
            let t = text.trim();
            if t.is_empty() {
                continue;
            }
            if indentation(text) <= indent {
                // A comment at the clause's level may still introduce its body.
                if t.starts_with('#') {
                    continue;
                }
                break;
            }
            body.read(t);
        }
        body
    }

    fn read(&mut self, text: &str) {
        let code = text.split('#').next().unwrap_or("");
        if code.split(';').any(|stmt| {
            let s = stmt.trim_start();
            s == "raise" || s.starts_with("raise ") || s.starts_with("raise(")
        }) {
            self.raises = true;
        }
        if let Some(c) = comment(text) {
            let c = c.to_ascii_lowercase();
            if !(c.is_empty() || c.starts_with("pragma") || c.starts_with("type:")) {
                self.explained = true;
            }
        }
    }
}

/// The comment on a line, without its `#`.
fn comment(text: &str) -> Option<&str> {
    text.split_once('#').map(|(_, c)| c.trim())
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

struct FileIssues<'a> {
    file: PyRef<'a>,
    found: Vec<(u32, Problem)>,
}

impl FileIssues<'_> {
    fn count(&self, p: Problem) -> usize {
        self.found.iter().filter(|(_, q)| *q == p).count()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        let bare = self.count(Problem::Bare);
        let swallowed = self.count(Problem::Swallowed);
        if bare > 0 {
            parts.push(plural(bare, "bare `except:`", "bare `except:` clauses"));
        }
        if swallowed > 0 {
            parts.push(plural(
                swallowed,
                "silently swallowed broad exception",
                "silently swallowed broad exceptions",
            ));
        }
        parts.join(" and ")
    }
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let handlers: usize = files.iter().map(|f| f.py.handlers.len()).sum();
    let mut issues: Vec<FileIssues<'_>> = files
        .iter()
        .map(|f| FileIssues {
            file: *f,
            found: f
                .py
                .handlers
                .iter()
                .filter_map(|h| problem(h, f).map(|p| (h.line, p)))
                .collect(),
        })
        .filter(|i| !i.found.is_empty())
        .collect();
    if handlers == 0 {
        return Outcome::pass(format!(
            "no exception handlers in {}",
            plural(files.len(), "Python file", "Python files")
        ));
    }
    if issues.is_empty() {
        return Outcome::pass(format!(
            "no bare or silently swallowing handler among {}",
            plural(handlers, "exception handler", "exception handlers")
        ));
    }
    // Production first, then the files with the most.
    issues.sort_by(|a, b| {
        (a.file.role, std::cmp::Reverse(a.found.len()), a.file.path()).cmp(&(
            b.file.role,
            std::cmp::Reverse(b.found.len()),
            b.file.path(),
        ))
    });
    let production: usize = issues
        .iter()
        .filter(|i| i.file.role == Role::Production)
        .map(|i| i.found.len())
        .sum();
    let total: usize = issues.iter().map(|i| i.found.len()).sum();
    let kloc = (cx.production_lines() as f64 / 1000.0).max(1.0);
    let density = production as f64 / kloc;
    // One in ten thousand lines is a blemish; two per thousand is a habit.
    let score = if production == 0 {
        0.9
    } else {
        0.9 - 0.2 * density
    };
    let mut outcome = Outcome::scored(
        score,
        format!(
            "{} in {} ({production} in production code, {} per 1,000 lines)",
            plural(total, "bare or silent handler", "bare or silent handlers"),
            plural(issues.len(), "file", "files"),
            if density > 0.0 && density < 0.1 {
                format!("{density:.2}")
            } else {
                format!("{density:.1}")
            },
        ),
    );
    for i in issues.iter().take(LISTED) {
        let f = &i.file;
        let evidence: Vec<Evidence> = i
            .found
            .iter()
            .take(CITED)
            .map(|(l, _)| cx.at(f.path(), *l))
            .collect();
        let lines: Vec<String> = i.found.iter().map(|(l, _)| l.to_string()).collect();
        let mut why = Vec::new();
        if i.count(Problem::Bare) > 0 {
            why.push("a bare `except:` also catches KeyboardInterrupt and SystemExit");
        }
        if i.count(Problem::Swallowed) > 0 {
            why.push("a broad handler that only passes hides every failure in its `try` block");
        }
        outcome = outcome.concern_at(
            def,
            f.role.weigh(def.severity),
            format!("{}: {}{}", f.path(), i.describe(), f.role.suffix()),
            format!(
                "{} at line{} {}: {}. Catch the specific exceptions expected, or log or re-raise what is caught.",
                f.path(),
                if i.found.len() > 1 { "s" } else { "" },
                shorten_list(&lines),
                why.join("; ")
            ),
            evidence,
        );
    }
    if issues.len() > LISTED {
        outcome.summary.push_str(&format!(
            " ({LISTED} files listed, {} more)",
            issues.len() - LISTED
        ));
    }
    outcome
}

/// `3, 17, 40` or `3, 17, 40, … (12 in all)`.
fn shorten_list(items: &[String]) -> String {
    const SHOWN: usize = 8;
    if items.len() <= SHOWN {
        return items.join(", ");
    }
    let head: Vec<&str> = items.iter().take(SHOWN).map(String::as_str).collect();
    format!("{}, … ({} in all)", head.join(", "), items.len())
}
