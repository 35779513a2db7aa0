//! Judges whether an update bot proposes dependency upgrades: Renovate (which covers
//! every ecosystem it finds), or Dependabot with an `updates` entry for each ecosystem
//! in use and each directory that holds its manifest.

use globset::Glob;
use serde_json::Value;

use crate::analyze::catalog::Ecosystem;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity};
use crate::repo::FileKind;

use super::deps::in_use;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.dependency-updates",
        category: Category::Security,
        title: "Dependency updates automated",
        summary: "Dependabot or Renovate is configured, and Dependabot's `updates` cover every ecosystem in use (pip, cargo, npm, gomod, github-actions) in the directories of its manifests.",
        weight: 0.5,
        severity: Severity::P3,
        by_kind: None,
        effort: Effort::S,
        rationale: "Security fixes arrive as new versions. Without a bot proposing upgrades, dependencies drift until an incident forces a large, risky jump across many releases at once; an ecosystem the bot does not watch drifts the same way.",
        remediation: "Add `.github/dependabot.yml` with one `updates` entry per ecosystem and manifest directory (`package-ecosystem: pip|cargo|npm|gomod|github-actions`, `directory: /…`, a `schedule`), or enable Renovate (`renovate.json`).",
        action: "Configure Dependabot or Renovate for every ecosystem in use",
        risk: "Outdated dependencies",
    },
    evaluate,
};

const DEPENDABOT: &[&str] = &[".github/dependabot.yml", ".github/dependabot.yaml"];
const RENOVATE: &[&str] = &[
    "renovate.json",
    "renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
];

/// Dependabot's `package-ecosystem` names that update an ecosystem's manifests.
fn dependabot_names(eco: Ecosystem) -> &'static [&'static str] {
    match eco {
        Ecosystem::Python => &["pip", "uv", "pipenv", "poetry"],
        Ecosystem::Rust => &["cargo"],
        Ecosystem::Npm => &["npm", "yarn", "pnpm", "bun"],
        Ecosystem::Go => &["gomod"],
    }
}

fn ecosystem_of(dependabot: &str) -> Option<Ecosystem> {
    [
        Ecosystem::Python,
        Ecosystem::Rust,
        Ecosystem::Npm,
        Ecosystem::Go,
    ]
    .into_iter()
    .find(|e| dependabot_name(*e) == dependabot)
}

fn dependabot_name(eco: Ecosystem) -> &'static str {
    dependabot_names(eco).first().copied().unwrap_or("")
}

