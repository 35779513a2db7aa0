//! greenlight: an automated production readiness review of a source repository.
//!
//! The pipeline, one stage per module, data flowing one way:
//! [`repo`] (walk + inventory) → [`analyze`] (static facts) → [`run`] (dynamic facts,
//! only when asked) → [`checks`] (judgments) → [`review`] (policy, scores, verdict) →
//! [`report`] (renderers). [`model`] is the
//! shared vocabulary and [`config`] the policy. [`audit`] runs the whole pipeline.

pub mod advisories;
pub mod analyze;
pub mod checks;
pub mod config;
mod error;
pub mod model;
pub mod repo;
pub mod report;
pub mod review;
pub mod run;

use std::path::{Path, PathBuf};

use config::Policy;
pub use error::Error;
use review::Review;

/// How to run an audit.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Policy file; `None` uses `greenlight.toml` in the root when present.
    pub policy: Option<PathBuf>,
    /// Worker threads; 0 picks one per core.
    pub jobs: usize,
    /// The dynamic phase: run the tests, read JUnit and coverage reports.
    pub run: run::RunOptions,
    /// The local advisory database and audit reports to read (never fetched here).
    pub advisories: advisories::Options,
    /// Scan every blob reachable from HEAD for secrets committed and removed since.
    pub history: bool,
}

/// Loads the policy: the given file, else `greenlight.toml` in `root`, else defaults.
pub fn load_policy(root: &Path, explicit: Option<&Path>) -> Result<Policy, Error> {
    let policy = match explicit {
        Some(p) => Policy::load(p)?,
        None => match Policy::load_from(root)? {
            Some(mut policy) => {
                policy.from_repository = true;
                policy
            }
            None => Policy::default(),
        },
    };
    policy.validate_check_ids(&checks::ids())?;
    Ok(policy)
}

/// Audits the repository at `root`.
pub fn audit(root: &Path, options: &AuditOptions) -> Result<Review, Error> {
    let meta = std::fs::metadata(root).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::RootNotFound(root.to_path_buf()),
        _ => Error::RootUnreadable(root.to_path_buf(), e),
    })?;
    if !meta.is_dir() {
        return Err(Error::RootNotDirectory(root.to_path_buf()));
    }
    std::fs::read_dir(root).map_err(|e| Error::RootUnreadable(root.to_path_buf(), e))?;
    let policy = load_policy(root, options.policy.as_deref())?;
    // Refuse to run tests unsandboxed before any work is done, unless told to.
    let isolation = options.run.isolation().map_err(Error::Sandbox)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    Ok(pool.install(|| audit_with(root, &policy, options, &isolation)))
}

/// The pipeline itself, with a resolved policy.
pub fn audit_with(
    root: &Path,
    policy: &Policy,
    options: &AuditOptions,
    isolation: &run::Isolation,
) -> Review {
    let jobs = options.jobs;
    let walk_options = repo::WalkOptions {
        max_file_bytes: policy.thresholds.max_file_bytes,
        jobs,
        ignore: policy.ignore_set.clone(),
        ..repo::WalkOptions::default()
    };
    let inventory = repo::walk(root, &walk_options);
    let mut facts = analyze::analyze(&inventory, policy);
    if options.history {
        facts.history = Some(analyze::history::collect(root, policy));
    }
    let test_run = options
        .run
        .wanted()
        .then(|| run::run(root, &inventory, &facts, policy, &options.run, isolation));
    let advisories = advisories::scan(&inventory, &facts, &options.advisories);
    let cx = checks::Context {
        inventory: &inventory,
        facts: &facts,
        policy,
        kind: facts.stack.project_kind,
        run: test_run.as_ref(),
        advisories: &advisories,
        scope: None,
    };
    let mut results = checks::run(&cx);
    review::invariant::enforce(&mut results, &facts, &inventory);
    let projects = project_reviews(&inventory, &facts, policy, test_run.as_ref(), &advisories);
    review::review(&inventory, &facts, policy, results, test_run, projects)
}

/// With several projects in the repository, each is judged on its own facts, in
/// parallel; the root's project gets the test run (which ran at the root).
fn project_reviews(
    inventory: &repo::Inventory,
    facts: &analyze::Facts,
    policy: &Policy,
    test_run: Option<&run::TestRun>,
    advisories: &advisories::Scan,
) -> Vec<review::ProjectReview> {
    use rayon::prelude::*;
    if !facts.projects.is_multi() {
        return Vec::new();
    }
    if facts.projects.list.len() > analyze::projects::MAX_PROJECT_REVIEWS {
        return facts
            .projects
            .list
            .iter()
            .map(|p| review::ProjectReview::unreviewed(p, analyze::projects::MAX_PROJECT_REVIEWS))
            .collect();
    }
    let views = analyze::projects::views(facts, inventory, policy);
    let mut results: Vec<Vec<checks::CheckResult>> = facts
        .projects
        .list
        .par_iter()
        .zip(views.par_iter())
        .enumerate()
        .map(|(index, (project, view))| {
            let run = test_run.filter(|_| project.path.is_empty());
            let cx = checks::Context {
                inventory,
                facts: view,
                policy,
                kind: view.stack.project_kind,
                run,
                advisories,
                scope: Some(index),
            };
            let mut results = checks::run(&cx);
            // What the repository-wide inputs (advisories, CI) point at in another
            // project is that project's concern, not this one's.
            for r in &mut results {
                // A strength found here may cite other projects' files (the logger
                // of a workspace package it depends on): it stands, citing the
                // places in this project when it has some.
                for f in r.outcome.findings.iter_mut().filter(|f| !f.is_concern()) {
                    let here =
                        |e: &model::Evidence| e.location().is_none_or(|l| cx.in_scope(&l.path));
                    if f.evidence.iter().any(|e| e.location().is_some() && here(e)) {
                        f.evidence.retain(here);
                    }
                }
                r.outcome.findings.retain(|f| {
                    !f.is_concern()
                        || f.evidence
                            .iter()
                            .filter_map(|e| e.location())
                            .all(|l| cx.in_scope(&l.path))
                });
            }
            review::invariant::enforce(&mut results, view, inventory);
            results
        })
        .collect();
    let shapes: Vec<(usize, model::ProjectKind)> = views
        .iter()
        .map(|v| (v.tests.production_code_lines, v.stack.project_kind))
        .collect();
    let frontends: Vec<bool> = views.iter().map(|v| v.stack.frontend.is_some()).collect();
    let driven = analyze::projects::driven_by_suites(
        &facts.projects,
        &facts.manifests,
        inventory,
        &frontends,
    );
    // A mobile app (Expo, React Native) ships through the stores on its own: not a
    // browser front end served with the product, whose missing tests weigh less.
    let browser_frontends: Vec<bool> = views
        .iter()
        .zip(&frontends)
        .map(|(v, &frontend)| {
            frontend
                && !v.manifests.iter().any(|m| {
                    m.dependencies
                        .iter()
                        .any(|d| matches!(d.normalized.as_str(), "expo" | "react-native"))
                })
        })
        .collect();
    review::localize_absences(
        &mut results,
        &facts.projects.list,
        &shapes,
        &browser_frontends,
        &driven,
    );
    facts
        .projects
        .list
        .par_iter()
        .zip(views.par_iter())
        .zip(results.into_par_iter())
        .enumerate()
        .filter_map(|(index, ((project, view), results))| {
            let run = test_run.filter(|_| project.path.is_empty());
            review::project_review(inventory, view, policy, index, results, run.cloned())
        })
        .collect()
}
