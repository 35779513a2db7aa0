//! Judges whether a service exposes health / readiness endpoints.

use crate::analyze::catalog::ArtifactKind;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};
use crate::repo::FileKind;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "observability.health-endpoints",
        category: Category::Observability,
        title: "Health and readiness endpoints",
        summary: "A service exposes a health, liveness or readiness route (/health, /healthz, /ready, /live, /ping, /status). A container HEALTHCHECK, a Kubernetes or Helm probe, or the Compose healthcheck of an image built here that checks the application without a dedicated route is a P3 refinement, not a missing health check. No route at all is P1 when the repository deploys to something that probes instances (Kubernetes, Helm, Nomad, Fly, App Engine, infrastructure as code), P2 otherwise.",
        weight: 1.0,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "Load balancers, orchestrators and monitors decide whether to send traffic to an instance, or restart it, by probing a health endpoint. Without one, a hung instance keeps receiving traffic.",
        remediation: "Add `/healthz` (process alive) and `/readyz` (dependencies reachable: database, caches, downstream APIs) routes, and point the container HEALTHCHECK or Kubernetes probes at them.",
        action: "Add health and readiness endpoints",
        risk: "Availability",
    },
    evaluate,
};

const HEALTH_WORDS: &[&str] = &[
    "alive",
    "health",
    "healthz",
    "healthcheck",
    "ready",
    "readyz",
    "readiness",
    "live",
    "livez",
    "liveness",
    "ping",
    "status",
    "heartbeat",
];

/// A health route ends in a health word (`/healthz`, `/api/v1/health`, `GET /readyz`);
/// `/status/<code>` is an endpoint with a parameter, not a probe.
pub fn is_health(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let route = lower.rsplit(' ').next().unwrap_or(&lower);
    let route = route.trim_start_matches('^').trim_end_matches('$');
    let last = route.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    HEALTH_WORDS.contains(&last)
}

/// A route whose line names a health handler: `path("", views.health_check)`,
/// `url(r"^$", HealthView.as_view())`.
fn names_health_handler(line: &str) -> bool {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in line.chars() {
        if !c.is_ascii_alphanumeric() {
            words.push(std::mem::take(&mut cur));
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase();
        cur.push(c.to_ascii_lowercase());
    }
    words.push(cur);
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "health" | "healthcheck" | "healthz" | "liveness" | "readiness"
        )
    })
}

/// A line that mounts a health answer as middleware: a call naming health, a
/// heartbeat or a ping with a health path as a string literal, or go-pkgz's
/// `rest.Ping`.
fn health_middleware(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with("//") {
        return false;
    }
    if t.contains("rest.Ping") {
        return true;
    }
    let literal_health = t
        .split(['"', '\''])
        .skip(1)
        .step_by(2)
        .any(|lit| lit.starts_with('/') && is_health(lit));
    // The code around the literals names the handler.
    let code: String = t
        .split(['"', '\''])
        .step_by(2)
        .collect::<Vec<_>>()
        .join(" ");
    let lower = code.to_ascii_lowercase();
    literal_health
        && (names_health_handler(&code) || lower.contains("heartbeat") || lower.contains("ping("))
        && code.contains('(')
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if !cx.kind.is_service() {
        return Outcome::not_applicable(format!("a {} serves no HTTP traffic", cx.kind.noun()));
    }
    if let Some(o) = super::frontend_exempt(cx, "health endpoints") {
        return o;
    }
    let mut routes = 0usize;
    let mut found = Vec::new();
    for s in &cx.facts.sources {
        let Some(f) = cx.inventory.files.get(s.file) else {
            continue;
        };
        if f.kind != FileKind::Source {
            continue;
        }
        let live: Vec<_> = s
            .routes
            .iter()
            .filter(|r| !s.is_inline_test(r.line))
            .collect();
        routes += live.len();
        for r in live
            .into_iter()
            .filter(|r| is_health(&r.path) || names_health_handler(f.line(r.line)))
        {
            found.push(cx.at(&f.path, r.line));
        }
    }
    if !found.is_empty() {
        return Outcome::pass(plural(found.len(), "health route", "health routes")).strength(
            def,
            "Health endpoint present",
            "",
            found,
        );
    }
    // Health answered by a middleware rather than a route: `health_check(app,
    // "/health/")`, chi's `middleware.Heartbeat("/ping")`, go-pkgz `rest.Ping`.
    let middleware: Vec<Evidence> = cx
        .facts
        .sources
        .iter()
        .filter_map(|s| cx.inventory.files.get(s.file))
        .filter(|f| f.kind == FileKind::Source)
        .filter_map(|f| {
            let text = f.text()?;
            let line = text.lines().position(health_middleware)?;
            Some(cx.at(&f.path, u32::try_from(line + 1).unwrap_or(u32::MAX)))
        })
        .take(3)
        .collect();
    if !middleware.is_empty() {
        return Outcome::pass(plural(
            middleware.len(),
            "health middleware",
            "health middlewares",
        ))
        .strength(def, "Health endpoint present", "", middleware);
    }
    let mut probes: Vec<Evidence> = cx
        .facts
        .containers
        .dockerfiles
        .iter()
        .filter_map(|d| d.healthcheck.map(|l| cx.at(&d.path, l)))
        .collect();
    probes.extend(orchestrator_probes(cx));
    let absent = Evidence::absent(
        "routes named /health, /healthz, /ready, /readyz, /live, /ping, /status",
        format!("{routes} HTTP routes in production code"),
    );
    if !probes.is_empty() {
        // The image probes the application already (a route of its own choosing, a
        // health sub-command): the runtime restarts a hung instance. A dedicated
        // route for load balancers is the remaining refinement.
        let mut ev = probes.clone();
        ev.push(absent);
        return Outcome::partial(0.75, "container HEALTHCHECK; no dedicated health route")
            .strength(def, "Container health check", "", probes)
            .concern_at(
                def,
                Severity::P3,
                "No dedicated health route",
                "The container's HEALTHCHECK or the orchestrator's probes check the application (a command, a port or a route of their own), but no route is named as a health or readiness endpoint for a load balancer or orchestrator.",
                ev,
            );
    }
    // What probes instances: an orchestrator or platform the repository deploys to
    // (Kubernetes, Helm, Nomad, Fly, App Engine, infrastructure as code).
    let mut probed_by: Vec<Evidence> = cx
        .facts
        .containers
        .kubernetes
        .iter()
        .take(1)
        .map(|r| cx.at(&r.path, r.line))
        .collect();
    for kind in [
        ArtifactKind::Orchestration,
        ArtifactKind::Platform,
        ArtifactKind::Iac,
    ] {
        for a in cx.facts.artifacts_of(kind) {
            // Compose restarts exited containers; a Procfile platform, a static host or
            // functions probe no HTTP route.
            if !matches!(
                a.artifact.id.as_str(),
                "docker-compose" | "procfile" | "netlify" | "serverless"
            ) {
                probed_by.extend(a.evidence.iter().take(1).cloned());
            }
        }
    }
    if probed_by.is_empty() {
        return Outcome::fail("no health or readiness endpoint").concern_at(
            def,
            Severity::P2,
            "No health or readiness endpoint",
            "Nothing lets a load balancer or orchestrator tell whether an instance is alive and ready. The repository deploys to no orchestrator or platform that would probe it (no Kubernetes, Helm, Nomad or platform manifest), so this matters once it runs behind one.",
            vec![absent],
        );
    }
    // Named in the message: an absence keeps no place of its own.
    let at = probed_by
        .iter()
        .find_map(|e| e.location())
        .map(|l| format!(" ({}:{})", l.path, l.line))
        .unwrap_or_default();
    Outcome::fail("no health or readiness endpoint").concern(
        def,
        "No health or readiness endpoint",
        format!(
            "Nothing lets a load balancer or orchestrator tell whether an instance is alive and ready, and the repository deploys to one that probes its instances{at}."
        ),
        vec![absent],
    )
}

