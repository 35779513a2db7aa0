//! Container and orchestration facts: Dockerfiles (stages, base images and their
//! pinning, USER, HEALTHCHECK, EXPOSE, every instruction with its line, ARG/ENV, ADD
//! sources, the `.dockerignore` that applies), Compose services, Kubernetes resources
//! and the runtime settings of their containers.

pub mod dockerfile;
pub mod rules;
pub mod runtime;
pub mod yaml;

use globset::{GlobBuilder, GlobMatcher};
use serde::Serialize;

use super::Problem;
use crate::repo::{FileKind, Inventory, RepoFile};
pub use dockerfile::{AddSource, BuildVar, Instruction, VarKind, VarValue};
pub use runtime::{ContainerSpec, Workload};

/// A `FROM` line.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub image: String,
    /// Tag after `:`, if any.
    pub tag: Option<String>,
    /// True when pinned by `@sha256:` digest.
    pub digest: bool,
    /// `AS name`.
    pub alias: Option<String>,
    /// True when the image is an earlier stage of the same file (or `scratch`).
    pub internal: bool,
    pub line: u32,
}

impl Stage {
    /// An external image with neither a digest nor a tag other than `latest`.
    pub fn unpinned(&self) -> bool {
        !self.internal && !self.digest && self.tag.as_deref().is_none_or(|t| t == "latest")
    }
}

/// The `.dockerignore` that applies to a Dockerfile's build context.
#[derive(Debug, Clone, Serialize)]
pub struct DockerIgnore {
    pub path: String,
    /// Whether `.git` and `.env` at the context root are excluded.
    pub excludes_git: bool,
    pub excludes_env: bool,
}

/// A Dockerfile, instruction by instruction.
#[derive(Debug, Clone, Serialize)]
pub struct Dockerfile {
    pub path: String,
    pub stages: Vec<Stage>,
    /// The last `USER` of the final stage.
    pub user: Option<(String, u32)>,
    pub healthcheck: Option<u32>,
    pub expose: Vec<(String, u32)>,
    /// Parser directives: (`syntax`/`escape`/`check`, value, line).
    pub directives: Vec<(String, String, u32)>,
    pub vars: Vec<BuildVar>,
    pub adds: Vec<AddSource>,
    pub instructions: Vec<Instruction>,
    /// The ignore file of the build context: `<Dockerfile>.dockerignore`, else
    /// `.dockerignore` beside it, else at the repository root.
    pub dockerignore: Option<DockerIgnore>,
    /// Why the file is development or test infrastructure, when it is.
    pub dev: Option<String>,
    /// Where the container's entrypoint drops root before starting the process
    /// (`gosu`, `su-exec`, `s6-setuidgid`, `setpriv`…): (path, line, command).
    pub drops_privileges: Option<(String, u32, String)>,
    /// A variant (`Dockerfile.bun`, `alpine.Dockerfile`) that no other file of the
    /// repository names, while another Dockerfile is named by its CI, compose files,
    /// scripts or docs: (the file named instead, where): an alternative nobody builds.
    pub unbuilt_variant: Option<(String, String)>,
    /// Another build of the same program is the image the repository publishes (its
    /// CI, a release script or GoReleaser pushes it) and no release pushes this one
    /// (nothing, or only to a development repository such as `acme/app-dev`):
    /// (the published file, where it is pushed).
    pub published_instead: Option<(String, String)>,
}

impl Dockerfile {
    /// True when the final stage runs as root (no USER, or USER root/0).
    pub fn runs_as_root(&self) -> bool {
        if self.drops_privileges.is_some() {
            return false;
        }
        // AWS Lambda runs a function's image as its own unprivileged user.
        if self.stages.last().is_some_and(on_lambda) && self.user.is_none() {
            return false;
        }
        match &self.user {
            // Images built to run unprivileged (distroless `:nonroot`, `-nonroot` tags,
            // Docker Hardened Images' runtime variants) set their own non-root user.
            None => !self.stages.last().is_some_and(|s| {
                let tag = s.tag.as_deref().unwrap_or("");
                tag.contains("nonroot") || (hardened_image(&s.image) && !tag.contains("dev"))
            }),
            Some((u, _)) => {
                let name = u.split(':').next().unwrap_or("");
                name == "root" || name == "0"
            }
        }
    }
}

impl Dockerfile {
    /// The program the final stage starts, to tell builds of one image apart from
    /// other images: the first word of its `ENTRYPOINT` and `CMD` after an init
    /// wrapper (tini, dumb-init), by file name (`/iggy-server` and `iggy-server` are
    /// one program); an interpreter or runner (`node`, `python`, `sh`, `npm`) with
    /// everything it is given. `None` when the stage starts nothing of its own.
    pub fn program(&self) -> Option<String> {
        let stage = self.stages.len().checked_sub(1)?;
        let last = |op: &str| {
            self.instructions
                .iter()
                .rfind(|i| i.stage == stage && i.op == op)
                .map(|i| i.args.as_str())
        };
        let words: Vec<&str> = last("ENTRYPOINT")
            .into_iter()
            .chain(last("CMD"))
            .flat_map(|args| {
                args.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']'))
                    .filter(|w| !w.is_empty())
            })
            .map(|w| w.rsplit('/').next().unwrap_or(w))
            .skip_while(|w| matches!(*w, "tini" | "dumb-init" | "--" | "-g" | "-s" | "exec"))
            .collect();
        // An entrypoint script handed the program (`docker-entrypoint.sh stash`)
        // prepares its start.
        let words = match words.as_slice() {
            [script, rest @ ..] if script.ends_with(".sh") && !rest.is_empty() => rest,
            all => all,
        };
        let first = *words.first()?;
        if !RUNNERS.contains(&first) && !first.ends_with(".sh") {
            return Some(first.to_string());
        }
        // What a runner or a script starts is the code copied in: the same command
        // over other files (`pnpm start` in `/prod/api` and in `/prod/schedules`) is
        // another program.
        let copied: Vec<&str> = self
            .instructions
            .iter()
            .filter(|i| i.stage == stage && (i.op == "COPY" || i.op == "ADD"))
            .filter_map(|i| i.args.split_whitespace().find(|w| !w.starts_with("--")))
            .collect();
        Some(format!("{} < {}", words.join(" "), copied.join(" ")))
    }
}

/// Whether a program name ([`Dockerfile::program`]) names one program wherever it is
/// started: a binary's own name, not a runner's command, a script, a flag or a word any
/// service may use.
fn distinctive(program: &str) -> bool {
    !program.contains(' ')
        && !program.starts_with('-')
        && program.len() >= 4
        && !GENERIC_PROGRAMS.contains(&program)
}

/// Program names many unrelated images use.
const GENERIC_PROGRAMS: &[&str] = &[
    "main",
    "start",
    "serve",
    "server",
    "service",
    "worker",
    "entrypoint",
    "init",
    "run",
    "web",
    "api",
    "app",
    "application",
    "backend",
    "frontend",
    "cmd",
];

/// Interpreters and runners: the program is what they are given.
const RUNNERS: &[&str] = &[
    "sh",
    "bash",
    "node",
    "bun",
    "deno",
    "python",
    "python3",
    "java",
    "npm",
    "yarn",
    "pnpm",
    "npx",
    "uvicorn",
    "gunicorn",
    "dotnet",
    "ruby",
    "php",
    "supervisord",
];

/// A Docker Hardened Image (`dhi.io/node`): its runtime variants run as a non-root
/// user, its build variants (`-dev` tags) as root.
fn hardened_image(image: &str) -> bool {
    image.to_ascii_lowercase().starts_with("dhi.io/")
}

/// A Kubernetes resource found in a YAML file.
#[derive(Debug, Clone, Serialize)]
pub struct K8sResource {
    pub path: String,
    pub kind: String,
    pub line: u32,
}

/// A Compose file and its services.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeFile {
    pub path: String,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ContainerFacts {
    /// Dockerfiles that build the project (not tests, fixtures or dev containers).
    pub dockerfiles: Vec<Dockerfile>,
    /// Dockerfiles of test infrastructure and dev containers, each with `dev` set.
    pub dev_dockerfiles: Vec<Dockerfile>,
    pub compose: Vec<ComposeFile>,
    pub kubernetes: Vec<K8sResource>,
    /// Compose services and Kubernetes workloads with their containers' runtime
    /// settings, test and development files included (labelled by `dev`).
    pub workloads: Vec<Workload>,
}

/// Whether a file name is a Dockerfile's (`Dockerfile`, `Dockerfile.rootless`,
/// `web.Dockerfile`, `Containerfile`).
pub fn is_dockerfile(name: &str) -> bool {
    name == "Dockerfile"
        || name == "dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.starts_with("Dockerfile-")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
}

fn is_compose(name: &str) -> bool {
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    yaml && (name.starts_with("docker-compose") || name.starts_with("compose."))
}

pub fn parse_dockerfile(path: &str, text: &str) -> Dockerfile {
    dockerfile::parse(path, text)
}

fn yaml_problem(path: &str, e: &serde_saphyr::Error) -> Problem {
    let line = e
        .location()
        .map(|l| u32::try_from(l.line()).unwrap_or(1))
        .unwrap_or(1)
        .max(1);
    let msg = e.to_string();
    Problem {
        path: path.to_string(),
        line,
        message: format!(
            "not valid YAML: {}",
            msg.lines().next().unwrap_or("parse error").trim()
        ),
    }
}

/// A Compose file's services and their runtime settings.
fn compose_file(path: &str, text: &str) -> Result<(ComposeFile, Vec<Workload>), Problem> {
    let docs = yaml::parse_documents(text).map_err(|e| yaml_problem(path, &e))?;
    let mut services = Vec::new();
    let mut workloads = Vec::new();
    for doc in &docs {
        let ws = runtime::compose_workloads(path, doc);
        services.extend(ws.iter().map(|w| w.name.clone()));
        workloads.extend(ws);
    }
    Ok((
        ComposeFile {
            path: path.to_string(),
            services,
        },
        workloads,
    ))
}

/// Kubernetes workloads of a manifest; files with template syntax (`{{ }}`) are not
/// YAML before rendering and are left to the text scan.
fn k8s_workloads(path: &str, text: &str) -> Result<Vec<Workload>, Problem> {
    if text.contains("{{") || !text.contains("kind:") {
        return Ok(Vec::new());
    }
    let docs = yaml::parse_documents(text).map_err(|e| yaml_problem(path, &e))?;
    Ok(docs
        .iter()
        .filter(|d| d.get("apiVersion").is_some())
        .filter_map(|d| runtime::k8s_workload(path, d))
        .collect())
}

