//! Judges whether Python code hands a command built from data to a shell
//! (`shell=True`, `os.system`, `os.popen`, …).

use crate::analyze::python::CallKind;
use crate::checks::python;
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
                Some(p) => (def.severity, format!(", built from the parameter `{p}`,")),
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
