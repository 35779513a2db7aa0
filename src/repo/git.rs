//! Git facts read straight from the `.git` directory (never by running `git`, whose
//! configuration in a hostile repository can run commands): the commit HEAD points at,
//! the branch, and the tag names.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::open::read_inside;

/// What the repository's git metadata says.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GitInfo {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub tags: Vec<String>,
}

/// Largest `packed-refs` read.
const MAX_PACKED_REFS_BYTES: u64 = 8 * 1024 * 1024;
/// Largest HEAD, loose ref, `commondir` or `.git` file read: each is one line.
const MAX_SMALL_BYTES: u64 = 64 * 1024;
/// Most tags listed from `refs/tags`.
const MAX_TAGS: usize = 10_000;

/// `base/rel` as text, when it is a regular file inside `root` (canonical) of at most
/// `cap` bytes: never a FIFO, a device or a link out of the root.
fn read_small(root: &Path, base: &Path, rel: &str, cap: u64) -> Option<String> {
    let bytes = read_inside(root, base, Path::new(rel), cap).ok()?;
    String::from_utf8(bytes).ok()
}

/// `candidate` when it resolves to a place inside `root` (git metadata of a hostile
/// repository may point anywhere).
fn inside(root: &Path, candidate: PathBuf) -> Option<PathBuf> {
    let root = root.canonicalize().ok()?;
    let resolved = candidate.canonicalize().ok()?;
    resolved.starts_with(&root).then_some(resolved)
}

/// True when `path` is a directory and not a symbolic link.
fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Finds the git directory of `root`: `.git/`, or the directory a `.git` file points
/// to when that stays inside the root.
pub(crate) fn git_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    let meta = fs::symlink_metadata(&dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git);
    }
    if meta.is_file() {
        let canonical = root.canonicalize().ok()?;
        let text = read_small(&canonical, root, ".git", MAX_SMALL_BYTES)?;
        let target = text.trim().strip_prefix("gitdir:")?.trim();
        return inside(root, root.join(target));
    }
    None
}

fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads git facts for `root`; `None` when it is not a git checkout.
pub fn read(root: &Path) -> Option<GitInfo> {
    let dir = git_dir(root)?;
    let canonical = root.canonicalize().ok()?;
    let head = read_small(&canonical, &dir, "HEAD", MAX_SMALL_BYTES)?;
    let head = head.trim();
    // Worktrees keep refs in the common directory (only when it is inside the root).
    let common = read_small(&canonical, &dir, "commondir", MAX_SMALL_BYTES)
        .and_then(|c| inside(root, dir.join(c.trim())))
        .unwrap_or_else(|| dir.clone());
    let packed =
        read_small(&canonical, &common, "packed-refs", MAX_PACKED_REFS_BYTES).unwrap_or_default();
    let mut info = GitInfo::default();
    if let Some(reference) = head.strip_prefix("ref:") {
        let reference = reference.trim();
        info.branch = reference.strip_prefix("refs/heads/").map(str::to_string);
        // Refuse anything that would climb out of the git directory (`read_inside`
        // refuses `..` and absolute paths too).
        if !reference.contains("..") && !Path::new(reference).is_absolute() {
            info.commit = read_small(&canonical, &dir, reference, MAX_SMALL_BYTES)
                .or_else(|| read_small(&canonical, &common, reference, MAX_SMALL_BYTES))
                .map(|s| s.trim().to_string())
                .filter(|s| is_object_id(s))
                .or_else(|| {
                    packed.lines().find_map(|l| {
                        let (id, name) = l.split_once(' ')?;
                        (name.trim() == reference && is_object_id(id)).then(|| id.to_string())
                    })
                });
        }
    } else if is_object_id(head) {
        info.commit = Some(head.to_string());
    }
    let mut tags: Vec<String> = packed
        .lines()
        .filter_map(|l| l.split_once(' ')?.1.trim().strip_prefix("refs/tags/"))
        .map(str::to_string)
        .collect();
    // Listing follows no link: `refs` or `refs/tags` may point anywhere.
    if is_real_dir(&common.join("refs")) && is_real_dir(&common.join("refs/tags")) {
        collect_loose_tags(&common.join("refs/tags"), "", &mut tags, 0);
    }
    tags.sort();
    tags.dedup();
    tags.truncate(MAX_TAGS);
    info.tags = tags;
    Some(info)
}

fn collect_loose_tags(dir: &Path, prefix: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 8 || out.len() >= MAX_TAGS {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            collect_loose_tags(&entry.path(), &format!("{prefix}{name}/"), out, depth + 1);
        } else if ft.is_file() {
            out.push(format!("{prefix}{name}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_head_branch_and_tags() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        fs::create_dir_all(git.join("refs/heads")).unwrap();
        fs::create_dir_all(git.join("refs/tags")).unwrap();
        let id = "a".repeat(40);
        fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        fs::write(git.join("refs/heads/main"), format!("{id}\n")).unwrap();
        fs::write(git.join("refs/tags/v1.0.0"), format!("{id}\n")).unwrap();
        fs::write(git.join("packed-refs"), format!("{id} refs/tags/v0.9.0\n")).unwrap();
        let info = read(dir.path()).unwrap();
        assert_eq!(info.commit.as_deref(), Some(id.as_str()));
        assert_eq!(info.branch.as_deref(), Some("main"));
        assert_eq!(info.tags, vec!["v0.9.0", "v1.0.0"]);
    }

    #[test]
    fn git_metadata_outside_the_root_is_not_read() {
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(outside.path().join("refs/tags")).unwrap();
        fs::write(outside.path().join("HEAD"), "ref: refs/heads/main\n").unwrap();
        fs::write(outside.path().join("refs/tags/v9.9.9"), "a\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(".git"),
            format!("gitdir: {}\n", outside.path().display()),
        )
        .unwrap();
        assert!(read(dir.path()).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn refs_behind_a_link_out_of_the_root_are_not_read() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(outside.path().join("heads")).unwrap();
        fs::write(outside.path().join("heads/main"), "b".repeat(40)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        fs::create_dir_all(&git).unwrap();
        fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        symlink(outside.path(), git.join("refs")).unwrap();
        symlink("/dev/zero", git.join("packed-refs")).unwrap();
        let info = read(dir.path()).unwrap();
        assert_eq!(info.commit, None);
        assert_eq!(info.branch.as_deref(), Some("main"));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_ref_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        fs::create_dir_all(git.join("refs/heads")).unwrap();
        fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        nix::unistd::mkfifo(&git.join("refs/heads/main"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(read(dir.path()).unwrap().commit, None);
    }

    #[test]
    fn no_git_dir_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_none());
    }
}
