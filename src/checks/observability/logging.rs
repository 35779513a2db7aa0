//! Judges whether production code logs through a logging library.

use crate::analyze::catalog::DetectorKind;
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "observability.logging",
        category: Category::Observability,
        title: "Logging in place",
        summary: "Production code logs through a logging library (logging, loguru, structlog, log/tracing, winston/pino, log/slog/zap).",
        weight: 1.0,
        severity: Severity::P1,
        by_kind: Some(KindSeverity {
            service: Severity::P1,
            cli: Severity::P2,
            library: None,
        }),
        effort: Effort::S,
        rationale: "Logs are the first thing an on-call engineer reads. Code that reports through print statements, or not at all, leaves no trail to reconstruct what happened before a failure.",
        remediation: "Use the ecosystem's logging library with a logger per module (`logging.getLogger(__name__)`, `tracing`, pino, slog), log at the boundaries (requests, external calls, errors), and configure levels in one place.",
        action: "Log through a logging library at the system's boundaries",
        risk: "Operational blindness",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::library_in_use(
        cx,
        &CHECK.def,
        &super::Library {
            kinds: &[DetectorKind::Logging, DetectorKind::StructuredLogging],
            what: "logging",
            looked_for: "logging/loguru/structlog imports, log/tracing crates, winston/pino/bunyan, log/slog/zap/zerolog",
            not_for_libraries: "libraries report through their API; logging is the application's choice",
            frontends: false,
        },
    )
}
