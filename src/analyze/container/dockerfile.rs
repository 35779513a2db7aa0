//! Dockerfile parsing: parser directives, logical instructions (escaped line
//! continuations joined, comments dropped, heredoc bodies attached) with their line
//! numbers, and the facts read from them (stages, USER, HEALTHCHECK, EXPOSE, ARG/ENV,
//! ADD sources).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::{Dockerfile, Stage};

/// A heredoc (`<<EOF … EOF`) attached to an instruction.
#[derive(Debug, Clone, Serialize)]
pub struct Heredoc {
    pub delimiter: String,
    pub body: String,
    /// Line of the first body line.
    pub line: u32,
}

/// One instruction, continuations joined.
#[derive(Debug, Clone, Serialize)]
pub struct Instruction {
    /// Upper-cased keyword (`RUN`, `COPY`…).
    pub op: String,
    /// Leading `--flag[=value]` options (`--mount=type=secret,id=x`, `--checksum=…`).
    pub flags: Vec<String>,
    /// The rest of the instruction after its flags.
    pub args: String,
    pub line: u32,
    /// Last line of the instruction, heredoc bodies included.
    pub end_line: u32,
    pub heredocs: Vec<Heredoc>,
    /// Index of the stage the instruction belongs to (0 before and in the first
    /// stage).
    pub stage: usize,
}

impl Instruction {
    /// The value of a `--name=value` flag (or `Some("")` for a bare `--name`).
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find_map(|f| {
            let f = f.strip_prefix("--")?;
            match f.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case(name) => Some(v),
                None if f.eq_ignore_ascii_case(name) => Some(""),
                _ => None,
            }
        })
    }

    /// True when a `--mount` flag mounts a build secret.
    pub fn mounts_secret(&self) -> bool {
        self.flags.iter().any(|f| {
            f.strip_prefix("--mount=")
                .is_some_and(|m| m.split(',').any(|p| p.eq_ignore_ascii_case("type=secret")))
        })
    }

    /// The command text a shell runs: the arguments and every heredoc body.
    pub fn script(&self) -> String {
        let mut s = self.args.clone();
        for h in &self.heredocs {
            s.push('\n');
            s.push_str(&h.body);
        }
        s
    }

    /// Source and destination operands of COPY/ADD (JSON array form included).
    pub fn operands(&self) -> Vec<String> {
        let args = self.args.trim();
        if args.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<Vec<String>>(args) {
                return v;
            }
        }
        shell_words(args)
    }
}

/// ARG or ENV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VarKind {
    Arg,
    Env,
}

/// What an ARG/ENV variable is set to, without the value itself (it may be a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VarValue {
    /// `ARG NAME` or an empty value.
    Unset,
    /// A literal value.
    Literal,
    /// A value built from other variables (`$TOKEN`, `${TOKEN}`).
    Reference,
}

/// A variable declared by ARG or ENV.
#[derive(Debug, Clone, Serialize)]
pub struct BuildVar {
    pub kind: VarKind,
    pub name: String,
    pub value: VarValue,
    /// Variables the value refers to.
    pub refers_to: Vec<String>,
    pub line: u32,
    pub stage: usize,
}

/// An ADD instruction's sources.
#[derive(Debug, Clone, Serialize)]
pub struct AddSource {
    pub source: String,
    /// An `http://` or `https://` URL.
    pub remote: bool,
    /// `--checksum=` given.
    pub checksum: bool,
    pub line: u32,
}

