//! Judges whether logs are structured (JSON or key-value), so they can be queried.

use crate::analyze::catalog::DetectorKind;
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "observability.structured-logging",
        category: Category::Observability,
        title: "Structured logging",
        summary: "Logs are emitted as structured records (structlog, python-json-logger, pino, bunyan, slog, zap, zerolog, tracing-subscriber JSON).",
        weight: 1.0,
        severity: Severity::P2,
        // Machine-parsed logs matter where a log pipeline ingests them: services. Text
        // logs can still be read and searched, so it is not a release blocker; no
        // logging at all is (`observability.logging`).
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P3,
            library: None,
        }),
        effort: Effort::S,
        rationale: "Plain-text logs can be read but not queried: in production, finding every failed request of one user across instances needs fields (request id, user, latency) that log aggregation can index.",
        remediation: "Emit JSON logs with consistent fields: structlog or python-json-logger for Python, pino for Node, slog/zap for Go, tracing-subscriber's JSON formatter for Rust; add a request or correlation id to every record.",
        action: "Emit structured (JSON) logs with correlation ids",
        risk: "Operational blindness",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::library_in_use(
        cx,
        &CHECK.def,
        &super::Library {
            kinds: &[DetectorKind::StructuredLogging],
            what: "structured logging",
            looked_for: "structlog, python-json-logger, loguru serialize=True, pino, bunyan, winston format.json(), slog, zap, zerolog, tracing-subscriber .json()",
            not_for_libraries: "libraries leave log formatting to the application",
            frontends: false,
        },
    )
}
