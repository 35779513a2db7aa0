//! Judges what a Dockerfile does at build time that a reviewer of the image cannot
//! see: remote files and scripts used unverified, secrets baked into layers or
//! history, and a build context that sends the repository's `.git` and `.env` along.

use crate::analyze::container::rules::rules;
use crate::analyze::container::{Dockerfile, Instruction, VarKind, VarValue};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.container-build",
        category: Category::Security,
        title: "Container build security",
        summary: "Dockerfiles verify what they download (`ADD --checksum`, no `curl … | sh`), keep secrets out of ARG/ENV (build secrets are mounted with `RUN --mount=type=secret`), and do not copy the whole context without a .dockerignore excluding `.git` and `.env`.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "A script piped from the network into a shell, or a remote file added without a checksum, runs whatever the server returns on the day of the build. ENV values are stored in the image and ARG values used by RUN are shown by `docker history`: a credential set there is readable by everyone who can pull the image. `COPY . .` without a .dockerignore puts the repository's history and local `.env` files into a layer.",
        remediation: "Download to a file and verify it (`ADD --checksum=sha256:…`, or `curl -o` then `sha256sum -c`) before running it; pass credentials with `RUN --mount=type=secret,id=…` and read them from `/run/secrets/…`, never through ARG or ENV; add a .dockerignore that excludes at least `.git` and `.env*`.",
        action: "Verify build-time downloads, mount build secrets instead of ARG/ENV, exclude .git and .env from the build context",
        risk: "Supply chain",
    },
    evaluate,
};

struct Concern {
    severity: Severity,
    title: String,
    message: String,
    evidence: Vec<Evidence>,
    action: &'static str,
}

/// The first line of an instruction (heredoc bodies included) that mentions a
/// download, for evidence.
fn fetch_line(cx: &Context<'_>, path: &str, ins: &Instruction) -> u32 {
    (ins.line..=ins.end_line)
        .find(|&n| {
            let l = cx.line(path, n);
            rules().fetchers().iter().any(|f| l.contains(f.as_str()))
        })
        .unwrap_or(ins.line)
}

fn redacted(kind: VarKind, name: &str) -> String {
    let op = match kind {
        VarKind::Arg => "ARG",
        VarKind::Env => "ENV",
    };
    format!("{op} {name}=<redacted>")
}