static HEREDOC: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)(["']?)"#).ok());
static VAR_REF: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)").ok());
static DIRECTIVE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$").ok());

/// Names of the variables `$NAME` / `${NAME}` in a text.
pub fn var_refs(text: &str) -> Vec<String> {
    let Some(re) = VAR_REF.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(text)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}

/// Splits on whitespace outside quotes, dropping the quotes.
fn shell_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            None => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn line_no(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

/// Parser directives (`# syntax=…`, `# escape=…`) at the top of the file.
fn directives(lines: &[&str]) -> Vec<(String, String, u32)> {
    let Some(re) = DIRECTIVE.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(c) = re.captures(l.trim()) else {
            break;
        };
        let key = c.get(1).map(|m| m.as_str().to_ascii_lowercase());
        let value = c.get(2).map(|m| m.as_str().to_string());
        match (key, value) {
            (Some(k), Some(v)) if matches!(k.as_str(), "syntax" | "escape" | "check") => {
                out.push((k, v, line_no(i)));
            }
            _ => break,
        }
    }
    out
}

/// Splits a Dockerfile into instructions.
pub fn instructions(text: &str) -> (Vec<(String, String, u32)>, Vec<Instruction>) {
    let lines: Vec<&str> = text.lines().collect();
    let dirs = directives(&lines);
    let escape = dirs
        .iter()
        .find(|(k, _, _)| k == "escape")
        .and_then(|(_, v, _)| v.chars().next())
        .unwrap_or('\\');
    let mut out: Vec<Instruction> = Vec::new();
    let mut current = String::new();
    let mut start = 0u32;
    let mut stage = 0usize;
    let mut seen_from = false;
    let mut i = 0usize;
    while let Some(raw) = lines.get(i) {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            // Blank and comment lines neither start nor end an instruction.
            i += 1;
            continue;
        }
        if current.is_empty() {
            start = line_no(i);
        }
        if let Some(body) = t.strip_suffix(escape) {
            current.push_str(body);
            current.push(' ');
            i += 1;
            continue;
        }
        current.push_str(t);
        let logical = std::mem::take(&mut current);
        let mut end = line_no(i);
        i += 1;
        let (op, rest) = match logical.split_once(char::is_whitespace) {
            Some((op, rest)) => (op.to_ascii_uppercase(), rest.trim()),
            None => (logical.to_ascii_uppercase(), ""),
        };
        let mut heredocs = Vec::new();
        if matches!(op.as_str(), "RUN" | "COPY" | "ADD") {
            if let Some(re) = HEREDOC.as_ref() {
                for c in re.captures_iter(rest) {
                    let Some(delim) = c.get(3).map(|m| m.as_str().to_string()) else {
                        continue;
                    };
                    let body_start = line_no(i);
                    let mut body = Vec::new();
                    while let Some(l) = lines.get(i) {
                        i += 1;
                        if l.trim() == delim {
                            break;
                        }
                        body.push(*l);
                    }
                    end = line_no(i.saturating_sub(1));
                    heredocs.push(Heredoc {
                        delimiter: delim,
                        body: body.join("\n"),
                        line: body_start,
                    });
                }
            }
        }
        let mut flags = Vec::new();
        let mut args = rest;
        while args.starts_with("--") {
            let (flag, tail) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
            flags.push(flag.to_string());
            args = tail.trim_start();
        }
        if op == "FROM" {
            if seen_from {
                stage += 1;
            }
            seen_from = true;
        }
        out.push(Instruction {
            op,
            flags,
            args: args.to_string(),
            line: start,
            end_line: end,
            heredocs,
            stage,
        });
    }
    (dirs, out)
}

fn vars_of(ins: &Instruction, kind: VarKind) -> Vec<BuildVar> {
    let words = shell_words(&ins.args);
    let mut out = Vec::new();
    let legacy_env = kind == VarKind::Env && words.first().is_some_and(|w| !w.contains('='));
    let pairs: Vec<(String, String)> = if legacy_env {
        // `ENV NAME value with spaces`
        let mut it = words.into_iter();
        let name = it.next().unwrap_or_default();
        vec![(name, it.collect::<Vec<_>>().join(" "))]
    } else {
        words
            .into_iter()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (w, String::new()),
            })
            .collect()
    };
    for (name, value) in pairs {
        if name.is_empty() {
            continue;
        }
        let refers_to = var_refs(&value);
        let value_kind = if value.trim().is_empty() {
            VarValue::Unset
        } else if !refers_to.is_empty() {
            VarValue::Reference
        } else {
            VarValue::Literal
        };
        out.push(BuildVar {
            kind,
            name,
            value: value_kind,
            refers_to,
            line: ins.line,
            stage: ins.stage,
        });
    }
    out
}

