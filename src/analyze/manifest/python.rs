//! Python manifests: pyproject.toml (PEP 621, PEP 735, Poetry, PDM, uv), requirements
//! files, setup.cfg, setup.py (read as text, never run) and Pipfile.

use std::sync::LazyLock;

use regex::Regex;

use super::{
    DepKind, EntryPoint, LanguageVersion, LineStarts, Manifest, PackageSource, SourceKind,
    TomlIndex, ini, toml_problem, toml_tables,
};
use crate::analyze::Problem;
use crate::analyze::catalog::Ecosystem;

/// Optional-dependency and group names that mean "for developers".
const DEV_GROUPS: &[&str] = &[
    "dev",
    "develop",
    "development",
    "test",
    "tests",
    "testing",
    "lint",
    "linting",
    "docs",
    "doc",
    "typing",
    "types",
    "ci",
    "coverage",
    "style",
    "check",
    "mypy",
    "format",
    "benchmark",
    "bench",
];

fn group_kind(group: &str) -> DepKind {
    let g = group.to_ascii_lowercase();
    if DEV_GROUPS
        .iter()
        .any(|d| g == *d || g.starts_with(&format!("{d}-")) || g.ends_with(&format!("-{d}")))
    {
        DepKind::Dev
    } else {
        DepKind::Optional
    }
}

/// True for `requirements.txt`, `requirements-dev.txt`, `requirements/base.txt`,
/// `dev-requirements.in`, ….
pub fn is_requirements(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let in_dir = path.contains("requirements/");
    let ext_ok = name.ends_with(".txt") || name.ends_with(".in");
    ext_ok && (name.contains("requirements") || (in_dir && !name.starts_with('.')))
}

static PEP508: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$").ok()
});

/// Splits a PEP 508 requirement into (name, version spec without markers).
pub fn split_requirement(req: &str) -> Option<(String, String)> {
    let re = PEP508.as_ref()?;
    let caps = re.captures(req)?;
    let name = caps.get(1)?.as_str().to_string();
    let rest = caps.get(2).map(|m| m.as_str()).unwrap_or("");
    let spec = rest.split(';').next().unwrap_or("").trim();
    let spec = spec.trim_start_matches('(').trim_end_matches(')').trim();
    Some((name, spec.to_string()))
}

fn line_of_item(ix: &TomlIndex, from: u32, item: &str) -> u32 {
    ix.item(from, item).unwrap_or(from.max(1))
}

fn str_array(v: Option<&toml::Value>) -> Vec<&str> {
    v.and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(toml::Value::as_str).collect())
        .unwrap_or_default()
}

