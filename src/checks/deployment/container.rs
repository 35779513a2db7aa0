//! Judges whether a runnable project has a container build.

use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, ProjectKind, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.container",
        category: Category::Deployment,
        title: "Container build",
        summary: "A service (or CLI) has a Dockerfile/Containerfile, so it builds into the same image everywhere; not expected of libraries. A project deployed with systemd units, an application server configuration, a Procfile, a platform manifest or installation documentation that sets it up under an application server or service manager instead is a P3, and so is one whose documentation links to the repository that builds its images (`owner/docker-app`) or one CI publishes to a package registry (PyPI, npm, crates.io). An image a container-SDK pipeline (Dagger) builds and publishes in code, in sources that name the project's program, counts as its container build; the pipeline's own project is not judged.",
        weight: 1.0,
        severity: Severity::P1,
        by_kind: Some(KindSeverity {
            service: Severity::P1,
            cli: Severity::P3,
            library: None,
        }),
        effort: Effort::S,
        rationale: "A container image pins the runtime, system libraries and dependencies the code was tested with, and is the unit every modern platform deploys and rolls back. Without one, each deployment rebuilds an environment by hand.",
        remediation: "Add a Dockerfile: a pinned slim base image, a multi-stage build that leaves compilers out of the final image, a non-root USER, and a HEALTHCHECK; build it in CI.",
        action: "Create a Dockerfile and build the image in CI",
        risk: "Deployment",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.kind == ProjectKind::Library {
        return Outcome::not_applicable("libraries are not deployed as containers");
    }
    let found = cx
        .facts
        .containers
        .dockerfiles
        .iter()
        .take(5)
        .map(|d| cx.at(&d.path, d.stages.first().map(|s| s.line).unwrap_or(1)))
        .collect();
    // A project deployed another way (systemd units, an application server's
    // configuration, a platform manifest) has a deployment path: an image would be a
    // convenience, not the missing artefact.
    let other: Vec<_> = if cx.facts.containers.dockerfiles.is_empty() {
        cx.files()
            .filter_map(|f| other_deployment(f).map(|what| (f, what)))
            .take(3)
            .collect()
    } else {
        Vec::new()
    };
    if cx.facts.containers.dockerfiles.is_empty() {
        if let Some((at, repository)) = image_built_elsewhere(cx) {
            let summary = format!("no Dockerfile here; CI asks `{repository}` to build the image");
            return Outcome::pass(summary.clone()).strength(
                &CHECK.def,
                format!("Container image built in `{repository}`"),
                format!(
                    "CI sends each change to `{repository}`, the repository that builds and publishes the {}'s image.",
                    cx.kind.noun()
                ),
                vec![at],
            );
        }
    }
    // Images a pipeline written with a container SDK builds and publishes (Dagger:
    // `client.container().with_file(…).publish(…)`), naming this project's program.
    if cx.facts.containers.dockerfiles.is_empty() {
        if let Some((at, sdk, own)) = image_built_in_code(cx) {
            if own {
                return Outcome::not_applicable(format!(
                    "a {sdk} pipeline that builds images, not deployed itself"
                ));
            }
            return Outcome::pass(format!("no Dockerfile; the image is built with {sdk}"))
                .strength(
                    &CHECK.def,
                    format!("Container image built with {sdk}"),
                    format!(
                        "A {sdk} pipeline builds and publishes an image holding the {}'s program; there is no Dockerfile because the image is defined in code.",
                        cx.kind.noun()
                    ),
                    vec![at],
                );
        }
    }
    // Images a packager builds from another repository the documentation names
    // ("Pre-built Docker images: [linuxserver/docker-app](…)").
    if cx.facts.containers.dockerfiles.is_empty() {
        if let Some((at, repository)) = crate::checks::elsewhere::linked_repository(
            cx,
            &["docker", "container", "image"],
            &["docker", "container", "image"],
        ) {
            return Outcome::partial(0.75, format!("no Dockerfile here; images built in `{repository}`"))
                .concern_at(
                    &CHECK.def,
                    Severity::P3,
                    "Container image built in another repository",
                    format!(
                        "The documentation points to images built in `{repository}`; no Dockerfile here, so a change to the {} is not built into an image in the same step.",
                        cx.kind.noun()
                    ),
                    vec![at],
                );
        }
    }
    // Released to a package registry (PyPI, npm, crates.io): the package is the
    // reproducible artefact users install and run.
    if cx.facts.containers.dockerfiles.is_empty() && other.is_empty() {
        let published = cx
            .facts
            .ci
            .all_steps("release")
            .into_iter()
            .find(|s| PACKAGE_PUBLISH.iter().any(|p| s.step.text.contains(p)));
        if let Some(s) = published {
            return Outcome::partial(0.75, "no Dockerfile; released as a package")
                .concern_at(
                    &CHECK.def,
                    Severity::P3,
                    "No container build",
                    format!(
                        "The {} is released as a package ({}:{}), which is what users install and run; an image would also pin its runtime and system libraries.",
                        cx.kind.noun(),
                        s.file.path,
                        s.step.line
                    ),
                    vec![Evidence::at(s.file.path.clone(), s.step.line, &s.step.text)],
                );
        }
    }
    if let Some((_, what)) = other.first() {
        let evidence = other
            .iter()
            .map(|(f, _)| cx.at_start(&f.path))
            .collect::<Vec<_>>();
        return Outcome::partial(0.75, format!("no Dockerfile; deployed with {what}"))
            .concern_at(
                &CHECK.def,
                Severity::P3,
                "No container build",
                format!(
                    "The {} is deployed with {what}, not a container image; an image would pin its runtime and system libraries the same way everywhere.",
                    cx.kind.noun()
                ),
                evidence,
            );
    }
    Presence {
        def: &CHECK.def,
        found,
        found_title: format!(
            "Container build present ({})",
            plural(
                cx.facts.containers.dockerfiles.len(),
                "Dockerfile",
                "Dockerfiles"
            )
        ),
        missing_title: "No container build".into(),
        missing_message: format!(
            "There is no Dockerfile, so the {} has no reproducible deployment artifact.",
            cx.kind.noun()
        ),
        looked_for: "Dockerfile, Dockerfile.*, *.Dockerfile, Containerfile".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity_for(cx.kind),
    }
    .judge()
}