/// Why a file is development or test infrastructure rather than deployment.
fn dev_label(file: &RepoFile) -> Option<String> {
    if file.path.starts_with(".devcontainer/") || file.path.contains("/.devcontainer/") {
        return Some("dev container".into());
    }
    if file.kind == FileKind::Test {
        return Some("test infrastructure".into());
    }
    if file
        .text()
        .is_some_and(crate::repo::kind::marked_not_for_production)
    {
        return Some(MARKED_DEV.into());
    }
    let name = file.name().to_ascii_lowercase();
    let stem = name.trim_end_matches(".yml").trim_end_matches(".yaml");
    let dev_word = stem.split(['.', '-', '_']).skip(1).any(|w| {
        matches!(
            w,
            "dev" | "development" | "local" | "test" | "tests" | "ci" | "override" | "e2e"
        )
    });
    if is_dockerfile(file.name()) {
        // `Dockerfile.j2`, `Dockerfile.in`: the template other Dockerfiles are
        // rendered from, not an image.
        if [
            ".j2",
            ".jinja",
            ".jinja2",
            ".tmpl",
            ".tpl",
            ".template",
            ".in",
        ]
        .iter()
        .any(|e| name.ends_with(e))
        {
            return Some(TEMPLATE.into());
        }
        // An image whose job is to build .deb/.rpm packages, not to run the program.
        let builds_packages = file.text().is_some_and(|t| {
            [
                "dpkg-buildpackage",
                "debhelper",
                "debuild",
                "rpm-build",
                "rpmbuild",
                "dpkg-deb",
                "nfpm ",
                "fpm -s",
                "makepkg",
            ]
            .iter()
            .any(|tool| t.contains(tool))
                && !t.lines().any(|l| l.trim_start().starts_with("EXPOSE"))
        });
        if builds_packages {
            return Some(PACKAGING.into());
        }
        if let Some(text) = file.text() {
            let instructions: Vec<(String, &str)> = text
                .lines()
                .map(str::trim_start)
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| {
                    let (op, rest) = l.split_once(char::is_whitespace)?;
                    Some((op.to_ascii_uppercase(), rest))
                })
                .collect();
            // A side image that copies nothing from the repository
            // (`maildev.Dockerfile`: `RUN npm i -g maildev`, `CMD maildev`) runs
            // someone else's tool, not this code. A plain `Dockerfile` may install
            // the project itself from a registry.
            let copies_context = instructions
                .iter()
                .any(|(op, rest)| (op == "COPY" || op == "ADD") && !rest.contains("--from="));
            let side_image = !matches!(name.as_str(), "dockerfile" | "containerfile");
            if side_image && !copies_context && instructions.iter().any(|(op, _)| op == "FROM") {
                return Some(TOOL_IMAGE.into());
            }
            // The command it starts is a development server or script
            // (`startup.dev.sh`, `npm run start:dev`, `--reload`, `runserver`).
            // An ENTRYPOINT is the program; a CMD beside it holds its arguments.
            let start = instructions
                .iter()
                .rev()
                .find(|(op, _)| op == "ENTRYPOINT")
                .or_else(|| instructions.iter().rev().find(|(op, _)| op == "CMD"))
                .map(|(_, rest)| *rest);
            if start.is_some_and(starts_development_server) {
                return Some(DEV_IMAGE.into());
            }
            // A port exposed, but only the dependencies installed (from the manifests
            // alone) and no command: the code and the command that serves it come when
            // it runs (a compose service's volume and `npm run dev`). An add-on image
            // that extends another one exposes nothing of its own.
            let copies: Vec<&str> = instructions
                .iter()
                .filter(|(op, rest)| (op == "COPY" || op == "ADD") && !rest.contains("--from="))
                .map(|(_, rest)| *rest)
                .collect();
            let manifests_only = !copies.is_empty()
                && copies.iter().all(|rest| {
                    let words: Vec<&str> = rest
                        .split_whitespace()
                        .filter(|w| !w.starts_with("--"))
                        .collect();
                    let sources = words.split_last().map_or(&[][..], |(_, s)| s);
                    !sources.is_empty()
                        && sources.iter().all(|w| {
                            let name = w.trim_matches(['"', '[', ']', ',']);
                            let name = name.rsplit('/').next().unwrap_or(name);
                            DEPENDENCY_MANIFESTS.contains(&name) || name.starts_with("requirements")
                        })
                });
            let exposes = instructions.iter().any(|(op, _)| op == "EXPOSE");
            // On a language's own runtime image, whose default command is its REPL:
            // an application image extends a server image that brings the command.
            let base = instructions
                .iter()
                .rev()
                .find(|(op, _)| op == "FROM")
                .and_then(|(_, rest)| rest.split_whitespace().find(|w| !w.starts_with("--")))
                .map(|w| w.to_ascii_lowercase())
                .unwrap_or_default();
            let base = base.split(['@', ':']).next().unwrap_or("");
            let base = base.strip_prefix("docker.io/").unwrap_or(base);
            let base = base.strip_prefix("library/").unwrap_or(base);
            let runtime_base = [
                "node",
                "python",
                "ruby",
                "golang",
                "rust",
                "php",
                "oven/bun",
                "denoland/deno",
            ]
            .contains(&base);
            if manifests_only && start.is_none() && exposes && runtime_base {
                return Some(DEV_IMAGE.into());
            }
            // The final stage runs a test tool's image (`FROM apiaryio/dredd`,
            // `FROM cypress/included`, `FROM grafana/k6`): a test run's client.
            let final_image = instructions
                .iter()
                .rev()
                .find(|(op, _)| op == "FROM")
                .and_then(|(_, rest)| {
                    rest.split_whitespace()
                        .find(|w| !w.starts_with("--"))
                        .map(|w| w.to_ascii_lowercase())
                })
                .unwrap_or_default();
            let image = final_image.split(['@', ':']).next().unwrap_or("");
            let image = image.strip_prefix("docker.io/").unwrap_or(image);
            // A service built on a browser image (a PDF or screenshot server) serves.
            let serves = instructions.iter().any(|(op, _)| op == "EXPOSE");
            if LOAD_TEST_BASES.contains(&image) && !serves {
                return Some(LOAD_TEST_IMAGE.into());
            }
            if !serves
                && TEST_TOOL_BASES
                    .iter()
                    .any(|t| image == *t || (t.ends_with('/') && image.starts_with(t)))
            {
                return Some(DEV_IMAGE.into());
            }
            // `Dockerfile.base`, `Dockerfile.make`, `builder.Dockerfile`: an image other
            // images start from or a toolchain to build in. It serves nothing (no
            // EXPOSE) and runs no program of its own (no command, or a shell).
            let build_word = |w: &str| {
                matches!(
                    w,
                    "base" | "builder" | "build" | "make" | "toolchain" | "tools" | "cross"
                )
            };
            // By its name (`Dockerfile.base`) or its directory (`docker/base/Dockerfile`,
            // `base-images/Dockerfile`, `dependencies/Dockerfile`).
            let dir = file.dir().rsplit('/').next().unwrap_or("");
            // Words split at case changes too (`BuildHealthCheck.Dockerfile`).
            let build_named = crate::analyze::secrets::noise::name_parts(file.name())
                .iter()
                .filter(|w| *w != "dockerfile")
                .any(|w| build_word(w))
                || {
                    // Every word of it (`base-images`, `dev-tools`), not one (`tools-portal`).
                    let words = crate::analyze::secrets::noise::name_parts(dir);
                    words.iter().any(|w| build_word(w))
                        && words.iter().all(|w| {
                            build_word(w)
                                || matches!(w.as_str(), "image" | "images" | "docker" | "dev")
                        })
                }
                || matches!(dir, "dependencies" | "deps");
            // A shell, or a build script (`ENTRYPOINT ["/usr/local/bin/build.sh"]`, `make`):
            // the image is a place to build in.
            let runs_program = start.is_some_and(|cmd| {
                let first = cmd
                    .trim()
                    .trim_start_matches('[')
                    .split([' ', ',', '"', '\''])
                    .find(|w| !w.is_empty())
                    .unwrap_or("");
                let program = first.rsplit('/').next().unwrap_or(first);
                !(matches!(program, "sh" | "bash" | "ash" | "zsh" | "make")
                    || program
                        .strip_suffix(".sh")
                        .is_some_and(|s| s.starts_with("build")))
            });
            if build_named && !serves && !runs_program {
                return Some(BUILD_IMAGE.into());
            }
            // A compiled language's toolchain image that starts nothing (`FROM
            // rust:1.86`, no CMD, ENTRYPOINT or EXPOSE): a place to build the
            // binaries other images copy, whatever the file is called.
            let toolchain = image.strip_prefix("library/").unwrap_or(image);
            if COMPILER_IMAGES.contains(&toolchain) && start.is_none() && !serves {
                return Some(BUILD_IMAGE.into());
            }
            // Named for building (`build/Dockerfile`) and ending on a toolchain
            // image, starting a script and serving nothing: a builder run by hand to
            // compile releases (`ENTRYPOINT ["/entrypoint.sh"]` that runs `go build`
            // for each platform).
            let script = start.is_some_and(|cmd| {
                cmd.trim()
                    .trim_start_matches('[')
                    .split([' ', ',', '"', '\''])
                    .find(|w| !w.is_empty())
                    .is_some_and(|w| w.ends_with(".sh"))
            });
            if COMPILER_IMAGES.contains(&toolchain) && build_named && script && !serves {
                return Some(BUILD_IMAGE.into());
            }
            // A toolchain image whose program is the toolchain itself (`FROM golang`,
            // `ENTRYPOINT ["go"]`): users run it to compile their own code in it.
            // `go run`, `cargo run` and `make start` run the program from source.
            let compiler = start.is_some_and(|cmd| {
                let mut words = cmd
                    .trim()
                    .trim_start_matches('[')
                    .split([' ', ',', '"', '\'', ']'])
                    .filter(|w| !w.is_empty());
                let first = words.next().unwrap_or("");
                COMPILERS.contains(&first.rsplit('/').next().unwrap_or(first))
                    && !words.next().is_some_and(|verb| {
                        matches!(verb, "run" | "start" | "serve" | "watch" | "dev")
                    })
            });
            if COMPILER_IMAGES.contains(&toolchain) && compiler && !serves {
                return Some(BUILD_IMAGE.into());
            }
        }
        // `Dockerfile.dev`, `dev.Dockerfile`, `Dockerfile.local`, `dev/Dockerfile`,
        // `docker/test-server/Dockerfile`: a developer's or a test run's image.
        let dev_dir = file.dir().split('/').any(|d| {
            matches!(
                d,
                "dev" | "development" | ".dev" | "test" | "tests" | "testing" | "e2e"
            ) || ["test-", "test_"].iter().any(|p| d.starts_with(p))
                || ["_tests", "-tests", "_test", "-test"]
                    .iter()
                    .any(|p| d.ends_with(p))
        });
        if dev_dir {
            return Some(DEV_DIR_IMAGE.into());
        }
        // `.github/actions/deploy/Dockerfile`: a container action CI runs.
        if file.path.starts_with(".github/") {
            return Some(CI_ACTION_IMAGE.into());
        }
        let dev_image = name
            .split(['.', '-', '_'])
            .filter(|w| *w != "dockerfile")
            .any(|w| {
                matches!(
                    w,
                    "dev"
                        | "development"
                        | "local"
                        | "test"
                        | "tests"
                        | "ci"
                        | "e2e"
                        | "playwright"
                        | "cypress"
                        | "selenium"
                        | "devcontainer"
                        // `debug.Dockerfile`: a build with debug symbols for a developer.
                        | "debug"
                        // `Dockerfile.integration`: the image an integration suite starts.
                        | "integration"
                )
            });
        // The client of a load test or benchmark (`loadtest.dockerfile`).
        let load_test = name
            .split(['.', '-', '_'])
            .any(|w| matches!(w, "loadtest" | "bench" | "benchmark" | "benchmarks"));
        if load_test {
            return Some(LOAD_TEST_IMAGE.into());
        }
        return dev_image.then(|| DEV_IMAGE.into());
    }
    if is_compose(&name)
        && stem
            .split(['.', '-', '_'])
            .skip(1)
            .any(|w| matches!(w, "example" | "sample" | "demo"))
    {
        // `docker-compose.example.yaml`: a starting point the reader adapts.
        return Some("example compose file".into());
    }
    // A compose file whose opening comments present it as examples ("docker-compose
    // examples … illustrate different ways").
    if is_compose(&name)
        && file.text().is_some_and(|t| {
            t.lines()
                .take_while(|l| {
                    let l = l.trim();
                    l.is_empty() || l.starts_with('#') || l == "---"
                })
                .take(30)
                .any(|l| {
                    // Words of prose, not of file names (`.env.example`).
                    let lower = l.to_ascii_lowercase();
                    lower
                        .split_whitespace()
                        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
                        .any(|w| matches!(w, "examples" | "samples"))
                        || [
                            "this is an example",
                            "an example of",
                            "example configuration",
                            "example docker-compose",
                            "example compose",
                        ]
                        .iter()
                        .any(|p| lower.contains(p))
                        || ["an example ", "a sample "]
                            .iter()
                            .any(|p| lower.trim_start_matches(['#', ' ']).starts_with(p))
                })
        })
    {
        return Some("example compose file".into());
    }
    if is_compose(&name) && file.text().is_some_and(runs_tests) {
        return Some(TEST_HARNESS.into());
    }
    // `scripts/test-environments/oidc/compose.yml`, `e2e/docker-compose.yml`.
    let test_dir = file.dir().split('/').any(|d| {
        matches!(d, "test" | "tests" | "testing" | "e2e")
            || ["test-", "test_"].iter().any(|p| d.starts_with(p))
    });
    if is_compose(&name) && test_dir {
        return Some(TEST_HARNESS.into());
    }
    if is_compose(&name) && dev_word {
        return Some("development compose file".into());
    }
    // `dev/k8s/manifests/…`, `apps/dashboard/dev/docker-compose.yaml`,
    // `docker/local/docker-compose.yml`: what a developer applies to a local cluster
    // or starts beside the code.
    let dev_dir = file
        .dir()
        .split('/')
        .any(|d| matches!(d, "dev" | "development" | ".dev" | "local"));
    dev_dir.then(|| DEV_DIR_MANIFEST.into())
}

