//! Judges whether a privileged GitHub Actions workflow (`pull_request_target`,
//! `workflow_run`, `issue_comment`) checks out a pull request's code and runs it.

use super::workflows::{at, workflows};
use crate::analyze::workflows::{Text, Workflow, WorkflowJob, WorkflowStep, expressions};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Confidence, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.dangerous-triggers",
        category: Category::Security,
        title: "Privileged workflows do not run pull request code",
        summary: "No workflow triggered by `pull_request_target`, `workflow_run` or `issue_comment` checks out the pull request's head (`ref: ${{ github.event.pull_request.head.sha }}`, `refs/pull/…`, `gh pr checkout`) and then runs its code (P0); a `git fetch` of the head into a ref of its own puts nothing in the workspace until a later `git checkout`, `switch`, `reset`, `merge` or `worktree add` does (reading its commits with `git log` or `git diff` runs none of it). A checkout followed only by steps that may read the workspace is P1; one followed only by git and file commands, downloads and actions that comment or store artifacts runs none of it (P2). A job people without write access cannot reach is not counted: its `if:` requires an owner, member or collaborator (`author_association`), an earlier step fails unless the API grants the actor permission, or it runs only on a positive output of an earlier job that asks the API for the author's repository permission or organisation membership.",
        weight: 2.0,
        severity: Severity::P0,
        by_kind: None,
        effort: Effort::S,
        rationale: "These triggers run in the context of the base repository: with secrets and, by default, a token that can write to it, even for a pull request from a fork. Checking out the fork's code and running its build, tests or install scripts hands all of that to anyone who opens a pull request (\"pwn request\").",
        remediation: "Build and test pull requests with the `pull_request` trigger (no secrets, read-only token). If results must be published with privileges, split it: a `pull_request` workflow uploads an artifact, a `workflow_run` workflow reads it as data without running it. If a privileged checkout is unavoidable, check out into a separate path, run nothing from it, and set `permissions:` to the minimum.",
        action: "Stop running pull request code in pull_request_target/workflow_run workflows",
        risk: "CI compromise",
    },
    evaluate,
};

const PRIVILEGED: &[&str] = &["pull_request_target", "workflow_run", "issue_comment"];

/// Parts of an expression that name the pull request's own code.
const HEAD_MARKS: &[&str] = &[
    "head.sha",
    "head.ref",
    "head_ref",
    "head_sha",
    "head_branch",
    "head.repo.full_name",
    "head_repository",
    "merge_commit_sha",
];

fn names_head(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("refs/pull/")
        || expressions(&lower)
            .iter()
            .any(|e| HEAD_MARKS.iter().any(|m| e.contains(m)))
}

/// A checkout of the pull request's head: its line, whether the match is certain
/// (`actions/checkout` with a head `ref:`) or a reading of a shell command, and the
/// directory it went to when that is not the workspace itself (`with: path:`).
struct HeadCheckout {
    line: u32,
    confidence: Confidence,
    path: Option<String>,
}

fn head_checkout(step: &WorkflowStep) -> Option<HeadCheckout> {
    if step.uses.as_ref().is_some_and(|u| u.is_checkout()) {
        let path = step
            .with_arg("path")
            .map(|t| normal_dir(&t.value))
            .filter(|p| !p.is_empty() && *p != ".");
        return ["ref", "repository"]
            .iter()
            .filter_map(|k| step.with_arg(k))
            .find(|t| names_head(&t.value))
            .map(|t| HeadCheckout {
                line: t.line(),
                confidence: Confidence::High,
                path,
            });
    }
    let run = step.run.as_ref()?;
    // `env: REF: ${{ github.event.pull_request.head.ref }}` then `git checkout "$REF"`.
    let head_vars: Vec<&str> = step
        .env
        .iter()
        .filter(|t| names_head(&t.value))
        .map(|t| t.key.as_str())
        .collect();
    run.lines.iter().find_map(|(n, l)| {
        let t = l.trim();
        if t.starts_with('#') {
            return None;
        }
        if t.contains("gh pr checkout") {
            return Some(HeadCheckout {
                line: *n,
                confidence: Confidence::High,
                path: None,
            });
        }
        // A fetch alone puts nothing in the workspace (see [`head_fetch`]).
        let git = ["git checkout", "git switch", "git pull", "git merge "]
            .iter()
            .any(|g| t.contains(g));
        let head = names_head(t)
            || t.contains("pull/")
            || head_vars
                .iter()
                .any(|v| t.contains(&format!("${v}")) || t.contains(&format!("${{{v}}}")));
        (git && head).then_some(HeadCheckout {
            line: *n,
            confidence: Confidence::Medium,
            path: None,
        })
    })
}

