//! The git history of the repository: every blob reachable from HEAD, each read and
//! scanned once whatever the number of commits it appears in, with the commit that
//! introduced it and whether HEAD still holds it. Objects are read straight from the
//! object database with gitoxide; `git` is never run, so nothing the repository's
//! configuration names (hooks, filters, fsmonitor) can execute. Work is bounded: blob
//! size, total bytes, blob and commit counts, tree depth; a corrupt or shallow
//! repository is scanned as far as it can be read and says so.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::{FindExt, FindHeader};
use globset::GlobSet;
use rayon::prelude::*;

/// How much of the history to read.
#[derive(Debug, Clone)]
pub struct HistoryLimits {
    /// Larger blobs are counted, not read (the audit's per-file cap).
    pub max_file_bytes: u64,
    /// Bytes read in all; past it the scan stops and says it was capped.
    pub max_total_bytes: u64,
    /// Distinct blobs read in all.
    pub max_blobs: usize,
    /// Commits walked from HEAD.
    pub max_commits: usize,
    /// Tree entries visited in all (the cost of listing every commit's tree).
    pub max_tree_entries: usize,
    /// Paths left out (the policy's `ignore` globs).
    pub ignore: GlobSet,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        HistoryLimits {
            max_file_bytes: 1024 * 1024,
            max_total_bytes: 1024 * 1024 * 1024,
            max_blobs: 1_000_000,
            max_commits: 200_000,
            max_tree_entries: 50_000_000,
            ignore: GlobSet::empty(),
        }
    }
}

/// One thing the scanner reported in a historical blob.
#[derive(Debug, Clone)]
pub struct HistoryHit<T> {
    /// What the scanner returned.
    pub hit: T,
    /// The blob's object id (hex).
    pub blob: String,
    /// The path the blob first appeared at (`/`-separated, lossily decoded).
    pub path: String,
    /// The oldest commit (by commit time) whose tree holds the blob.
    pub commit: String,
    /// That commit's committer date, ISO 8601 UTC.
    pub date: String,
    /// True when HEAD's tree still holds this blob (at any path).
    pub in_head: bool,
}

/// What a history scan read and found.
#[derive(Debug, Clone)]
pub struct HistoryScan<T> {
    /// The commit HEAD points at; `None` for a repository without commits.
    pub head: Option<String>,
    pub hits: Vec<HistoryHit<T>>,
    /// Commits walked.
    pub commits: usize,
    /// Distinct blobs reachable (after the ignore globs).
    pub blobs_found: usize,
    /// Distinct blobs read and scanned.
    pub blobs_scanned: usize,
    /// Bytes of the blobs scanned.
    pub bytes_scanned: u64,
    /// Blobs larger than the per-file cap, not read.
    pub skipped_large: usize,
    /// Blobs with NUL bytes in their first 8 KiB.
    pub skipped_binary: usize,
    /// Blob paths left out by the ignore globs.
    pub skipped_ignored: usize,
    /// True when a budget (commits, tree entries, blobs, bytes) stopped the scan.
    pub capped: bool,
    /// True for a shallow clone: history beyond its boundary is not there.
    pub shallow: bool,
    /// Objects that could not be read (first few), for a corrupt repository.
    pub problems: Vec<String>,
    pub elapsed: Duration,
}

impl<T> HistoryScan<T> {
    fn empty() -> Self {
        HistoryScan {
            head: None,
            hits: Vec::new(),
            commits: 0,
            blobs_found: 0,
            blobs_scanned: 0,
            bytes_scanned: 0,
            skipped_large: 0,
            skipped_binary: 0,
            skipped_ignored: 0,
            capped: false,
            shallow: false,
            problems: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }
}

/// Why the history could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0} is not a git repository (it has no .git)")]
    NotGit(PathBuf),
    #[error(
        "the git directory of {0} is not inside it (a linked worktree, a submodule or a symbolic link); audit the main checkout"
    )]
    OutsideRoot(PathBuf),
    #[error("cannot read the git repository at {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}

