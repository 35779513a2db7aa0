//! Observability: logging, structured logging, metrics, tracing, error tracking, health
//! endpoints, print() in place of logging.

pub mod error_tracking;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod print_statements;
pub mod structured_logging;
pub mod tracing;

use crate::analyze::catalog::DetectorKind;
use crate::checks::{CheckDef, Context, Outcome};
use crate::model::{Evidence, ProjectKind};

/// What an observability library check looks for.
pub(crate) struct Library<'a> {
    /// Detector kinds that satisfy the check.
    pub kinds: &'a [DetectorKind],
    /// What the library does, for titles ("structured logging").
    pub what: &'a str,
    /// The absence record when nothing is found.
    pub looked_for: &'a str,
    /// Why the check does not apply to a library.
    pub not_for_libraries: &'a str,
    /// Whether it applies to a browser front end (error tracking does; server-side
    /// logs, metrics and traces are the server's).
    pub frontends: bool,
}

/// Not applicable to a browser front end: what a server-side check looks for is the
/// server's job. `None` for anything else.
pub(crate) fn frontend_exempt(cx: &Context<'_>, what: &str) -> Option<Outcome> {
    cx.facts.stack.frontend.as_ref().map(|e| {
        let at = e
            .location()
            .map(|l| format!(" ({}:{})", l.path, l.line))
            .unwrap_or_default();
        Outcome::not_applicable(format!(
            "a browser front end{at}; {what}: judged on the server that serves it"
        ))
    })
}

/// Judges whether production code uses a library of one of `lib.kinds`: a strength when
/// it does, partial when the library is only declared, a concern at the check's severity
/// for the project kind otherwise. Not applicable without production code or to libraries.
pub(crate) fn library_in_use(cx: &Context<'_>, def: &CheckDef, lib: &Library<'_>) -> Outcome {
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    if cx.kind == ProjectKind::Library {
        return Outcome::not_applicable(lib.not_for_libraries);
    }
    if !lib.frontends {
        if let Some(o) = frontend_exempt(cx, lib.what) {
            return o;
        }
    }
    let (kinds, what, looked_for) = (lib.kinds, lib.what, lib.looked_for);
    let severity = def.severity_for(cx.kind);
    let dets: Vec<_> = cx
        .facts
        .detections
        .iter()
        .filter(|d| kinds.iter().any(|k| d.is(*k)))
        .collect();
    let used: Vec<_> = dets.iter().filter(|d| !d.used.is_empty()).collect();
    if !used.is_empty() {
        let names: Vec<String> = used.iter().map(|d| d.display()).collect();
        let evidence: Vec<Evidence> = used
            .iter()
            .flat_map(|d| d.used.iter().take(2).cloned())
            .take(5)
            .collect();
        let summary = format!("{what}: {}", names.join(", "));
        return Outcome::pass(summary.clone()).strength(def, summary, "", evidence);
    }
    // Only a runtime declaration promises use in production; a test-group one does not.
    let declared: Vec<_> = dets.iter().filter(|d| d.declared_runtime).collect();
    if !declared.is_empty() {
        let names: Vec<String> = declared.iter().map(|d| d.display()).collect();
        let evidence: Vec<Evidence> = declared
            .iter()
            .flat_map(|d| d.declared.iter().take(1).cloned())
            .collect();
        return Outcome::partial(
            0.5,
            format!(
                "{} declared but not used in production code",
                names.join(", ")
            ),
        )
        .concern_at(
            def,
            severity,
            format!("{what} declared but not wired in"),
            format!(
                "{} is a dependency, but no production code imports it.",
                names.join(", ")
            ),
            evidence,
        );
    }
    Outcome::fail(format!("no {what}")).concern_at(
        def,
        severity,
        format!("No {what}"),
        format!("No production code uses a library for {what}."),
        vec![Evidence::absent(looked_for, cx.scope())],
    )
}
