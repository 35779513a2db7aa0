//! Judges Dockerfile quality: non-root user, health check, pinned base images,
//! multi-stage build.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.dockerfile",
        category: Category::Deployment,
        title: "Dockerfile quality",
        summary: "Each Dockerfile runs as a non-root USER (set in the final stage or in the earlier stage it is built `FROM`, a base that runs unprivileged — a `nonroot` tag, a Docker Hardened Image's runtime variant — or an entrypoint that starts the program through gosu, su-exec, s6-setuidgid or setpriv), pins its base images (tag or digest, not `latest`), has a HEALTHCHECK (services) and uses a multi-stage build. Root is P1 for a service's image, P2 when the final image is `scratch` or distroless, an `alpine`/`busybox` (or distroless `:debug`) base holding one copied program with no runtime packages beyond certificates, time zones or a shell, a backing service's image extended with a job (a backup cron), a toolbox, an nginx/httpd server, a variant nothing builds, a build of a program the repository publishes from another Dockerfile that no release pushes (nothing, or only a development repository such as `app-dev`; pushes read in CI files, scripts, Makefiles, YAML build specs and GoReleaser's `dockers:`; a push of a file given by a variable leaves the published set unknown), or when the project builds a non-root image of the same program beside it (`Dockerfile.rootless`); P3 when the program drives the Docker daemon through the host's socket (its code drives Docker, and a Compose service or workload of its image mounts the socket, or the image installs the Docker client and the code dials the socket by path or runs the `docker` program), which is root on the host whatever the container's user; development, example and test images, and base and build images (a toolchain image that starts nothing, a build script or the compiler itself), are not judged. Builds of one image (Dockerfiles in one directory starting the same program, judged alike) are one finding citing each.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "A container running as root turns any code-execution bug into root in the container; an unpinned base image changes under you between builds; without a HEALTHCHECK a hung process is never restarted; single-stage images ship compilers and caches that enlarge the attack surface.",
        remediation: "Add `USER` with a non-root account in the final stage, pin `FROM` images to a version tag or `@sha256:` digest, add `HEALTHCHECK CMD` probing the health endpoint, and build in a separate stage (`FROM … AS build`) copying only the artefacts into a slim final image.",
        action: "Harden the Dockerfile (non-root USER, pinned base, HEALTHCHECK, multi-stage)",
        risk: "Deployment",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files = &cx.facts.containers.dockerfiles;
    if files.is_empty() {
        return Outcome::not_applicable("no Dockerfile");
    }
    let service = cx.kind.is_service();
    let mut good = 0usize;
    let mut total = 0usize;
    let mut concerns: Vec<Concern> = Vec::new();
    // Root findings, gathered to fold the builds of one image into one finding.
    let mut roots: Vec<Root<'_>> = Vec::new();
    for df in files {
        let Some(last) = df.stages.last() else {
            continue;
        };
        total += 1;
        if df.runs_as_root() {
            let (line, snippet) = match &df.user {
                Some((u, l)) => (*l, format!("USER {u}")),
                None => (last.line, cx.line(&df.path, last.line)),
            };
            // nginx and httpd start their workers as an unprivileged user: only the
            // master process keeps root.
            let web_server = ["nginx", "httpd"].iter().any(|w| {
                last.image
                    .rsplit('/')
                    .next()
                    .is_some_and(|i| i.starts_with(w))
            });
            // `FROM scratch` or a distroless base: the program alone, with no shell,
            // package manager or other binary an attacker could use as root.
            let bare = last.image == "scratch"
                || (last.image.contains("distroless")
                    && !last.tag.as_deref().is_some_and(|t| t.contains("debug")));
            // A minimal base holding one program copied in, with no runtime packages
            // beyond certificates, time zones and a shell: little to use as root.
            let single_program = !bare && single_program(df, last);
            // A database or cache image extended with a job (a backup cron): the
            // backing service's sidecar, not the application.
            let backing = crate::analyze::container::is_backing_image(&last.image);
            // The project also builds an image of the same program that runs
            // unprivileged (`Dockerfile.rootless`): root is the default offered
            // beside it, not the only way to run it.
            // Looked for in the whole repository: a project's own view may hold only
            // the Dockerfile that made it a project.
            let rootless_sibling = rootless_sibling(cx, df);
            // Files handed to an unprivileged user (`chown -R app:app /srv`) with no
            // ENTRYPOINT of its own: the base image's entrypoint, which this
            // repository does not show, is where that user is switched to.
            let last_stage = df.stages.len().saturating_sub(1);
            let own_entrypoint = df
                .instructions
                .iter()
                .any(|i| i.stage == last_stage && i.op == "ENTRYPOINT");
            // A user this Dockerfile creates itself and then forgets to switch to is
            // the common mistake: the process does run as root.
            let creates_user = df.instructions.iter().any(|i| {
                i.stage == last_stage
                    && i.op == "RUN"
                    && ["adduser", "useradd"].iter().any(|c| i.args.contains(c))
            });
            let handed_over = !own_entrypoint
                && !creates_user
                && df.instructions.iter().any(|i| {
                    i.stage == last_stage
                        && i.op == "RUN"
                        && i.args.split("&&").any(|cmd| {
                            let mut w = cmd.split_whitespace();
                            w.next() == Some("chown")
                                && w.find(|a| !a.starts_with('-')).is_some_and(|owner| {
                                    let user = owner.split([':', '.']).next().unwrap_or("");
                                    !user.is_empty() && user != "root" && user != "0"
                                })
                        })
                });
            // An image whose default command prints a tool's help (`CMD ["kanidm",
            // "-h"]`) is a toolbox run by hand with other arguments, not a service.
            let toolbox = df
                .instructions
                .iter()
                .rfind(|i| i.stage == last_stage && i.op == "CMD")
                .is_some_and(|i| {
                    let words: Vec<&str> = i
                        .args
                        .split(|c: char| {
                            c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']')
                        })
                        .filter(|w| !w.is_empty())
                        .collect();
                    matches!(words.as_slice(), [_, "-h" | "--help"])
                });
            let mut message = if handed_over {
                "The final stage sets no USER; it hands its files to an unprivileged user but has no ENTRYPOINT of its own, so whether the process drops to that user depends on the base image's entrypoint, which the repository does not show. Set `USER` explicitly."
            } else {
                "The final stage sets no non-root USER and its entrypoint does not drop privileges (gosu, su-exec, s6-setuidgid, setpriv), so the process runs as root."
            }
            .to_string();
            if toolbox {
                message.push_str(" Its default command prints the tool's help: a toolbox image run by hand, not a service.");
            }
            if bare {
                message.push_str(&format!(
                    " The final image is `{}`: it holds the program and no shell, package manager or other tool, so root there is hardening rather than an open door; it still keeps root's capabilities if the program is compromised.",
                    last.image
                ));
            }
            if single_program {
                message.push_str(&format!(
                    " The final image is `{}` with one program copied in and no runtime packages beyond certificates, time zones or a shell, so root there is hardening rather than an open door; it still keeps root's capabilities if the program is compromised.",
                    last.image
                ));
            }
            if backing {
                message.push_str(&format!(
                    " It extends the backing-service image `{}` (a sidecar such as a backup job), not the application's image.",
                    last.image
                ));
            }
            if let Some(other) = &rootless_sibling {
                message.push_str(&format!(
                    " The project also builds `{other}`, which runs the same program unprivileged: root is the default offered beside it."
                ));
            }
            // The program drives the Docker daemon through the host's socket, which
            // is root on the host whatever user the container runs as.
            let socket = socket_by_design(cx, df);
            if let Some(why) = &socket {
                message.push_str(&format!(
                    " Its program drives the Docker daemon through the host's socket ({why}), which is root on the host whatever the container's user, so a non-root USER adds little; limit what the socket exposes (a socket proxy) instead."
                ));
            }
            // An alternative nothing builds is not the image that ships.
            if let Some((instead, at)) = &df.unbuilt_variant {
                message.push_str(&format!(
                    " No CI job, compose file, script or document names this file, while `{instead}` is built ({at}): it is an alternative, not the shipped image."
                ));
            }
            // Another build of the same program is the published image.
            if let Some((instead, at)) = &df.published_instead {
                message.push_str(&format!(
                    " No release pushes this build (a development repository at most), while the image the repository publishes runs the same program from `{instead}` (pushed at {at}): it is an alternative build, and the published one is judged on its own."
                ));
            }
            roots.push(Root {
                df,
                severity: if socket.is_some() {
                    Severity::P3
                } else if service
                    && !web_server
                    && !handed_over
                    && !toolbox
                    && !bare
                    && !single_program
                    && !backing
                    && rootless_sibling.is_none()
                    && df.unbuilt_variant.is_none()
                    && df.published_instead.is_none()
                {
                    Severity::P1
                } else {
                    Severity::P2
                },
                verb: if handed_over {
                    "may run as root"
                } else {
                    "runs as root"
                },
                message,
                evidence: Evidence::at(df.path.clone(), line, &snippet),
                action: if handed_over {
                    "Set `USER` explicitly in the final stage to the unprivileged user the files belong to"
                } else {
                    "Run the image as a non-root user: create one in the final stage and switch to it with `USER`"
                },
            });
        } else {
            good += 1;
        }
        total += 1;
        match df.stages.iter().find(|s| s.unpinned()) {
            Some(s) => concerns.push((
                Severity::P2,
                format!("{} uses an unpinned base image", df.path),
                format!("`{}` has no version tag or digest (or uses `latest`), so builds are not reproducible.", s.image),
                vec![cx.at(&df.path, s.line)],
                "Pin base images to a version tag or digest",
            )),
            None => good += 1,
        }
        if service {
            total += 1;
            match df.healthcheck {
                Some(_) => good += 1,
                None => concerns.push((
                    Severity::P2,
                    format!("{} has no HEALTHCHECK", df.path),
                    "The image declares no HEALTHCHECK, so a hung process is not detected by the runtime.".into(),
                    vec![Evidence::absent("HEALTHCHECK in the final stage", df.path.clone())],
                    "Add a `HEALTHCHECK` that probes the service to the final stage",
                )),
            }
        }
        total += 1;
        if df.stages.len() > 1 {
            good += 1;
        } else {
            concerns.push((
                Severity::P3,
                format!("{} is a single-stage build", df.path),
                "Build tools and caches end up in the final image.".into(),
                vec![cx.at(&df.path, last.line)],
                "Build in one stage and copy only the program into a slim final stage",
            ));
        }
    }
    if total == 0 {
        return Outcome::not_applicable("no FROM instruction in any Dockerfile");
    }
    concerns.extend(fold_builds(roots));
    let score = good as f64 / total as f64;
    let mut outcome = Outcome::scored(
        score,
        format!("{good} of {total} Dockerfile practices followed"),
    );
    if concerns.is_empty() {
        outcome = outcome.strength(
            def,
            "Dockerfiles follow good practice",
            "non-root, pinned, health-checked where relevant, multi-stage",
            files.iter().map(|d| cx.at(&d.path, 1)).take(3).collect(),
        );
    }
    for (sev, title, message, ev, action) in concerns {
        outcome = outcome
            .concern_at(def, sev, title, message, ev)
            .action(action);
    }
    outcome
}

