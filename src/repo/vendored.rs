//! Copies of other people's Python packages kept inside a project's own tree, under a
//! directory whose name does not say so (`pypiserver/bottle_wrapper/bottle.py`,
//! `src/undetected_chromedriver/`). Such a copy announces itself in its header: a
//! release number of its own (`__version__`) and an author (`__author__`, a copyright
//! line, "by NAME (https://…)") whom the repository's own licence and manifests never
//! name. The copy is the upstream project's code, not this one's: it is vendored.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{FileKind, RepoFile};

/// How much of a file's start counts as its header.
const HEADER_BYTES: usize = 2048;

/// Files at a project root whose text names the project's own authors.
const OWN_AUTHOR_FILES: &[&str] = &[
    "AUTHORS",
    "AUTHORS.md",
    "AUTHORS.rst",
    "AUTHORS.txt",
    "CONTRIBUTORS",
    "CONTRIBUTORS.md",
    "CONTRIBUTORS.txt",
    "package.json",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
];

/// Licence files at the root: they name the project's authors, and the copies it
/// carries when it attributes them ("contains a copy of bottle").
const LICENCE_FILES: &[&str] = &[
    "COPYING",
    "COPYING.md",
    "COPYING.txt",
    "LICENCE",
    "LICENCE.md",
    "LICENCE.txt",
    "LICENSE",
    "LICENSE.md",
    "LICENSE.rst",
    "LICENSE.txt",
    "NOTICE",
    "NOTICE.md",
    "NOTICE.txt",
];

/// Files that make their directory a project root: a package found there is the
/// project's own top-level package, whatever its header says.
const PROJECT_ROOT_FILES: &[&str] = &[
    "Cargo.toml",
    "go.mod",
    "manage.py",
    "package.json",
    "pyproject.toml",
    "requirements.txt",
    "setup.cfg",
    "setup.py",
];

static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^__version__\s*=\s*['"][0-9]"#).unwrap_or_else(|_| unreachable!())
});

/// An author credit in a header: the credited name is the first capture.
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?mx)
          ^__author__\s*=\s*['"]([^'"\n]{2,80})['"]
        | Copyright[\x20\t]*(?:\(c\)|©)?[\x20\t]*\d{4}(?:[\x20\t]*[-–,][\x20\t]*\d{4})*,?[\x20\t]+([A-Z][\w.'-]*(?:[\x20\t]+[A-Z][\w.'-]*)*)
        | ^[\s\#]*by[\x20\t]+([A-Za-z][\w.'\x20-]{1,60}?)[\x20\t]*\(https?://
        "#,
    )
    .unwrap_or_else(|_| unreachable!())
});

/// Marks as vendored every source file of a Python package (or single module) whose
/// header carries its own version and an author the repository never names.
pub(crate) fn mark_copied_packages(files: &mut [RepoFile]) {
    let root_text = |names: &[&str]| {
        files
            .iter()
            .filter(|f| !f.path.contains('/') && names.contains(&f.path.as_str()))
            .filter_map(RepoFile::text)
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase()
    };
    let licences = root_text(LICENCE_FILES);
    let own_authors = format!("{}\n{licences}", root_text(OWN_AUTHOR_FILES));
    let project_roots: HashSet<&str> = files
        .iter()
        .filter(|f| PROJECT_ROOT_FILES.contains(&f.name()))
        .map(RepoFile::dir)
        .collect();
    let python_dirs: HashSet<&str> = files
        .iter()
        .filter(|f| f.path.ends_with(".py") && f.kind == FileKind::Source)
        .map(RepoFile::dir)
        .collect();
    let copies: HashSet<String> = files
        .iter()
        .filter(|f| f.kind == FileKind::Source && f.path.ends_with(".py"))
        .filter_map(|f| {
            let unit = copied_unit(f, &own_authors, &licences)?;
            // The package's parent (or the module's own directory) must hold other
            // Python code and not be a project root: a copy lives inside someone's code.
            let home = if f.name() == "__init__.py" {
                parent(unit)
            } else {
                f.dir()
            };
            (!home.is_empty() && python_dirs.contains(home) && !project_roots.contains(home))
                .then(|| unit.to_string())
        })
        .collect();
    if copies.is_empty() {
        return;
    }
    for f in files.iter_mut().filter(|f| f.kind == FileKind::Source) {
        // The file itself, or one of the directories above it.
        let copied = copies.contains(&f.path)
            || f.path
                .match_indices('/')
                .any(|(at, _)| f.path.get(..at).is_some_and(|dir| copies.contains(dir)));
        if copied {
            f.kind = FileKind::Vendored;
        }
    }
}

/// A directory the program puts on `sys.path` (`sys.path.insert(0,
/// os.path.join(HERE, 'lib'))`, `site.addsitedir('libs')`) is where it keeps the
/// packages it runs with. When that directory holds at least [`MIN_LISTED`] packages
/// the repository's requirements name, it is a tree of copied distributions: every
/// file in it is vendored.
const MIN_LISTED: usize = 3;