/// Whether a step fetches the pull request's head into the repository
/// (`git fetch origin "pull/${PR_NUMBER}/head:pr-head"`): its commits become readable
/// (`git log`, `git diff`), and no file of the workspace changes until a later command
/// puts them there (see [`tree_change`]).
fn head_fetch(step: &WorkflowStep) -> Option<u32> {
    let run = step.run.as_ref()?;
    let head_vars: Vec<&str> = step
        .env
        .iter()
        .filter(|t| names_head(&t.value))
        .map(|t| t.key.as_str())
        .collect();
    run.lines.iter().find_map(|(n, l)| {
        let t = l.trim();
        let fetch = git_verbs(t).any(|v| v == "fetch");
        (!t.starts_with('#')
            && fetch
            && (names_head(t)
                || t.contains("pull/")
                || head_vars
                    .iter()
                    .any(|v| t.contains(&format!("${v}")) || t.contains(&format!("${{{v}}}")))))
        .then_some(*n)
    })
}

/// The verbs of a shell line's git commands, past git's global options (`git -c
/// advice.detachedHead=false checkout`, `git -C repo fetch`).
fn git_verbs(line: &str) -> impl Iterator<Item = &str> {
    line.split(['&', ';', '|']).filter_map(|segment| {
        let mut words = segment.split_whitespace();
        words.by_ref().find(|w| *w == "git")?;
        let mut verb = None;
        while let Some(w) = words.next() {
            if matches!(w, "-c" | "-C") {
                words.next();
            } else if !w.starts_with('-') {
                verb = Some(w);
                break;
            }
        }
        verb
    })
}

/// The line of a step's first git command after line `after` that changes the
/// workspace's files (`git checkout pr-head`, `git switch`, `git reset --hard`, `git
/// merge`, `git worktree add`, `git archive`, `git show … |`, `gh pr checkout`): after
/// a fetch of the head, where its code lands. `git merge-base`, `git diff` and `git
/// log` only read.
fn tree_change(step: &WorkflowStep, after: u32) -> Option<u32> {
    const CHANGING: &[&str] = &[
        "checkout",
        "switch",
        "reset",
        "merge",
        "rebase",
        "pull",
        "worktree",
        "cherry-pick",
        "am",
        "apply",
        "restore",
        "archive",
        "read-tree",
        "checkout-index",
    ];
    let run = step.run.as_ref()?;
    run.lines
        .iter()
        .filter(|(n, _)| *n > after)
        .find_map(|(n, l)| {
            let t = l.trim();
            if t.starts_with('#') {
                return None;
            }
            // `git show pr:build.sh | bash`: a file of the head, run.
            let shown = git_verbs(t).any(|v| v == "show") && t.contains('|');
            let changes = shown
                || t.contains("gh pr checkout")
                || git_verbs(t).any(|v| CHANGING.contains(&v));
            changes.then_some(*n)
        })
}

fn normal_dir(dir: &str) -> String {
    dir.trim()
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_string()
}