pub fn pyproject(path: &str, text: &str) -> Result<Manifest, Problem> {
    let doc: toml::Table = text.parse().map_err(|e| toml_problem(path, text, &e))?;
    let ix = TomlIndex::new(text);
    let mut m = Manifest::new(path, Ecosystem::Python, "pyproject.toml");
    m.config_keys = toml_tables(&ix, &doc);

    if let Some(project) = doc.get("project").and_then(toml::Value::as_table) {
        let header = ix.table("project").unwrap_or(1);
        m.library = true;
        m.name = project
            .get("name")
            .and_then(toml::Value::as_str)
            .map(str::to_string);
        if let Some(v) = project.get("version").and_then(toml::Value::as_str) {
            m.version = Some((v.to_string(), ix.key(header, "version").unwrap_or(header)));
        } else if str_array(project.get("dynamic")).contains(&"version") {
            // Derived at build time (setuptools-scm, hatch-vcs, a __version__ attribute).
            m.version = Some((
                "dynamic".to_string(),
                ix.key(header, "dynamic").unwrap_or(header),
            ));
        }
        if let Some(rp) = project.get("requires-python").and_then(toml::Value::as_str) {
            m.language_version = Some(LanguageVersion {
                spec: rp.to_string(),
                line: ix.key(header, "requires-python").unwrap_or(header),
            });
        }
        let license = match project.get("license") {
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(toml::Value::Table(t)) => t
                .get("text")
                .or_else(|| t.get("file"))
                .and_then(toml::Value::as_str)
                .map(str::to_string),
            _ => None,
        };
        if let Some(l) = license {
            m.license = Some((l, ix.key(header, "license").unwrap_or(header)));
        }
        for req in str_array(project.get("dependencies")) {
            if let Some((name, spec)) = split_requirement(req) {
                let line = line_of_item(&ix, header, req);
                m.add_dep(&name, &spec, DepKind::Runtime, line);
            }
        }
        if let Some(opt) = project
            .get("optional-dependencies")
            .and_then(toml::Value::as_table)
        {
            let at = ix.table("project.optional-dependencies").unwrap_or(header);
            for (group, reqs) in opt {
                m.optional_groups.push(group.clone());
                let kind = group_kind(group);
                for req in str_array(Some(reqs)) {
                    if let Some((name, spec)) = split_requirement(req) {
                        let line = line_of_item(&ix, at, req);
                        m.add_dep(&name, &spec, kind, line);
                    }
                }
            }
        }
        for key in ["scripts", "gui-scripts"] {
            if let Some(scripts) = project.get(key).and_then(toml::Value::as_table) {
                let at = ix.table(&format!("project.{key}")).unwrap_or(header);
                for (name, target) in scripts {
                    let target = target.as_str().unwrap_or("").to_string();
                    let line = ix.key(at, name).unwrap_or(at);
                    m.entry_points.push(EntryPoint {
                        name: name.clone(),
                        target,
                        line,
                    });
                }
            }
        }
    }

    if let Some(groups) = doc.get("dependency-groups").and_then(toml::Value::as_table) {
        let at = ix.table("dependency-groups").unwrap_or(1);
        for reqs in groups.values() {
            for req in str_array(Some(reqs)) {
                if let Some((name, spec)) = split_requirement(req) {
                    let line = line_of_item(&ix, at, req);
                    m.add_dep(&name, &spec, DepKind::Dev, line);
                }
            }
        }
    }

    let tool = doc.get("tool").and_then(toml::Value::as_table);
    if let Some(poetry) = tool
        .and_then(|t| t.get("poetry"))
        .and_then(toml::Value::as_table)
    {
        poetry_section(&ix, poetry, &mut m);
    }
    for (tool_name, key) in [("pdm", "dev-dependencies"), ("uv", "dev-dependencies")] {
        let Some(section) = tool.and_then(|t| t.get(tool_name)).and_then(|t| t.get(key)) else {
            continue;
        };
        let at = ix.table(&format!("tool.{tool_name}")).unwrap_or(1);
        let mut reqs: Vec<&str> = str_array(Some(section));
        if let Some(groups) = section.as_table() {
            for v in groups.values() {
                reqs.extend(str_array(Some(v)));
            }
        }
        for req in reqs {
            if let Some((name, spec)) = split_requirement(req) {
                let line = line_of_item(&ix, at, req);
                m.add_dep(&name, &spec, DepKind::Dev, line);
            }
        }
    }
    if let Some(build) = doc.get("build-system").and_then(toml::Value::as_table) {
        let at = ix.table("build-system").unwrap_or(1);
        for req in str_array(build.get("requires")) {
            if let Some((name, spec)) = split_requirement(req) {
                let line = line_of_item(&ix, at, req);
                m.add_dep(&name, &spec, DepKind::Build, line);
            }
        }
    }
    Ok(m)
}