/// Images of browser test runners: a Compose file that starts one is a test harness.
const TEST_RUNNER_IMAGES: &[&str] = &["cypress/", "playwright"];

/// Commands that drive a browser suite against the services a Compose file starts (a
/// unit-test command may be one service of a deployment's file).
const TEST_COMMANDS: &[&str] = &["cypress run", "playwright test"];

/// Whether a Compose file starts a test runner: a service whose image is a browser test
/// runner or whose command runs a test suite (`command: npx playwright test`).
fn runs_tests(text: &str) -> bool {
    text.lines().map(str::trim).any(|l| {
        let lower = l.to_ascii_lowercase();
        if let Some(image) = lower.strip_prefix("image:") {
            return TEST_RUNNER_IMAGES.iter().any(|i| image.contains(i));
        }
        ["command:", "entrypoint:"]
            .iter()
            .any(|k| lower.starts_with(k))
            && TEST_COMMANDS.iter().any(|c| {
                lower.match_indices(c).any(|(at, _)| {
                    let after = lower.get(at + c.len()..).and_then(|r| r.chars().next());
                    !after.is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                })
            })
    })
}

/// Stage names that builds select (`--target release`, `--target=web`, `target: aio`)
/// in CI files, package.json scripts, Makefiles, shell scripts and bake files.
fn build_targets(inventory: &Inventory) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for f in &inventory.files {
        let name = f.name();
        let relevant = f.kind == FileKind::Ci
            || matches!(name, "package.json" | "Makefile" | "makefile" | "justfile")
            || name.ends_with(".sh")
            || name.starts_with("docker-bake");
        let Some(text) = f.text().filter(|t| relevant && t.contains("target")) else {
            continue;
        };
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']'))
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            if let [key, value] = pair {
                if matches!(*key, "--target" | "target:" | "target=") {
                    out.insert((*value).to_string());
                }
            }
        }
        for w in &words {
            if let Some(v) = w.strip_prefix("--target=") {
                out.insert(v.to_string());
            }
        }
    }
    out
}

/// A multi-stage Dockerfile whose last stage no build selects, while builds select
/// others that start a program (`FROM … AS release` with its `CMD`, built with
/// `--target release`; not a `dev` stage): the image judged is the first such stage
/// that runs as root, else the first one, read as the file up to that stage's end.
fn shipped_target(
    df: &Dockerfile,
    text: &str,
    targets: &std::collections::HashSet<String>,
) -> Option<Dockerfile> {
    let last = df.stages.last()?;
    // A last stage with no name is what every build makes. One that builds select is
    // the image judged, unless it runs on a platform that supplies its own
    // unprivileged user (AWS Lambda): then the other stages builds select are judged
    // beside it (`--target production` and `--target lambda`).
    let alias = last.alias.as_ref()?;
    if targets.contains(alias) && !on_lambda(last) {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut candidates = Vec::new();
    for (i, stage) in df.stages.iter().enumerate() {
        if !stage.alias.as_ref().is_some_and(|a| targets.contains(a)) {
            continue;
        }
        // The stage ends where the next one starts.
        let end = df.stages.get(i + 1).map_or(lines.len(), |next| {
            usize::try_from(next.line).unwrap_or(1).saturating_sub(1)
        });
        // A stage that starts a program of its own and is not a developer's.
        let from = usize::try_from(stage.line).unwrap_or(usize::MAX);
        let starts = lines
            .get(from.min(end)..end.min(lines.len()))
            .is_some_and(|block| {
                block.iter().any(|l| {
                    let t = l.trim_start().to_ascii_uppercase();
                    t.starts_with("CMD") || t.starts_with("ENTRYPOINT")
                })
            });
        let developer = stage.alias.as_deref().is_some_and(|a| {
            a.split(['-', '_', '.'])
                .any(|w| matches!(w, "dev" | "development" | "debug" | "test" | "tests" | "ci"))
        });
        if !starts || developer || candidates.len() >= MAX_TARGETS {
            continue;
        }
        let cut = lines.get(..end.min(lines.len()))?.join("\n");
        candidates.push(parse_dockerfile(&df.path, &cut));
    }
    if candidates.is_empty() {
        return None;
    }
    // A plain build still makes the last stage: it stays a candidate, after the
    // selected ones.
    candidates.push(df.clone());
    let pick = candidates
        .iter()
        .position(Dockerfile::runs_as_root)
        .unwrap_or(0);
    (pick < candidates.len()).then(|| candidates.swap_remove(pick))
}

/// Whether a stage starts from an AWS Lambda base image, which Lambda runs as its
/// own unprivileged user.
fn on_lambda(stage: &Stage) -> bool {
    stage.image.starts_with("public.ecr.aws/lambda/")
        || stage.image.starts_with("amazon/aws-lambda-")
}

/// Most build targets of one Dockerfile judged.
const MAX_TARGETS: usize = 8;

/// Whether an image (`postgres:16`, `docker.io/bitnami/redis`) is a database, cache,
/// queue or other backing service rather than this repository's program.
pub fn is_backing_image(image: &str) -> bool {
    let name = image.split([':', '@']).next().unwrap_or(image);
    let name = name.rsplit('/').next().unwrap_or(name);
    BACKING_IMAGES.contains(&name)
}

/// Whether a CI file names `path` (`file: dev/build/Dockerfile`, `-f dev/Dockerfile`),
/// or, for a file called `Dockerfile`, its directory as a build context on one line
/// (`context: dev/build`, `docker build dev/build`).
fn named_by_ci(inventory: &Inventory, path: &str) -> bool {
    let context = path.strip_suffix("/Dockerfile").filter(|d| !d.is_empty());
    ci_texts(inventory).any(|t| {
        t.contains(path)
            || context.is_some_and(|dir| {
                // A build of that directory (`context: api`, `docker build api`,
                // `cd api`), not a job of the same name (`needs: [api_tests]`).
                t.lines()
                    .filter(|l| {
                        ["context", "docker", "build", "file", "cd ", "directory"]
                            .iter()
                            .any(|w| l.contains(w))
                    })
                    .any(|l| {
                        line_words(l)
                            .any(|w| w.trim_start_matches("./").trim_end_matches('/') == dir)
                    })
            })
    })
}

/// The texts of the repository's CI files.
fn ci_texts(inventory: &Inventory) -> impl Iterator<Item = &str> {
    inventory
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Ci)
        .filter_map(|f| f.text())
}

