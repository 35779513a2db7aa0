//! The git directory, checked before gitoxide opens it. gitoxide follows what the
//! repository names — `commondir`, `objects/info/alternates`, a linked `objects` — into
//! other repositories, and opens whatever sits at the names it reads: a FIFO there
//! blocks it forever, a link to `/dev/zero` feeds it without end. So every path it
//! would read (HEAD, the configuration, `commondir`, `packed-refs`, `shallow`, every
//! ref, every file of the object store and the stores `alternates` adds) must resolve
//! inside the audited root, be a regular file (a directory where one is expected), and
//! stay under a cap where it is read whole. Anything else refuses the scan, with a
//! sentence saying why; nothing is followed.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::repo::open::{Refusal, read_inside, resolve_inside};

/// Cap on one-line files: HEAD, a loose ref, `commondir`, `gitdir`.
const SMALL: u64 = 64 * 1024;
/// Cap on a configuration file, read whole.
const CONFIG: u64 = 1024 * 1024;
/// Cap on `packed-refs` and `shallow`, read whole (or mapped) and held.
const LISTS: u64 = 64 * 1024 * 1024;
/// Cap on `objects/info/alternates`.
const ALTERNATES: u64 = 64 * 1024;
/// Deepest directory nesting checked under `refs/` or `objects/`; git nests two or
/// three levels, ref names a few more.
const MAX_DEPTH: usize = 32;
/// Most object stores followed through `alternates` (each one inside the root).
const MAX_STORES: usize = 8;
/// Entries checked between two looks at the clock.
const CLOCK_EVERY: usize = 1024;

/// Why the git directory is not handed to gitoxide.
#[derive(Debug)]
pub enum Unsafe {
    /// Something in it is not what git would put there, in words.
    Refused(String),
    /// The check itself ran out of time (a directory of millions of entries).
    OutOfTime,
}

/// Checks `git_dir` (inside `root`) before it is opened.
pub fn check(root: &Path, git_dir: &Path, deadline: Option<Instant>) -> Result<(), Unsafe> {
    let root = root
        .canonicalize()
        .map_err(|e| refused(format!("the repository root cannot be resolved: {e}")))?;
    let mut checker = Checker {
        root,
        deadline,
        entries: 0,
        stores: HashSet::new(),
        dirs: HashSet::new(),
    };
    let dir = checker.directory(git_dir, "git directory")?;
    let head = checker.file(&dir, "HEAD", SMALL, true)?.unwrap_or_default();
    checker.file(&dir, "config.worktree", CONFIG, false)?;
    checker.file(&dir, "gitdir", SMALL, false)?;
    let common = match checker.file(&dir, "commondir", SMALL, false)? {
        Some(text) => {
            let target = dir.join(text.trim());
            let common = resolve_inside(&checker.root, &target).map_err(|_| {
                refused(
                    "the repository's git directory points outside it (commondir); not followed",
                )
            })?;
            checker.directory(&common, "common git directory (commondir)")?
        }
        None => dir.clone(),
    };
    let mut places = vec![dir.clone()];
    if common != dir {
        places.push(common);
    }
    // A symbolic HEAD names the ref gitoxide reads next; it may sit outside `refs/`.
    let target = head
        .trim()
        .strip_prefix("ref:")
        .map(str::trim)
        .filter(|r| !r.is_empty() && !r.contains(".."));
    for place in &places {
        for (name, cap) in [
            ("config", CONFIG),
            ("packed-refs", LISTS),
            ("shallow", LISTS),
        ] {
            checker.file(place, name, cap, false)?;
        }
        if let Some(target) = target {
            checker.file(place, target, SMALL, false)?;
        }
        if let Some(refs) = checker.enter(&place.join("refs"), "refs")? {
            checker.tree(&refs, "refs", Some(SMALL), 0)?;
        }
        checker.objects(&place.join("objects"), 0)?;
    }
    Ok(())
}

fn refused(why: impl Into<String>) -> Unsafe {
    Unsafe::Refused(why.into())
}

struct Checker {
    /// The audited root, canonical.
    root: PathBuf,
    deadline: Option<Instant>,
    /// Entries looked at so far, for the clock.
    entries: usize,
    /// Object stores checked (canonical), against `alternates` loops.
    stores: HashSet<PathBuf>,
    /// Directories reached through symbolic links (canonical), against link loops.
    dirs: HashSet<PathBuf>,
}

