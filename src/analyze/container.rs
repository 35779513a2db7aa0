//! Container and orchestration facts: Dockerfiles (stages, base images and their
//! pinning, USER, HEALTHCHECK, EXPOSE), Compose services, Kubernetes resources.

use serde::Serialize;

use super::Problem;
use crate::repo::{FileKind, Inventory, RepoFile};

/// A `FROM` line.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub image: String,
    /// Tag after `:`, if any.
    pub tag: Option<String>,
    /// True when pinned by `@sha256:` digest.
    pub digest: bool,
    /// `AS name`.
    pub alias: Option<String>,
    /// True when the image is an earlier stage of the same file (or `scratch`).
    pub internal: bool,
    pub line: u32,
}

impl Stage {
    /// An external image with neither a digest nor a tag other than `latest`.
    pub fn unpinned(&self) -> bool {
        !self.internal && !self.digest && self.tag.as_deref().is_none_or(|t| t == "latest")
    }
}

/// A Dockerfile, instruction by instruction.
#[derive(Debug, Clone, Serialize)]
pub struct Dockerfile {
    pub path: String,
    pub stages: Vec<Stage>,
    /// The last `USER` of the final stage.
    pub user: Option<(String, u32)>,
    pub healthcheck: Option<u32>,
    pub expose: Vec<(String, u32)>,
}

impl Dockerfile {
    /// True when the final stage runs as root (no USER, or USER root/0).
    pub fn runs_as_root(&self) -> bool {
        match &self.user {
            // Images built to run unprivileged (distroless `:nonroot`, `-nonroot` tags)
            // set their own non-root user.
            None => !self
                .stages
                .last()
                .and_then(|s| s.tag.as_deref())
                .is_some_and(|t| t.contains("nonroot")),
            Some((u, _)) => {
                let name = u.split(':').next().unwrap_or("");
                name == "root" || name == "0"
            }
        }
    }
}

/// A Kubernetes resource found in a YAML file.
#[derive(Debug, Clone, Serialize)]
pub struct K8sResource {
    pub path: String,
    pub kind: String,
    pub line: u32,
}

/// A Compose file and its services.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeFile {
    pub path: String,
    pub services: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ContainerFacts {
    pub dockerfiles: Vec<Dockerfile>,
    pub compose: Vec<ComposeFile>,
    pub kubernetes: Vec<K8sResource>,
}

fn is_dockerfile(name: &str) -> bool {
    name == "Dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
}

fn is_compose(name: &str) -> bool {
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    yaml && (name.starts_with("docker-compose") || name.starts_with("compose."))
}

/// Joins continuation lines; yields (first line number, logical instruction line).
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = raw.trim();
        if current.is_empty() {
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            start = n;
        } else if t.starts_with('#') {
            continue;
        }
        if let Some(body) = t.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
        } else {
            current.push_str(t);
            out.push((start, std::mem::take(&mut current)));
        }
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

pub fn parse_dockerfile(path: &str, text: &str) -> Dockerfile {
    let mut df = Dockerfile {
        path: path.to_string(),
        stages: Vec::new(),
        user: None,
        healthcheck: None,
        expose: Vec::new(),
    };
    for (line, instr) in logical_lines(text) {
        let mut words = instr.split_whitespace();
        let Some(op) = words.next() else { continue };
        let args: Vec<&str> = words.collect();
        match op.to_ascii_uppercase().as_str() {
            "FROM" => {
                let rest: Vec<&str> = args
                    .iter()
                    .copied()
                    .filter(|a| !a.starts_with("--"))
                    .collect();
                let Some(image_ref) = rest.first() else {
                    continue;
                };
                let alias = match (rest.get(1), rest.get(2)) {
                    (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_string())
                    }
                    _ => None,
                };
                let (no_digest, digest) = match image_ref.split_once('@') {
                    Some((img, _)) => (img, true),
                    None => (*image_ref, false),
                };
                // A tag is after the last `:` that follows the last `/` (registry ports
                // use `:` too).
                let slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
                let (image, tag) = match no_digest.get(slash..).and_then(|t| t.rfind(':')) {
                    Some(c) => (
                        no_digest.get(..slash + c).unwrap_or(no_digest).to_string(),
                        no_digest.get(slash + c + 1..).map(str::to_string),
                    ),
                    None => (no_digest.to_string(), None),
                };
                let internal = image == "scratch"
                    || df.stages.iter().any(|s| {
                        s.alias
                            .as_deref()
                            .is_some_and(|a| a.eq_ignore_ascii_case(&image))
                    });
                df.stages.push(Stage {
                    image,
                    tag,
                    digest,
                    alias,
                    internal,
                    line,
                });
                // USER and HEALTHCHECK are per stage; only the final one counts.
                df.user = None;
                df.healthcheck = None;
            }
            "USER" => {
                if let Some(u) = args.first() {
                    df.user = Some((u.to_string(), line));
                }
            }
            "HEALTHCHECK" => {
                let none = args.first().is_some_and(|a| a.eq_ignore_ascii_case("NONE"));
                df.healthcheck = if none { None } else { Some(line) };
            }
            "EXPOSE" => {
                for port in args {
                    df.expose.push((port.to_string(), line));
                }
            }
            _ => {}
        }
    }
    df
}