/// The words of a CI line, split at spaces, quotes and `=`.
fn line_words(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '='))
}

/// Whether a CI file builds `path` (`-f Dockerfile.dev`, `file: Dockerfile.dev`) and
/// pushes the result to a registry in the same step (`--push`, `type=registry`,
/// `push: true`, `docker push` within the next lines).
fn pushed_by_ci(inventory: &Inventory, path: &str) -> bool {
    const WINDOW: usize = 15;
    ci_texts(inventory).any(|t| {
        let lines: Vec<&str> = t.lines().collect();
        lines.iter().enumerate().any(|(i, l)| {
            let names = line_words(l).any(|w| w.trim_start_matches("./") == path);
            names
                && lines
                    .iter()
                    .skip(i)
                    .take(WINDOW)
                    .any(|n| pushing_line(n.trim()))
        })
    })
}

/// A CI line that pushes an image to a registry.
fn pushing_line(line: &str) -> bool {
    line.contains("--push")
        || line.contains("type=registry")
        || line.contains("push=true")
        // `push: true`, `push: ${{ github.event_name != 'pull_request' }}`.
        || line
            .strip_prefix("push:")
            .is_some_and(|v| !v.trim().is_empty() && v.trim() != "false")
        || ["docker push", "podman push", "buildah push"]
            .iter()
            .any(|c| line.contains(c))
}

/// Whether a CI file pushes any image anywhere.
fn pushes_image(text: &str) -> bool {
    text.lines().any(|l| pushing_line(l.trim()))
}

/// The label of a compose file that runs only third-party backing services.
const BACKING_SERVICES: &str = "compose file of development backing services";

/// Images of the databases, caches, queues, object stores, mail catchers, cloud
/// emulators and monitoring a developer runs beside the code (by image name, without
/// registry, owner or tag).
const BACKING_IMAGES: &[&str] = &[
    "redis",
    "valkey",
    "memcached",
    "postgres",
    "postgis",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "minio",
    "minio-client",
    "mc",
    "localstack",
    "rabbitmq",
    "kafka",
    "zookeeper",
    "elasticsearch",
    "opensearch",
    "mailhog",
    "mailpit",
    "maildev",
    "smtp4dev",
    "jaeger",
    "all-in-one",
    "prometheus",
    "grafana",
    "clickhouse-server",
    "nats",
    "azurite",
    "dynamodb-local",
    "adminer",
    "pgadmin4",
    "wiremock",
    "keycloak",
    "otel-collector",
    "opentelemetry-collector",
    "opentelemetry-collector-contrib",
    "pyroscope",
    "tempo",
    "loki",
    "zipkin",
];

/// Whether every service of a compose file runs a third-party backing service
/// ([`BACKING_IMAGES`], or an image named for local use) and none builds an image.
fn backing_services_only(workloads: &[Workload]) -> bool {
    let containers: Vec<&ContainerSpec> = workloads.iter().flat_map(|w| &w.containers).collect();
    !containers.is_empty()
        && containers.iter().all(|c| {
            !c.builds
                && c.image.as_deref().is_some_and(|image| {
                    let name = image
                        .rsplit('/')
                        .next()
                        .unwrap_or(image)
                        .split([':', '@'])
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    BACKING_IMAGES.contains(&name.as_str())
                        || name.split(['-', '_']).any(|w| w == "local")
                })
        })
}

/// Images of test runners: a Dockerfile whose final stage starts from one runs tests
/// (a trailing `/` takes every image of that publisher).
const TEST_TOOL_BASES: &[&str] = &[
    "apiaryio/dredd",
    "cypress/",
    "mcr.microsoft.com/playwright",
    "selenium/",
    "postman/newman",
    "schemathesis/schemathesis",
];

/// Images of load generators.
const LOAD_TEST_BASES: &[&str] = &["grafana/k6", "loadimpact/k6", "locustio/locust"];

/// Whether a CMD or ENTRYPOINT starts a development server or script.
fn starts_development_server(command: &str) -> bool {
    let lower = command.to_ascii_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric()))
        .any(|w| matches!(w, "dev" | "development" | "runserver" | "nodemon"))
        || lower.contains("--reload")
}

/// The label of an image that copies nothing from the repository.
const TOOL_IMAGE: &str = "image of a third-party tool";
/// The label of a Dockerfile that builds a developer's image, not a deployment.
const DEV_IMAGE: &str = "development Dockerfile";
/// The label of a Dockerfile kept with the CI configuration (a container action).
/// Files that declare or lock dependencies, copied alone to install them.
const DEPENDENCY_MANIFESTS: &[&str] = &[
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "bun.lock",
    ".npmrc",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Pipfile",
    "Pipfile.lock",
    "go.mod",
    "go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "Gemfile",
    "Gemfile.lock",
];

const CI_ACTION_IMAGE: &str = "CI action image";
const CI_RUN_IMAGE: &str = "image built for CI's own runs and never pushed";
/// The label of a Dockerfile that builds a load-test or benchmark client.
const LOAD_TEST_IMAGE: &str = "load-test or benchmark image";
/// The label of a file whose opening comments reserve it for development or tests.
const MARKED_DEV: &str = "marked as not for production";
/// The label of a Compose file that runs a test suite against the services it starts.
const TEST_HARNESS: &str = "test harness compose file";

/// Manifests and Compose files kept in a development directory.
const DEV_DIR_MANIFEST: &str = "in a development directory";

/// A Dockerfile in a development or test directory (`dev/`, `docker/test-server/`):
/// a developer's image unless CI builds it (`file: dev/build/Dockerfile`).
const DEV_DIR_IMAGE: &str = "Dockerfile in a development or test directory";
/// The label of a base or toolchain image, not one that is deployed.
const BUILD_IMAGE: &str = "base or build image";

/// Official images of compiled languages' toolchains: an image that ends on one
/// without starting a program is where binaries are built, not where they run.
const COMPILER_IMAGES: &[&str] = &["rust", "golang", "gcc", "buildpack-deps", "maven", "gradle"];
/// The programs of those images that compile or build code.
const COMPILERS: &[&str] = &[
    "go", "cargo", "rustc", "gcc", "g++", "cc", "clang", "make", "cmake", "mvn", "gradle",
];
/// The label of a Dockerfile template (`Dockerfile.j2`).
const TEMPLATE: &str = "Dockerfile template";
/// The label of a Dockerfile that builds distribution packages.
const PACKAGING: &str = "package-building Dockerfile";

/// Commands that start a process as another user.
const PRIVILEGE_DROPS: &[&str] = &[
    "gosu",
    "su-exec",
    "s6-setuidgid",
    "setpriv",
    "chpst",
    "runuser",
    "setuidgid",
    "start-stop-daemon",
    "s6-applyuidgid",
    "su",
    "sudo",
    "chroot",
];

/// Calls by which a start program gives up root itself.
const PROGRAM_DROPS: &[&str] = &[
    "drop_privileges(",
    "drop_privs(",
    "drop_privs_to(",
    "os.setresuid(",
    "os.setuid(",
    "process.setuid(",
    "syscall.Setuid(",
];

/// The first line of `text` that runs a command through a privilege drop.
fn privilege_drop(text: &str) -> Option<(u32, String)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let t = line.trim();
        if t.starts_with('#') || t.starts_with("//") {
            return None;
        }
        // A start program that switches user itself: `os.setuid(…)`, a helper named
        // for it (`system.drop_privs_to("app")`).
        let to_root = |c: &&&str| {
            t.split(**c)
                .nth(1)
                .is_some_and(|arg| arg.trim_start().starts_with(['0', ')']) || arg.contains("root"))
        };
        if let Some(call) = PROGRAM_DROPS
            .iter()
            .find(|c| t.contains(**c) && !to_root(c))
        {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            return Some((n, call.trim_end_matches('(').to_string()));
        }
        let hit = PRIVILEGE_DROPS.iter().find(|cmd| {
            t.match_indices(*cmd).any(|(at, _)| {
                let before = t.get(..at).and_then(|b| b.chars().last());
                let after = t.get(at + cmd.len()..).and_then(|a| a.chars().next());
                !before.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
                    && after.is_some_and(|c| c == ' ' || c == '"' || c == '\'' || c == ',')
            })
        })?;
        // Some of them drop privileges only with a user option.
        let needs: &[&str] = match *hit {
            "start-stop-daemon" => &["--chuid", " -c "],
            "chpst" => &[" -u"],
            "setpriv" => &["--reuid", "--regid"],
            "sudo" => &[" -u "],
            "chroot" => &["--userspec"],
            "s6-applyuidgid" => &[" -u "],
            _ => &[""],
        };
        if !needs.iter().any(|n| t.contains(n)) {
            return None;
        }
        // su, sudo and chroot also run one-off commands as another user: only the
        // process the script ends in (`exec su app -c …`) is the one that runs.
        if matches!(*hit, "su" | "sudo" | "chroot") && !t.starts_with("exec ") {
            return None;
        }
        if *hit == "sudo"
            && t.split_whitespace()
                .skip_while(|w| *w != "-u")
                .nth(1)
                .is_none_or(|u| u == "root" || u == "0")
        {
            return None;
        }
        // `su USER -c CMD`: a named user other than root (`su -c` alone stays root).
        if *hit == "su" {
            let mut words = t.split_whitespace().skip_while(|w| *w != "su").skip(1);
            let user = words.next().unwrap_or("");
            let runs = words.any(|w| w == "-c");
            if user.starts_with('-') || user == "root" || user.is_empty() || !runs {
                return None;
            }
        }
        Some((
            u32::try_from(i + 1).unwrap_or(u32::MAX),
            t.chars().take(160).collect(),
        ))
    })
}

/// The sources of every COPY/ADD (without the destination), from the build context
/// (`from_stage` false) or from another stage or image (`--from`, true).
fn copy_sources(df: &Dockerfile, from_stage: bool) -> Vec<String> {
    df.instructions
        .iter()
        .filter(|i| matches!(i.op.as_str(), "COPY" | "ADD"))
        .filter(|i| i.flag("from").is_some() == from_stage)
        .flat_map(|i| {
            let mut ops = i.operands();
            ops.pop(); // the destination
            ops
        })
        .collect()
}

