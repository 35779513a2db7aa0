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
    pub topics: Vec<(String, Vec<(String, u32, String)>)>,
    /// Documentation files and their lines.
    pub doc_files: usize,
    pub doc_lines: usize,
}

impl DocFacts {
    /// Mentions of a topic (path, line, text).
    pub fn topic(&self, id: &str) -> &[(String, u32, String)] {
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

fn is_prose(file: &RepoFile) -> bool {
    matches!(file.lang(), "markdown" | "restructuredtext" | "asciidoc" | "text")
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
                && n.chars().all(|c| matches!(c, '=' | '-' | '~' | '^' | '"' | '\'' | '*'))
                && n.chars().collect::<std::collections::HashSet<_>>().len() == 1
                && n.chars().count() >= title.chars().count().min(3);
            let plain = !title.is_empty()
                && !title.starts_with(['#', '-', '*', '|', '>', '.', ':'])
                && !title.chars().all(|c| matches!(c, '=' | '-' | '~' | '^' | '"' | '\'' | '*'));
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
    let mut sections = Vec::new();
    for sec in &catalog().sections {
        if let Some(h) = hs
            .iter()
            .find(|h| sec.words.iter().any(|w| has_words(&h.title, w)))
        {
            sections.push((sec.id.clone(), h.clone()));
        }
    }
    Readme {
        path: file.path.clone(),
        lines: file.index.len(),
        headings: hs,
        sections,
    }
}

pub fn analyze(inventory: &Inventory) -> DocFacts {
    let cat = catalog();
    let mut facts = DocFacts::default();
    let readme = inventory
        .files
        .iter()
        .filter(|f| !f.path.contains('/') && is_readme(f.name()) && f.text().is_some())
        .min_by_key(|f| match f.lang() {
            "markdown" => 0,
            "restructuredtext" => 1,
            "asciidoc" => 2,
            _ => 3,
        });
    if let Some(f) = readme {
        facts.readme = f.text().map(|t| readme_facts(f, t));
    }
    let mut roles: Vec<(String, Vec<String>)> = cat
        .doc_roles
        .iter()
        .map(|r| (r.id.clone(), Vec::new()))
        .collect();
    for file in &inventory.files {
        if matches!(file.kind, FileKind::Fixture | FileKind::Vendored | FileKind::Generated) {
            continue;
        }
        if file.kind == FileKind::Docs {
            facts.doc_files += 1;
            facts.doc_lines += file.lines.total();
        }
        for (i, set) in cat.doc_role_globs.iter().enumerate() {
            let Some((role_id, files)) = roles.get_mut(i) else { continue };
            // Only documents and CODEOWNERS-style files play roles; code does not.
            let document = is_prose(file) || file.language.is_none() || role_id == "license";
            if document && set.is_match(&file.path) {
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
        let top_doc = file.kind == FileKind::Docs || (is_readme(file.name()) && !file.path.contains('/'));
        if !top_doc || !is_prose(file) || changelogs.contains(&file.path) {
            continue;
        }
        let Some(text) = file.text() else { continue };
        let mut in_fence = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                continue;
            }
            if let Some((strength, _)) = cat.warnings.iter().find(|(_, re)| re.is_match(line)) {
                facts.warnings.push(Warning {
                    path: file.path.clone(),
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    text: line.trim().trim_start_matches(['>', '*', '-', '#', ' ']).trim().to_string(),
                    strength: *strength,
                });
                if facts.warnings.len() >= MAX_WARNINGS {
                    break;
                }
            }
        }
    }
    let mut topics: Vec<(String, Vec<(String, u32, String)>)> =
        cat.topics.iter().map(|(id, _)| (id.clone(), Vec::new())).collect();
    for file in &inventory.files {
        let top_doc = file.kind == FileKind::Docs || (is_readme(file.name()) && !file.path.contains('/'));
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
            vec![("Demo", 1), ("Installation", 5), ("Usage", 10), ("Config", 13)]
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
        let cat = catalog();
        let hit = |s: &str| cat.warnings.iter().find(|(_, re)| re.is_match(s)).map(|(st, _)| *st);
        assert_eq!(
            hit("This version (v2.0.0) has not been systematically tested yet."),
            Some(WarningStrength::Strong)
        );
        assert_eq!(hit("Do not use this in production."), Some(WarningStrength::Strong));
        assert_eq!(hit("This project is experimental."), Some(WarningStrength::Mild));
        assert_eq!(hit("WIP: new parser"), Some(WarningStrength::Mild));
        assert_eq!(hit("We enable experimental features with a flag."), None);
        assert_eq!(hit("The wip branch"), None);
        assert_eq!(hit("All code is tested in CI."), None);
    }
}
