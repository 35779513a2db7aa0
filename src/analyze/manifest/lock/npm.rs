//! npm-family lock files: package-lock.json / npm-shrinkwrap.json (v1 nested
//! `dependencies`, v2/v3 flat `packages`), yarn.lock (classic and berry) and
//! pnpm-lock.yaml (v5 to v9) and bun.lock (bun's text format, JSON with trailing
//! commas). The YAML-like formats and bun.lock are read line by line: their entries are
//! one unindented (yarn), two-space-indented (pnpm) or four-space-indented (bun) key
//! each.

use serde_json::Value;

use super::{JsonKeys, MAX_DEPTH, MAX_PACKAGES, Raw, json_problem, line_no, problem};
use crate::analyze::Problem;

pub(super) fn package_lock(path: &str, text: &str) -> Result<Vec<Raw>, Problem> {
    let doc: Value = serde_json::from_str(text).map_err(|e| json_problem(path, &e))?;
    let Some(obj) = doc.as_object() else {
        return Err(problem(path, 1, "lock file is not a JSON object"));
    };
    let keys = JsonKeys::new(text);
    let mut out = Vec::new();
    if let Some(pkgs) = obj.get("packages").and_then(Value::as_object) {
        // v2/v3: `"node_modules/a/node_modules/@s/b": { "version": … }`; the key "" is
        // the project itself and keys without node_modules/ are workspace members.
        let from = keys.line(1, "packages");
        for (key, entry) in pkgs.iter().take(MAX_PACKAGES) {
            let Some(at) = key.rfind("node_modules/") else {
                continue;
            };
            let installed = key.get(at + "node_modules/".len()..).unwrap_or("");
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(installed);
            let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
            out.push((name.to_string(), version.to_string(), keys.line(from, key)));
        }
        return Ok(out);
    }
    if let Some(deps) = obj.get("dependencies").and_then(Value::as_object) {
        let from = keys.line(1, "dependencies");
        v1_dependencies(deps, &keys, from, 0, &mut out);
    }
    Ok(out)
}

/// v1: `"dependencies": { "a": { "version": …, "dependencies": { … } } }`, nested.
/// npm writes it with two-space indentation, so an entry at `depth` is indented by
/// `4 * (depth + 1)` and found after its parent's line.
fn v1_dependencies(
    deps: &serde_json::Map<String, Value>,
    keys: &JsonKeys<'_>,
    from: u32,
    depth: usize,
    out: &mut Vec<Raw>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for (name, entry) in deps {
        if out.len() >= MAX_PACKAGES {
            return;
        }
        let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
        // An alias (`"b": { "version": "npm:real@1.0.0" }`) installs `real`.
        let key = name;
        let line = keys.find(from, key, Some(4 * (depth + 1)));
        let (name, version) = match version.strip_prefix("npm:") {
            Some(alias) => split_at_version(alias).unwrap_or((name.as_str(), version)),
            None => (name.as_str(), version),
        };
        out.push((name.to_string(), version.to_string(), line));
        if let Some(inner) = entry.get("dependencies").and_then(Value::as_object) {
            v1_dependencies(inner, keys, line, depth + 1, out);
        }
    }
}

/// `@scope/name@1.2.3` → (`@scope/name`, `1.2.3`): the last `@` that is not the
/// scope's.
fn split_at_version(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.rfind('@')? + 1;
    Some((spec.get(..at)?, spec.get(at + 1..)?))
}

/// yarn.lock, classic (`"a@^1.0.0", a@^1.1.0:` then `  version "1.2.0"`) and berry
/// (`"a@npm:^1.0.0":` then `  version: 1.2.0`). Workspace entries
/// (`a@workspace:.`) are the project's own packages and are kept with their version.
pub(super) fn yarn(path: &str, text: &str) -> Result<Vec<Raw>, Problem> {
    let mut out = Vec::new();
    let mut current: Option<(String, u32)> = None;
    let mut entries = 0usize;
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        if !l.starts_with(' ') {
            current = None;
            let Some(head) = l.trim_end().strip_suffix(':') else {
                return Err(problem(
                    path,
                    line_no(i),
                    "not a yarn.lock entry: expected `name@range:`",
                ));
            };
            if head == "__metadata" {
                continue;
            }
            entries += 1;
            let first = head.split(", ").next().unwrap_or("").trim_matches('"');
            if let Some((name, _range)) = split_at_version(first) {
                current = Some((name.to_string(), line_no(i)));
            }
            continue;
        }
        let t = l.trim();
        let Some((name, line)) = current.as_ref() else {
            continue;
        };
        let version = t
            .strip_prefix("version:")
            .or_else(|| t.strip_prefix("version "))
            .map(|v| v.trim().trim_matches('"'));
        if let Some(v) = version {
            out.push((name.clone(), v.to_string(), *line));
            current = None;
            if out.len() >= MAX_PACKAGES {
                break;
            }
        }
    }
    if entries > 0 && out.is_empty() {
        return Err(problem(path, 1, "no entry of yarn.lock has a version"));
    }
    Ok(out)
}