/// A concern as raised: severity, title, message, evidence, action.
type Concern = (Severity, String, String, Vec<Evidence>, &'static str);

/// A Dockerfile whose final stage runs as root, as judged.
struct Root<'a> {
    df: &'a crate::analyze::container::Dockerfile,
    severity: Severity,
    verb: &'static str,
    message: String,
    evidence: Evidence,
    action: &'static str,
}

/// One finding per image: Dockerfiles in one directory that start the same program
/// (`Dockerfile`, `Dockerfile.aarch64`, `Dockerfile.profiling`; `Dockerfile.alpine` and
/// `Dockerfile.debian`) are builds of one image, and root in them is one defect with one
/// fix. The finding is led by a plain `Dockerfile` where there is one, and cites every
/// build; builds judged differently (another severity, another reason) stay apart.
fn fold_builds(roots: Vec<Root<'_>>) -> Vec<Concern> {
    let mut groups: Vec<Vec<Root<'_>>> = Vec::new();
    for root in roots {
        let key = image_key(root.df);
        let same = groups.iter_mut().find(|g| {
            g.first().is_some_and(|first| {
                key.is_some()
                    && image_key(first.df) == key
                    && first.severity == root.severity
                    && first.message == root.message
            })
        });
        match same {
            Some(group) => group.push(root),
            None => groups.push(vec![root]),
        }
    }
    let mut out = Vec::new();
    for mut group in groups {
        // The lead: a plain `Dockerfile`, else the shortest name.
        group.sort_by_key(|r| {
            let name = r.df.path.rsplit('/').next().unwrap_or(&r.df.path);
            (name != "Dockerfile", name.len(), r.df.path.clone())
        });
        let mut members = group.into_iter();
        let Some(lead) = members.next() else {
            continue;
        };
        let others: Vec<Root<'_>> = members.collect();
        if others.is_empty() {
            out.push((
                lead.severity,
                format!("{} {}", lead.df.path, lead.verb),
                lead.message,
                vec![lead.evidence],
                lead.action,
            ));
            continue;
        }
        let names: Vec<String> = others.iter().map(|r| format!("`{}`", r.df.path)).collect();
        let title = format!(
            "{} {} (and {} of the same image)",
            lead.df.path,
            lead.verb,
            crate::model::plural(others.len(), "other build", "other builds")
        );
        let message = format!(
            "{} The same program is built in the same directory by {}, which {} as root too: one image in several builds, one fix.",
            lead.message,
            crate::checks::python::first_few(names.iter().cloned(), names.len()),
            if others.len() == 1 { "runs" } else { "run" }
        );
        // Every build is cited.
        let evidence = std::iter::once(lead.evidence)
            .chain(others.into_iter().map(|r| r.evidence))
            .collect();
        out.push((lead.severity, title, message, evidence, lead.action));
    }
    out
}

