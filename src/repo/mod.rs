//! Stage 1 — walk and inventory. Walks the repository once, in parallel, honouring
//! `.gitignore`/`.ignore`, skipping dependency and build directories, never following
//! symlinks; reads every file at most once (up to a size cap), detects binaries, and
//! gives each file a language, a kind and line counts. Produces [`Inventory`], which
//! owns the text of every file for the later stages.

mod build_scripts;
pub mod git;
pub mod history;
mod ignores;
pub mod kind;
pub mod language;
pub mod lines;
pub(crate) mod open;
mod vendored;
mod walk;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

pub use kind::FileKind;
pub use language::LangId;
pub use lines::{LineCounts, LineIndex};
pub use walk::{LOCK_FILE_NAMES, WalkOptions, read_file, walk};

/// What was read of a file.
#[derive(Debug, Clone)]
pub enum Content {
    Text(String),
    /// Contains NUL bytes in its first 8 KiB.
    Binary,
    /// Larger than the analysis cap: counted, not read.
    TooLarge,
    /// Past the audit's total read budget (bytes or files): counted, not read.
    OverBudget,
    /// Reading failed; the reason as the OS put it.
    Unreadable(String),
}

/// One file of the repository.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub language: Option<LangId>,
    pub kind: FileKind,
    pub bytes: u64,
    pub content: Content,
    /// True when the file was not valid UTF-8 and was decoded with replacement
    /// characters.
    pub lossy: bool,
    pub lines: LineCounts,
    pub index: LineIndex,
}

impl RepoFile {
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            Content::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The language id (`python`, `rust`, …) or `""`.
    pub fn lang(&self) -> &'static str {
        self.language.map(LangId::id).unwrap_or("")
    }

    /// File name without directories.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// Directory part of the path (`""` at the root).
    pub fn dir(&self) -> &str {
        self.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
    }

    /// The text of a 1-based line (empty when out of range or not text).
    pub fn line(&self, line: u32) -> &str {
        self.text()
            .map(|t| self.index.line_text(t, line))
            .unwrap_or("")
    }
}

/// A directory the walk did not enter, and why.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedDir {
    pub path: String,
    pub reason: String,
    /// Files beneath it (a lower bound when `Skipped::count_capped`).
    pub files: usize,
}

/// Everything the walk left out, with reasons.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Skipped {
    pub dirs: Vec<SkippedDir>,
    /// Files excluded by `.gitignore` / `.ignore` rules.
    pub ignored_by_rules: usize,
    /// Files excluded by the policy's `ignore` globs.
    pub ignored_by_policy: usize,
    /// Symbolic links, which are never followed.
    pub symlinks: usize,
    /// FIFOs, sockets and devices, which are never opened.
    pub special: usize,
    /// Files nested deeper than the walk descends.
    pub too_deep: usize,
    /// Paths the walk could not enter or read, with the reason.
    pub errors: Vec<(String, String)>,
    /// True when counting skipped files stopped at the cap.
    pub count_capped: bool,
}

impl Skipped {
    /// Files left out in all.
    pub fn total_files(&self) -> usize {
        self.dirs.iter().map(|d| d.files).sum::<usize>()
            + self.ignored_by_rules
            + self.ignored_by_policy
            + self.symlinks
            + self.special
            + self.too_deep
    }
}

/// The repository as the walk found it.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub root: PathBuf,
    /// The root directory's name.
    pub name: String,
    /// Sorted by path.
    pub files: Vec<RepoFile>,
    pub skipped: Skipped,
    pub git: Option<git::GitInfo>,
    /// The size cap used, in bytes.
    pub max_file_bytes: u64,
    /// The repository's ignore rules, as the walk applied them.
    pub ignores: Option<std::sync::Arc<ignores::IgnoreRules>>,
}

/// Totals per language, for the appendix and the stack table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LanguageTotals {
    pub files: usize,
    pub lines: LineCounts,
}

impl Inventory {
    /// Whether the repository's ignore rules exclude the file at `path` (relative,
    /// `/`-separated): a file the repository says is made, not kept (generated code,
    /// build output).
    pub fn ignored(&self, path: &str) -> bool {
        !path.split('/').any(|part| part == "..")
            && self
                .ignores
                .as_ref()
                .is_some_and(|rules| rules.is_ignored(&self.root.join(path), false))
    }

    /// The file at `path`, if the walk kept it.
    pub fn file(&self, path: &str) -> Option<&RepoFile> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .and_then(|i| self.files.get(i))
    }

    /// Files of a given kind.
    pub fn of_kind(&self, kind: FileKind) -> impl Iterator<Item = &RepoFile> {
        self.files.iter().filter(move |f| f.kind == kind)
    }

    /// Production source files in programming languages, per language name (build
    /// languages such as Makefile and Dockerfile are not the product's).
    pub fn languages(&self) -> BTreeMap<&'static str, LanguageTotals> {
        self.languages_in(&|_| true)
    }

    /// [`Inventory::languages`] of the files `keep` accepts (one project's).
    pub fn languages_in(
        &self,
        keep: &dyn Fn(&RepoFile) -> bool,
    ) -> BTreeMap<&'static str, LanguageTotals> {
        let mut out: BTreeMap<&'static str, LanguageTotals> = BTreeMap::new();
        for f in self.files.iter().filter(|f| keep(f)) {
            let Some(lang) = f.language else { continue };
            let programming = lang
                .get()
                .is_some_and(|l| l.kind == language::LanguageType::Programming);
            let build_language = matches!(lang.id(), "makefile" | "dockerfile" | "batch");
            if !programming || build_language || f.kind != FileKind::Source {
                continue;
            }
            let t = out.entry(lang.name()).or_default();
            t.files += 1;
            t.lines.add(&f.lines);
        }
        out
    }

    /// Production source files (kind `source`) with text.
    pub fn sources(&self) -> impl Iterator<Item = &RepoFile> {
        self.files
            .iter()
            .filter(|f| f.kind == FileKind::Source && f.text().is_some())
    }

    /// Files larger than the cap.
    pub fn too_large(&self) -> impl Iterator<Item = &RepoFile> {
        self.files
            .iter()
            .filter(|f| matches!(f.content, Content::TooLarge))
    }
}

/// A source file holding `text`, for the tests of the walk's passes.
#[cfg(test)]
pub(crate) fn source_file(path: &str, text: &str) -> RepoFile {
    RepoFile {
        path: path.to_string(),
        language: None,
        kind: FileKind::Source,
        bytes: 0,
        content: Content::Text(text.to_string()),
        lossy: false,
        lines: LineCounts::default(),
        index: LineIndex::default(),
    }
}

/// Joins a relative path onto a directory of the checkout, resolving `.` and `..`;
/// `None` when it climbs out of the repository.
pub(crate) fn join_path(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}
