//! Judges whether third-party GitHub Actions (and reusable workflows and docker
//! images used as steps) are pinned to an immutable commit SHA or digest.
//!
//! Actions published by GitHub itself (`actions/*`, `github/*`) referenced by a tag
//! are counted as fine: the platform that runs the workflow already has to be trusted,
//! and flagging them would bury the third-party references that matter. They are
//! reported in the summary so a stricter reader can see them.

use super::workflows::{at, noun, workflows};
use crate::analyze::workflows::{Target, Uses, Workflow};
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.action-pinning",
        category: Category::Security,
        title: "Third-party actions pinned to a commit",
        summary: "Every third-party action (`uses: owner/repo@…`, not `actions/*` or `github/*`), reusable workflow and `docker://` step is pinned to a full 40-character commit SHA or an image digest; a `# v4` comment after the SHA is fine.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: Some(KindSeverity {
            service: Severity::P2,
            cli: Severity::P2,
            library: Some(Severity::P3),
        }),
        effort: Effort::S,
        rationale: "A tag or branch is a pointer its owner (or whoever takes over the account) can move. When the tj-actions/changed-files tags were repointed in March 2025, thousands of workflows ran the attacker's code and printed their secrets to public logs on the next run. A commit SHA cannot be moved.",
        remediation: "Pin each third-party action to the commit its tag points to, keeping the tag as a comment (`uses: owner/repo@<40-hex sha> # v4.1.0`); `pinact run` or `ratchet pin` rewrite workflows automatically, and Dependabot or Renovate keep the pins up to date. Pin docker steps by digest (`docker://image@sha256:…`).",
        action: "Pin third-party GitHub Actions to full commit SHAs",
        risk: "Supply-chain compromise",
    },
    evaluate,
};

/// References listed one by one in a finding.
const LISTED: usize = 15;

fn all_uses(w: &Workflow) -> impl Iterator<Item = &Uses> {
    w.jobs.iter().flat_map(|j| {
        j.uses
            .iter()
            .chain(j.steps.iter().filter_map(|s| s.uses.as_ref()))
    })
}

/// What a reference is pinned to, for messages.
fn reference(u: &Uses) -> String {
    match &u.target {
        Target::Repo { reference, .. } => format!("`{reference}`"),
        Target::Docker { image, .. } => format!(
            "tag `{}`",
            image.rsplit_once(':').map(|(_, t)| t).unwrap_or("latest")
        ),
        _ => String::new(),
    }
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let all = match workflows(cx) {
        Ok(w) => w,
        Err(o) => return o,
    };
    let mut third_party = 0usize;
    let mut first_party_tags = 0usize;
    let mut unpinned: Vec<(&Workflow, Vec<&Uses>)> = Vec::new();
    for w in all {
        let mut here: Vec<&Uses> = Vec::new();
        for u in all_uses(w) {
            if matches!(u.target, Target::Local(_) | Target::Other) {
                continue;
            }
            if u.first_party() {
                if !u.pinned() {
                    first_party_tags += 1;
                }
                continue;
            }
            third_party += 1;
            if !u.pinned() {
                here.push(u);
            }
        }
        if !here.is_empty() {
            unpinned.push((w, here));
        }
    }
    let count: usize = unpinned.iter().map(|(_, u)| u.len()).sum();
    let first_party_note = if first_party_tags > 0 {
        format!(
            "; {} by tag (GitHub's own, not counted)",
            plural(
                first_party_tags,
                "actions/* or github/* reference",
                "actions/* or github/* references"
            )
        )
    } else {
        String::new()
    };
    let summary = format!(
        "{} of {} pinned to a commit{}",
        third_party - count,
        plural(
            third_party,
            "third-party action reference",
            "third-party action references"
        ),
        first_party_note
    );
    if third_party == 0 {
        return Outcome::pass(format!("no third-party actions{first_party_note}"));
    }
    if count == 0 {
        return Outcome::pass(summary);
    }
    #[allow(clippy::cast_precision_loss)]
    let pinned_share = (third_party - count) as f64 / third_party as f64;
    let mut outcome = Outcome::scored(pinned_share.min(0.9), summary);
    for (w, refs) in unpinned {
        let evidence: Vec<Evidence> = refs
            .iter()
            .take(LISTED)
            .map(|u| at(cx, w, u.line))
            .collect();
        let mut names: Vec<String> = Vec::new();
        for u in &refs {
            let name = match &u.target {
                Target::Docker { image, .. } => format!("docker://{image}"),
                _ => format!(
                    "{}@{}",
                    u.raw.rsplit_once('@').map(|(n, _)| n).unwrap_or(&u.raw),
                    reference(u).trim_matches('`')
                ),
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let more = refs.len().saturating_sub(LISTED);
        let listed = if more > 0 {
            format!("{} (and {more} more)", names.join(", "))
        } else {
            names.join(", ")
        };
        outcome = outcome
            .concern_at(
                def,
                def.severity_for(cx.kind),
                format!(
                    "{} not pinned to a commit in {} `{}`",
                    plural(refs.len(), "third-party action", "third-party actions"),
                    noun(w),
                    w.path
                ),
                format!(
                    "{listed}: whoever controls these tags or branches can change the code this {} runs, with its token and secrets, without any change here. Pin each to its full commit SHA with the tag as a comment (`pinact run` does it) and let Dependabot update the pins.",
                    noun(w)
                ),
                evidence,
            )
            .fingerprint(format!("{}:unpinned", w.path));
    }
    outcome
}
