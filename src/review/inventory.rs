//! The appendix: what was reviewed (files and line counts by language and kind, the
//! files that matter most) and what was skipped, and why.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyze::Facts;
use crate::repo::{Content, FileKind, Inventory, LineCounts, SkippedDir};

#[derive(Debug, Clone, Serialize)]
pub struct FileLine {
    pub path: String,
    pub lines: usize,
    pub code: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct LanguageRow {
    pub language: &'static str,
    pub files: usize,
    pub lines: LineCounts,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct InventorySummary {
    pub files: usize,
    pub text_files: usize,
    pub binary_files: usize,
    pub too_large: usize,
    /// Files past the audit's read budget, listed but not read.
    pub over_budget: usize,
    pub unreadable: usize,
    pub not_utf8: usize,
    pub lines: LineCounts,
    pub by_language: Vec<LanguageRow>,
    pub by_kind: BTreeMap<String, usize>,
    /// Largest production source files.
    pub source_files: Vec<FileLine>,
    pub test_files: Vec<FileLine>,
    pub config_files: Vec<FileLine>,
    pub doc_files: Vec<FileLine>,
    pub skipped_dirs: Vec<SkippedDir>,
    pub ignored_by_rules: usize,
    pub ignored_by_policy: usize,
    pub symlinks: usize,
    pub special: usize,
    pub too_deep: usize,
    pub walk_errors: Vec<(String, String)>,
    pub count_capped: bool,
    pub max_file_bytes: u64,
}

/// Files listed per group in the appendix.
const LISTED: usize = 25;

fn listed(
    inventory: &Inventory,
    pred: impl Fn(&crate::repo::RepoFile) -> bool,
    by_size: bool,
) -> Vec<FileLine> {
    let mut files: Vec<FileLine> = inventory
        .files
        .iter()
        .filter(|f| pred(f))
        .map(|f| FileLine {
            path: f.path.clone(),
            lines: f.lines.total(),
            code: f.lines.code,
        })
        .collect();
    if by_size {
        files.sort_by(|a, b| b.lines.cmp(&a.lines).then(a.path.cmp(&b.path)));
    }
    files.truncate(LISTED);
    files
}

pub fn summarize(inventory: &Inventory, facts: &Facts) -> InventorySummary {
    let mut lines = LineCounts::default();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let (mut text, mut binary, mut large, mut unreadable, mut lossy) = (0, 0, 0, 0, 0);
    let mut over_budget = 0;
    let mut langs: BTreeMap<&'static str, LanguageRow> = BTreeMap::new();
    for f in &inventory.files {
        lines.add(&f.lines);
        *by_kind.entry(f.kind.label().to_string()).or_default() += 1;
        match f.content {
            Content::Text(_) => text += 1,
            Content::Binary => binary += 1,
            Content::TooLarge => large += 1,
            Content::OverBudget => over_budget += 1,
            Content::Unreadable(_) => unreadable += 1,
        }
        if f.lossy {
            lossy += 1;
        }
        if let Some(l) = f.language {
            let row = langs.entry(l.name()).or_insert_with(|| LanguageRow {
                language: l.name(),
                files: 0,
                lines: LineCounts::default(),
            });
            row.files += 1;
            row.lines.add(&f.lines);
        }
    }
    let mut by_language: Vec<LanguageRow> = langs.into_values().collect();
    by_language.sort_by(|a, b| {
        b.lines
            .code
            .cmp(&a.lines.code)
            .then(a.language.cmp(b.language))
    });
    let manifests: Vec<&str> = facts.manifests.iter().map(|m| m.path.as_str()).collect();
    InventorySummary {
        files: inventory.files.len(),
        text_files: text,
        binary_files: binary,
        too_large: large,
        over_budget,
        unreadable,
        not_utf8: lossy,
        lines,
        by_language,
        by_kind,
        source_files: listed(
            inventory,
            |f| f.kind == FileKind::Source && f.language.is_some(),
            true,
        ),
        test_files: listed(
            inventory,
            |f| f.kind == FileKind::Test && f.language.is_some(),
            true,
        ),
        config_files: listed(
            inventory,
            |f| {
                matches!(f.kind, FileKind::Ci | FileKind::Build)
                    || manifests.contains(&f.path.as_str())
            },
            false,
        ),
        doc_files: listed(
            inventory,
            |f| f.kind == FileKind::Docs || (!f.path.contains('/') && f.lang() == "markdown"),
            true,
        ),
        skipped_dirs: inventory.skipped.dirs.clone(),
        ignored_by_rules: inventory.skipped.ignored_by_rules,
        ignored_by_policy: inventory.skipped.ignored_by_policy,
        symlinks: inventory.skipped.symlinks,
        special: inventory.skipped.special,
        too_deep: inventory.skipped.too_deep,
        walk_errors: inventory.skipped.errors.clone(),
        count_capped: inventory.skipped.count_capped,
        max_file_bytes: inventory.max_file_bytes,
    }
}