/// Commands and actions that publish a package to a language registry.
const PACKAGE_PUBLISH: &[&str] = &[
    "twine upload",
    "pypa/gh-action-pypi-publish@",
    "poetry publish",
    "uv publish",
    "hatch publish",
    "flit publish",
    "maturin publish",
    "maturin upload",
    "npm publish",
    "pnpm publish",
    "yarn publish",
    "cargo publish",
];

/// A CI step that triggers another repository's workflow, that repository or the
/// event being named for an image (`peter-evans/repository-dispatch` with
/// `repository: acme/app-docker`, `gh workflow run --repo acme/app-docker`): the
/// image is built there. Where it is asked, and the repository.
fn image_built_elsewhere(cx: &Context<'_>) -> Option<(Evidence, String)> {
    let imagey = |s: &str| {
        let s = s.to_ascii_lowercase();
        ["docker", "container", "image"]
            .iter()
            .any(|w| s.contains(w))
    };
    for f in cx
        .inventory
        .files
        .iter()
        .filter(|f| crate::repo::kind::is_ci_config(&f.path))
    {
        let Some(text) = f.text() else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start().trim_start_matches("- ");
            let dispatch = t.starts_with("uses:") && t.contains("repository-dispatch");
            let cli = t.contains("gh workflow run") && t.contains("--repo");
            if !dispatch && !cli {
                continue;
            }
            let window: Vec<&str> = lines.iter().skip(i).take(8).copied().collect();
            let repository = if cli {
                t.split_whitespace()
                    .skip_while(|w| *w != "--repo")
                    .nth(1)
                    .map(|r| r.trim_matches(|c| c == '"' || c == '\'').to_string())
            } else {
                window.iter().find_map(|w| {
                    w.trim_start()
                        .strip_prefix("repository:")
                        .map(|r| r.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
                })
            };
            let Some(repository) = repository.filter(|r| r.contains('/') && !r.contains("${{"))
            else {
                continue;
            };
            let event = window
                .iter()
                .find_map(|w| w.trim_start().strip_prefix("event-type:"))
                .unwrap_or("");
            if imagey(&repository) || imagey(event) {
                let line = u32::try_from(i + 1).unwrap_or(1);
                return Some((cx.at(&f.path, line), repository));
            }
        }
    }
    None
}