/// Problems recorded in full; the rest are counted.
const MAX_PROBLEMS: usize = 10;
/// Deepest tree nesting followed.
const MAX_TREE_DEPTH: usize = 64;
/// Paths remembered per blob.
const MAX_PATHS_PER_BLOB: usize = 8;
/// Bytes looked at for NUL to call a blob binary (as the walk does).
const BINARY_PROBE: usize = 8 * 1024;

/// Scans every blob reachable from HEAD with `scan(path, text)`, once per blob.
///
/// A repository without commits gives an empty scan (`head: None`); trouble with
/// individual objects is recorded in `problems` and the scan goes on with the rest.
pub fn scan_history<T, F>(
    root: &Path,
    limits: &HistoryLimits,
    scan: F,
) -> Result<HistoryScan<T>, HistoryError>
where
    T: Send,
    F: Fn(&str, &str) -> Vec<T> + Sync,
{
    let started = Instant::now();
    let dir = match super::git::git_dir(root) {
        Some(d) => d,
        None if std::fs::symlink_metadata(root.join(".git")).is_ok() => {
            return Err(HistoryError::OutsideRoot(root.to_path_buf()));
        }
        None => return Err(HistoryError::NotGit(root.to_path_buf())),
    };
    // gitoxide is not expected to panic on bad input, but the input is hostile: a
    // panic becomes an error, never a crash of the audit.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scan_git_dir(&dir, limits, &scan)
    }));
    let mut result = match outcome {
        Ok(r) => r,
        Err(_) => Err(unreadable(&dir, "the object database could not be decoded")),
    }?;
    result.elapsed = started.elapsed();
    Ok(result)
}

