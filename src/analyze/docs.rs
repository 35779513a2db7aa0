//! Documentation facts: the README and its sections, files that play a documentation
//! role (changelog, contributing guide, CODEOWNERS, security policy, licence, runbook,
//! troubleshooting guide, ADRs, architecture docs), and the maintainers' own warnings.

use serde::Serialize;

use super::catalog::{WarningStrength, catalog};
use crate::repo::{FileKind, Inventory, RepoFile};

/// A heading in a document.
#[derive(Debug, Clone, Serialize)]
pub struct Heading {
    pub line: u32,
    pub level: u8,
    pub title: String,
}

/// The README and what it covers.
#[derive(Debug, Clone, Serialize)]
pub struct Readme {
    pub path: String,
    pub lines: usize,
    pub headings: Vec<Heading>,
    /// Section id (from the catalog) → the heading that covers it.
    pub sections: Vec<(String, Heading)>,
}

impl Readme {
    pub fn section(&self, id: &str) -> Option<&Heading> {
        self.sections.iter().find(|(s, _)| s == id).map(|(_, h)| h)
    }
}

/// A mention of a topic: (path, line, the line's text).
pub type Mention = (String, u32, String);

/// A sentence in which the maintainers warn about their own software.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub path: String,
    pub line: u32,
    pub text: String,
    pub strength: WarningStrength,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DocFacts {
    pub readme: Option<Readme>,
    /// Role id → files playing it, sorted.
    pub roles: Vec<(String, Vec<String>)>,
    pub warnings: Vec<Warning>,
    /// Topic id → mentions (path, line, text), first few per topic.
    pub topics: Vec<(String, Vec<Mention>)>,
    /// Documentation files and their lines.
    pub doc_files: usize,
    pub doc_lines: usize,
}

impl DocFacts {
    /// Mentions of a topic (path, line, text).
    pub fn topic(&self, id: &str) -> &[Mention] {
        self.topics
            .iter()
            .find(|(t, _)| t == id)
            .map(|(_, m)| m.as_slice())
            .unwrap_or(&[])
    }

    pub fn role(&self, id: &str) -> &[String] {
        self.roles
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, f)| f.as_slice())
            .unwrap_or(&[])
    }
}

/// Most warnings kept.
const MAX_WARNINGS: usize = 25;
/// Most mentions kept per topic.
const MAX_TOPIC_MENTIONS: usize = 5;

fn is_readme(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper == "README" || upper.starts_with("README.")
}

/// True when a file has a line that is neither blank nor a comment or heading (`#`).
fn has_content(file: &RepoFile) -> bool {
    file.text().is_some_and(|t| {
        t.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        })
    })
}

fn is_prose(file: &RepoFile) -> bool {
    matches!(
        file.lang(),
        "markdown" | "restructuredtext" | "asciidoc" | "text"
    )
}

/// Headings of a Markdown, reStructuredText or AsciiDoc document.
pub fn headings(text: &str) -> Vec<Heading> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut in_fence = false;
    for (i, raw) in lines.iter().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = raw.trim_end();
        if t.trim_start().starts_with("```") || t.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // ATX: `## Title` (Markdown) or `== Title` (AsciiDoc).
        for marker in ['#', '='] {
            let hashes = t.chars().take_while(|&c| c == marker).count();
            if (1..=6).contains(&hashes) {
                let rest = t.get(hashes..).unwrap_or("");
                if rest.starts_with(' ') {
                    let title = rest.trim().trim_end_matches(marker).trim();
                    if !title.is_empty() {
                        out.push(Heading {
                            line,
                            level: u8::try_from(hashes).unwrap_or(6),
                            title: title.to_string(),
                        });
                    }
                }
            }
        }
        // Setext / reStructuredText: a title underlined with = - ~ ^ " ' *.
        if let Some(next) = lines.get(i + 1) {
            let n = next.trim_end();
            let title = t.trim();
            let underline = !n.is_empty()
                && n.chars()
                    .all(|c| matches!(c, '=' | '-' | '~' | '^' | '"' | '\'' | '*'))
                && n.chars().collect::<std::collections::HashSet<_>>().len() == 1
                && n.chars().count() >= title.chars().count().min(3);
            let plain = !title.is_empty()
                && !title.starts_with(['#', '-', '*', '|', '>', '.', ':'])
                && !title
                    .chars()
                    .all(|c| matches!(c, '=' | '-' | '~' | '^' | '"' | '\'' | '*'));
            if underline && plain && n.chars().count() >= 3 {
                let level = if n.starts_with('=') { 1 } else { 2 };
                out.push(Heading {
                    line,
                    level,
                    title: title.to_string(),
                });
            }
        }
    }
    out
}