fn poetry_deps(
    ix: &TomlIndex,
    table_path: &str,
    deps: &toml::Table,
    kind: DepKind,
    m: &mut Manifest,
) {
    let at = ix.table(table_path).unwrap_or(1);
    for (name, spec) in deps {
        let line = ix.key(at, name).unwrap_or(at);
        let spec_text = match spec {
            toml::Value::String(s) => s.clone(),
            toml::Value::Table(t) => t
                .get("version")
                .and_then(toml::Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    if t.contains_key("git") {
                        "git".to_string()
                    } else if t.contains_key("path") {
                        "path".to_string()
                    } else {
                        String::new()
                    }
                }),
            _ => String::new(),
        };
        if name == "python" {
            if m.language_version.is_none() {
                m.language_version = Some(LanguageVersion {
                    spec: spec_text,
                    line,
                });
            }
            continue;
        }
        let optional = spec
            .as_table()
            .and_then(|t| t.get("optional"))
            .and_then(toml::Value::as_bool)
            .unwrap_or(false);
        let kind = if optional && kind == DepKind::Runtime {
            DepKind::Optional
        } else {
            kind
        };
        m.add_dep(name, &spec_text, kind, line);
    }
}

fn poetry_section(ix: &TomlIndex, poetry: &toml::Table, m: &mut Manifest) {
    let header = ix.table("tool.poetry").unwrap_or(1);
    m.library = true;
    if m.name.is_none() {
        m.name = poetry
            .get("name")
            .and_then(toml::Value::as_str)
            .map(str::to_string);
    }
    if m.version.is_none() {
        if let Some(v) = poetry.get("version").and_then(toml::Value::as_str) {
            m.version = Some((v.to_string(), ix.key(header, "version").unwrap_or(header)));
        }
    }
    if m.license.is_none() {
        if let Some(l) = poetry.get("license").and_then(toml::Value::as_str) {
            m.license = Some((l.to_string(), ix.key(header, "license").unwrap_or(header)));
        }
    }
    if let Some(d) = poetry.get("dependencies").and_then(toml::Value::as_table) {
        poetry_deps(ix, "tool.poetry.dependencies", d, DepKind::Runtime, m);
    }
    if let Some(d) = poetry
        .get("dev-dependencies")
        .and_then(toml::Value::as_table)
    {
        poetry_deps(ix, "tool.poetry.dev-dependencies", d, DepKind::Dev, m);
    }
    if let Some(groups) = poetry.get("group").and_then(toml::Value::as_table) {
        for (group, body) in groups {
            if let Some(d) = body.get("dependencies").and_then(toml::Value::as_table) {
                let kind = if group == "main" {
                    DepKind::Runtime
                } else {
                    DepKind::Dev
                };
                poetry_deps(
                    ix,
                    &format!("tool.poetry.group.{group}.dependencies"),
                    d,
                    kind,
                    m,
                );
            }
        }
    }
    if let Some(scripts) = poetry.get("scripts").and_then(toml::Value::as_table) {
        let at = ix.table("tool.poetry.scripts").unwrap_or(header);
        for (name, target) in scripts {
            let target = match target {
                toml::Value::String(s) => s.clone(),
                toml::Value::Table(t) => t
                    .get("reference")
                    .and_then(toml::Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                _ => String::new(),
            };
            m.entry_points.push(EntryPoint {
                name: name.clone(),
                target,
                line: ix.key(at, name).unwrap_or(at),
            });
        }
    }
}

/// The file a `-r FILE` (`--requirement FILE`, `--requirement=FILE`) line includes,
/// resolved against the including file's directory.
fn included_file(path: &str, option: &str) -> Option<String> {
    let rest = option
        .strip_prefix("--requirement")
        .or_else(|| option.strip_prefix("-r"))?;
    let target = rest.trim_start_matches('=').trim();
    if target.is_empty() || target.contains("://") || target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = path
        .rsplit_once('/')
        .map_or(Vec::new(), |(d, _)| d.split('/').collect());
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

pub fn requirements(path: &str, text: &str) -> Manifest {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let dev = ["dev", "test", "lint", "doc", "ci", "type", "check", "bench"]
        .iter()
        .any(|w| {
            name.contains(w)
                || path
                    .to_ascii_lowercase()
                    .contains(&format!("requirements/{w}"))
        });
    let kind = if dev { DepKind::Dev } else { DepKind::Runtime };
    let mut m = Manifest::new(path, Ecosystem::Python, "requirements");
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let content = raw.split(" #").next().unwrap_or("").trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with('-') {
            if let Some(source) = index_option(content, line) {
                m.sources.push(source);
            }
            if let Some(included) = included_file(path, content) {
                m.includes.push(included);
            }
            continue;
        }
        if content.contains("://") && !content.contains(" @ ") {
            m.sources.push(PackageSource {
                kind: SourceKind::DirectUrl {
                    pinned: url_pinned(content),
                },
                value: content.split_whitespace().next().unwrap_or("").to_string(),
                line,
            });
            // The package a bare URL or VCS reference installs: its `#egg=` name, else
            // the repository it is fetched from.
            if let Some(name) = url_requirement_name(content) {
                // The whole line, so that a `--hash` pins it.
                m.add_dep(&name, &format!("@ {content}"), kind, line);
            }
            continue;
        }
        if let Some((dep, spec)) = split_requirement(content) {
            m.add_dep(&dep, &spec, kind, line);
        }
    }
    m
}

/// The distribution a URL requirement installs: `#egg=name`, else the repository's
/// name in a VCS URL (`git+https://host/owner/name.git@rev`) or a source archive of a
/// code host (`https://github.com/owner/name/archive/master.zip`). `None` for a bare
/// file URL, whose package only its metadata names.
fn url_requirement_name(content: &str) -> Option<String> {
    let url = content.split_whitespace().find(|w| w.contains("://"))?;
    let valid = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if let Some(egg) = url.split_once("#egg=").map(|(_, e)| e) {
        let egg = egg.split(['&', '[']).next().unwrap_or(egg);
        return valid(egg).then(|| egg.to_string());
    }
    let path = url.split(['#', '?']).next().unwrap_or(url);
    let path = path.split_once("://").map_or(path, |(_, p)| p);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let name = if let Some(i) = segments.iter().position(|s| *s == "archive") {
        // host/owner/name/archive/ref.zip
        (i == 3).then(|| segments.get(2)).flatten().copied()?
    } else if url.starts_with("git+") {
        let last = segments.last()?;
        let last = last.split('@').next().unwrap_or(last);
        last.strip_suffix(".git").unwrap_or(last)
    } else {
        return None;
    };
    valid(name).then(|| name.to_string())
}

/// `--index-url URL`, `-i URL`, `--extra-index-url=URL`, `--find-links URL`, `-f URL`.
fn index_option(content: &str, line: u32) -> Option<PackageSource> {
    let (opt, value) = match content.split_once(['=', ' ', '\t']) {
        Some((o, v)) => (o, v.trim().trim_start_matches('=').trim()),
        None => (content, ""),
    };
    let kind = match opt {
        "--index-url" | "-i" => SourceKind::IndexUrl,
        "--extra-index-url" => SourceKind::ExtraIndexUrl,
        "--find-links" | "-f" => SourceKind::FindLinks,
        _ => return None,
    };
    Some(PackageSource {
        kind,
        value: value.to_string(),
        line,
    })
}

/// True when a URL requirement names an exact artifact: a VCS reference to a commit
/// hash (`@` followed by 7–40 hex digits) or a URL with a hash (`#sha256=`, `--hash`).
pub fn url_pinned(req: &str) -> bool {
    if req.contains("--hash") || req.contains("#sha256=") || req.contains("#sha512=") {
        return true;
    }
    let url = req
        .split_whitespace()
        .find(|w| w.contains("://"))
        .unwrap_or(req);
    let url = url.split('#').next().unwrap_or(url);
    let path = url.split_once("://").map(|(_, p)| p).unwrap_or(url);
    path.rsplit_once('@').is_some_and(|(_, rev)| {
        (7..=40).contains(&rev.len()) && rev.chars().all(|c| c.is_ascii_hexdigit())
    })
}

pub fn setup_cfg(path: &str, text: &str) -> Result<Manifest, Problem> {
    let sections = ini::parse(text);
    let mut m = Manifest::new(path, Ecosystem::Python, "setup.cfg");
    for s in &sections {
        m.config_keys.push((s.name.clone(), s.line));
    }
    if let Some(meta) = sections.iter().find(|s| s.name == "metadata") {
        m.library = true;
        m.name = meta.get("name").map(|e| e.value.clone());
        m.version = meta.get("version").map(|e| (e.value.clone(), e.line));
        m.license = meta.get("license").map(|e| (e.value.clone(), e.line));
    }
    if let Some(opts) = sections.iter().find(|s| s.name == "options") {
        if let Some(e) = opts.get("python_requires") {
            m.language_version = Some(LanguageVersion {
                spec: e.value.clone(),
                line: e.line,
            });
        }
        for key in ["install_requires", "setup_requires", "tests_require"] {
            let kind = match key {
                "install_requires" => DepKind::Runtime,
                "setup_requires" => DepKind::Build,
                _ => DepKind::Dev,
            };
            if let Some(e) = opts.get(key) {
                for (line, v) in e.values() {
                    if let Some((dep, spec)) = split_requirement(v) {
                        m.add_dep(&dep, &spec, kind, line);
                    }
                }
            }
        }
    }
    if let Some(extras) = sections.iter().find(|s| s.name == "options.extras_require") {
        for e in &extras.entries {
            let kind = group_kind(&e.key);
            for (line, v) in e.values() {
                if let Some((dep, spec)) = split_requirement(v) {
                    m.add_dep(&dep, &spec, kind, line);
                }
            }
        }
    }
    if let Some(eps) = sections.iter().find(|s| s.name == "options.entry_points") {
        if let Some(e) = eps.get("console_scripts") {
            for (line, v) in e.values() {
                if let Some((name, target)) = v.split_once('=') {
                    m.entry_points.push(EntryPoint {
                        name: name.trim().to_string(),
                        target: target.trim().to_string(),
                        line,
                    });
                }
            }
        }
    }
    Ok(m)
}

static SETUP_LIST: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?s)\b(install_requires|tests_require|setup_requires)\s*=\s*\[(.*?)\]").ok()
});
static QUOTED: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r#"["']([^"'\n]+)["']"#).ok());
static SETUP_SCALAR: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"\b(name|version|python_requires|license)\s*=\s*["']([^"'\n]+)["']"#).ok()
});
static CONSOLE_SCRIPT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"["']\s*([A-Za-z0-9_.-]+)\s*=\s*([A-Za-z0-9_.]+:[A-Za-z0-9_.]+)\s*["']"#).ok()
});