/// Whether `word` names the directory `dir` or something in it.
fn inside(word: &str, dir: &str) -> bool {
    let w = normal_dir(word.trim_matches(|c| c == '"' || c == '\''));
    w == dir
        || w.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Commands that only move, compare or read files: naming the checkout in them copies
/// its data and runs none of its code.
const DATA_COMMANDS: &[&str] = &[
    "cp",
    "rsync",
    "mv",
    "diff",
    "cat",
    "ls",
    "find",
    "grep",
    "jq",
    "test",
    "[",
    "echo",
    "printf",
    "git",
    "head",
    "tail",
    "wc",
    "sha256sum",
    "stat",
    "rm",
    "mkdir",
    "tar",
];

/// Actions that only commit, upload or read the files of a directory they are given.
const DATA_ACTIONS: &[&str] = &[
    "stefanzweifel/git-auto-commit-action",
    "peter-evans/create-pull-request",
    "endbug/add-and-commit",
    "actions/upload-artifact",
];

/// An action's name without its version, lower-case (`actions/checkout`).
fn action_name(uses: &str) -> String {
    uses.split('@').next().unwrap_or("").to_ascii_lowercase()
}

/// Whether a step runs code from the directory `dir` a pull request was checked out
/// into: a local action there, a script whose working directory is there, or a command
/// that is not a plain file operation and names it.
fn runs_from(step: &WorkflowStep, dir: &str) -> Option<u32> {
    if let Some(uses) = &step.uses {
        if uses.raw.starts_with("./") && inside(&uses.raw, dir) {
            return Some(uses.line);
        }
        let name = action_name(&uses.raw);
        if !uses.is_checkout()
            && !DATA_ACTIONS.contains(&name.as_str())
            && step
                .with
                .iter()
                .any(|t| t.value.split_whitespace().any(|w| inside(w, dir)))
        {
            return Some(uses.line);
        }
        return None;
    }
    let run = step.run.as_ref()?;
    if step
        .working_directory
        .as_deref()
        .is_some_and(|w| inside(w, dir))
    {
        return Some(run.line());
    }
    // After `cd DIR`, every later command of the step runs inside the checkout.
    let mut in_dir = false;
    run.lines.iter().find_map(|(n, l)| {
        let t = l.trim();
        if t.starts_with('#') {
            return None;
        }
        let names_dir = t
            .split(|c: char| c.is_whitespace() || c == '=' || c == ';')
            .any(|w| inside(w, dir));
        // Nothing may be piped into a shell from the checkout.
        let piped_to_shell = t.split('|').skip(1).any(|seg| {
            matches!(
                seg.split_whitespace().next(),
                Some("sh" | "bash" | "zsh" | "python" | "python3" | "node")
            )
        });
        if (names_dir || in_dir) && piped_to_shell {
            return Some(*n);
        }
        let mut runs = false;
        for segment in t.split(['&', ';', '|']) {
            let dir_words: Vec<&str> = segment
                .split(|c: char| c.is_whitespace() || c == '=')
                .filter(|w| !w.is_empty() && inside(w, dir))
                .collect();
            let command = command_of(segment);
            if command == "cd" {
                in_dir = !dir_words.is_empty();
                continue;
            }
            if command.is_empty() || (dir_words.is_empty() && !in_dir) {
                continue;
            }
            // A file operation, or a tool from elsewhere given the checkout's data
            // files (`readme-generator --values charts/x/values.yaml`) from outside it.
            let data = DATA_COMMANDS.contains(&command)
                || (!in_dir
                    && !RUNNERS.contains(&command)
                    && !inside(command, dir)
                    && dir_words.iter().all(|w| data_file(w)));
            runs |= !data;
        }
        runs.then_some(*n)
    })
}

/// The program a shell segment runs, past wrappers (`timeout 900`, `sudo -E`,
/// `nohup`) and by its base name (`/usr/local/bin/ansible-playbook`); empty when the
/// segment runs nothing.
fn command_of(segment: &str) -> &str {
    segment
        .split_whitespace()
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .find(|w| {
            !w.contains('=')
                && !SHELL_WORDS.contains(w)
                && !WRAPPERS.contains(w)
                && !w.starts_with('-')
                && w.parse::<f64>().is_err()
        })
        .unwrap_or("")
}

/// Programs that neither execute files of the working directory nor read
/// configuration from it: with the file operations of [`DATA_COMMANDS`], a script made
/// only of these (`git checkout -`, `curl -O <pinned URL>`, `chmod +x`) runs none of a
/// checked-out pull request's code.
const INERT_COMMANDS: &[&str] = &[
    "cd", "curl", "wget", "chmod", "mkdir", "touch", "export", "sleep", "true", "false", "sort",
    "uniq", "cut", "tr", "sed", "awk", "date", "basename", "dirname", "pwd", "exit",
];

/// Whether every command of a `run:` script is a file operation or an inert tool:
/// no command substitution (`$(make version)`), no program a tool runs for it (`find
/// -exec`, `awk -f`, `sed -f`), and nothing written into the environment of later
/// steps (`>> $GITHUB_ENV`, `$GITHUB_PATH`).
fn inert_script(run: &Text) -> bool {
    run.lines.iter().all(|(_, l)| {
        let t = l.trim();
        if t.starts_with('#') {
            return true;
        }
        if t.contains("$(")
            || t.contains('`')
            || t.contains("GITHUB_ENV")
            || t.contains("GITHUB_PATH")
        {
            return false;
        }
        t.split(['&', ';', '|']).all(|segment| {
            let command = command_of(segment);
            let runs_for_it = match command {
                "find" => segment.contains("-exec") || segment.contains("-ok"),
                "awk" | "sed" => segment.split_whitespace().any(|w| w == "-f"),
                _ => false,
            };
            !runs_for_it
                && (command.is_empty()
                    || DATA_COMMANDS.contains(&command)
                    || INERT_COMMANDS.contains(&command))
        })
    })
}

/// Programs that run the command given after them.
const WRAPPERS: &[&str] = &["timeout", "nice", "nohup", "xvfb-run", "stdbuf", "command"];

/// Shell keywords and wrappers before the command a segment runs.
const SHELL_WORDS: &[&str] = &[
    "sudo", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "time", "{",
    "}", "(", ")",
];

/// Programs that run code they find in their arguments or working directory:
/// interpreters, package managers (install hooks), build tools, test runners, and
/// tools that execute or deploy what a YAML file describes (`ansible-playbook
/// pr/site.yml`, `kubectl apply -f pr/deploy.yaml`).
const RUNNERS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "source",
    ".",
    "eval",
    "exec",
    "xargs",
    "env",
    "python",
    "python3",
    "node",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "bun",
    "deno",
    "make",
    "cmake",
    "go",
    "cargo",
    "pip",
    "pip3",
    "uv",
    "poetry",
    "pipenv",
    "tox",
    "nox",
    "pytest",
    "bundle",
    "rake",
    "ruby",
    "perl",
    "php",
    "composer",
    "mvn",
    "gradle",
    "docker",
    "docker-compose",
    "podman",
    "pre-commit",
    "just",
    "task",
    "dotnet",
    "ansible",
    "ansible-playbook",
    "kubectl",
    "helm",
    "terraform",
    "tofu",
    "pulumi",
    "packer",
    "skaffold",
    "earthly",
    "bazel",
    "nix",
    "gcloud",
    "aws",
    "az",
    "goreleaser",
    "mkdocs",
    "helmfile",
    "newman",
];