impl Checker {
    fn tick(&mut self) -> Result<(), Unsafe> {
        self.entries += 1;
        if self.entries % CLOCK_EVERY == 0 && self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Unsafe::OutOfTime);
        }
        Ok(())
    }

    /// `path`, resolved, when it is a directory inside the root.
    fn directory(&self, path: &Path, what: &str) -> Result<PathBuf, Unsafe> {
        let resolved = resolve_inside(&self.root, path).map_err(|e| match e {
            Refusal::Outside => refused(format!(
                "the repository's {what} points outside it; not followed"
            )),
            other => refused(format!("the repository's {what} cannot be read: {other}")),
        })?;
        if !resolved.is_dir() {
            return Err(refused(format!(
                "the repository's {what} is not a directory"
            )));
        }
        Ok(resolved)
    }

    /// Checks `base/name`, a file gitoxide reads whole, and returns its text; `None`
    /// when it is absent and not `required`.
    fn file(
        &mut self,
        base: &Path,
        name: &str,
        cap: u64,
        required: bool,
    ) -> Result<Option<String>, Unsafe> {
        self.tick()?;
        match read_inside(&self.root, base, Path::new(name), cap) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(Refusal::Missing) if !required => Ok(None),
            Err(Refusal::Missing) => Err(refused(format!("the repository has no {name}"))),
            Err(Refusal::Outside | Refusal::Link) => Err(refused(format!(
                "the repository's {name} points outside it; not followed"
            ))),
            Err(Refusal::NotRegular) => Err(refused(format!(
                "the repository's {name} is not a regular file (a FIFO, socket or device)"
            ))),
            Err(Refusal::TooLarge { size, .. }) => Err(refused(format!(
                "the repository's {name} is {size} bytes, more than the {cap} read"
            ))),
            Err(Refusal::Io(e)) => Err(refused(format!(
                "the repository's {name} cannot be read: {e}"
            ))),
        }
    }

    /// `path` resolved, when it is a directory inside the root; `None` when absent.
    fn enter(&self, path: &Path, what: &str) -> Result<Option<PathBuf>, Unsafe> {
        match fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => self.directory(path, what).map(Some),
        }
    }

    /// Checks every entry under `dir` (named `what` in refusals): directories, and
    /// regular files of at most `cap` bytes when a cap is given (a file gitoxide maps
    /// rather than reads, such as a pack, needs none).
    fn tree(
        &mut self,
        dir: &Path,
        what: &str,
        cap: Option<u64>,
        depth: usize,
    ) -> Result<(), Unsafe> {
        if depth > MAX_DEPTH {
            return Err(refused(format!(
                "the repository's {what} nests deeper than {MAX_DEPTH} directories"
            )));
        }
        let entries = fs::read_dir(dir)
            .map_err(|e| refused(format!("the repository's {what} cannot be listed: {e}")))?;
        for entry in entries {
            self.tick()?;
            let entry = entry
                .map_err(|e| refused(format!("the repository's {what} cannot be listed: {e}")))?;
            let shown = format!("{what}/{}", entry.file_name().to_string_lossy());
            let unreadable = |e: std::io::Error| {
                refused(format!("the repository's {shown} cannot be read: {e}"))
            };
            // The type as listed: a symbolic link is not followed by it.
            let kind = entry.file_type().map_err(unreadable)?;
            if kind.is_dir() {
                self.tree(&entry.path(), &shown, cap, depth + 1)?;
                continue;
            }
            let meta = if kind.is_symlink() {
                let resolved = resolve_inside(&self.root, &entry.path()).map_err(|_| {
                    refused(format!(
                        "the repository's {shown} points outside it; not followed"
                    ))
                })?;
                let meta = fs::metadata(&resolved).map_err(unreadable)?;
                if meta.is_dir() {
                    // Each directory once, however many links lead to it.
                    if self.dirs.insert(resolved.clone()) {
                        self.tree(&resolved, &shown, cap, depth + 1)?;
                    }
                    continue;
                }
                meta
            } else if kind.is_file() {
                if cap.is_none() {
                    continue;
                }
                entry.metadata().map_err(unreadable)?
            } else {
                return Err(not_regular(&shown));
            };
            if !meta.is_file() {
                return Err(not_regular(&shown));
            }
            if let Some(cap) = cap {
                if meta.len() > cap {
                    return Err(refused(format!(
                        "the repository's {shown} is {} bytes, more than the {cap} read",
                        meta.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Checks an object store: the directory itself, every file beneath it, and the
    /// stores its `info/alternates` adds.
    fn objects(&mut self, path: &Path, stores: usize) -> Result<(), Unsafe> {
        let linked = match fs::symlink_metadata(path) {
            Ok(m) => m.file_type().is_symlink(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(refused(format!(
                    "the repository's object store cannot be read: {e}"
                )));
            }
        };
        let store = resolve_inside(&self.root, path).map_err(|_| {
            let how = if linked {
                "objects is a symbolic link"
            } else {
                "objects"
            };
            refused(format!(
                "the repository's object store points outside it ({how}); not followed"
            ))
        })?;
        if !store.is_dir() {
            return Err(refused("the repository's object store is not a directory"));
        }
        if !self.stores.insert(store.clone()) {
            return Ok(());
        }
        self.tree(&store, "objects", None, 0)?;
        let Some(list) = self.file(&store, "info/alternates", ALTERNATES, false)? else {
            return Ok(());
        };
        for line in list.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // A quoted path (C-style escapes) is not resolved here: refused, with
            // every other way out of the root.
            let outside = || {
                refused(
                    "the repository's object store points outside it (objects/info/alternates); not followed",
                )
            };
            if line.starts_with('"') || stores >= MAX_STORES {
                return Err(outside());
            }
            let alternate = resolve_inside(&self.root, &store.join(line)).map_err(|_| outside())?;
            self.objects(&alternate, stores + 1)?;
        }
        Ok(())
    }
}

fn not_regular(shown: &str) -> Unsafe {
    refused(format!(
        "the repository's {shown} is not a regular file (a FIFO, socket or device)"
    ))
}
