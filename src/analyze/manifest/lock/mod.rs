//! Lock files: which exact versions a repository installs. Each lock file present is
//! read into the packages it pins ([`LockedPackage`]: name, version, line), so checks
//! can compare it with the manifests and an audit can match it against advisories
//! without network access.
//!
//! Formats read: Cargo.lock, package-lock.json / npm-shrinkwrap.json (v1, v2, v3),
//! yarn.lock (classic and berry), pnpm-lock.yaml (v5 to v9), poetry.lock, uv.lock,
//! pdm.lock, Pipfile.lock, go.sum, and requirements*.txt files that pin every
//! requirement with `==` (what pip-compile and `pip freeze` write), which are the lock
//! of a Python application installed with pip. bun.lockb is binary and only detected; bun.lock (text) is read.
//!
//! Every reader is bounded (at most [`MAX_PACKAGES`] packages, nesting at most
//! [`MAX_DEPTH`]) and never panics: a file that does not read as its format yields no
//! packages and a [`Problem`] saying where it stopped.

mod go;
mod npm;
mod python;

use std::collections::HashMap;

use serde::Serialize;

use crate::analyze::Problem;
use crate::analyze::catalog::Ecosystem;

pub use python::pinned_requirements;

/// Packages kept per lock file; beyond this the rest is ignored (no real lock file
/// comes near it).
pub const MAX_PACKAGES: usize = 100_000;
/// Deepest nesting followed in formats that nest (package-lock.json v1).
pub const MAX_DEPTH: usize = 64;

/// One package version pinned by a lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockedPackage {
    /// As the lock file spells it (`serde_json`, `@babel/core`, `github.com/lib/pq`).
    pub name: String,
    /// Normalised for comparison within its ecosystem ([`Ecosystem::normalize`]).
    #[serde(skip)]
    pub normalized: String,
    /// The exact version, without decoration (`1.0.197`, `7.24.0`, `v1.10.0`); empty
    /// when the lock records none (workspace links, local paths).
    pub version: String,
    /// 1-based line of the entry (its header, key or name line).
    pub line: u32,
}

/// A lock file present in the repository, with what it pins.
#[derive(Debug, Clone, Serialize)]
pub struct LockFile {
    pub path: String,
    pub ecosystem: Ecosystem,
    /// `Cargo.lock`, `package-lock.json`, `yarn.lock`, `requirements (pinned)`, ….
    pub format: &'static str,
    /// Every package version it pins, in file order; one entry per (name, version).
    pub packages: Vec<LockedPackage>,
    /// Set when the file could not be read as its format (then `packages` is empty or
    /// partial).
    pub problem: Option<Problem>,
}

impl LockFile {
    /// The lock file's directory (`""` at the root).
    pub fn dir(&self) -> &str {
        self.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
    }

    /// Locked versions of a package, by normalised name.
    pub fn versions_of<'a>(&'a self, normalized: &'a str) -> impl Iterator<Item = &'a str> {
        self.packages
            .iter()
            .filter(move |p| p.normalized == normalized)
            .map(|p| p.version.as_str())
    }

    /// True when the lock pins a package of this normalised name.
    pub fn has(&self, normalized: &str) -> bool {
        self.packages.iter().any(|p| p.normalized == normalized)
    }
}

/// Lock file names, with their ecosystem and format label.
const LOCK_FILES: &[(&str, Ecosystem)] = &[
    ("Cargo.lock", Ecosystem::Rust),
    ("Pipfile.lock", Ecosystem::Python),
    ("bun.lock", Ecosystem::Npm),
    ("bun.lockb", Ecosystem::Npm),
    ("go.sum", Ecosystem::Go),
    ("npm-shrinkwrap.json", Ecosystem::Npm),
    ("package-lock.json", Ecosystem::Npm),
    ("pdm.lock", Ecosystem::Python),
    ("pnpm-lock.yaml", Ecosystem::Npm),
    ("poetry.lock", Ecosystem::Python),
    ("uv.lock", Ecosystem::Python),
    ("yarn.lock", Ecosystem::Npm),
];

/// True when a file name is a lock file's (not a pinned requirements file: that is a
/// manifest too, and only known to be a lock once read).
pub fn is_lock_name(name: &str) -> bool {
    LOCK_FILES.iter().any(|(n, _)| *n == name)
}

