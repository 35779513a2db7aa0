//! The repository's ignore rules — `.ignore`, `.gitignore` and `.git/info/exclude` in
//! every directory — read by greenlight rather than by the walker, so that each file is
//! read safely (see [`super::open`]): regular files only, inside the root, at most
//! [`MAX_IGNORE_FILE_BYTES`]. A file that is not read is reported, never waited on.
//!
//! The semantics are the `ignore` crate's when it reads the files itself, with git
//! required nowhere: the rules of a directory apply to everything beneath it, the
//! nearest directory's matching rule wins, and between kinds `.ignore` outranks
//! `.gitignore`, which outranks `.git/info/exclude`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::open::{Refusal, read_inside};

/// Largest ignore file read: ignore files are a few hundred lines, and the matcher
/// built from one is held for the whole walk.
pub const MAX_IGNORE_FILE_BYTES: u64 = 1024 * 1024;
/// Bytes of ignore files read in one walk: thousands of ordinary ones, while a tree
/// with a large one in every directory stops there (the rest are reported unread).
pub const MAX_IGNORE_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// The ignore files of one directory, by precedence.
const FILES: [&str; 3] = [".ignore", ".gitignore", ".git/info/exclude"];

/// The matchers of one directory with ignore files, and of every such directory above
/// it up to the root. Directories without ignore files add no link: a large tree costs
/// one map entry per directory, not a set of empty matchers.
struct Chain {
    /// One per entry of [`FILES`]; `None` where that file is absent or unread.
    matchers: [Option<Gitignore>; 3],
    parent: Option<Arc<Chain>>,
}

/// Ignore rules loaded as the walk reaches each directory, shared by its threads.
pub struct IgnoreRules {
    /// The walk's root as given: the directories asked about are below it.
    root: PathBuf,
    /// The root, canonical; `None` when it cannot be resolved (then no file is read).
    canonical: Option<PathBuf>,
    /// Directory → its chain (`None`: no ignore file there or above).
    chains: RwLock<HashMap<PathBuf, Option<Arc<Chain>>>>,
    /// Ignore files not read: path relative to the root, and why.
    problems: Mutex<Vec<(String, String)>>,
    /// Bytes of ignore files read so far.
    read: AtomicU64,
}