/// Whether a word naming a path in the checkout names a data file (by extension).
fn data_file(word: &str) -> bool {
    let w = word.trim_matches(|c| c == '"' || c == '\'');
    let ext = w.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "yaml" | "yml" | "json" | "md" | "txt" | "toml" | "csv" | "xml" | "po" | "pot" | "rst"
    )
}

/// Whether a job's `if:` lets only the repository's own runs through: a
/// `workflow_run` started by no pull request, or a pull request from a branch of this
/// repository rather than a fork.
fn outsiders_excluded(job: &WorkflowJob) -> bool {
    let Some(cond) = &job.condition else {
        return false;
    };
    let c: String = cond
        .replace('"', "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let c = c.trim_start_matches("${{").trim_end_matches("}}");
    guarded(c)
}

/// Whether every run that satisfies `expr` is the repository's own: a conjunction
/// needs one guarded conjunct, an alternative needs every branch guarded
/// (`success && (event != 'pull_request' || head_repository.full_name ==
/// github.repository)`).
fn guarded(expr: &str) -> bool {
    const GUARDS: &[&str] = &[
        "workflow_run.event != 'pull_request'",
        "workflow_run.event == 'push'",
        "workflow_run.head_repository.full_name == github.repository",
        "pull_request.head.repo.full_name == github.repository",
        "head.repo.fork == false",
        "!github.event.pull_request.head.repo.fork",
    ];
    let expr = unwrap_parens(expr.trim());
    let alternatives = split_top(expr, "||");
    if alternatives.len() > 1 {
        return alternatives.iter().all(|a| guarded(a));
    }
    let conjuncts = split_top(expr, "&&");
    if conjuncts.len() > 1 {
        return conjuncts.iter().any(|a| guarded(a));
    }
    // A negated group (`!(… == github.repository)`) lets the forks through.
    !expr.starts_with("!(") && GUARDS.iter().any(|g| expr.contains(g))
}

/// `expr` without parentheses that enclose all of it.
fn unwrap_parens(mut expr: &str) -> &str {
    while let Some(inner) = expr.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
        // `(a) && (b)` starts and ends with parentheses that are not one pair.
        if split_top(inner, "").is_empty() {
            break;
        }
        expr = inner.trim();
    }
    expr
}