/// Parses a Dockerfile.
pub fn parse(path: &str, text: &str) -> Dockerfile {
    let (directives, instructions) = instructions(text);
    let mut df = Dockerfile {
        path: path.to_string(),
        stages: Vec::new(),
        user: None,
        healthcheck: None,
        expose: Vec::new(),
        directives,
        vars: Vec::new(),
        adds: Vec::new(),
        instructions: Vec::new(),
        dockerignore: None,
        dev: None,
        drops_privileges: None,
        unbuilt_variant: None,
        published_instead: None,
    };
    // The USER and HEALTHCHECK each named stage ends with: a stage built `FROM` it
    // inherits them, as from any base image.
    type StageConfig = (Option<(String, u32)>, Option<u32>);
    let mut stage_users: Vec<(String, StageConfig)> = Vec::new();
    for ins in &instructions {
        let line = ins.line;
        let args: Vec<&str> = ins.args.split_whitespace().collect();
        match ins.op.as_str() {
            "FROM" => {
                if let Some(alias) = df.stages.last().and_then(|s| s.alias.as_deref()) {
                    stage_users.push((
                        alias.to_ascii_lowercase(),
                        (df.user.clone(), df.healthcheck),
                    ));
                }
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
                // USER and HEALTHCHECK are per stage; only the final one counts. A
                // stage built on an earlier one starts with that stage's.
                let lower = df.stages.last().map(|s| s.image.to_ascii_lowercase());
                let inherited = lower
                    .filter(|_| df.stages.last().is_some_and(|s| s.internal))
                    .and_then(|image| {
                        stage_users
                            .iter()
                            .rfind(|(alias, _)| *alias == image)
                            .map(|(_, config)| config.clone())
                    });
                (df.user, df.healthcheck) = inherited.unwrap_or_default();
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
            "ARG" => df.vars.extend(vars_of(ins, VarKind::Arg)),
            "ENV" => df.vars.extend(vars_of(ins, VarKind::Env)),
            "ADD" => {
                let checksum = ins.flag("checksum").is_some_and(|v| !v.is_empty());
                let mut ops = ins.operands();
                ops.pop(); // the destination
                for source in ops {
                    let lower = source.to_ascii_lowercase();
                    df.adds.push(AddSource {
                        remote: lower.starts_with("http://") || lower.starts_with("https://"),
                        source,
                        checksum,
                        line,
                    });
                }
            }
            _ => {}
        }
    }
    df.instructions = instructions;
    df
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_continuations_and_skips_comments_inside_them() {
        let text =
            "FROM alpine:3.20\nRUN apk add \\\n  # a comment\n  curl \\\n\n  git\nUSER app\n";
        let (_, ins) = instructions(text);
        assert_eq!(ins.len(), 3);
        assert_eq!(ins[1].op, "RUN");
        assert_eq!(ins[1].line, 2);
        assert_eq!(ins[1].end_line, 6);
        assert!(ins[1].args.contains("curl") && ins[1].args.contains("git"));
        assert_eq!(ins[2].line, 7);
    }

    #[test]
    fn attaches_heredoc_bodies_and_resumes_after_them() {
        let text = "# syntax=docker/dockerfile:1.7\nFROM debian:12\nRUN <<EOF\ncurl -fsSL https://x.example/i.sh | sh\nEOF\nCOPY <<-'CONF' /etc/app.conf\nkey=1\nCONF\nUSER 1000\n";
        let (dirs, ins) = instructions(text);
        assert_eq!(
            dirs,
            vec![("syntax".into(), "docker/dockerfile:1.7".into(), 1)]
        );
        assert_eq!(ins.len(), 4);
        assert_eq!(ins[1].heredocs.len(), 1);
        assert_eq!(ins[1].heredocs[0].line, 4);
        assert!(ins[1].script().contains("| sh"));
        assert_eq!(ins[2].heredocs[0].delimiter, "CONF");
        assert_eq!(ins[2].heredocs[0].body, "key=1");
        assert_eq!(ins[3].op, "USER");
        assert_eq!(ins[3].line, 9);
    }

    #[test]
    fn honours_the_escape_directive() {
        let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir `\n  c:\\\nUSER app\n";
        let (_, ins) = instructions(text);
        assert_eq!(ins.len(), 3);
        assert!(ins[1].args.contains("c:\\"));
    }

    #[test]
    fn reads_flags_vars_and_add_sources() {
        let text = "FROM alpine:3.20\nARG TOKEN\nARG VERSION=1.2\nENV API_KEY=$TOKEN DEBUG=\"no way\"\nENV LEGACY some value\nADD --checksum=sha256:abc https://x.example/a.tgz /opt/\nADD [\"local.tar.gz\", \"/opt/\"]\nRUN --mount=type=secret,id=npm --network=none npm ci\n";
        let df = parse("Dockerfile", text);
        let v: Vec<(&str, VarValue)> = df.vars.iter().map(|v| (v.name.as_str(), v.value)).collect();
        assert_eq!(
            v,
            vec![
                ("TOKEN", VarValue::Unset),
                ("VERSION", VarValue::Literal),
                ("API_KEY", VarValue::Reference),
                ("DEBUG", VarValue::Literal),
                ("LEGACY", VarValue::Literal),
            ]
        );
        assert_eq!(df.vars[2].refers_to, vec!["TOKEN".to_string()]);
        assert_eq!(df.adds.len(), 2);
        assert!(df.adds[0].remote && df.adds[0].checksum);
        assert!(!df.adds[1].remote);
        assert_eq!(df.adds[1].source, "local.tar.gz");
        let run = df.instructions.last().unwrap();
        assert!(run.mounts_secret());
        assert_eq!(run.args, "npm ci");
    }

    #[test]
    fn reads_stages_user_and_healthcheck() {
        let text = "FROM python:3.12-slim AS build\nRUN pip install \\\n  x\nFROM gcr.io:443/distroless/python3@sha256:abc\nUSER nonroot\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nEXPOSE 8000\n";
        let df = parse("Dockerfile", text);
        assert_eq!(df.stages.len(), 2);
        assert_eq!(df.stages[0].tag.as_deref(), Some("3.12-slim"));
        assert_eq!(df.stages[0].alias.as_deref(), Some("build"));
        assert!(df.stages[1].digest);
        assert_eq!(df.stages[1].line, 4);
        assert_eq!(df.user, Some(("nonroot".to_string(), 5)));
        assert_eq!(df.healthcheck, Some(6));
        assert!(!df.runs_as_root());
        assert_eq!(df.instructions[4].stage, 1);
    }

    #[test]
    fn a_stage_built_on_an_earlier_one_starts_as_its_user() {
        let text = "FROM rust:1.95 AS builder\nRUN cargo build\nFROM busybox:glibc AS minimal\nRUN adduser -D app\nUSER app\nCMD [\"/app\"]\nFROM minimal\nCOPY --from=builder /x /x\n";
        let df = parse("Dockerfile", text);
        assert_eq!(df.user, Some(("app".to_string(), 5)));
        assert!(!df.runs_as_root());
        // An external image of the same name as no stage starts as root.
        let text = "FROM busybox:glibc AS minimal\nUSER app\nFROM debian:12\nCMD [\"/app\"]\n";
        let df = parse("Dockerfile", text);
        assert_eq!(df.user, None);
        assert!(df.runs_as_root());
    }

    #[test]
    fn latest_and_untagged_are_unpinned_and_user_resets_per_stage() {
        let df = parse(
            "Dockerfile",
            "FROM node AS a\nUSER app\nFROM a\nFROM ubuntu:latest\n",
        );
        assert!(df.stages[0].unpinned());
        assert!(!df.stages[1].unpinned());
        assert!(df.stages[2].unpinned());
        assert!(df.runs_as_root());
    }
}