/// A call that adds a directory to the import path, and the last quoted name in it.
static PATH_ADD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)^\s*(?:sys\.path\.(?:insert|append)|site\.addsitedir)\(([^\n]*)['"]([A-Za-z0-9_.\-]+)['"]\s*\)+\s*$"#,
    )
    .unwrap_or_else(|_| unreachable!())
});

/// Marks as vendored the files under directories the code adds to `sys.path` that
/// hold the packages its requirements list.
pub(crate) fn mark_path_directories(files: &mut [RepoFile]) {
    let mut dirs: HashSet<String> = HashSet::new();
    for f in files
        .iter()
        .filter(|f| f.kind == FileKind::Source && f.path.ends_with(".py"))
    {
        let Some(text) = f.text() else { continue };
        if !text.contains("sys.path") && !text.contains("addsitedir") {
            continue;
        }
        for c in PATH_ADD.captures_iter(text) {
            let Some(name) = c.get(2).map(|m| m.as_str()) else {
                continue;
            };
            if name.starts_with('.') || name.contains("..") {
                continue;
            }
            let here = f.dir();
            dirs.insert(if here.is_empty() {
                name.to_string()
            } else {
                format!("{here}/{name}")
            });
        }
    }
    if dirs.is_empty() {
        return;
    }
    // Every word the requirements name, normalized as an import name is.
    let listed: HashSet<String> = files
        .iter()
        .filter(|f| {
            let n = f.name();
            n.starts_with("requirements") && n.ends_with(".txt")
        })
        .filter_map(RepoFile::text)
        .flat_map(|t| {
            t.lines()
                .filter_map(|l| {
                    l.trim()
                        .split(|c: char| {
                            !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                        })
                        .next()
                })
                .filter(|n| !n.is_empty())
                .map(|n| n.to_ascii_lowercase().replace(['-', '.'], "_"))
                .collect::<Vec<_>>()
        })
        .collect();
    let vendored: Vec<String> = dirs
        .into_iter()
        .filter(|dir| {
            let prefix = format!("{dir}/");
            // The packages directly in it: `lib/cherrypy/__init__.py`.
            let packages: HashSet<String> = files
                .iter()
                .filter_map(|f| {
                    let rest = f.path.strip_prefix(&prefix)?;
                    let (package, file) = rest.split_once('/')?;
                    (file == "__init__.py").then(|| package.to_ascii_lowercase())
                })
                .collect();
            packages.iter().filter(|p| listed.contains(*p)).count() >= MIN_LISTED
        })
        .collect();
    for f in files
        .iter_mut()
        .filter(|f| matches!(f.kind, FileKind::Source | FileKind::Test))
    {
        if vendored.iter().any(|d| {
            f.path
                .strip_prefix(d.as_str())
                .is_some_and(|r| r.starts_with('/'))
        }) {
            f.kind = FileKind::Vendored;
        }
    }
}

/// The path of the package directory (for `__init__.py`) or module a copy's header
/// marks, when the header names a version and an author foreign to the repository, or
/// the repository's licence names the copy (the licence of a copy names its author).
fn copied_unit<'a>(file: &'a RepoFile, own_authors: &str, licences: &str) -> Option<&'a str> {
    let text = file.text()?;
    let mut end = text.len().min(HEADER_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = text.get(..end)?;
    if !VERSION.is_match(head) {
        return None;
    }
    let mut credits = CREDIT.captures_iter(head).peekable();
    credits.peek()?;
    let foreign = credits.any(|c| {
        c.iter()
            .skip(1)
            .flatten()
            .next()
            .map(|m| m.as_str().trim().trim_end_matches('.').to_lowercase())
            .is_some_and(|name| name.len() >= 3 && !own_authors.contains(&name))
    });
    let unit = if file.name() == "__init__.py" {
        file.dir()
    } else {
        file.path.as_str()
    };
    let stem = unit
        .rsplit('/')
        .next()
        .unwrap_or(unit)
        .trim_end_matches(".py")
        .to_lowercase();
    let attributed = stem.len() >= 4 && attributes(licences, &stem);
    (foreign || attributed).then_some(unit)
}

/// Words a licence uses to attribute a copy it carries, just before the copy's name.
const ATTRIBUTIONS: &[&str] = &[
    "based on",
    "bundles",
    "contains",
    "copy of",
    "derived from",
    "includes",
    "portions of",
];

/// Whether the licence text attributes `word` as a copy it carries ("contains a copy of
/// bottle_"): the word, with no letter or digit on either side (`bottle_` is
/// reStructuredText for a link), within a few words after an attribution.
fn attributes(text: &str, word: &str) -> bool {
    let is_word = char::is_alphanumeric;
    text.match_indices(word).any(|(at, _)| {
        let before = text.get(..at).and_then(|t| t.chars().next_back());
        let after = text.get(at + word.len()..).and_then(|t| t.chars().next());
        let mut from = at.saturating_sub(40);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        let lead = text.get(from..at).unwrap_or("");
        !before.is_some_and(is_word)
            && !after.is_some_and(is_word)
            && ATTRIBUTIONS.iter().any(|a| lead.contains(a))
    })
}