/// The parts of `expr` between occurrences of `op` outside parentheses; with an empty
/// `op`, an empty list when the parentheses of `expr` do not balance.
fn split_top<'a>(expr: &'a str, op: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut from = 0;
    for (i, ch) in expr.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Vec::new();
                }
            }
            _ if depth == 0
                && !op.is_empty()
                && expr.get(i..).is_some_and(|rest| rest.starts_with(op)) =>
            {
                parts.push(expr.get(from..i).unwrap_or("").trim());
                from = i + op.len();
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Vec::new();
    }
    parts.push(expr.get(from..).unwrap_or("").trim());
    parts
}

/// Whether the job lets only people with write access reach the checkout at step
/// `checkout`: its `if:` requires an owner, member or collaborator
/// (`author_association`, tested positively), or an earlier step asks the API for the
/// actor's permission and fails otherwise (`gh api …/collaborators/$AUTHOR/permission`
/// … `exit 1`).
fn permission_checked(job: &WorkflowJob, checkout: usize) -> bool {
    // Only a positive test (`== 'OWNER'`, `contains(fromJSON('["OWNER", …]'), …)`): a
    // negated one lets everyone else through.
    let by_condition = job.condition.as_ref().is_some_and(|c| {
        c.contains("author_association")
            && ["OWNER", "MEMBER", "COLLABORATOR"]
                .iter()
                .any(|r| c.contains(r))
            && !c.contains("||")
            && !c.contains('!')
    });
    by_condition
        || job.steps.iter().take(checkout).any(|s| {
            s.run.as_ref().is_some_and(|r| {
                r.value.contains("/permission")
                    && r.value.contains("exit 1")
                    && !r.value.contains("|| true")
            })
        })
}

/// Whether the job runs only when an earlier job it needs says so (`if:
/// needs.eligibility.outputs.should_review == 'true'`), and that job asks the API for
/// the actor's repository permission or organisation membership (`gh api
/// …/collaborators/$AUTHOR/permission`, `/orgs/acme/memberships/$AUTHOR`): people
/// without write access never reach the checkout.
fn gated_by_permission_job(workflow: &Workflow, job: &WorkflowJob) -> bool {
    let Some(condition) = job.condition.as_deref() else {
        return false;
    };
    // A positive test of the gate's output only: a negated one, or an alternative,
    // lets others through.
    if condition.contains("||") || condition.contains("!=") || condition.contains('!') {
        return false;
    }
    // The gate's output compared with `'true'`, under a name that is not about the
    // outsiders themselves (`is_external`, `from_fork`).
    condition
        .split("needs.")
        .skip(1)
        .filter_map(|rest| rest.split_once(".outputs."))
        .filter(|(_, rest)| {
            let output: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                .collect::<String>()
                .to_ascii_lowercase();
            let compared = rest.get(output.len()..).unwrap_or("").trim_start();
            let positive = compared.starts_with("== 'true'")
                || compared.starts_with("== true")
                || compared.starts_with("== \"true\"");
            positive
                && ![
                    "external",
                    "fork",
                    "outside",
                    "untrusted",
                    "first_time",
                    "first-time",
                ]
                .iter()
                .any(|w| output.contains(w))
        })
        .map(|(id, _)| id)
        .any(|id| {
            workflow.jobs.iter().any(|gate| {
                gate.id == id
                    && gate.steps.iter().any(|s| {
                        s.run.as_ref().is_some_and(|r| {
                            r.value.contains("gh api")
                                && (r.value.contains("/permission")
                                    || r.value.contains("/memberships/"))
                        })
                    })
            })
        })
}

/// The first step after `from` that runs code from the checkout: a script or a local
/// action in the workspace, or, when the pull request went to a directory of its own,
/// a step that runs something from that directory.
fn runs_code(job: &WorkflowJob, from: usize, dir: Option<&str>) -> Option<u32> {
    job.steps.iter().skip(from + 1).find_map(|s| {
        if let Some(dir) = dir {
            return runs_from(s, dir);
        }
        if let Some(run) = &s.run {
            return (!inert_script(run)).then(|| run.line());
        }
        s.uses
            .as_ref()
            .filter(|u| u.raw.starts_with("./"))
            .map(|u| u.line)
    })
}

/// Actions that comment, label, cache or store artifacts: they read no code or
/// configuration from the workspace.
const INERT_ACTIONS: &[&str] = &[
    "marocchino/sticky-pull-request-comment",
    "peter-evans/create-or-update-comment",
    "peter-evans/find-comment",
    "thollander/actions-comment-pull-request",
    "mshick/add-pr-comment",
    "actions/upload-artifact",
    "actions/labeler",
];

