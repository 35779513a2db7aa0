//! Manifests: pyproject.toml (PEP 621 and Poetry), requirements*.txt, setup.cfg,
//! setup.py, Pipfile, Cargo.toml, package.json and go.mod, parsed into declared
//! dependencies, entry points, language-version requirements and configuration keys.
//! A manifest that does not parse becomes a [`Problem`], never an error.

mod cargo;
mod gomod;
pub mod ini;
pub mod lock;
mod npm;
mod python;

use std::collections::HashMap;

use serde::Serialize;

use super::Problem;
use super::catalog::Ecosystem;
use crate::repo::{Inventory, RepoFile};

pub use lock::{LockFile, LockedPackage};
pub use python::url_pinned as python_url_pinned;

/// How a dependency is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    Runtime,
    Dev,
    Build,
    Optional,
    /// Go's `// indirect` requirements.
    Indirect,
}

/// One declared dependency.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    /// As written.
    pub name: String,
    /// Normalised for comparison within its ecosystem.
    #[serde(skip)]
    pub normalized: String,
    /// Version requirement as written (`>=1.2`, `^4`, `v1.9.0`), empty when none.
    pub spec: String,
    pub kind: DepKind,
    pub line: u32,
    /// Declared for workspace members to inherit (`[workspace.dependencies]`), not
    /// used by the manifest's own package.
    #[serde(skip)]
    pub inherited: bool,
}

/// Where a requirements file tells pip to look for packages, or a requirement given
/// by URL instead of by name.
#[derive(Debug, Clone, Serialize)]
pub struct PackageSource {
    pub kind: SourceKind,
    /// The URL or path as written.
    pub value: String,
    pub line: u32,
}

/// What a [`PackageSource`] line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// `--index-url` / `-i`: replaces the default index.
    IndexUrl,
    /// `--extra-index-url`: searched in addition to the default index.
    ExtraIndexUrl,
    /// `--find-links` / `-f`.
    FindLinks,
    /// A requirement that is a bare URL or VCS reference; `pinned` when it names a
    /// commit (`@<hex>`) or carries a hash (`#sha256=`, `--hash`).
    DirectUrl { pinned: bool },
}

/// A command the package installs (`[project.scripts]`, `bin`, `[[bin]]`).
#[derive(Debug, Clone, Serialize)]
pub struct EntryPoint {
    pub name: String,
    pub target: String,
    pub line: u32,
}

/// A requirement on the language version (`requires-python`, `rust-version`,
/// `engines.node`, `go` directive).
#[derive(Debug, Clone, Serialize)]
pub struct LanguageVersion {
    pub spec: String,
    pub line: u32,
}

/// A parsed manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub path: String,
    pub ecosystem: Ecosystem,
    /// `pyproject.toml`, `requirements.txt`, `Cargo.toml`, ….
    pub format: &'static str,
    pub name: Option<String>,
    pub version: Option<(String, u32)>,
    pub language_version: Option<LanguageVersion>,
    pub dependencies: Vec<Dependency>,
    pub entry_points: Vec<EntryPoint>,
    /// package.json `scripts`, with lines.
    pub scripts: Vec<(String, String, u32)>,
    /// Configuration keys present (dotted TOML table paths, INI sections, package.json
    /// keys), with the line that opens them.
    pub config_keys: Vec<(String, u32)>,
    /// Declared licence (SPDX or text), with its line.
    pub license: Option<(String, u32)>,
    /// True when this manifest describes a workspace of packages.
    pub workspace: bool,
    /// True when it declares something importable (a library target, `main`/`exports`).
    pub library: bool,
    /// Names of optional-dependency groups (extras).
    pub optional_groups: Vec<String>,
    /// Index options and URL requirements (requirements files).
    pub sources: Vec<PackageSource>,
    /// Other requirements files it includes (`-r backend/requirements.txt`), as paths
    /// from the repository root: what they declare, it declares.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub includes: Vec<String>,
}

impl Manifest {
    fn new(path: &str, ecosystem: Ecosystem, format: &'static str) -> Manifest {
        Manifest {
            path: path.to_string(),
            ecosystem,
            format,
            name: None,
            version: None,
            language_version: None,
            dependencies: Vec::new(),
            entry_points: Vec::new(),
            scripts: Vec::new(),
            config_keys: Vec::new(),
            license: None,
            workspace: false,
            library: false,
            optional_groups: Vec::new(),
            sources: Vec::new(),
            includes: Vec::new(),
        }
    }

    fn add_dep(&mut self, name: &str, spec: &str, kind: DepKind, line: u32) {
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        self.dependencies.push(Dependency {
            name: name.to_string(),
            normalized: self.ecosystem.normalize(name),
            spec: spec.trim().to_string(),
            kind,
            line,
            inherited: false,
        });
    }

