//! Runtime settings of containers as Compose and Kubernetes describe them: privilege,
//! host namespaces, capabilities, host sockets, user, resource limits and probes, each
//! with the line that sets it.

use serde::Serialize;

use super::yaml::{Node, Value};

/// A setting and the line it is written on.
pub type At<T> = Option<(T, u32)>;

/// One container: a Compose service or a container of a Kubernetes pod template.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ContainerSpec {
    pub name: String,
    pub line: u32,
    /// Built from the project's own sources (Compose `build:`).
    pub builds: bool,
    /// The Dockerfile a Compose service builds from, relative to the repository root
    /// (when it stays inside it).
    pub dockerfile: Option<String>,
    pub image: Option<String>,
    /// A Kubernetes init container (runs to completion: no probes).
    pub init: bool,
    /// A Compose service kept only under a `deprecated`/`legacy` profile.
    pub deprecated: bool,
    pub privileged: At<()>,
    pub allow_privilege_escalation: At<()>,
    /// The user it runs as when set explicitly (`runAsUser`, Compose `user:`), the
    /// pod-level value applying to containers that set none.
    pub user: At<String>,
    /// Added Linux capabilities.
    pub cap_add: Vec<(String, u32)>,
    /// Host paths mounted into the container.
    pub host_mounts: Vec<(String, u32)>,
    /// Compose `network_mode: host`, `pid: host`, `ipc: host`.
    pub host_namespaces: Vec<(String, u32)>,
    /// Resource limits (`resources.limits`, `deploy.resources.limits`, `mem_limit`).
    pub limits: At<()>,
    pub liveness: At<()>,
    pub readiness: At<()>,
    /// Compose `healthcheck` (not disabled).
    pub healthcheck: At<()>,
}

/// A Kubernetes workload or a Compose service, with its containers.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub path: String,
    /// `service` for Compose, else the Kubernetes kind.
    pub kind: String,
    pub name: String,
    pub line: u32,
    /// Why the file is development or test infrastructure, when it is.
    pub dev: Option<String>,
    /// `hostNetwork`, `hostPID`, `hostIPC` set to true on the pod.
    pub host_namespaces: Vec<(String, u32)>,
    pub containers: Vec<ContainerSpec>,
}