/// Where the final stage's process is started as a non-root user by its
/// entrypoint: the ENTRYPOINT/CMD itself, or a script or service definition the
/// image copies in.
fn entrypoint_drop(
    inventory: &Inventory,
    file: &RepoFile,
    df: &Dockerfile,
) -> Option<(String, u32, String)> {
    let last = df.stages.len().checked_sub(1)?;
    let starts: Vec<&dockerfile::Instruction> = df
        .instructions
        .iter()
        .filter(|i| i.stage == last && matches!(i.op.as_str(), "ENTRYPOINT" | "CMD"))
        .collect();
    for i in &starts {
        if let Some((_, cmd)) = privilege_drop(&i.args).or_else(|| server_drop(&i.args)) {
            return Some((df.path.clone(), i.line, cmd));
        }
    }
    // Files the image copies in from the build context (the Dockerfile's directory
    // or the repository root).
    let dir = file.dir();
    let sources: Vec<String> = copy_sources(df, false)
        .into_iter()
        .map(|w| {
            w.trim_matches(['"', '\''])
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    // The whole context copied (`COPY . /app/`): the scripts the ENTRYPOINT or CMD
    // names (`/app/bin/docker_entrypoint.sh` is `bin/docker_entrypoint.sh`).
    if sources.iter().any(|w| w.is_empty() || w == ".") {
        let words = starts.iter().flat_map(|i| {
            i.args
                .split(|c: char| c.is_whitespace() || c == '"' || c == ',' || c == '[' || c == ']')
        });
        let mut named: Vec<String> = Vec::new();
        // `./bootstrap.sh` from the working directory the context was copied to: the
        // file at the context's root, the Dockerfile's directory or the repository's.
        let mut exact: Vec<String> = Vec::new();
        for w in words.filter(|w| w.ends_with(".sh") && w.contains('/')) {
            if let Some(own) = w.strip_prefix("./").filter(|r| !r.contains('/')) {
                exact.push(own.to_string());
                if !dir.is_empty() {
                    exact.push(format!("{dir}/{own}"));
                }
                continue;
            }
            let parts: Vec<&str> = w.rsplit('/').take(2).collect();
            if let (Some(d), Some(n)) = (parts.get(1), parts.first()) {
                named.push(format!("{d}/{n}"));
            }
        }
        let found = inventory
            .files
            .iter()
            .filter(|f| {
                exact.contains(&f.path)
                    || named
                        .iter()
                        .any(|n| f.path == *n || f.path.ends_with(&format!("/{n}")))
            })
            .find_map(|f| {
                let text = f.text()?;
                if let Some((line, cmd)) = privilege_drop(text).or_else(|| server_drop(text)) {
                    return Some((f.path.clone(), line, cmd));
                }
                // The configuration the script starts its server with (`exec uwsgi
                // --http :9090 uwsgi.ini`), beside the script.
                let script_dir = f.dir();
                text.split_whitespace()
                    .filter(|w| w.ends_with(".ini") || w.ends_with(".conf"))
                    .filter(|w| !w.contains(['/', '$']))
                    .filter_map(|w| {
                        let path = if script_dir.is_empty() {
                            w.to_string()
                        } else {
                            format!("{script_dir}/{w}")
                        };
                        inventory.file(&path)
                    })
                    .find_map(|c| {
                        let (line, cmd) = server_drop(c.text()?)?;
                        Some((c.path.clone(), line, cmd))
                    })
            });
        if found.is_some() {
            return found;
        }
    }
    let copied: Vec<String> = sources
        .into_iter()
        .filter(|w| !w.is_empty() && w != "." && !w.contains('*'))
        .collect();
    // Files a later stage copies from a build stage that copied the context:
    // `COPY --from=build /src/scripts/entrypoint.sh …` names `scripts/entrypoint.sh`
    // (two path components at least, so a bare name is not matched anywhere).
    let from_stages = copy_sources(df, true);
    let copied_from_stage = |p: &str| {
        p.contains('/')
            && from_stages
                .iter()
                .any(|src| src == p || src.ends_with(&format!("/{p}")))
    };
    let in_context = |p: &str| {
        copied.iter().any(|c| {
            let under = |base: &str| {
                let full = if base.is_empty() {
                    c.clone()
                } else {
                    format!("{base}/{c}")
                };
                p == full || p.starts_with(&format!("{full}/"))
            };
            under(dir) || under("")
        })
    };
    inventory
        .files
        .iter()
        .filter(|f| f.text().is_some() && f.bytes < 256 * 1024)
        .filter(|f| in_context(&f.path) || copied_from_stage(&f.path))
        .take(2_000)
        .find_map(|f| {
            let text = f.text()?;
            let (line, cmd) = privilege_drop(text).or_else(|| server_drop(text))?;
            Some((f.path.clone(), line, cmd))
        })
}

/// Where an application server the image starts serves as another user: uWSGI's
/// `uid = www-data` (its `[uwsgi]` configuration) or `--uid`, gunicorn's `--user`, or a
/// supervisord configuration whose every program names a `user=`. The master may
/// keep root; the processes that handle requests do not.
fn server_drop(text: &str) -> Option<(u32, String)> {
    let n = |i: usize| u32::try_from(i + 1).unwrap_or(u32::MAX);
    let unprivileged = |user: &str| {
        let user = user.trim().trim_matches(['"', '\'']);
        !user.is_empty() && user != "root" && user != "0" && !user.starts_with('$')
    };
    let value_after = |line: &str, option: &str| -> Option<String> {
        let rest = line.split(option).nth(1)?;
        let rest = rest.trim_start_matches(['=', ' ']);
        rest.split([' ', '"', '\'', ','])
            .find(|w| !w.is_empty())
            .map(str::to_string)
    };
    let uwsgi_ini = text.lines().any(|l| l.trim() == "[uwsgi]");
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if uwsgi_ini {
            if let Some(user) = t
                .strip_prefix("uid")
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix('='))
                .filter(|u| unprivileged(u))
            {
                return Some((n(i), format!("uWSGI uid = {}", user.trim())));
            }
        }
        // Each command of the line (split at `&&`, `;`, `|`), whose program (after
        // `exec` or supervisord's `command=`) is the server, with the option after it.
        for command in t.split(['&', ';', '|']) {
            let mut words = command
                .split_whitespace()
                .map(|w| w.trim_start_matches("command="))
                .skip_while(|w| *w == "exec" || w.is_empty());
            let Some(program) = words.next() else {
                continue;
            };
            let program = program.rsplit('/').next().unwrap_or(program);
            for (server, option) in [
                ("uwsgi", "--uid"),
                ("gunicorn", "--user"),
                ("gunicorn", " -u "),
            ] {
                if program == server {
                    if let Some(user) = value_after(command, option).filter(|u| unprivileged(u)) {
                        return Some((n(i), format!("{server} {} {user}", option.trim())));
                    }
                }
            }
        }
    }
    // supervisord: every program runs as a named, unprivileged user.
    let mut programs = 0usize;
    let mut with_user: Option<(usize, String)> = None;
    let mut all_users = true;
    let mut current_has_user = true;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("[program:") {
            all_users &= current_has_user;
            programs += 1;
            current_has_user = false;
        } else if t.starts_with('[') {
            all_users &= current_has_user;
            current_has_user = true;
        } else if programs > 0 {
            if let Some(user) = t
                .strip_prefix("user")
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix('='))
            {
                if unprivileged(user) {
                    current_has_user = true;
                    with_user.get_or_insert((i, user.trim().to_string()));
                } else {
                    all_users = false;
                }
            }
        }
    }
    all_users &= current_has_user;
    match with_user {
        Some((i, user)) if programs > 0 && all_users => {
            Some((n(i), format!("supervisord programs run as {user}")))
        }
        _ => None,
    }
}

/// Whether a `.dockerignore` excludes `path` (last matching pattern wins; `!`
/// re-includes).
fn ignores(patterns: &[(bool, GlobMatcher)], path: &str) -> bool {
    let mut excluded = false;
    for (negated, glob) in patterns {
        if glob.is_match(path) {
            excluded = !negated;
        }
    }
    excluded
}

fn dockerignore_of(inventory: &Inventory, dockerfile: &RepoFile) -> Option<DockerIgnore> {
    let dir = dockerfile.dir();
    let join = |name: &str| {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };
    let candidates = [
        format!("{}.dockerignore", dockerfile.path),
        join(".dockerignore"),
        ".dockerignore".to_string(),
    ];
    let file = candidates.iter().find_map(|c| inventory.file(c))?;
    let text = file.text().unwrap_or("");
    let patterns: Vec<(bool, GlobMatcher)> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (negated, p) = match l.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, l),
            };
            let p = p
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/');
            let glob = GlobBuilder::new(p).literal_separator(true).build().ok()?;
            Some((negated, glob.compile_matcher()))
        })
        .collect();
    Some(DockerIgnore {
        path: file.path.clone(),
        excludes_git: ignores(&patterns, ".git"),
        excludes_env: ignores(&patterns, ".env"),
    })
}

fn k8s_resources(file: &RepoFile, text: &str, out: &mut Vec<K8sResource>) {
    if !text.contains("apiVersion:") {
        return;
    }
    for (i, l) in text.lines().enumerate() {
        let Some(kind) = l.strip_prefix("kind:") else {
            continue;
        };
        let kind = kind.trim().trim_matches(['"', '\'']);
        if kind.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            out.push(K8sResource {
                path: file.path.clone(),
                kind: kind.to_string(),
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            });
        }
    }
}

