//! The git history of the repository: every blob reachable from HEAD, each read and
//! scanned once whatever the number of commits it appears in, with the commit that
//! introduced it and whether HEAD still holds it. Objects are read straight from the
//! object database with gitoxide; `git` is never run, so nothing the repository's
//! configuration names (hooks, filters, fsmonitor) can execute.
//!
//! The git directory is hostile input. Before gitoxide opens it, [`layout`] checks
//! that everything it would read stays inside the root and is a regular file of
//! bounded size; gitoxide then reads no configuration but the repository's own, with
//! its caches and allocations pinned. The work is bounded in time (a budget checked per
//! commit, tree entry and blob, and inside the scanner) and in memory: each distinct
//! subtree is listed once whatever the number of places it appears at, so a tree
//! fan-out bomb costs what its objects cost, and one path is kept per blob. A scan a
//! bound stopped, or a corrupt or shallow repository, says so.

mod layout;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::{FindExt, FindHeader};
use globset::GlobSet;
use rayon::prelude::*;

use crate::model::group_digits;

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
    /// Secrets kept in all.
    pub max_hits: usize,
    /// Time the whole scan may take, from the check of the git directory to the last
    /// blob; `None` for no limit.
    pub time_budget: Option<Duration>,
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
            max_hits: 100_000,
            time_budget: Some(Duration::from_secs(60)),
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

/// What the scanner made of one blob.
#[derive(Debug, Clone)]
pub struct BlobScan<T> {
    pub hits: Vec<T>,
    /// False when the scanner stopped before the end of the blob (its deadline, or its
    /// own bound on work per text).
    pub complete: bool,
}

impl<T> From<Vec<T>> for BlobScan<T> {
    fn from(hits: Vec<T>) -> Self {
        BlobScan {
            hits,
            complete: true,
        }
    }
}

/// Which bound stopped a scan before the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Time(Duration),
    Commits(usize),
    TreeEntries(usize),
    /// Subtrees listed once per place (those holding ignored paths).
    Places(usize),
    Blobs(usize),
    Bytes(u64),
    Hits(usize),
}

