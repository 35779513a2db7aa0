//! Judges whether requests are traced (distributed tracing / APM).

use crate::analyze::catalog::DetectorKind;
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "observability.tracing",
        category: Category::Observability,
        title: "Tracing",
        summary: "Requests are traced with OpenTelemetry or an APM agent (Datadog, Elastic APM, New Relic).",
        weight: 0.75,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P3,
            library: None,
        }),
        effort: Effort::M,
        rationale: "When a request crosses services, queues and third-party APIs, only a trace shows where its time went and which hop failed.",
        remediation: "Add OpenTelemetry (SDK plus auto-instrumentation for the web framework, HTTP clients and database drivers) and export to your tracing backend; propagate trace context on outgoing calls.",
        action: "Add distributed tracing (OpenTelemetry)",
        risk: "Operational blindness",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::library_in_use(
        cx,
        &CHECK.def,
        &super::Library {
            kinds: &[DetectorKind::Tracing],
            what: "tracing",
            looked_for: "OpenTelemetry, ddtrace/dd-trace, Elastic APM, New Relic, Jaeger, tracing-opentelemetry",
            not_for_libraries: "libraries are traced by the application using them",
            frontends: false,
        },
    )
}
