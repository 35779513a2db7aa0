//! What the GitHub Actions checks share: the workflows to judge (or why there are
//! none), and evidence at a workflow line.

use crate::analyze::workflows::Workflow;
use crate::checks::{Context, Outcome};
use crate::model::Evidence;

/// The workflows and composite actions of the repository, or the outcome when there
/// are none: unknown for a published package (which does not ship `.github/`), not
/// applicable otherwise.
pub(crate) fn workflows<'a>(cx: &Context<'a>) -> Result<&'a [Workflow], Outcome> {
    let all = cx.facts.ci.workflows.as_slice();
    if !all.is_empty() {
        return Ok(all);
    }
    if let Some(o) = cx.not_shipped("GitHub Actions workflows") {
        return Err(o);
    }
    Err(Outcome::not_applicable("no GitHub Actions workflows"))
}

/// Evidence at a line of a workflow, with the line's text.
pub(crate) fn at(cx: &Context<'_>, w: &Workflow, line: u32) -> Evidence {
    cx.at(&w.path, line)
}

/// "workflow" or "action", for messages.
pub(crate) fn noun(w: &Workflow) -> &'static str {
    if w.is_action { "action" } else { "workflow" }
}

/// Lines searched below a mapped line for the text a finding is about.
const LOCATE_WINDOW: u32 = 40;

/// The line at or below `from` that holds `needle` (a folded scalar joins several
/// file lines into one value line), or `from` when none does.
pub(crate) fn locate(cx: &Context<'_>, w: &Workflow, from: u32, needle: &str) -> u32 {
    let Some(file) = cx.inventory.file(&w.path) else {
        return from;
    };
    let total = u32::try_from(file.index.len()).unwrap_or(u32::MAX);
    (from..=total.min(from.saturating_add(LOCATE_WINDOW)))
        .find(|&n| file.line(n).contains(needle))
        .unwrap_or(from)
}