/// pnpm-lock.yaml: the keys of the top-level `packages:` map (`/a/1.0.0` in v5,
/// `/a@1.0.0` in v6, `a@1.0.0` in v9, each perhaps followed by a peer suffix
/// `(b@2.0.0)` or `_b@2.0.0`).
pub(super) fn pnpm(path: &str, text: &str) -> Result<Vec<Raw>, Problem> {
    if !text.lines().any(|l| l.starts_with("lockfileVersion")) {
        return Err(problem(
            path,
            1,
            "no `lockfileVersion`: not a pnpm lock file",
        ));
    }
    let mut out = Vec::new();
    let mut in_packages = false;
    for (i, l) in text.lines().enumerate() {
        if !l.starts_with(' ') && !l.trim().is_empty() {
            in_packages = l.trim_end() == "packages:";
            continue;
        }
        if !in_packages || !l.starts_with("  ") || l.starts_with("   ") {
            continue;
        }
        let Some(key) = l.trim().strip_suffix(':') else {
            continue;
        };
        if let Some((name, version)) = pnpm_key(key) {
            out.push((name.to_string(), version.to_string(), line_no(i)));
            if out.len() >= MAX_PACKAGES {
                break;
            }
        }
    }
    Ok(out)
}

fn pnpm_key(key: &str) -> Option<(&str, &str)> {
    let key = key.trim_matches(['\'', '"']);
    let key = key.split('(').next().unwrap_or(key);
    let bare = key.strip_prefix('/').unwrap_or(key);
    // v5: `/name/1.2.3` or `/@scope/name/1.2.3_peer@1.0.0`.
    if let Some((name, version)) = bare.rsplit_once('/') {
        let version = version.split('_').next().unwrap_or(version);
        if !name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit()) {
            return Some((name, version));
        }
    }
    split_at_version(bare).filter(|(n, v)| !n.is_empty() && !v.is_empty())
}

