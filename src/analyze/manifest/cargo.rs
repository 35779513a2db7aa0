//! Cargo.toml: package metadata, dependencies of every section (including target-
//! specific and workspace ones), binary and library targets.

use super::{DepKind, EntryPoint, LanguageVersion, Manifest, TomlIndex, toml_problem, toml_tables};
use crate::analyze::Problem;
use crate::analyze::catalog::Ecosystem;
use crate::repo::Inventory;

fn deps(ix: &TomlIndex, table_path: &str, table: &toml::Table, kind: DepKind, m: &mut Manifest) {
    let at = ix.table(table_path).unwrap_or(1);
    for (key, spec) in table {
        let (name, version) = match spec {
            toml::Value::String(s) => (key.clone(), s.clone()),
            toml::Value::Table(t) => {
                let name = t
                    .get("package")
                    .and_then(toml::Value::as_str)
                    .unwrap_or(key)
                    .to_string();
                let version = t
                    .get("version")
                    .and_then(toml::Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        if t.contains_key("git") {
                            // `git` alone follows a branch; a rev or tag pins it.
                            ["rev", "tag", "branch"]
                                .iter()
                                .find_map(|k| {
                                    t.get(*k)
                                        .and_then(toml::Value::as_str)
                                        .map(|v| format!("git {k}={v}"))
                                })
                                .unwrap_or_else(|| "git".into())
                        } else if t.contains_key("path") {
                            "path".into()
                        } else if t.contains_key("workspace") {
                            "workspace".into()
                        } else {
                            String::new()
                        }
                    });
                let optional = t.get("optional").and_then(toml::Value::as_bool) == Some(true);
                let kind = if optional && kind == DepKind::Runtime {
                    DepKind::Optional
                } else {
                    kind
                };
                let line = ix
                    .key(at, key)
                    .or_else(|| ix.table(&format!("{table_path}.{key}")))
                    .unwrap_or(at);
                m.add_dep(&name, &version, kind, line);
                continue;
            }
            _ => (key.clone(), String::new()),
        };
        let line = ix.key(at, key).unwrap_or(at);
        m.add_dep(&name, &version, kind, line);
    }
}

const SECTIONS: [(&str, DepKind); 3] = [
    ("dependencies", DepKind::Runtime),
    ("dev-dependencies", DepKind::Dev),
    ("build-dependencies", DepKind::Build),
];

pub fn parse(path: &str, text: &str, inventory: &Inventory) -> Result<Manifest, Problem> {
    let doc: toml::Table = text.parse().map_err(|e| toml_problem(path, text, &e))?;
    let ix = TomlIndex::new(text);
    let mut m = Manifest::new(path, Ecosystem::Rust, "Cargo.toml");
    m.config_keys = toml_tables(&ix, &doc);
    let dir = m.dir().to_string();
    let rel = |p: &str| {
        if dir.is_empty() {
            p.to_string()
        } else {
            format!("{dir}/{p}")
        }
    };

    if let Some(package) = doc.get("package").and_then(toml::Value::as_table) {
        let header = ix.table("package").unwrap_or(1);
        m.name = package
            .get("name")
            .and_then(toml::Value::as_str)
            .map(str::to_string);
        match package.get("version") {
            Some(toml::Value::String(v)) => {
                m.version = Some((v.clone(), ix.key(header, "version").unwrap_or(header)));
            }
            Some(toml::Value::Table(_)) => {
                // `version.workspace = true`: the workspace root sets it.
                m.version = Some((
                    "workspace".to_string(),
                    ix.key(header, "version")
                        .or_else(|| ix.key(header, "version.workspace"))
                        .unwrap_or(header),
                ));
            }
            _ => {}
        }
        let rv = package.get("rust-version").and_then(toml::Value::as_str);
        let edition = package.get("edition").and_then(toml::Value::as_str);
        if let Some(spec) = rv
            .map(|r| format!("≥ {r}"))
            .or_else(|| edition.map(|e| format!("edition {e}")))
        {
            let key = if rv.is_some() {
                "rust-version"
            } else {
                "edition"
            };
            m.language_version = Some(LanguageVersion {
                spec,
                line: ix.key(header, key).unwrap_or(header),
            });
        }
        if let Some(l) = package.get("license").and_then(toml::Value::as_str) {
            m.license = Some((l.to_string(), ix.key(header, "license").unwrap_or(header)));
        }
        let bins: Vec<&toml::Table> = doc
            .get("bin")
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(toml::Value::as_table).collect())
            .unwrap_or_default();
        for (n, bin) in bins.iter().enumerate() {
            let name = bin
                .get("name")
                .and_then(toml::Value::as_str)
                .unwrap_or("")
                .to_string();
            let target = bin
                .get("path")
                .and_then(toml::Value::as_str)
                .unwrap_or("src/main.rs")
                .to_string();
            let line = ix.tables("bin").get(n).copied().unwrap_or(1);
            m.entry_points.push(EntryPoint { name, target, line });
        }
        let auto_bins = package.get("autobins").and_then(toml::Value::as_bool) != Some(false);
        if auto_bins && bins.is_empty() {
            if inventory.file(&rel("src/main.rs")).is_some() {
                m.entry_points.push(EntryPoint {
                    name: m.name.clone().unwrap_or_default(),
                    target: "src/main.rs".into(),
                    line: header,
                });
            }
            let bin_dir = rel("src/bin/");
            for f in inventory
                .files
                .iter()
                .filter(|f| f.path.starts_with(&bin_dir) && f.lang() == "rust")
            {
                let rest = f.path.get(bin_dir.len()..).unwrap_or("");
                let name = rest.trim_end_matches(".rs").trim_end_matches("/main");
                if !name.contains('/') {
                    m.entry_points.push(EntryPoint {
                        name: name.to_string(),
                        target: f.path.clone(),
                        line: header,
                    });
                }
            }
        }
        m.library = doc.contains_key("lib") || inventory.file(&rel("src/lib.rs")).is_some();
    }
    if let Some(ws) = doc.get("workspace").and_then(toml::Value::as_table) {
        m.workspace = true;
        if let Some(d) = ws.get("dependencies").and_then(toml::Value::as_table) {
            let before = m.dependencies.len();
            deps(&ix, "workspace.dependencies", d, DepKind::Runtime, &mut m);
            for dep in m.dependencies.iter_mut().skip(before) {
                dep.inherited = true;
            }
        }
    }
    for (section, kind) in SECTIONS {
        if let Some(d) = doc.get(section).and_then(toml::Value::as_table) {
            deps(&ix, section, d, kind, &mut m);
        }
    }
    if let Some(targets) = doc.get("target").and_then(toml::Value::as_table) {
        for (cfg, body) in targets {
            for (section, kind) in SECTIONS {
                if let Some(d) = body.get(section).and_then(toml::Value::as_table) {
                    deps(&ix, &format!("target.{cfg}.{section}"), d, kind, &mut m);
                }
            }
        }
    }
    Ok(m)
}
