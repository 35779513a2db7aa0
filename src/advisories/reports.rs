//! Reports the user already has: `pip-audit --format json` (current object form and the
//! older list), `cargo audit --json`, and `npm audit --json` (v7+ `vulnerabilities` and
//! v6 `advisories`), detected by shape and read into the same advisories as the database.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::osv::{from_label, from_score, truncate};
use crate::analyze::catalog::Ecosystem;
use crate::model::Severity;

/// Largest report read.
pub const MAX_REPORT: u64 = 64 << 20;

/// One vulnerable package a report names.
#[derive(Debug, Clone)]
pub struct Reported {
    pub ecosystem: Ecosystem,
    pub package: String,
    /// The installed version, when the report gives it (npm v7+ gives only the range).
    pub version: Option<String>,
    /// The affected range, when the report gives that instead of a version.
    pub range: Option<String>,
    /// Primary id first, then aliases.
    pub ids: Vec<String>,
    pub summary: String,
    pub severity: Option<Severity>,
    pub fixed: Option<String>,
}

/// A report read: which tool wrote it and what it lists.
#[derive(Debug, Clone)]
pub struct Report {
    pub path: String,
    pub tool: &'static str,
    pub ecosystem: Ecosystem,
    pub entries: Vec<Reported>,
}

/// Reads and recognises a report; the error is one sentence naming the file.
pub fn read(path: &Path) -> Result<Report, String> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read the audit report {shown}: {e}"))?;
    let mut text = Vec::new();
    file.take(MAX_REPORT + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("cannot read the audit report {shown}: {e}"))?;
    if text.len() as u64 > MAX_REPORT {
        return Err(format!(
            "the audit report {shown} is larger than {} MiB",
            MAX_REPORT >> 20
        ));
    }
    let json: Value = serde_json::from_slice(&text)
        .map_err(|e| format!("the audit report {shown} is not JSON: {e}"))?;
    parse(&shown, &json).ok_or_else(|| {
        format!("the audit report {shown} is not pip-audit, cargo audit or npm audit JSON")
    })
}

