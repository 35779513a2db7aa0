//! Judges whether each ecosystem in use has a lock file, and whether the lock file
//! agrees with its manifest: every direct dependency is locked, at a version the
//! manifest allows.
//!
//! Versions are compared with semver for Cargo and npm (npm ranges translated:
//! spaces between comparators, `a - b`, `||`), with PEP 440 for Python requirements
//! that are PEP 440 specifiers (Poetry's `^`/`~` are compared by name only), and
//! exactly for Go. Libraries conventionally leave lock files out (their users
//! resolve versions), so a missing lock file is only a concern for services and
//! command-line tools; Go's go.sum is needed by every module.

use crate::analyze::catalog::Ecosystem;
use crate::analyze::manifest::{Dependency, LockFile, Manifest};
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Evidence, ProjectKind, Severity, plural};

use super::deps::{covering, generated_from, in_use, locked_direct, satisfies, self_locked};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.lockfile",
        category: Category::Security,
        title: "Dependencies locked",
        summary: "Each ecosystem in use has a lock file (Cargo.lock, package-lock/yarn/pnpm, poetry/uv/pdm/Pipfile.lock or pinned requirements, go.sum) that contains every direct dependency at a version the manifest allows.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P2,
            library: Some(Severity::P3),
        }),
        effort: Effort::S,
        rationale: "Without a lock file every install resolves versions anew: a build made today and one made tomorrow can ship different code, a compromised or broken release is picked up silently, and a vulnerability report cannot say which version production runs. A lock file that disagrees with its manifest is regenerated on the next install and protects nothing.",
        remediation: "Generate and commit the lock file (`cargo generate-lockfile`, `npm install --package-lock-only`, `poetry lock`, `uv lock`, `pip-compile`, `go mod tidy`), install from it in CI and in images (`cargo build --locked`, `npm ci`, `poetry install --sync`, `uv sync --locked`, `pip install -r requirements.txt`), and regenerate it whenever the manifest changes.",
        action: "Commit a lock file that matches the manifest and install from it",
        risk: "Unreproducible builds",
    },
    evaluate,
};

/// Evidence kept per finding.
const MAX_EVIDENCE: usize = 10;

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let manifests = in_use(cx);
    if manifests.is_empty() {
        return Outcome::not_applicable("no manifest declares dependencies");
    }
    let app = cx.kind != ProjectKind::Library;
    let severity = def.severity_for(cx.kind);
    let mut concerns: Vec<(Severity, String, String, Vec<Evidence>)> = Vec::new();
    let mut locked: Vec<&LockFile> = Vec::new();
    let mut unlocked_libraries = 0usize;
    let mut unshipped = 0usize;
    // Python manifests side by side (pyproject.toml, requirements.txt, setup.py) are
    // one project: judged once for presence.
    let mut python_dirs_missing: Vec<&str> = Vec::new();
    for m in &manifests {
        if self_locked(cx, m) {
            continue;
        }
        let locks = covering(cx, m);
        if locks.is_empty() {
            if cx.facts.distribution.is_some() {
                unshipped += 1;
                continue;
            }
            if m.ecosystem == Ecosystem::Python {
                if python_dirs_missing.contains(&m.dir()) {
                    continue;
                }
                python_dirs_missing.push(m.dir());
            }
            let go = m.ecosystem == Ecosystem::Go;
            if !app && !go {
                unlocked_libraries += 1;
                continue;
            }
            concerns.push(missing(cx, m, severity));
            continue;
        }
        for lock in locks {
            if !locked.iter().any(|l| l.path == lock.path) {
                locked.push(lock);
            }
            if let Some(p) = &lock.problem {
                if lock.path.ends_with(".lockb") {
                    continue;
                }
                concerns.push((
                    severity,
                    format!("{} could not be read", lock.path),
                    format!(
                        "{} covers {} but could not be read ({}), so installs from it fail or resolve anew.",
                        lock.path, m.path, p.message
                    ),
                    vec![cx.at(&p.path, p.line)],
                ));
                continue;
            }
            if generated_from(lock, m) {
                if let Some(c) = inconsistent(cx, lock, m, severity) {
                    concerns.push(c);
                }
            }
        }
    }
    let mut outcome = if concerns.is_empty() {
        let mut summary = if locked.is_empty() {
            String::from("no lock file")
        } else {
            format!(
                "{} consistent with the manifests",
                plural(locked.len(), "lock file", "lock files")
            )
        };
        if unlocked_libraries > 0 {
            summary.push_str(&format!(
                "; {} without one, as libraries conventionally are",
                plural(unlocked_libraries, "library manifest", "library manifests")
            ));
        }
        if unshipped > 0 {
            if locked.is_empty() && unlocked_libraries == 0 {
                if let Some(o) = cx.not_shipped("lock file") {
                    return o;
                }
            }
            summary.push_str("; packages do not ship lock files");
        }
        Outcome::pass(summary)
    } else if concerns.iter().any(|c| c.0 <= Severity::P2) {
        Outcome::fail(plural(
            concerns.len(),
            "lock file problem",
            "lock file problems",
        ))
    } else {
        Outcome::partial(
            0.5,
            plural(concerns.len(), "lock file problem", "lock file problems"),
        )
    };
    if !locked.is_empty() && outcome.findings.is_empty() && concerns.is_empty() {
        let evidence: Vec<Evidence> = locked
            .iter()
            .take(MAX_EVIDENCE)
            .map(|l| {
                Evidence::at(
                    l.path.clone(),
                    1,
                    &format!(
                        "{}: {}",
                        l.format,
                        plural(l.packages.len(), "package", "packages")
                    ),
                )
            })
            .collect();
        outcome = outcome.strength(def, "Dependencies are locked", "", evidence);
    }
    for (sev, title, message, evidence) in concerns {
        outcome = outcome.concern_at(def, sev, title, message, evidence);
    }
    outcome
}