/// Kinds whose pod template is read, and where the pod spec lives.
fn pod_spec<'a>(kind: &str, doc: &'a Node) -> Option<&'a Node> {
    match kind {
        "Pod" => doc.get("spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => doc.path(&["spec", "template", "spec"]),
        "CronJob" => doc.path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

fn true_at(n: &Node, key: &str) -> At<()> {
    n.entry(key)
        .filter(|(_, v)| v.is_true())
        .map(|(l, _)| ((), l))
}

fn user_at(sc: Option<&Node>) -> At<String> {
    let (line, v) = sc?.entry("runAsUser")?;
    Some((v.text()?, line))
}

fn k8s_container(
    c: &Node,
    init: bool,
    pod_user: &At<String>,
    mounts: &[(String, String, u32)],
) -> ContainerSpec {
    let sc = c.get("securityContext");
    let mut spec = ContainerSpec {
        name: c.get("name").and_then(Node::text).unwrap_or_default(),
        line: c.entry("name").map(|(l, _)| l).unwrap_or(c.line),
        image: c.get("image").and_then(Node::text),
        init,
        privileged: sc.and_then(|s| true_at(s, "privileged")),
        allow_privilege_escalation: sc.and_then(|s| true_at(s, "allowPrivilegeEscalation")),
        user: user_at(sc).or_else(|| pod_user.clone()),
        ..ContainerSpec::default()
    };
    if let Some(add) = sc.and_then(|s| s.path(&["capabilities", "add"])) {
        for cap in add.items() {
            if let Some(t) = cap.text() {
                spec.cap_add.push((t, cap.line));
            }
        }
    }
    spec.limits = c
        .get("resources")
        .and_then(|r| r.entry("limits"))
        .filter(|(_, v)| v.is_nonempty())
        .map(|(l, _)| ((), l));
    spec.liveness = c.entry("livenessProbe").map(|(l, _)| ((), l));
    spec.readiness = c.entry("readinessProbe").map(|(l, _)| ((), l));
    // A hostPath volume counts where the container mounts it.
    if let Some(vm) = c.get("volumeMounts") {
        for m in vm.items() {
            let Some(name) = m.get("name").and_then(Node::text) else {
                continue;
            };
            for (vol, host, line) in mounts {
                if *vol == name {
                    spec.host_mounts.push((host.clone(), *line));
                }
            }
        }
    }
    spec
}

/// The workload a Kubernetes document describes, if it has a pod template.
pub fn k8s_workload(path: &str, doc: &Node) -> Option<Workload> {
    let kind = doc.get("kind").and_then(Node::text)?;
    let pod = pod_spec(&kind, doc)?;
    let name = doc
        .path(&["metadata", "name"])
        .and_then(Node::text)
        .unwrap_or_default();
    let line = doc.entry("kind").map(|(l, _)| l).unwrap_or(doc.line);
    let host_namespaces = ["hostNetwork", "hostPID", "hostIPC"]
        .iter()
        .filter_map(|k| true_at(pod, k).map(|(_, l)| (k.to_string(), l)))
        .collect();
    let pod_user = user_at(pod.get("securityContext"));
    let mounts: Vec<(String, String, u32)> = pod
        .get("volumes")
        .map(|v| {
            v.items()
                .iter()
                .filter_map(|vol| {
                    let name = vol.get("name").and_then(Node::text)?;
                    let (line, p) = vol.get("hostPath")?.entry("path")?;
                    Some((name, p.text()?, line))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut containers = Vec::new();
    for (key, init) in [("initContainers", true), ("containers", false)] {
        for c in pod.get(key).map(Node::items).unwrap_or_default() {
            containers.push(k8s_container(c, init, &pod_user, &mounts));
        }
    }
    Some(Workload {
        path: path.to_string(),
        kind,
        name,
        line,
        dev: None,
        host_namespaces,
        containers,
    })
}

/// The host side of a Compose volume (`/host:/ctr[:ro]` or `{type: bind, source}`).
fn compose_host_path(v: &Node) -> Option<String> {
    match &v.value {
        Value::Scalar(s) => {
            let host = s.split(':').next()?;
            (host.starts_with('/') || host.starts_with("./") || host.starts_with('~'))
                .then(|| host.to_string())
        }
        Value::Map(_) => {
            let bind = v
                .get("type")
                .and_then(Node::text)
                .is_none_or(|t| t == "bind");
            bind.then(|| v.get("source").and_then(Node::text)).flatten()
        }
        _ => None,
    }
}

/// The Dockerfile a Compose `build:` uses.
fn build_dockerfile(compose_path: &str, build: &Node) -> Option<String> {
    let dir = compose_path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let (context, file) = match &build.value {
        Value::Scalar(s) => (s.clone(), "Dockerfile".to_string()),
        Value::Map(_) => (
            build
                .get("context")
                .and_then(Node::text)
                .unwrap_or_else(|| ".".into()),
            build
                .get("dockerfile")
                .and_then(Node::text)
                .unwrap_or_else(|| "Dockerfile".into()),
        ),
        _ => return None,
    };
    if context.contains("://") || context.contains('$') || file.contains('$') {
        return None;
    }
    crate::repo::join_path(&crate::repo::join_path(dir, &context)?, &file)
}

/// The services of a Compose document.
pub fn compose_workloads(path: &str, doc: &Node) -> Vec<Workload> {
    let mut out = Vec::new();
    let Some(services) = doc.get("services") else {
        return out;
    };
    for (name, line, svc) in services.entries() {
        let mut c = ContainerSpec {
            name: name.clone(),
            line: *line,
            builds: svc.get("build").is_some(),
            dockerfile: svc.get("build").and_then(|b| build_dockerfile(path, b)),
            image: svc.get("image").and_then(Node::text),
            deprecated: {
                let profiles: Vec<String> = svc
                    .get("profiles")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|p| p.text())
                    .collect();
                !profiles.is_empty()
                    && profiles.iter().all(|p| {
                        let p = p.to_ascii_lowercase();
                        p == "old"
                            || ["deprecated", "legacy", "obsolete"]
                                .iter()
                                .any(|w| p.contains(w))
                    })
            },
            privileged: true_at(svc, "privileged"),
            user: svc.entry("user").and_then(|(l, v)| Some((v.text()?, l))),
            ..ContainerSpec::default()
        };
        if let Some(caps) = svc.get("cap_add") {
            for cap in caps.items() {
                if let Some(t) = cap.text() {
                    c.cap_add
                        .push((t.trim_start_matches("CAP_").to_string(), cap.line));
                }
            }
        }
        for opt in svc.get("security_opt").map(Node::items).unwrap_or_default() {
            let t = opt.text().unwrap_or_default().replace(' ', "");
            if t == "no-new-privileges:false" || t == "no-new-privileges=false" {
                c.allow_privilege_escalation = Some(((), opt.line));
            }
        }
        for v in svc.get("volumes").map(Node::items).unwrap_or_default() {
            if let Some(host) = compose_host_path(v) {
                c.host_mounts.push((host, v.line));
            }
        }
        for key in ["network_mode", "pid", "ipc"] {
            if let Some((l, v)) = svc.entry(key) {
                if v.text().as_deref() == Some("host") {
                    c.host_namespaces.push((key.to_string(), l));
                }
            }
        }
        c.limits = svc
            .path(&["deploy", "resources"])
            .and_then(|r| r.entry("limits"))
            .filter(|(_, v)| v.is_nonempty())
            .or_else(|| svc.entry("mem_limit"))
            .or_else(|| svc.entry("cpus"))
            .map(|(l, _)| ((), l));
        c.healthcheck = svc
            .entry("healthcheck")
            .filter(|(_, v)| !v.get("disable").is_some_and(Node::is_true))
            .map(|(l, _)| ((), l));
        out.push(Workload {
            path: path.to_string(),
            kind: "service".into(),
            name: name.clone(),
            line: *line,
            dev: None,
            host_namespaces: Vec::new(),
            containers: vec![c],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::yaml::parse_documents;
    use super::*;

    #[test]
    fn reads_pod_template_settings_with_lines() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      securityContext:\n        runAsUser: 0\n      volumes:\n        - name: sock\n          hostPath:\n            path: /var/run/docker.sock\n      containers:\n        - name: app\n          image: app:1.0\n          securityContext:\n            privileged: true\n            capabilities:\n              add: [\"SYS_ADMIN\"]\n          volumeMounts:\n            - name: sock\n              mountPath: /var/run/docker.sock\n          readinessProbe:\n            httpGet: {path: /healthz, port: 8080}\n";
        let docs = parse_documents(text).unwrap();
        assert!(k8s_workload("k.yaml", &docs[0]).is_none());
        let w = k8s_workload("k.yaml", &docs[1]).unwrap();
        assert_eq!(
            (w.kind.as_str(), w.name.as_str(), w.line),
            ("Deployment", "api", 7)
        );
        assert_eq!(w.host_namespaces, vec![("hostNetwork".to_string(), 13)]);
        let c = &w.containers[0];
        assert_eq!(c.line, 21);
        assert_eq!(c.privileged, Some(((), 24)));
        assert_eq!(c.user, Some(("0".to_string(), 15)));
        assert_eq!(c.cap_add, vec![("SYS_ADMIN".to_string(), 26)]);
        assert_eq!(
            c.host_mounts,
            vec![("/var/run/docker.sock".to_string(), 19)]
        );
        assert_eq!(c.readiness, Some(((), 30)));
        assert!(c.liveness.is_none() && c.limits.is_none());
    }

    #[test]
    fn resolves_the_dockerfile_a_service_builds() {
        let docs =
            parse_documents("build:\n  context: ../api\n  dockerfile: docker/Dockerfile.prod\n")
                .unwrap();
        let b = docs[0].get("build").unwrap();
        assert_eq!(
            build_dockerfile("deploy/compose.yaml", b).as_deref(),
            Some("api/docker/Dockerfile.prod")
        );
        assert_eq!(build_dockerfile("compose.yaml", b), None);
    }

    #[test]
    fn reads_compose_services() {
        let text = "services:\n  web:\n    build: .\n    network_mode: host\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n      - data:/data\n    mem_limit: 512m\n  db:\n    image: postgres:16\n    privileged: true\n    cap_add: [ALL]\n    healthcheck:\n      disable: true\n";
        let docs = parse_documents(text).unwrap();
        let ws = compose_workloads("compose.yaml", &docs[0]);
        assert_eq!(ws.len(), 2);
        let web = &ws[0].containers[0];
        assert!(web.builds);
        assert_eq!(web.dockerfile.as_deref(), Some("Dockerfile"));
        assert_eq!(web.host_namespaces, vec![("network_mode".to_string(), 4)]);
        assert_eq!(
            web.host_mounts,
            vec![("/var/run/docker.sock".to_string(), 6)]
        );
        assert_eq!(web.limits, Some(((), 8)));
        let db = &ws[1].containers[0];
        assert_eq!(db.privileged, Some(((), 11)));
        assert_eq!(db.cap_add, vec![("ALL".to_string(), 12)]);
        assert!(db.healthcheck.is_none());
    }
}
