//! The scratch copy the tests run in: the repository's files copied into a fresh
//! directory outside it, so nothing a test writes can reach the checkout. Once a
//! command has run, everything in it is the tests' to rearrange: greenlight then reaches
//! it only through a directory descriptor opened beforehand, one component at a time,
//! never following a link.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat};
use nix::sys::stat::{Mode, mkdirat};

/// Directories never copied: version control, caches, build output and environments
/// (an environment is used where it is, read-only).
const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "node_modules",
    "target",
];

/// Largest repository copied, in bytes: a quarter of what the scratch directory may
/// hold (`limits::SCRATCH_BYTES`), leaving the rest to environments and build output.
pub const MAX_COPY_BYTES: u64 = 2 << 30;

/// A temporary directory holding `work/` — the directory the sandbox may write to, with
/// `repo/` (the copy), `out/` (reports the runners write) and room for an environment —
/// and `blank`, an empty read-only file out of the sandbox's reach that is mounted over
/// the files it hides. Removed when dropped, or by the interrupt handler.
pub struct Scratch {
    /// `None` once removed.
    dir: Option<tempfile::TempDir>,
    /// `work/`, with links resolved (a linked TMPDIR), as the runners print it.
    path: PathBuf,
    blank: PathBuf,
    /// `work/`, opened before any command ran. The sandbox cannot replace `work/`
    /// itself (it is the mount point of its bind), only what is inside.
    fd: OwnedFd,
}