/// True when `words` (lowercase) appears in `haystack` as whole words.
fn has_words(haystack: &str, words: &str) -> bool {
    let h = haystack.to_ascii_lowercase();
    let mut start = 0;
    while let Some(pos) = h.get(start..).and_then(|s| s.find(words)) {
        let at = start + pos;
        let before = h.get(..at).and_then(|s| s.chars().last());
        let after = h.get(at + words.len()..).and_then(|s| s.chars().next());
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return true;
        }
        start = at + words.len().max(1);
    }
    false
}

fn readme_facts(file: &RepoFile, text: &str) -> Readme {
    let hs = headings(text);
    let cat = catalog();
    let mut sections = Vec::new();
    for (sec, content) in cat.sections.iter().zip(&cat.section_content) {
        if let Some(h) = hs
            .iter()
            .find(|h| sec.words.iter().any(|w| has_words(&h.title, w)))
        {
            sections.push((sec.id.clone(), h.clone()));
            continue;
        }
        // No heading names it: a telling line of text covers it (level 0 marks that).
        let found = text
            .lines()
            .enumerate()
            .find(|(_, l)| content.iter().any(|re| re.is_match(l)));
        if let Some((i, line)) = found {
            sections.push((
                sec.id.clone(),
                Heading {
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    level: 0,
                    title: crate::model::shorten(line.trim(), 80),
                },
            ));
        }
    }
    Readme {
        path: file.path.clone(),
        lines: file.index.len(),
        headings: hs,
        sections,
    }
}

/// Documents whose warnings speak for the whole project: the root README and the top
/// level of docs/ (deeper pages document components, whose caveats are not the
/// project's).
fn speaks_for_the_project(file: &RepoFile) -> bool {
    if !is_prose(file) || matches!(file.kind, FileKind::Fixture | FileKind::Vendored) {
        return false;
    }
    let depth = file.path.matches('/').count();
    (depth == 0 && is_readme(file.name()))
        || (depth == 1 && (file.path.starts_with("docs/") || file.path.starts_with("doc/")))
}

/// Strips Markdown emphasis, quote and list markers and a leading "Note:"-style label.
fn clean_line(line: &str) -> String {
    let mut s = line.replace("**", "").replace("__", "").replace('`', "");
    s = s
        .trim()
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_string();
    for label in [
        "note",
        "warning",
        "caution",
        "important",
        "attention",
        "disclaimer",
        "heads up",
    ] {
        let lower = s.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix(label) {
            if rest.starts_with([':', ' ', '!']) {
                let cut = s.len() - rest.len();
                s = s
                    .get(cut..)
                    .unwrap_or("")
                    .trim_start_matches(|c: char| !c.is_alphanumeric())
                    .to_string();
                break;
            }
        }
    }
    s.trim().to_string()
}

/// Byte offset where the last clause of `text` begins: after the last `;`, `!`, `?`, or
/// `.`/`:` followed by a space (so `v2.0.0` does not split).
fn clause_start(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let next_space = bytes.get(i + 1).is_some_and(|n| n.is_ascii_whitespace());
        if matches!(b, b';' | b'!' | b'?') || (matches!(b, b'.' | b':') && next_space) {
            start = i + 1;
        }
    }
    start
}

/// The sentence (lowercase) containing byte `at`: from after the last `.`/`!`/`?` that
/// is followed by a space.
fn sentence_of(lower: &str, at: usize) -> &str {
    let bytes = lower.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().take(at) {
        if matches!(b, b'.' | b'!' | b'?')
            && bytes.get(i + 1).is_some_and(|n| n.is_ascii_whitespace())
        {
            start = i + 1;
        }
    }
    lower.get(start..).unwrap_or("").trim_start()
}

