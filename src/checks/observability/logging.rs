//! Judges whether production code logs through a logging library.

use std::sync::LazyLock;

use regex::Regex;

use crate::analyze::catalog::DetectorKind;
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};

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

static HELPER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^[ \t]*(?:export[ \t]+)?(?:async[ \t]+)?(?:function[ \t]+|def[ \t]+|(?:const|let)[ \t]+)(log(?:ger[A-Za-z0-9_]*|[A-Z_][A-Za-z0-9_]*)?)[ \t]*(?:=[ \t]*(?:async[ \t]*)?)?\(",
    )
    .ok()
});

/// Calls that write a record to the process's output.
const WRITES: &[&str] = &[
    "console.",
    "process.stdout.write",
    "process.stderr.write",
    "print(",
    "sys.stderr.write",
    "sys.stdout.write",
];

/// A logging function of the project's own (`function logEvent(event, details)` that
/// writes a timestamped line to the console), called from several places: where it is
/// defined and how often it is called.
fn own_helper(cx: &Context<'_>) -> Option<(Evidence, usize)> {
    let re = HELPER.as_ref()?;
    let sources: Vec<_> = cx
        .sources()
        .filter(|f| matches!(f.lang(), "javascript" | "typescript" | "python"))
        .collect();
    for f in &sources {
        let text = f.text()?;
        for caps in re.captures_iter(text) {
            let (Some(all), Some(name)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            let body: String = text
                .get(all.end()..)
                .unwrap_or("")
                .lines()
                .take(8)
                .collect::<Vec<_>>()
                .join("\n");
            if !WRITES.iter().any(|w| body.contains(w)) {
                continue;
            }
            let call = format!("{}(", name.as_str());
            let calls: usize = sources
                .iter()
                .filter_map(|g| g.text())
                .map(|t| t.matches(&call).count())
                .sum::<usize>()
                .saturating_sub(1);
            if calls >= 3 {
                let line =
                    u32::try_from(text.get(..all.start()).unwrap_or("").matches('\n').count() + 1)
                        .unwrap_or(1);
                return Some((cx.at(&f.path, line), calls));
            }
        }
    }
    None
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let library = cx.facts.detections.iter().any(|d| {
        (d.is(DetectorKind::Logging) || d.is(DetectorKind::StructuredLogging)) && !d.used.is_empty()
    });
    if !library && cx.production_lines() > 0 && cx.kind != crate::model::ProjectKind::Library {
        if let Some((at, calls)) = own_helper(cx) {
            let summary = format!("logs through its own helper ({calls} calls)");
            return Outcome::partial(0.75, summary.clone())
                .strength(&CHECK.def, "Logging through the project's own helper", summary, vec![at.clone()])
                .concern_at(
                    &CHECK.def,
                    Severity::P3,
                    "Logging through a hand-written helper",
                    "The project logs through a function of its own that writes to the console: records have a time and an event, but no levels or routing a logging library would give.",
                    vec![at],
                );
        }
    }
    // Shell scripts (install and entrypoint scripts at a workspace's root) write to
    // the terminal; no logging library is looked for in them.
    let languages: std::collections::BTreeSet<&str> = cx.sources().map(|f| f.lang()).collect();
    if !languages.is_empty() && !languages.iter().any(|l| LOGGING_LANGUAGES.contains(l)) {
        return Outcome::not_applicable(format!(
            "production code is {} only: no logging library is looked for there",
            languages.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
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

/// Languages whose logging libraries the detectors know.
const LOGGING_LANGUAGES: &[&str] = &[
    "python",
    "javascript",
    "typescript",
    "go",
    "rust",
    "vue",
    "svelte",
];