impl Scratch {
    pub fn new() -> Result<Scratch, String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot create a scratch directory: {e}");
        let dir = super::interrupt::track_scratch(|| {
            tempfile::Builder::new().prefix("greenlight-run-").tempdir()
        })
        .map_err(|e| fail(&e))?;
        for sub in ["work/repo", "work/out", "work/tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).map_err(|e| fail(&e))?;
        }
        let blank = dir.path().join("blank");
        std::fs::File::create(&blank).map_err(|e| fail(&e))?;
        let work = dir.path().join("work");
        let path = work.canonicalize().unwrap_or(work);
        let fd = open(
            &path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| fail(&e))?;
        Ok(Scratch {
            dir: Some(dir),
            path,
            blank,
            fd,
        })
    }

    /// The directory the sandbox may write to.
    pub fn root(&self) -> &Path {
        &self.path
    }

    pub fn repo(&self) -> PathBuf {
        self.path.join("repo")
    }

    pub fn out(&self) -> PathBuf {
        self.path.join("out")
    }

    /// An empty file the sandbox can neither write nor replace.
    pub fn blank(&self) -> &Path {
        &self.blank
    }

    /// Copies `root` into `repo/`. Symbolic links are recreated only when they point
    /// inside the repository; special files are skipped. Runs before any command, so
    /// paths into the copy are still the copy's.
    pub fn copy_from(&self, root: &Path) -> Result<u64, String> {
        let dest = self.repo();
        let canonical_root = root.canonicalize().ok();
        let mut total: u64 = 0;
        let walker = ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .follow_links(false)
            .filter_entry(|e| {
                !(e.depth() > 0
                    && e.file_type().is_some_and(|t| t.is_dir())
                    && e.file_name()
                        .to_str()
                        .is_some_and(|n| SKIP_DIRS.contains(&n)))
            })
            .build();
        for entry in walker {
            let Ok(entry) = entry else { continue };
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            if rel.as_os_str().is_empty() {
                continue;
            }
            let target = dest.join(rel);
            let Some(ft) = entry.file_type() else {
                continue;
            };
            let result = if ft.is_dir() {
                std::fs::create_dir_all(&target)
            } else if ft.is_file() {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                total = total.saturating_add(size);
                if total > MAX_COPY_BYTES {
                    return Err(format!(
                        "the repository is larger than {} GiB; too large to copy for a test run",
                        MAX_COPY_BYTES >> 30
                    ));
                }
                std::fs::copy(entry.path(), &target).map(|_| ())
            } else if ft.is_symlink() {
                // Lexically inside, and inside once every link on the way is resolved
                // (`a -> ..` then `b -> a/..` is not).
                let resolves_inside = std::fs::canonicalize(entry.path())
                    .is_ok_and(|p| canonical_root.as_ref().is_some_and(|r| p.starts_with(r)));
                match std::fs::read_link(entry.path()) {
                    Ok(link) if stays_inside(rel, &link) && resolves_inside => {
                        std::os::unix::fs::symlink(&link, &target)
                    }
                    _ => Ok(()),
                }
            } else {
                Ok(())
            };
            if let Err(e) = result {
                return Err(format!(
                    "cannot copy {} for the test run: {e}",
                    rel.display()
                ));
            }
        }
        Ok(total)
    }

    /// Reads a report a runner wrote at `path` (inside the scratch directory): a
    /// regular file of at most 64 MiB, reached without following a link anywhere on
    /// the way, so a test that swapped a directory for a link to the host's files
    /// cannot make greenlight read them.
    pub fn read(&self, path: &Path) -> Option<String> {
        let (dir, name) = self.parent_of(path).ok()?;
        let fd = openat(
            &dir,
            name,
            OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        read_capped(std::fs::File::from(fd))
    }

    /// The names in the directory at `path`; none when it is not a directory reached
    /// without links.
    pub fn list(&self, path: &Path) -> Vec<OsString> {
        let Ok(fd) = self.open_dir(path) else {
            return Vec::new();
        };
        let Ok(mut dir) = nix::dir::Dir::from_fd(fd) else {
            return Vec::new();
        };
        dir.iter()
            .flatten()
            .map(|e| OsStr::from_bytes(e.file_name().to_bytes()).to_os_string())
            .filter(|n| n != "." && n != "..")
            .collect()
    }

    /// Creates the directory at `path` and its missing parents, refusing links.
    pub fn create_dir_all(&self, path: &Path) -> Result<(), String> {
        let names = self.names(path).map_err(|e| e.desc())?;
        let mut dir = self.fd.try_clone().map_err(|e| e.to_string())?;
        for name in names {
            match mkdirat(&dir, name, Mode::from_bits_truncate(0o755)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(e.desc().to_string()),
            }
            dir = openat(&dir, name, dir_flags(), Mode::empty()).map_err(|e| e.desc())?;
        }
        Ok(())
    }

    /// Writes `bytes` to a new or truncated regular file at `path`, refusing links.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), String> {
        let (dir, name) = self.parent_of(path).map_err(|e| e.desc())?;
        let fd = openat(
            &dir,
            name,
            OFlag::O_WRONLY
                | OFlag::O_CREAT
                | OFlag::O_TRUNC
                | OFlag::O_NOFOLLOW
                | OFlag::O_NONBLOCK
                | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o644),
        )
        .map_err(|e| e.desc())?;
        std::fs::File::from(fd)
            .write_all(bytes)
            .map_err(|e| e.to_string())
    }

    /// Creates a symbolic link at `path` pointing to `target`, refusing links on the way.
    pub fn symlink(&self, target: &Path, path: &Path) -> Result<(), String> {
        let (dir, name) = self.parent_of(path).map_err(|e| e.desc())?;
        nix::unistd::symlinkat(target, &dir, name).map_err(|e| e.desc().to_string())
    }

    /// The components of `path` below the scratch directory: plain names only.
    fn names<'a>(&self, path: &'a Path) -> Result<Vec<&'a OsStr>, Errno> {
        let rel = path.strip_prefix(&self.path).map_err(|_| Errno::EXDEV)?;
        rel.components()
            .map(|c| match c {
                Component::Normal(n) => Ok(n),
                _ => Err(Errno::EINVAL),
            })
            .collect()
    }

    /// The directory at `path`, reached from the held descriptor one component at a
    /// time, each opened without following a link.
    fn open_dir(&self, path: &Path) -> Result<OwnedFd, Errno> {
        let mut dir = self.fd.try_clone().map_err(|_| Errno::EBADF)?;
        for name in self.names(path)? {
            dir = openat(&dir, name, dir_flags(), Mode::empty())?;
        }
        Ok(dir)
    }

    /// The directory holding `path`, and its last component.
    fn parent_of<'a>(&self, path: &'a Path) -> Result<(OwnedFd, &'a OsStr), Errno> {
        let name = match path.components().next_back() {
            Some(Component::Normal(n)) => n,
            _ => return Err(Errno::EINVAL),
        };
        let parent = path.parent().ok_or(Errno::EINVAL)?;
        Ok((self.open_dir(parent)?, name))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            // Removed first, then forgotten: an interrupt in between removes it again.
            let _ = dir.close();
            super::interrupt::forget_scratch(&path);
        }
    }
}

/// Flags for a directory on the way: never a link.
fn dir_flags() -> OFlag {
    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC
}

