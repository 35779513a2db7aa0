//! Judges the runtime settings Compose files and Kubernetes manifests give their
//! containers: privilege, host namespaces and sockets, capabilities, root user,
//! resource limits and health probes.

use std::collections::HashSet;

use crate::analyze::container::rules::rules;
use crate::analyze::container::{ContainerSpec, Workload};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.container-runtime",
        category: Category::Security,
        title: "Container runtime security",
        summary: "Compose services and Kubernetes workloads run unprivileged (no `privileged`, privilege escalation, dangerous capabilities, host network/PID/IPC, runtime socket or root user), with resource limits and liveness/readiness probes. Development and test files count at P3 (by name, in a `dev/`, `local/` or test directory, or one of third-party backing services only: databases, emulators, profilers); the runtime socket mounted into an image whose job is the Docker API (a reverse proxy that discovers containers, a container manager whose own code drives Docker) at P2.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::S,
        rationale: "A privileged container, one with `SYS_ADMIN`, the host's network or PID namespace, or the Docker socket mounted, is the host: any code-execution bug in it escapes the container. Without resource limits one workload can starve the node; without probes a hung process keeps receiving traffic and is never restarted.",
        remediation: "Drop `privileged`, `hostNetwork`/`network_mode: host`, `hostPID`/`hostIPC` and the runtime socket mount; add only the capabilities the process needs; set `securityContext` with `runAsNonRoot: true`, `allowPrivilegeEscalation: false`; give every container `resources.limits` (Compose `deploy.resources.limits`) and `livenessProbe`/`readinessProbe` (Compose `healthcheck`).",
        action: "Run containers unprivileged, with resource limits and health probes",
        risk: "Container escape",
    },
    evaluate,
};

/// A missing practice: severity, what is missing, why it matters, what to do, the
/// containers missing it, and how many it applies to.
type Gap<'a> = (
    Severity,
    &'static str,
    &'static str,
    &'static str,
    Vec<(&'a Workload, &'a ContainerSpec)>,
    usize,
);

/// What to do about a privilege setting.
const PRIVILEGE_ACTION: &str = "Run containers without host privileges: no privileged mode, host sockets or namespaces, added capabilities or root user";

struct Concern {
    severity: Severity,
    title: String,
    message: String,
    evidence: Vec<Evidence>,
    action: String,
}

fn what(w: &Workload, c: &ContainerSpec) -> String {
    if w.kind == "service" {
        format!("service `{}`", w.name)
    } else if c.name.is_empty() {
        format!("{} `{}`", w.kind, w.name)
    } else {
        format!("container `{}` of {} `{}`", c.name, w.kind, w.name)
    }
}

/// Images whose documented job needs the Docker API: reverse proxies that discover
/// containers, certificate companions, updaters, log and resource viewers, and
/// container managers.
const SOCKET_CONSUMERS: &[&str] = &[
    "traefik",
    "nginx-proxy",
    "nginxproxy/nginx-proxy",
    "jwilder/nginx-proxy",
    "jwilder/docker-gen",
    "nginxproxy/docker-gen",
    "nginxproxy/acme-companion",
    "jrcs/letsencrypt-nginx-proxy-companion",
    "portainer/portainer-ce",
    "portainer/portainer-ee",
    "portainer/agent",
    "containrrr/watchtower",
    "amir20/dozzle",
    "gcr.io/cadvisor/cadvisor",
    "willfarrell/autoheal",
    "mcuadros/ofelia",
    "crazymax/diun",
    "lucaslorentz/caddy-docker-proxy",
];

/// Programs and client libraries through which code drives the Docker API.
pub(crate) const DOCKER_CLIENTS: &[&str] = &[
    "from 'dockerode'",
    "from \"dockerode\"",
    "require('dockerode')",
    "require(\"dockerode\")",
    "\"github.com/docker/docker/client\"",
    "\"github.com/moby/moby/client\"",
    "use bollard",
    "import docker\n",
    "docker.from_env(",
    "spawn(\"docker\"",
    "spawn('docker'",
    "exec.Command(\"docker\"",
    // A client of its own dialling the socket (`socks := []string{"/var/run/docker.sock"}`).
    "\"/var/run/docker.sock\"",
    "\"unix:///var/run/docker.sock\"",
    "subprocess.run([\"docker\"",
    "subprocess.run(['docker'",
];