fn concerns_of(cx: &Context<'_>, df: &Dockerfile) -> Vec<Concern> {
    let path = df.path.as_str();
    let mut out = Vec::new();
    for add in df.adds.iter().filter(|a| a.remote && !a.checksum) {
        out.push(Concern {
            severity: Severity::P2,
            title: format!("{path} adds a remote file without a checksum"),
            message: format!(
                "`ADD {}` fetches a file at build time and uses whatever the server returns; pin it with `--checksum=sha256:…`.",
                add.source
            ),
            evidence: vec![cx.at(path, add.line)],
            action: "Pin each remote `ADD` to its content with `--checksum=sha256:…`",
        });
    }
    for ins in df.instructions.iter().filter(|i| i.op == "RUN") {
        let script = ins.script();
        if let Some(cmd) = rules().fetch_and_run(&script) {
            let line = fetch_line(cx, path, ins);
            out.push(Concern {
                severity: Severity::P2,
                title: format!("{path} runs a downloaded script unverified"),
                message: format!(
                    "`{}` executes code fetched at build time without checking it against a known hash.",
                    cmd.chars().take(120).collect::<String>()
                ),
                evidence: vec![cx.at(path, line)],
                action: "Download build-time scripts to a file and check their hash before running them",
            });
        }
    }
    let secret_vars = df.vars.iter().filter(|v| rules().is_secret_name(&v.name));
    for v in secret_vars {
        match (v.kind, v.value) {
            (_, VarValue::Literal) => out.push(Concern {
                severity: Severity::P2,
                title: format!("{path} sets the secret {} in the image", v.name),
                message: format!(
                    "`{}` has a literal value in the Dockerfile; it is readable in the image metadata and history by anyone who can pull the image (value not shown).",
                    v.name
                ),
                evidence: vec![Evidence::at(path, v.line, &redacted(v.kind, &v.name))],
                action: "Remove secret values from the Dockerfile; pass them at run time or mount them with `RUN --mount=type=secret`",
            }),
            (VarKind::Arg, VarValue::Unset) => {
                // A build argument without a default leaks only when a later
                // instruction of its stage uses it outside a secret mount.
                let refers = |text: &str| {
                    crate::analyze::container::dockerfile::var_refs(text).contains(&v.name)
                };
                let used = df.instructions.iter().find(|i| {
                    i.stage == v.stage
                        && i.line > v.line
                        && ((i.op == "RUN" && !i.mounts_secret() && refers(&i.script()))
                            || (i.op == "ENV" && refers(&i.args)))
                });
                if let Some(i) = used {
                    out.push(Concern {
                        severity: Severity::P3,
                        title: format!("{path} passes the secret {} as a build argument", v.name),
                        message: format!(
                            "`ARG {}` is used by `{}`; build-argument values used this way are recorded in the image history (`docker history`). Mount it with `RUN --mount=type=secret` instead.",
                            v.name, i.op
                        ),
                        evidence: vec![cx.at(path, v.line), cx.at(path, i.line)],
                        action: "Mount build secrets with `RUN --mount=type=secret` instead of build arguments",
                    });
                }
            }
            _ => {}
        }
    }
    // Only the final stage ships; what a build stage copies stays behind.
    let last_stage = df.stages.len().saturating_sub(1);
    let copies_context = df.instructions.iter().find(|i| {
        i.op == "COPY"
            && i.stage == last_stage
            && i.flag("from").is_none()
            && i.heredocs.is_empty()
            && {
                let ops = i.operands();
                ops.len() > 1
                    && ops
                        .iter()
                        .take(ops.len() - 1)
                        .any(|s| matches!(s.as_str(), "." | "./" | "*"))
            }
    });
    if let Some(copy) = copies_context {
        let gap: Option<(String, Evidence)> = match &df.dockerignore {
            None => Some((
                "there is no .dockerignore".into(),
                Evidence::absent(
                    format!("{path}.dockerignore or .dockerignore beside it or at the root"),
                    "the build context",
                ),
            )),
            Some(ig) if !ig.excludes_git || !ig.excludes_env => {
                let names: Vec<&str> = [(".git", ig.excludes_git), (".env", ig.excludes_env)]
                    .iter()
                    .filter(|(_, ex)| !ex)
                    .map(|(n, _)| *n)
                    .collect();
                Some((
                    format!("{} does not exclude {}", ig.path, names.join(" or ")),
                    cx.at_start(&ig.path),
                ))
            }
            Some(_) => None,
        };
        if let Some((missing, evidence)) = gap {
            out.push(Concern {
                severity: Severity::P3,
                title: format!("{path} copies the whole build context"),
                message: format!(
                    "`COPY {}` copies everything in the context and {missing}, so the repository history and local environment files can end up in a layer.",
                    copy.args
                ),
                evidence: vec![cx.at(path, copy.line), evidence],
                action: "Exclude `.git` and `.env` files from the build context in `.dockerignore`",
            });
        }
    }
    out
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let c = &cx.facts.containers;
    let files: Vec<&Dockerfile> = c.dockerfiles.iter().chain(&c.dev_dockerfiles).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Dockerfile");
    }
    let mut findings: Vec<Concern> = Vec::new();
    let mut score = 0.0;
    let mut clean = 0usize;
    for df in &files {
        let mut concerns = concerns_of(cx, df);
        if let Some(label) = &df.dev {
            for c in &mut concerns {
                c.severity = Severity::P3;
                c.title = format!("{} ({label})", c.title);
            }
        }
        score += if concerns.is_empty() {
            clean += 1;
            1.0
        } else if concerns.iter().all(|c| c.severity == Severity::P3) {
            0.75
        } else {
            0.25
        };
        findings.extend(concerns);
    }
    let n = files.len();
    let cap = super::container_runtime::cap(findings.iter().map(|f| f.severity));
    let mut outcome = Outcome::scored(
        (score / n as f64).min(cap),
        format!("{clean} of {n} Dockerfiles without build-time security concerns"),
    );
    for f in findings {
        outcome = outcome
            .concern_at(def, f.severity, f.title, f.message, f.evidence)
            .action(f.action);
    }
    outcome
}
