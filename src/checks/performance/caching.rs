//! Judges whether repeated expensive work (external calls, LLM requests) is cached.

use crate::analyze::catalog::DetectorKind;
use crate::analyze::python::CallKind;
use crate::checks::python::{self, Role};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "performance.caching",
        category: Category::Performance,
        title: "Caching of expensive work",
        summary: "Services, and code that calls external HTTP or LLM APIs, cache results (functools cache, cachetools, Redis, moka, lru-cache, …).",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::M,
        rationale: "Repeating the same external call or computation costs latency, money (LLM tokens, API quotas) and availability when the upstream is slow. A cache is the cheapest capacity there is.",
        remediation: "Cache idempotent external responses and expensive computations with an explicit TTL and size bound (functools.lru_cache, cachetools, requests-cache, Redis; moka in Rust; lru-cache in Node), and measure the hit rate.",
        action: "Cache idempotent external calls and expensive computations",
        risk: "Performance issues",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    let caches: Vec<_> = cx
        .facts
        .detected(DetectorKind::Caching)
        .filter(|d| !d.used.is_empty())
        .collect();
    if !caches.is_empty() {
        let names: Vec<String> = caches.iter().map(|d| d.display()).collect();
        let evidence = caches
            .iter()
            .filter_map(|d| d.evidence().cloned())
            .take(5)
            .collect();
        let summary = format!("caching: {}", names.join(", "));
        return Outcome::pass(summary.clone()).strength(def, summary, "", evidence);
    }
    // In-process caches the parser resolved (aliased imports, Django's cache_page,
    // async_lru…), which the catalog's import and text patterns can miss.
    let memoised: Vec<(&str, &str, u32)> = python::files(cx)
        .filter(|f| f.role == Role::Production)
        .flat_map(|f| {
            f.py.calls.iter().filter_map(move |c| match &c.kind {
                CallKind::Cache { callee } => Some((f.file.path.as_str(), callee.as_str(), c.line)),
                _ => None,
            })
        })
        .collect();
    if !memoised.is_empty() {
        let mut names: Vec<&str> = memoised.iter().map(|m| m.1).collect();
        names.sort_unstable();
        names.dedup();
        let evidence = memoised
            .iter()
            .take(5)
            .map(|(path, _, line)| cx.at(path, *line))
            .collect();
        let summary = format!("caching: {}", names.join(", "));
        return Outcome::pass(summary.clone()).strength(def, summary, "", evidence);
    }
    let declared: Vec<Evidence> = cx
        .facts
        .detected(DetectorKind::Caching)
        .filter(|d| d.declared_runtime)
        .filter_map(|d| d.declared.first().cloned())
        .collect();
    if !declared.is_empty() {
        return Outcome::partial(0.5, "caching library declared but not used").concern(
            def,
            "Caching library declared but not wired in",
            "A caching library is a dependency, but no production code imports it.",
            declared,
        );
    }
    if cx.kind == crate::model::ProjectKind::Library {
        return Outcome::not_applicable("a library leaves caching to the application using it");
    }
    let callers: Vec<_> = cx
        .facts
        .detections
        .iter()
        .filter(|d| {
            matches!(d.kind, DetectorKind::HttpClient | DetectorKind::LlmProvider)
                && !d.used.is_empty()
        })
        .collect();
    if !cx.kind.is_service() && callers.is_empty() {
        return Outcome::not_applicable("no external calls or served traffic to cache");
    }
    let mut evidence = vec![Evidence::absent(
        "functools.lru_cache/cache, cachetools, diskcache, requests-cache, Redis, moka/cached, lru-cache/node-cache, go-cache/ristretto",
        cx.scope(),
    )];
    let mut message = String::from("No caching library or memoisation is used in production code");
    if !callers.is_empty() {
        let names: Vec<String> = callers.iter().map(|d| d.display()).collect();
        message.push_str(&format!(
            ", although it calls external services through {}",
            names.join(", ")
        ));
        evidence.extend(
            callers
                .iter()
                .filter_map(|d| d.used.first().cloned())
                .take(3),
        );
    }
    message.push('.');
    Outcome::partial(0.5, "no caching").concern(def, "No caching", message, evidence)
}