/// Whether the judged code drives the Docker API (a client library, the `docker`
/// program, or the daemon's socket dialled by path). A page's component naming the
/// socket (a form's placeholder) drives nothing.
pub(crate) fn drives_docker(cx: &Context<'_>) -> bool {
    cx.sources().filter(|f| !page_component(&f.path)).any(|f| {
        f.text()
            .is_some_and(|t| DOCKER_CLIENTS.iter().any(|p| t.contains(p)))
    })
}

/// A browser page's component or markup (`.vue`, `.svelte`, `.jsx`, `.tsx`, `.html`).
pub(crate) fn page_component(path: &str) -> bool {
    [".vue", ".svelte", ".jsx", ".tsx", ".html"]
        .iter()
        .any(|e| path.ends_with(e))
}

/// Why a container needs the runtime socket it mounts, when it does: a third-party
/// image whose job is the Docker API, or the project's own service whose code drives
/// Docker (a container manager). Whoever controls it still controls the host, but
/// removing the socket would remove the feature: P2, hardened rather than removed.
fn needs_socket(
    cx: &Context<'_>,
    c: &ContainerSpec,
    drives_docker: &dyn Fn() -> bool,
) -> Option<String> {
    let image = c.image.as_deref().unwrap_or("").to_ascii_lowercase();
    let name = image.split(['@', ':']).next().unwrap_or("");
    let name = name.strip_prefix("docker.io/").unwrap_or(name);
    if SOCKET_CONSUMERS.contains(&name) {
        return Some(format!("`{name}` reads the Docker API by design"));
    }
    let own = c.builds
        || cx
            .facts
            .manifests
            .iter()
            .filter_map(|m| m.name.as_deref())
            .any(|n| {
                let n = n.rsplit('/').next().unwrap_or(n).to_ascii_lowercase();
                let image = name.rsplit('/').next().unwrap_or(name);
                // `beszel-agent` is the `beszel` project's agent image.
                n.len() >= 3
                    && (image == n
                        || image
                            .strip_prefix(n.as_str())
                            .is_some_and(|rest| rest.starts_with(['-', '_'])))
            });
    (own && drives_docker()).then(|| "the project's own code drives Docker through it".to_string())
}