/// Reads a lock file by name. `text` is `None` when the inventory did not read it
/// (binary, too large, unreadable); `None` is returned for names that are not lock
/// files.
pub fn read(path: &str, name: &str, text: Option<&str>) -> Option<LockFile> {
    let (format, ecosystem) = LOCK_FILES.iter().find(|(n, _)| *n == name).copied()?;
    let mut lock = LockFile {
        path: path.to_string(),
        ecosystem,
        format,
        packages: Vec::new(),
        problem: None,
    };
    let Some(text) = text else {
        lock.problem = Some(problem(
            path,
            1,
            if name == "bun.lockb" {
                "binary lock file; its packages are not read"
            } else {
                "not read (binary, too large or unreadable)"
            },
        ));
        return Some(lock);
    };
    let parsed = match name {
        "Cargo.lock" | "poetry.lock" | "uv.lock" | "pdm.lock" => toml_packages(path, text),
        "package-lock.json" | "npm-shrinkwrap.json" => npm::package_lock(path, text),
        "yarn.lock" => npm::yarn(path, text),
        "pnpm-lock.yaml" => npm::pnpm(path, text),
        "bun.lock" => npm::bun(path, text),
        "Pipfile.lock" => python::pipfile_lock(path, text),
        "go.sum" => Ok(go::parse(text)),
        _ => Ok(Vec::new()),
    };
    match parsed {
        Ok(pkgs) => lock.packages = finish(ecosystem, pkgs),
        Err(p) => lock.problem = Some(p),
    }
    Some(lock)
}

/// (name, version, line) as a reader found them.
type Raw = (String, String, u32);

/// Normalises names, drops repeats of a (name, version) pair (first line kept) and
/// caps the count.
fn finish(ecosystem: Ecosystem, raw: Vec<Raw>) -> Vec<LockedPackage> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (name, version, line) in raw {
        if name.is_empty() || !seen.insert((name.clone(), version.clone())) {
            continue;
        }
        if out.len() >= MAX_PACKAGES {
            break;
        }
        out.push(LockedPackage {
            normalized: ecosystem.normalize(&name),
            name,
            version,
            line,
        });
    }
    out
}

fn problem(path: &str, line: u32, message: impl Into<String>) -> Problem {
    Problem {
        path: path.to_string(),
        line,
        message: message.into(),
    }
}

fn line_no(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// Lines (and indentation) of every `"key":` in a JSON text (the key at the start of
/// its line, as JSON lock files are written), read once.
struct JsonKeys<'t>(HashMap<&'t str, Vec<(u32, usize)>>);

impl<'t> JsonKeys<'t> {
    fn new(text: &'t str) -> JsonKeys<'t> {
        let mut map: HashMap<&str, Vec<(u32, usize)>> = HashMap::new();
        for (i, l) in text.lines().enumerate() {
            let trimmed = l.trim_start();
            let Some(rest) = trimmed.strip_prefix('"') else {
                continue;
            };
            let Some(end) = rest.find('"') else { continue };
            let after = rest.get(end + 1..).unwrap_or("");
            if after.trim_start().starts_with(':') {
                map.entry(rest.get(..end).unwrap_or(""))
                    .or_default()
                    .push((line_no(i), l.len() - trimmed.len()));
            }
        }
        JsonKeys(map)
    }

    /// First line of `"key":` at or after `from`; `from` (at least 1) when absent.
    fn line(&self, from: u32, key: &str) -> u32 {
        self.find(from, key, None)
    }

    /// First line of `"key":` at or after `from` indented by `indent`, else at any
    /// indentation, else `from`.
    fn find(&self, from: u32, key: &str, indent: Option<usize>) -> u32 {
        let Some(lines) = self.0.get(key) else {
            return from.max(1);
        };
        let after = lines
            .get(lines.partition_point(|&(l, _)| l < from)..)
            .unwrap_or(&[]);
        after
            .iter()
            .find(|(_, ind)| indent.is_none_or(|want| *ind == want))
            .or_else(|| after.first())
            .map(|(l, _)| *l)
            .unwrap_or(from.max(1))
    }
}

/// A JSON parse failure as a problem with its line.
fn json_problem(path: &str, e: &serde_json::Error) -> Problem {
    problem(
        path,
        u32::try_from(e.line()).unwrap_or(1).max(1),
        format!("not valid JSON: {e}"),
    )
}

/// The `[[package]]` tables of a TOML lock file (Cargo.lock, poetry.lock, uv.lock,
/// pdm.lock all share this shape: `name` and `version` per table).
fn toml_packages(path: &str, text: &str) -> Result<Vec<Raw>, Problem> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e| super::toml_problem(path, text, &e))?;
    let Some(pkgs) = doc.get("package") else {
        return Ok(Vec::new());
    };
    let Some(pkgs) = pkgs.as_array() else {
        return Err(problem(path, 1, "`package` is not an array of tables"));
    };
    let lines = toml_package_lines(text);
    let mut out = Vec::with_capacity(pkgs.len().min(MAX_PACKAGES));
    for (i, p) in pkgs.iter().enumerate().take(MAX_PACKAGES) {
        let field = |k: &str| p.get(k).and_then(toml::Value::as_str).unwrap_or("");
        let line = lines.get(i).copied().unwrap_or(1);
        out.push((
            field("name").to_string(),
            field("version").to_string(),
            line,
        ));
    }
    Ok(out)
}