/// Whether a `setup.py` is a packaging script: it imports setuptools, distutils or
/// another build backend, or calls `setup(`.
pub fn is_setup_script(text: &str) -> bool {
    static SETUP_CALL: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"(?m)^\s*(?:\w+\.)?setup\s*\(").ok());
    ["setuptools", "distutils", "skbuild", "numpy.distutils"]
        .iter()
        .any(|m| text.contains(m))
        || SETUP_CALL.as_ref().is_some_and(|r| r.is_match(text))
}

/// Reads what it can of a setup.py as text. It is never executed.
pub fn setup_py(path: &str, text: &str) -> Manifest {
    let mut m = Manifest::new(path, Ecosystem::Python, "setup.py");
    m.library = true;
    let starts = LineStarts::new(text);
    let line = |offset: usize| starts.line(offset);
    if let (Some(list), Some(quoted)) = (SETUP_LIST.as_ref(), QUOTED.as_ref()) {
        for caps in list.captures_iter(text) {
            let (Some(key), Some(body)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            let kind = match key.as_str() {
                "install_requires" => DepKind::Runtime,
                "setup_requires" => DepKind::Build,
                _ => DepKind::Dev,
            };
            for q in quoted.captures_iter(body.as_str()) {
                let Some(item) = q.get(1) else { continue };
                if let Some((dep, spec)) = split_requirement(item.as_str()) {
                    m.add_dep(&dep, &spec, kind, line(body.start() + item.start()));
                }
            }
        }
    }
    if let Some(re) = SETUP_SCALAR.as_ref() {
        for caps in re.captures_iter(text) {
            let (Some(k), Some(v)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            let value = (v.as_str().to_string(), line(k.start()));
            match k.as_str() {
                "name" if m.name.is_none() => m.name = Some(value.0),
                "version" if m.version.is_none() => m.version = Some(value),
                "license" if m.license.is_none() => m.license = Some(value),
                "python_requires" if m.language_version.is_none() => {
                    m.language_version = Some(LanguageVersion {
                        spec: value.0,
                        line: value.1,
                    })
                }
                _ => {}
            }
        }
    }
    if let (Some(at), Some(re)) = (text.find("console_scripts"), CONSOLE_SCRIPT.as_ref()) {
        let tail = text.get(at..).unwrap_or("");
        let end = tail.find(']').unwrap_or(tail.len());
        for caps in re.captures_iter(tail.get(..end).unwrap_or("")) {
            let (Some(n), Some(t)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            m.entry_points.push(EntryPoint {
                name: n.as_str().to_string(),
                target: t.as_str().to_string(),
                line: line(at + n.start()),
            });
        }
    }
    m
}

pub fn pipfile(path: &str, text: &str) -> Result<Manifest, Problem> {
    let doc: toml::Table = text.parse().map_err(|e| toml_problem(path, text, &e))?;
    let ix = TomlIndex::new(text);
    let mut m = Manifest::new(path, Ecosystem::Python, "Pipfile");
    for (section, kind) in [
        ("packages", DepKind::Runtime),
        ("dev-packages", DepKind::Dev),
    ] {
        let Some(deps) = doc.get(section).and_then(toml::Value::as_table) else {
            continue;
        };
        let at = ix.table(section).unwrap_or(1);
        for (name, spec) in deps {
            let spec = match spec {
                toml::Value::String(s) => s.clone(),
                toml::Value::Table(t) => t
                    .get("version")
                    .and_then(toml::Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                _ => String::new(),
            };
            m.add_dep(name, &spec, kind, ix.key(at, name).unwrap_or(at));
        }
    }
    if let Some(req) = doc.get("requires").and_then(toml::Value::as_table) {
        let at = ix.table("requires").unwrap_or(1);
        if let Some(v) = req.get("python_version").and_then(toml::Value::as_str) {
            m.language_version = Some(LanguageVersion {
                spec: v.to_string(),
                line: ix.key(at, "python_version").unwrap_or(at),
            });
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_requirements() {
        assert_eq!(
            split_requirement("requests[socks] >=2.31 ; python_version<'3.12'"),
            Some(("requests".into(), ">=2.31".into()))
        );
        assert_eq!(
            split_requirement("click"),
            Some(("click".into(), "".into()))
        );
        assert_eq!(split_requirement("  "), None);
    }

    #[test]
    fn reads_pep621_and_poetry() {
        let text = r#"[project]
name = "demo"
version = "1.2.0"
requires-python = ">=3.10"
dependencies = [
    "requests>=2",
    "click",
]

[project.optional-dependencies]
dev = ["pytest>=8"]

[project.scripts]
demo = "demo.cli:main"

[tool.poetry.group.dev.dependencies]
ruff = "^0.5"
"#;
        let m = pyproject("pyproject.toml", text).unwrap();
        assert_eq!(m.name.as_deref(), Some("demo"));
        assert_eq!(m.language_version.as_ref().unwrap().line, 4);
        let deps: Vec<(&str, DepKind, u32)> = m
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.kind, d.line))
            .collect();
        assert!(deps.contains(&("requests", DepKind::Runtime, 6)));
        assert!(deps.contains(&("click", DepKind::Runtime, 7)));
        assert!(deps.contains(&("pytest", DepKind::Dev, 11)));
        assert!(deps.contains(&("ruff", DepKind::Dev, 17)));
        assert_eq!(m.entry_points[0].name, "demo");
        assert_eq!(m.entry_points[0].line, 14);
    }

    #[test]
    fn malformed_pyproject_is_a_problem_with_a_line() {
        let p = pyproject("pyproject.toml", "[project]\nname = \n").unwrap_err();
        assert_eq!(p.line, 2);
        assert!(p.message.contains("TOML"));
    }

    #[test]
    fn reads_requirements_and_setup_py() {
        let m = requirements(
            "requirements-dev.txt",
            "# c\npytest==8.0  # pinned\n-r base.txt\n",
        );
        assert_eq!(m.dependencies.len(), 1);
        assert_eq!(m.dependencies[0].kind, DepKind::Dev);
        assert_eq!(m.dependencies[0].line, 2);
        assert_eq!(m.includes, ["base.txt"]);
        let dev = requirements(
            "requirements-dev.txt",
            "-r backend/requirements.txt\n--requirement=../x.txt\n",
        );
        assert_eq!(dev.includes, ["backend/requirements.txt"]);
        let s = setup_py(
            "setup.py",
            "setup(\n  name='x',\n  install_requires=[\n    'numpy>=1',\n  ],\n  entry_points={'console_scripts': ['x = x.cli:main']},\n)\n",
        );
        assert_eq!(s.dependencies[0].name, "numpy");
        assert_eq!(s.dependencies[0].line, 4);
        assert_eq!(s.entry_points[0].name, "x");
        assert!(is_requirements("requirements/base.txt"));
        let r = requirements(
            "requirements.txt",
            "--extra-index-url https://pkgs.example.com/simple\n-i=https://mirror.example.com/simple\ngit+https://github.com/o/r.git@v1.0#egg=r\ngit+https://github.com/o/s.git@0123abcd#egg=s\n",
        );
        let kinds: Vec<(SourceKind, &str, u32)> = r
            .sources
            .iter()
            .map(|s| (s.kind, s.value.as_str(), s.line))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (
                    SourceKind::ExtraIndexUrl,
                    "https://pkgs.example.com/simple",
                    1
                ),
                (SourceKind::IndexUrl, "https://mirror.example.com/simple", 2),
                (
                    SourceKind::DirectUrl { pinned: false },
                    "git+https://github.com/o/r.git@v1.0#egg=r",
                    3
                ),
                (
                    SourceKind::DirectUrl { pinned: true },
                    "git+https://github.com/o/s.git@0123abcd#egg=s",
                    4
                ),
            ]
        );
        assert!(!is_requirements("notes.txt"));
        let names: Vec<&str> = r.dependencies.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, vec!["r", "s"]);
    }

    #[test]
    fn url_requirements_name_their_package() {
        let name = |s: &str| url_requirement_name(s);
        assert_eq!(
            name("git+https://github.com/o/django-chunked-upload@master#egg=django-chunked-upload")
                .as_deref(),
            Some("django-chunked-upload")
        );
        assert_eq!(
            name("https://github.com/owncloud/pyocclient/archive/master.zip").as_deref(),
            Some("pyocclient")
        );
        assert_eq!(
            name("git+https://gitlab.com/g/tool.git@v2").as_deref(),
            Some("tool")
        );
        assert_eq!(name("https://files.example.com/pkg/x-1.0.tar.gz"), None);
        assert_eq!(name("https://example.com/archive/x.zip"), None);
    }
}
