//! The scratch copy the tests run in: the repository's files copied into a fresh
//! directory outside it, so nothing a test writes can reach the checkout.

use std::path::{Component, Path, PathBuf};

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

/// Largest repository copied, in bytes.
const MAX_COPY_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// A temporary directory holding `repo/` (the copy), `out/` (reports the runners write)
/// and room for an environment; removed when dropped.
pub struct Scratch {
    /// Held for its removal on drop.
    _dir: tempfile::TempDir,
    /// The directory with links resolved (a linked TMPDIR), as the runners print it.
    path: PathBuf,
}

impl Scratch {
    pub fn new() -> Result<Scratch, String> {
        let dir = tempfile::Builder::new()
            .prefix("greenlight-run-")
            .tempdir()
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        for sub in ["repo", "out", "tmp"] {
            std::fs::create_dir_all(dir.path().join(sub))
                .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        }
        let path = dir
            .path()
            .canonicalize()
            .unwrap_or_else(|_| dir.path().to_path_buf());
        Ok(Scratch { _dir: dir, path })
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

    /// Copies `root` into `repo/`. Symbolic links are recreated only when they point
    /// inside the repository; special files are skipped.
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
}

/// Largest report read, in bytes.
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a report: one a runner wrote into the scratch directory (where the tests could
/// have replaced it with a link to anything) or one the user named. Links are not
/// followed, only regular files are read, and at most 64 MiB.
pub fn read_report(path: &Path) -> Option<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
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
}
