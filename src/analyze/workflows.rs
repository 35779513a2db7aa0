//! GitHub Actions workflows and composite actions, read as a tree with the line of
//! every node: triggers, `permissions`, jobs, and each step's `uses:` (split into
//! owner, repository, path and ref), `with:` arguments, `run:` script (each script line
//! mapped back to its file line, block scalars included) and `env:`. Also the catalog of
//! expression contexts an outsider controls (`github.event.issue.title` …).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::Problem;
use crate::repo::{FileKind, Inventory, RepoFile};

/// A YAML value with the line it starts on.
#[derive(Debug, Clone)]
struct Node {
    value: Yaml,
    line: u32,
}

#[derive(Debug, Clone)]
enum Yaml {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Yaml>::deserialize(d)?;
        Ok(Node {
            value: spanned.value,
            line: u32::try_from(spanned.referenced.line()).unwrap_or(0),
        })
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = Yaml;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Yaml, E> {
        Ok(Yaml::Scalar(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Yaml, E> {
        Ok(Yaml::Scalar(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Yaml, E> {
        Ok(Yaml::Scalar(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Yaml, E> {
        Ok(Yaml::Scalar(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Yaml, E> {
        Ok(Yaml::Scalar(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Yaml, E> {
        Ok(Yaml::Scalar(v))
    }
    fn visit_unit<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_none<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        Yaml::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Yaml, A::Error> {
        let mut out = Vec::new();
        while let Some(n) = a.next_element::<Node>()? {
            out.push(n);
        }
        Ok(Yaml::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Yaml, A::Error> {
        let mut out = Vec::new();
        while let Some(entry) = a.next_entry::<Node, Node>()? {
            out.push(entry);
        }
        Ok(Yaml::Map(out))
    }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(YamlVisitor)
    }
}

impl Node {
    fn str(&self) -> Option<&str> {
        match &self.value {
            Yaml::Scalar(s) => Some(s),
            _ => None,
        }
    }

    fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Yaml::Map(m) => m,
            _ => &[],
        }
    }

    fn items(&self) -> &[Node] {
        match &self.value {
            Yaml::Seq(s) => s,
            _ => &[],
        }
    }

    /// The entry of a mapping with this key (and the key's node).
    fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.entries()
            .iter()
            .find(|(k, _)| k.str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }
}

/// A text value of the workflow (a `run:` script, a `with:` argument, an `env:` value)
/// with the file line of each of its lines.
#[derive(Debug, Clone, Serialize)]
pub struct Text {
    pub key: String,
    /// Line of the key.
    pub key_line: u32,
    pub value: String,
    /// (file line, text) for each line of the value.
    pub lines: Vec<(u32, String)>,
}

impl Text {
    /// File line of the value's first line.
    pub fn line(&self) -> u32 {
        self.lines.first().map(|(n, _)| *n).unwrap_or(self.key_line)
    }
}

/// What a `uses:` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Target {
    /// `./path` in the same repository.
    Local(String),
    /// `docker://image[:tag][@sha256:…]`.
    Docker { image: String, digest: bool },
    /// `owner/repo[/path]@ref`.
    Repo {
        owner: String,
        repo: String,
        path: String,
        reference: String,
    },
    /// Anything else (an expression, no `@ref`).
    Other,
}

/// A `uses:` reference.
#[derive(Debug, Clone, Serialize)]
pub struct Uses {
    pub raw: String,
    pub line: u32,
    pub target: Target,
}

impl Uses {
    fn parse(raw: &str, line: u32) -> Uses {
        let raw = raw.trim().to_string();
        let target = if raw.starts_with("./") || raw.starts_with("../") {
            Target::Local(raw.clone())
        } else if let Some(image) = raw.strip_prefix("docker://") {
            Target::Docker {
                image: image.to_string(),
                digest: image.contains("@sha256:"),
            }
        } else if let Some((name, reference)) = raw.rsplit_once('@') {
            let mut parts = name.splitn(3, '/');
            match (parts.next(), parts.next()) {
                (Some(owner), Some(repo))
                    if !owner.is_empty() && !repo.is_empty() && !name.contains("${{") =>
                {
                    Target::Repo {
                        owner: owner.to_string(),
                        repo: repo.to_string(),
                        path: parts.next().unwrap_or("").to_string(),
                        reference: reference.to_string(),
                    }
                }
                _ => Target::Other,
            }
        } else {
            Target::Other
        };
        Uses { raw, line, target }
    }

    /// `owner/repo` (lowercase) for a repository action.
    pub fn slug(&self) -> Option<String> {
        match &self.target {
            Target::Repo { owner, repo, .. } => {
                Some(format!("{owner}/{repo}").to_ascii_lowercase())
            }
            _ => None,
        }
    }

    /// True when the reference is a full commit SHA (or a docker digest).
    pub fn pinned(&self) -> bool {
        match &self.target {
            Target::Repo { reference, .. } => {
                reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit())
            }
            Target::Docker { digest, .. } => *digest,
            Target::Local(_) | Target::Other => true,
        }
    }

    /// True for actions published by GitHub itself (`actions/*`, `github/*`).
    pub fn first_party(&self) -> bool {
        matches!(&self.target, Target::Repo { owner, .. }
            if owner.eq_ignore_ascii_case("actions") || owner.eq_ignore_ascii_case("github"))
    }

    /// True when this is `actions/checkout` (any ref).
    pub fn is_checkout(&self) -> bool {
        self.slug().as_deref() == Some("actions/checkout")
    }
}

/// One step of a job or composite action.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowStep {
    pub line: u32,
    pub name: Option<String>,
    pub uses: Option<Uses>,
    pub with: Vec<Text>,
    pub run: Option<Text>,
    pub env: Vec<Text>,
    /// The step's `working-directory:`, or else its job's `defaults.run.working-directory`.
    pub working_directory: Option<String>,
}

impl WorkflowStep {
    pub fn with_arg(&self, key: &str) -> Option<&Text> {
        self.with.iter().find(|t| t.key == key)
    }
}

/// A `permissions:` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Permissions {
    ReadAll,
    WriteAll,
    /// Scope → `read` / `write` / `none` (`{}` is an empty list).
    Scopes(Vec<(String, String)>),
    /// Anything else (an expression).
    Other(String),
}

impl Permissions {
    fn parse(node: &Node) -> Permissions {
        match &node.value {
            Yaml::Scalar(s) => match s.trim() {
                "read-all" => Permissions::ReadAll,
                "write-all" => Permissions::WriteAll,
                other => Permissions::Other(other.to_string()),
            },
            Yaml::Map(m) => Permissions::Scopes(
                m.iter()
                    .filter_map(|(k, v)| Some((k.str()?.to_string(), v.str()?.to_string())))
                    .collect(),
            ),
            Yaml::Null => Permissions::Scopes(Vec::new()),
            Yaml::Seq(_) => Permissions::Other(String::new()),
        }
    }

    /// Scopes granted `write` (every scope for `write-all`).
    pub fn writes(&self) -> Vec<&str> {
        match self {
            Permissions::WriteAll => vec!["all"],
            Permissions::Scopes(s) => s
                .iter()
                .filter(|(_, v)| v == "write")
                .map(|(k, _)| k.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A `permissions:` block and its line.
#[derive(Debug, Clone, Serialize)]
pub struct PermissionsAt {
    pub line: u32,
    pub value: Permissions,
}

/// One job.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowJob {
    pub id: String,
    pub line: u32,
    pub permissions: Option<PermissionsAt>,
    pub env: Vec<Text>,
    /// A reusable workflow the job calls (`jobs.x.uses`).
    pub uses: Option<Uses>,
    /// The job's `if:` condition.
    pub condition: Option<String>,
    pub steps: Vec<WorkflowStep>,
}

/// One workflow file or composite action.
#[derive(Debug, Clone, Serialize)]
pub struct Workflow {
    pub path: String,
    /// True for an action's metadata file (`action.yml`), false for a workflow.
    pub is_action: bool,
    pub name: Option<String>,
    /// Events that start it, each with the line naming it.
    pub triggers: Vec<(String, u32)>,
    /// Line of the `on:` key.
    pub on_line: u32,
    pub permissions: Option<PermissionsAt>,
    pub env: Vec<Text>,
    pub jobs: Vec<WorkflowJob>,
}

impl Workflow {
    pub fn trigger(&self, name: &str) -> Option<u32> {
        self.triggers
            .iter()
            .find(|(t, _)| t == name)
            .map(|(_, l)| *l)
    }
}

/// Largest workflow parsed.
const MAX_YAML_BYTES: usize = 512 * 1024;
/// How far below a value's first line its later lines are looked for.
const MAX_LINE_SEARCH: u32 = 400;

/// Maps each line of a scalar back to the file: block scalars keep their lines (blank
/// lines included); folded and quoted ones are searched for forward from the start,
/// falling back to the line before.
fn map_lines(file: &RepoFile, start: u32, value: &str) -> Vec<(u32, String)> {
    let total = u32::try_from(file.index.len()).unwrap_or(u32::MAX);
    let mut out = Vec::new();
    let mut cursor = start.max(1);
    for (i, l) in value.lines().enumerate() {
        let want = l.trim();
        if i == 0 {
            out.push((start, l.to_string()));
            continue;
        }
        if want.is_empty() {
            // A blank line of a block scalar is a blank line of the file.
            if file.line(cursor + 1).trim().is_empty() && cursor < total {
                cursor += 1;
            }
            out.push((cursor, l.to_string()));
            continue;
        }
        let last = total.min(cursor.saturating_add(MAX_LINE_SEARCH));
        let found = ((cursor + 1)..=last).find(|&n| file.line(n).contains(want));
        if let Some(n) = found {
            cursor = n;
        }
        out.push((cursor, l.to_string()));
    }
    if out.is_empty() {
        out.push((start, String::new()));
    }
    out
}

fn texts(file: &RepoFile, node: Option<&Node>) -> Vec<Text> {
    node.map(|n| {
        n.entries()
            .iter()
            .filter_map(|(k, v)| text(file, k, v))
            .collect()
    })
    .unwrap_or_default()
}

fn text(file: &RepoFile, key: &Node, value: &Node) -> Option<Text> {
    let s = value.str()?;
    Some(Text {
        key: key.str()?.to_string(),
        key_line: key.line,
        value: s.to_string(),
        lines: map_lines(file, value.line, s),
    })
}

fn steps(file: &RepoFile, node: Option<&Node>, default_dir: Option<&str>) -> Vec<WorkflowStep> {
    let Some(node) = node else {
        return Vec::new();
    };
    node.items()
        .iter()
        .map(|s| WorkflowStep {
            line: s.line,
            name: s.get("name").and_then(Node::str).map(str::to_string),
            uses: s
                .get("uses")
                .and_then(|u| Some(Uses::parse(u.str()?, u.line))),
            with: texts(file, s.get("with")),
            run: s.entry("run").and_then(|(k, v)| text(file, k, v)),
            env: texts(file, s.get("env")),
            working_directory: s
                .get("working-directory")
                .and_then(Node::str)
                .or(default_dir)
                .map(str::to_string),
        })
        .collect()
}

fn permissions(node: &Node) -> Option<PermissionsAt> {
    node.entry("permissions").map(|(k, v)| PermissionsAt {
        line: k.line,
        value: Permissions::parse(v),
    })
}

/// The `on:` entry: YAML 1.1 readers see the key `on` as the boolean true.
fn on_entry(doc: &Node) -> Option<(&Node, &Node)> {
    doc.entry("on")
        .or_else(|| doc.entry("true"))
        .or_else(|| doc.entry("True"))
}

fn triggers(doc: &Node) -> (Vec<(String, u32)>, u32) {
    let Some((key, on)) = on_entry(doc) else {
        return (Vec::new(), 1);
    };
    let list = match &on.value {
        Yaml::Scalar(s) => vec![(s.clone(), on.line)],
        Yaml::Seq(items) => items
            .iter()
            .filter_map(|n| Some((n.str()?.to_string(), n.line)))
            .collect(),
        Yaml::Map(m) => m
            .iter()
            .filter_map(|(k, _)| Some((k.str()?.to_string(), k.line)))
            .collect(),
        Yaml::Null => Vec::new(),
    };
    (list, key.line)
}

fn workflow(file: &RepoFile, doc: &Node, is_action: bool) -> Workflow {
    let (triggers, on_line) = triggers(doc);
    let mut jobs = Vec::new();
    if is_action {
        if let Some(runs) = doc.get("runs") {
            let using = runs.get("using").and_then(Node::str).unwrap_or("");
            let mut job_steps = steps(file, runs.get("steps"), None);
            if let Some(image) = runs.get("image").and_then(|i| {
                let s = i.str()?;
                s.starts_with("docker://").then_some(i)
            }) {
                job_steps.push(WorkflowStep {
                    line: image.line,
                    name: None,
                    uses: image.str().map(|s| Uses::parse(s, image.line)),
                    with: Vec::new(),
                    run: None,
                    env: Vec::new(),
                    working_directory: None,
                });
            }
            jobs.push(WorkflowJob {
                id: if using.is_empty() { "runs" } else { using }.to_string(),
                line: doc.entry("runs").map(|(k, _)| k.line).unwrap_or(1),
                permissions: None,
                env: Vec::new(),
                uses: None,
                condition: None,
                steps: job_steps,
            });
        }
    } else if let Some(js) = doc.get("jobs") {
        for (k, job) in js.entries() {
            let Some(id) = k.str() else { continue };
            jobs.push(WorkflowJob {
                id: id.to_string(),
                line: k.line,
                permissions: permissions(job),
                env: texts(file, job.get("env")),
                uses: job
                    .get("uses")
                    .and_then(|u| Some(Uses::parse(u.str()?, u.line))),
                condition: job.get("if").and_then(Node::str).map(str::to_string),
                steps: steps(
                    file,
                    job.get("steps"),
                    job.get("defaults")
                        .and_then(|d| d.get("run"))
                        .and_then(|r| r.get("working-directory"))
                        .and_then(Node::str),
                ),
            });
        }
    }
    Workflow {
        path: file.path.clone(),
        is_action,
        name: doc.get("name").and_then(Node::str).map(str::to_string),
        triggers,
        on_line,
        permissions: permissions(doc),
        env: texts(file, doc.get("env")),
        jobs,
    }
}

fn is_workflow(path: &str) -> bool {
    path.starts_with(".github/workflows/")
        && (path.ends_with(".yml") || path.ends_with(".yaml"))
        && !path.trim_start_matches(".github/workflows/").contains('/')
}

fn is_action(file: &RepoFile) -> bool {
    matches!(file.name(), "action.yml" | "action.yaml")
        && !matches!(
            file.kind,
            FileKind::Fixture | FileKind::Vendored | FileKind::Test
        )
}

/// Reads every GitHub Actions workflow and action metadata file. Workflows that do
/// not parse are skipped here (the CI analyzer reports them); malformed action files
/// become problems.
pub fn analyze(inventory: &Inventory, problems: &mut Vec<Problem>) -> Vec<Workflow> {
    let mut out = Vec::new();
    for file in &inventory.files {
        let workflow_file = is_workflow(&file.path);
        let action_file = !workflow_file && is_action(file);
        if !workflow_file && !action_file {
            continue;
        }
        let Some(text) = file.text() else { continue };
        if text.len() > MAX_YAML_BYTES {
            continue;
        }
        match serde_saphyr::from_str_with_options::<Node>(text, super::yaml_options()) {
            Ok(doc) => {
                if action_file && doc.get("runs").is_none() {
                    continue;
                }
                out.push(workflow(file, &doc, action_file));
            }
            Err(e) if action_file => problems.push(super::ci::yaml_problem(&file.path, &e)),
            Err(_) => {}
        }
    }
    out
}

/// An expression context an outsider controls, from the catalog.
#[derive(Debug, serde::Deserialize)]
struct UntrustedDef {
    pattern: String,
}

#[derive(Debug, serde::Deserialize)]
struct WorkflowCatalog {
    untrusted: Vec<UntrustedDef>,
}

const CATALOG: &str = include_str!("catalog/workflows.toml");

static UNTRUSTED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    toml::from_str::<WorkflowCatalog>(CATALOG)
        .map(|c| {
            c.untrusted
                .iter()
                .filter_map(|u| Regex::new(&format!("(?i)^(?:{})$", u.pattern)).ok())
                .collect()
        })
        .unwrap_or_default()
});

/// `${{ … }}` expressions in a text, each with its inner text.
pub fn expressions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let after = rest.get(start + 3..).unwrap_or("");
        let Some(end) = after.find("}}") else { break };
        out.push(after.get(..end).unwrap_or("").trim());
        rest = after.get(end + 2..).unwrap_or("");
    }
    out
}

/// Context references (`github.event.issue.title`) inside an expression.
fn references(expr: &str) -> impl Iterator<Item = &str> {
    expr.split(|c: char| {
        !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*' | '[' | ']'))
    })
    .filter(|w| w.contains('.') || *w == "github")
}

/// True when an expression can only yield `true` or `false` (a test of a value, not
/// the value): `contains(github.event.comment.body, '/deploy')`, `a == 'b'`.
fn is_boolean(expr: &str) -> bool {
    let e = expr.trim();
    if e.contains("||") {
        // `x == 'a' || github.head_ref` can yield the value.
        return false;
    }
    let lower = e.to_ascii_lowercase();
    ["contains(", "startswith(", "endswith(", "!"]
        .iter()
        .any(|f| lower.starts_with(f))
        || ["==", "!=", "<", ">"].iter().any(|op| e.contains(op))
}

/// Contexts in an expression that an outsider controls (issue and pull request
/// titles and bodies, branch names, commit messages …).
pub fn untrusted_in(expr: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if is_boolean(expr) {
        return out;
    }
    for r in references(expr) {
        // `github.event.commits[0].message` and `.commits.*.message` read alike.
        let norm: String = {
            let mut s = r.to_ascii_lowercase();
            while let (Some(a), Some(b)) = (s.find('['), s.find(']')) {
                if b < a {
                    break;
                }
                s.replace_range(a..=b, ".*");
            }
            s.replace("..", ".")
        };
        // `!x` tests a value, and `x && y` yields `y` or a falsy `x`: neither
        // expands an outsider's text.
        let tested = expr.match_indices(r).all(|(i, _)| {
            let before = expr.get(..i).unwrap_or("").trim_end();
            let after = expr.get(i + r.len()..).unwrap_or("").trim_start();
            before.ends_with('!') || after.starts_with("&&")
        });
        if tested {
            continue;
        }
        if UNTRUSTED.iter().any(|re| re.is_match(&norm)) && !out.contains(&r.to_string()) {
            out.push(r.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::source::test_support::file;

    fn parse(path: &str, text: &str) -> Workflow {
        let f = file(path, text);
        let doc: Node = serde_saphyr::from_str(text).unwrap();
        workflow(&f, &doc, path.ends_with("action.yml"))
    }

    const PRT: &str = "name: pr\non:\n  pull_request_target:\n    types: [opened]\n  issue_comment:\npermissions:\n  contents: read\n  pull-requests: write\njobs:\n  build:\n    permissions: write-all\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - name: Test\n        env:\n          TITLE: ${{ github.event.pull_request.title }}\n        run: |\n          npm ci\n\n          echo \"${{ github.event.issue.title }}\"\n          npm test\n      - uses: docker://alpine:3.19\n      - uses: ./local/action\n      - uses: tj-actions/changed-files@0123456789abcdef0123456789abcdef01234567 # v44\n";

    #[test]
    fn reads_triggers_permissions_and_steps_with_lines() {
        let w = parse(".github/workflows/pr.yml", PRT);
        assert_eq!(
            w.triggers,
            vec![
                ("pull_request_target".to_string(), 3),
                ("issue_comment".to_string(), 5)
            ]
        );
        assert_eq!(w.on_line, 2);
        let top = w.permissions.as_ref().unwrap();
        assert_eq!(top.line, 6);
        assert_eq!(top.value.writes(), vec!["pull-requests"]);
        let job = &w.jobs[0];
        assert_eq!((job.id.as_str(), job.line), ("build", 10));
        assert_eq!(
            job.permissions.as_ref().unwrap().value,
            Permissions::WriteAll
        );
        let checkout = &job.steps[0];
        assert!(checkout.uses.as_ref().unwrap().is_checkout());
        let r = checkout.with_arg("ref").unwrap();
        assert_eq!(r.line(), 16);
        let test = &job.steps[1];
        assert_eq!(test.line, 17);
        assert_eq!(test.env[0].key, "TITLE");
        assert_eq!(test.env[0].line(), 19);
        let run = test.run.as_ref().unwrap();
        assert_eq!(run.key_line, 20);
        let lines: Vec<u32> = run.lines.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, vec![21, 22, 23, 24]);
    }

    #[test]
    fn splits_uses_references() {
        let w = parse(".github/workflows/pr.yml", PRT);
        let uses: Vec<&Uses> = w.jobs[0]
            .steps
            .iter()
            .filter_map(|s| s.uses.as_ref())
            .collect();
        assert!(uses[0].first_party() && !uses[0].pinned());
        assert_eq!(
            uses[1].target,
            Target::Docker {
                image: "alpine:3.19".into(),
                digest: false
            }
        );
        assert!(matches!(uses[2].target, Target::Local(_)) && uses[2].pinned());
        assert!(uses[3].pinned() && !uses[3].first_party());
        assert_eq!(uses[3].line, 27);
        let sub = Uses::parse("github/codeql-action/init@v3", 1);
        assert_eq!(
            sub.target,
            Target::Repo {
                owner: "github".into(),
                repo: "codeql-action".into(),
                path: "init".into(),
                reference: "v3".into()
            }
        );
    }

    #[test]
    fn folded_and_quoted_scripts_map_to_their_lines() {
        let text = "on: push\njobs:\n  a:\n    steps:\n      - run: >-\n          echo one\n          echo ${{ github.head_ref }}\n      - run: \"echo two\"\n";
        let w = parse(".github/workflows/a.yml", text);
        let run = w.jobs[0].steps[0].run.as_ref().unwrap();
        assert_eq!(run.line(), 6);
        let second = w.jobs[0].steps[1].run.as_ref().unwrap();
        assert_eq!(second.line(), 8);
        assert_eq!(w.triggers, vec![("push".to_string(), 1)]);
    }

    #[test]
    fn composite_actions_are_read_as_one_job() {
        let text = "name: setup\nruns:\n  using: composite\n  steps:\n    - run: echo \"${{ github.event.comment.body }}\"\n      shell: bash\n";
        let w = parse("action.yml", text);
        assert!(w.is_action);
        assert_eq!(w.jobs[0].id, "composite");
        assert_eq!(w.jobs[0].steps[0].run.as_ref().unwrap().line(), 5);
    }

    #[test]
    fn malformed_action_is_a_problem_and_malformed_workflow_is_left_to_ci() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::write(dir.path().join("action.yml"), "runs: [\n  using: x\n").unwrap();
        std::fs::write(dir.path().join(".github/workflows/a.yml"), "on: [\n").unwrap();
        let inv = crate::repo::walk(dir.path(), &crate::repo::WalkOptions::default());
        let mut problems = Vec::new();
        let w = analyze(&inv, &mut problems);
        assert!(w.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "action.yml");
    }

    #[test]
    fn knows_which_contexts_outsiders_control() {
        assert_eq!(
            untrusted_in("github.event.issue.title"),
            vec!["github.event.issue.title"]
        );
        assert_eq!(
            untrusted_in("github.head_ref || 'main'"),
            vec!["github.head_ref"]
        );
        assert_eq!(
            untrusted_in("github.event.commits[0].message"),
            vec!["github.event.commits[0].message"]
        );
        assert!(!untrusted_in("toJSON(github.event.pull_request)").is_empty());
        assert!(untrusted_in("github.event.pull_request.number").is_empty());
        assert!(untrusted_in("github.event.pull_request.head.sha").is_empty());
        assert!(untrusted_in("github.sha").is_empty());
        assert!(untrusted_in("secrets.TOKEN").is_empty());
        assert!(untrusted_in("github.event_name").is_empty());
        // A test of an untrusted value yields true or false, not the value.
        assert!(untrusted_in("contains(github.event.comment.body, '/deploy')").is_empty());
        assert!(untrusted_in("github.event.issue.title == 'x'").is_empty());
        assert!(!untrusted_in("github.event.issue.title == 'x' || github.head_ref").is_empty());
        assert!(!untrusted_in("join(github.event.commits.*.message, ' ')").is_empty());
        // A negated or `&&`-guarded object yields a boolean or what follows it.
        assert!(
            untrusted_in(
                "(!github.event.pull_request && format('--tag={0}', github.ref_name)) || 'plan'"
            )
            .is_empty()
        );
        assert!(!untrusted_in("github.event.pull_request.title || 'x'").is_empty());
    }

    #[test]
    fn untrusted_catalog_parses_and_every_pattern_compiles() {
        let c: WorkflowCatalog = toml::from_str(CATALOG).unwrap();
        assert_eq!(UNTRUSTED.len(), c.untrusted.len());
        let mut seen = std::collections::HashSet::new();
        for u in &c.untrusted {
            assert!(seen.insert(u.pattern.as_str()), "duplicate {}", u.pattern);
        }
    }

    #[test]
    fn finds_expressions() {
        assert_eq!(
            expressions("a ${{ x.y }} b ${{z}} ${{ open"),
            vec!["x.y", "z"]
        );
    }
}