fn unreadable(dir: &Path, reason: impl ToString) -> HistoryError {
    HistoryError::Unreadable {
        path: dir.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Where a blob was first seen.
struct BlobSeen {
    /// Index into the commits, oldest first.
    commit: usize,
    paths: Vec<String>,
}

/// A commit to list, with its tree and committer time.
struct CommitAt {
    id: ObjectId,
    tree: ObjectId,
    seconds: i64,
}

fn scan_git_dir<T, F>(
    dir: &Path,
    limits: &HistoryLimits,
    scan: &F,
) -> Result<HistoryScan<T>, HistoryError>
where
    T: Send,
    F: Fn(&str, &str) -> Vec<T> + Sync,
{
    let mut repo =
        gix::open_opts(dir, gix::open::Options::isolated()).map_err(|e| unreadable(dir, e))?;
    repo.object_cache_size_if_unset(16 * 1024 * 1024);
    let mut out = HistoryScan::empty();
    out.shallow = repo.is_shallow().unwrap_or(false);
    let (head_id, head_tree) = {
        let mut head = repo.head().map_err(|e| unreadable(dir, e))?;
        if head.is_unborn() {
            return Ok(out);
        }
        let commit = head
            .peel_to_commit()
            .map_err(|e| unreadable(dir, format!("HEAD does not lead to a commit: {e}")))?;
        let tree = commit
            .tree_id()
            .map_err(|e| unreadable(dir, format!("HEAD's tree cannot be read: {e}")))?
            .detach();
        (commit.id, tree)
    };
    out.head = Some(head_id.to_string());

    let commits = list_commits(&repo, head_id, limits, &mut out);
    out.commits = commits.len();

    // Every blob once, with the oldest commit and the paths it appears at. A subtree
    // already listed at the same place is skipped: its blobs are known, from an older
    // or equally old commit.
    let mut blobs: HashMap<ObjectId, BlobSeen> = HashMap::new();
    let mut order: Vec<ObjectId> = Vec::new();
    let mut seen_trees: HashSet<(ObjectId, String)> = HashSet::new();
    let mut entries = 0usize;
    let mut buf = Vec::new();
    'commits: for (index, commit) in commits.iter().enumerate() {
        let mut stack = vec![(commit.tree, String::new(), 0usize)];
        while let Some((tree_id, prefix, depth)) = stack.pop() {
            if !seen_trees.insert((tree_id, prefix.clone())) {
                continue;
            }
            let tree = match FindExt::find_tree(&repo.objects, &tree_id, &mut buf) {
                Ok(t) => t,
                Err(e) => {
                    problem(&mut out, format!("tree {tree_id}: {e}"));
                    continue;
                }
            };
            for entry in &tree.entries {
                entries += 1;
                if entries > limits.max_tree_entries {
                    out.capped = true;
                    break 'commits;
                }
                let Some(path) = child_path(&prefix, entry.filename) else {
                    continue;
                };
                if entry.mode.is_tree() {
                    if depth < MAX_TREE_DEPTH {
                        stack.push((entry.oid.to_owned(), path, depth + 1));
                    }
                } else if entry.mode.is_blob() {
                    if limits.ignore.is_match(&path) {
                        out.skipped_ignored += 1;
                        continue;
                    }
                    let id = entry.oid.to_owned();
                    match blobs.get_mut(&id) {
                        Some(seen) => {
                            if seen.paths.len() < MAX_PATHS_PER_BLOB && !seen.paths.contains(&path)
                            {
                                seen.paths.push(path);
                            }
                        }
                        None => {
                            blobs.insert(
                                id,
                                BlobSeen {
                                    commit: index,
                                    paths: vec![path],
                                },
                            );
                            order.push(id);
                        }
                    }
                }
                // Symbolic links and submodules hold no file content.
            }
        }
    }
    out.blobs_found = order.len();
    let in_head = head_blobs(&repo, head_tree, limits, &mut out);

    let bytes = AtomicU64::new(0);
    let read = AtomicUsize::new(0);
    let capped = AtomicBool::new(false);
    let sync = repo.into_sync();
    let outcomes: Vec<(ObjectId, BlobOutcome<T>)> = order
        .par_iter()
        .map_init(
            || (sync.to_thread_local(), Vec::new()),
            |(repo, buf), id| {
                let path = blobs
                    .get(id)
                    .and_then(|b| b.paths.first())
                    .map(String::as_str)
                    .unwrap_or("");
                let outcome =
                    read_and_scan(repo, buf, id, path, limits, (&bytes, &read, &capped), scan);
                (*id, outcome)
            },
        )
        .collect();
    out.capped |= capped.load(Ordering::Relaxed);
    for (id, outcome) in outcomes {
        match outcome {
            BlobOutcome::Scanned { bytes, hits } => {
                out.blobs_scanned += 1;
                out.bytes_scanned += bytes;
                let Some(seen) = blobs.get(&id) else { continue };
                let Some(commit) = commits.get(seen.commit) else {
                    continue;
                };
                let path = seen.paths.first().cloned().unwrap_or_default();
                let date = iso_date(commit.seconds);
                for hit in hits {
                    out.hits.push(HistoryHit {
                        hit,
                        blob: id.to_string(),
                        path: path.clone(),
                        commit: commit.id.to_string(),
                        date: date.clone(),
                        in_head: in_head.contains(&id),
                    });
                }
            }
            BlobOutcome::Large => out.skipped_large += 1,
            BlobOutcome::Binary => out.skipped_binary += 1,
            BlobOutcome::OverBudget => {}
            BlobOutcome::Unreadable(e) => problem(&mut out, format!("blob {id}: {e}")),
        }
    }
    Ok(out)
}

/// Commits reachable from `head`, oldest first by committer time.
fn list_commits<T>(
    repo: &gix::Repository,
    head: ObjectId,
    limits: &HistoryLimits,
    out: &mut HistoryScan<T>,
) -> Vec<CommitAt> {
    let mut ids = Vec::new();
    // The commit-graph file is a cache the repository could make lie: read commits.
    match repo.rev_walk([head]).use_commit_graph(false).all() {
        Ok(walk) => {
            for info in walk {
                match info {
                    Ok(info) => ids.push(info.id),
                    Err(e) => {
                        problem(out, format!("history walk stopped: {e}"));
                        break;
                    }
                }
                if ids.len() >= limits.max_commits {
                    out.capped = true;
                    break;
                }
            }
        }
        Err(e) => problem(out, format!("history walk: {e}")),
    }
    let mut buf = Vec::new();
    let mut commits: Vec<(usize, CommitAt)> = Vec::with_capacity(ids.len());
    for (walked, id) in ids.into_iter().enumerate() {
        let commit = match FindExt::find_commit(&repo.objects, &id, &mut buf) {
            Ok(c) => c,
            Err(e) => {
                problem(out, format!("commit {id}: {e}"));
                continue;
            }
        };
        let Ok(tree) = ObjectId::from_hex(commit.tree) else {
            problem(out, format!("commit {id}: malformed tree id"));
            continue;
        };
        let seconds = commit.time().map(|t| t.seconds).unwrap_or(0);
        commits.push((walked, CommitAt { id, tree, seconds }));
    }
    // Oldest first; among equal times, the later-walked (the ancestor) first.
    commits.sort_by(|(wa, a), (wb, b)| a.seconds.cmp(&b.seconds).then(wb.cmp(wa)));
    commits.into_iter().map(|(_, c)| c).collect()
}

/// Blob ids in HEAD's tree.
fn head_blobs<T>(
    repo: &gix::Repository,
    tree: ObjectId,
    limits: &HistoryLimits,
    out: &mut HistoryScan<T>,
) -> HashSet<ObjectId> {
    let mut ids = HashSet::new();
    let mut stack = vec![(tree, 0usize)];
    let mut buf = Vec::new();
    let mut entries = 0usize;
    while let Some((tree_id, depth)) = stack.pop() {
        let tree = match FindExt::find_tree(&repo.objects, &tree_id, &mut buf) {
            Ok(t) => t,
            Err(e) => {
                problem(out, format!("HEAD tree {tree_id}: {e}"));
                continue;
            }
        };
        for entry in &tree.entries {
            entries += 1;
            if entries > limits.max_tree_entries {
                return ids;
            }
            if entry.mode.is_tree() && depth < MAX_TREE_DEPTH {
                stack.push((entry.oid.to_owned(), depth + 1));
            } else if entry.mode.is_blob() {
                ids.insert(entry.oid.to_owned());
            }
        }
    }
    ids
}

enum BlobOutcome<T> {
    Scanned { bytes: u64, hits: Vec<T> },
    Large,
    Binary,
    OverBudget,
    Unreadable(String),
}

/// Reads one blob (its header first, so a large one is never inflated) and scans it.
fn read_and_scan<T, F>(
    repo: &gix::Repository,
    buf: &mut Vec<u8>,
    id: &ObjectId,
    path: &str,
    limits: &HistoryLimits,
    (bytes, read, capped): (&AtomicU64, &AtomicUsize, &AtomicBool),
    scan: &F,
) -> BlobOutcome<T>
where
    F: Fn(&str, &str) -> Vec<T>,
{
    let size = match FindHeader::try_header(repo, id) {
        Ok(Some(h)) => h.size,
        Ok(None) => return BlobOutcome::Unreadable("missing".into()),
        Err(e) => return BlobOutcome::Unreadable(e.to_string()),
    };
    if size > limits.max_file_bytes {
        return BlobOutcome::Large;
    }
    if read.fetch_add(1, Ordering::Relaxed) >= limits.max_blobs
        || bytes
            .fetch_add(size, Ordering::Relaxed)
            .saturating_add(size)
            > limits.max_total_bytes
    {
        capped.store(true, Ordering::Relaxed);
        return BlobOutcome::OverBudget;
    }
    let blob = match FindExt::find_blob(&repo.objects, id, buf) {
        Ok(b) => b,
        Err(e) => return BlobOutcome::Unreadable(e.to_string()),
    };
    let data = blob.data;
    let probe = data.get(..BINARY_PROBE).unwrap_or(data);
    if memchr::memchr(0, probe).is_some() {
        return BlobOutcome::Binary;
    }
    let text = String::from_utf8_lossy(data);
    BlobOutcome::Scanned {
        bytes: data.len() as u64,
        hits: scan(path, &text),
    }
}

/// `prefix/name`, or `None` for a name no checkout would create (empty, `.`, `..`,
/// containing `/` or NUL): tree entries of a hostile repository are untrusted.
fn child_path(prefix: &str, name: &[u8]) -> Option<String> {
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') || name.contains(&0)
    {
        return None;
    }
    let name = name.to_str_lossy();
    Some(if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    })
}