/// Imports of container SDKs whose pipelines build images in code, and the SDK.
const CONTAINER_SDKS: &[(&str, &str)] = &[
    ("dagger_sdk", "Dagger"),
    ("\"dagger.io/dagger\"", "Dagger"),
    ("@dagger.io/dagger", "Dagger"),
    ("import dagger", "Dagger"),
    ("from dagger import", "Dagger"),
];

/// Source files of a container-SDK pipeline read for the project's name.
const PIPELINE_FILES: usize = 64;

/// A pipeline written with a container SDK that publishes images (`.publish(`), in a
/// project whose sources name this project's program in a string (`"web-server"`),
/// or in this project itself (the pipeline): where it publishes, the SDK, and whether
/// the pipeline is this project.
fn image_built_in_code(cx: &Context<'_>) -> Option<(Evidence, &'static str, bool)> {
    let project = match cx.scope {
        Some(i) => cx.facts.projects.get(i),
        None => cx.facts.projects.project_of(""),
    }?;
    let name = project.name.as_str();
    // A short name (`api`, `web`) is quoted in any pipeline.
    if name.len() < 4 {
        return None;
    }
    let quoted = format!("\"{name}\"");
    cx.inventory.files.iter().find_map(|f| {
        if !matches!(
            f.path.rsplit('.').next(),
            Some("rs" | "go" | "py" | "ts" | "js" | "mjs")
        ) {
            return None;
        }
        let text = f.text()?;
        let (_, sdk) = CONTAINER_SDKS.iter().find(|(i, _)| text.contains(i))?;
        let (i, _) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.to_ascii_lowercase().contains(".publish("))?;
        // The pipeline's own project: the directory of its nearest manifest.
        let root = cx
            .facts
            .projects
            .project_of(&f.path)
            .map_or("", |p| p.path.as_str());
        let prefix = if root.is_empty() {
            String::new()
        } else {
            format!("{root}/")
        };
        let own = cx.scope.is_some() && cx.in_scope(&f.path);
        let names_project = own
            || cx
                .inventory
                .files
                .iter()
                .filter(|g| {
                    g.path.starts_with(&prefix)
                        && g.path.rsplit('.').next() == f.path.rsplit('.').next()
                })
                .take(PIPELINE_FILES)
                .any(|g| g.text().is_some_and(|t| t.contains(&quoted)));
        names_project.then(|| (cx.at(&f.path, u32::try_from(i + 1).unwrap_or(1)), *sdk, own))
    })
}

/// What a file says about a deployment without containers, when it is one.
fn other_deployment(f: &crate::repo::RepoFile) -> Option<&'static str> {
    let name = f.name();
    let text = f.text().unwrap_or("");
    match name {
        "Procfile" => Some("a Procfile"),
        "fly.toml" | "render.yaml" | "railway.json" | "serverless.yml" | "serverless.yaml"
        | "vercel.json" | "netlify.toml" => Some("a platform manifest"),
        "gunicorn.py" | "gunicorn.conf.py" | "gunicorn_config.py" | "uwsgi.ini" => {
            Some("an application server configuration")
        }
        // A single binary released for each platform is what users install.
        ".goreleaser.yml" | ".goreleaser.yaml" | "goreleaser.yml" | "goreleaser.yaml"
            if text.lines().any(|l| l.starts_with("builds:")) =>
        {
            Some("release binaries built by GoReleaser")
        }
        "dist-workspace.toml" => Some("release binaries built by cargo-dist"),
        _ if name.ends_with(".service") && text.contains("[Service]") => Some("systemd units"),
        // Installation documentation (or a README's production instructions) that
        // sets the application up under an application server or a service manager.
        _ if f.kind == crate::repo::FileKind::Docs
            && (["install", "deploy"]
                .iter()
                .any(|w| name.to_ascii_lowercase().contains(w))
                || (!f.path.contains('/')
                    && name.to_ascii_lowercase().starts_with("readme")
                    && text.contains("production")))
            && [
                "gunicorn",
                "uwsgi",
                "uvicorn",
                "hypercorn",
                "daphne",
                "waitress-serve",
                "systemd",
                "supervisor",
            ]
            .iter()
            .any(|w| text.contains(w)) =>
        {
            Some("its documented installation (an application server or service manager)")
        }
        _ => None,
    }
}