/// Words that put a warning on something else: a third party's service, a plug-in.
const ABOUT_OTHERS: &[&str] = &[
    "provider",
    "third-party",
    "third party",
    "terms of service",
    "privacy policy",
    "plugin",
    "plug-in",
    "unofficial",
    "community-maintained",
    "external service",
];

/// Release channels a project publishes beside its releases: a warning about them
/// (`edge/dev/nightly releases … are not recommended for production use`) is about
/// those builds, not about the releases.
const PRE_RELEASE_CHANNELS: &[&str] = &[
    "nightly",
    "nightlies",
    "edge releases",
    "edge builds",
    "canary",
    "pre-release",
    "pre-releases",
    "prerelease",
    "prereleases",
    "snapshot builds",
    "dev builds",
    "development builds",
];

/// The warning a line makes about the project, if any: (strength, cleaned text).
pub fn project_warning(line: &str, project_names: &[String]) -> Option<(WarningStrength, String)> {
    project_warning_after(line, "", project_names)
}

/// [`project_warning`] for a line that may continue the sentence of `previous` (a
/// wrapped paragraph): a warning whose sentence is about a third party's service or a
/// plug-in is not the maintainers' warning about the project.
pub fn project_warning_after(
    line: &str,
    previous: &str,
    project_names: &[String],
) -> Option<(WarningStrength, String)> {
    let cat = catalog();
    let cleaned = clean_line(line);
    if cleaned.is_empty() {
        return None;
    }
    let continues = cleaned.chars().next().is_some_and(|c| c.is_lowercase());
    let whole = if continues {
        format!("{} {cleaned}", clean_line(previous)).to_ascii_lowercase()
    } else {
        cleaned.to_ascii_lowercase()
    };
    let lower = cleaned.to_ascii_lowercase();
    for rule in &cat.warnings {
        let Some(m) = rule.regex.find(&cleaned) else {
            continue;
        };
        // "When/If the maintainers say it is not tested, …" is a hypothesis, not a
        // warning.
        let sentence = sentence_of(&lower, m.start());
        if ["when ", "if ", "whether ", "unless ", "once "]
            .iter()
            .any(|w| sentence.starts_with(w))
        {
            continue;
        }
        let offset = whole.len().saturating_sub(lower.len()) + m.start();
        let whole_sentence = sentence_of(&whole, offset);
        if ABOUT_OTHERS.iter().any(|w| whole_sentence.contains(w))
            // The line, not the sentence: `(e.g. 0.7.0-edge.1)` would end one.
            || PRE_RELEASE_CHANNELS.iter().any(|w| has_words(&whole, w))
        {
            continue;
        }
        // "Do not use it in production": the pronoun points at the sentence before,
        // which must be about the project (`manage.py runserver is intended for
        // development only. Do not use it in production` is about the dev server).
        let pronoun = [" it ", " it,", " this ", " them "]
            .iter()
            .any(|p| format!(" {sentence} ").contains(p));
        if pronoun && !previous.trim().is_empty() {
            let before = clean_line(previous);
            let before_lower = before.to_ascii_lowercase();
            let named = cat
                .warning_subject
                .as_ref()
                .is_some_and(|re| re.is_match(&before))
                || project_names
                    .iter()
                    .any(|n| has_words(&before_lower, &n.to_ascii_lowercase()));
            if !named {
                continue;
            }
        }
        if rule.subject && m.start() > 0 {
            // The subject must come before the warning in the same clause: in "the dev
            // server is not intended for production; run the app with gunicorn", the
            // app is not what is warned about.
            let clause_start = clause_start(cleaned.get(..m.start()).unwrap_or(""));
            let before = cleaned.get(clause_start..m.start()).unwrap_or("");
            let before_lower = lower.get(clause_start..m.start()).unwrap_or("");
            let named = cat
                .warning_subject
                .as_ref()
                .is_some_and(|re| re.is_match(before))
                || project_names
                    .iter()
                    .any(|n| has_words(before_lower, &n.to_ascii_lowercase()));
            if !named {
                continue;
            }
        }
        return Some((rule.strength, cleaned));
    }
    None
}