/// What identifies the image a Dockerfile builds: its directory and the program its
/// final stage starts ([`Dockerfile::program`]).
fn image_key(df: &crate::analyze::container::Dockerfile) -> Option<(String, String)> {
    Some((dir_of(&df.path).to_string(), df.program()?))
}

/// Why the program built by `df` is handed the host's container runtime socket, when
/// the judged code drives Docker: a Compose service or Kubernetes workload built from
/// `df`, or running the project's own image (`louislam/dockge`, `acme/app-agent` for
/// `Dockerfile.agent`), mounts it; or the image installs the Docker client and the
/// judged code dials the socket by path or runs the `docker` program.
fn socket_by_design(
    cx: &Context<'_>,
    df: &crate::analyze::container::Dockerfile,
) -> Option<String> {
    if !crate::checks::security::container_runtime::drives_docker(cx) {
        return None;
    }
    let rules = crate::analyze::container::rules::rules();
    let names = own_names(cx);
    let words: Vec<String> = df
        .path
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_string)
        .collect();
    let ours = |image: &str| {
        let image = image.to_ascii_lowercase();
        let name = image.split(['@', ':']).next().unwrap_or("");
        let last = name.rsplit('/').next().unwrap_or(name);
        names.iter().any(|n| {
            last == n
                || last
                    .strip_prefix(n.as_str())
                    .and_then(|rest| rest.strip_prefix(['-', '_']))
                    .is_some_and(|suffix| words.iter().any(|w| w == suffix))
        })
    };
    for w in &cx.facts.containers.workloads {
        for c in &w.containers {
            let mounted = c
                .host_mounts
                .iter()
                .find(|(path, _)| rules.is_host_socket(path));
            let Some((path, line)) = mounted else {
                continue;
            };
            let this = c.dockerfile.as_deref() == Some(df.path.as_str())
                || c.image.as_deref().is_some_and(&ours);
            if this {
                return Some(format!("{}:{line} mounts {path}", w.path));
            }
        }
    }
    // The image installs the Docker client to drive the daemon it is handed
    // (`get.docker.com`, `docker-ce-cli`, `apk add docker-cli`, the `docker` image's
    // binary copied in).
    // It must be handed the host's socket, not a remote daemon: the judged code dials
    // it by path, or runs the `docker` program, which does by default.
    let dials = cx.sources().any(|f| {
        !crate::checks::security::container_runtime::page_component(&f.path)
            && f.text()
                .is_some_and(|t| LOCAL_DOCKER.iter().any(|p| t.contains(p)))
    });
    if !dials {
        return None;
    }
    let last_stage = df.stages.len().saturating_sub(1);
    let client = df.instructions.iter().find(|i| {
        i.stage == last_stage
            && ((i.op == "RUN"
                && (DOCKER_CLIENT_INSTALLS.iter().any(|c| i.args.contains(c))
                    || (i.args.contains("install")
                        && i.args.split_whitespace().any(|w| w == "docker.io"))))
                || (i.op == "COPY"
                    && i.args.contains("--from=docker:")
                    && i.args.contains("/docker")))
    });
    client.map(|i| format!("{}:{} installs the Docker client", df.path, i.line))
}

