//! Security: secrets (in the tree and in git history), supply chain (lock files,
//! pinning, update bots, known vulnerabilities, audit tooling), GitHub Actions workflow
//! hygiene (script injection, privileged triggers running pull request code, token
//! permissions, action pinning),
//! containers, web application configuration (debug mode, CORS, bind address), the
//! security policy, SAST, and dangerous patterns in source code (injection, unsafe
//! deserialization, path traversal, weak cryptography, disabled TLS verification).

pub mod action_pinning;
pub mod app_config;
pub mod code_injection;
pub mod command_injection;
pub mod container_build;
pub mod container_runtime;
pub mod dangerous_triggers;
pub mod dependency_audit;
pub mod dependency_pinning;
pub mod dependency_updates;
mod deps;
pub mod email_addresses;
pub mod env_files;
pub mod known_vulnerabilities;
pub mod lockfile;
pub mod path_traversal;
pub mod policy;
pub mod sast;
pub mod secret_history;
pub mod secret_scanning;
pub mod secrets;
pub(crate) mod sites;
pub mod sql_injection;
pub mod tls_verification;
pub mod unsafe_deserialization;
pub mod weak_crypto;
pub mod workflow_injection;
pub mod workflow_permissions;
mod workflows;

use crate::analyze::ci::LocalTask;
use crate::checks::ci::step_evidence;
use crate::checks::{CheckDef, Context, Outcome};
use crate::model::{Evidence, Severity};

/// Judges a security tool class as enforced (in CI), configured (locally only) or
/// absent. `extra` adds configured-but-not-CI evidence (e.g. Dependabot).
pub(crate) fn enforced(
    cx: &Context<'_>,
    def: &CheckDef,
    class: &str,
    what: &str,
    looked_for: &str,
    extra: Vec<Evidence>,
    severity: Severity,
) -> Outcome {
    let steps = cx.facts.ci.steps(class);
    if !steps.is_empty() {
        return Outcome::pass(format!("{what} runs in CI")).strength(
            def,
            format!("{what} enforced in CI"),
            "",
            step_evidence(cx, &steps, 3),
        );
    }
    let manual = cx.facts.ci.off_change_steps(class);
    if !manual.is_empty() {
        return Outcome::partial(0.5, format!("{what} runs in CI only on a schedule or by hand")).concern_at(
            def,
            severity,
            format!("{what} does not run on pull requests"),
            format!("{what} runs in a workflow that is not triggered by pushes or pull requests, so changes can merge without it."),
            step_evidence(cx, &manual, 3),
        );
    }
    let local: Vec<&LocalTask> = cx.facts.ci.local(class);
    let mut configured: Vec<Evidence> = local
        .iter()
        .take(3)
        .map(|t| Evidence::at(t.path.clone(), t.step.line, &t.step.text))
        .collect();
    configured.extend(extra);
    if configured.is_empty() && cx.facts.ci.files.is_empty() {
        if let Some(o) = cx.not_shipped("CI configuration") {
            return o;
        }
    }
    if !configured.is_empty() {
        return Outcome::partial(0.5, format!("{what} configured but not run in CI")).concern_at(
            def,
            severity,
            format!("{what} configured but not enforced"),
            format!("{what} is configured outside CI (pre-commit, Makefile, bots), so a pull request can merge without it."),
            configured,
        );
    }
    Outcome::fail(format!("no {what}")).concern_at(
        def,
        severity,
        format!("No {what}"),
        format!("Nothing runs {what} on this repository."),
        vec![Evidence::absent(looked_for, cx.scope())],
    )
}