/// Recognises the format by shape.
pub fn parse(path: &str, json: &Value) -> Option<Report> {
    let (tool, ecosystem, entries) = if let Some(deps) = json
        .get("dependencies")
        .and_then(Value::as_array)
        .or_else(|| json.as_array())
    {
        ("pip-audit", Ecosystem::Python, pip_audit(deps)?)
    } else if let Some(v) = json
        .get("vulnerabilities")
        .filter(|v| v.get("list").is_some())
    {
        ("cargo audit", Ecosystem::Rust, cargo_audit(v)?)
    } else if let Some(v) = json.get("vulnerabilities").and_then(Value::as_object) {
        ("npm audit", Ecosystem::Npm, npm_v7(v))
    } else if let Some(a) = json.get("advisories").and_then(Value::as_object) {
        ("npm audit", Ecosystem::Npm, npm_v6(a))
    } else {
        return None;
    };
    Some(Report {
        path: path.to_string(),
        tool,
        ecosystem,
        entries,
    })
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn summary(text: Option<String>) -> String {
    truncate(text.as_deref().unwrap_or(""), 240)
}

fn pip_audit(deps: &[Value]) -> Option<Vec<Reported>> {
    let mut out = Vec::new();
    for d in deps {
        // Every element of a pip-audit report is a {name, version} object.
        let name = s(d, "name")?;
        for v in d
            .get("vulns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(id) = s(v, "id") else { continue };
            let mut ids = vec![id];
            ids.extend(strings(v.get("aliases")));
            out.push(Reported {
                ecosystem: Ecosystem::Python,
                package: name.clone(),
                version: s(d, "version"),
                range: None,
                ids,
                summary: summary(s(v, "description")),
                severity: None,
                fixed: strings(v.get("fix_versions")).into_iter().next(),
            });
        }
    }
    Some(out)
}

fn cargo_audit(v: &Value) -> Option<Vec<Reported>> {
    let list = v.get("list")?.as_array()?;
    let mut out = Vec::new();
    for item in list {
        let (Some(adv), Some(pkg)) = (item.get("advisory"), item.get("package")) else {
            continue;
        };
        let (Some(id), Some(name)) = (s(adv, "id"), s(pkg, "name")) else {
            continue;
        };
        let mut ids = vec![id];
        ids.extend(strings(adv.get("aliases")));
        let severity = s(adv, "cvss")
            .and_then(|c| c.parse::<cvss::Cvss>().ok())
            .map(|c| from_score(c.score()));
        // `patched` holds requirements (`>=0.2.23`, `^0.1.45`): the first one's version.
        let fixed = strings(item.get("versions").and_then(|x| x.get("patched")))
            .into_iter()
            .next()
            .map(|r| {
                r.trim_start_matches(['>', '=', '^', '~', ' '])
                    .split([',', ' '])
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .filter(|f| !f.is_empty());
        out.push(Reported {
            ecosystem: Ecosystem::Rust,
            package: name,
            version: s(pkg, "version"),
            range: None,
            ids,
            summary: summary(s(adv, "title")),
            severity,
            fixed,
        });
    }
    Some(out)
}

/// The advisory id in a GitHub advisory URL (`…/advisories/GHSA-xxxx-xxxx-xxxx`).
fn ghsa(url: Option<String>) -> Option<String> {
    url.and_then(|u| {
        u.rsplit('/')
            .next()
            .filter(|t| t.starts_with("GHSA-"))
            .map(str::to_string)
    })
}

fn npm_v7(vulns: &serde_json::Map<String, Value>) -> Vec<Reported> {
    let mut out = Vec::new();
    for (name, v) in vulns {
        let fixed = v
            .get("fixAvailable")
            .filter(|f| s(f, "name").as_deref() == Some(name.as_str()))
            .and_then(|f| s(f, "version"));
        // `via` names either advisories (objects) or other vulnerable packages (strings,
        // reported under their own name).
        for via in v.get("via").and_then(Value::as_array).into_iter().flatten() {
            if !via.is_object() {
                continue;
            }
            let id = ghsa(s(via, "url")).or_else(|| {
                via.get("source")
                    .map(|x| format!("npm advisory {}", x.to_string().trim_matches('"')))
            });
            let Some(id) = id else { continue };
            let severity = via
                .get("cvss")
                .and_then(|c| c.get("score"))
                .and_then(Value::as_f64)
                .filter(|s| *s > 0.0)
                .map(from_score)
                .or_else(|| s(via, "severity").as_deref().and_then(from_label));
            out.push(Reported {
                ecosystem: Ecosystem::Npm,
                package: s(via, "name").unwrap_or_else(|| name.clone()),
                version: None,
                range: s(via, "range").or_else(|| s(v, "range")),
                ids: vec![id],
                summary: summary(s(via, "title")),
                severity,
                fixed: fixed.clone(),
            });
        }
    }
    out
}

fn npm_v6(advisories: &serde_json::Map<String, Value>) -> Vec<Reported> {
    let mut out = Vec::new();
    for a in advisories.values() {
        let Some(name) = s(a, "module_name") else {
            continue;
        };
        let mut ids: Vec<String> = Vec::new();
        ids.extend(s(a, "github_advisory_id"));
        ids.extend(ghsa(s(a, "url")).filter(|g| !ids.contains(g)));
        if let Some(id) = a.get("id") {
            ids.push(format!("npm advisory {}", id.to_string().trim_matches('"')));
        }
        ids.extend(strings(a.get("cves")));
        if ids.is_empty() {
            continue;
        }
        let fixed = s(a, "patched_versions")
            .map(|p| {
                p.trim_start_matches(['>', '=', '^', '~', ' '])
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .filter(|p| p.starts_with(|c: char| c.is_ascii_digit()));
        let versions: Vec<String> = a
            .get("findings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| s(f, "version"))
            .collect();
        let base = Reported {
            ecosystem: Ecosystem::Npm,
            package: name,
            version: None,
            range: s(a, "vulnerable_versions"),
            ids,
            summary: summary(s(a, "title")),
            severity: s(a, "severity").as_deref().and_then(from_label),
            fixed,
        };
        for v in &versions {
            out.push(Reported {
                version: Some(v.clone()),
                ..base.clone()
            });
        }
        if versions.is_empty() {
            out.push(base);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Report {
        parse("r.json", &serde_json::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn reads_pip_audit_both_forms() {
        let new = parsed(
            r#"{"dependencies":[{"name":"flask","version":"0.5","vulns":[{"id":"PYSEC-2019-179","fix_versions":["1.0"],"aliases":["CVE-2019-1010083"],"description":"DoS"}]},{"name":"six","version":"1.16.0","vulns":[]}],"fixes":[]}"#,
        );
        assert_eq!(new.tool, "pip-audit");
        assert_eq!(new.entries.len(), 1);
        assert_eq!(new.entries[0].ids, ["PYSEC-2019-179", "CVE-2019-1010083"]);
        assert_eq!(new.entries[0].fixed.as_deref(), Some("1.0"));
        let old = parsed(
            r#"[{"name":"flask","version":"0.5","vulns":[{"id":"PYSEC-1","fix_versions":[]}]}]"#,
        );
        assert_eq!(old.entries[0].version.as_deref(), Some("0.5"));
    }

    #[test]
    fn reads_cargo_audit_patched_requirement() {
        let r = parsed(
            r#"{"database":{},"vulnerabilities":{"found":true,"count":1,"list":[{"advisory":{"id":"RUSTSEC-2020-0071","package":"time","title":"Potential segfault","aliases":["CVE-2020-26235"],"cvss":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"},"versions":{"patched":[">=0.2.23"],"unaffected":["=0.2.0"]},"package":{"name":"time","version":"0.1.45"}}]},"warnings":{}}"#,
        );
        assert_eq!(r.tool, "cargo audit");
        let e = &r.entries[0];
        assert_eq!(e.fixed.as_deref(), Some("0.2.23"));
        assert_eq!(e.severity, Some(Severity::P2));
    }

    #[test]
    fn reads_npm_audit_v7_and_v6() {
        let v7 = parsed(
            r#"{"auditReportVersion":2,"vulnerabilities":{"minimist":{"name":"minimist","severity":"critical","via":[{"source":1097677,"name":"minimist","title":"Prototype Pollution in minimist","url":"https://github.com/advisories/GHSA-xvch-5gv4-984h","severity":"critical","range":"<0.2.4"}],"range":"<=0.2.3","fixAvailable":{"name":"minimist","version":"0.2.4","isSemVerMajor":false}},"mkdirp":{"name":"mkdirp","severity":"critical","via":["minimist"],"fixAvailable":true}}}"#,
        );
        assert_eq!(v7.entries.len(), 1);
        assert_eq!(v7.entries[0].ids, ["GHSA-xvch-5gv4-984h"]);
        assert_eq!(v7.entries[0].severity, Some(Severity::P0));
        assert_eq!(v7.entries[0].fixed.as_deref(), Some("0.2.4"));
        let v6 = parsed(
            r#"{"advisories":{"1179":{"id":1179,"module_name":"minimist","title":"Prototype Pollution","severity":"low","patched_versions":">=1.2.3","vulnerable_versions":"<1.2.3","cves":["CVE-2020-7598"],"github_advisory_id":"GHSA-vh95-rmgr-6w4m","findings":[{"version":"1.2.0","paths":["mkdirp>minimist"]}]}},"metadata":{}}"#,
        );
        assert_eq!(v6.entries[0].version.as_deref(), Some("1.2.0"));
        assert_eq!(v6.entries[0].ids[0], "GHSA-vh95-rmgr-6w4m");
        assert_eq!(v6.entries[0].fixed.as_deref(), Some("1.2.3"));
    }

    #[test]
    fn unknown_shapes_are_refused() {
        assert!(parse("x", &serde_json::json!({"foo": 1})).is_none());
        assert!(parse("x", &serde_json::json!([{"nope": 1}])).is_none());
    }
}