pub fn analyze(inventory: &Inventory, problems: &mut Vec<Problem>) -> ContainerFacts {
    let mut facts = ContainerFacts::default();
    let targets = build_targets(inventory);
    for file in &inventory.files {
        // Fixtures and vendored code are not the project's; tests (a compose file for
        // test databases) and editor dev containers describe no deployment but are
        // read for their runtime settings, labelled.
        if matches!(
            file.kind,
            FileKind::Fixture | FileKind::Vendored | FileKind::Ci
        ) {
            continue;
        }
        let mut dev = dev_label(file);
        if dev.as_deref() == Some(DEV_DIR_IMAGE) && named_by_ci(inventory, &file.path) {
            dev = None;
        }
        // `Dockerfile.dev` that CI builds and pushes to a registry is the image that
        // ships, whatever its name says.
        let dev_named = crate::analyze::secrets::noise::name_parts(file.name())
            .iter()
            .any(|w| matches!(w.as_str(), "dev" | "development"));
        if dev.as_deref() == Some(DEV_IMAGE) && dev_named && pushed_by_ci(inventory, &file.path) {
            dev = None;
        }
        // Kept in `.github/`, it is a container action when an `action.yml` beside it
        // runs it and no workflow builds it as an image (`file:
        // .github/files/app.Dockerfile` is the published image).
        if dev.as_deref() == Some(CI_ACTION_IMAGE) {
            let dir = file.dir();
            let action = ["action.yml", "action.yaml"]
                .iter()
                .any(|a| inventory.file(&format!("{dir}/{a}")).is_some());
            if !action || named_by_ci(inventory, &file.path) {
                dev = None;
            }
            // Built by a workflow that pushes nothing (`push: false`, a nightly
            // end-to-end run): the image of CI's own run, not a published one.
            let naming: Vec<&str> = ci_texts(inventory)
                .filter(|t| t.contains(file.path.as_str()))
                .collect();
            if !action && !naming.is_empty() && !naming.iter().any(|t| pushes_image(t)) {
                dev = Some(CI_RUN_IMAGE.into());
            }
        }
        let deployment = !(file.kind == FileKind::Test
            || matches!(
                dev.as_deref(),
                Some(
                    "dev container"
                        | DEV_IMAGE
                        | LOAD_TEST_IMAGE
                        | CI_ACTION_IMAGE
                        | CI_RUN_IMAGE
                        | DEV_DIR_IMAGE
                        | TEMPLATE
                        | PACKAGING
                        | TOOL_IMAGE
                        | BUILD_IMAGE
                        | MARKED_DEV
                        | TEST_HARNESS
                )
            ));
        let Some(text) = file.text() else { continue };
        let name = file.name();
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if is_dockerfile(name) {
            let mut df = parse_dockerfile(&file.path, text);
            if let Some(shipped) = shipped_target(&df, text, &targets) {
                df = shipped;
            }
            df.dockerignore = dockerignore_of(inventory, file);
            df.dev = dev.clone();
            df.drops_privileges = entrypoint_drop(inventory, file, &df);
            if deployment {
                facts.dockerfiles.push(df);
            } else {
                facts.dev_dockerfiles.push(df);
            }
        } else if is_compose(name) {
            match compose_file(&file.path, text) {
                Ok((compose, workloads)) => {
                    // Only databases, caches and cloud emulators, nothing of this
                    // repository's own: what a developer starts beside the code.
                    let dev = dev.clone().or_else(|| {
                        backing_services_only(&workloads).then(|| BACKING_SERVICES.to_string())
                    });
                    if deployment && dev.as_deref() != Some(BACKING_SERVICES) {
                        facts.compose.push(compose);
                    }
                    facts.workloads.extend(workloads.into_iter().map(|mut w| {
                        w.dev = dev.clone();
                        w
                    }));
                }
                Err(problem) => {
                    if deployment {
                        facts.compose.push(ComposeFile {
                            path: file.path.clone(),
                            services: Vec::new(),
                        });
                        problems.push(problem);
                    }
                }
            }
        } else if yaml && text.contains("apiVersion:") {
            if deployment {
                // Helm templates are not valid YAML before rendering; kinds are read
                // as text everywhere.
                k8s_resources(file, text, &mut facts.kubernetes);
            }
            if !file.path.contains("templates/") {
                match k8s_workloads(&file.path, text) {
                    Ok(ws) => facts.workloads.extend(ws.into_iter().map(|mut w| {
                        w.dev = dev.clone();
                        w
                    })),
                    Err(problem) if deployment => problems.push(problem),
                    Err(_) => {}
                }
            }
        }
    }
    // Images that only deprecated Compose services build (`profiles: [deprecated]`)
    // are kept for old installations, not released.
    let deprecated_only = |path: &str| {
        let users: Vec<bool> = facts
            .workloads
            .iter()
            .flat_map(|w| w.containers.iter())
            .filter(|c| c.dockerfile.as_deref() == Some(path))
            .map(|c| c.deprecated)
            .collect();
        !users.is_empty() && users.iter().all(|d| *d)
    };
    let (old, kept): (Vec<Dockerfile>, Vec<Dockerfile>) = std::mem::take(&mut facts.dockerfiles)
        .into_iter()
        .partition(|d| deprecated_only(&d.path));
    facts.dockerfiles = kept;
    facts.dev_dockerfiles.extend(old.into_iter().map(|mut d| {
        d.dev = Some("image of deprecated Compose services".into());
        d
    }));
    mark_unbuilt_variants(inventory, &mut facts.dockerfiles);
    mark_unpublished(inventory, &mut facts.dockerfiles);
    set_aside_intermediate_images(&mut facts);
    inherit_own_user(inventory, &mut facts.dockerfiles);
    facts
}

/// Images built on the repository's own published image (`ARG
/// sourceimage=acme/app`, `FROM ${sourceimage}:${sourcetag}`, an add-on image of
/// `app`) inherit its `USER`: when the repository's image is named for its root
/// package, and its root `Dockerfile` ends as a non-root user, a derived
/// image that sets no USER of its own runs as that user.
fn inherit_own_user(inventory: &Inventory, dockerfiles: &mut [Dockerfile]) {
    let Some((user, line)) = dockerfiles
        .iter()
        .find(|d| d.path == "Dockerfile")
        .filter(|d| !d.runs_as_root())
        .and_then(|d| d.user.clone())
    else {
        return;
    };
    // The root package's own name: `[project]`/`[package]` in TOML, the top-level
    // `"name"` of package.json (not the checkout directory's name, which a clone may
    // share with a public base image).
    let mut names: Vec<String> = Vec::new();
    for (manifest, section, key) in [
        ("pyproject.toml", Some("[project]"), "name = \""),
        ("Cargo.toml", Some("[package]"), "name = \""),
        ("package.json", None, "\"name\": \""),
    ] {
        let Some(text) = inventory.file(manifest).and_then(|f| f.text()) else {
            continue;
        };
        let mut lines = text.lines();
        if let Some(section) = section {
            if !lines.any(|l| l.trim() == section) {
                continue;
            }
        }
        if let Some(name) = lines
            .take_while(|l| section.is_none() || !l.trim_start().starts_with('['))
            .find_map(|l| l.trim_start().strip_prefix(key))
            .and_then(|rest| rest.split('"').next())
        {
            names.push(name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase());
        }
    }
    for df in dockerfiles.iter_mut().filter(|d| d.path != "Dockerfile") {
        if df.user.is_some() || df.drops_privileges.is_some() {
            continue;
        }
        let Some(last) = df.stages.last() else {
            continue;
        };
        // `${sourceimage}` resolved from the ARG defaults before the first FROM.
        let image = if last.image.starts_with('$') {
            let var = last.image.trim_start_matches('$').trim_matches(['{', '}']);
            df.instructions
                .iter()
                .filter(|i| i.op == "ARG")
                .find_map(|i| i.args.trim().strip_prefix(&format!("{var}=")))
                .map(|v| v.trim_matches(['"', '\'']).to_string())
                .unwrap_or_default()
        } else {
            last.image.clone()
        };
        let repo = image.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        if repo.len() >= 3 && names.contains(&repo) {
            df.drops_privileges = Some((
                "Dockerfile".to_string(),
                line,
                format!("USER {user} of the repository's own image `{image}`"),
            ));
        }
    }
}

/// Docker Hub's official images most often named without a tag: `FROM nginx` means
/// the public image, not a directory of the repository called `nginx`.
pub(crate) const OFFICIAL_IMAGES: &[&str] = &[
    "alpine", "busybox", "caddy", "debian", "golang", "httpd", "mariadb", "mongo", "mysql",
    "nginx", "node", "postgres", "python", "rabbitmq", "redis", "ruby", "rust", "traefik",
    "ubuntu",
];

/// Images other images of the repository are built from or copy files out of (`FROM
/// base`, `COPY --from=assets` where `core/admin/assets/Dockerfile` builds `assets`)
/// are build steps, not images that run: they move to the development images.
fn set_aside_intermediate_images(facts: &mut ContainerFacts) {
    let dir_name = |path: &str| {
        path.rsplit_once('/')
            .and_then(|(dir, _)| dir.rsplit('/').next())
            .unwrap_or("")
            .to_string()
    };
    let local_image = |name: &str| {
        !name.is_empty() && !name.contains(['/', '$', '.', ':']) && !OFFICIAL_IMAGES.contains(&name)
    };
    // Image name → the Dockerfiles that use it.
    let mut used: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for d in facts.dockerfiles.iter().chain(&facts.dev_dockerfiles) {
        let aliases: Vec<&str> = d.stages.iter().filter_map(|s| s.alias.as_deref()).collect();
        let from_copies = d
            .instructions
            .iter()
            .filter(|i| i.op == "COPY")
            .filter_map(|i| {
                i.flags
                    .iter()
                    .find_map(|f| f.strip_prefix("--from="))
                    .map(|f| f.trim_matches(['"', '\'']))
            });
        let bases = d
            .stages
            .iter()
            .filter(|s| !s.internal && s.tag.is_none() && !s.digest)
            .map(|s| s.image.as_str());
        for name in from_copies.chain(bases) {
            if local_image(name) && !aliases.contains(&name) {
                used.entry(name.to_string())
                    .or_default()
                    .push(d.path.clone());
            }
        }
    }
    let intermediate = |d: &Dockerfile| {
        used.get(&dir_name(&d.path))
            .is_some_and(|users| users.iter().any(|by| *by != d.path))
    };
    let (steps, kept): (Vec<Dockerfile>, Vec<Dockerfile>) = std::mem::take(&mut facts.dockerfiles)
        .into_iter()
        .partition(|d| intermediate(d));
    facts.dockerfiles = kept;
    facts.dev_dockerfiles.extend(steps.into_iter().map(|mut d| {
        d.dev = Some(BUILD_IMAGE.into());
        d
    }));
}