/// One `updates` entry: ecosystem, directories (globs allowed) and its line.
struct Update {
    ecosystem: String,
    directories: Vec<String>,
    line: u32,
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    // What needs watching: (dependabot name, manifest directory, manifest path, line,
    // the directory of the lock file that covers it: a workspace is updated from its
    // root).
    let mut needed: Vec<(&'static str, String, String, u32, Option<String>)> = Vec::new();
    for m in in_use(cx) {
        let line = m.dependencies.first().map(|d| d.line).unwrap_or(1);
        let lock_dir = super::deps::covering(cx, m)
            .first()
            .map(|l| format!("/{}", l.dir()));
        needed.push((
            dependabot_name(m.ecosystem),
            format!("/{}", m.dir()),
            m.path.clone(),
            line,
            lock_dir,
        ));
    }
    let workflow = cx
        .inventory
        .files
        .iter()
        .find(|f| f.kind == FileKind::Ci && f.path.starts_with(".github/workflows/"));
    if let Some(w) = workflow {
        needed.push(("github-actions", "/".into(), w.path.clone(), 1, None));
    }
    if needed.is_empty() {
        return Outcome::not_applicable("no dependencies or workflows to update");
    }
    let renovate = RENOVATE
        .iter()
        .find(|p| cx.inventory.file(p).is_some())
        .map(|p| cx.at_start(p))
        .or_else(|| {
            cx.facts
                .manifests
                .iter()
                .filter(|m| m.path == "package.json")
                .find_map(|m| m.config_keys.iter().find(|(k, _)| k == "renovate"))
                .map(|(_, line)| cx.at("package.json", *line))
        });
    if let Some(evidence) = renovate {
        return Outcome::pass("Renovate proposes dependency updates").strength(
            def,
            "Renovate proposes dependency updates",
            "",
            vec![evidence],
        );
    }
    let Some((path, text)) = DEPENDABOT
        .iter()
        .find_map(|p| cx.inventory.file(p).and_then(|f| f.text().map(|t| (*p, t))))
    else {
        if let Some(o) = cx.not_shipped("update bot configuration") {
            return o;
        }
        return Outcome::fail("no update bot").concern(
            def,
            "No Dependabot or Renovate configuration",
            "Nothing proposes dependency upgrades, so security fixes are picked up only when someone remembers to look.",
            vec![Evidence::absent(
                format!("{}, {}, a `renovate` key in package.json", DEPENDABOT.join(", "), RENOVATE.join(", ")),
                cx.scope(),
            )],
        );
    };
    let updates = match parse_dependabot(text) {
        Ok(u) => u,
        Err(message) => {
            return Outcome::fail("Dependabot configuration unreadable").concern(
                def,
                format!("{path} could not be read"),
                format!("{path} is not a valid Dependabot configuration ({message}), so Dependabot ignores it."),
                vec![cx.at_start(path)],
            );
        }
    };
    let updates_line =
        crate::analyze::manifest::find_line(text, 1, |l| l.trim_start().starts_with("updates:"))
            .unwrap_or(1);
    // (ecosystem, directory, manifest, manifest line, config line to point at).
    let mut missing: Vec<(&str, String, String, u32, u32)> = Vec::new();
    for (eco, dir, manifest, line, lock_dir) in &needed {
        let names: &[&str] = match *eco {
            "github-actions" => &["github-actions"],
            other => ecosystem_of(other).map(dependabot_names).unwrap_or(&[]),
        };
        let covered = updates.iter().any(|u| {
            names.contains(&u.ecosystem.as_str())
                && (*eco == "github-actions"
                    || u.directories.iter().any(|d| {
                        dir_matches(d, dir) || lock_dir.as_ref().is_some_and(|l| dir_matches(d, l))
                    }))
        });
        if !covered && !missing.iter().any(|(e, d, ..)| e == eco && d == dir) {
            // An entry for the ecosystem that misses this directory, else `updates:`.
            let at = updates
                .iter()
                .find(|u| names.contains(&u.ecosystem.as_str()))
                .map(|u| u.line)
                .unwrap_or(updates_line);
            missing.push((eco, dir.clone(), manifest.clone(), *line, at));
        }
    }
    if missing.is_empty() {
        return Outcome::pass("Dependabot covers every ecosystem in use").strength(
            def,
            "Dependabot proposes dependency updates",
            "",
            vec![cx.at(path, updates_line)],
        );
    }
    let listed: Vec<String> = missing
        .iter()
        .map(|(e, d, ..)| format!("{e} in {d}"))
        .collect();
    let mut evidence: Vec<Evidence> = Vec::new();
    for (_, _, manifest, line, at) in missing.iter().take(5) {
        evidence.push(cx.at(path, *at));
        evidence.push(cx.at(manifest, *line));
    }
    Outcome::partial(0.5, format!("Dependabot misses {}", listed.join(", "))).concern(
        def,
        format!("Dependabot does not watch {}", listed.join(", ")),
        format!(
            "{path} has no `updates` entry for {}: those dependencies are never proposed for upgrade.",
            listed.join(", ")
        ),
        evidence,
    )
}

/// True when a Dependabot `directory` (perhaps a glob) names a manifest directory.
fn dir_matches(pattern: &str, dir: &str) -> bool {
    let norm = |s: &str| {
        let t = s.trim().trim_end_matches('/');
        if t.is_empty() {
            "/".to_string()
        } else if t.starts_with('/') {
            t.to_string()
        } else {
            format!("/{t}")
        }
    };
    let (p, d) = (norm(pattern), norm(dir));
    if p == d {
        return true;
    }
    p.contains('*')
        && Glob::new(&p)
            .map(|g| g.compile_matcher().is_match(&d))
            .unwrap_or(false)
}

fn parse_dependabot(text: &str) -> Result<Vec<Update>, String> {
    let doc: Value = serde_saphyr::from_str_with_options(text, crate::analyze::yaml_options())
        .map_err(|e| e.to_string())?;
    let Some(entries) = doc.get("updates").and_then(Value::as_array) else {
        return Err("no `updates` list".into());
    };
    let mut out = Vec::new();
    let mut from = 1;
    for e in entries {
        let ecosystem = e
            .get("package-ecosystem")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut directories: Vec<String> = Vec::new();
        if let Some(d) = e.get("directory").and_then(Value::as_str) {
            directories.push(d.to_string());
        }
        if let Some(ds) = e.get("directories").and_then(Value::as_array) {
            directories.extend(ds.iter().filter_map(Value::as_str).map(str::to_string));
        }
        let line = crate::analyze::manifest::find_line(text, from, |l| {
            l.contains("package-ecosystem") && l.contains(ecosystem.as_str())
        })
        .unwrap_or(from);
        from = line.saturating_add(1);
        out.push(Update {
            ecosystem,
            directories,
            line,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dependabot_updates() {
        let text = "version: 2\nupdates:\n  - package-ecosystem: \"pip\"\n    directory: \"/\"\n    schedule:\n      interval: weekly\n  - package-ecosystem: npm\n    directories: [\"/web\", \"/packages/*\"]\n";
        let u = parse_dependabot(text).unwrap();
        assert_eq!(u.len(), 2);
        assert_eq!((u[0].ecosystem.as_str(), u[0].line), ("pip", 3));
        assert_eq!(u[1].line, 7);
        assert!(
            u[1].directories
                .iter()
                .any(|d| dir_matches(d, "/packages/ui"))
        );
        assert!(dir_matches("/", "/"));
        assert!(!dir_matches("/", "/web"));
        assert!(parse_dependabot("version: 2\n").is_err());
    }
}