/// Whether no step after the checkout at `from` can run the pull request's code: every
/// script is inert, every action only comments, labels or stores, and a
/// `github-script` loads no module of the workspace and executes only files an earlier
/// step of the job downloaded itself (`curl -O <URL>/x.sh` then `./x.sh`), which replace
/// any copy in the pull request.
fn nothing_runs_after(job: &WorkflowJob, from: usize) -> bool {
    // Downloaded after the checkout, so that it replaces the pull request's copy.
    let fetched: Vec<&str> = job
        .steps
        .iter()
        .skip(from + 1)
        .filter_map(|s| s.run.as_ref())
        .flat_map(|r| r.lines.iter())
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("curl ") || t.starts_with("wget ")
        })
        .filter_map(|(_, l)| l.split_whitespace().last())
        .filter_map(|url| url.rsplit('/').next())
        .collect();
    job.steps.iter().skip(from + 1).all(|s| {
        if let Some(run) = &s.run {
            return inert_script(run);
        }
        let Some(uses) = &s.uses else {
            return true;
        };
        let name = action_name(&uses.raw);
        if name == "actions/github-script" {
            let script = s.with_arg("script").map_or("", |t| t.value.as_str());
            return !script.contains("require('.")
                && !script.contains("require(\".")
                && !script.contains("import(")
                && !script.contains("exec.exec")
                && !script.contains("GITHUB_WORKSPACE")
                && !script.contains("github.workspace")
                && script
                    .split(|c: char| c == '\'' || c == '"' || c == '`' || c.is_whitespace())
                    .filter_map(|w| w.strip_prefix("./"))
                    .all(|f| fetched.contains(&f));
        }
        INERT_ACTIONS.contains(&name.as_str()) || DATA_ACTIONS.contains(&name.as_str())
    })
}