/// The privilege settings of one container: (severity, setting, why, line).
fn privileges(w: &Workload, c: &ContainerSpec) -> Vec<(Severity, String, &'static str, u32)> {
    let mut out = Vec::new();
    if let Some((_, l)) = c.privileged {
        out.push((
            Severity::P1,
            "privileged mode".into(),
            "a privileged container has every device and capability of the host",
            l,
        ));
    }
    // A socket proxy (`tecnativa/docker-socket-proxy`) mounts the socket to hand
    // others a filtered API: it is the mitigation, not the exposure.
    let socket_proxy = c
        .image
        .as_deref()
        .is_some_and(|i| i.to_ascii_lowercase().contains("socket-proxy"));
    for (path, l) in c
        .host_mounts
        .iter()
        .filter(|(p, _)| rules().is_host_socket(p) && !socket_proxy)
    {
        out.push((Severity::P1, format!("the host's {path}"), "whoever reaches the container runtime socket can start a privileged container on the host", *l));
    }
    for (cap, l) in &c.cap_add {
        if let Some(sev) = rules().capability(cap) {
            out.push((
                sev,
                format!("capability {cap}"),
                "this capability gives powers over the host kernel",
                *l,
            ));
        }
    }
    for (ns, l) in w.host_namespaces.iter().chain(&c.host_namespaces) {
        let setting = match ns.as_str() {
            "network_mode" => "the host network (`network_mode: host`)".to_string(),
            "pid" => "the host PID namespace (`pid: host`)".to_string(),
            "ipc" => "the host IPC namespace (`ipc: host`)".to_string(),
            other => format!("`{other}: true`"),
        };
        out.push((Severity::P2, setting, "it shares the host's namespace, so the container sees and reaches host processes or interfaces", *l));
    }
    if let Some((_, l)) = c.allow_privilege_escalation {
        out.push((Severity::P2, "privilege escalation allowed".into(), "setuid binaries in the container can gain more privileges than the process started with", l));
    }
    if let Some((user, l)) = &c.user {
        let name = user.split(':').next().unwrap_or("");
        if name == "0" || name == "root" {
            out.push((
                Severity::P2,
                if name == "root" {
                    format!("user {user}")
                } else {
                    format!("user {user} (root)")
                },
                "the process runs as root, whatever the image's USER says",
                *l,
            ));
        }
    }
    out
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let workloads = &cx.facts.containers.workloads;
    let total: usize = workloads.iter().map(|w| w.containers.len()).sum();
    if total == 0 {
        return Outcome::not_applicable("no Compose service or Kubernetes workload");
    }
    let mut concerns: Vec<Concern> = Vec::new();
    let mut seen: HashSet<(String, u32, String)> = HashSet::new();
    let mut exposed = 0.0;
    let drives = std::cell::OnceCell::new();
    let drives_docker = || *drives.get_or_init(|| drives_docker(cx));
    for w in workloads {
        for c in &w.containers {
            let mut found = privileges(w, c);
            let socket = found.iter().any(|f| f.1.ends_with(".sock"));
            if let Some(why) = socket
                .then(|| needs_socket(cx, c, &drives_docker))
                .flatten()
            {
                for f in found
                    .iter_mut()
                    .filter(|f| f.0 == Severity::P1 && f.1.ends_with(".sock"))
                {
                    f.0 = Severity::P2;
                    f.1 = format!("{} ({why})", f.1);
                }
            }
            if found.is_empty() {
                continue;
            }
            let worst = found.iter().map(|f| f.0).min().unwrap_or(Severity::P3);
            exposed += if w.dev.is_some() {
                0.25
            } else if worst <= Severity::P1 {
                1.0
            } else {
                0.75
            };
            for (sev, setting, why, line) in found {
                // A pod-level setting is reported once, not once per container.
                if !seen.insert((w.path.clone(), line, setting.clone())) {
                    continue;
                }
                let (severity, label) = match &w.dev {
                    Some(l) => (Severity::P3, format!(" ({l})")),
                    None => (sev, String::new()),
                };
                concerns.push(Concern {
                    severity,
                    title: format!("{}: {} runs with {setting}{label}", w.path, what(w, c)),
                    message: format!("{} in {} runs with {setting}: {why}.", what(w, c), w.path),
                    evidence: vec![cx.at(&w.path, line)],
                    action: PRIVILEGE_ACTION.to_string(),
                });
            }
        }
    }
    // Limits and probes are judged for what is deployed, one summary each for the
    // whole repository.
    let deployed: Vec<(&Workload, &ContainerSpec)> = workloads
        .iter()
        .filter(|w| w.dev.is_none())
        .flat_map(|w| w.containers.iter().filter(|c| !c.init).map(move |c| (w, c)))
        .collect();
    let probed = |w: &Workload| matches!(w.kind.as_str(), "Deployment" | "StatefulSet");
    let gaps: [Gap<'_>; 4] = [
        (
            Severity::P3,
            "containers without resource limits",
            "without memory and CPU limits one container can starve every other workload on the host",
            "Set memory and CPU limits on deployed containers",
            deployed
                .iter()
                .copied()
                .filter(|(_, c)| c.limits.is_none())
                .collect(),
            deployed.len(),
        ),
        (
            Severity::P2,
            "Deployment/StatefulSet containers without liveness or readiness probe",
            "a hung process keeps receiving traffic and is never restarted",
            "Give Deployments and StatefulSets liveness and readiness probes",
            deployed
                .iter()
                .copied()
                .filter(|(w, c)| probed(w) && c.liveness.is_none() && c.readiness.is_none())
                .collect(),
            deployed.iter().filter(|(w, _)| probed(w)).count(),
        ),
        (
            Severity::P3,
            "Deployment/StatefulSet containers with only one of liveness and readiness probe",
            "without readiness a starting pod receives traffic; without liveness a hung one is never restarted",
            "Add the missing liveness or readiness probe",
            deployed
                .iter()
                .copied()
                .filter(|(w, c)| probed(w) && (c.liveness.is_none() != c.readiness.is_none()))
                .collect(),
            deployed.iter().filter(|(w, _)| probed(w)).count(),
        ),
        (
            Severity::P3,
            "Compose services built from the project without healthcheck",
            "the runtime cannot tell a hung service from a healthy one",
            "Add a `healthcheck:` to Compose services built from the project",
            deployed
                .iter()
                .copied()
                .filter(|(w, c)| w.kind == "service" && c.builds && c.healthcheck.is_none())
                .filter(|(_, c)| image_health_unjudged(cx, c))
                .collect(),
            deployed
                .iter()
                .filter(|(w, c)| w.kind == "service" && c.builds)
                .count(),
        ),
    ];
    for (severity, what_missing, why, action, items, count) in gaps {
        if !items.is_empty() {
            let mut c = summary(cx, severity, &items, count, what_missing, why);
            c.action = action.to_string();
            concerns.push(c);
        }
    }
    let score = 1.0 - exposed / total as f64;
    let mut outcome = Outcome::scored(
        score.min(cap(concerns.iter().map(|c| c.severity))),
        format!(
            "{} in {}: {}",
            plural(total, "container", "containers"),
            plural(workloads.len(), "workload", "workloads"),
            if concerns.is_empty() {
                "no runtime concern".to_string()
            } else {
                plural(concerns.len(), "concern", "concerns")
            }
        ),
    );
    for c in concerns {
        outcome = outcome
            .concern_at(def, c.severity, c.title, c.message, c.evidence)
            .action(c.action);
    }
    outcome
}

