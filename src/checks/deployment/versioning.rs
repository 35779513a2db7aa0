//! Judges whether releases are versioned: a version in the manifest and version tags.

use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "deployment.versioning",
        category: Category::Deployment,
        title: "Versioned releases",
        summary: "The manifest declares a version and git has version tags (v1.2.3), so every deployment is identifiable and reproducible.",
        weight: 0.75,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Rolling back means deploying a known earlier version; that needs versions that map to exact commits. Without them nobody can say what is running.",
        remediation: "Keep a semantic version in the manifest, tag each release commit (`git tag v1.4.0`), and generate the release from the tag.",
        action: "Version releases and tag them in git",
        risk: "Rollback",
    },
    evaluate,
};

pub(crate) fn is_version_tag(tag: &str) -> bool {
    let t = tag.rsplit('/').next().unwrap_or(tag);
    let t = t.trim_start_matches(['v', 'V']);
    let mut parts = t.split('.');
    parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts
            .next()
            .is_some_and(|p| p.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// Numeric parts of a version tag, for ordering (`v1.10.0` after `v1.9.0`).
pub(crate) fn version_key(tag: &str) -> Vec<u64> {
    tag.rsplit('/')
        .next()
        .unwrap_or(tag)
        .trim_start_matches(['v', 'V'])
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if cx.production_lines() == 0 {
        return Outcome::not_applicable("no production source code");
    }
    let version = cx
        .facts
        .manifests
        .iter()
        .filter_map(|m| m.version.as_ref().map(|(v, l)| (m, v, *l)))
        .min_by_key(|(m, _, _)| m.path.matches('/').count());
    // A Go module has no version field: its versions are its git tags.
    let go_module = cx.facts.manifests.iter().find(|m| {
        m.ecosystem == crate::analyze::catalog::Ecosystem::Go && m.path.matches('/').count() == 0
    });
    let version_ev = version
        .map(|(m, _, l)| cx.at(&m.path, l))
        .or_else(|| go_module.map(|m| cx.at(&m.path, 1)));
    let tags: Option<Vec<&String>> = cx
        .inventory
        .git
        .as_ref()
        .map(|g| g.tags.iter().filter(|t| is_version_tag(t)).collect());
    match (version_ev, tags) {
        (Some(ev), Some(tags)) if !tags.is_empty() => {
            let latest = tags
                .iter()
                .max_by(|a, b| version_key(a).cmp(&version_key(b)))
                .map(|t| t.as_str())
                .unwrap_or("");
            Outcome::pass(format!(
                "version declared; {} (latest {latest})",
                plural(tags.len(), "version tag", "version tags")
            ))
            .strength(
                def,
                "Versioned releases",
                format!("{} version tags", tags.len()),
                vec![ev],
            )
        }
        (Some(ev), Some(_)) => Outcome::partial(0.5, "version declared but no version tags in git")
            .concern(
                def,
                "No version tags",
                "The manifest declares a version, but no git tag marks a released version.",
                vec![
                    ev,
                    Evidence::absent(
                        "tags like v1.2.3 or 1.2.3",
                        "git refs (refs/tags, packed-refs)",
                    ),
                ],
            ),
        // Without git metadata, tags are unknown rather than missing.
        (Some(ev), None) => cx.not_shipped("Git history (release tags)").unwrap_or_else(|| {
            let at = ev
                .location()
                .map(|l| format!(" ({}:{})", l.path, l.line))
                .unwrap_or_default();
            Outcome::unknown(format!(
                "version declared{at}; release tags could not be checked: the directory is not a git checkout"
            ))
        }),
        (None, _) => Outcome::fail("no version declared").concern(
            def,
            "No version declared",
            "No manifest declares a version.",
            vec![Evidence::absent(
                "version in pyproject.toml, setup.cfg, Cargo.toml, package.json",
                plural(cx.facts.manifests.len(), "manifest", "manifests"),
            )],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::is_version_tag;

    #[test]
    fn version_tags() {
        assert!(is_version_tag("v1.2.3"));
        assert!(is_version_tag("2.0"));
        assert!(is_version_tag("release/v3.1.0"));
        assert!(!is_version_tag("latest"));
        assert!(!is_version_tag("v"));
        assert!(super::version_key("v1.10.0") > super::version_key("v1.9.0"));
    }
}