/// Code that reaches the local Docker daemon: its socket by path, or the `docker`
/// program.
const LOCAL_DOCKER: &[&str] = &[
    "\"/var/run/docker.sock\"",
    "\"unix:///var/run/docker.sock\"",
    "exec.Command(\"docker\"",
    "spawn(\"docker\"",
    "spawn('docker'",
    "subprocess.run([\"docker\"",
    "subprocess.run(['docker'",
];

/// Commands that install the Docker client in an image.
const DOCKER_CLIENT_INSTALLS: &[&str] = &["get.docker.com", "docker-ce-cli", "docker-cli"];

/// The project's own names, as its images are named: each manifest's name, its last
/// path segment, a Go module's version suffix (`/v3`) left out.
fn own_names(cx: &Context<'_>) -> Vec<String> {
    cx.facts
        .manifests
        .iter()
        .filter_map(|m| m.name.as_deref())
        .filter_map(|n| {
            n.to_ascii_lowercase()
                .split('/')
                .rev()
                .find(|seg| {
                    !seg.strip_prefix('v').is_some_and(|digits| {
                        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                    })
                })
                .map(str::to_string)
        })
        .filter(|n| n.len() >= 3)
        .collect()
}

/// A Dockerfile beside `df` that starts the same program as a non-root user
/// (`Dockerfile.rootless` next to `Dockerfile`), by path.
fn rootless_sibling(
    cx: &Context<'_>,
    df: &crate::analyze::container::Dockerfile,
) -> Option<String> {
    let own = start_command(df)?;
    cx.inventory
        .files
        .iter()
        .filter(|f| {
            f.path != df.path
                && dir_of(&f.path) == dir_of(&df.path)
                && crate::analyze::container::is_dockerfile(f.name())
        })
        .find(|f| {
            f.text().is_some_and(|text| {
                let other = crate::analyze::container::parse_dockerfile(&f.path, text);
                !other.stages.is_empty()
                    && !other.runs_as_root()
                    && start_command(&other) == Some(own)
            })
        })
        .map(|f| f.path.clone())
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Packages a minimal image may add and still hold just its program.
const MINIMAL_PACKAGES: &[&str] = &["ca-certificates", "tzdata", "bash"];

/// Whether the final stage is an `alpine` or `busybox` base holding one program copied
/// in, whose `RUN`s add nothing beyond [`MINIMAL_PACKAGES`] and otherwise only make
/// directories and set permissions.
fn single_program(
    df: &crate::analyze::container::Dockerfile,
    last: &crate::analyze::container::Stage,
) -> bool {
    let name = last.image.rsplit('/').next().unwrap_or(&last.image);
    // A distroless `:debug` image is distroless with busybox's shell added.
    if !matches!(name, "alpine" | "busybox") && !last.image.contains("distroless") {
        return false;
    }
    let stage = df.stages.len().saturating_sub(1);
    let of_stage = || df.instructions.iter().filter(|i| i.stage == stage);
    let copies = of_stage().any(|i| i.op == "COPY");
    let runs_only_setup = of_stage().filter(|i| i.op == "RUN").all(|i| {
        i.args.split("&&").all(|cmd| {
            let words: Vec<&str> = cmd.split_whitespace().collect();
            match words.as_slice() {
                ["apk", rest @ ..] if rest.contains(&"add") => rest
                    .iter()
                    .filter(|w| !w.starts_with('-') && **w != "add")
                    .all(|p| MINIMAL_PACKAGES.contains(p)),
                [cmd, ..] => matches!(
                    *cmd,
                    "mkdir" | "chmod" | "chown" | "ln" | "update-ca-certificates"
                ),
                [] => true,
            }
        })
    });
    // The program itself starts, not a script that could do anything as root.
    let program = start_command(df).is_some_and(|(entrypoint, cmd)| {
        let first = entrypoint.or(cmd).map(first_word).unwrap_or("");
        !first.is_empty()
            && !first.ends_with(".sh")
            && !matches!(first, "sh" | "bash" | "/bin/sh" | "/bin/bash")
    });
    copies && runs_only_setup && program
}

/// The final stage's last `ENTRYPOINT` and `CMD` arguments, as written; `None` when it
/// has neither.
fn start_command(
    df: &crate::analyze::container::Dockerfile,
) -> Option<(Option<&str>, Option<&str>)> {
    let stage = df.stages.len().saturating_sub(1);
    let last = |op: &str| {
        df.instructions
            .iter()
            .rfind(|i| i.stage == stage && i.op == op)
            .map(|i| i.args.trim())
    };
    let (entrypoint, cmd) = (last("ENTRYPOINT"), last("CMD"));
    (entrypoint.is_some() || cmd.is_some()).then_some((entrypoint, cmd))
}

/// The first word of an exec-form (`["/app/api", "x"]`) or shell-form command.
fn first_word(args: &str) -> &str {
    args.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']'))
        .find(|w| !w.is_empty())
        .unwrap_or("")
}