fn problem<T>(out: &mut HistoryScan<T>, message: String) {
    if out.problems.len() < MAX_PROBLEMS {
        out.problems.push(message);
    }
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso_date(seconds: i64) -> String {
    let time = gix::date::Time::new(seconds, 0);
    match time.format(gix::date::time::format::ISO8601_STRICT) {
        Ok(s) => match s.strip_suffix("+00:00") {
            Some(utc) => format!("{utc}Z"),
            None => s,
        },
        Err(_) => seconds.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use std::fs;
    use std::process::Command;
    use std::sync::Mutex;

    use super::*;

    /// Runs `git` for a fixture, with a fixed identity and date, isolated from the
    /// user's configuration.
    fn git(dir: &Path, date: &str, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn commit_all(dir: &Path, date: &str, message: &str) -> String {
        git(dir, date, &["add", "-A"]);
        git(dir, date, &["commit", "-q", "--allow-empty", "-m", message]);
        git(dir, date, &["rev-parse", "HEAD"])
    }

    fn new_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), "2024-01-01T00:00:00Z", &["init", "-q"]);
        dir
    }

    /// A test scanner: `SECRET_` and twelve capitals or digits.
    fn secrets(_path: &str, text: &str) -> Vec<(u32, String)> {
        let re = regex::Regex::new(r"SECRET_[A-Z0-9]{12}").unwrap();
        text.lines()
            .enumerate()
            .flat_map(|(i, l)| {
                re.find_iter(l)
                    .map(move |m| (i as u32 + 1, m.as_str().to_string()))
            })
            .collect()
    }

    fn scan(dir: &Path) -> HistoryScan<(u32, String)> {
        scan_history(dir, &HistoryLimits::default(), secrets).unwrap()
    }

    #[test]
    fn a_secret_removed_later_is_reported_at_the_commit_that_introduced_it() {
        let repo = new_repo();
        let root = repo.path();
        fs::write(root.join("README.md"), "hello\n").unwrap();
        commit_all(root, "2024-01-01T00:00:00Z", "start");
        fs::create_dir_all(root.join("app")).unwrap();
        fs::write(
            root.join("app/config.py"),
            "A = 1\nKEY = 'SECRET_ABCDEFGHIJ12'\n",
        )
        .unwrap();
        let introduced = commit_all(root, "2024-02-03T04:05:06Z", "add config");
        fs::write(
            root.join("app/config.py"),
            "A = 1\nKEY = os.environ['KEY']\n",
        )
        .unwrap();
        commit_all(
            root,
            "2024-03-01T00:00:00Z",
            "read the key from the environment",
        );
        let scan = scan(root);
        assert_eq!(scan.commits, 3);
        assert_eq!(scan.hits.len(), 1, "{:?}", scan.hits);
        let hit = &scan.hits[0];
        assert_eq!(hit.hit, (2, "SECRET_ABCDEFGHIJ12".to_string()));
        assert_eq!(hit.path, "app/config.py");
        assert_eq!(hit.commit, introduced);
        assert_eq!(hit.date, "2024-02-03T04:05:06Z");
        assert!(!hit.in_head);
        assert!(!scan.shallow && !scan.capped && scan.problems.is_empty());
    }

    #[test]
    fn a_secret_still_in_head_is_marked_so() {
        let repo = new_repo();
        let root = repo.path();
        fs::write(root.join("keys.txt"), "SECRET_ZZZZZZZZZZZZ\n").unwrap();
        let first = commit_all(root, "2024-01-01T00:00:00Z", "keys");
        fs::write(root.join("other.txt"), "x\n").unwrap();
        commit_all(root, "2024-01-02T00:00:00Z", "more");
        let scan = scan(root);
        assert_eq!(scan.hits.len(), 1);
        assert!(scan.hits[0].in_head);
        assert_eq!(scan.hits[0].commit, first);
        assert_eq!(
            scan.head.as_deref(),
            Some(git(root, "", &["rev-parse", "HEAD"]).as_str())
        );
    }

    #[test]
    fn a_blob_in_many_commits_is_scanned_once() {
        let repo = new_repo();
        let root = repo.path();
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("src/keep.txt"), "unchanged\n").unwrap();
        for n in 0..6 {
            fs::write(root.join(format!("f{n}.txt")), format!("{n}\n")).unwrap();
            commit_all(root, &format!("2024-01-0{}T00:00:00Z", n + 1), "step");
        }
        // The same content under a second name is the same blob: scanned once too.
        fs::write(root.join("copy.txt"), "unchanged\n").unwrap();
        commit_all(root, "2024-01-09T00:00:00Z", "copy");
        let calls = Mutex::new(Vec::new());
        let scan = scan_history(root, &HistoryLimits::default(), |path, _text| {
            calls.lock().unwrap().push(path.to_string());
            Vec::<()>::new()
        })
        .unwrap();
        let calls = calls.into_inner().unwrap();
        assert_eq!(scan.commits, 7);
        // keep.txt + f0..f5 = 7 distinct blobs.
        assert_eq!(scan.blobs_scanned, 7);
        assert_eq!(calls.len(), 7, "{calls:?}");
        assert_eq!(calls.iter().filter(|p| p.ends_with("keep.txt")).count(), 1);
        assert!(!calls.iter().any(|p| p == "copy.txt"));
    }

    #[test]
    fn a_repository_without_commits_is_an_empty_scan() {
        let repo = new_repo();
        let scan = scan(repo.path());
        assert_eq!(scan.head, None);
        assert_eq!(scan.commits, 0);
        assert!(scan.hits.is_empty());
    }

    #[test]
    fn a_shallow_clone_is_scanned_as_far_as_it_goes_and_says_so() {
        let repo = new_repo();
        let root = repo.path();
        fs::write(root.join("a.txt"), "SECRET_OLDOLDOLDOLD1\n").unwrap();
        commit_all(root, "2024-01-01T00:00:00Z", "old");
        fs::write(root.join("a.txt"), "clean\n").unwrap();
        commit_all(root, "2024-01-02T00:00:00Z", "clean");
        let clone = tempfile::tempdir().unwrap();
        let url = format!("file://{}", root.display());
        git(
            clone.path(),
            "",
            &["clone", "-q", "--depth", "1", &url, "c"],
        );
        let scan = scan(&clone.path().join("c"));
        assert!(scan.shallow);
        assert_eq!(scan.commits, 1);
        assert!(scan.hits.is_empty());
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    }

    #[test]
    fn a_directory_without_git_is_not_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        let err = scan_history(dir.path(), &HistoryLimits::default(), secrets).unwrap_err();
        assert!(matches!(err, HistoryError::NotGit(_)), "{err}");
        assert!(err.to_string().contains("not a git repository"));
    }

    #[test]
    fn a_git_directory_outside_the_root_is_not_read() {
        let other = new_repo();
        fs::write(other.path().join("a.txt"), "SECRET_ELSEWHERE0001\n").unwrap();
        commit_all(other.path(), "2024-01-01T00:00:00Z", "x");
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(".git"),
            format!("gitdir: {}\n", other.path().join(".git").display()),
        )
        .unwrap();
        let err = scan_history(dir.path(), &HistoryLimits::default(), secrets).unwrap_err();
        assert!(matches!(err, HistoryError::OutsideRoot(_)), "{err}");
    }

    #[test]
    fn garbage_in_the_git_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(".git")).unwrap();
        fs::write(dir.path().join(".git/HEAD"), "\u{0}garbage").unwrap();
        let err = scan_history(dir.path(), &HistoryLimits::default(), secrets).unwrap_err();
        assert!(matches!(err, HistoryError::Unreadable { .. }), "{err}");
    }

    #[test]
    fn a_missing_object_is_recorded_and_the_rest_is_scanned() {
        let repo = new_repo();
        let root = repo.path();
        fs::write(root.join("gone.txt"), "will vanish\n").unwrap();
        fs::write(root.join("kept.txt"), "SECRET_KEPTKEPTKEPT\n").unwrap();
        commit_all(root, "2024-01-01T00:00:00Z", "x");
        let id = git(root, "", &["rev-parse", "HEAD:gone.txt"]);
        let (a, b) = id.split_at(2);
        fs::remove_file(root.join(".git/objects").join(a).join(b)).unwrap();
        let scan = scan(root);
        assert_eq!(scan.hits.len(), 1);
        assert_eq!(scan.problems.len(), 1, "{:?}", scan.problems);
        assert!(scan.problems[0].contains(&id));
    }

    #[test]
    fn large_binary_and_ignored_blobs_are_not_scanned() {
        let repo = new_repo();
        let root = repo.path();
        fs::write(root.join("big.txt"), "SECRET_BIGBIGBIGBIG\n".repeat(100)).unwrap();
        fs::write(root.join("bin.dat"), b"SECRET_BINBINBINBIN\n\0\x01").unwrap();
        fs::create_dir_all(root.join("vendor")).unwrap();
        fs::write(root.join("vendor/x.txt"), "SECRET_VENDORVENDOR\n").unwrap();
        fs::write(root.join("ok.txt"), "fine\n").unwrap();
        commit_all(root, "2024-01-01T00:00:00Z", "x");
        let mut ignore = globset::GlobSetBuilder::new();
        ignore.add(globset::Glob::new("vendor/**").unwrap());
        let limits = HistoryLimits {
            max_file_bytes: 1000,
            ignore: ignore.build().unwrap(),
            ..HistoryLimits::default()
        };
        let scan = scan_history(root, &limits, secrets).unwrap();
        assert!(scan.hits.is_empty(), "{:?}", scan.hits);
        assert_eq!(scan.skipped_large, 1);
        assert_eq!(scan.skipped_binary, 1);
        assert_eq!(scan.skipped_ignored, 1);
        assert_eq!(scan.blobs_scanned, 1);
    }

    #[test]
    fn the_budget_caps_the_scan_and_says_so() {
        let repo = new_repo();
        let root = repo.path();
        for n in 0..5 {
            fs::write(root.join(format!("{n}.txt")), format!("file {n}\n")).unwrap();
        }
        commit_all(root, "2024-01-01T00:00:00Z", "x");
        let limits = HistoryLimits {
            max_blobs: 2,
            ..HistoryLimits::default()
        };
        let scan = scan_history(root, &limits, secrets).unwrap();
        assert!(scan.capped);
        assert_eq!(scan.blobs_scanned, 2);
        assert_eq!(scan.blobs_found, 5);
    }

    #[test]
    fn dates_are_iso_8601_utc() {
        assert_eq!(iso_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_date(1_706_932_706), "2024-02-03T03:58:26Z");
    }
}