impl Stop {
    /// The bound, as a report names it: "its 60 s time budget".
    pub fn describe(&self) -> String {
        match self {
            Stop::Time(d) => format!("its {} s time budget", d.as_secs()),
            Stop::Commits(n) => format!("its budget of {} commits", group_digits(*n)),
            Stop::TreeEntries(n) => format!("its budget of {} tree entries", group_digits(*n)),
            Stop::Places(n) => format!(
                "its budget of {} subtrees listed place by place",
                group_digits(*n)
            ),
            Stop::Blobs(n) => format!("its budget of {} blobs", group_digits(*n)),
            Stop::Bytes(n) => format!("its read budget of {} MiB", n / (1024 * 1024)),
            Stop::Hits(n) => format!("its budget of {} secrets", group_digits(*n)),
        }
    }
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
    /// Blobs the scanner stopped in before their end (its own bound on work per text).
    pub truncated: usize,
    /// The bound that stopped the scan before the end, if one did.
    pub stopped: Option<Stop>,
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
            truncated: 0,
            stopped: None,
            shallow: false,
            problems: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// Records the first bound that stopped the scan.
    fn stop(&mut self, stop: Stop) {
        self.stopped.get_or_insert(stop);
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
    /// The git directory holds something gitoxide must not be given: a way out of the
    /// root, a FIFO or device, an oversized file. The sentence says which.
    #[error("{0}")]
    Refused(String),
    #[error("cannot read the git repository at {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
}

/// Problems recorded in full; the rest are counted.
const MAX_PROBLEMS: usize = 10;
/// Deepest tree nesting followed.
const MAX_TREE_DEPTH: usize = 64;
/// Longest path followed, in bytes: tree entry names have no length limit, and a path
/// is kept for every blob.
const MAX_PATH_BYTES: usize = 4096;
/// Most (subtree, place) pairs remembered for subtrees that hold paths the ignore
/// globs leave out (those are listed once per place rather than once): about 80 MB.
const MAX_PLACES: usize = 2_000_000;
/// Bytes looked at for NUL to call a blob binary (as the walk does).
const BINARY_PROBE: usize = 8 * 1024;
/// Largest object gitoxide may allocate for (a blob larger than the per-file cap is
/// never inflated: its header is read first). Above the largest per-file cap a policy
/// may set.
const ALLOC_LIMIT: u64 = 64 * 1024 * 1024;

/// True once `deadline` has passed.
fn past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Scans every blob reachable from HEAD with `scan(path, text, deadline)`, once per
/// blob; the scanner should stop at the deadline and say it did.
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
    F: Fn(&str, &str, Option<Instant>) -> BlobScan<T> + Sync,
{
    let started = Instant::now();
    let deadline = limits.time_budget.and_then(|b| started.checked_add(b));
    let dir = match super::git::git_dir(root) {
        Some(d) => d,
        None if std::fs::symlink_metadata(root.join(".git")).is_ok() => {
            return Err(HistoryError::OutsideRoot(root.to_path_buf()));
        }
        None => return Err(HistoryError::NotGit(root.to_path_buf())),
    };
    match layout::check(root, &dir, deadline) {
        Ok(()) => {}
        Err(layout::Unsafe::Refused(why)) => return Err(HistoryError::Refused(why)),
        Err(layout::Unsafe::OutOfTime) => {
            let mut out = HistoryScan::empty();
            if let Some(budget) = limits.time_budget {
                out.stop(Stop::Time(budget));
            }
            out.elapsed = started.elapsed();
            return Ok(out);
        }
    }
    // gitoxide is not expected to panic on bad input, but the input is hostile: a
    // panic becomes an error, never a crash of the audit.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scan_git_dir(&dir, limits, deadline, &scan)
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

/// Opens the checked git directory: no configuration but the repository's own (and
/// none of its includes), no environment; caches and the largest allocation pinned,
/// whatever the repository's configuration asks for (these values are applied after
/// it, and the last value wins).
fn open(dir: &Path) -> Result<gix::Repository, HistoryError> {
    let options = gix::open::Options::isolated().config_overrides([
        format!("gitoxide.objects.allocLimit={ALLOC_LIMIT}"),
        "gitoxide.objects.cacheLimit=16777216".to_string(),
        "core.deltaBaseCacheLimit=100663296".to_string(),
        "gitoxide.core.deltaBaseCacheLimit=100663296".to_string(),
    ]);
    gix::open_opts(dir, options).map_err(|e| unreadable(dir, e))
}

/// Where a blob was first seen.
struct BlobSeen {
    /// Index into the commits, oldest first.
    commit: usize,
    /// The first path it was seen at; the only one reported.
    path: String,
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
    deadline: Option<Instant>,
    scan: &F,
) -> Result<HistoryScan<T>, HistoryError>
where
    T: Send,
    F: Fn(&str, &str, Option<Instant>) -> BlobScan<T> + Sync,
{
    let repo = open(dir)?;
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

    let commits = list_commits(&repo, head_id, limits, deadline, &mut out);
    out.commits = commits.len();

    let mut lister = Lister {
        repo: &repo,
        limits,
        deadline,
        out: &mut out,
        blobs: HashMap::new(),
        order: Vec::new(),
        clean: HashSet::new(),
        places: HashSet::new(),
        entries: 0,
        bufs: Vec::new(),
        halted: false,
    };
    // Past the cap on commits the commits walked are still listed; past the clock or a
    // cap on listing, listing stops.
    for (index, commit) in commits.iter().enumerate() {
        if lister.halted {
            break;
        }
        if past(deadline) {
            if let Some(budget) = limits.time_budget {
                lister.halt(Stop::Time(budget));
            }
            break;
        }
        lister.list(commit.tree, "", 0, index);
    }
    let Lister { blobs, order, .. } = lister;
    out.blobs_found = order.len();
    let in_head = head_blobs(&repo, head_tree, limits, deadline, &mut out);

    let counters = Counters::default();
    let sync = repo.into_sync();
    let outcomes: Vec<(ObjectId, BlobOutcome<T>)> = order
        .par_iter()
        .map_init(
            || (sync.to_thread_local(), Vec::new()),
            |(repo, buf), id| {
                let path = blobs.get(id).map(|b| b.path.as_str()).unwrap_or("");
                let outcome = read_and_scan(repo, buf, id, path, limits, deadline, &counters, scan);
                (*id, outcome)
            },
        )
        .collect();
    if counters.out_of_time.load(Ordering::Relaxed) {
        if let Some(budget) = limits.time_budget {
            out.stop(Stop::Time(budget));
        }
    }
    if let Ok(Some(stop)) = counters.stopped.into_inner() {
        out.stop(stop);
    }
    for (id, outcome) in outcomes {
        match outcome {
            BlobOutcome::Scanned {
                bytes,
                hits,
                truncated,
            } => {
                out.blobs_scanned += 1;
                out.bytes_scanned += bytes;
                out.truncated += usize::from(truncated);
                let Some(seen) = blobs.get(&id) else { continue };
                let Some(commit) = commits.get(seen.commit) else {
                    continue;
                };
                let date = iso_date(commit.seconds);
                for hit in hits {
                    out.hits.push(HistoryHit {
                        hit,
                        blob: id.to_string(),
                        path: seen.path.clone(),
                        commit: commit.id.to_string(),
                        date: date.clone(),
                        in_head: in_head.contains(&id),
                    });
                }
            }
            BlobOutcome::Large => out.skipped_large += 1,
            BlobOutcome::Binary => out.skipped_binary += 1,
            BlobOutcome::NotRead => {}
            BlobOutcome::Unreadable(e) => problem(&mut out, format!("blob {id}: {e}")),
        }
    }
    Ok(out)
}

/// Lists the trees of every commit, recording each blob once with the oldest commit
/// and the first path it appears at.
struct Lister<'a, T> {
    repo: &'a gix::Repository,
    limits: &'a HistoryLimits,
    deadline: Option<Instant>,
    out: &'a mut HistoryScan<T>,
    blobs: HashMap<ObjectId, BlobSeen>,
    /// Blob ids in the order first seen.
    order: Vec<ObjectId>,
    /// Subtrees listed whole with nothing beneath left out by the ignore globs: every
    /// blob beneath is known, from an older or equally old commit (commits are listed
    /// oldest first), so wherever the subtree appears again it is not listed again.
    /// This is what makes a fan-out bomb (one subtree referenced thousands of times at
    /// many depths) cost one listing per distinct tree.
    clean: HashSet<ObjectId>,
    /// Subtrees that hold ignored paths, by place (a hash of the path): what is left
    /// out depends on where the subtree sits, so such a subtree is listed once per
    /// place.
    places: HashSet<(ObjectId, u64)>,
    /// Tree entries visited.
    entries: usize,
    /// One decoding buffer per depth, reused.
    bufs: Vec<Vec<u8>>,
    /// Set when a bound stopped the listing.
    halted: bool,
}

/// An entry of a tree, owned, so the tree's buffer can be reused beneath it.
struct Entry {
    name: Vec<u8>,
    id: ObjectId,
    tree: bool,
    blob: bool,
}

impl<T> Lister<'_, T> {
    /// Lists tree `id` at `prefix` for the commit at `commit`; true when it was listed
    /// whole and nothing beneath it was left out by the ignore globs.
    fn list(&mut self, id: ObjectId, prefix: &str, depth: usize, commit: usize) -> bool {
        if self.halted {
            return false;
        }
        if self.clean.contains(&id) {
            return true;
        }
        if !self.limits.ignore.is_empty() {
            if self.places.len() >= MAX_PLACES {
                self.halt(Stop::Places(MAX_PLACES));
                return false;
            }
            if !self.places.insert((id, place_hash(prefix))) {
                return false;
            }
        }
        let Some(entries) = self.entries_of(id, depth) else {
            // Unreadable: recorded; not memoised, so another place may try again.
            return false;
        };
        let mut clean = true;
        for entry in entries {
            self.entries += 1;
            if self.entries > self.limits.max_tree_entries {
                self.halt(Stop::TreeEntries(self.limits.max_tree_entries));
                return false;
            }
            // The clock is cheap next to decoding a tree, but not free: every 256 entries.
            if self.entries % 256 == 0 && past(self.deadline) {
                match self.limits.time_budget {
                    Some(budget) => self.halt(Stop::Time(budget)),
                    None => self.halted = true,
                }
                return false;
            }
            let Some(path) = child_path(prefix, &entry.name) else {
                continue;
            };
            if path.len() > MAX_PATH_BYTES {
                problem(
                    self.out,
                    format!("paths longer than {MAX_PATH_BYTES} bytes are not followed"),
                );
                clean = false;
                continue;
            }
            if entry.tree {
                if depth < MAX_TREE_DEPTH {
                    clean &= self.list(entry.id, &path, depth + 1, commit);
                } else {
                    clean = false;
                }
            } else if entry.blob {
                if self.limits.ignore.is_match(&path) {
                    self.out.skipped_ignored += 1;
                    clean = false;
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(v) = self.blobs.entry(entry.id) {
                    v.insert(BlobSeen { commit, path });
                    self.order.push(entry.id);
                }
            }
            // Symbolic links and submodules hold no file content.
        }
        if clean && !self.halted {
            self.clean.insert(id);
        }
        clean && !self.halted
    }

    fn halt(&mut self, stop: Stop) {
        self.out.stop(stop);
        self.halted = true;
    }

    /// The entries of tree `id`, or `None` (recorded) when it cannot be read.
    fn entries_of(&mut self, id: ObjectId, depth: usize) -> Option<Vec<Entry>> {
        while self.bufs.len() <= depth {
            self.bufs.push(Vec::new());
        }
        let buf = self.bufs.get_mut(depth)?;
        match FindExt::find_tree(&self.repo.objects, &id, buf) {
            Ok(tree) => Some(
                tree.entries
                    .iter()
                    .map(|e| Entry {
                        name: e.filename.to_vec(),
                        id: e.oid.to_owned(),
                        tree: e.mode.is_tree(),
                        blob: e.mode.is_blob(),
                    })
                    .collect(),
            ),
            Err(e) => {
                problem(self.out, format!("tree {id}: {e}"));
                None
            }
        }
    }
}

/// A hash of a path, standing for it in the set of places listed.
fn place_hash(path: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    h.finish()
}

/// Commits reachable from `head`, oldest first by committer time.
fn list_commits<T>(
    repo: &gix::Repository,
    head: ObjectId,
    limits: &HistoryLimits,
    deadline: Option<Instant>,
    out: &mut HistoryScan<T>,
) -> Vec<CommitAt> {
    let mut ids = Vec::new();
    let out_of_time = |out: &mut HistoryScan<T>| {
        if let Some(budget) = limits.time_budget {
            out.stop(Stop::Time(budget));
        }
    };
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
                    out.stop(Stop::Commits(limits.max_commits));
                    break;
                }
                if ids.len() % 256 == 0 && past(deadline) {
                    out_of_time(out);
                    break;
                }
            }
        }
        Err(e) => problem(out, format!("history walk: {e}")),
    }
    let mut buf = Vec::new();
    let mut commits: Vec<(usize, CommitAt)> = Vec::with_capacity(ids.len());
    for (walked, id) in ids.into_iter().enumerate() {
        if walked % 256 == 0 && past(deadline) {
            out_of_time(out);
            break;
        }
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

/// Blob ids in HEAD's tree, each subtree listed once.
fn head_blobs<T>(
    repo: &gix::Repository,
    tree: ObjectId,
    limits: &HistoryLimits,
    deadline: Option<Instant>,
    out: &mut HistoryScan<T>,
) -> HashSet<ObjectId> {
    let mut ids = HashSet::new();
    let mut listed = HashSet::new();
    let mut stack = vec![(tree, 0usize)];
    let mut buf = Vec::new();
    let mut entries = 0usize;
    while let Some((tree_id, depth)) = stack.pop() {
        if !listed.insert(tree_id) {
            continue;
        }
        let tree = match FindExt::find_tree(&repo.objects, &tree_id, &mut buf) {
            Ok(t) => t,
            Err(e) => {
                problem(out, format!("HEAD tree {tree_id}: {e}"));
                continue;
            }
        };
        for entry in &tree.entries {
            entries += 1;
            // A partial set would call blobs HEAD still holds removed: say the scan
            // stopped.
            if entries > limits.max_tree_entries {
                out.stop(Stop::TreeEntries(limits.max_tree_entries));
                return ids;
            }
            if entries % 256 == 0 && past(deadline) {
                if let Some(budget) = limits.time_budget {
                    out.stop(Stop::Time(budget));
                }
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
    Scanned {
        bytes: u64,
        hits: Vec<T>,
        /// The scanner stopped early at its own bound (not the deadline).
        truncated: bool,
    },
    Large,
    Binary,
    /// Not read: a budget stopped the scan first.
    NotRead,
    Unreadable(String),
}

/// What the blob readers share: the budgets spent so far and why they stopped.
#[derive(Default)]
struct Counters {
    bytes: AtomicU64,
    read: AtomicUsize,
    hits: AtomicUsize,
    /// Set once the deadline has passed: the remaining blobs are not read.
    out_of_time: AtomicBool,
    /// The first count budget that stopped the scan.
    stopped: Mutex<Option<Stop>>,
}

impl Counters {
    fn stop(&self, stop: Stop) {
        if let Ok(mut s) = self.stopped.lock() {
            s.get_or_insert(stop);
        }
    }
}

/// Reads one blob (its header first, so a large one is never inflated) and scans it.
#[allow(clippy::too_many_arguments)]
fn read_and_scan<T, F>(
    repo: &gix::Repository,
    buf: &mut Vec<u8>,
    id: &ObjectId,
    path: &str,
    limits: &HistoryLimits,
    deadline: Option<Instant>,
    counters: &Counters,
    scan: &F,
) -> BlobOutcome<T>
where
    F: Fn(&str, &str, Option<Instant>) -> BlobScan<T>,
{
    if counters.out_of_time.load(Ordering::Relaxed) || past(deadline) {
        counters.out_of_time.store(true, Ordering::Relaxed);
        return BlobOutcome::NotRead;
    }
    let size = match FindHeader::try_header(repo, id) {
        Ok(Some(h)) => h.size,
        Ok(None) => return BlobOutcome::Unreadable("missing".into()),
        Err(e) => return BlobOutcome::Unreadable(e.to_string()),
    };
    if size > limits.max_file_bytes {
        return BlobOutcome::Large;
    }
    if counters.read.fetch_add(1, Ordering::Relaxed) >= limits.max_blobs {
        counters.stop(Stop::Blobs(limits.max_blobs));
        return BlobOutcome::NotRead;
    }
    if counters
        .bytes
        .fetch_add(size, Ordering::Relaxed)
        .saturating_add(size)
        > limits.max_total_bytes
    {
        counters.stop(Stop::Bytes(limits.max_total_bytes));
        return BlobOutcome::NotRead;
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
    let BlobScan { mut hits, complete } = scan(path, &text, deadline);
    let timed_out = !complete && past(deadline);
    if timed_out {
        counters.out_of_time.store(true, Ordering::Relaxed);
    }
    // What is kept is bounded too: past the budget of secrets, hits are dropped.
    if counters.hits.fetch_add(hits.len(), Ordering::Relaxed) + hits.len() > limits.max_hits {
        counters.stop(Stop::Hits(limits.max_hits));
        hits.clear();
    }
    BlobOutcome::Scanned {
        bytes: data.len() as u64,
        hits,
        truncated: !complete && !timed_out,
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
    if out.problems.len() < MAX_PROBLEMS && !out.problems.contains(&message) {
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
    fn secrets(_path: &str, text: &str, _deadline: Option<Instant>) -> BlobScan<(u32, String)> {
        let re = regex::Regex::new(r"SECRET_[A-Z0-9]{12}").unwrap();
        text.lines()
            .enumerate()
            .flat_map(|(i, l)| {
                re.find_iter(l)
                    .map(move |m| (i as u32 + 1, m.as_str().to_string()))
            })
            .collect::<Vec<_>>()
            .into()
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
        assert!(!scan.shallow && scan.stopped.is_none() && scan.problems.is_empty());
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
        let scan = scan_history(root, &HistoryLimits::default(), |path, _text, _| {
            calls.lock().unwrap().push(path.to_string());
            BlobScan::<()>::from(Vec::new())
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
        assert_eq!(scan.stopped, Some(Stop::Blobs(2)));
        assert_eq!(scan.blobs_scanned, 2);
        assert_eq!(scan.blobs_found, 5);
    }

    /// Runs `git` with `input` on its standard input.
    fn git_in(dir: &Path, args: &[&str], input: &str) -> String {
        use std::io::Write;
        let mut child = Command::new("git")
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Commits a tree fan-out bomb: `depth` levels, each tree naming the one below
    /// `width` times, the bottom one naming one blob `width` times: `width^depth`
    /// paths from `depth` trees and one blob.
    fn fan_out_bomb(root: &Path, width: usize, depth: usize) -> String {
        let blob = git_in(
            root,
            &["hash-object", "-w", "--stdin"],
            "SECRET_BOMBBOMBBOMB\n",
        );
        let mut listing: String = (0..width)
            .map(|i| format!("100644 blob {blob}\tf{i}\n"))
            .collect();
        let mut tree = git_in(root, &["mktree"], &listing);
        for _ in 1..depth {
            listing = (0..width)
                .map(|i| format!("040000 tree {tree}\td{i}\n"))
                .collect();
            tree = git_in(root, &["mktree"], &listing);
        }
        let commit = git(
            root,
            "2024-01-01T00:00:00Z",
            &["commit-tree", &tree, "-m", "bomb"],
        );
        git(root, "", &["update-ref", "HEAD", &commit]);
        commit
    }

    #[test]
    fn a_tree_fan_out_bomb_lists_each_tree_once() {
        let repo = new_repo();
        // 10^8 paths from eight trees and one blob.
        fan_out_bomb(repo.path(), 10, 8);
        let limits = HistoryLimits {
            max_tree_entries: 1_000_000,
            ..HistoryLimits::default()
        };
        let calls = AtomicUsize::new(0);
        let started = Instant::now();
        let scan = scan_history(repo.path(), &limits, |path, text, deadline| {
            calls.fetch_add(1, Ordering::Relaxed);
            secrets(path, text, deadline)
        })
        .unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(scan.stopped, None);
        assert_eq!((scan.blobs_found, scan.blobs_scanned), (1, 1));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        assert_eq!(scan.hits.len(), 1);
        assert_eq!(scan.hits[0].path, "d0/d0/d0/d0/d0/d0/d0/f0");
    }

    #[test]
    fn a_subtree_first_seen_at_an_ignored_place_is_scanned_where_it_is_not() {
        let repo = new_repo();
        let root = repo.path();
        // `external` sorts first: the subtree is met at its ignored place first.
        for dir in ["external/lib", "src/lib"] {
            fs::create_dir_all(root.join(dir)).unwrap();
            fs::write(root.join(dir).join("keys.txt"), "SECRET_SAMESAMESAME\n").unwrap();
        }
        commit_all(root, "2024-01-01T00:00:00Z", "same tree twice");
        let mut ignore = globset::GlobSetBuilder::new();
        ignore.add(globset::Glob::new("external/**").unwrap());
        let limits = HistoryLimits {
            ignore: ignore.build().unwrap(),
            ..HistoryLimits::default()
        };
        let scan = scan_history(root, &limits, secrets).unwrap();
        assert_eq!(scan.skipped_ignored, 1);
        assert_eq!(scan.hits.len(), 1);
        assert_eq!(scan.hits[0].path, "src/lib/keys.txt");
    }

    #[test]
    fn the_time_budget_stops_the_scan_and_says_so() {
        let repo = new_repo();
        let root = repo.path();
        for n in 0..20 {
            fs::write(root.join(format!("{n}.txt")), format!("file {n}\n")).unwrap();
        }
        commit_all(root, "2024-01-01T00:00:00Z", "x");
        let limits = HistoryLimits {
            time_budget: Some(Duration::from_millis(300)),
            ..HistoryLimits::default()
        };
        let scan = scan_history(root, &limits, |path, text, deadline| {
            std::thread::sleep(Duration::from_millis(100));
            secrets(path, text, deadline)
        })
        .unwrap();
        assert_eq!(scan.stopped, Some(Stop::Time(Duration::from_millis(300))));
        assert!(scan.blobs_scanned < 20, "{}", scan.blobs_scanned);
        assert_eq!(scan.blobs_found, 20);
        assert_eq!(
            Stop::Time(Duration::from_secs(60)).describe(),
            "its 60 s time budget"
        );
    }

    /// Scans on another thread; `None` when the scan does not finish in time.
    fn scan_within(
        root: &Path,
        seconds: u64,
    ) -> Option<Result<HistoryScan<(u32, String)>, HistoryError>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(scan_history(&root, &HistoryLimits::default(), secrets));
        });
        rx.recv_timeout(Duration::from_secs(seconds)).ok()
    }

    #[cfg(unix)]
    #[test]
    fn fifos_and_devices_in_the_git_directory_are_refused_not_opened() {
        use std::os::unix::fs::symlink;
        for (name, fifo) in [
            ("HEAD", true),
            ("config", true),
            ("config", false),
            ("packed-refs", false),
            ("objects/info/alternates", true),
        ] {
            let repo = new_repo();
            let root = repo.path();
            fs::write(root.join("a.txt"), "SECRET_AAAAAAAAAAAA\n").unwrap();
            commit_all(root, "2024-01-01T00:00:00Z", "x");
            let path = root.join(".git").join(name);
            let _ = fs::remove_file(&path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            if fifo {
                nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
            } else {
                symlink("/dev/zero", &path).unwrap();
            }
            let err = scan_within(root, 30)
                .unwrap_or_else(|| panic!("{name}: the scan hung"))
                .unwrap_err();
            let HistoryError::Refused(why) = &err else {
                panic!("{name}: {err}")
            };
            let expected = if fifo {
                "is not a regular file"
            } else {
                "points outside it"
            };
            assert!(
                why.contains(name) && why.contains(expected),
                "{name}: {why}"
            );
        }
    }

    /// Prepares a git directory for one case.
    type Setup<'a> = &'a dyn Fn(&Path);

    #[cfg(unix)]
    #[test]
    fn object_stores_outside_the_root_are_not_followed() {
        use std::os::unix::fs::symlink;
        let other = new_repo();
        fs::write(other.path().join("a.txt"), "SECRET_ELSEWHERE0001\n").unwrap();
        let commit = commit_all(other.path(), "2024-01-01T00:00:00Z", "x");
        let objects = other.path().join(".git/objects");
        let cases: [(&str, Setup<'_>); 3] = [
            ("(objects/info/alternates); not followed", &|git: &Path| {
                fs::write(
                    git.join("objects/info/alternates"),
                    format!("{}\n", objects.display()),
                )
                .unwrap();
            }),
            (
                "(objects is a symbolic link); not followed",
                &|git: &Path| {
                    fs::remove_dir_all(git.join("objects")).unwrap();
                    symlink(&objects, git.join("objects")).unwrap();
                },
            ),
            ("(commondir); not followed", &|git: &Path| {
                fs::write(
                    git.join("commondir"),
                    format!("{}\n", other.path().join(".git").display()),
                )
                .unwrap();
            }),
        ];
        for (expected, setup) in cases {
            let repo = new_repo();
            let git_dir = repo.path().join(".git");
            fs::create_dir_all(git_dir.join("refs/heads")).unwrap();
            fs::create_dir_all(git_dir.join("objects/info")).unwrap();
            fs::write(git_dir.join("refs/heads/main"), format!("{commit}\n")).unwrap();
            setup(&git_dir);
            let err = scan_history(repo.path(), &HistoryLimits::default(), secrets).unwrap_err();
            let HistoryError::Refused(why) = &err else {
                panic!("{expected}: {err}")
            };
            assert!(why.contains(expected), "{why}");
        }
    }

    #[test]
    fn past_the_commit_budget_the_commits_walked_are_still_scanned() {
        let repo = new_repo();
        let root = repo.path();
        for n in 0..3 {
            fs::write(
                root.join(format!("{n}.txt")),
                format!("SECRET_COMMIT{n:07}\n"),
            )
            .unwrap();
            commit_all(root, &format!("2024-01-0{}T00:00:00Z", n + 1), "step");
        }
        let limits = HistoryLimits {
            max_commits: 2,
            ..HistoryLimits::default()
        };
        let scan = scan_history(root, &limits, secrets).unwrap();
        assert_eq!(scan.stopped, Some(Stop::Commits(2)));
        assert_eq!(scan.commits, 2);
        assert_eq!(scan.blobs_scanned, 3);
        assert_eq!(scan.hits.len(), 3);
    }

    #[test]
    fn dates_are_iso_8601_utc() {
        assert_eq!(iso_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_date(1_706_932_706), "2024-02-03T03:58:26Z");
    }
}
