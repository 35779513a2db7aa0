//! Judges whether GitHub Actions workflows limit their token: a top-level
//! `permissions:` block (or one on every job), no `write-all`, and write scopes granted
//! to the jobs that need them rather than to the whole workflow.

use super::workflows::{at, workflows};
use crate::analyze::workflows::{Permissions, Workflow};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.workflow-permissions",
        category: Category::Security,
        title: "Workflow token permissions limited",
        summary: "Every GitHub Actions workflow sets `permissions:` at the top (`contents: read`, `read-all` or `{}`) or on every job; none grants `write-all`; write scopes are given to the jobs that need them.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "Without a `permissions:` block the `GITHUB_TOKEN` gets the repository's default, which is read-write on repositories created before February 2023 and in organisations that kept that default. Any compromised step (a hijacked action, an injected script) can then push commits, rewrite releases or approve pull requests. A declared minimum bounds the damage and documents what each job does.",
        remediation: "Add `permissions: contents: read` (or `permissions: {}`) at the top of each workflow and grant write scopes only on the jobs that need them (`permissions: contents: write` on the release job). Replace `write-all` with the scopes used.",
        action: "Declare least-privilege `permissions:` in every workflow",
        risk: "CI compromise",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let all = match workflows(cx) {
        Ok(w) => w,
        Err(o) => return o,
    };
    let files: Vec<&Workflow> = all.iter().filter(|w| !w.is_action).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no GitHub Actions workflows (only actions)");
    }
    let mut undeclared: Vec<&Workflow> = Vec::new();
    let mut write_all: Vec<(&Workflow, u32, String)> = Vec::new();
    let mut broad: Vec<(&Workflow, u32, Vec<String>)> = Vec::new();
    let mut bad = 0usize;
    for w in &files {
        let before = undeclared.len() + write_all.len();
        match &w.permissions {
            None => {
                // Jobs that each declare their own permissions are just as limited.
                let every_job = !w.jobs.is_empty()
                    && w.jobs
                        .iter()
                        .all(|j| j.permissions.is_some() || j.uses.is_some());
                if !every_job {
                    undeclared.push(w);
                }
            }
            Some(p) if p.value == Permissions::WriteAll => {
                write_all.push((w, p.line, "the whole workflow".to_string()));
            }
            Some(p) => {
                let writes = p.value.writes();
                if !writes.is_empty() && w.jobs.len() > 1 {
                    broad.push((w, p.line, writes.iter().map(|s| s.to_string()).collect()));
                }
            }
        }
        for job in &w.jobs {
            if let Some(p) = job
                .permissions
                .as_ref()
                .filter(|p| p.value == Permissions::WriteAll)
            {
                write_all.push((w, p.line, format!("job `{}`", job.id)));
            }
        }
        if undeclared.len() + write_all.len() > before {
            bad += 1;
        }
    }
    let total = files.len();
    let ok = total - bad;
    let summary = format!(
        "{} of {} with a limited token ({} without permissions, {} write-all)",
        ok,
        plural(total, "workflow", "workflows"),
        undeclared.len(),
        write_all.len()
    );
    if bad == 0 && broad.is_empty() {
        let evidence: Vec<Evidence> = files
            .iter()
            .filter_map(|w| w.permissions.as_ref().map(|p| at(cx, w, p.line)))
            .take(5)
            .collect();
        let mut outcome = Outcome::pass(summary);
        if !evidence.is_empty() {
            outcome = outcome.strength(
                def,
                "Workflows declare least-privilege token permissions",
                "",
                evidence,
            );
        }
        return outcome;
    }
    #[allow(clippy::cast_precision_loss)]
    let mut outcome = Outcome::scored((ok as f64 / total as f64).min(0.9), summary);
    for (w, line, scope) in write_all {
        outcome = outcome
            .concern_at(
                def,
                Severity::P2,
                format!("`permissions: write-all` for {scope} (`{}`)", w.path),
                "Every step gets a token that can push code, create releases, change issues and pull requests and edit workflows; one compromised action or injected script is enough to tamper with the repository. List only the scopes the job uses.",
                vec![at(cx, w, line)],
            )
            .fingerprint(format!("{}:{line}:write-all", w.path));
    }
    if !undeclared.is_empty() {
        let evidence: Vec<Evidence> = undeclared
            .iter()
            .map(|w| at(cx, w, w.on_line.max(1)))
            .collect();
        let names: Vec<&str> = undeclared.iter().map(|w| w.path.as_str()).collect();
        outcome = outcome
            .concern_at(
                def,
                Severity::P2,
                format!("{} without a `permissions:` block", plural(undeclared.len(), "workflow", "workflows")),
                format!(
                    "{} run with the repository's default token permissions, read-write unless the repository or organisation was switched to read-only; a compromised step could push code or publish releases. Add `permissions: contents: read` at the top and grant writes per job.",
                    names.join(", ")
                ),
                evidence,
            )
            .fingerprint("undeclared");
    }
    for (w, line, writes) in broad {
        outcome = outcome
            .concern_at(
                def,
                Severity::P3,
                format!("Write permission for every job of `{}` ({})", w.path, writes.join(", ")),
                "The top-level block grants write scopes to every job, including those that only build or test. Move the write scopes to the jobs that publish and keep `contents: read` at the top.",
                vec![at(cx, w, line)],
            )
            .fingerprint(format!("{}:broad", w.path));
    }
    outcome
}
