//! Judges whether Python code reuses HTTP connections: no session or client created
//! per request or per loop iteration, no module-level request function in a loop.

use crate::analyze::python::{Call, CallKind, PyFile};
use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "performance.connection-reuse",
        category: Category::Performance,
        title: "HTTP connections are reused",
        summary: "Python code keeps HTTP sessions/clients (requests.Session, httpx.Client, aiohttp.ClientSession) alive across requests instead of creating one per call or per loop iteration, and does not call requests.get/httpx.get in a loop.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P3,
            library: Some(Severity::P3),
        }),
        effort: Effort::S,
        rationale: "A session or client owns a connection pool. Creating one for a single request, or calling `requests.get` (which builds and discards a session each time), pays a new TCP connect and TLS handshake on every call — often more than the request itself — and leaves sockets in TIME_WAIT. Under load this shows up as latency, CPU spent on handshakes and exhausted ephemeral ports.",
        remediation: "Create the session or client once — at start-up, in `__init__`, or in an application lifespan hook — and pass it to the code that makes requests; close it on shutdown. Inside a loop, open one `with requests.Session() as s:` (or `httpx.Client()`/`aiohttp.ClientSession()`) around the loop and call `s.get(...)` in it.",
        action: "Create HTTP sessions/clients once and reuse them",
        risk: "Per-request connection setup: added latency and socket exhaustion under load",
    },
    evaluate,
};

/// One pattern that throws connections away.
struct Waste<'a> {
    file: PyRef<'a>,
    line: u32,
    title: String,
    message: String,
}

/// Whether the function of `session` makes an HTTP call on a session inside a loop
/// after creating it: the one call site then serves many requests.
fn reused_in_loop(py: &PyFile, session: &Call) -> bool {
    py.calls.iter().any(|c| {
        c.function == session.function
            && c.line > session.line
            && matches!(
                c.kind,
                CallKind::Http {
                    via_session: true,
                    in_loop: true,
                    ..
                }
            )
    })
}

/// The header of the loop around `line` (`for attempt in range(3):`), read from the
/// source: the nearest line above it, less indented, that opens a `for` or `while`.
fn loop_header(f: &PyRef<'_>, line: u32) -> Option<String> {
    let indent = |t: &str| t.len() - t.trim_start().len();
    let mut depth = indent(f.file.line(line));
    for n in (line.saturating_sub(60).max(1)..line).rev() {
        let text = f.file.line(n);
        if text.trim().is_empty() || text.trim_start().starts_with('#') || indent(text) >= depth {
            continue;
        }
        let head = text.trim_start();
        if ["for ", "while ", "async for "]
            .iter()
            .any(|k| head.starts_with(k))
        {
            return Some(head.to_string());
        }
        if head.starts_with("def ") || head.starts_with("async def ") || head.starts_with("class ")
        {
            return None;
        }
        depth = indent(text);
    }
    None
}

/// A retry loop repeats the request only when it failed: one connection per attempt
/// is what a retry wants.
fn retry_loop(f: &PyRef<'_>, line: u32) -> bool {
    loop_header(f, line).is_some_and(|h| {
        h.to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| {
                w == "tries"
                    || w.starts_with("retr")
                    || w.starts_with("attempt")
                    || w.starts_with("backoff")
            })
    })
}

fn function_name<'a>(py: &'a PyFile, call: &Call) -> &'a str {
    call.function
        .and_then(|i| py.functions.get(i))
        .map(|f| f.qualname.as_str())
        .unwrap_or("?")
}

fn waste_in<'a>(f: PyRef<'a>, out: &mut Vec<Waste<'a>>) {
    for c in &f.py.calls {
        let function = function_name(f.py, c);
        match &c.kind {
            CallKind::SessionCreated {
                callee,
                in_loop: true,
                ..
            } => out.push(Waste {
                file: f,
                line: c.line,
                title: format!("`{callee}()` created inside a loop"),
                message: format!(
                    "`{function}` creates a new `{callee}()` on every iteration of a loop (line {}): each one opens fresh connections and throws them away. Create it once before the loop.",
                    c.line
                ),
            }),
            // A session that serves a single call: its pool is thrown away with it.
            // (Zero calls: it escapes the function — returned, stored or passed on —
            // and whether it is reused cannot be told here.)
            CallKind::SessionCreated {
                callee, uses: 1, ..
            } if !reused_in_loop(f.py, c) => out.push(Waste {
                file: f,
                line: c.line,
                title: format!("`{callee}()` created for a single request"),
                message: format!(
                    "`{function}` creates a `{callee}()` (line {}) and makes one request with it: every call of `{function}` pays a new connection and TLS handshake. Create the session once and pass it in or keep it on the object.",
                    c.line
                ),
            }),
            CallKind::Http {
                callee,
                client: client @ ("requests" | "httpx"),
                via_session: false,
                in_loop: true,
                ..
            } if !retry_loop(&f, c.line) => {
                let session = if *client == "requests" {
                    "requests.Session()"
                } else {
                    "httpx.Client()"
                };
                out.push(Waste {
                    file: f,
                    line: c.line,
                    title: format!("`{callee}` called in a loop"),
                    message: format!(
                        "`{callee}` inside a loop in `{function}` (line {}) builds and discards a connection pool on every iteration. Open one `{session}` around the loop and make the calls on it.",
                        c.line
                    ),
                });
            }
            _ => {}
        }
    }
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    // Test code's connection handling costs only test time.
    let files: Vec<PyRef<'_>> = python::files(cx).filter(|f| f.role != Role::Test).collect();
    let http = files
        .iter()
        .flat_map(|f| f.py.calls.iter())
        .filter(|c| {
            matches!(
                c.kind,
                CallKind::Http { .. } | CallKind::SessionCreated { .. }
            )
        })
        .count();
    if http == 0 {
        return Outcome::not_applicable("no Python HTTP calls or sessions outside tests");
    }
    let mut waste = Vec::new();
    for f in &files {
        waste_in(*f, &mut waste);
    }
    if waste.is_empty() {
        return Outcome::pass(format!(
            "no per-request sessions or per-iteration connections ({} checked)",
            plural(http, "HTTP call or session", "HTTP calls and sessions")
        ));
    }
    waste.sort_by(|a, b| {
        (a.file.role, a.file.path(), a.line).cmp(&(b.file.role, b.file.path(), b.line))
    });
    let production = waste.iter().any(|w| w.file.role == Role::Production);
    let mut outcome = Outcome::scored(
        if production { 0.5 } else { 0.75 },
        format!(
            "{} where connections are not reused",
            plural(waste.len(), "place", "places")
        ),
    );
    let severity = def.severity_for(cx.kind);
    let total = waste.len();
    for w in waste.into_iter().take(20) {
        outcome = outcome.concern_at(
            def,
            w.file.role.weigh(severity),
            format!("{} in {}{}", w.title, w.file.path(), w.file.role.suffix()),
            w.message,
            vec![cx.at(w.file.path(), w.line)],
        );
    }
    if total > 20 {
        outcome
            .summary
            .push_str(&format!(" (20 listed, {} more)", total - 20));
    }
    outcome
}
