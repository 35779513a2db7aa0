//! The parallel walk: one pass that reads and classifies every file, and one cheap
//! pass (directory listings only) that counts what the first one left out.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use globset::GlobSet;
use ignore::{WalkBuilder, WalkState};

use super::ignores::IgnoreRules;
use super::kind::{self, FileKind};
use super::language::{LangId, languages};
use super::lines;
use super::{Content, Inventory, RepoFile, Skipped, SkippedDir, git};

/// How the walk behaves.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Files larger than this are counted but not read.
    pub max_file_bytes: u64,
    /// Worker threads.
    pub jobs: usize,
    /// Paths (relative globs) the policy excludes.
    pub ignore: GlobSet,
    /// Bytes read in all; files past it are counted, not read.
    pub max_total_bytes: u64,
    /// Files visited in all; files past it are counted, not read.
    pub max_files: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            max_file_bytes: 1024 * 1024,
            jobs: 0,
            ignore: GlobSet::empty(),
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            max_files: DEFAULT_MAX_FILES,
        }
    }
}

/// Default read budget for one audit: far above any source tree, far below memory.
pub const DEFAULT_MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;
/// Default cap on files read in one audit.
pub const DEFAULT_MAX_FILES: usize = 500_000;

/// Deepest directory nesting the walk descends into.
const MAX_DEPTH: usize = 64;
/// Per-file cap for lock files.
const MAX_LOCK_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Names of the lock files read with [`MAX_LOCK_FILE_BYTES`] (the lock-file reader in
/// `analyze` keeps the same list, and a test there holds them equal).
pub const LOCK_FILE_NAMES: &[&str] = &[
    "Cargo.lock",
    "Pipfile.lock",
    "bun.lock",
    "bun.lockb",
    "go.sum",
    "npm-shrinkwrap.json",
    "package-lock.json",
    "pdm.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
    "yarn.lock",
];
/// Files counted in skipped and ignored directories before counting stops.
const MAX_COUNTED: usize = 200_000;
/// Bytes inspected for NUL to call a file binary.
const BINARY_PROBE: usize = 8000;

enum Visit {
    File(RepoFile),
    Symlink,
    /// A FIFO, socket or device: never opened.
    Special,
    PolicyIgnored,
    Error(String, String),
}

/// Budgets shared by the walk's threads.
#[derive(Default)]
struct Budget {
    bytes: AtomicU64,
    files: AtomicUsize,
}

/// Walks `root` and builds the inventory. The root must be an existing directory.
pub fn walk(root: &Path, options: &WalkOptions) -> Inventory {
    let root = root.to_path_buf();
    let (tx, rx) = mpsc::channel::<Visit>();
    // The walker reads no ignore file itself: it would open a FIFO named `.gitignore`
    // and wait forever, or read a `.gitignore` linked to `/dev/zero` until memory runs
    // out. The rules are read safely by `IgnoreRules` and applied here, as the walker
    // would apply them, before it descends.
    let rules = Arc::new(IgnoreRules::new(&root));
    let filter_rules = Arc::clone(&rules);
    let git = root.join(".git").is_dir();
    let mut builder = WalkBuilder::new(&root);
    builder
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_exclude(false)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .max_depth(Some(MAX_DEPTH))
        .threads(options.jobs)
        .filter_entry(move |entry| {
            if entry.depth() == 0 {
                return true;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir
                && kind::rules()
                    .skip_reason_in(&entry.file_name().to_string_lossy(), git)
                    .is_some()
            {
                return false;
            }
            !filter_rules.is_ignored(entry.path(), is_dir)
        });
    let walker = builder.build_parallel();
    let budget = Arc::new(Budget::default());
    walker.run(|| {
        let tx = tx.clone();
        let root = root.clone();
        let options = options.clone();
        let budget = Arc::clone(&budget);
        Box::new(move |result| {
            let visit = match result {
                Ok(entry) => visit_entry(&root, &entry, &options, &budget),
                Err(err) => Some(walk_error(&root, &err)),
            };
            if let Some(v) = visit {
                // The receiver outlives the walk; a send error cannot happen here.
                let _ = tx.send(v);
            }
            WalkState::Continue
        })
    });
    drop(tx);

    let mut files = Vec::new();
    let mut skipped = Skipped::default();
    for visit in rx {
        match visit {
            Visit::File(f) => files.push(f),
            Visit::Symlink => skipped.symlinks += 1,
            Visit::Special => skipped.special += 1,
            Visit::PolicyIgnored => skipped.ignored_by_policy += 1,
            Visit::Error(path, msg) => skipped.errors.push((path, msg)),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.errors.extend(rules.problems());
    skipped.errors.sort();
    test_packages_are_tests(&mut files);
    super::vendored::mark_copied_packages(&mut files);
    super::vendored::mark_path_directories(&mut files);
    super::build_scripts::mark_build_stage_scripts(&mut files);
    super::build_scripts::mark_ci_run_scripts(&mut files);
    super::build_scripts::mark_tool_scripts(&mut files);

    let counted = count_unfiltered(&root, options.jobs);
    let mut dirs: Vec<SkippedDir> = counted
        .by_dir
        .into_iter()
        .map(|(path, (reason, files))| SkippedDir {
            path,
            reason,
            files,
        })
        .collect();
    dirs.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.dirs = dirs;
    let seen = files.len() + skipped.ignored_by_policy;
    skipped.too_deep = counted.too_deep;
    skipped.ignored_by_rules = counted.elsewhere.saturating_sub(seen);
    skipped.count_capped = counted.capped;

    let name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| root.to_string_lossy().into_owned());
    let git = git::read(&root);
    Inventory {
        root,
        name,
        files,
        skipped,
        git,
        max_file_bytes: options.max_file_bytes,
        ignores: Some(rules),
    }
}

/// A `test/` directory is product code in some projects (Django ships `django/test/`)
/// and a test package in others (`tornado/test/` holds `*_test.py` files): where it
/// holds files named like tests, its other modules are their helpers.
fn test_packages_are_tests(files: &mut [RepoFile]) {
    let test_dirs: std::collections::HashSet<String> = files
        .iter()
        .filter(|f| f.kind == FileKind::Test)
        .filter_map(|f| {
            let at = f
                .path
                .rfind("/test/")
                .or_else(|| f.path.starts_with("test/").then_some(0))?;
            let end = if f.path.starts_with("test/") && at == 0 {
                5
            } else {
                at + 6
            };
            f.path.get(..end).map(str::to_string)
        })
        .collect();
    if test_dirs.is_empty() {
        return;
    }
    for f in files.iter_mut().filter(|f| f.kind == FileKind::Source) {
        if test_dirs.iter().any(|d| f.path.starts_with(d.as_str())) {
            f.kind = FileKind::Test;
        }
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn walk_error(root: &Path, err: &ignore::Error) -> Visit {
    let path = match err {
        ignore::Error::WithPath { path, .. } => relative(root, path),
        ignore::Error::WithDepth { err, .. } => match err.as_ref() {
            ignore::Error::WithPath { path, .. } => relative(root, path),
            _ => String::new(),
        },
        _ => String::new(),
    };
    Visit::Error(path, err.to_string())
}

fn visit_entry(
    root: &Path,
    entry: &ignore::DirEntry,
    options: &WalkOptions,
    budget: &Budget,
) -> Option<Visit> {
    let file_type = entry.file_type()?;
    if file_type.is_dir() {
        return None;
    }
    let path = relative(root, entry.path());
    if path.is_empty() {
        return None;
    }
    if file_type.is_symlink() {
        return Some(Visit::Symlink);
    }
    if !file_type.is_file() {
        return Some(Visit::Special);
    }
    if options.ignore.is_match(&path) {
        return Some(Visit::PolicyIgnored);
    }
    // The file-count budget is checked here; the byte budget as the file is read.
    if budget.files.fetch_add(1, Ordering::Relaxed) >= options.max_files {
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        return Some(Visit::File(unread_file(path, size, Content::OverBudget)));
    }
    // Lock files of real applications often pass the per-file cap; they are data the
    // dependency checks need whole, so they get a cap of their own.
    let name = path.rsplit('/').next().unwrap_or(&path);
    let max_bytes = if LOCK_FILE_NAMES.contains(&name) {
        options.max_file_bytes.max(MAX_LOCK_FILE_BYTES)
    } else {
        options.max_file_bytes
    };
    Some(Visit::File(read_file_within(
        entry.path(),
        path,
        max_bytes,
        Some((budget, options.max_total_bytes)),
    )))
}

/// A file listed in the inventory without being read.
fn unread_file(path: String, bytes: u64, content: Content) -> RepoFile {
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    let language = languages().detect_by_name(&name);
    let lang_type = language.and_then(LangId::get).map(|l| l.kind);
    RepoFile {
        kind: kind::rules().classify(&path, lang_type),
        path,
        language,
        bytes,
        content,
        lossy: false,
        lines: Default::default(),
        index: Default::default(),
    }
}

/// Reads and classifies one file. Never fails: trouble becomes [`Content::Unreadable`].
pub fn read_file(full: &Path, path: String, max_bytes: u64) -> RepoFile {
    read_file_within(full, path, max_bytes, None)
}

/// [`read_file`] counting against the walk's read budget.
fn read_file_within(
    full: &Path,
    path: String,
    max_bytes: u64,
    budget: Option<(&Budget, u64)>,
) -> RepoFile {
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    let mut language = languages().detect_by_name(&name);
    let mut file = RepoFile {
        path,
        language,
        kind: FileKind::Other,
        bytes: 0,
        content: Content::Binary,
        lossy: false,
        lines: Default::default(),
        index: Default::default(),
    };
    let content = match read_capped(full, max_bytes, budget) {
        Err(e) => Content::Unreadable(e.to_string()),
        Ok(ReadOutcome::TooLarge(size)) => {
            file.bytes = size;
            Content::TooLarge
        }
        Ok(ReadOutcome::OverBudget(size)) => {
            file.bytes = size;
            Content::OverBudget
        }
        Ok(ReadOutcome::Binary(size)) => {
            file.bytes = size;
            Content::Binary
        }
        Ok(ReadOutcome::Bytes(bytes, size)) => {
            file.bytes = size;
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    file.lossy = true;
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                }
            };
            Content::Text(text)
        }
    };
    let lang_type = |l: Option<LangId>| l.and_then(LangId::get).map(|l| l.kind);
    if let Content::Text(text) = &content {
        if language.is_none() {
            let first = text.lines().next().unwrap_or("");
            language = languages().detect_by_shebang(first);
            file.language = language;
        }
        let head = text.get(..text.len().min(2048)).unwrap_or("");
        let head = if head.is_empty() && !text.is_empty() {
            // The 2 KiB cut fell inside a character; look at the whole file instead.
            text.as_str()
        } else {
            head
        };
        // Where a file lives (fixtures, vendored copies) outranks what its header says.
        let by_path = kind::rules().classify(&file.path, lang_type(language));
        // A template is what a generator renders from (its header may say what the
        // rendered file will say: "auto-generated by the wizard").
        file.kind = if kind::looks_template(&file.path, text) {
            FileKind::Fixture
        } else if !matches!(by_path, FileKind::Fixture | FileKind::Vendored)
            && kind::looks_generated(head)
        {
            FileKind::Generated
        } else if by_path == FileKind::Source && file.path.ends_with(".go") {
            kind::go_build_constraint(head).unwrap_or(by_path)
        } else {
            by_path
        };
        file.index = lines::index(text, language.and_then(LangId::get));
        file.lines = file.index.counts();
    } else {
        file.kind = kind::rules().classify(&file.path, lang_type(language));
    }
    file.content = content;
    file
}

/// What reading a file gave.
enum ReadOutcome {
    /// The text bytes and the size read.
    Bytes(Vec<u8>, u64),
    /// Larger than the per-file cap; not read.
    TooLarge(u64),
    /// NUL bytes in the first 8 KiB: the rest is not read.
    Binary(u64),
    /// Past the walk's total read budget; not read.
    OverBudget(u64),
}

/// Reads a file of at most `max` bytes, stopping after the first 8 KiB of a binary one.
/// Text counts against `budget` (the total so far, the limit) when one is given.
fn read_capped(
    path: &Path,
    max: u64,
    budget: Option<(&Budget, u64)>,
) -> std::io::Result<ReadOutcome> {
    let file = super::open::open_no_follow(path)?;
    let size = file.metadata()?.len();
    if size > max {
        return Ok(ReadOutcome::TooLarge(size));
    }
    // The file may grow between stat and read; never read past the cap.
    let mut file = file.take(max.saturating_add(1));
    let probe_len = u64::try_from(BINARY_PROBE).unwrap_or(8000);
    let mut bytes = Vec::with_capacity(BINARY_PROBE.min(usize::try_from(size).unwrap_or(0)));
    (&mut file).take(probe_len).read_to_end(&mut bytes)?;
    if bytes.contains(&0) {
        return Ok(ReadOutcome::Binary(size));
    }
    // Budgets bound what a hostile tree (thousands of large files) can make the audit
    // hold in memory; text past them is listed, not read.
    if let Some((budget, limit)) = budget {
        let used = budget.bytes.fetch_add(size, Ordering::Relaxed);
        if used.saturating_add(size) > limit {
            return Ok(ReadOutcome::OverBudget(size));
        }
    }
    bytes.reserve(
        usize::try_from(size)
            .unwrap_or(0)
            .saturating_sub(bytes.len()),
    );
    file.read_to_end(&mut bytes)?;
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > max {
        return Ok(ReadOutcome::TooLarge(len));
    }
    Ok(ReadOutcome::Bytes(bytes, len))
}

struct Counted {
    /// Skipped directory → (reason, files beneath it).
    by_dir: HashMap<String, (String, usize)>,
    /// Files outside skipped directories, ignore rules not applied.
    elsewhere: usize,
    /// Files nested deeper than the walk descends.
    too_deep: usize,
    capped: bool,
}

/// Counts files without honouring ignore rules, attributing those under skipped
/// directories to the outermost such directory. Lists directories, reads no file.
fn count_unfiltered(root: &Path, jobs: usize) -> Counted {
    let by_dir: Arc<Mutex<HashMap<String, (String, usize)>>> = Arc::default();
    let elsewhere = Arc::new(AtomicUsize::new(0));
    let too_deep = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    let capped = Arc::new(AtomicBool::new(false));
    let root_buf: PathBuf = root.to_path_buf();
    let in_git = root.join(".git").is_dir();
    let mut builder = WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        // Deeper than the main walk, to count what it could not reach.
        .max_depth(Some(MAX_DEPTH + 32))
        .threads(jobs)
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            !(entry.depth() > 0 && matches!(name.as_ref(), ".git" | ".hg" | ".svn"))
        });
    builder.build_parallel().run(|| {
        let by_dir = Arc::clone(&by_dir);
        let elsewhere = Arc::clone(&elsewhere);
        let too_deep = Arc::clone(&too_deep);
        let total = Arc::clone(&total);
        let capped = Arc::clone(&capped);
        let root = root_buf.clone();
        Box::new(move |result| {
            let Ok(entry) = result else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            if total.fetch_add(1, Ordering::Relaxed) >= MAX_COUNTED {
                capped.store(true, Ordering::Relaxed);
                return WalkState::Quit;
            }
            let rel = relative(&root, entry.path());
            let mut prefix = String::new();
            let mut parts = rel.split('/').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    break;
                }
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(part);
                if let Some(reason) = kind::rules().skip_reason_in(part, in_git) {
                    if let Ok(mut map) = by_dir.lock() {
                        map.entry(prefix.clone())
                            .or_insert_with(|| (reason.to_string(), 0))
                            .1 += 1;
                    }
                    return WalkState::Continue;
                }
            }
            if entry.depth() > MAX_DEPTH {
                too_deep.fetch_add(1, Ordering::Relaxed);
            } else {
                elsewhere.fetch_add(1, Ordering::Relaxed);
            }
            WalkState::Continue
        })
    });
    let by_dir = Arc::try_unwrap(by_dir)
        .ok()
        .and_then(|m| m.into_inner().ok())
        .unwrap_or_default();
    Counted {
        by_dir,
        elsewhere: elsewhere.load(Ordering::Relaxed),
        too_deep: too_deep.load(Ordering::Relaxed),
        capped: capped.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::time::Duration;

    use super::*;

    /// Walks `root` on another thread; `None` when the walk does not finish in time.
    fn walk_within(root: &Path, seconds: u64) -> Option<Inventory> {
        let (tx, rx) = mpsc::channel();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(walk(&root, &WalkOptions::default()));
        });
        rx.recv_timeout(Duration::from_secs(seconds)).ok()
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_named_like_an_ignore_file_does_not_hang_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("main.py"), "x = 1\n").unwrap();
        fs::write(root.join("sub/app.py"), "y = 2\n").unwrap();
        let mode = nix::sys::stat::Mode::S_IRWXU;
        nix::unistd::mkfifo(&root.join(".gitignore"), mode).unwrap();
        nix::unistd::mkfifo(&root.join("sub/.ignore"), mode).unwrap();
        let inv = walk_within(root, 20).expect("the walk hung on a FIFO");
        let read: Vec<&str> = inv.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(read, ["main.py", "sub/app.py"]);
        assert_eq!(inv.skipped.special, 2);
        let errors: Vec<&str> = inv.skipped.errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(errors, [".gitignore", "sub/.ignore"]);
    }

    #[cfg(unix)]
    #[test]
    fn ignore_files_linked_to_a_device_are_not_read() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join(".git/info")).unwrap();
        fs::write(root.join("main.py"), "x = 1\n").unwrap();
        symlink("/dev/zero", root.join(".gitignore")).unwrap();
        symlink("/dev/zero", root.join(".git/info/exclude")).unwrap();
        let inv = walk_within(root, 20).expect("the walk did not finish");
        assert_eq!(inv.files.len(), 1);
        let errors: Vec<&str> = inv.skipped.errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(errors, [".git/info/exclude", ".gitignore"]);
    }

    #[test]
    fn gitignore_rules_apply_to_their_subtree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            (".gitignore", "*.log\n/out/\n"),
            ("app/.gitignore", "gen_*.py\n!keep.log\n"),
            ("app/main.py", "x\n"),
            ("app/gen_a.py", "x\n"),
            ("app/keep.log", "x\n"),
            ("app/drop.log", "x\n"),
            ("out/a.py", "x\n"),
            ("lib/out/b.py", "x\n"),
            ("lib/gen_b.py", "x\n"),
        ] {
            let full = root.join(path);
            fs::create_dir_all(full.parent().unwrap()).unwrap();
            fs::write(full, text).unwrap();
        }
        let inv = walk(root, &WalkOptions::default());
        let read: Vec<&str> = inv.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            read,
            [
                ".gitignore",
                "app/.gitignore",
                "app/keep.log",
                "app/main.py",
                "lib/gen_b.py",
                "lib/out/b.py"
            ]
        );
        assert!(inv.skipped.errors.is_empty(), "{:?}", inv.skipped.errors);
    }

    fn options(max_total_bytes: u64, max_files: usize) -> WalkOptions {
        WalkOptions {
            max_total_bytes,
            max_files,
            ..WalkOptions::default()
        }
    }

    #[test]
    fn a_large_binary_is_probed_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut blob = vec![0u8; 4];
        blob.extend(std::iter::repeat_n(b'a', 100_000));
        fs::write(dir.path().join("blob.bin"), &blob).unwrap();
        // A tiny budget: the binary must not spend it.
        fs::write(dir.path().join("main.py"), "x = 1\n").unwrap();
        let inv = walk(dir.path(), &options(10, 100));
        let blob = inv.files.iter().find(|f| f.path == "blob.bin").unwrap();
        assert!(matches!(blob.content, Content::Binary));
        assert_eq!(blob.bytes, 100_004);
        let main = inv.files.iter().find(|f| f.path == "main.py").unwrap();
        assert!(matches!(main.content, Content::Text(_)));
    }

    #[test]
    fn text_past_the_byte_budget_is_listed_not_read() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..4 {
            fs::write(dir.path().join(format!("m{i}.py")), "x = 1\n".repeat(100)).unwrap();
        }
        let inv = walk(dir.path(), &options(1_000, 100));
        let read = inv
            .files
            .iter()
            .filter(|f| matches!(f.content, Content::Text(_)))
            .count();
        let over = inv
            .files
            .iter()
            .filter(|f| matches!(f.content, Content::OverBudget))
            .count();
        assert_eq!((read, over), (1, 3));
        assert!(inv.files.iter().all(|f| f.bytes == 600));
    }

    #[test]
    fn files_past_the_file_budget_are_listed_not_read() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            fs::write(dir.path().join(format!("m{i}.py")), "x = 1\n").unwrap();
        }
        let inv = walk(dir.path(), &options(DEFAULT_MAX_TOTAL_BYTES, 2));
        let over = inv
            .files
            .iter()
            .filter(|f| matches!(f.content, Content::OverBudget))
            .count();
        assert_eq!((inv.files.len(), over), (5, 3));
    }
}
