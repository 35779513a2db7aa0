//! The OSV schema (only the fields the audit reads) and the compact per-package record
//! the index stores: id, aliases, summary, severity, affected ranges and versions.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::Severity;

/// One OSV advisory as published.
#[derive(Debug, Deserialize)]
pub struct Advisory {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    #[serde(default)]
    pub affected: Vec<AffectedPackage>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct SeverityEntry {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub score: String,
}

#[derive(Debug, Deserialize)]
pub struct AffectedPackage {
    #[serde(default)]
    pub package: Option<PackageRef>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct PackageRef {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
}

/// A range: its type and its events.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One range event; exactly one field is set.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

impl Event {
    pub fn version(&self) -> &str {
        self.introduced
            .as_deref()
            .or(self.fixed.as_deref())
            .or(self.last_affected.as_deref())
            .or(self.limit.as_deref())
            .unwrap_or("")
    }
}

/// The ranges and versions of one `affected[]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// One advisory as it concerns one package: what the index stores, one per line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: String,
    /// P0–P3 as derived from CVSS or the database's rating; `None` when unrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub package: String,
    pub affected: Vec<Affected>,
}

/// Longest summary kept: the report links the advisory for the rest.
const MAX_SUMMARY: usize = 240;

impl Advisory {
    /// The records for packages of `ecosystem` (its OSV name), one per package; none
    /// for a withdrawn advisory.
    pub fn records(&self, ecosystem: &str) -> Vec<Record> {
        if self.withdrawn.is_some() {
            return Vec::new();
        }
        let summary = summary_of(self);
        let mut out: Vec<Record> = Vec::new();
        for a in &self.affected {
            let Some(p) = &a.package else { continue };
            if p.ecosystem.split(':').next() != Some(ecosystem) || p.name.is_empty() {
                continue;
            }
            let affected = Affected {
                ranges: a.ranges.clone(),
                versions: a.versions.clone(),
            };
            if let Some(r) = out.iter_mut().find(|r| r.package == p.name) {
                r.affected.push(affected);
                continue;
            }
            out.push(Record {
                id: self.id.clone(),
                aliases: self.aliases.clone(),
                summary: summary.clone(),
                severity: severity_of(self, a),
                package: p.name.clone(),
                affected: vec![affected],
            });
        }
        out
    }
}

fn summary_of(a: &Advisory) -> String {
    let text = a
        .summary
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| a.details.as_deref().and_then(|d| d.lines().next()))
        .unwrap_or("")
        .trim();
    truncate(text, MAX_SUMMARY)
}

/// At most `max` characters, on a character boundary, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max).collect();
    cut.push('…');
    cut
}

/// The highest CVSS score among the vectors given, else the database's own rating
/// (GHSA `CRITICAL`/`HIGH`/`MODERATE`/`LOW`, npm and RustSec alike).
fn severity_of(a: &Advisory, p: &AffectedPackage) -> Option<Severity> {
    let score = a
        .severity
        .iter()
        .chain(&p.severity)
        .filter(|s| s.kind.starts_with("CVSS"))
        .filter_map(|s| cvss::Cvss::from_str(s.score.trim()).ok())
        .map(|c| c.score())
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    if let Some(s) = score {
        return Some(from_score(s));
    }
    [
        &a.database_specific,
        &p.database_specific,
        &p.ecosystem_specific,
    ]
    .into_iter()
    .flatten()
    .find_map(|v| {
        v.get("severity")
            .and_then(|s| s.as_str())
            .and_then(from_label)
    })
}

/// CVSS base score → priority: critical (≥ 9) blocks a release, high (≥ 7) is P1.
pub fn from_score(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::P0
    } else if score >= 7.0 {
        Severity::P1
    } else if score >= 4.0 {
        Severity::P2
    } else {
        Severity::P3
    }
}

/// A database's word for severity → priority.
pub fn from_label(label: &str) -> Option<Severity> {
    match label.trim().to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::P0),
        "high" => Some(Severity::P1),
        "moderate" | "medium" => Some(Severity::P2),
        "low" | "info" | "informational" => Some(Severity::P3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_cvss_severity_and_skip_other_ecosystems() {
        let json = r#"{"id":"GHSA-x","aliases":["CVE-1"],"summary":"Bad","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
          "affected":[{"package":{"ecosystem":"PyPI","name":"Foo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2"}]}]},
                      {"package":{"ecosystem":"npm","name":"foo"},"versions":["1.0.0"]}]}"#;
        let a: Advisory = serde_json::from_str(json).unwrap();
        let r = a.records("PyPI");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].package, "Foo");
        assert_eq!(r[0].severity, Some(Severity::P0));
        let w: Advisory =
            serde_json::from_str(r#"{"id":"X","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"a"}}]}"#).unwrap();
        assert!(w.records("PyPI").is_empty());
    }

    #[test]
    fn database_rating_used_without_cvss() {
        let json = r#"{"id":"GHSA-y","database_specific":{"severity":"MODERATE"},"affected":[{"package":{"ecosystem":"npm","name":"a"}}]}"#;
        let a: Advisory = serde_json::from_str(json).unwrap();
        assert_eq!(a.records("npm")[0].severity, Some(Severity::P2));
        assert_eq!(from_score(7.5), Severity::P1);
        assert_eq!(from_label("LOW"), Some(Severity::P3));
    }
}
