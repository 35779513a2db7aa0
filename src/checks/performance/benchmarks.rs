//! Judges whether performance-sensitive code has benchmarks.

use crate::analyze::catalog::{ArtifactKind, DetectorKind};
use crate::checks::{Check, CheckDef, Context, Outcome, Presence};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "performance.benchmarks",
        category: Category::Performance,
        title: "Benchmarks",
        summary: "Benchmarks exist (criterion/divan, Go Benchmark functions, pytest-benchmark, asv, tinybench, bench/ suites).",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::M,
        rationale: "Performance regressions are invisible to functional tests. Benchmarks of the hot paths make a slowdown measurable, and comparable from release to release.",
        remediation: "Benchmark the hot paths with the ecosystem's tool (criterion or divan, `func BenchmarkX`, pytest-benchmark or asv, tinybench) and run them before releases, or in CI against the main branch.",
        action: "Add benchmarks for the hot paths",
        risk: "Performance issues",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    let mut found: Vec<Evidence> = cx
        .facts
        .tests
        .benchmarks
        .iter()
        .take(3)
        .map(|(p, l, _)| cx.at(p, *l))
        .collect();
    found.extend(
        cx.facts
            .artifacts_of(ArtifactKind::Benchmark)
            .flat_map(|a| a.evidence.iter().take(2).cloned()),
    );
    // A declared benchmark library is intent; code that uses it is a benchmark.
    for d in cx.facts.detected(DetectorKind::Benchmark) {
        if let Some(e) = d.used.first().or_else(|| d.in_tests.first()) {
            found.push(e.clone());
            found.extend(d.declared.first().cloned());
        }
    }
    found.truncate(5);
    if found.is_empty() {
        let declared: Vec<Evidence> = cx
            .facts
            .detected(DetectorKind::Benchmark)
            .filter_map(|d| d.declared.first().cloned())
            .collect();
        if !declared.is_empty() {
            return Outcome::partial(0.3, "benchmark tooling declared, no benchmark found")
                .concern(
                    &CHECK.def,
                    "Benchmark tooling declared but unused",
                    "A benchmark library is a dependency, but no benchmark uses it.",
                    declared,
                );
        }
    }
    Presence {
        def: &CHECK.def,
        found,
        found_title: "Benchmarks present".into(),
        missing_title: "No benchmarks".into(),
        missing_message: "No benchmark measures the performance of the code.".into(),
        looked_for: "benches/, benchmarks/, bench/, func Benchmark*, #[bench], criterion/divan, pytest-benchmark, asv, tinybench".into(),
        scope: cx.scope(),
        severity: CHECK.def.severity,
    }
    .judge()
}