fn parent(dir: &str) -> &str {
    dir.rfind('/').and_then(|i| dir.get(..i)).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::source_file as file;

    fn vendored(files: &[RepoFile]) -> Vec<&str> {
        files
            .iter()
            .filter(|f| f.kind == FileKind::Vendored)
            .map(|f| f.path.as_str())
            .collect()
    }

    #[test]
    fn a_directory_put_on_the_import_path_holding_the_listed_packages_is_vendored() {
        let tree = |requirements: &str, start: &str| {
            let mut files = vec![
                file("requirements.txt", requirements),
                file("Tautulli.py", start),
                file("plexpy/__init__.py", "import cherrypy\n"),
                file("lib/cherrypy/__init__.py", "import cheroot\n"),
                file("lib/cheroot/__init__.py", ""),
                file("lib/arrow/__init__.py", ""),
                file("lib/arrow/parser.py", "import dateutil\n"),
                file("lib/helpers.py", ""),
            ];
            mark_path_directories(&mut files);
            files
        };
        let start = "import os\nimport sys\nsys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))\n";
        let files = tree("arrow==1.4.0\ncheroot==11.1.2\nCherryPy==18.10.0\n", start);
        assert_eq!(
            vendored(&files),
            [
                "lib/cherrypy/__init__.py",
                "lib/cheroot/__init__.py",
                "lib/arrow/__init__.py",
                "lib/arrow/parser.py",
                "lib/helpers.py"
            ]
        );
        // Packages the requirements do not list are the program's own.
        let files = tree("arrow==1.4.0\nrequests\n", start);
        assert!(vendored(&files).is_empty());
        // Nor is a directory nothing adds to the import path.
        let files = tree(
            "arrow==1.4.0\ncheroot==11.1.2\nCherryPy==18.10.0\n",
            "import sys\n",
        );
        assert!(vendored(&files).is_empty());
    }

    #[test]
    fn a_module_with_a_foreign_author_and_version_is_a_copy() {
        let mut files = vec![
            file(
                "LICENSE.txt",
                "app contains a copy of bottle_:\n  Copyright (c) 2012, Marcel Hellkamp.\n",
            ),
            file("setup.py", "setup(name='app')"),
            file(
                "app/__init__.py",
                "__version__ = '2.0'\n__author__ = 'Ralf Schmitt'\n",
            ),
            file("app/web/__init__.py", ""),
            file(
                "app/web/bottle.py",
                "\"\"\"\nCopyright (c) 2016, Marcel Hellkamp.\n\"\"\"\n__author__ = 'Marcel Hellkamp'\n__version__ = '0.12.25'\n",
            ),
        ];
        mark_copied_packages(&mut files);
        assert_eq!(vendored(&files), ["app/web/bottle.py"]);
    }

    #[test]
    fn a_package_credited_by_url_is_a_copy_with_all_its_modules() {
        let mut files = vec![
            file("LICENSE", "Copyright (c) 2023 Diego Heras"),
            file("requirements.txt", "selenium\n"),
            file("src/app.py", "import undetected\n"),
            file(
                "src/undetected/__init__.py",
                "\"\"\"\nby UltrafunkAmsterdam (https://github.com/ultrafunkamsterdam)\n\"\"\"\n__version__ = \"3.5.5\"\n",
            ),
            file("src/undetected/patcher.py", "import os\n"),
        ];
        mark_copied_packages(&mut files);
        assert_eq!(
            vendored(&files),
            ["src/undetected/__init__.py", "src/undetected/patcher.py"]
        );
    }

    #[test]
    fn the_projects_own_packages_are_not_copies() {
        let mut files = vec![
            file("LICENSE", "Copyright (c) 2020 Jane Doe"),
            file("pyproject.toml", "[project]\nname = 'app'\n"),
            // The top-level package sits at a project root.
            file(
                "app/__init__.py",
                "__version__ = '1.0'\n__author__ = 'Someone Else'\n",
            ),
            file("app/core.py", ""),
            // A sub-package by the project's own author.
            file(
                "app/plugins/__init__.py",
                "# Copyright (c) 2021 Jane Doe\n__version__ = '0.1'\n",
            ),
            // A version with no author credit.
            file("app/api/__init__.py", "__version__ = '1.8.0'\n"),
            file("app/api/routes.py", ""),
            // A licence naming the module's name in passing does not attribute it.
            file("app/version.py", "__version__ = '1.0'\n"),
            file("LICENSE.txt", "Apache License\nVersion 2.0, January 2004\n"),
        ];
        mark_copied_packages(&mut files);
        assert!(vendored(&files).is_empty(), "{:?}", vendored(&files));
    }
}