/// Whether a warning's section or paragraph is about one feature rather than the
/// project: a section whose heading tags its feature as experimental or in preview
/// (`### Remote instances (EXPERIMENTAL)`; a heading `## Experimental` may speak for
/// the project), or a paragraph that speaks of "this feature" or option.
fn about_one_feature(section: &str, paragraph: &str) -> bool {
    // `## Status (alpha)` speaks for the project.
    let whole = ["status", "project", "about"]
        .iter()
        .any(|w| section.contains(w));
    !whole
        && ["experimental", "beta", "alpha", "preview", "unstable"]
            .iter()
            .any(|w| section.contains(&format!("({w})")) || section.contains(&format!("[{w}]")))
        || [
            "this feature",
            "experimental feature",
            "this option",
            "this setting",
            "this integration",
            "this plugin",
        ]
        .iter()
        .any(|w| paragraph.contains(w))
}

/// Characters of a paragraph kept to judge what a warning is about.
const MAX_PARAGRAPH: usize = 2048;

/// The README directly in `dir` (`""` for the root), Markdown first.
pub fn readme_in(inventory: &Inventory, dir: &str) -> Option<Readme> {
    let f = inventory
        .files
        .iter()
        .filter(|f| f.dir() == dir && is_readme(f.name()) && f.text().is_some())
        .min_by_key(|f| match f.lang() {
            "markdown" => 0,
            "restructuredtext" => 1,
            "asciidoc" => 2,
            _ => 3,
        })?;
    f.text().map(|t| readme_facts(f, t))
}