    /// The manifest's directory (`""` at the root).
    pub fn dir(&self) -> &str {
        self.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
    }
}

/// True when a file is one this module parses.
pub fn is_manifest(file: &RepoFile) -> bool {
    let name = file.name();
    matches!(
        name,
        "pyproject.toml"
            | "setup.cfg"
            | "setup.py"
            | "Pipfile"
            | "Cargo.toml"
            | "package.json"
            | "go.mod"
    ) || python::is_requirements(&file.path)
}

/// Parses every manifest in the inventory (fixtures, examples and vendored copies are
/// left out: they describe other projects).
pub fn parse_all(
    inventory: &Inventory,
    problems: &mut Vec<Problem>,
) -> (Vec<Manifest>, Vec<LockFile>) {
    let mut manifests = Vec::new();
    let mut locks = Vec::new();
    for file in &inventory.files {
        if matches!(
            file.kind,
            crate::repo::FileKind::Fixture | crate::repo::FileKind::Vendored
        ) {
            continue;
        }
        if let Some(lock) = lock::read(&file.path, file.name(), file.text()) {
            locks.push(lock);
            continue;
        }
        if !is_manifest(file) {
            continue;
        }
        let Some(text) = file.text() else { continue };
        let parsed = match file.name() {
            "pyproject.toml" => python::pyproject(&file.path, text),
            "setup.cfg" => python::setup_cfg(&file.path, text),
            // A module that happens to be called `setup.py` (the set-up step of an
            // application) is not a packaging script.
            "setup.py" if !python::is_setup_script(text) => continue,
            "setup.py" => Ok(python::setup_py(&file.path, text)),
            "Pipfile" => python::pipfile(&file.path, text),
            "Cargo.toml" => cargo::parse(&file.path, text, inventory),
            "package.json" => npm::parse(&file.path, text),
            "go.mod" => Ok(gomod::parse(&file.path, text)),
            _ => {
                if file.name().ends_with(".txt") {
                    locks.extend(lock::pinned_requirements(&file.path, text));
                }
                Ok(python::requirements(&file.path, text))
            }
        };
        match parsed {
            Ok(mut m) => {
                // A manifest under tests/ declares what the tests need, not what ships.
                if file.kind == crate::repo::FileKind::Test {
                    for d in &mut m.dependencies {
                        d.kind = DepKind::Dev;
                    }
                    m.entry_points.clear();
                }
                manifests.push(m)
            }
            Err(p) => problems.push(p),
        }
    }
    (manifests, locks)
}

/// 1-based line of the first line at or after `from` (1-based) whose text satisfies
/// `pred`; `None` when there is none.
pub(crate) fn find_line(text: &str, from: u32, pred: impl Fn(&str) -> bool) -> Option<u32> {
    text.lines()
        .enumerate()
        .skip(usize::try_from(from.saturating_sub(1)).unwrap_or(0))
        .find(|(_, l)| pred(l))
        .and_then(|(i, _)| u32::try_from(i + 1).ok())
}

/// Where things are in a TOML file, read in one pass: table headers, keys per table,
/// and quoted strings. Every look-up is a map access, so a manifest with tens of
/// thousands of entries costs linear time, not quadratic.
pub(crate) struct TomlIndex {
    /// Dotted table path → lines of its headers (`[[bin]]` repeats).
    headers: HashMap<String, Vec<u32>>,
    /// Dotted path → line of the first header beneath it (implicit parent tables).
    first_child: HashMap<String, u32>,
    /// Key → (line, line of the header of the table it is in; 0 before any header).
    keys: HashMap<String, Vec<(u32, u32)>>,
    /// Quoted string content → lines where it appears.
    strings: HashMap<String, Vec<u32>>,
}

impl TomlIndex {
    pub(crate) fn new(text: &str) -> TomlIndex {
        let mut ix = TomlIndex {
            headers: HashMap::new(),
            first_child: HashMap::new(),
            keys: HashMap::new(),
            strings: HashMap::new(),
        };
        let mut section = 0u32;
        for (i, l) in text.lines().enumerate() {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let t = l.trim();
            if t.starts_with('[') && !t.starts_with("[\"") && !t.starts_with("['") {
                let inner = t.trim_start_matches('[');
                let inner = inner.split(']').next().unwrap_or("");
                let dotted: String = inner.replace(['"', '\''], "").trim().to_string();
                let mut parent = dotted.as_str();
                while let Some((p, _)) = parent.rsplit_once('.') {
                    ix.first_child.entry(p.to_string()).or_insert(n);
                    parent = p;
                }
                ix.headers.entry(dotted).or_default().push(n);
                section = n;
                continue;
            }
            if let Some((k, _)) = t.split_once('=') {
                let key = k.trim().trim_matches(['"', '\'']);
                if !key.is_empty() {
                    ix.keys
                        .entry(key.to_string())
                        .or_default()
                        .push((n, section));
                }
            }
            for quoted in quoted_strings(l) {
                let lines = ix.strings.entry(quoted.to_string()).or_default();
                if lines.last() != Some(&n) {
                    lines.push(n);
                }
            }
        }
        ix
    }