impl std::fmt::Debug for IgnoreRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IgnoreRules")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl IgnoreRules {
    pub fn new(root: &Path) -> IgnoreRules {
        IgnoreRules {
            root: root.to_path_buf(),
            canonical: root.canonicalize().ok(),
            chains: RwLock::default(),
            problems: Mutex::default(),
            read: AtomicU64::new(0),
        }
    }

    /// True when the rules exclude `path` (a directory when `is_dir`).
    pub fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Some(dir) = path.parent() else {
            return false;
        };
        if !dir.starts_with(&self.root) {
            return false;
        }
        let chain = self.chain(dir);
        let mut found: [Option<bool>; 3] = [None; 3];
        let mut level = chain.as_ref();
        while let Some(c) = level {
            for (slot, matcher) in found.iter_mut().zip(&c.matchers) {
                let Some(matcher) = matcher else { continue };
                if slot.is_none() {
                    *slot = match matcher.matched(path, is_dir) {
                        Match::None => None,
                        Match::Ignore(_) => Some(true),
                        Match::Whitelist(_) => Some(false),
                    };
                }
            }
            level = c.parent.as_ref();
        }
        found.into_iter().flatten().next().unwrap_or(false)
    }

    /// Ignore files that could not be used, sorted.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut list = self.problems.lock().map(|p| p.clone()).unwrap_or_default();
        list.sort();
        list
    }

    fn chain(&self, dir: &Path) -> Option<Arc<Chain>> {
        if let Some(c) = self.chains.read().ok().and_then(|m| m.get(dir).cloned()) {
            return c;
        }
        // Depth is bounded by the walk's, so the recursion is too.
        let parent = if dir == self.root {
            None
        } else {
            dir.parent()
                .filter(|p| p.starts_with(&self.root))
                .and_then(|p| self.chain(p))
        };
        let matchers = FILES.map(|name| self.matcher(dir, name));
        let chain = if matchers.iter().all(Option::is_none) {
            parent
        } else {
            Some(Arc::new(Chain { matchers, parent }))
        };
        match self.chains.write() {
            // Two threads may build the same directory's chain; the first one is kept.
            Ok(mut map) => map.entry(dir.to_path_buf()).or_insert(chain).clone(),
            Err(_) => chain,
        }
    }

    /// The matcher of one ignore file of `dir`; `None` when there is none or it cannot
    /// be read safely.
    fn matcher(&self, dir: &Path, name: &str) -> Option<Gitignore> {
        let root = self.canonical.as_ref()?;
        let problem = |why: String| {
            let path = dir.join(name);
            let rel = path.strip_prefix(&self.root).unwrap_or(&path);
            if let Ok(mut p) = self.problems.lock() {
                p.push((
                    rel.to_string_lossy().replace('\\', "/"),
                    format!("ignore file not read: {why}"),
                ));
            }
        };
        let left = MAX_IGNORE_TOTAL_BYTES.saturating_sub(self.read.load(Ordering::Relaxed));
        let bytes = match read_inside(root, dir, Path::new(name), MAX_IGNORE_FILE_BYTES.min(left)) {
            Ok(b) => b,
            Err(Refusal::Missing) => return None,
            Err(why) => {
                problem(why.to_string());
                return None;
            }
        };
        let total = self.read.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if total.saturating_add(bytes.len() as u64) > MAX_IGNORE_TOTAL_BYTES {
            problem(format!(
                "the walk's {} MiB of ignore files is spent",
                MAX_IGNORE_TOTAL_BYTES >> 20
            ));
            return None;
        }
        let from = dir.join(name);
        let mut builder = GitignoreBuilder::new(dir);
        let text = String::from_utf8_lossy(&bytes);
        // As git does, a byte-order mark before the first line is not part of it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for line in text.lines() {
            // A line that is not a valid glob is skipped, as the walker would.
            let _ = builder.add_line(Some(from.clone()), line);
        }
        builder.build().ok()
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn rules(files: &[(&str, &str)]) -> (tempfile::TempDir, IgnoreRules) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let full = dir.path().join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, text).unwrap();
        }
        let rules = IgnoreRules::new(dir.path());
        (dir, rules)
    }

    #[test]
    fn nested_rules_apply_to_their_subtree_and_the_nearest_wins() {
        let (dir, rules) = rules(&[
            (".gitignore", "*.log\nbuild/\n"),
            ("sub/.gitignore", "!keep.log\n"),
            ("other/.ignore", "*.txt\n"),
            (".git/info/exclude", "local.cfg\n"),
        ]);
        let root = dir.path();
        assert!(rules.is_ignored(&root.join("a.log"), false));
        assert!(rules.is_ignored(&root.join("x/b.log"), false));
        assert!(!rules.is_ignored(&root.join("sub/keep.log"), false));
        assert!(rules.is_ignored(&root.join("sub/other.log"), false));
        assert!(rules.is_ignored(&root.join("build"), true));
        assert!(!rules.is_ignored(&root.join("build"), false));
        assert!(rules.is_ignored(&root.join("other/a.txt"), false));
        assert!(!rules.is_ignored(&root.join("a.txt"), false));
        assert!(rules.is_ignored(&root.join("local.cfg"), false));
        assert!(rules.problems().is_empty());
    }

    #[test]
    fn ignore_files_past_the_walk_budget_are_reported_not_read() {
        let big = "# padding\n".repeat(100_000);
        let files: Vec<(String, &str)> = (0..70)
            .map(|i| (format!("d{i}/.gitignore"), big.as_str()))
            .collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        let (dir, rules) = rules(&refs);
        for i in 0..70 {
            let _ = rules.is_ignored(&dir.path().join(format!("d{i}/x")), false);
        }
        let problems = rules.problems();
        assert!(!problems.is_empty(), "every file was read");
        assert!(problems.len() < 70, "{}", problems.len());
        assert!(
            problems
                .iter()
                .all(|(_, why)| why.contains("spent") || why.contains("larger")),
            "{problems:?}"
        );
    }

    #[test]
    fn ignore_outranks_gitignore() {
        let (dir, rules) = rules(&[(".gitignore", "*.md\n"), (".ignore", "!README.md\n")]);
        assert!(!rules.is_ignored(&dir.path().join("README.md"), false));
        assert!(rules.is_ignored(&dir.path().join("CHANGES.md"), false));
    }

    #[cfg(unix)]
    #[test]
    fn hostile_ignore_files_are_reported_not_read() {
        use std::os::unix::fs::symlink;
        let (dir, rules) = rules(&[("a/.gitignore", &"x\n".repeat(600_000))]);
        let root = dir.path();
        nix::unistd::mkfifo(&root.join(".gitignore"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        symlink("/dev/zero", root.join(".ignore")).unwrap();
        fs::create_dir_all(root.join(".git/info")).unwrap();
        symlink("/dev/zero", root.join(".git/info/exclude")).unwrap();
        assert!(!rules.is_ignored(&root.join("a/x"), false));
        let problems = rules.problems();
        let paths: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [".git/info/exclude", ".gitignore", ".ignore", "a/.gitignore"]
        );
        assert!(problems[1].1.contains("not a regular file"), "{problems:?}");
        assert!(problems[3].1.contains("larger than"), "{problems:?}");
    }
}