pub fn analyze(inventory: &Inventory, project_names: &[String]) -> DocFacts {
    let cat = catalog();
    let mut facts = DocFacts {
        readme: readme_in(inventory, ""),
        ..DocFacts::default()
    };
    let mut roles: Vec<(String, Vec<String>)> = cat
        .doc_roles
        .iter()
        .map(|r| (r.id.clone(), Vec::new()))
        .collect();
    for file in &inventory.files {
        if matches!(
            file.kind,
            FileKind::Fixture | FileKind::Vendored | FileKind::Generated
        ) {
            continue;
        }
        if file.kind == FileKind::Docs {
            facts.doc_files += 1;
            facts.doc_lines += file.lines.total();
        }
        for (i, set) in cat.doc_role_globs.iter().enumerate() {
            let Some((_, files)) = roles.get_mut(i) else {
                continue;
            };
            // Only documents and CODEOWNERS-style files play roles; code does not, and
            // an empty or heading-only file plays none.
            let document = is_prose(file) || file.language.is_none();
            if document && set.is_match(&file.path) && has_content(file) {
                files.push(file.path.clone());
            }
        }
    }
    facts.roles = roles;

    let changelogs: Vec<String> = facts.role("changelog").to_vec();
    for file in &inventory.files {
        if facts.warnings.len() >= MAX_WARNINGS {
            break;
        }
        if !speaks_for_the_project(file) || changelogs.contains(&file.path) {
            continue;
        }
        let Some(text) = file.text() else { continue };
        let mut in_fence = false;
        let mut previous = "";
        // The section heading (below the title) and paragraph a line belongs to.
        let mut section = String::new();
        let mut paragraph = String::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                continue;
            }
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                paragraph.clear();
            } else if trimmed.starts_with("##") {
                section = trimmed.to_ascii_lowercase();
                paragraph.clear();
            } else if paragraph.len() < MAX_PARAGRAPH {
                paragraph.push(' ');
                paragraph.push_str(&trimmed.to_ascii_lowercase());
            }
            let before = std::mem::replace(&mut previous, line);
            if let Some((mut strength, text)) = project_warning_after(line, before, project_names) {
                if strength == WarningStrength::Strong && about_one_feature(&section, &paragraph) {
                    strength = WarningStrength::Mild;
                }
                facts.warnings.push(Warning {
                    path: file.path.clone(),
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    text,
                    strength,
                });
                if facts.warnings.len() >= MAX_WARNINGS {
                    break;
                }
            }
        }
    }
    let mut topics: Vec<(String, Vec<Mention>)> = cat
        .topics
        .iter()
        .map(|(id, _)| (id.clone(), Vec::new()))
        .collect();
    for file in &inventory.files {
        let top_doc =
            file.kind == FileKind::Docs || (is_readme(file.name()) && !file.path.contains('/'));
        if !top_doc || !is_prose(file) || changelogs.contains(&file.path) {
            continue;
        }
        let Some(text) = file.text() else { continue };
        for ((_, re), (_, mentions)) in cat.topics.iter().zip(topics.iter_mut()) {
            if mentions.len() >= MAX_TOPIC_MENTIONS {
                continue;
            }
            for m in re.find_iter(text).take(MAX_TOPIC_MENTIONS - mentions.len()) {
                let line = file.index.line_of(m.start());
                mentions.push((file.path.clone(), line, file.line(line).trim().to_string()));
            }
        }
    }
    facts.topics = topics;
    // README warnings first, strong before mild.
    facts.warnings.sort_by_key(|w| {
        (
            !is_readme(w.path.rsplit('/').next().unwrap_or("")),
            w.strength != WarningStrength::Strong,
        )
    });
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_markdown_setext_and_rst_headings() {
        let text = "# Demo\n\nIntro\n\n## Installation\n\n```\n# not a heading\n```\nUsage\n-----\n\nConfig\n======\n";
        let hs = headings(text);
        let titles: Vec<(&str, u32)> = hs.iter().map(|h| (h.title.as_str(), h.line)).collect();
        assert_eq!(
            titles,
            vec![
                ("Demo", 1),
                ("Installation", 5),
                ("Usage", 10),
                ("Config", 13)
            ]
        );
    }

    #[test]
    fn whole_words_only() {
        assert!(has_words("Running the tests", "tests"));
        assert!(!has_words("Contests", "tests"));
        assert!(has_words("Quick start", "quick start"));
    }

    #[test]
    fn warnings_match_maintainer_language() {
        let names = vec!["quantgen".to_string()];
        let hit = |s: &str| project_warning(s, &names).map(|(st, _)| st);
        assert_eq!(
            hit("This version (v2.0.0) has not been systematically tested yet."),
            Some(WarningStrength::Strong)
        );
        assert_eq!(
            hit("> **Note:** Do not use this in production."),
            Some(WarningStrength::Strong)
        );
        assert_eq!(
            hit("quantgen is not production-ready."),
            Some(WarningStrength::Strong)
        );
        assert_eq!(
            hit("This project is experimental."),
            Some(WarningStrength::Mild)
        );
        assert_eq!(hit("WIP: new parser"), Some(WarningStrength::Mild));
        assert_eq!(hit("We enable experimental features with a flag."), None);
        assert_eq!(hit("The wip branch"), None);
        assert_eq!(hit("All code is tested in CI."), None);
        // Component caveats are not project warnings.
        assert_eq!(
            hit("lightweight development server, which is not suitable for production."),
            None
        );
        assert_eq!(hit("runserver should never be used in production"), None);
        // A warning about pre-release channels is not about the releases.
        assert_eq!(
            hit(
                "We do also publish edge/dev/nightly releases (e.g. 0.7.0-edge.1), which are not guaranteed to be stable, and are not recommended for production use."
            ),
            None
        );
        // A pronoun points at the line before.
        let names = vec!["healthchecks".to_string()];
        assert_eq!(
            project_warning_after(
                "**Do not use it in production**, instead consider using",
                "  * `manage.py runserver` is intended for development only.",
                &names
            ),
            None
        );
        assert!(
            project_warning_after(
                "Do not use it in production yet.",
                "Healthchecks is an early prototype.",
                &names
            )
            .is_some()
        );
        assert_eq!(
            hit("Do not use SQLite in production; set DATABASE_URL."),
            None
        );
        assert_eq!(
            hit(
                "The built-in development server is not intended for production use; run the app with gunicorn."
            ),
            None
        );
    }

    #[test]
    fn cleans_markdown_labels() {
        assert_eq!(
            clean_line("> **Warning:** Not production ready"),
            "Not production ready"
        );
        assert_eq!(clean_line("- ⚠️ Note: beta"), "beta");
    }
}
