//! Judges whether the application exports metrics.

use crate::analyze::catalog::DetectorKind;
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "observability.metrics",
        category: Category::Observability,
        title: "Metrics exported",
        summary: "The application records metrics (Prometheus client, StatsD, OpenTelemetry metrics, Datadog).",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P3,
            library: None,
        }),
        effort: Effort::M,
        rationale: "Metrics answer 'is it healthy right now' — request rates, error rates, latencies, queue depths — and drive alerts. Without them an outage is noticed by users first.",
        remediation: "Instrument request count, error count and latency (the RED metrics) plus key business counters with prometheus_client / prom-client / the metrics crate / client_golang or OpenTelemetry, and expose or push them to your monitoring system.",
        action: "Add metrics instrumentation (rates, errors, latency)",
        risk: "Operational blindness",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    super::library_in_use(
        cx,
        &CHECK.def,
        &super::Library {
            kinds: &[DetectorKind::Metrics],
            what: "metrics",
            looked_for: "prometheus_client, statsd, datadog, OpenTelemetry metrics, prom-client, metrics/prometheus crates, client_golang",
            not_for_libraries: "libraries do not export metrics themselves",
            frontends: false,
        },
    )
}