/// The highest score a check with concerns of these severities can have: any P1
/// fails it, any P2 or P3 keeps it from passing.
pub(crate) fn cap(severities: impl Iterator<Item = Severity>) -> f64 {
    match severities.min() {
        None => 1.0,
        Some(Severity::P0 | Severity::P1) => 0.4,
        Some(Severity::P2) => 0.75,
        Some(Severity::P3) => 0.9,
    }
}

/// True when the image a service builds is not already judged for its HEALTHCHECK by
/// `deployment.dockerfile` (one finding per fact) and has none of its own.
fn image_health_unjudged(cx: &Context<'_>, c: &ContainerSpec) -> bool {
    let containers = &cx.facts.containers;
    let Some(df) = c
        .dockerfile
        .as_deref()
        .and_then(|p| containers.dockerfiles.iter().find(|d| d.path == p))
    else {
        return true;
    };
    df.healthcheck.is_none() && !cx.kind.is_service()
}

fn summary(
    cx: &Context<'_>,
    severity: Severity,
    items: &[(&Workload, &ContainerSpec)],
    count: usize,
    what_missing: &str,
    why: &str,
) -> Concern {
    let names: Vec<String> = items
        .iter()
        .take(5)
        .map(|(w, c)| format!("{} ({})", what(w, c), w.path))
        .collect();
    let more = items.len().saturating_sub(names.len());
    let list = if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    };
    Concern {
        severity,
        action: String::new(),
        title: format!("{} of {count} {what_missing}", items.len()),
        message: format!("{list}: {why}."),
        evidence: items
            .iter()
            .take(6)
            .map(|(w, c)| cx.at(&w.path, c.line))
            .collect(),
    }
}