/// Largest report read, in bytes.
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a report the user named (`--junit`, `--coverage`). A link in its last
/// component is not followed, only regular files are read, and at most 64 MiB.
pub fn read_report(path: &Path) -> Option<String> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    read_capped(file)
}

/// The text of `file` when it is a regular file of at most 64 MiB.
fn read_capped(file: std::fs::File) -> Option<String> {
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_REPORT_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_REPORT_BYTES).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether a relative link at `at` (relative to the root) resolves inside the root.
fn stays_inside(at: &Path, link: &Path) -> bool {
    if link.is_absolute() {
        return false;
    }
    let mut depth: i64 = at.components().count() as i64 - 1;
    for c in link.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chained_links_out_of_the_root_are_not_copied() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("..", src.path().join("sub/up")).unwrap();
        std::os::unix::fs::symlink("up/../..", src.path().join("sub/x")).unwrap();
        let s = Scratch::new().unwrap();
        s.copy_from(src.path()).unwrap();
        assert!(s.repo().join("sub/x").symlink_metadata().is_err());
    }

    #[test]
    fn links_out_of_the_root_are_not_copied() {
        assert!(stays_inside(Path::new("a/link"), Path::new("../b/file")));
        assert!(!stays_inside(
            Path::new("a/link"),
            Path::new("../../etc/passwd")
        ));
        assert!(!stays_inside(Path::new("link"), Path::new("/etc/passwd")));
    }

    #[test]
    fn the_copy_skips_caches_and_environments() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("pkg/__pycache__")).unwrap();
        std::fs::create_dir_all(src.path().join(".venv/lib")).unwrap();
        std::fs::write(src.path().join("pkg/mod.py"), "x = 1\n").unwrap();
        std::fs::write(src.path().join("pkg/__pycache__/mod.pyc"), "").unwrap();
        std::fs::write(src.path().join(".venv/lib/x.py"), "").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", src.path().join("escape")).unwrap();
        std::os::unix::fs::symlink("pkg/mod.py", src.path().join("inside")).unwrap();
        let s = Scratch::new().unwrap();
        s.copy_from(src.path()).unwrap();
        let r = s.repo();
        assert!(r.join("pkg/mod.py").is_file());
        assert!(!r.join("pkg/__pycache__").exists());
        assert!(!r.join(".venv").exists());
        assert!(r.join("escape").symlink_metadata().is_err());
        assert_eq!(
            std::fs::read_to_string(r.join("inside")).unwrap(),
            "x = 1\n"
        );
    }

    #[test]
    fn reports_behind_a_link_anywhere_on_the_way_are_not_read() {
        let s = Scratch::new().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(outside.path().join("python")).unwrap();
        std::fs::write(outside.path().join("python/junit.xml"), "CANARY").unwrap();
        std::fs::write(outside.path().join("report.json"), "CANARY").unwrap();
        s.create_dir_all(&s.out().join("python")).unwrap();
        std::fs::write(s.out().join("python/junit.xml"), "own").unwrap();
        assert_eq!(s.read(&s.out().join("python/junit.xml")).unwrap(), "own");
        // The last component, an intermediate directory, and `out/` itself.
        std::os::unix::fs::symlink(outside.path().join("report.json"), s.out().join("r")).unwrap();
        assert_eq!(s.read(&s.out().join("r")), None);
        std::fs::rename(s.out().join("python"), s.out().join("moved")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("python"), s.out().join("python")).unwrap();
        assert_eq!(s.read(&s.out().join("python/junit.xml")), None);
        std::fs::rename(s.out(), s.root().join("out-moved")).unwrap();
        std::os::unix::fs::symlink(outside.path(), s.out()).unwrap();
        assert_eq!(s.read(&s.out().join("python/junit.xml")), None);
        assert!(s.list(&s.out()).is_empty());
        // Nor is anything created or written through a link.
        assert!(s.create_dir_all(&s.out().join("rust")).is_err());
        assert!(s.write(&s.out().join("nextest.toml"), b"x").is_err());
        assert!(!outside.path().join("rust").exists());
        assert!(!outside.path().join("nextest.toml").exists());
        // Paths outside the scratch directory are refused outright.
        assert_eq!(s.read(&outside.path().join("report.json")), None);
    }

    #[test]
    fn the_blank_file_is_outside_the_writable_directory() {
        let s = Scratch::new().unwrap();
        assert!(!s.blank().starts_with(s.root()));
        assert_eq!(std::fs::metadata(s.blank()).unwrap().len(), 0);
    }
}