/// Marks the Dockerfile variants that nothing names ([`Dockerfile::unbuilt_variant`]).
/// A plain `Dockerfile` is built without being named (`docker build .`), so only
/// variants are judged, and only when some other Dockerfile is named somewhere; a
/// plain one counts as a variant only in a directory of its own that holds no
/// project (`distribution/docker/ubuntu/Dockerfile`), when CI names another
/// Dockerfile and builds none through an expression (`apps/${{ matrix.app }}`).
fn mark_unbuilt_variants(inventory: &Inventory, dockerfiles: &mut [Dockerfile]) {
    let name_of = |path: &str| path.rsplit('/').next().unwrap_or(path).to_string();
    let names: Vec<String> = dockerfiles.iter().map(|d| name_of(&d.path)).collect();
    let templated = || {
        inventory
            .files
            .iter()
            .filter(|f| f.kind == FileKind::Ci)
            .filter_map(|f| f.text())
            .any(|t| {
                t.lines().any(|l| {
                    (l.contains("Dockerfile") || l.contains("context:"))
                        && (l.contains("${{") || l.contains("${") || l.contains("$("))
                })
            })
    };
    let aside: Vec<bool> = if names.iter().any(|n| n == "Dockerfile") && !templated() {
        dockerfiles
            .iter()
            .map(|d| {
                d.path.rsplit_once('/').is_some_and(|(dir, name)| {
                    name == "Dockerfile"
                        && !inventory.files.iter().any(|f| {
                            f.dir() == dir
                                && (matches!(
                                    f.name(),
                                    "package.json"
                                        | "go.mod"
                                        | "Cargo.toml"
                                        | "pyproject.toml"
                                        | "setup.py"
                                        | "requirements.txt"
                                        | "pom.xml"
                                        | "build.gradle"
                                        | "build.gradle.kts"
                                        | "Gemfile"
                                        | "composer.json"
                                        | "mix.exs"
                                        | "Package.swift"
                                ) || f.name().ends_with(".csproj"))
                        })
                })
            })
            .collect()
    } else {
        vec![false; dockerfiles.len()]
    };
    if names.iter().all(|n| n == "Dockerfile") && !aside.contains(&true) {
        return;
    }
    // Per Dockerfile, the first place another file names it.
    // (where, whether a CI file names it).
    let mut named: Vec<Option<(String, bool)>> = vec![None; dockerfiles.len()];
    // Notes kept in hidden directories (`.agents/plans/`) are not instructions to build;
    // CI configuration there (`.github/`) is.
    let hidden = |path: &str| {
        path.rsplit_once('/')
            .is_some_and(|(dir, _)| dir.split('/').any(|d| d.starts_with('.')))
    };
    // A name several Dockerfiles share (`combined/Dockerfile.multistage`,
    // `management/Dockerfile.multistage`) names one only with its directory.
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for n in &names {
        *counts.entry(n.as_str()).or_default() += 1;
    }
    let shared = |name: &str| counts.get(name).is_some_and(|c| *c > 1);
    // A test harness that builds an image (`e2e/harness/combined.go`) builds it for the
    // tests, not for a release.
    for file in inventory.files.iter().filter(|f| {
        !matches!(
            f.kind,
            FileKind::Fixture | FileKind::Vendored | FileKind::Generated | FileKind::Test
        ) && (f.kind == FileKind::Ci || !hidden(&f.path))
    }) {
        let Some(text) = file.text() else { continue };
        for (i, (d, name)) in dockerfiles.iter().zip(&names).enumerate() {
            // The first place, or a CI file's in place of another's.
            let ci = file.kind == FileKind::Ci;
            let Some(slot) = named
                .get_mut(i)
                .filter(|s| s.as_ref().is_none_or(|(_, by_ci)| ci && !by_ci))
            else {
                continue;
            };
            // A plain `Dockerfile` counts only where its directory or path is given
            // (`-f ./docker/Dockerfile`, `file: docker/Dockerfile`), not as the word;
            // one judged as a variant also where its directory alone is, as a build
            // context (`context: cmd/api`, `build: ./cmd/api`).
            let dir = d.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            let by_dir = aside.get(i).copied().unwrap_or(false);
            if file.path == d.path
                || !(text.contains(name.as_str())
                    || (by_dir && !dir.is_empty() && text.contains(dir)))
            {
                continue;
            }
            // A cache key (`hashFiles('…/Dockerfile.x')`) builds nothing.
            let place = text.lines().enumerate().find(|(_, l)| {
                !l.contains("hashFiles(")
                    && ((l.contains(name.as_str())
                        && ((name != "Dockerfile" && !shared(name))
                            || dir.is_empty()
                            || l.contains(dir)))
                        || (by_dir && names_context(l, dir)))
            });
            if let Some((n, _)) = place {
                *slot = Some((format!("{}:{}", file.path, n + 1), ci));
            }
        }
    }
    for i in 0..dockerfiles.len() {
        let plain = aside.get(i).copied().unwrap_or(false);
        let variant = names.get(i).is_some_and(|n| n != "Dockerfile") || plain;
        if !variant || named.get(i).is_some_and(Option::is_some) {
            continue;
        }
        let candidates = || {
            named.iter().enumerate().filter_map(|(j, at)| {
                let (at, ci) = at.as_ref()?;
                Some((dockerfiles.get(j)?.path.clone(), at.clone(), *ci))
            })
        };
        let instead = candidates()
            .find(|c| c.2)
            .or_else(|| candidates().find(|_| !plain))
            .map(|(path, at, _)| (path, at));
        if let (Some(instead), Some(d)) = (instead, dockerfiles.get_mut(i)) {
            d.unbuilt_variant = Some(instead);
        }
    }
}

/// Lines around a push that belong to the same build (`file:` before `push: true`;
/// `docker build -f …` then `docker push`).
const PUSH_WINDOW: usize = 15;

/// Most pushes read per file.
const MAX_PUSHES: usize = 64;

/// Where each Dockerfile is pushed to a registry, by path: a build naming it (`-f
/// docker/ci/Dockerfile`, `file: …`, its directory as the context of a plain
/// `Dockerfile`, `.` for the root one) within [`PUSH_WINDOW`] lines of a push, in CI
/// files, scripts and Makefiles; and GoReleaser's `dockers:` (pushed on release).
/// `None` when a push builds a file given by a variable (`-f $DOCKERFILE`,
/// `file: ${{ matrix.dockerfile }}`): what is published cannot be known.
fn published(
    inventory: &Inventory,
    dockerfiles: &[Dockerfile],
) -> Option<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    let texts = inventory.files.iter().filter(|f| {
        !matches!(
            f.kind,
            FileKind::Fixture
                | FileKind::Vendored
                | FileKind::Generated
                | FileKind::Test
                | FileKind::Docs
        ) && (f.kind == FileKind::Ci
            || f.name().ends_with(".sh")
            || f.name().ends_with(".yml")
            || f.name().ends_with(".yaml")
            || matches!(f.name(), "Makefile" | "makefile" | "justfile" | "Justfile")
            || f.name().ends_with(".mk"))
    });
    for file in texts {
        let Some(text) = file.text() else { continue };
        // Comments (`# - docker push …`) build nothing.
        let lines: Vec<&str> = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with('#') || l.trim_start().starts_with("//") {
                    ""
                } else {
                    l
                }
            })
            .collect();
        let pushes: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| pushing_line(l.trim()))
            .map(|(i, _)| i)
            .collect();
        // A bounded number of pushes per file: each is a window to read.
        for at in pushes.into_iter().take(MAX_PUSHES) {
            let from = at.saturating_sub(PUSH_WINDOW);
            let window = lines.get(from..(at + PUSH_WINDOW + 1).min(lines.len()))?;
            // A file given by a variable: any Dockerfile may be the one pushed.
            if window
                .iter()
                .filter_map(|l| file_argument(l))
                .any(|f| f.contains('$'))
            {
                return None;
            }
            // Images pushed only to development repositories (`acme/app-dev`,
            // `app-nightly`) are not the published ones.
            if development_push(window) {
                continue;
            }
            for d in dockerfiles {
                let (dir, name) = d.path.rsplit_once('/').unwrap_or(("", d.path.as_str()));
                let hit = window.iter().position(|l| {
                    line_words(l).any(|w| w.trim_start_matches("./") == d.path)
                        // A plain `Dockerfile` built by its context: counted as pushed
                        // even when another step nearby names another file, since one
                        // window may hold several builds.
                        || (name == "Dockerfile"
                            && file_argument(l).is_none()
                            && if dir.is_empty() {
                                builds_root_context(l)
                            } else {
                                names_context(l, dir)
                            })
                });
                if let Some(n) = hit {
                    out.entry(d.path.clone())
                        .or_insert_with(|| format!("{}:{}", file.path, from + n + 1));
                }
            }
        }
    }
    // GoReleaser builds and pushes its `dockers:` on release (`dockerfile:` defaults to
    // `Dockerfile`).
    for file in inventory.files.iter().filter(|f| {
        !matches!(
            f.kind,
            FileKind::Fixture | FileKind::Vendored | FileKind::Generated | FileKind::Test
        ) && f.name().starts_with(".goreleaser")
            && (f.name().ends_with(".yml") || f.name().ends_with(".yaml"))
    }) {
        let Some(text) = file.text() else { continue };
        let Some(start) = text.lines().position(|l| l.starts_with("dockers:")) else {
            continue;
        };
        let section = text
            .lines()
            .enumerate()
            .skip(start + 1)
            .take_while(|(_, l)| l.is_empty() || l.starts_with([' ', '-', '#']));
        let mut named = false;
        for (n, l) in section {
            if let Some(v) = l
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("dockerfile:")
            {
                named = true;
                let v = v.trim().trim_matches(['"', '\'']).trim_start_matches("./");
                out.entry(v.to_string())
                    .or_insert_with(|| format!("{}:{}", file.path, n + 1));
            }
        }
        if !named {
            out.entry("Dockerfile".to_string())
                .or_insert_with(|| format!("{}:{}", file.path, start + 1));
        }
    }
    Some(out)
}

/// The Dockerfile a build line names (`-f docker/Dockerfile`, `--file=…`, `file: …`,
/// `dockerfile: …`), as written.
fn file_argument(line: &str) -> Option<&str> {
    let t = line.trim_start().trim_start_matches("- ");
    if let Some(v) = t
        .strip_prefix("file:")
        .or_else(|| t.strip_prefix("dockerfile:"))
    {
        return Some(v.trim());
    }
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        if w == "-f" || w == "--file" {
            return words.next();
        }
        if let Some(v) = w.strip_prefix("--file=") {
            return Some(v);
        }
    }
    None
}

