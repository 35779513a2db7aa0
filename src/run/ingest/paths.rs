//! Report paths → repository paths. Reports name files however their tool saw them:
//! absolute paths on the machine that ran the tests (often a CI runner, not this one),
//! paths relative to a source directory the report names, Go import paths, `file://`
//! URLs, Windows paths. [`map_path`] finds the repository file such a path means, or
//! says it cannot tell.

use std::collections::{HashMap, HashSet};

/// The repository's files, by path and by file name, for [`map_path`].
#[derive(Debug, Clone, Default)]
pub struct PathIndex {
    paths: HashSet<String>,
    /// File name → the repository paths ending in it.
    by_name: HashMap<String, Vec<String>>,
}

impl PathIndex {
    /// An index of repository-relative paths (`/`-separated; a leading `./` or `\`
    /// separators are tolerated).
    pub fn new(paths: impl IntoIterator<Item = String>) -> PathIndex {
        let mut index = PathIndex::default();
        for path in paths {
            let path = Path::parse(&path);
            let Some(name) = path.parts.last().cloned() else {
                continue;
            };
            let joined = path.joined();
            if index.paths.insert(joined.clone()) {
                index.by_name.entry(name).or_default().push(joined);
            }
        }
        index
    }

    /// Whether `path` (normalised, as [`PathIndex::new`] stores it) is a repository path.
    pub fn contains(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    /// How many distinct paths the index holds.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

/// The repository path `report_path` names, if one can be told.
///
/// `base_dirs` are the directories the report says its paths are relative to
/// (Cobertura `<source>`); `repo_root` is the repository's absolute path with `/`
/// separators. In order:
///
/// 1. `\` becomes `/`; a `file://` prefix, `.` components and a leading `./` go; `..`
///    is resolved.
/// 2. An absolute path under `repo_root` is made relative to it; a relative path (or
///    one so made) that is a repository path is the answer.
/// 3. A relative path joined to a base directory (itself made relative when under
///    `repo_root`) that is a repository path is the answer.
/// 4. Otherwise the repository paths with the same file name compete by how many
///    trailing components they share with the report path. One counts only if all its
///    components match (`example.com/mod/pkg/file.go` → `pkg/file.go`), or, for a
///    relative report path, if all the report path's components do (a path relative to
///    a source directory elsewhere: `pkg/mod.py` → `src/pkg/mod.py`). The most shared
///    components win; a tie is ambiguous and maps to nothing.
pub fn map_path(
    report_path: &str,
    base_dirs: &[String],
    repo_root: &str,
    files: &PathIndex,
) -> Option<String> {
    let path = Path::parse(report_path);
    let name = path.parts.last()?;
    let root = Some(Path::parse(repo_root)).filter(|r| r.absolute);
    let relative = if path.absolute {
        root.as_ref().and_then(|root| path.relative_to(root))
    } else {
        Some(path.parts.clone())
    };
    if let Some(relative) = relative {
        let joined = relative.join("/");
        if files.contains(&joined) {
            return Some(joined);
        }
    }
    if !path.absolute {
        for base in base_dirs {
            let base = Path::parse(base);
            let base = if base.absolute {
                match root.as_ref().and_then(|root| base.relative_to(root)) {
                    Some(relative) => relative,
                    None => continue,
                }
            } else {
                base.parts
            };
            let joined = Path::resolve(base.iter().chain(&path.parts).map(String::as_str), false);
            let joined = joined.joined();
            if files.contains(&joined) {
                return Some(joined);
            }
        }
    }
    suffix_match(&path, name, files)
}

fn suffix_match(path: &Path, name: &str, files: &PathIndex) -> Option<String> {
    let mut best: Option<&String> = None;
    let mut best_shared = 0;
    let mut tied = false;
    for candidate in files.by_name.get(name)? {
        let parts: Vec<&str> = candidate.split('/').collect();
        let shared = parts
            .iter()
            .rev()
            .zip(path.parts.iter().rev())
            .take_while(|(a, b)| **a == b.as_str())
            .count();
        let whole_candidate = shared == parts.len();
        let whole_report = !path.absolute && shared == path.parts.len();
        if shared == 0 || !(whole_candidate || whole_report) {
            continue;
        }
        if shared > best_shared {
            best = Some(candidate);
            best_shared = shared;
            tied = false;
        } else if shared == best_shared {
            tied = true;
        }
    }
    if tied { None } else { best.cloned() }
}

/// A path split into components, normalised.
#[derive(Debug, PartialEq)]
struct Path {
    absolute: bool,
    /// A Windows drive is the first component, lower-cased (`c:`).
    parts: Vec<String>,
}

impl Path {
    fn parse(text: &str) -> Path {
        let text = text.trim().replace('\\', "/");
        let text = strip_prefix_ignore_case(&text, "file://").unwrap_or(&text);
        // file:///C:/x and /C:/x name a drive.
        let text = match text.as_bytes() {
            [b'/', d, b':', ..] if d.is_ascii_alphabetic() => text.get(1..).unwrap_or(text),
            _ => text,
        };
        let drive = matches!(text.as_bytes(), [d, b':', ..] if d.is_ascii_alphabetic());
        let absolute = drive || text.starts_with('/');
        let mut path = Path::resolve(text.split('/'), absolute);
        if drive {
            if let Some(first) = path.parts.first_mut() {
                first.make_ascii_lowercase();
            }
        }
        path
    }

    /// Components with `.` and empty ones dropped and `..` resolved; `..` above the
    /// start of a relative path is kept, above the root of an absolute one dropped.
    fn resolve<'a>(components: impl Iterator<Item = &'a str>, absolute: bool) -> Path {
        let mut parts: Vec<String> = Vec::new();
        for component in components {
            match component {
                "" | "." => {}
                ".." => match parts.last().map(String::as_str) {
                    Some("..") | None if !absolute => parts.push("..".into()),
                    // Never climb above a drive.
                    Some(drive) if parts.len() == 1 && is_drive(drive) => {}
                    Some(_) => {
                        parts.pop();
                    }
                    None => {}
                },
                other => parts.push(other.to_string()),
            }
        }
        Path { absolute, parts }
    }

    fn joined(&self) -> String {
        self.parts.join("/")
    }

    /// The components after `root`'s, when this path is under it.
    fn relative_to(&self, root: &Path) -> Option<Vec<String>> {
        let rest = self.parts.strip_prefix(root.parts.as_slice())?;
        Some(rest.to_vec())
    }
}

fn is_drive(part: &str) -> bool {
    matches!(part.as_bytes(), [d, b':'] if d.is_ascii_alphabetic())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(paths: &[&str]) -> PathIndex {
        PathIndex::new(paths.iter().map(|p| p.to_string()))
    }

    const REPO: &[&str] = &[
        "src/pkg/mod.py",
        "src/pkg/__init__.py",
        "tests/__init__.py",
        "pkg/file.go",
        "main.go",
        "lib/x.py",
        "a/utils.py",
        "b/utils.py",
        "utils/helpers.py",
        "helpers.py",
    ];

    fn map(path: &str, bases: &[&str]) -> Option<String> {
        let bases: Vec<String> = bases.iter().map(|b| b.to_string()).collect();
        map_path(path, &bases, "/home/u/proj/", &index(REPO))
    }

    #[test]
    fn index_normalises_and_dedupes() {
        let idx = index(&["./src/a.py", "src\\a.py", "src/b.py", ""]);
        assert_eq!(idx.len(), 2);
        assert!(idx.contains("src/a.py"));
        assert!(!idx.is_empty());
        assert_eq!(idx.by_name["a.py"], vec!["src/a.py"]);
    }

    #[test]
    fn absolute_paths_under_the_root_are_made_relative() {
        assert_eq!(
            map("/home/u/proj/src/pkg/mod.py", &[]).as_deref(),
            Some("src/pkg/mod.py")
        );
        assert_eq!(
            map("file:///home/u/proj/src/pkg/mod.py", &[]).as_deref(),
            Some("src/pkg/mod.py")
        );
        assert_eq!(
            map("/home/u/proj/./src/../src/pkg//mod.py", &[]).as_deref(),
            Some("src/pkg/mod.py")
        );
    }

    #[test]
    fn windows_paths_map_with_either_drive_case() {
        let idx = index(REPO);
        for root in ["C:/work/proj", "c:\\work\\proj\\"] {
            assert_eq!(
                map_path("C:\\work\\proj\\src\\pkg\\mod.py", &[], root, &idx).as_deref(),
                Some("src/pkg/mod.py")
            );
        }
        assert_eq!(
            map_path("file:///C:/work/proj/lib/x.py", &[], "C:/work/proj", &idx).as_deref(),
            Some("lib/x.py")
        );
    }

    #[test]
    fn relative_repository_paths_map_to_themselves() {
        assert_eq!(
            map("./src/pkg/mod.py", &[]).as_deref(),
            Some("src/pkg/mod.py")
        );
        assert_eq!(
            map("src\\pkg\\mod.py", &[]).as_deref(),
            Some("src/pkg/mod.py")
        );
        assert_eq!(map("main.go", &[]).as_deref(), Some("main.go"));
    }

    #[test]
    fn base_dirs_under_the_root_or_relative_are_joined() {
        assert_eq!(
            map("pkg/__init__.py", &["/elsewhere", "/home/u/proj/src"]).as_deref(),
            Some("src/pkg/__init__.py")
        );
        assert_eq!(
            map("pkg/__init__.py", &["src"]).as_deref(),
            Some("src/pkg/__init__.py")
        );
        assert_eq!(
            map("../lib/x.py", &["/home/u/proj/src"]).as_deref(),
            Some("lib/x.py")
        );
        // Without the base the path is ambiguous between two packages.
        assert_eq!(map("__init__.py", &[]), None);
        assert_eq!(
            map("__init__.py", &["tests"]).as_deref(),
            Some("tests/__init__.py")
        );
    }

    #[test]
    fn paths_from_another_machine_map_by_suffix() {
        assert_eq!(
            map("/home/runner/work/proj/proj/src/pkg/mod.py", &[]).as_deref(),
            Some("src/pkg/mod.py")
        );
        // Relative to a source directory on the CI runner.
        assert_eq!(
            map("pkg/mod.py", &["/home/runner/work/proj/proj/src"]).as_deref(),
            Some("src/pkg/mod.py")
        );
    }

    #[test]
    fn go_import_paths_map_by_suffix() {
        assert_eq!(
            map("example.com/mod/pkg/file.go", &[]).as_deref(),
            Some("pkg/file.go")
        );
        assert_eq!(
            map("example.com/mod/main.go", &[]).as_deref(),
            Some("main.go")
        );
    }

    #[test]
    fn the_longest_shared_suffix_wins() {
        assert_eq!(
            map("/ci/checkout/utils/helpers.py", &[]).as_deref(),
            Some("utils/helpers.py")
        );
        assert_eq!(
            map("/ci/checkout/helpers.py", &[]).as_deref(),
            Some("helpers.py")
        );
    }

    #[test]
    fn ties_are_ambiguous() {
        assert_eq!(map("/ci/checkout/utils.py", &[]), None);
        assert_eq!(map("utils.py", &[]), None);
        assert_eq!(map("/ci/a/utils.py", &[]).as_deref(), Some("a/utils.py"));
    }

    #[test]
    fn a_partial_overlap_is_not_a_match() {
        // An absolute path must end with the whole repository path.
        assert_eq!(map("/venv/site-packages/pkg/mod.py", &[]), None);
        // A relative one must be wholly inside it, or contain it wholly.
        assert_eq!(map("build/pkg/mod.py", &[]), None);
    }

    #[test]
    fn unknown_and_empty_paths_map_to_nothing() {
        assert_eq!(map("/home/u/proj/src/pkg/gone.py", &[]), None);
        assert_eq!(map("", &[]), None);
        assert_eq!(map("/", &[]), None);
        assert_eq!(map("./", &["src"]), None);
        assert_eq!(map_path("main.go", &[], "", &PathIndex::default()), None);
    }

    #[test]
    fn an_empty_or_relative_root_is_ignored() {
        let idx = index(REPO);
        assert_eq!(
            map_path("/x/main.go", &[], "", &idx).as_deref(),
            Some("main.go")
        );
        assert_eq!(
            map_path("pkg/mod.py", &["/abs/src".to_string()], "rel", &idx).as_deref(),
            Some("src/pkg/mod.py")
        );
    }

    #[test]
    fn normalises_components() {
        assert_eq!(
            Path::parse("a/./b/../../../c"),
            Path {
                absolute: false,
                parts: vec!["..".into(), "c".into()]
            }
        );
        assert_eq!(
            Path::parse("/../a/.."),
            Path {
                absolute: true,
                parts: vec![]
            }
        );
        assert_eq!(
            Path::parse("FILE://D:\\x\\..\\..\\y"),
            Path {
                absolute: true,
                parts: vec!["d:".into(), "y".into()]
            }
        );
    }
}