    /// Line of a table header `[a.b]` / `[[a.b]]`.
    pub(crate) fn table(&self, dotted: &str) -> Option<u32> {
        self.headers.get(dotted).and_then(|v| v.first()).copied()
    }

    /// Lines of every header of an array of tables (`[[bin]]`), in order.
    pub(crate) fn tables(&self, dotted: &str) -> &[u32] {
        self.headers.get(dotted).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Line of a table header, or of the first header beneath an implicit table.
    pub(crate) fn table_or_child(&self, dotted: &str) -> Option<u32> {
        self.table(dotted)
            .or_else(|| self.first_child.get(dotted).copied())
    }

    /// Line of `key =` after line `from` in the same table (no header in between).
    pub(crate) fn key(&self, from: u32, key: &str) -> Option<u32> {
        self.keys
            .get(key)?
            .iter()
            .find(|(line, section)| *line > from && *section <= from)
            .map(|(line, _)| *line)
    }

    /// First line at or after `from` where `item` appears as a whole quoted string.
    pub(crate) fn item(&self, from: u32, item: &str) -> Option<u32> {
        let lines = self.strings.get(item)?;
        let i = lines.partition_point(|&l| l < from);
        lines.get(i).copied()
    }
}

/// The contents of the quoted strings on a line (`"…"` and `'…'`, unescaped).
fn quoted_strings(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\'' {
            let start = i + 1;
            let mut j = start;
            while let Some(&c) = bytes.get(j) {
                if c == b'\\' {
                    j += 2;
                    continue;
                }
                if c == b {
                    break;
                }
                j += 1;
            }
            if let Some(s) = line.get(start..j.min(line.len())) {
                out.push(s);
            }
            i = j + 1;
        } else if b == b'#' {
            break;
        } else {
            i += 1;
        }
    }
    out
}

/// Line offsets of a text, for byte offset → line in O(log n).
pub(crate) struct LineStarts(Vec<usize>);

impl LineStarts {
    pub(crate) fn new(text: &str) -> LineStarts {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineStarts(starts)
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> u32 {
        u32::try_from(self.0.partition_point(|&s| s <= offset).max(1)).unwrap_or(u32::MAX)
    }
}

pub(crate) use crate::model::line_at;

/// A TOML parse failure as a problem with its line.
pub(crate) fn toml_problem(path: &str, text: &str, err: &toml::de::Error) -> Problem {
    let line = err.span().map(|s| line_at(text, s.start)).unwrap_or(1);
    Problem {
        path: path.to_string(),
        line,
        message: format!("not valid TOML: {}", err.message().trim()),
    }
}

/// Dotted paths of every table in a TOML document (to depth 4), for tool detection.
pub(crate) fn toml_tables(ix: &TomlIndex, table: &toml::Table) -> Vec<(String, u32)> {
    fn walk(
        prefix: &str,
        t: &toml::Table,
        depth: usize,
        ix: &TomlIndex,
        out: &mut Vec<(String, u32)>,
    ) {
        if depth > 4 {
            return;
        }
        for (k, v) in t {
            if let toml::Value::Table(inner) = v {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                // An implicit parent table (`[tool.coverage.report]` alone) has no header
                // of its own: point at its first sub-table.
                let line = ix.table_or_child(&path).unwrap_or(1);
                out.push((path.clone(), line));
                walk(&path, inner, depth + 1, ix, out);
            }
        }
    }
    let mut out = Vec::new();
    walk("", table, 0, ix, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_table_and_key_lines() {
        let text = "[project]\nname = \"x\"\ndeps = [\"flask-x\", \"flask\"]\n[tool.ruff]\nline-length = 100\n[tool.coverage.report]\n";
        let ix = TomlIndex::new(text);
        assert_eq!(ix.table("tool.ruff"), Some(4));
        assert_eq!(ix.table_or_child("tool.coverage"), Some(6));
        assert_eq!(ix.key(1, "name"), Some(2));
        assert_eq!(ix.key(1, "line-length"), None);
        assert_eq!(ix.key(4, "line-length"), Some(5));
        assert_eq!(ix.item(1, "flask"), Some(3));
        assert_eq!(ix.item(1, "x"), Some(2));
        assert_eq!(ix.item(1, "fla"), None);
        assert_eq!(LineStarts::new("a\nb\nc").line(2), 2);
        assert_eq!(line_at(text, 0), 1);
        assert_eq!(line_at(text, 10), 2);
    }
}
