//! Reading a file of the audited repository at a name greenlight chose rather than one
//! the walk found: an ignore file, git metadata, the repository's own policy. The
//! repository decides what sits at that name, so the file is read only when it is a
//! regular file (a FIFO could block the open or the read forever, a device such as
//! `/dev/zero` never ends), is opened without blocking and without following a
//! symbolic link, resolves inside the root, and is no larger than the caller's cap.

use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Why a file was not read.
#[derive(Debug)]
pub enum Refusal {
    /// Nothing at that name.
    Missing,
    /// A symbolic link where none is followed.
    Link,
    /// A symbolic link (at the name or a directory on the way) that resolves outside
    /// the root.
    Outside,
    /// A FIFO, socket, device or directory.
    NotRegular,
    /// Larger than the cap.
    TooLarge {
        size: u64,
        cap: u64,
    },
    Io(io::Error),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Missing => f.write_str("no such file"),
            Refusal::Link => f.write_str("a symbolic link"),
            Refusal::Outside => f.write_str("a symbolic link out of the repository"),
            Refusal::NotRegular => f.write_str("not a regular file (a FIFO, socket or device)"),
            Refusal::TooLarge { size, cap } => {
                write!(f, "{size} bytes, larger than the {cap}-byte cap")
            }
            Refusal::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for Refusal {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::NotFound => Refusal::Missing,
            _ if is_link_error(&e) => Refusal::Link,
            _ => Refusal::Io(e),
        }
    }
}

/// `ELOOP`: what an open with `O_NOFOLLOW` reports for a symbolic link.
fn is_link_error(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Opens `path` for reading when it is a regular file, without blocking and without
/// following a symbolic link at its last component. The type is checked on the open
/// descriptor, so a file swapped for a FIFO after a `stat` cannot slip through.
pub(crate) fn open_no_follow(path: &Path) -> io::Result<fs::File> {
    open_regular(path).map_err(|r| match r {
        Refusal::Io(e) => e,
        Refusal::Missing => io::Error::from(io::ErrorKind::NotFound),
        other => io::Error::other(other.to_string()),
    })
}

/// [`open_no_follow`], saying why not.
fn open_regular(path: &Path) -> Result<fs::File, Refusal> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting
        // for one. O_NOFOLLOW: a symbolic link fails with ELOOP instead of being opened.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(Refusal::NotRegular);
    }
    Ok(file)
}

/// Reads at most `cap` bytes of the regular file `path`, following symbolic links: for
/// a file the user named, not one the repository did. The open still does not block.
pub(crate) fn read_following(path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(Refusal::NotRegular);
    }
    read_capped(file, cap)
}

/// Reads at most `cap` bytes of the regular file `path` (a symbolic link at the last
/// component is refused).
pub(crate) fn read_no_follow(path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    read_capped(open_regular(path)?, cap)
}

/// Reads an already opened regular file up to `cap` bytes.
fn read_capped(file: fs::File, cap: u64) -> Result<Vec<u8>, Refusal> {
    let size = file.metadata()?.len();
    if size > cap {
        return Err(Refusal::TooLarge { size, cap });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // The file may grow between the stat and the read: never read past the cap.
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > cap {
        return Err(Refusal::TooLarge { size: len, cap });
    }
    Ok(bytes)
}

/// Reads `base/rel` (at most `cap` bytes) when it is a regular file inside `root`.
///
/// `root` is canonical, and `base` is a directory inside it reached without following
/// a symbolic link (a walked directory, the root, a checked git directory). The common
/// case, no link on the way, costs one `lstat` per directory of `rel` and one open; a
/// link anywhere is resolved and followed only when it stays inside the root.
pub(crate) fn read_inside(
    root: &Path,
    base: &Path,
    rel: &Path,
    cap: u64,
) -> Result<Vec<u8>, Refusal> {
    let mut path = base.to_path_buf();
    let mut parts = rel.components().peekable();
    while let Some(part) = parts.next() {
        let Component::Normal(name) = part else {
            // `..`, `/` or a prefix: only plain names lead somewhere known.
            return Err(Refusal::Outside);
        };
        path.push(name);
        if parts.peek().is_none() {
            break;
        }
        let meta = fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            return read_resolved(root, &base.join(rel), cap);
        }
        if !meta.is_dir() {
            return Err(Refusal::Missing);
        }
    }
    match open_regular(&path) {
        Ok(file) => read_capped(file, cap),
        Err(Refusal::Link) => read_resolved(root, &path, cap),
        Err(e) => Err(e),
    }
}

/// Resolves every link of `path` and reads the file when it lies inside `root`.
fn read_resolved(root: &Path, path: &Path, cap: u64) -> Result<Vec<u8>, Refusal> {
    let resolved = resolve_inside(root, path)?;
    read_no_follow(&resolved, cap)
}

/// `path` with every symbolic link resolved, when that stays inside `root` (canonical).
pub(crate) fn resolve_inside(root: &Path, path: &Path) -> Result<PathBuf, Refusal> {
    let resolved = path.canonicalize()?;
    if resolved.starts_with(root) {
        Ok(resolved)
    } else {
        Err(Refusal::Outside)
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn root() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let canonical = dir.path().canonicalize().unwrap();
        (dir, canonical)
    }

    #[test]
    fn reads_a_regular_file_within_its_cap() {
        let (_dir, root) = root();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/f"), "hello").unwrap();
        let bytes = read_inside(&root, &root, Path::new("a/b/f"), 5).unwrap();
        assert_eq!(bytes, b"hello");
        let err = read_inside(&root, &root, Path::new("a/b/f"), 4).unwrap_err();
        assert!(
            matches!(err, Refusal::TooLarge { size: 5, cap: 4 }),
            "{err}"
        );
        let err = read_inside(&root, &root, Path::new("a/none"), 4).unwrap_err();
        assert!(matches!(err, Refusal::Missing), "{err}");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let (_dir, root) = root();
        nix::unistd::mkfifo(&root.join("pipe"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let err = read_inside(&root, &root, Path::new("pipe"), 1024).unwrap_err();
        assert!(matches!(err, Refusal::NotRegular), "{err}");
    }

    #[test]
    fn links_are_followed_only_inside_the_root() {
        let (_dir, root) = root();
        fs::create_dir_all(root.join("real")).unwrap();
        fs::write(root.join("real/f"), "in").unwrap();
        symlink(root.join("real/f"), root.join("inside")).unwrap();
        symlink(root.join("real"), root.join("dir")).unwrap();
        symlink("/dev/zero", root.join("zero")).unwrap();
        symlink("/etc", root.join("etc")).unwrap();
        assert_eq!(
            read_inside(&root, &root, Path::new("inside"), 9).unwrap(),
            b"in"
        );
        assert_eq!(
            read_inside(&root, &root, Path::new("dir/f"), 9).unwrap(),
            b"in"
        );
        for outside in ["zero", "etc/hostname", "../x"] {
            let err = read_inside(&root, &root, Path::new(outside), 9).unwrap_err();
            assert!(
                matches!(err, Refusal::Outside | Refusal::Missing),
                "{outside}: {err}"
            );
        }
        let err = read_inside(&root, &root, Path::new("zero"), 9).unwrap_err();
        assert!(matches!(err, Refusal::Outside), "{err}");
        assert!(matches!(
            read_no_follow(&root.join("inside"), 9).unwrap_err(),
            Refusal::Link
        ));
    }
}
