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