struct Hit<'a> {
    workflow: &'a Workflow,
    job: &'a WorkflowJob,
    trigger: (&'static str, u32),
    checkout: u32,
    confidence: Confidence,
    runs: Option<u32>,
    /// No later step can run the checked-out code (see [`nothing_runs_after`]).
    inert: bool,
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let all = match workflows(cx) {
        Ok(w) => w,
        Err(o) => return o,
    };
    let mut hits: Vec<Hit> = Vec::new();
    let mut safe: Vec<(&Workflow, &'static str, u32)> = Vec::new();
    let mut isolated: Vec<(&Workflow, &WorkflowJob, String, u32)> = Vec::new();
    for w in all.iter().filter(|w| !w.is_action) {
        let Some(trigger) = PRIVILEGED
            .iter()
            .find_map(|t| w.trigger(t).map(|l| (*t, l)))
        else {
            continue;
        };
        let before = hits.len();
        for job in w.jobs.iter().filter(|j| !outsiders_excluded(j)) {
            // The line of the fetch of the head, once a step has fetched it.
            let mut fetched: Option<u32> = None;
            for (i, step) in job.steps.iter().enumerate() {
                fetched = fetched.or_else(|| head_fetch(step));
                let landed = || {
                    fetched
                        .and_then(|at| tree_change(step, at))
                        .map(|line| HeadCheckout {
                            line,
                            confidence: Confidence::Medium,
                            path: None,
                        })
                };
                if let Some(checkout) = head_checkout(step).or_else(landed) {
                    if permission_checked(job, i) || gated_by_permission_job(w, job) {
                        break;
                    }
                    let runs = runs_code(job, i, checkout.path.as_deref());
                    if runs.is_none() {
                        if let Some(dir) = checkout.path {
                            // The remedy this check gives: a separate path, nothing run
                            // from it.
                            isolated.push((w, job, dir, checkout.line));
                            break;
                        }
                    }
                    hits.push(Hit {
                        workflow: w,
                        job,
                        trigger,
                        checkout: checkout.line,
                        confidence: checkout.confidence,
                        inert: runs.is_none() && nothing_runs_after(job, i),
                        runs,
                    });
                    break;
                }
            }
        }
        if hits.len() == before && !isolated.iter().any(|i| std::ptr::eq(i.0, w)) {
            safe.push((w, trigger.0, trigger.1));
        }
    }
    if hits.is_empty() {
        let privileged = safe.len();
        let mut outcome = Outcome::pass(match (privileged, isolated.len()) {
            (0, 0) => {
                "no workflow runs on pull_request_target, workflow_run or issue_comment".to_string()
            }
            (_, 0) => format!(
                "{} on privileged triggers, none checks out pull request code",
                plural(privileged, "workflow", "workflows")
            ),
            (_, n) => format!(
                "{} on privileged triggers, none runs pull request code ({} checking it out into a directory of its own)",
                plural(privileged + n, "workflow", "workflows"),
                plural(n, "job", "jobs")
            ),
        });
        for (w, job, dir, line) in isolated {
            outcome = outcome.strength(
                def,
                format!(
                    "`{}` job `{}` checks the pull request out into `{dir}` and runs nothing from it",
                    w.path, job.id
                ),
                "Its steps copy or commit files from that directory but run the base branch's code, so the pull request's code never runs with the workflow's secrets and token.",
                vec![at(cx, w, line)],
            );
        }
        for (w, trigger, line) in safe {
            outcome = outcome.strength(
                def,
                format!("`{trigger}` workflow `{}` runs only the base branch's code", w.path),
                "It does not check out the pull request's head, so its secrets and token are not exposed to the pull request's code.",
                vec![at(cx, w, line)],
            );
        }
        return outcome;
    }
    let running = hits.iter().filter(|h| h.runs.is_some()).count();
    let mut outcome = Outcome::fail(format!(
        "{} checking out pull request code in a privileged workflow ({running} running it)",
        plural(hits.len(), "job", "jobs"),
    ));
    for h in hits {
        let (trigger, trigger_line) = h.trigger;
        let mut evidence: Vec<Evidence> = vec![
            at(cx, h.workflow, trigger_line),
            at(cx, h.workflow, h.checkout),
        ];
        let (severity, title, message) = match h.runs {
            Some(run) => {
                evidence.push(at(cx, h.workflow, run));
                (
                    Severity::P0,
                    format!(
                        "`{trigger}` workflow runs pull request code (`{}`, job `{}`)",
                        h.workflow.path, h.job.id
                    ),
                    format!(
                        "The job checks out the pull request's head and then runs it, on the `{trigger}` trigger, which has the repository's secrets and a token that can write to it. Anyone who opens a pull request can change the build or test scripts to steal the secrets or push to the repository. Build pull requests on `pull_request` instead, and keep privileged steps in a separate workflow that does not run their code."
                    ),
                )
            }
            None if h.inert => (
                Severity::P2,
                format!(
                    "`{trigger}` workflow checks out pull request code and runs none of it (`{}`, job `{}`)",
                    h.workflow.path, h.job.id
                ),
                format!(
                    "The job checks out the pull request's head on the `{trigger}` trigger, which has the repository's secrets and a writable token. Its later steps run only git and file commands, scripts it downloads itself and actions that comment or store artifacts, so none of the pull request's code runs today; the next step added that builds, installs or lints the workspace would. Read what the job needs through the API (`gh pr diff`), or check the pull request out in a job without secrets."
                ),
            ),
            None => (
                Severity::P1,
                format!(
                    "`{trigger}` workflow checks out pull request code (`{}`, job `{}`)",
                    h.workflow.path, h.job.id
                ),
                format!(
                    "The job checks out the pull request's head on the `{trigger}` trigger, which has the repository's secrets and a writable token. Nothing in this job runs it yet, but any action that reads the workspace (a config file, a build script, a package manager hook) runs the pull request's code with those privileges. Check out the base branch, or use the `pull_request` trigger."
                ),
            ),
        };
        let fingerprint = format!("{}:{}:{trigger}", h.workflow.path, h.job.id);
        outcome = outcome
            .concern_at(def, severity, title, message, evidence)
            .confidence(h.confidence)
            .fingerprint(fingerprint);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_references_name_the_pull_request_code() {
        assert!(names_head("${{ github.event.pull_request.head.sha }}"));
        assert!(names_head("${{ github.head_ref }}"));
        assert!(names_head("refs/pull/${{ github.event.number }}/merge"));
        assert!(names_head("${{ steps.comment-branch.outputs.head_ref }}"));
        assert!(names_head("${{ github.event.workflow_run.head_sha }}"));
        assert!(!names_head("${{ github.event.pull_request.base.ref }}"));
        assert!(!names_head("${{ github.sha }}"));
        assert!(!names_head("main"));
    }
}