fn compose_services(path: &str, text: &str, problems: &mut Vec<Problem>) -> ComposeFile {
    let services = match serde_saphyr::from_str::<serde_json::Value>(text) {
        Ok(doc) => doc
            .get("services")
            .and_then(|s| s.as_object())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
        Err(e) => {
            let line = e
                .location()
                .map(|l| u32::try_from(l.line()).unwrap_or(1))
                .unwrap_or(1)
                .max(1);
            let msg = e.to_string();
            problems.push(Problem {
                path: path.to_string(),
                line,
                message: format!(
                    "not valid YAML: {}",
                    msg.lines().next().unwrap_or("parse error").trim()
                ),
            });
            Vec::new()
        }
    };
    ComposeFile {
        path: path.to_string(),
        services,
    }
}

fn k8s_resources(file: &RepoFile, text: &str, out: &mut Vec<K8sResource>) {
    if !text.contains("apiVersion:") {
        return;
    }
    for (i, l) in text.lines().enumerate() {
        let Some(kind) = l.strip_prefix("kind:") else {
            continue;
        };
        let kind = kind.trim().trim_matches(['"', '\'']);
        if kind.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            out.push(K8sResource {
                path: file.path.clone(),
                kind: kind.to_string(),
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            });
        }
    }
}

pub fn analyze(inventory: &Inventory, problems: &mut Vec<Problem>) -> ContainerFacts {
    let mut facts = ContainerFacts::default();
    for file in &inventory.files {
        // Fixtures, tests (a compose file for test databases) and editor dev containers
        // describe no deployment.
        if matches!(
            file.kind,
            FileKind::Fixture | FileKind::Vendored | FileKind::Ci | FileKind::Test
        ) || file.path.starts_with(".devcontainer/")
            || file.path.contains("/.devcontainer/")
        {
            continue;
        }
        let Some(text) = file.text() else { continue };
        let name = file.name();
        if is_dockerfile(name) {
            facts.dockerfiles.push(parse_dockerfile(&file.path, text));
        } else if is_compose(name) {
            facts
                .compose
                .push(compose_services(&file.path, text, problems));
        } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
            && !file.path.contains("templates/")
        {
            k8s_resources(file, text, &mut facts.kubernetes);
        } else if file.path.contains("templates/") && name.ends_with(".yaml") {
            // Helm templates are not valid YAML before rendering; read kinds as text.
            k8s_resources(file, text, &mut facts.kubernetes);
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stages_user_and_healthcheck() {
        let text = "FROM python:3.12-slim AS build\nRUN pip install \\\n  x\nFROM gcr.io:443/distroless/python3@sha256:abc\nUSER nonroot\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nEXPOSE 8000\n";
        let df = parse_dockerfile("Dockerfile", text);
        assert_eq!(df.stages.len(), 2);
        assert_eq!(df.stages[0].tag.as_deref(), Some("3.12-slim"));
        assert_eq!(df.stages[0].alias.as_deref(), Some("build"));
        assert!(df.stages[1].digest);
        assert_eq!(df.stages[1].line, 4);
        assert_eq!(df.user, Some(("nonroot".to_string(), 5)));
        assert_eq!(df.healthcheck, Some(6));
        assert!(!df.runs_as_root());
    }

    #[test]
    fn latest_and_untagged_are_unpinned_and_user_resets_per_stage() {
        let df = parse_dockerfile(
            "Dockerfile",
            "FROM node AS a\nUSER app\nFROM a\nFROM ubuntu:latest\n",
        );
        assert!(df.stages[0].unpinned());
        assert!(!df.stages[1].unpinned());
        assert!(df.stages[2].unpinned());
        assert!(df.runs_as_root());
    }
}
