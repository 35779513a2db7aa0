//! Judges whether Python HTTP calls through clients that wait forever by default
//! (requests, urllib) set a timeout.

use std::collections::BTreeMap;

use crate::analyze::python::CallKind;
use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "performance.http-timeouts",
        category: Category::Performance,
        title: "HTTP calls have timeouts",
        summary: "Python HTTP calls through requests (functions and Session methods) and urllib's urlopen pass a timeout; httpx and aiohttp, which default to one, are not flagged.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: Some(KindSeverity {
            service: Severity::P1,
            cli: Severity::P2,
            library: Some(Severity::P2),
        }),
        effort: Effort::S,
        rationale: "requests and urllib wait forever by default: a peer that accepts the connection and never answers holds the calling thread until the process is killed. In a service every stuck call pins a worker, and a slow dependency becomes a full outage once the pool is exhausted; a CLI or a library's caller just hangs with no error. httpx (5 s) and aiohttp (5 min) have default timeouts, so their calls are not counted here.",
        remediation: "Pass `timeout=` on every call — a (connect, read) pair such as `timeout=(3.05, 27)` for requests, `urlopen(url, timeout=10)` for urllib — sized to what the caller can afford to wait. For many calls on one Session, wrap it (a Session subclass or an HTTPAdapter that sets a default timeout) rather than relying on each call site; treat `requests.Timeout` as a normal, retried or reported failure.",
        action: "Pass a timeout on every requests/urllib call",
        risk: "Hung workers and requests when a dependency stops answering",
    },
    evaluate,
};

/// Clients whose calls block indefinitely unless given a timeout.
fn no_default_timeout(client: &str) -> bool {
    matches!(client, "requests" | "urllib")
}

/// The file names a Dockerfile's HEALTHCHECK runs (`HEALTHCHECK CMD python
/// /app/fetchstatus.py`).
fn health_probes(cx: &Context<'_>) -> Vec<String> {
    let c = &cx.facts.containers;
    c.dockerfiles
        .iter()
        .chain(&c.dev_dockerfiles)
        .filter_map(|d| cx.inventory.file(&d.path).and_then(|f| f.text()))
        .flat_map(|t| {
            t.lines()
                .filter(|l| {
                    l.trim_start()
                        .to_ascii_uppercase()
                        .starts_with("HEALTHCHECK")
                })
                .flat_map(|l| {
                    l.split(|ch: char| ch.is_whitespace() || matches!(ch, '"' | '[' | ']' | ','))
                        .filter_map(|w| w.rsplit('/').next())
                        .filter(|w| w.ends_with(".py"))
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Production and example code; HTTP calls in tests hang only the test run.
fn audited(f: &PyRef<'_>) -> bool {
    f.role != Role::Test
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if !python::any(cx) {
        return Outcome::not_applicable("no Python files");
    }
    let mut total = 0usize;
    let mut defaulted = 0usize;
    // (role, path) → (file, calls without a timeout: (line, callee)).
    type Missing<'a> = (PyRef<'a>, Vec<(u32, &'a str)>);
    let mut missing: BTreeMap<(Role, &str), Missing<'_>> = BTreeMap::new();
    for f in python::files(cx).filter(audited) {
        for c in &f.py.calls {
            let CallKind::Http {
                callee,
                client,
                timeout,
                ..
            } = &c.kind
            else {
                continue;
            };
            if !no_default_timeout(client) {
                defaulted += 1;
                continue;
            }
            // `**kwargs` may carry the timeout (a wrapper forwarding its caller's
            // options): such a call is not counted either way.
            let last = callee.rsplit('.').next().unwrap_or(callee);
            let args = || python::call_args(cx, f.path(), c.line, last);
            if !*timeout && args().is_some_and(python::splats_keywords) {
                continue;
            }
            total += 1;
            // `timeout=None` spells out the default: wait forever.
            if *timeout && args().and_then(|a| python::keyword_arg(a, "timeout")) != Some("None") {
                continue;
            }
            missing
                .entry((f.role, f.file.path.as_str()))
                .or_insert_with(|| (f, Vec::new()))
                .1
                .push((c.line, callee.as_str()));
        }
    }
    if total == 0 {
        if defaulted > 0 {
            return Outcome::pass(format!(
                "{} through httpx/aiohttp, which default to a timeout",
                plural(defaulted, "HTTP call", "HTTP calls")
            ));
        }
        return Outcome::not_applicable("no requests or urllib HTTP calls");
    }
    if missing.is_empty() {
        return Outcome::pass(format!(
            "{} through requests/urllib {} a timeout",
            plural(total, "HTTP call", "HTTP calls"),
            if total == 1 { "sets" } else { "all set" }
        ));
    }
    let count: usize = missing.values().map(|(_, calls)| calls.len()).sum();
    let production: usize = missing
        .values()
        .filter(|(f, _)| f.role == Role::Production)
        .map(|(_, calls)| calls.len())
        .sum();
    let score = if production > 0 {
        1.0 - count as f64 / total as f64
    } else {
        0.75
    };
    let mut outcome = Outcome::scored(
        score.min(0.75),
        format!(
            "{count} of {} have no timeout",
            plural(total, "HTTP call", "HTTP calls")
        ),
    );
    let severity = def.severity_for(cx.kind);
    let probes = health_probes(cx);
    // One finding per severity: the same fix across files is one action.
    let mut groups: BTreeMap<Severity, Vec<&Missing<'_>>> = BTreeMap::new();
    for m in missing.values() {
        let f = &m.0;
        // A management command or a command-line script runs from a shell or a
        // scheduler, not in a request: a hang holds one run, not the service. A container health probe is
        // killed by the runtime's own probe timeout.
        let command = f.path().contains("/management/commands/")
            || crate::checks::security::sites::is_cli_script(f);
        let probe = probes.iter().any(|p| p == f.file.name());
        let weighed = if probe {
            Severity::P3
        } else if command {
            Severity::P2.max(severity)
        } else {
            severity
        };
        groups.entry(f.role.weigh(weighed)).or_default().push(m);
    }
    for (severity, files) in groups {
        let calls: usize = files.iter().map(|(_, c)| c.len()).sum();
        let title = match files.as_slice() {
            [(f, _)] => format!(
                "{} without a timeout in {}{}",
                plural(calls, "HTTP call", "HTTP calls"),
                f.path(),
                f.role.suffix()
            ),
            _ => format!(
                "{} without a timeout in {} files",
                plural(calls, "HTTP call", "HTTP calls"),
                files.len()
            ),
        };
        let listed = python::first_few(
            files.iter().map(|(f, c)| {
                let lines: Vec<String> = c.iter().map(|(l, _)| l.to_string()).collect();
                format!("{} (line {})", f.path(), lines.join(", "))
            }),
            files.len(),
        );
        let callees = python::first_few(
            files
                .iter()
                .flat_map(|(_, c)| c.iter().map(|(_, callee)| format!("`{callee}`"))),
            calls,
        );
        let evidence = files
            .iter()
            .flat_map(|(f, c)| c.iter().take(3).map(|(line, _)| cx.at(f.path(), *line)))
            .take(12)
            .collect();
        outcome = outcome.concern_at(
            def,
            severity,
            title,
            format!(
                "{callees} in {listed} {} no timeout: if the server stops answering, the call waits forever.",
                if calls == 1 { "sets" } else { "set" }
            ),
            evidence,
        );
    }
    outcome
}
