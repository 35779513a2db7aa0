//! Documentation & runbooks: README and its sections, changelog, contributing guide,
//! CODEOWNERS, licence, runbook, troubleshooting, ADRs, and the maintainers' own
//! warnings.

pub mod adr;
pub mod changelog;
pub mod codeowners;
pub mod contributing;
pub mod license;
pub mod maintainer_warnings;
pub mod readme;
pub mod runbook;
pub mod troubleshooting;

use crate::checks::{CheckDef, Context, Outcome, Presence};
use crate::model::Severity;

/// Presence of files playing a documentation role.
pub(crate) fn role_presence(
    cx: &Context<'_>,
    def: &CheckDef,
    role: &str,
    what: &str,
    message: &str,
    looked_for: &str,
    severity: Severity,
) -> Outcome {
    let files = cx.facts.docs.role(role);
    let found = files.iter().take(5).map(|p| cx.at_start(p)).collect();
    Presence {
        def,
        found,
        found_title: format!("{what} present"),
        missing_title: format!("No {}", what.to_lowercase()),
        missing_message: message.to_string(),
        looked_for: looked_for.to_string(),
        scope: cx.scope(),
        severity,
    }
    .judge()
}
