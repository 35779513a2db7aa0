//! Judges whether a CI pipeline exists and lists what its jobs do.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "ci.pipeline",
        category: Category::Ci,
        title: "CI pipeline exists",
        summary: "A CI configuration (GitHub Actions, GitLab CI, CircleCI, Woodpecker, Jenkins, …) exists; each job is classified (lint, type check, test, coverage gate, scans, build, release).",
        weight: 2.0,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "Without CI, nothing guarantees that what is merged builds and passes its tests; every quality gate in this review depends on a pipeline that enforces it on every change.",
        remediation: "Add a CI workflow (e.g. .github/workflows/ci.yml) that runs on pull requests and pushes to the main branch: install, lint, type-check, test with coverage, and the security scans.",
        action: "Set up a CI pipeline that runs on every pull request",
        risk: "Regression risk",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let ci = &cx.facts.ci;
    if ci.files.is_empty() {
        if let Some(o) = cx.not_shipped("CI configuration") {
            return o;
        }
        return Outcome::fail("no CI configuration").concern(
            def,
            "No CI pipeline",
            "No continuous-integration configuration was found, so nothing runs the tests or checks on each change.",
            vec![Evidence::absent(
                ".github/workflows/*.yml, .depot/workflows/*.yml, .gitlab-ci.yml, .circleci/config.yml, azure-pipelines.yml, Jenkinsfile, .travis.yml, bitbucket-pipelines.yml, .buildkite/, .drone.yml, .woodpecker/",
                cx.scope(),
            )],
        );
    }
    let cat = crate::analyze::catalog::catalog();
    let mut outcome = if ci.files.iter().any(|f| f.on_changes) {
        Outcome::pass("")
    } else {
        let mut evidence = vec![Evidence::absent(
            "a workflow triggered by push, pull_request or merge_group",
            plural(ci.files.len(), "CI file", "CI files"),
        )];
        evidence.extend(ci.files.iter().map(|f| {
            let line = f.triggers_line.unwrap_or(1);
            let snippet = format!("on: {}", f.triggers.join(", "));
            Evidence::at(f.path.clone(), line, &snippet)
        }));
        Outcome::scored(0.2, "").concern(
            def,
            "CI never runs on changes",
            "The CI configuration only runs on a schedule, by hand or on other events; no workflow runs on pushes or pull requests.",
            evidence,
        )
    };
    let mut jobs = 0usize;
    for file in &ci.files {
        jobs += file.jobs.len();
        for job in &file.jobs {
            if job.steps.is_empty() {
                continue;
            }
            let mut classes: Vec<&str> = Vec::new();
            for name in job.steps.iter().filter_map(|s| {
                cat.ci_classes
                    .iter()
                    .find(|c| c.id == s.class)
                    .map(|c| c.name.as_str())
            }) {
                if !classes.contains(&name) {
                    classes.push(name);
                }
            }
            let evidence = job
                .steps
                .iter()
                .map(|s| Evidence::at(file.path.clone(), s.line, &s.text))
                .collect();
            outcome = outcome.strength(
                def,
                format!("CI job `{}`: {}", job.id, classes.join(", ")),
                format!("{} ({})", file.path, file.system.name()),
                evidence,
            );
        }
    }
    let systems: Vec<&str> = {
        let mut s: Vec<&str> = ci.files.iter().map(|f| f.system.name()).collect();
        s.dedup();
        s
    };
    let on_changes = ci.files.iter().filter(|f| f.on_changes).count();
    outcome.summary = format!(
        "{} ({} on pushes or pull requests) with {} ({})",
        plural(ci.files.len(), "CI file", "CI files"),
        on_changes,
        plural(jobs, "job", "jobs"),
        systems.join(", ")
    );
    outcome
}