/// bun.lock: the `"packages"` object, one line per package:
/// `"key": ["name@version", …]`. Workspace members, links and git sources carry no
/// registry version and are left out.
pub(super) fn bun(path: &str, text: &str) -> Result<Vec<Raw>, Problem> {
    if !text.contains("\"lockfileVersion\"") {
        return Err(problem(path, 1, "not a bun.lock: no `lockfileVersion`"));
    }
    let mut out = Vec::new();
    let mut inside = false;
    for (i, l) in text.lines().enumerate() {
        if !inside {
            inside = l.trim_start().starts_with("\"packages\":");
            continue;
        }
        let t = l.trim_start();
        if l.len() - t.len() <= 2 && t.starts_with('}') {
            break;
        }
        let Some((_, value)) = t.split_once("\": [\"") else {
            continue;
        };
        let spec = value.split('"').next().unwrap_or("");
        if let Some((name, version)) = split_at_version(spec) {
            let registry = version.chars().next().is_some_and(|c| c.is_ascii_digit());
            if registry {
                out.push((name.to_string(), version.to_string(), line_no(i)));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{LockFile, read};

    fn triples(lock: &LockFile) -> Vec<(&str, &str, u32)> {
        lock.packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
            .collect()
    }

    #[test]
    fn reads_package_lock_v3() {
        let text = r#"{
  "name": "web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "web",
      "dependencies": {
        "express": "^4.18.0"
      }
    },
    "node_modules/express": {
      "version": "4.18.2",
      "resolved": "https://registry.npmjs.org/express/-/express-4.18.2.tgz"
    },
    "node_modules/express/node_modules/@types/node": {
      "version": "20.1.0"
    },
    "node_modules/string-width-cjs": {
      "name": "string-width",
      "version": "4.2.3"
    }
  }
}
"#;
        let lock = read("package-lock.json", "package-lock.json", Some(text)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![
                ("express", "4.18.2", 13),
                ("@types/node", "20.1.0", 17),
                ("string-width", "4.2.3", 20)
            ]
        );
    }

    #[test]
    fn reads_package_lock_v1_nested() {
        let text = r#"{
  "name": "web",
  "lockfileVersion": 1,
  "dependencies": {
    "debug": {
      "version": "2.6.9",
      "requires": { "ms": "2.0.0" },
      "dependencies": {
        "ms": {
          "version": "2.0.0"
        }
      }
    },
    "ms": {
      "version": "2.1.3"
    },
    "old": {
      "version": "npm:left-pad@1.3.0"
    }
  }
}
"#;
        let lock = read("package-lock.json", "package-lock.json", Some(text)).unwrap();
        let got = triples(&lock);
        assert!(got.contains(&("debug", "2.6.9", 5)));
        assert!(got.contains(&("ms", "2.0.0", 9)));
        assert!(got.contains(&("ms", "2.1.3", 14)));
        assert!(got.contains(&("left-pad", "1.3.0", 17)));
    }

    #[test]
    fn malformed_package_lock_is_a_problem() {
        let lock = read(
            "package-lock.json",
            "package-lock.json",
            Some("{\n \"packages\": [\n"),
        )
        .unwrap();
        assert!(lock.packages.is_empty());
        assert!(lock.problem.unwrap().message.contains("JSON"));
    }

    #[test]
    fn reads_yarn_classic() {
        let text = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz\"\n  dependencies:\n    \"@babel/highlight\" \"^7.10.4\"\n\nlodash@^4.17.21:\n  version \"4.17.21\"\n";
        let lock = read("yarn.lock", "yarn.lock", Some(text)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![
                ("@babel/code-frame", "7.12.13", 5),
                ("lodash", "4.17.21", 11)
            ]
        );
    }

    #[test]
    fn reads_yarn_berry() {
        let text = "# This file is generated by running \"yarn install\"\n\n__metadata:\n  version: 6\n  cacheKey: 8\n\n\"lodash@npm:^4.17.21\":\n  version: 4.17.21\n  resolution: \"lodash@npm:4.17.21\"\n  checksum: eb835a2e51d381e561e508ce932ea50a8e5a68f4ebdd771ea240d3048244a8d13658acbd502cd4829768c56f2e16bdd4340b9ea141297d472517b83868e677f7\n  languageName: node\n  linkType: hard\n\n\"web@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"web@workspace:.\"\n";
        let lock = read("yarn.lock", "yarn.lock", Some(text)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![("lodash", "4.17.21", 7), ("web", "0.0.0-use.local", 14)]
        );
    }

    #[test]
    fn garbage_yarn_lock_is_a_problem() {
        let lock = read("yarn.lock", "yarn.lock", Some("<<<<<<< HEAD\n")).unwrap();
        assert_eq!(lock.problem.unwrap().line, 1);
    }

    #[test]
    fn reads_pnpm_v6_and_v9() {
        let v6 = "lockfileVersion: '6.0'\n\ndependencies:\n  express:\n    specifier: ^4.18.0\n    version: 4.18.2\n\npackages:\n\n  /@types/node@20.1.0:\n    resolution: {integrity: sha512-x}\n    dev: true\n\n  /express@4.18.2(supports-color@8.1.1):\n    resolution: {integrity: sha512-y}\n";
        let lock = read("pnpm-lock.yaml", "pnpm-lock.yaml", Some(v6)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![("@types/node", "20.1.0", 10), ("express", "4.18.2", 14)]
        );
        let v9 = "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      lodash:\n        specifier: ^4.17.21\n        version: 4.17.21\n\npackages:\n\n  lodash@4.17.21:\n    resolution: {integrity: sha512-v2}\n\n  '@scope/pkg@1.0.0':\n    resolution: {integrity: sha512-z}\n\nsnapshots:\n\n  lodash@4.17.21: {}\n";
        let lock = read("pnpm-lock.yaml", "pnpm-lock.yaml", Some(v9)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![("lodash", "4.17.21", 12), ("@scope/pkg", "1.0.0", 15)]
        );
    }

    #[test]
    fn reads_pnpm_v5_keys() {
        let v5 = "lockfileVersion: 5.4\n\npackages:\n\n  /@babel/core/7.1.0_supports-color@5.0.0:\n    resolution: {integrity: sha512-a}\n  /ms/2.1.3:\n    dev: false\n";
        let lock = read("pnpm-lock.yaml", "pnpm-lock.yaml", Some(v5)).unwrap();
        assert_eq!(
            triples(&lock),
            vec![("@babel/core", "7.1.0", 5), ("ms", "2.1.3", 7)]
        );
        let bad = read("pnpm-lock.yaml", "pnpm-lock.yaml", Some("just: text\n")).unwrap();
        assert!(bad.problem.is_some());
    }

    #[test]
    fn reads_bun_lock_registry_packages_only() {
        let text = "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": {\n    \"\": { \"name\": \"app\" },\n  },\n  \"packages\": {\n    \"@babel/core\": [\"@babel/core@7.28.6\", \"\", {}, \"sha512-x\"],\n\n    \"frontend\": [\"frontend@workspace:frontend\"],\n\n    \"react\": [\"react@19.1.0\", \"\", {}, \"sha512-y\"],\n  }\n}\n";
        let raw = super::bun("bun.lock", text).unwrap();
        assert_eq!(
            raw,
            vec![
                ("@babel/core".to_string(), "7.28.6".to_string(), 7),
                ("react".to_string(), "19.1.0".to_string(), 11),
            ]
        );
        assert!(super::bun("bun.lock", "{}").is_err());
    }
}