/// Probes an orchestrator runs against instances the repository deploys: a
/// Kubernetes or Helm workload's `livenessProbe`, `readinessProbe` or `startupProbe`
/// (read as text: Helm templates are not YAML before rendering), and the
/// `healthcheck` of a Compose service built from this repository.
fn orchestrator_probes(cx: &Context<'_>) -> Vec<Evidence> {
    let mut out = Vec::new();
    let mut read = std::collections::BTreeSet::new();
    for r in &cx.facts.containers.kubernetes {
        if !matches!(
            r.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "Pod" | "ReplicaSet"
        ) || !read.insert(r.path.as_str())
        {
            continue;
        }
        let Some(text) = cx.inventory.file(&r.path).and_then(|f| f.text()) else {
            continue;
        };
        // A probe of this repository's program: the container's `image:` above it is
        // not a database or cache.
        let lines: Vec<&str> = text.lines().collect();
        let probe = lines.iter().enumerate().position(|(i, l)| {
            let t = l.trim_start();
            let is_probe = ["livenessProbe:", "readinessProbe:", "startupProbe:"]
                .iter()
                .any(|k| t.starts_with(k));
            let image = lines
                .get(..i)
                .unwrap_or(&[])
                .iter()
                .rev()
                .find_map(|l| {
                    l.trim_start()
                        .trim_start_matches("- ")
                        .strip_prefix("image:")
                })
                .map(|v| v.trim().trim_matches(['"', '\'']));
            is_probe && !image.is_some_and(crate::analyze::container::is_backing_image)
        });
        if let Some(i) = probe {
            out.push(cx.at(&r.path, u32::try_from(i + 1).unwrap_or(u32::MAX)));
        }
    }
    for w in &cx.facts.containers.workloads {
        if w.dev.is_some() || w.kind != "service" {
            continue;
        }
        for c in w.containers.iter().filter(|c| c.builds && !c.deprecated) {
            if let Some(((), line)) = c.healthcheck {
                out.push(cx.at(&w.path, line));
            }
        }
    }
    out.truncate(3);
    out
}

#[cfg(test)]
mod tests {
    use super::{is_health, names_health_handler};

    #[test]
    fn recognises_health_handlers_on_the_route_line() {
        assert!(names_health_handler(
            r#"    path("", health_check, name="health"),"#
        ));
        assert!(names_health_handler("url(r'^$', HealthView.as_view())"));
        assert!(!names_health_handler(
            r#"path("recipes/healthy/", views.healthy_recipes)"#
        ));
        assert!(!names_health_handler(r#"path("users/", views.users)"#));
    }

    #[test]
    fn recognises_health_middleware() {
        use super::health_middleware;
        assert!(health_middleware(
            r#"application = health_check(application, "/health/")"#
        ));
        assert!(health_middleware(
            r#"	r.Use(middleware.Heartbeat("/ping"))"#
        ));
        assert!(health_middleware("	router.Use(rest.Ping)"));
        assert!(!health_middleware(r#"resp = requests.get("/health")"#));
        assert!(!health_middleware(r#"# health_check(app, "/health/")"#));
    }

    #[test]
    fn recognises_health_paths() {
        assert!(is_health("/healthz"));
        assert!(is_health("/alive"));
        assert!(is_health("/api/v1/health"));
        assert!(is_health("GET /readyz"));
        assert!(!is_health("/users/statuses"));
        assert!(!is_health("/healthy-recipes"));
        assert!(!is_health("/status/<codes>"));
        assert!(is_health("/status"));
        assert!(is_health("^healthz/$"));
    }
}
