//! Judges whether Python code hands a command built from data to a shell
//! (`shell=True`, `os.system`, `os.popen`, …).

use crate::analyze::python::CallKind;
use crate::checks::python::{self, PyRef};
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, ProjectKind, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.command-injection",
        category: Category::Security,
        title: "No shell commands built from data",
        summary: "No Python code passes a command that is not a string literal to a shell (`subprocess.*(…, shell=True)`, `os.system`, `os.popen`, `subprocess.getoutput`, `asyncio.create_subprocess_shell`); constant commands and argument lists are fine.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "A shell parses its command line: a file name, branch name or form field containing `;`, `|`, `$( )` or a backtick becomes a second command running with the process's privileges. Quoting by hand is routinely got wrong; the safe form (an argument list without a shell) costs nothing.",
        remediation: "Pass the command as a list without a shell — `subprocess.run([\"git\", \"log\", ref], check=True)` — so each argument reaches the program unparsed. Where a shell feature is really needed (a pipe, a glob), build it in Python (`subprocess` pipes, `glob`), or quote every interpolated value with `shlex.quote` and say why in a comment.",
        action: "Run commands as argument lists instead of through a shell",
        risk: "Command injection",
    },
    evaluate,
};

/// What the parameters formatted into a command (`{name}` in an f-string) are
/// declared as, by their annotations in the enclosing function's signature.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Formatted {
    /// Only numbers (`uid: int`): nothing a shell would parse.
    Numbers,
    /// A filesystem path (`dir_path: Path`) at most: configuration, not a request's text.
    Paths,
    /// Anything else, or no annotation.
    Data,
}

fn formatted(f: &PyRef<'_>, function: Option<usize>, line: u32) -> Formatted {
    let Some(func) = function.and_then(|i| f.py.functions.get(i)) else {
        return Formatted::Data;
    };
    let statement = sites::statement(f, line);
    // The signature: from `def` to the line that closes it.
    let signature: String = (func.line..func.line.saturating_add(20))
        .map(|n| f.file.line(n))
        .scan(false, |done, l| {
            if *done {
                return None;
            }
            *done = l.trim_end().ends_with(':');
            Some(l)
        })
        .collect::<Vec<_>>()
        .join(" ");
    // Only an f-string whose every placeholder names a parameter: anything else
    // (a local variable, concatenation, `%`) may carry the data itself.
    let heads: Vec<&str> = statement
        .match_indices('{')
        .filter_map(|(at, _)| statement.get(at + 1..))
        .map(|rest| {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest.get(..end).unwrap_or("")
        })
        .collect();
    // Module constants (`ARCHIVEBOX_USER`) are the code's own.
    let constant = |h: &str| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    let params_only = !heads.is_empty()
        && heads
            .iter()
            .all(|h| constant(h) || func.params.iter().any(|p| p.name == *h))
        && heads.iter().any(|h| !constant(h))
        && !statement.contains(" + ")
        && !statement.contains("\" %")
        && !statement.contains("' %");
    if !params_only {
        return Formatted::Data;
    }
    let mut worst = None;
    for p in &func.params {
        if !heads.contains(&p.name.as_str()) {
            continue;
        }
        // `name:` as a whole parameter (not the end of `user_name:`).
        let annotation = signature
            .match_indices(&format!("{}:", p.name))
            .find(|(at, _)| {
                signature
                    .get(..*at)
                    .and_then(|b| b.chars().next_back())
                    .is_none_or(|c| c == '(' || c == ',' || c.is_whitespace())
            })
            .and_then(|(at, m)| signature.get(at + m.len()..))
            .map(|rest: &str| {
                rest.trim_start()
                    .split([',', '=', ')'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        // `int | None`, `Optional[Path]`: the value when there is one.
        let inner = annotation
            .strip_prefix("Optional[")
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(&annotation);
        let kind = inner
            .split('|')
            .map(str::trim)
            .filter(|t| *t != "None")
            .map(|t| match t {
                "int" | "float" | "bool" => Formatted::Numbers,
                "Path" | "pathlib.Path" | "PurePath" | "os.PathLike" => Formatted::Paths,
                _ => Formatted::Data,
            })
            .max()
            .unwrap_or(Formatted::Data);
        worst = Some(worst.map_or(kind, |w: Formatted| w.max(kind)));
    }
    worst.unwrap_or(Formatted::Data)
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
            // A literal command runs the same thing every time: `shell=True` then costs
            // a /bin/sh process, not an injection.
            let CallKind::Shell {
                callee,
                literal: false,
                tainted,
                shell_if,
            } = &c.kind
            else {
                continue;
            };
            let shown = if callee.starts_with("subprocess.")
                && !callee.contains("getoutput")
                && !callee.contains("getstatusoutput")
            {
                format!(
                    "{callee}(…, shell={})",
                    shell_if.as_deref().unwrap_or("True")
                )
            } else {
                callee.clone()
            };
            let (severity, origin) = match tainted {
                // `shell=shell`: a shell runs only when the caller asks for one, and
                // then with the command the caller chose.
                Some(p) if shell_if.is_some() => (
                    Severity::P2,
                    format!(
                        ", built from the parameter `{p}`, when the caller sets `shell` (it is `{}`, not `True`),",
                        shell_if.as_deref().unwrap_or("")
                    ),
                ),
                Some(p) if sites::is_cli_command(f, c.function) => (
                    Severity::P2,
                    format!(", built from the command-line option `{p}`,"),
                ),
                // A command-line program (a script, a code generator) runs what its own
                // user gives it: no boundary between who supplies the data and who
                // runs it.
                Some(p) if sites::is_cli_script(f) || cx.kind == ProjectKind::Cli => (
                    Severity::P2,
                    format!(
                        ", built from the parameter `{p}` in a command-line program (its input is its own user's),"
                    ),
                ),
                Some(p) => match formatted(f, c.function, c.line) {
                    Formatted::Numbers => (
                        Severity::P3,
                        format!(", built only from parameters declared as numbers (`{p}`),"),
                    ),
                    Formatted::Paths => (
                        Severity::P2,
                        format!(
                            ", built from parameters declared as numbers or filesystem paths (`{p}`: paths come from configuration, but a quote in one still ends the shell word),"
                        ),
                    ),
                    Formatted::Data => (def.severity, format!(", built from the parameter `{p}`,")),
                },
                None => (Severity::P2, String::new()),
            };
            found.push(Site {
                file: *f,
                line: c.line,
                severity,
                what: "Shell command built from data".to_string(),
                message: format!(
                    "`{shown}` runs a command that is not a string literal{origin} through a shell: any file name, argument or field interpolated into it can carry `;`, `|` or `$( )` and run commands of its own. Pass an argument list without a shell."
                ),
                evidence: cx.at(f.path(), c.line),
            });
        }
    }
    sites::judge(
        def,
        files.len(),
        (
            "shell command built from data",
            "shell commands built from data",
        ),
        found,
    )
}
