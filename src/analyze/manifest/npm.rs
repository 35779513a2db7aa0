//! package.json: name, version, engines, dependencies of every kind, scripts, bin.

use serde_json::Value;

use std::collections::HashMap;

use super::{DepKind, EntryPoint, LanguageVersion, Manifest};
use crate::analyze::Problem;
use crate::analyze::catalog::Ecosystem;

/// Lines of every `"key":` in the file, read once.
struct Keys(HashMap<String, Vec<u32>>);

impl Keys {
    fn new(text: &str) -> Keys {
        let mut map: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, l) in text.lines().enumerate() {
            let t = l.trim_start();
            let Some(rest) = t.strip_prefix('"') else {
                continue;
            };
            let Some(end) = rest.find('"') else { continue };
            let after = rest.get(end + 1..).unwrap_or("");
            if after.trim_start().starts_with(':') {
                let key = rest.get(..end).unwrap_or("").to_string();
                map.entry(key)
                    .or_default()
                    .push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        Keys(map)
    }
}

/// Line of `"key":` (first occurrence at or after `from`).
fn key_line(keys: &Keys, from: u32, key: &str) -> u32 {
    keys.0
        .get(key)
        .and_then(|lines| lines.get(lines.partition_point(|&l| l < from)).copied())
        .unwrap_or(from.max(1))
}

pub fn parse(path: &str, text: &str) -> Result<Manifest, Problem> {
    let doc: Value = serde_json::from_str(text).map_err(|e| Problem {
        path: path.to_string(),
        line: u32::try_from(e.line()).unwrap_or(1).max(1),
        message: format!("not valid JSON: {e}"),
    })?;
    let Some(obj) = doc.as_object() else {
        return Err(Problem {
            path: path.to_string(),
            line: 1,
            message: "package.json is not a JSON object".into(),
        });
    };
    let keys = Keys::new(text);
    let mut m = Manifest::new(path, Ecosystem::Npm, "package.json");
    for key in obj.keys() {
        m.config_keys.push((key.clone(), key_line(&keys, 1, key)));
    }
    m.name = obj.get("name").and_then(Value::as_str).map(str::to_string);
    if let Some(v) = obj.get("version").and_then(Value::as_str) {
        m.version = Some((v.to_string(), key_line(&keys, 1, "version")));
    }
    if let Some(l) = obj.get("license").and_then(Value::as_str) {
        m.license = Some((l.to_string(), key_line(&keys, 1, "license")));
    }
    if let Some(node) = obj
        .get("engines")
        .and_then(|e| e.get("node"))
        .and_then(Value::as_str)
    {
        let at = key_line(&keys, 1, "engines");
        m.language_version = Some(LanguageVersion {
            spec: node.to_string(),
            line: key_line(&keys, at, "node"),
        });
    }
    for (section, kind) in [
        ("dependencies", DepKind::Runtime),
        ("devDependencies", DepKind::Dev),
        ("peerDependencies", DepKind::Optional),
        ("optionalDependencies", DepKind::Optional),
    ] {
        let Some(deps) = obj.get(section).and_then(Value::as_object) else {
            continue;
        };
        let at = key_line(&keys, 1, section);
        for (name, spec) in deps {
            let spec = spec.as_str().unwrap_or("");
            m.add_dep(name, spec, kind, key_line(&keys, at, name));
        }
    }
    if let Some(scripts) = obj.get("scripts").and_then(Value::as_object) {
        let at = key_line(&keys, 1, "scripts");
        for (name, cmd) in scripts {
            let cmd = cmd.as_str().unwrap_or("").to_string();
            m.scripts
                .push((name.clone(), cmd, key_line(&keys, at, name)));
        }
    }
    match obj.get("bin") {
        Some(Value::String(target)) => m.entry_points.push(EntryPoint {
            name: m.name.clone().unwrap_or_default(),
            target: target.clone(),
            line: key_line(&keys, 1, "bin"),
        }),
        Some(Value::Object(bins)) => {
            let at = key_line(&keys, 1, "bin");
            for (name, target) in bins {
                m.entry_points.push(EntryPoint {
                    name: name.clone(),
                    target: target.as_str().unwrap_or("").to_string(),
                    line: key_line(&keys, at, name),
                });
            }
        }
        _ => {}
    }
    m.workspace = obj.contains_key("workspaces");
    // A named package that is not private can be published and imported (npm defaults
    // `main` to index.js).
    m.library = m.name.is_some() && obj.get("private").and_then(Value::as_bool) != Some(true);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_json() {
        let text = "{\n  \"name\": \"web\",\n  \"version\": \"1.0.0\",\n  \"scripts\": {\n    \"test\": \"jest\"\n  },\n  \"dependencies\": {\n    \"express\": \"^4.18.0\"\n  },\n  \"devDependencies\": {\n    \"jest\": \"^29\"\n  }\n}\n";
        let m = parse("package.json", text).unwrap();
        assert_eq!(m.scripts[0].2, 5);
        let express = m.dependencies.iter().find(|d| d.name == "express").unwrap();
        assert_eq!((express.kind, express.line), (DepKind::Runtime, 8));
        let jest = m.dependencies.iter().find(|d| d.name == "jest").unwrap();
        assert_eq!((jest.kind, jest.line), (DepKind::Dev, 11));
    }

    #[test]
    fn malformed_json_is_a_problem() {
        let p = parse("package.json", "{\n  \"name\": \n}").unwrap_err();
        assert_eq!(p.line, 3);
    }
}
