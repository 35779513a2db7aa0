//! Judges whether unhandled errors are reported to an error tracker.

use crate::analyze::catalog::DetectorKind;
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "observability.error-tracking",
        category: Category::Observability,
        title: "Error tracking",
        summary: "Unhandled errors are reported to an error tracker (Sentry, Rollbar, Bugsnag, Honeybadger).",
        weight: 0.75,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P3,
            library: None,
        }),
        effort: Effort::S,
        rationale: "An exception in production that only reaches a log file is found when someone goes looking. An error tracker groups, counts and alerts on it, with the stack trace and context.",
        remediation: "Initialise Sentry (or an equivalent) at start-up with the release version and environment, and make sure unhandled exceptions and error-level logs reach it.",
        action: "Report unhandled errors to an error tracker (e.g. Sentry)",
        risk: "Operational blindness",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::library_in_use(
        cx,
        &CHECK.def,
        &super::Library {
            kinds: &[DetectorKind::ErrorTracking],
            what: "error tracking",
            looked_for: "sentry_sdk, @sentry/*, sentry crate, sentry-go, rollbar, bugsnag, honeybadger",
            not_for_libraries: "libraries leave error reporting to the application",
            frontends: true,
        },
    )
}
