//! package.json: name, version, engines, dependencies of every kind, scripts, bin.

use serde_json::Value;

use super::{DepKind, EntryPoint, LanguageVersion, Manifest, find_line};
use crate::analyze::Problem;
use crate::analyze::catalog::Ecosystem;

/// Line of `"key":` (first occurrence at or after `from`).
fn key_line(text: &str, from: u32, key: &str) -> u32 {
    let needle = format!("\"{key}\"");
    find_line(text, from, |l| {
        l.trim_start().starts_with(&needle) && l.contains(':')
    })
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
    let mut m = Manifest::new(path, Ecosystem::Npm, "package.json");
    for key in obj.keys() {
        m.config_keys.push((key.clone(), key_line(text, 1, key)));
    }
    m.name = obj.get("name").and_then(Value::as_str).map(str::to_string);
    if let Some(v) = obj.get("version").and_then(Value::as_str) {
        m.version = Some((v.to_string(), key_line(text, 1, "version")));
    }
    if let Some(l) = obj.get("license").and_then(Value::as_str) {
        m.license = Some((l.to_string(), key_line(text, 1, "license")));
    }
    if let Some(node) = obj
        .get("engines")
        .and_then(|e| e.get("node"))
        .and_then(Value::as_str)
    {
        let at = key_line(text, 1, "engines");
        m.language_version = Some(LanguageVersion {
            spec: node.to_string(),
            line: key_line(text, at, "node"),
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
        let at = key_line(text, 1, section);
        for (name, spec) in deps {
            let spec = spec.as_str().unwrap_or("");
            m.add_dep(name, spec, kind, key_line(text, at, name));
        }
    }
    if let Some(scripts) = obj.get("scripts").and_then(Value::as_object) {
        let at = key_line(text, 1, "scripts");
        for (name, cmd) in scripts {
            let cmd = cmd.as_str().unwrap_or("").to_string();
            m.scripts
                .push((name.clone(), cmd, key_line(text, at, name)));
        }
    }
    match obj.get("bin") {
        Some(Value::String(target)) => m.entry_points.push(EntryPoint {
            name: m.name.clone().unwrap_or_default(),
            target: target.clone(),
            line: key_line(text, 1, "bin"),
        }),
        Some(Value::Object(bins)) => {
            let at = key_line(text, 1, "bin");
            for (name, target) in bins {
                m.entry_points.push(EntryPoint {
                    name: name.clone(),
                    target: target.as_str().unwrap_or("").to_string(),
                    line: key_line(text, at, name),
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
