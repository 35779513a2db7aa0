//! Judges whether Python `async def` functions make blocking calls (sleep, synchronous
//! HTTP, file or process I/O) that stall the event loop.

use std::collections::BTreeMap;

use crate::analyze::python::{Call, CallKind, PyFile};
use crate::checks::python::{self, PyRef, Role};
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "performance.blocking-in-async",
        category: Category::Performance,
        title: "No blocking calls in async code",
        summary: "Python `async def` functions do not call time.sleep, synchronous requests/urllib, builtin open, subprocess or os.system directly. In a start-up or shutdown hook (`on_event`, `before_serving`, `lifespan`), which runs while no request is served, a blocking call is P3.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: Some(KindSeverity {
            service: Severity::P1,
            cli: Severity::P2,
            library: Some(Severity::P2),
        }),
        effort: Effort::S,
        rationale: "An event loop runs one thing at a time: a blocking call inside a coroutine freezes every other task on the loop until it returns. In an async web service one `time.sleep(1)` or synchronous HTTP request stalls all in-flight requests, so latency collapses under load long before CPU does, and timeouts and health checks fail together.",
        remediation: "Use the async counterpart: `await asyncio.sleep()` for time.sleep, httpx.AsyncClient or aiohttp for requests/urllib, asyncio.create_subprocess_exec for subprocess and os.system, aiofiles for file I/O. Where no async API exists, move the call off the loop with `await asyncio.to_thread(fn, ...)` or `loop.run_in_executor(None, fn, ...)`.",
        action: "Replace blocking calls in async functions with their async counterparts",
        risk: "Event-loop stalls: one slow call delays every concurrent request",
    },
    evaluate,
};

/// What kind of blocking a call is, with its async replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Blocking {
    Sleep,
    Http,
    Process,
    File,
}

impl Blocking {
    fn of(callee: &str, call: &Call, py: &PyFile) -> Blocking {
        let http = py
            .calls
            .iter()
            .any(|h| h.line == call.line && matches!(h.kind, CallKind::Http { .. }));
        if http {
            Blocking::Http
        } else if callee == "time.sleep" {
            Blocking::Sleep
        } else if callee == "open" {
            Blocking::File
        } else {
            Blocking::Process
        }
    }

    fn what(self) -> &'static str {
        match self {
            Blocking::Sleep => "time.sleep",
            Blocking::Http => "synchronous HTTP",
            Blocking::Process => "blocking subprocess",
            Blocking::File => "blocking file I/O",
        }
    }

    fn replacement(self) -> &'static str {
        match self {
            Blocking::Sleep => "use `await asyncio.sleep(...)`",
            Blocking::Http => "use httpx.AsyncClient or aiohttp",
            Blocking::Process => {
                "use `await asyncio.create_subprocess_exec(...)` (or `asyncio.to_thread`)"
            }
            Blocking::File => {
                "use aiofiles, or move the read/write off the loop with `await asyncio.to_thread(...)` or `loop.run_in_executor`"
            }
        }
    }
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    // Blocking in async tests slows only the test run.
    let files: Vec<PyRef<'_>> = python::files(cx).filter(|f| f.role != Role::Test).collect();
    let async_functions: usize = files
        .iter()
        .map(|f| f.py.functions.iter().filter(|d| d.is_async).count())
        .sum();
    if async_functions == 0 {
        return Outcome::not_applicable("no async Python functions outside tests");
    }
    // (role, file, kind, in start-up code) → (file, calls: (line, callee, function)).
    type Found<'a> = (PyRef<'a>, Vec<(u32, &'a str, &'a str)>);
    let mut found: BTreeMap<(Role, &str, Blocking, bool), Found<'_>> = BTreeMap::new();
    for f in &files {
        for c in &f.py.calls {
            let CallKind::Blocking { callee } = &c.kind else {
                continue;
            };
            let kind = Blocking::of(callee, c, f.py);
            let def = c.function.and_then(|i| f.py.functions.get(i));
            let function = def.map(|d| d.qualname.as_str()).unwrap_or("?");
            let startup = def.is_some_and(lifecycle_hook);
            found
                .entry((f.role, f.file.path.as_str(), kind, startup))
                .or_insert_with(|| (*f, Vec::new()))
                .1
                .push((c.line, callee.as_str(), function));
        }
    }
    if found.is_empty() {
        return Outcome::pass(format!(
            "no blocking calls in {}",
            plural(async_functions, "async function", "async functions")
        ));
    }
    let count: usize = found.values().map(|(_, calls)| calls.len()).sum();
    let production = found.values().any(|(f, _)| f.role == Role::Production);
    let mut outcome = Outcome::scored(
        if production { 0.25 } else { 0.75 },
        format!(
            "{} in async functions",
            plural(count, "blocking call", "blocking calls")
        ),
    );
    let severity = def.severity_for(cx.kind);
    for ((_, _, kind, startup), (f, calls)) in &found {
        let places = python::first_few(
            calls.iter().map(|(line, callee, function)| {
                format!("`{callee}` in `async def {function}` (line {line})")
            }),
            calls.len(),
        );
        // Reading or writing a local file takes microseconds to milliseconds: it holds
        // the loop far less than a sleep, a network call or a process.
        let severity = if *startup {
            Severity::P3
        } else if *kind == Blocking::File {
            severity.max(Severity::P2)
        } else {
            severity
        };
        // A start-up or shutdown hook runs before the service takes requests or after
        // it stops: nothing else is waiting on the loop.
        let (place, consequence) = if *startup {
            (
                " start-up or shutdown code",
                "it runs in a start-up or shutdown hook, before requests are served or after they stop, so only start-up waits for it; ",
            )
        } else {
            (
                "",
                "the event loop, and every task on it, waits until it returns; ",
            )
        };
        outcome = outcome.concern_at(
            def,
            f.role.weigh(severity),
            format!(
                "{} in async{place} code in {}{}",
                kind.what(),
                f.path(),
                f.role.suffix()
            ),
            format!("{places}: {consequence}{}.", kind.replacement()),
            calls
                .iter()
                .take(10)
                .map(|(line, _, _)| cx.at(f.path(), *line))
                .collect(),
        );
    }
    outcome
}

/// An application's start-up or shutdown hook (`@app.on_event("startup")`,
/// `@app.before_serving`, a `lifespan` context): it runs while no request is served.
fn lifecycle_hook(function: &crate::analyze::python::Function) -> bool {
    let hooked = function.decorators.iter().any(|d| {
        let last = d.rsplit('.').next().unwrap_or(d);
        matches!(
            last,
            "on_event"
                | "on_startup"
                | "on_shutdown"
                | "before_serving"
                | "after_serving"
                | "before_server_start"
                | "after_server_stop"
        )
    });
    // By name only when no route decorator makes it a handler (`/shutdown`).
    let routed = function.decorators.iter().any(|d| {
        let last = d.rsplit('.').next().unwrap_or(d);
        d.contains('.')
            && matches!(
                last,
                "route" | "get" | "post" | "put" | "patch" | "delete" | "websocket" | "api_route"
            )
    });
    hooked
        || (!routed
            && matches!(
                function.name.as_str(),
                "lifespan" | "startup" | "shutdown" | "on_startup" | "on_shutdown"
            ))
}