/// Lines of the `name = "…"` key of each `[[package]]` table, in order (the header's
/// line when a table has no name key), for TOML lock files.
fn toml_package_lines(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut open: Option<u32> = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            if let Some(h) = open.take() {
                out.push(h);
            }
            if t == "[[package]]" {
                open = Some(line_no(i));
            }
        } else if open.is_some() && t.starts_with("name") {
            let key = t.split('=').next().unwrap_or("").trim();
            if key == "name" {
                open = None;
                out.push(line_no(i));
            }
        }
    }
    if let Some(h) = open {
        out.push(h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_gives_every_lock_file_its_own_cap() {
        let names: Vec<&str> = LOCK_FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, crate::repo::LOCK_FILE_NAMES);
    }

    #[test]
    fn unknown_names_are_not_lock_files() {
        assert!(read("x/Cargo.toml", "Cargo.toml", Some("")).is_none());
        assert!(is_lock_name("uv.lock"));
    }

    #[test]
    fn binary_lock_is_detected_with_a_problem() {
        let lock = read("bun.lockb", "bun.lockb", None).unwrap();
        assert!(lock.packages.is_empty());
        assert!(lock.problem.unwrap().message.contains("binary"));
    }

    #[test]
    fn repeated_pairs_are_kept_once() {
        let pkgs = finish(
            Ecosystem::Python,
            vec![
                ("Foo_Bar".into(), "1.0".into(), 3),
                ("Foo_Bar".into(), "1.0".into(), 9),
                ("Foo_Bar".into(), "2.0".into(), 12),
            ],
        );
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[0].normalized, "foo-bar");
        assert_eq!(pkgs[0].line, 3);
    }

    #[test]
    fn package_name_lines_in_toml_locks() {
        let text = "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1\"\n\n[[package]]\nversion = \"2\"\n[metadata]\n";
        assert_eq!(toml_package_lines(text), vec![4, 7]);
    }

    fn triples(lock: &LockFile) -> Vec<(&str, &str, u32)> {
        lock.packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
            .collect()
    }

    #[test]
    fn reads_cargo_lock() {
        let text = "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n\n[[package]]\nname = \"anyhow\"\nversion = \"1.0.86\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"b3d1d046238990b9cf5bcde22a3fb3584ee5cf65fb2765f454ed428c7a0063da\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"anyhow\",\n]\n";
        let lock = read("Cargo.lock", "Cargo.lock", Some(text)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![("anyhow", "1.0.86", 6), ("app", "0.1.0", 12)]
        );
        assert_eq!(
            lock.versions_of("anyhow").collect::<Vec<_>>(),
            vec!["1.0.86"]
        );
    }

    #[test]
    fn malformed_cargo_lock_is_a_problem_with_a_line() {
        let lock = read("Cargo.lock", "Cargo.lock", Some("[[package]]\nname = \n")).unwrap();
        assert!(lock.packages.is_empty());
        assert_eq!(lock.problem.unwrap().line, 2);
        let lock = read("Cargo.lock", "Cargo.lock", Some("package = 3\n")).unwrap();
        assert!(lock.problem.is_some());
    }

    #[test]
    fn reads_poetry_lock() {
        let text = "# This file is automatically @generated by Poetry 1.8.2 and should not be changed by hand.\n\n[[package]]\nname = \"Flask\"\nversion = \"3.0.2\"\ndescription = \"A simple framework\"\noptional = false\npython-versions = \">=3.8\"\nfiles = [\n    {file = \"flask-3.0.2.tar.gz\", hash = \"sha256:822c\"},\n]\n\n[package.dependencies]\nclick = \">=8.1.3\"\n\n[[package]]\nname = \"click\"\nversion = \"8.1.7\"\n\n[metadata]\nlock-version = \"2.0\"\n";
        let lock = read("poetry.lock", "poetry.lock", Some(text)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![("Flask", "3.0.2", 4), ("click", "8.1.7", 17)]
        );
        assert_eq!(lock.packages[0].normalized, "flask");
    }

    #[test]
    fn reads_uv_and_pdm_locks() {
        let uv = "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"anyio\"\nversion = \"4.4.0\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [\n    { name = \"idna\" },\n]\nsdist = { url = \"https://files.pythonhosted.org/anyio-4.4.0.tar.gz\", hash = \"sha256:5aad\" }\n\n[[package]]\nname = \"demo\"\nsource = { editable = \".\" }\n";
        let lock = read("uv.lock", "uv.lock", Some(uv)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![("anyio", "4.4.0", 5), ("demo", "", 14)]
        );
        let pdm = "# This file is @generated by PDM.\n[metadata]\ngroups = [\"default\"]\n\n[[package]]\nname = \"requests\"\nversion = \"2.32.3\"\nrequires_python = \">=3.8\"\n";
        let lock = read("pdm.lock", "pdm.lock", Some(pdm)).unwrap();
        assert_eq!(triples(&lock), vec![("requests", "2.32.3", 6)]);
    }
}
