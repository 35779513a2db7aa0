//! Judges whether an application's direct dependencies are pinned when no lock file
//! pins them, and whether requirements files add package indexes that open the door
//! to dependency confusion.
//!
//! Only services and command-line tools are judged on ranges: a library declares
//! ranges by design and its users' lock files pin them. Requirements that leave the
//! version entirely open (none, `*`, `latest`, a dist-tag), follow a VCS branch or
//! download a URL without a hash are P2; a lower bound without an upper one is P3.
//! `--extra-index-url` is reported for every kind of project.

use crate::analyze::manifest::{Manifest, SourceKind};
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Evidence, ProjectKind, Severity, plural};

use super::deps::{Pin, covering, in_use, pin_of, self_locked};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.dependency-pinning",
        category: Category::Security,
        title: "Dependencies pinned",
        summary: "Applications without a lock file bound every direct dependency (no `*`, `latest`, bare names, open `>=`, branch-following git or unhashed URL requirements); requirements files add no `--extra-index-url`.",
        weight: 0.75,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P2,
            library: Some(Severity::P3),
        }),
        effort: Effort::S,
        rationale: "An unbounded requirement installs whatever was published last: a breaking major release, a yanked build or a hijacked package reaches production on the next deploy without a change in the repository. `--extra-index-url` makes pip take the highest version from any index, so anyone who publishes a package of the same name on PyPI wins (dependency confusion).",
        remediation: "Commit a lock file, or pin direct dependencies to exact versions (`==1.2.3`, `=1.2.3`) or at least bound them (`~=1.2`, `^1.2`, `>=1.2,<2`); pin git dependencies to a commit and URL requirements with `--hash`. Replace `--extra-index-url` with a single `--index-url` that proxies PyPI, or pin private packages to their index.",
        action: "Pin or bound direct dependencies and drop extra package indexes",
        risk: "Unreviewed dependency updates",
    },
    evaluate,
};

const MAX_EVIDENCE: usize = 10;

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let manifests = in_use(cx);
    let with_sources = cx.facts.manifests.iter().any(|m| {
        m.sources
            .iter()
            .any(|s| s.kind == SourceKind::ExtraIndexUrl)
    });
    if manifests.is_empty() && !with_sources {
        return Outcome::not_applicable("no manifest declares dependencies");
    }
    let app = cx.kind != ProjectKind::Library;
    let mut outcome_findings: Vec<(Severity, String, String, Vec<Evidence>)> = Vec::new();
    for m in cx.facts.manifests.iter() {
        let extra: Vec<Evidence> = m
            .sources
            .iter()
            .filter(|s| s.kind == SourceKind::ExtraIndexUrl)
            .map(|s| cx.at(&m.path, s.line))
            .collect();
        if !extra.is_empty() {
            outcome_findings.push((
                def.severity_for(cx.kind),
                format!("{} adds a package index with --extra-index-url", m.path),
                "pip searches the extra index and PyPI together and installs the highest version it finds, so a package published on PyPI under the name of a private one replaces it (dependency confusion).".to_string(),
                extra,
            ));
        }
    }
    let mut judged = 0usize;
    if app {
        for m in &manifests {
            if self_locked(cx, m) || !covering(cx, m).is_empty() {
                continue;
            }
            judged += 1;
            if let Some(f) = unpinned(cx, m) {
                outcome_findings.push(f);
            }
        }
    }
    if outcome_findings.is_empty() {
        let summary = if !app {
            "libraries declare ranges by design; no extra package index".to_string()
        } else if judged == 0 {
            "lock files pin every manifest's dependencies".to_string()
        } else {
            format!(
                "direct dependencies of {} are bounded",
                plural(judged, "unlocked manifest", "unlocked manifests")
            )
        };
        return Outcome::pass(summary);
    }
    let worst = outcome_findings
        .iter()
        .map(|f| f.0)
        .min()
        .unwrap_or(Severity::P3);
    let summary = plural(
        outcome_findings.len(),
        "manifest with unpinned dependencies or extra indexes",
        "manifests with unpinned dependencies or extra indexes",
    );
    let mut outcome = if worst <= Severity::P2 {
        Outcome::fail(summary)
    } else {
        Outcome::partial(0.5, summary)
    };
    for (sev, title, message, evidence) in outcome_findings {
        outcome = outcome.concern_at(def, sev, title, message, evidence);
    }
    outcome
}

/// One finding for a manifest's loose runtime requirements, P2 when any is
/// unconstrained, branch-following or an unhashed URL, P3 when only open ranges.
fn unpinned(cx: &Context<'_>, m: &Manifest) -> Option<(Severity, String, String, Vec<Evidence>)> {
    let mut loose: Vec<(Pin, u32, &str)> = m
        .dependencies
        .iter()
        .filter(|d| !d.inherited && d.kind == crate::analyze::manifest::DepKind::Runtime)
        .map(|d| (pin_of(m.ecosystem, &d.spec), d.line, d.name.as_str()))
        .filter(|(p, _, _)| !matches!(p, Pin::Exact | Pin::Bounded))
        .collect();
    // A URL requirement whose package is named is weighed above, as a dependency.
    let named: Vec<u32> = m
        .dependencies
        .iter()
        .filter(|d| d.kind == crate::analyze::manifest::DepKind::Runtime)
        .map(|d| d.line)
        .collect();
    loose.extend(m.sources.iter().filter_map(|s| match s.kind {
        SourceKind::DirectUrl { pinned: false } if !named.contains(&s.line) => Some((
            if s.value.contains("git+") {
                Pin::VcsBranch
            } else {
                Pin::Url
            },
            s.line,
            s.value.as_str(),
        )),
        _ => None,
    }));
    if loose.is_empty() {
        return None;
    }
    let severe = loose.iter().any(|(p, _, _)| *p != Pin::Open);
    let severity = if severe { Severity::P2 } else { Severity::P3 };
    let mut kinds: Vec<&str> = loose.iter().map(|(p, _, _)| p.label()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let names: Vec<&str> = loose.iter().take(8).map(|(_, _, n)| *n).collect();
    Some((
        severity,
        format!(
            "{} unpinned in {}",
            plural(loose.len(), "dependency", "dependencies"),
            m.path
        ),
        format!(
            "{} has no lock file and {} ({}{}) with {}: each install can bring different code.",
            m.path,
            plural(loose.len(), "requirement", "requirements"),
            names.join(", "),
            if loose.len() > names.len() {
                ", …"
            } else {
                ""
            },
            kinds.join(", ")
        ),
        loose
            .iter()
            .take(MAX_EVIDENCE)
            .map(|(_, line, _)| cx.at(&m.path, *line))
            .collect(),
    ))
}