/// Whether every image a push window tags or pushes is in a development repository
/// (its name ending `-dev`, `-nightly`, `-pr`, `-preview`, `-snapshot`, `-test`,
/// `-staging`, `-canary`); false when it names none.
fn development_push(window: &[&str]) -> bool {
    // Images pulled or used as a build cache are not the ones published.
    let lines = || {
        window
            .iter()
            .filter(|l| !l.contains("pull") && !l.contains("cache"))
    };
    // An image given by a variable (`docker push $IMAGE`, `tags: ${{ … }}`) may be
    // any repository: not known to be a development one.
    let variable = lines().any(|l| {
        let t = l.trim_start().trim_start_matches("- ");
        if let Some(v) = t.strip_prefix("tags:") {
            return v.trim_start().starts_with('$');
        }
        // The image word: after `-t`/`--tag`/`push`, the second after `tag`.
        let words: Vec<&str> = t
            .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\''))
            .filter(|w| !w.is_empty())
            .collect();
        words.iter().enumerate().any(|(i, w)| {
            let image = match *w {
                "-t" | "--tag" | "push" => words.get(i + 1).copied(),
                "tag" => words.get(i + 2).copied(),
                _ => w.strip_prefix("--tag="),
            };
            image.is_some_and(|x| x.starts_with('$'))
        })
    });
    if variable {
        return false;
    }
    let mut names = lines()
        .flat_map(|l| l.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '=')))
        .filter(|w| w.contains('/') && w.contains(':') && !w.contains("://") && !w.starts_with('-'))
        .filter_map(|w| {
            let repo = w.split([':', '@']).next()?;
            let last = repo.rsplit('/').next()?;
            (!last.is_empty() && !last.contains('$')).then_some(last)
        })
        .peekable();
    names.peek().is_some()
        && names.all(|n| {
            [
                "-dev",
                "-nightly",
                "-pr",
                "-preview",
                "-snapshot",
                "-test",
                "-staging",
                "-canary",
            ]
            .iter()
            .any(|s| n.ends_with(s))
        })
}

/// A build of the root directory with no file named (`docker build -t app .`,
/// `context: .`).
fn builds_root_context(line: &str) -> bool {
    let t = line.trim();
    // `docker build -f other/Dockerfile .`: `.` is the context of another file.
    if file_argument(line).is_some() {
        return false;
    }
    matches!(t, "context: ." | "context: ./" | "- context: .")
        || ((t.contains("docker build")
            || t.contains("buildx build")
            || t.contains("podman build"))
            && line_words(t).any(|w| w == "." || w == "./"))
}

/// Marks the Dockerfiles that build a program the repository publishes from another
/// Dockerfile, when nothing pushes them ([`Dockerfile::published_instead`]).
fn mark_unpublished(inventory: &Inventory, dockerfiles: &mut [Dockerfile]) {
    let Some(pushed) = published(inventory, dockerfiles) else {
        return;
    };
    if pushed.is_empty() {
        return;
    }
    let programs: Vec<(String, Option<String>)> = dockerfiles
        .iter()
        .map(|d| (d.path.clone(), d.program()))
        .collect();
    for d in dockerfiles.iter_mut() {
        if pushed.contains_key(&d.path) {
            continue;
        }
        // Across directories only a program's own name identifies it: not a runner's
        // command, a script, a flag or a generic name (`server`, `app`).
        let Some(own) = d.program().filter(|p| distinctive(p)) else {
            continue;
        };
        let instead = programs.iter().find(|(path, program)| {
            path != &d.path && program.as_deref() == Some(own.as_str()) && pushed.contains_key(path)
        });
        if let Some((path, _)) = instead
            && let Some(at) = pushed.get(path)
        {
            d.published_instead = Some((path.clone(), at.clone()));
        }
    }
}

/// Whether a line gives `dir` as a build context (`context: cmd/api`,
/// `build: ./cmd/api`, `context = "optional/dumper/"`): a build word, and the
/// directory as a whole path, not a part of a word (`setup` in `setup-qemu-action`).
fn names_context(line: &str, dir: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    if dir.is_empty() || !(lower.contains("context") || lower.contains("build")) {
        return false;
    }
    let part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '$' | '{');
    line.match_indices(dir).any(|(at, _)| {
        let before = line.get(..at).and_then(|b| b.chars().next_back());
        let after = line.get(at + dir.len()..).and_then(|a| a.chars().next());
        // `./cmd/api` is the same directory; `apps/cmd/api` another.
        let starts = match before {
            None => true,
            Some('/') => line.get(..at).is_some_and(|b| {
                b.ends_with("./")
                    && !b.ends_with("../")
                    && b.strip_suffix("./")
                        .and_then(|b| b.chars().next_back())
                        .is_none_or(|c| !part(c) && c != '/')
            }),
            Some(c) => !part(c),
        };
        starts && after.is_none_or(|c| !part(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_an_image_starts() {
        let program = |text: &str| parse_dockerfile("Dockerfile", text).program();
        assert_eq!(
            program(
                "FROM debian:12\nENTRYPOINT [\"/usr/bin/tini\", \"--\"]\nCMD [\"/app/iggy-server\"]\n"
            ),
            Some("iggy-server".into())
        );
        assert_eq!(
            program("FROM alpine:3.20\nENTRYPOINT [\"docker-entrypoint.sh\", \"stash\"]\n"),
            Some("stash".into())
        );
        assert_eq!(
            program(
                "FROM node:20\nCOPY --from=build /prod/api/dist ./dist\nCMD [\"pnpm\", \"start\"]\n"
            ),
            Some("pnpm start < /prod/api/dist".into())
        );
        assert_eq!(
            program(
                "FROM node:20\nCOPY --from=build /prod/schedules/dist ./dist\nCMD [\"pnpm\", \"start\"]\n"
            ),
            Some("pnpm start < /prod/schedules/dist".into())
        );
        assert_eq!(program("FROM node:20\nRUN npm ci\n"), None);
        assert_eq!(
            program("FROM debian:12\nCMD [\"/start\"]\nFROM debian:12\nCOPY x /x\n"),
            None
        );
    }

    #[test]
    fn the_dockerfile_a_build_line_names() {
        assert_eq!(
            file_argument("docker buildx build --push -t a/b:1 -f docker/ci/Dockerfile dist/"),
            Some("docker/ci/Dockerfile")
        );
        assert_eq!(
            file_argument("          file: deploy/Dockerfile.pr"),
            Some("deploy/Dockerfile.pr")
        );
        assert_eq!(
            file_argument("  - dockerfile: Dockerfile.goreleaser"),
            Some("Dockerfile.goreleaser")
        );
        assert_eq!(
            file_argument("docker build --file=x/Dockerfile ."),
            Some("x/Dockerfile")
        );
        assert_eq!(file_argument("docker build -t app ."), None);
        assert_eq!(
            file_argument("docker build -f $DOCKERFILE ."),
            Some("$DOCKERFILE")
        );
    }

    #[test]
    fn pushes_to_development_repositories() {
        assert!(development_push(&[
            "- docker build -t app:latest -f deploy/Dockerfile.amd64 .",
            "- docker tag app:latest public.ecr.aws/acme/app-dev:latest-amd64",
            "- docker push public.ecr.aws/acme/app-dev:latest-amd64",
        ]));
        assert!(development_push(&[
            "- docker pull public.ecr.aws/acme/rust:trixie-sccache",
            "- docker push ghcr.io/acme/app-nightly:$TAG",
        ]));
        assert!(!development_push(&[
            "- docker tag app:latest public.ecr.aws/acme/app:$TAG",
            "- docker push public.ecr.aws/acme/app-dev:latest",
        ]));
        // No image named: unknown, not a development push.
        assert!(!development_push(&["docker push \"$IMAGE\""]));
    }

    #[test]
    fn a_build_of_the_root_directory() {
        assert!(builds_root_context("          context: ."));
        assert!(builds_root_context("docker build -t acme/app:1 ."));
        assert!(!builds_root_context("docker build -t acme/app:1 ./api"));
        assert!(!builds_root_context("context: ./api"));
    }

    #[test]
    fn a_build_context_names_its_directory_as_a_whole_path() {
        assert!(names_context("      context: cmd/api", "cmd/api"));
        assert!(names_context("    build: ./cmd/api", "cmd/api"));
        assert!(names_context(
            "  context = \"optional/dumper/\"",
            "optional/dumper"
        ));
        assert!(!names_context(
            "        uses: docker/setup-qemu-action@v3",
            "setup"
        ));
        assert!(!names_context("    context: apps/cmd/api", "cmd/api"));
        assert!(!names_context("    context: cmd/api-v2", "cmd/api"));
        assert!(!names_context("  run: ./cmd/api/test.sh", "cmd/api"));
        assert!(!names_context("    context: ../cmd/api", "cmd/api"));
    }

    #[test]
    fn application_servers_that_serve_as_another_user() {
        assert!(server_drop("[uwsgi]\nuid = www-data\n").is_some());
        assert!(server_drop("[uwsgi]\nuid = root\n").is_none());
        assert!(server_drop("exec gunicorn app:app --user=www-data --group=www-data").is_some());
        assert!(server_drop("exec gunicorn app:app --bind 0.0.0.0:80").is_none());
        assert!(server_drop("pip install uwsgi && useradd --uid 1000 app").is_none());
        let all = "[program:web]\ncommand=web\nuser=app\n[program:worker]\ncommand=w\nuser=app\n";
        assert!(server_drop(all).is_some());
        let one_root = "[program:web]\ncommand=web\nuser=app\n[program:worker]\ncommand=w\n";
        assert!(server_drop(one_root).is_none());
    }

    fn patterns(lines: &[&str]) -> Vec<(bool, GlobMatcher)> {
        lines
            .iter()
            .filter_map(|l| {
                let (n, p) = match l.strip_prefix('!') {
                    Some(p) => (true, p),
                    None => (false, *l),
                };
                let g = GlobBuilder::new(p).literal_separator(true).build().ok()?;
                Some((n, g.compile_matcher()))
            })
            .collect()
    }

    #[test]
    fn dockerignore_patterns_apply_in_order() {
        assert!(ignores(&patterns(&["**/.git", ".env*"]), ".git"));
        assert!(ignores(&patterns(&["**/.git", ".env*"]), ".env"));
        assert!(ignores(&patterns(&["*", "!src"]), ".git"));
        assert!(!ignores(&patterns(&["*", "!.env"]), ".env"));
        assert!(!ignores(&patterns(&["node_modules", "*.pyc"]), ".git"));
    }
}