/// What would lock a manifest of this ecosystem.
fn lock_names(eco: Ecosystem) -> &'static str {
    match eco {
        Ecosystem::Rust => "Cargo.lock",
        Ecosystem::Npm => {
            "package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, bun.lockb"
        }
        Ecosystem::Python => {
            "poetry.lock, uv.lock, pdm.lock, Pipfile.lock, requirements*.txt pinning every requirement with =="
        }
        Ecosystem::Go => "go.sum",
    }
}

fn missing(
    cx: &Context<'_>,
    m: &Manifest,
    severity: Severity,
) -> (Severity, String, String, Vec<Evidence>) {
    let direct = m.dependencies.iter().filter(|d| !d.inherited).count();
    let first = m.dependencies.iter().find(|d| !d.inherited);
    let line = first.map(|d| d.line).unwrap_or(1);
    let dir = if m.dir().is_empty() {
        "the root"
    } else {
        m.dir()
    };
    let message = if m.ecosystem == Ecosystem::Go {
        format!(
            "{} requires {} but there is no go.sum beside it: builds fail with \"missing go.sum entry\" or download unverified modules.",
            m.path,
            plural(direct, "module", "modules")
        )
    } else {
        format!(
            "{} declares {} and no lock file covers it, so each install resolves versions anew.",
            m.path,
            plural(direct, "dependency", "dependencies")
        )
    };
    (
        severity,
        format!("No {} lock file for {}", m.ecosystem.name(), m.path),
        message,
        vec![
            cx.at(&m.path, line),
            Evidence::absent(
                lock_names(m.ecosystem),
                format!("{dir} and the directories above it"),
            ),
        ],
    )
}

fn inconsistent(
    cx: &Context<'_>,
    lock: &LockFile,
    m: &Manifest,
    severity: Severity,
) -> Option<(Severity, String, String, Vec<Evidence>)> {
    let mut absent: Vec<&Dependency> = Vec::new();
    let mut wrong: Vec<(&Dependency, String)> = Vec::new();
    for d in locked_direct(lock, m) {
        if !lock.has(&d.normalized) {
            absent.push(d);
            continue;
        }
        let versions: Vec<&str> = lock.versions_of(&d.normalized).collect();
        let verdicts: Vec<Option<bool>> = versions
            .iter()
            .map(|v| satisfies(m.ecosystem, &d.spec, v))
            .collect();
        if verdicts.iter().all(|v| *v == Some(false)) && !verdicts.is_empty() {
            wrong.push((d, versions.join(", ")));
        }
    }
    if absent.is_empty() && wrong.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !absent.is_empty() {
        let names: Vec<&str> = absent.iter().take(8).map(|d| d.name.as_str()).collect();
        parts.push(format!(
            "{} not in it ({}{})",
            plural(absent.len(), "dependency is", "dependencies are"),
            names.join(", "),
            if absent.len() > names.len() {
                ", …"
            } else {
                ""
            }
        ));
    }
    if !wrong.is_empty() {
        let names: Vec<String> = wrong
            .iter()
            .take(8)
            .map(|(d, v)| format!("{} {} locked at {v}", d.name, d.spec))
            .collect();
        parts.push(format!(
            "{} at a version the manifest does not allow ({})",
            plural(wrong.len(), "dependency is", "dependencies are"),
            names.join("; ")
        ));
    }
    let mut evidence: Vec<Evidence> = absent
        .iter()
        .chain(wrong.iter().map(|(d, _)| d))
        .take(MAX_EVIDENCE - 1)
        .map(|d| cx.at(&m.path, d.line))
        .collect();
    evidence.push(Evidence::at(
        lock.path.clone(),
        1,
        &format!(
            "{}: {}",
            lock.format,
            plural(lock.packages.len(), "package", "packages")
        ),
    ));
    Some((
        severity,
        format!("{} is out of date with {}", lock.path, m.path),
        format!(
            "Compared with {}, {}: the lock file was not regenerated after the manifest changed, so `--locked`/`npm ci`-style installs fail and other installs resolve anew.",
            m.path,
            parts.join("; ")
        ),
        evidence,
    ))
}
