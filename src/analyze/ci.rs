//! CI configuration: which system, which jobs, and what each job does (lint, type
//! check, test, coverage gate, secret scan, dependency audit, SAST, build, release),
//! each classification with the line that shows it. The same classifier reads local
//! task runners (pre-commit, Makefile, tox, nox, package.json scripts): configured, but
//! not enforced.

use std::collections::HashMap;

use serde::Serialize;

use super::Problem;
use super::catalog::catalog;
use crate::repo::{FileKind, Inventory, RepoFile};

/// A CI system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CiSystem {
    #[serde(rename = "GitHub Actions")]
    GitHubActions,
    #[serde(rename = "GitLab CI")]
    GitLab,
    CircleCI,
    #[serde(rename = "Travis CI")]
    Travis,
    #[serde(rename = "Azure Pipelines")]
    Azure,
    Jenkins,
    #[serde(rename = "Bitbucket Pipelines")]
    Bitbucket,
    Buildkite,
    Drone,
    Woodpecker,
    AppVeyor,
    #[serde(rename = "Cloud Build")]
    CloudBuild,
    /// Depot CI: GitHub Actions' workflow syntax under `.depot/workflows/`.
    #[serde(rename = "Depot CI")]
    Depot,
}

impl CiSystem {
    pub fn name(self) -> &'static str {
        match self {
            CiSystem::GitHubActions => "GitHub Actions",
            CiSystem::GitLab => "GitLab CI",
            CiSystem::CircleCI => "CircleCI",
            CiSystem::Travis => "Travis CI",
            CiSystem::Azure => "Azure Pipelines",
            CiSystem::Jenkins => "Jenkins",
            CiSystem::Bitbucket => "Bitbucket Pipelines",
            CiSystem::Buildkite => "Buildkite",
            CiSystem::Drone => "Drone",
            CiSystem::Woodpecker => "Woodpecker CI",
            CiSystem::AppVeyor => "AppVeyor",
            CiSystem::CloudBuild => "Cloud Build",
            CiSystem::Depot => "Depot CI",
        }
    }

    pub fn of_path(path: &str) -> Option<CiSystem> {
        let yaml = path.ends_with(".yml") || path.ends_with(".yaml");
        if path.starts_with(".github/workflows/") && yaml {
            return Some(CiSystem::GitHubActions);
        }
        if path.starts_with(".depot/workflows/") && yaml {
            return Some(CiSystem::Depot);
        }
        match path {
            ".gitlab-ci.yml" => Some(CiSystem::GitLab),
            ".travis.yml" => Some(CiSystem::Travis),
            "azure-pipelines.yml" => Some(CiSystem::Azure),
            "Jenkinsfile" => Some(CiSystem::Jenkins),
            "bitbucket-pipelines.yml" => Some(CiSystem::Bitbucket),
            ".drone.yml" => Some(CiSystem::Drone),
            ".woodpecker.yml" | ".woodpecker.yaml" => Some(CiSystem::Woodpecker),
            "appveyor.yml" => Some(CiSystem::AppVeyor),
            "cloudbuild.yaml" => Some(CiSystem::CloudBuild),
            _ if path.starts_with(".circleci/") && yaml => Some(CiSystem::CircleCI),
            _ if path.starts_with(".buildkite/") && yaml => Some(CiSystem::Buildkite),
            _ if path.starts_with(".gitlab/ci/") && yaml => Some(CiSystem::GitLab),
            _ if path.starts_with(".woodpecker/") && yaml => Some(CiSystem::Woodpecker),
            _ => None,
        }
    }
}

/// A line that shows what a job (or local task) does.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// CI class id from the catalog (`test`, `lint`, …).
    pub class: String,
    pub line: u32,
    pub text: String,
}

/// One job of a pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: String,
    pub line: u32,
    pub end_line: u32,
    pub steps: Vec<Step>,
    /// Deployment environment named by the job (`environment: production`).
    pub environment: Option<(String, u32)>,
}

impl Job {
    pub fn has(&self, class: &str) -> bool {
        self.steps.iter().any(|s| s.class == class)
    }
}

/// One CI configuration file.
#[derive(Debug, Clone, Serialize)]
pub struct CiFile {
    pub path: String,
    pub system: CiSystem,
    pub name: Option<String>,
    /// Events that start it (GitHub Actions `on:`), with the line of `on:`.
    pub triggers: Vec<String>,
    pub triggers_line: Option<u32>,
    pub jobs: Vec<Job>,
    /// True when the YAML did not parse (its jobs are still read from the text).
    pub malformed: bool,
    /// True when it runs on pushes or pull requests (not only on a schedule, by hand
    /// or on other events). Assumed for systems whose triggers are not read.
    pub on_changes: bool,
}

/// A classified line in a local task runner.
#[derive(Debug, Clone, Serialize)]
pub struct LocalTask {
    pub path: String,
    pub step: Step,
}

/// Everything about CI.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CiFacts {
    pub files: Vec<CiFile>,
    pub local: Vec<LocalTask>,
    /// A release recipe of a local task runner that runs the tests first (`publish:
    /// test-postgres build` in a justfile): file, line and recipe name.
    pub release_tests: Option<(String, u32, String)>,
    /// GitHub Actions workflows and composite actions, node by node.
    pub workflows: Vec<super::workflows::Workflow>,
}

/// A place where the CI does something: file, job and the line.
#[derive(Debug, Clone)]
pub struct StepRef<'a> {
    pub file: &'a CiFile,
    pub job: &'a Job,
    pub step: &'a Step,
}

impl CiFacts {
    /// Every step of a class in CI files that run on changes, in file order.
    pub fn steps(&self, class: &str) -> Vec<StepRef<'_>> {
        self.steps_where(class, true)
    }

    /// Steps of a class in any CI file, whatever triggers it (releases and rollbacks
    /// are often started by hand or by a release event).
    pub fn all_steps(&self, class: &str) -> Vec<StepRef<'_>> {
        let mut out = self.steps_where(class, true);
        out.extend(self.steps_where(class, false));
        out
    }

    /// Steps of a class in CI files that never run on changes (schedule, manual).
    pub fn off_change_steps(&self, class: &str) -> Vec<StepRef<'_>> {
        self.steps_where(class, false)
    }

    fn steps_where(&self, class: &str, on_changes: bool) -> Vec<StepRef<'_>> {
        let mut out = Vec::new();
        for file in self.files.iter().filter(|f| f.on_changes == on_changes) {
            for job in &file.jobs {
                for step in job.steps.iter().filter(|s| s.class == class) {
                    out.push(StepRef { file, job, step });
                }
            }
        }
        out
    }

    /// Local (not CI) tasks of a class.
    pub fn local(&self, class: &str) -> Vec<&LocalTask> {
        self.local
            .iter()
            .filter(|t| t.step.class == class)
            .collect()
    }
}

fn is_install(segment: &str) -> bool {
    const INSTALLS: &[&str] = &[
        "pip install",
        "pip3 install",
        "uv pip install",
        "uv add",
        "uv tool install",
        "pipx install",
        "poetry add",
        "npm install",
        "npm i ",
        "npm ci",
        "yarn add",
        "pnpm add",
        "cargo install",
        "cargo binstall",
        "go install",
        "apt-get install",
        "apt install",
        "brew install",
        "gem install",
        "uv sync",
        "poetry install",
        "pdm install",
        "go get ",
    ];
    let l = segment.to_ascii_lowercase();
    INSTALLS.iter().any(|i| l.contains(i))
}

/// True when a command only prints (`echo "run pytest"` runs nothing).
fn is_message(segment: &str) -> bool {
    let command = segment
        .trim()
        .trim_start_matches("- ")
        .trim_start_matches("run:")
        .trim_start_matches("script:")
        .trim_start_matches('-')
        .trim_start();
    let first = command.split_whitespace().next().unwrap_or("");
    matches!(first, "echo" | "printf" | "@echo" | "Write-Host" | "print")
}

/// The classes one line shows. Installing a tool is not running it: install commands
/// chained with `&&` or `;` are dropped before matching.
fn classes_of(line: &str) -> Vec<&'static str> {
    let cat = catalog();
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
        return Vec::new();
    }
    // A step's display name says what someone hoped it does, not what runs.
    let unlisted = trimmed.trim_start_matches("- ").trim_start();
    if unlisted.starts_with("name:") || unlisted.starts_with("description:") {
        return Vec::new();
    }
    // JavaScript of an `actions/github-script` step names tools in strings and regular
    // expressions; it runs none of them.
    const SCRIPT_CODE: &[&str] = &[
        "const ", "let ", "var ", "if (", "} else", "return ", "console.", "await ",
    ];
    if SCRIPT_CODE.iter().any(|p| unlisted.starts_with(p)) {
        return Vec::new();
    }
    let uses_action = trimmed.contains("uses:");
    let segments: Vec<&str> = if uses_action {
        vec![trimmed]
    } else {
        trimmed
            .split("&&")
            .flat_map(|s| s.split(';'))
            .flat_map(|s| s.split("||"))
            .filter(|s| !is_install(s) && !is_message(s))
            .collect()
    };
    let mut out = Vec::new();
    for ((class, patterns), excludes) in cat
        .ci_classes
        .iter()
        .zip(&cat.ci_patterns)
        .zip(&cat.ci_excludes)
    {
        if excludes.iter().any(|re| re.is_match(trimmed)) {
            continue;
        }
        if segments
            .iter()
            .any(|seg| patterns.iter().any(|re| re.is_match(seg)))
        {
            out.push(class.id.as_str());
        }
    }
    out
}

/// Lines kept per class and job: enough to show every tool a job runs.
const MAX_STEPS_PER_CLASS: usize = 5;

/// Classifies the lines `from..=to` (1-based) of a file.
fn classify_lines(file: &RepoFile, from: u32, to: u32) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    // Matrix values by name, read once per range.
    let mut matrix: HashMap<String, Vec<String>> = HashMap::new();
    for line_no in from..=to {
        let line = file.line(line_no);
        // `pnpm ${{ matrix.job }}` runs each value of the job's matrix.
        let mut classes: Vec<&str> = classes_of(line);
        for expanded in matrix_expansions(file, from, to, line, &mut matrix) {
            for class in classes_of(&expanded) {
                if !classes.contains(&class) {
                    classes.push(class);
                }
            }
        }
        for class in classes {
            if steps.iter().filter(|s| s.class == class).count() < MAX_STEPS_PER_CLASS {
                steps.push(Step {
                    class: class.to_string(),
                    line: line_no,
                    text: line.trim().to_string(),
                });
            }
        }
    }
    steps
}

/// Most matrix values substituted into one line.
const MAX_MATRIX_VALUES: usize = 16;

/// `line` with each `${{ matrix.NAME }}` replaced by each value the job's matrix lists
/// for NAME (`job: [build, test, typecheck]`, or a block list under `job:`), within
/// the job's lines `from..=to`.
fn matrix_expansions(
    file: &RepoFile,
    from: u32,
    to: u32,
    line: &str,
    known: &mut HashMap<String, Vec<String>>,
) -> Vec<String> {
    let Some(start) = line.find("${{ matrix.") else {
        return Vec::new();
    };
    let Some(end) = line
        .get(start..)
        .and_then(|r| r.find("}}"))
        .map(|e| start + e + 2)
    else {
        return Vec::new();
    };
    let Some(expr) = line.get(start..end) else {
        return Vec::new();
    };
    let name = expr
        .trim_start_matches("${{ matrix.")
        .trim_end_matches("}}")
        .trim();
    if let Some(values) = known.get(name) {
        return values.iter().map(|v| line.replacen(expr, v, 1)).collect();
    }
    let mut values: Vec<String> = Vec::new();
    let mut block: Option<usize> = None;
    for n in from..=to {
        let l = file.line(n);
        let t = l.trim();
        if let Some(at) = block {
            match t.strip_prefix("- ") {
                Some(v) if indent(l) >= at => {
                    values.push(v.trim().trim_matches(['"', '\'']).to_string());
                    continue;
                }
                _ => block = None,
            }
        }
        let Some(rest) = t.strip_prefix(name).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        let rest = rest.trim();
        if let Some(list) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            values.extend(
                list.split(',')
                    .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
                    .filter(|v| !v.is_empty()),
            );
        } else if rest.is_empty() {
            block = Some(indent(l));
        }
    }
    values.truncate(MAX_MATRIX_VALUES);
    let out = values.iter().map(|v| line.replacen(expr, v, 1)).collect();
    known.insert(name.to_string(), values);
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn key_of(line: &str) -> Option<&str> {
    let t = line.trim();
    if t.starts_with('#') || t.starts_with('-') {
        return None;
    }
    let (k, _) = t.split_once(':')?;
    let k = k.trim().trim_matches(['"', '\'']);
    (!k.is_empty() && !k.contains(' ')).then_some(k)
}

/// Jobs under a `jobs:` key (GitHub Actions, CircleCI, Azure): the keys one level
/// below it, each running until the next such key or the end of the block.
fn jobs_under_key(text: &str) -> Vec<(String, u32, u32)> {
    entries_under(text, &["jobs"])
}

/// Woodpecker: the steps of a workflow, under `steps:` (or the older `pipeline:`), as
/// a map of named steps or a list of `- name:` items.
fn woodpecker_steps(text: &str) -> Vec<(String, u32, u32)> {
    entries_under(text, &["steps", "pipeline"])
}

/// The entries one level below the first top-level key of `keys`: map keys, or list
/// items named by their `name:`, each running until the next entry or the block's end.
fn entries_under(text: &str, keys: &[&str]) -> Vec<(String, u32, u32)> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|l| indent(l) == 0 && key_of(l).is_some_and(|k| keys.contains(&k)))
    else {
        return Vec::new();
    };
    let mut jobs: Vec<(String, u32, u32)> = Vec::new();
    let mut job_indent: Option<usize> = None;
    let mut end = lines.len();
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        let ind = indent(l);
        if ind == 0 {
            end = i;
            break;
        }
        let level = *job_indent.get_or_insert(ind);
        if ind == level {
            let item = l.trim_start().strip_prefix("- ").map(|rest| {
                rest.trim_start()
                    .strip_prefix("name:")
                    .map(|n| n.trim().trim_matches(['"', '\'']))
                    .filter(|n| !n.is_empty())
                    .unwrap_or("step")
            });
            if let Some(k) = key_of(l).or(item) {
                let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
                if let Some(last) = jobs.last_mut() {
                    last.2 = line.saturating_sub(1);
                }
                jobs.push((k.to_string(), line, line));
            }
        }
    }
    let end_line = u32::try_from(end).unwrap_or(u32::MAX);
    if let Some(last) = jobs.last_mut() {
        last.2 = end_line;
    }
    jobs
}

/// GitLab: top-level keys that are not reserved words are jobs.
fn gitlab_jobs(text: &str) -> Vec<(String, u32, u32)> {
    const RESERVED: &[&str] = &[
        "stages",
        "variables",
        "include",
        "default",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "types",
    ];
    let lines: Vec<&str> = text.lines().collect();
    let mut jobs: Vec<(String, u32, u32)> = Vec::new();
    let mut in_job = false;
    for (i, l) in lines.iter().enumerate() {
        if indent(l) != 0 || l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if in_job {
            if let Some(last) = jobs.last_mut() {
                last.2 = line.saturating_sub(1);
            }
        }
        match key_of(l) {
            Some(k) if !RESERVED.contains(&k) => {
                jobs.push((k.to_string(), line, line));
                in_job = true;
            }
            _ => in_job = false,
        }
    }
    if in_job {
        if let Some(last) = jobs.last_mut() {
            last.2 = u32::try_from(lines.len()).unwrap_or(u32::MAX);
        }
    }
    jobs
}

fn environment_of(file: &RepoFile, from: u32, to: u32) -> Option<(String, u32)> {
    for n in from..=to {
        let l = file.line(n).trim();
        if let Some(rest) = l.strip_prefix("environment:") {
            let v = rest.trim().trim_matches(['"', '\'']);
            let name = if v.is_empty() {
                // `environment:` followed by `name: x` on the next line.
                file.line(n + 1)
                    .trim()
                    .strip_prefix("name:")
                    .map(|s| s.trim().trim_matches(['"', '\'']).to_string())
                    .unwrap_or_default()
            } else {
                v.to_string()
            };
            return Some((name, n));
        }
    }
    None
}

fn triggers(doc: &serde_json::Value) -> Vec<String> {
    let on = doc.get("on").or_else(|| doc.get("true"));
    match on {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Largest CI file parsed as YAML.
const MAX_YAML_BYTES: usize = 512 * 1024;

pub(crate) fn yaml_problem(path: &str, err: &serde_saphyr::Error) -> Problem {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    // The parser's advice to its own callers is not the reader's.
    let first = first
        .split_once(", set DuplicateKeyPolicy")
        .map_or(first, |(head, _)| head)
        .trim_start_matches("error: ")
        .to_string();
    let line = err
        .location()
        .map(|l| u32::try_from(l.line()).unwrap_or(1))
        .unwrap_or(1)
        .max(1);
    Problem {
        path: path.to_string(),
        line,
        message: format!("not valid YAML: {first}"),
    }
}

/// True for a strict-parser error that the YAML libraries CI systems use accept: Go's
/// and Ruby's parsers merge a sequence of scalars (`<<: *paths`) without complaint, so
/// the file works where it runs.
pub(crate) fn accepted_elsewhere(err: &serde_saphyr::Error) -> bool {
    err.to_string().contains("merge value must be")
}

/// Files whose lines are classified as local (configured, not CI-enforced) tasks.
fn is_local_task_file(file: &RepoFile) -> bool {
    let name = file.name();
    let root = !file.path.contains('/');
    matches!(
        name,
        ".pre-commit-config.yaml"
            | ".pre-commit-config.yml"
            | "Makefile"
            | "makefile"
            | "GNUmakefile"
            | "justfile"
            | "Justfile"
            | "tox.ini"
            | "noxfile.py"
            | "Taskfile.yml"
            | "Taskfile.yaml"
            | "lefthook.yml"
            | "lefthook.yaml"
            | ".lefthook.yml"
            | ".lefthook.yaml"
            | "package.json"
            | ".coveragerc"
            | "codecov.yml"
            | ".codecov.yml"
            | "ruff.toml"
            | ".ruff.toml"
    ) || file.path.starts_with(".husky/")
        || (root && matches!(name, "pyproject.toml" | "setup.cfg"))
        || (root && gulp_file(name))
        || name.starts_with("jest.config.")
        || name.starts_with("vitest.config.")
}

/// A gulp or Grunt task file (`gulpfile.js`, `gulpfile.mjs`, `Gruntfile.js`).
fn gulp_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["gulpfile.", "gruntfile."].iter().any(|p| {
        lower
            .strip_prefix(p)
            .is_some_and(|ext| matches!(ext, "js" | "mjs" | "cjs" | "ts" | "babel.js"))
    })
}

/// Line ranges of the function a gulp or Grunt task runs: the task is registered by
/// name (`gulp.task("coverage", coverage)`, `grunt.registerTask("test", …)`,
/// `exports.coverage = coverage`) to a function declared in the same file, whose body
/// runs until the next line that closes a block at the left margin.
fn gulp_task_lines(text: &str, task: &str) -> Vec<(u32, u32)> {
    let lines: Vec<&str> = text.lines().collect();
    let n = |i: usize| u32::try_from(i + 1).unwrap_or(u32::MAX);
    let quoted = [format!("\"{task}\""), format!("'{task}'")];
    let mut functions: Vec<String> = Vec::new();
    for l in &lines {
        let t = l.trim_start();
        let registers = (t.contains("gulp.task(") || t.contains("registerTask("))
            && quoted.iter().any(|q| t.contains(q.as_str()));
        let exported = t
            .strip_prefix("exports.")
            .and_then(|r| r.strip_prefix(task))
            .is_some_and(|r| r.trim_start().starts_with('='));
        if registers || exported {
            let after = if exported {
                t.split_once('=').map(|(_, r)| r).unwrap_or("")
            } else {
                quoted
                    .iter()
                    .find_map(|q| t.split_once(q.as_str()).map(|(_, r)| r))
                    .unwrap_or("")
            };
            functions.extend(
                after
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .filter(|w| !w.is_empty() && !matches!(*w, "gulp" | "series" | "parallel"))
                    .map(str::to_string),
            );
        }
    }
    let mut out = Vec::new();
    for f in functions.iter().take(MAX_RECIPES) {
        let head = format!("function {f}(");
        let Some(start) = lines.iter().position(|l| l.starts_with(&head)) else {
            continue;
        };
        let end = lines
            .iter()
            .enumerate()
            .skip(start + 1)
            .find(|(_, l)| l.starts_with('}'))
            .map(|(i, _)| i)
            .unwrap_or(start);
        out.push((n(start), n(end)));
    }
    out
}

/// Tool configuration files, as opposed to task runners.
fn is_tool_config(file: &RepoFile) -> bool {
    let name = file.name();
    matches!(
        name,
        "pyproject.toml"
            | "setup.cfg"
            | ".coveragerc"
            | "codecov.yml"
            | ".codecov.yml"
            | "ruff.toml"
            | ".ruff.toml"
    ) || name.starts_with("jest.config.")
        || name.starts_with("vitest.config.")
}

/// Lines (1-based) that open and close the `"scripts"` object of a package.json.
fn scripts_block(text: &str) -> Option<(u32, u32)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.contains("\"scripts\""))?;
    let indent = lines
        .get(start)
        .map(|l| l.len() - l.trim_start().len())
        .unwrap_or(0);
    if lines.get(start).is_some_and(|l| l.contains('}')) {
        let n = u32::try_from(start + 1).ok()?;
        return Some((n.saturating_sub(1), n + 1));
    }
    let end = lines
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, l)| l.trim_start().starts_with('}') && l.len() - l.trim_start().len() <= indent)
        .map(|(i, _)| i)
        .unwrap_or(lines.len());
    Some((u32::try_from(start + 1).ok()?, u32::try_from(end + 1).ok()?))
}

/// True when GitHub Actions triggers include a push or a pull request.
fn runs_on_changes(system: CiSystem, triggers: &[String], parsed: bool) -> bool {
    let on_changes = |t: &String| {
        matches!(
            t.as_str(),
            "push" | "pull_request" | "pull_request_target" | "merge_group" | "workflow_call"
        )
    };
    match system {
        CiSystem::GitHubActions | CiSystem::Depot if parsed => triggers.iter().any(on_changes),
        // A Woodpecker workflow without `event:` conditions runs on every event.
        CiSystem::Woodpecker => triggers.is_empty() || triggers.iter().any(on_changes),
        _ => true,
    }
}

/// The events a Woodpecker workflow's `when:` conditions (its own or its steps') name,
/// in order of first mention.
fn woodpecker_events(doc: &serde_json::Value) -> Vec<String> {
    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        let mut push = |e: &str| {
            if !out.iter().any(|o| o == e) {
                out.push(e.to_string());
            }
        };
        match v {
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            serde_json::Value::Object(m) => match m.get("event") {
                Some(serde_json::Value::String(e)) => push(e),
                Some(serde_json::Value::Array(a)) => {
                    a.iter().filter_map(|e| e.as_str()).for_each(push)
                }
                _ => {}
            },
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(when) = doc.get("when") {
        collect(when, &mut out);
        return out;
    }
    let steps = doc.get("steps").or_else(|| doc.get("pipeline"));
    let each: Vec<&serde_json::Value> = match steps {
        Some(serde_json::Value::Object(m)) => m.values().collect(),
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        _ => Vec::new(),
    };
    for step in each {
        match step.get("when") {
            Some(when) => collect(when, &mut out),
            // A step without conditions runs on every event.
            None => return Vec::new(),
        }
    }
    out
}

/// Recipes of a Makefile or justfile: target → (line range, prerequisites). Read once
/// per file.
struct Recipes {
    by_target: HashMap<String, ((u32, u32), Vec<String>)>,
}

/// Most recipes followed from one invocation (prerequisites included).
const MAX_RECIPES: usize = 64;

impl Recipes {
    fn parse(text: &str) -> Recipes {
        let lines: Vec<&str> = text.lines().collect();
        let mut by_target = HashMap::new();
        let n = |i: usize| u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (at, l) in lines.iter().enumerate() {
            if l.starts_with([' ', '\t']) || !l.contains(':') || l.contains(":=") {
                continue;
            }
            let Some((head, deps)) = l.split_once(':') else {
                continue;
            };
            let mut end = at;
            for (i, body) in lines.iter().enumerate().skip(at + 1) {
                if body.trim().is_empty() || body.starts_with([' ', '\t']) {
                    end = i;
                } else {
                    break;
                }
            }
            let prereqs: Vec<String> = deps.split_whitespace().map(str::to_string).collect();
            for target in head.split_whitespace() {
                by_target
                    .entry(target.to_string())
                    .or_insert(((n(at), n(end)), prereqs.clone()));
            }
        }
        Recipes { by_target }
    }

    /// Tasks of a Taskfile (`tasks:` → `  test:ci:` → its lines until the next task),
    /// with the tasks it runs (`- task: build`, `deps: [build]`) as prerequisites.
    fn parse_taskfile(text: &str) -> Recipes {
        let lines: Vec<&str> = text.lines().collect();
        let n = |i: usize| u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut by_target = HashMap::new();
        let Some(tasks) = lines.iter().position(|l| l.trim_end() == "tasks:") else {
            return Recipes { by_target };
        };
        let indent = |l: &str| l.len() - l.trim_start().len();
        let mut at = tasks + 1;
        while let Some(l) = lines.get(at) {
            if !l.trim().is_empty() && indent(l) == 0 {
                break;
            }
            let head = l.trim();
            let is_task = indent(l) > 0 && !head.starts_with('#') && head.ends_with(':');
            if !is_task {
                at += 1;
                continue;
            }
            let own = indent(l);
            let name = head
                .trim_end_matches(':')
                .trim_matches(['"', '\''])
                .to_string();
            let mut end = at;
            let mut prereqs = Vec::new();
            for (i, body) in lines.iter().enumerate().skip(at + 1) {
                if !body.trim().is_empty() && indent(body) <= own {
                    break;
                }
                end = i;
                let t = body.trim().trim_start_matches("- ").trim();
                if let Some(task) = t.strip_prefix("task:") {
                    prereqs.push(task.trim().trim_matches(['"', '\'']).to_string());
                } else if let Some(deps) = t.strip_prefix("deps:") {
                    prereqs.extend(
                        deps.split(|c: char| matches!(c, '[' | ']' | ',') || c.is_whitespace())
                            .map(|d| d.trim_matches(['"', '\'']))
                            .filter(|d| !d.is_empty())
                            .map(str::to_string),
                    );
                }
            }
            by_target.entry(name).or_insert(((n(at), n(end)), prereqs));
            at = end + 1;
        }
        Recipes { by_target }
    }

    /// Line ranges of `target` and of the recipes it depends on, each once.
    fn lines(&self, target: &str) -> Vec<(u32, u32)> {
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut todo = vec![target];
        while let Some(t) = todo.pop() {
            if out.len() >= MAX_RECIPES || !seen.insert(t) {
                continue;
            }
            if let Some((range, prereqs)) = self.by_target.get(t) {
                out.push(*range);
                todo.extend(prereqs.iter().map(String::as_str));
            }
        }
        out.sort_unstable();
        out
    }
}

/// Names of recipes that release: `release`, `publish`, `deploy`, `dist` and their
/// variants (`release-docker`, `publish_all`).
fn releases(target: &str) -> bool {
    let first = target.split(['-', '_', ':']).next().unwrap_or(target);
    matches!(first, "release" | "publish" | "deploy" | "dist")
}

/// The first release recipe (by file, then name) whose own lines or prerequisites'
/// lines hold a local test task.
fn release_tests(runners: &Runners, local: &[LocalTask]) -> Option<(String, u32, String)> {
    let mut files: Vec<(&&str, &Recipes)> = runners.recipes.iter().collect();
    files.sort_by_key(|(name, _)| **name);
    for (file, recipes) in files {
        let mut targets: Vec<(&String, u32)> = recipes
            .by_target
            .iter()
            .filter(|(t, _)| releases(t))
            .map(|(t, ((from, _), _))| (t, *from))
            .collect();
        targets.sort();
        for (target, line) in targets {
            let ranges = recipes.lines(target);
            let tested = local.iter().any(|t| {
                t.path == **file
                    && t.step.class == "test"
                    && ranges
                        .iter()
                        .any(|(from, to)| t.step.line >= *from && t.step.line <= *to)
            });
            if tested {
                return Some(((*file).to_string(), line, target.clone()));
            }
        }
    }
    None
}

/// Local tasks a CI line runs through a task runner: `make T`, `just T`, pre-commit,
/// tox, nox, `npm run T`, and ruff reading its rules from configuration.
/// Task runner files of the repository, read once per audit.
struct Runners {
    recipes: HashMap<&'static str, Recipes>,
    /// Line ranges of pyproject.toml's `[tool.ruff…]` tables.
    ruff_ranges: Vec<(u32, u32)>,
    /// package.json script name → its line.
    npm_scripts: HashMap<String, u32>,
    /// The root gulp or Grunt file and its text.
    gulp: Option<(String, String)>,
    /// The root lefthook configuration and its text.
    lefthook: Option<(String, String)>,
}

impl Runners {
    fn new(inventory: &Inventory) -> Runners {
        let mut recipes = HashMap::new();
        for name in [
            "Makefile",
            "makefile",
            "GNUmakefile",
            "justfile",
            "Justfile",
        ] {
            if let Some(text) = inventory.file(name).and_then(|f| f.text()) {
                recipes.insert(name, Recipes::parse(text));
            }
        }
        for name in ["Taskfile.yml", "Taskfile.yaml"] {
            if let Some(text) = inventory.file(name).and_then(|f| f.text()) {
                recipes.insert(name, Recipes::parse_taskfile(text));
            }
        }
        let mut ruff_ranges = Vec::new();
        if let Some(text) = inventory.file("pyproject.toml").and_then(|f| f.text()) {
            let mut from = None;
            for (i, l) in text.lines().enumerate() {
                let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                if l.trim_start().starts_with('[') {
                    if let Some(f) = from.take() {
                        ruff_ranges.push((f, n.saturating_sub(1)));
                    }
                    if l.trim_start().starts_with("[tool.ruff") {
                        from = Some(n);
                    }
                }
            }
            if let Some(f) = from {
                ruff_ranges.push((f, u32::MAX));
            }
        }
        let mut npm_scripts = HashMap::new();
        if let Some(text) = inventory.file("package.json").and_then(|f| f.text()) {
            if let Some((from, to)) = scripts_block(text) {
                for (i, l) in text.lines().enumerate() {
                    let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    if n <= from || n >= to {
                        continue;
                    }
                    let t = l.trim_start();
                    if let Some(rest) = t.strip_prefix('"') {
                        if let Some(end) = rest.find('"') {
                            npm_scripts
                                .entry(rest.get(..end).unwrap_or("").to_string())
                                .or_insert(n);
                        }
                    }
                }
            }
        }
        let gulp = inventory
            .files
            .iter()
            .filter(|f| !f.path.contains('/') && gulp_file(f.name()))
            .find_map(|f| Some((f.path.clone(), f.text()?.to_string())));
        let lefthook = [
            "lefthook.yml",
            "lefthook.yaml",
            ".lefthook.yml",
            ".lefthook.yaml",
        ]
        .iter()
        .find_map(|n| Some((n.to_string(), inventory.file(n)?.text()?.to_string())));
        Runners {
            recipes,
            ruff_ranges,
            npm_scripts,
            gulp,
            lefthook,
        }
    }

    fn recipes(&self, name: &str) -> Option<&Recipes> {
        self.recipes.get(name)
    }
}

fn invoked_tasks<'a>(line: &str, runners: &Runners, local: &'a [LocalTask]) -> Vec<&'a LocalTask> {
    let words: Vec<&str> = line
        .trim()
        .trim_start_matches("- ")
        .trim_start_matches("run:")
        .split_whitespace()
        .collect();
    let mut ranges: Vec<(String, u32, u32)> = Vec::new();
    let mut whole: Vec<&str> = Vec::new();
    let after = |cmd: &str| -> Vec<String> {
        words
            .iter()
            .position(|w| *w == cmd)
            .map(|i| {
                words
                    .iter()
                    .skip(i + 1)
                    .take_while(|w| !w.starts_with("&&") && !w.starts_with(';'))
                    .filter(|w| !w.starts_with('-') && !w.contains('='))
                    .map(|w| w.to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    for (runner, files) in [
        ("make", &["Makefile", "makefile", "GNUmakefile"][..]),
        ("just", &["justfile", "Justfile"][..]),
        ("task", &["Taskfile.yml", "Taskfile.yaml"][..]),
    ] {
        for target in after(runner) {
            for name in files {
                if let Some(recipes) = runners.recipes(name) {
                    for (from, to) in recipes.lines(&target) {
                        ranges.push((name.to_string(), from, to));
                    }
                }
            }
        }
    }
    if let Some((path, text)) = &runners.gulp {
        for runner in ["gulp", "grunt"] {
            for task in after(runner) {
                for (from, to) in gulp_task_lines(text, &task) {
                    ranges.push((path.clone(), from, to));
                }
            }
        }
    }
    // `lefthook run ci`: the commands of the hook `ci:`.
    if let Some((path, text)) = &runners.lefthook {
        for hook in after("lefthook")
            .iter()
            .skip_while(|w| *w != "run")
            .skip(1)
            .take(1)
        {
            if let Some((from, to)) = top_level_block(text, hook) {
                ranges.push((path.clone(), from, to));
            }
        }
    }
    if line.contains("pre-commit run") || line.contains("pre-commit/action") {
        whole.extend([".pre-commit-config.yaml", ".pre-commit-config.yml"]);
    }
    if words.first() == Some(&"tox") || words.contains(&"tox") {
        whole.push("tox.ini");
    }
    if words.contains(&"nox") {
        whole.push("noxfile.py");
    }
    if words.contains(&"ruff") {
        whole.extend(["ruff.toml", ".ruff.toml"]);
        // Only the [tool.ruff…] tables of pyproject.toml configure ruff.
        for (from, to) in &runners.ruff_ranges {
            ranges.push(("pyproject.toml".into(), *from, *to));
        }
    }
    for (runner, sub) in [("npm", "run"), ("yarn", ""), ("pnpm", "")] {
        let args = after(runner);
        let script = match (args.first(), args.get(1)) {
            (Some(first), Some(second)) if first == sub => Some(second.clone()),
            (Some(first), _) if first == "test" || first == "t" => Some("test".to_string()),
            (Some(first), _) if sub.is_empty() && first != "install" && first != "add" => {
                Some(first.clone())
            }
            _ => None,
        };
        if let Some(n) = script.and_then(|s| runners.npm_scripts.get(&s)) {
            ranges.push(("package.json".into(), *n, *n));
        }
    }
    local
        .iter()
        .filter(|t| {
            whole.contains(&t.path.as_str())
                || ranges
                    .iter()
                    .any(|(p, from, to)| *p == t.path && t.step.line >= *from && t.step.line <= *to)
        })
        .collect()
}

/// A CI line that brings up a Compose file (`compose-file: ./it/compose.yml` of a
/// Compose action, `docker compose -f it/compose.yml up --exit-code-from tester`)
/// whose services run a test runner: in a `command:`/`entrypoint:` of the file, or as
/// the start command of a Dockerfile beside it (`ENTRYPOINT ["pytest", "tests"]`).
/// The file and line of the runner, and its text.
fn compose_test_run(line: &str, inventory: &Inventory) -> Option<(String, u32, String)> {
    let t = line.trim().trim_start_matches("- ").trim();
    let named = if let Some(v) = t.strip_prefix("compose-file:") {
        v.trim().trim_matches(['"', '\'']).to_string()
    } else {
        let words: Vec<&str> = t.split_whitespace().collect();
        let compose = t.contains("docker compose") || t.contains("docker-compose");
        let starts = words.iter().any(|w| matches!(*w, "up" | "run"));
        if !compose || !starts {
            return None;
        }
        let at = words.iter().position(|w| *w == "-f" || *w == "--file")?;
        words.get(at + 1)?.trim_matches(['"', '\'']).to_string()
    };
    let named = named.trim_start_matches("./");
    // `docker-compose-${{ matrix.db }}.yml`: any file the pattern names.
    let yaml = |p: &str| p.ends_with(".yml") || p.ends_with(".yaml");
    let file = match named.split_once("${{") {
        // A pattern with text on at least one side, naming Compose files.
        Some((prefix, rest)) => {
            let suffix = rest.split_once("}}").map(|(_, s)| s).unwrap_or("");
            if prefix.is_empty() && suffix.is_empty() {
                return None;
            }
            inventory.files.iter().find(|f| {
                f.kind != FileKind::Ci
                    && yaml(&f.path)
                    && f.path.starts_with(prefix)
                    && f.path.ends_with(suffix)
            })?
        }
        None => inventory.file(named)?,
    };
    let runs_tests = |l: &str| classes_of(l).contains(&"test");
    let text = file.text()?;
    for (i, l) in text.lines().enumerate() {
        let k = l.trim_start().trim_start_matches("- ");
        if (k.starts_with("command:") || k.starts_with("entrypoint:")) && runs_tests(k) {
            return Some((file.path.clone(), u32::try_from(i + 1).ok()?, k.to_string()));
        }
    }
    let dir = file.dir();
    inventory
        .files
        .iter()
        .filter(|f| f.dir() == dir && f.name().to_ascii_lowercase().starts_with("dockerfile"))
        .find_map(|f| {
            f.text()?.lines().enumerate().find_map(|(i, l)| {
                let k = l.trim_start();
                let starts = k.starts_with("ENTRYPOINT") || k.starts_with("CMD");
                (starts && runs_tests(k)).then(|| {
                    (
                        f.path.clone(),
                        u32::try_from(i + 1).unwrap_or(1),
                        k.to_string(),
                    )
                })
            })
        })
}

/// The lines of a top-level YAML key's block (`ci:` up to the next key at the left
/// margin).
fn top_level_block(text: &str, key: &str) -> Option<(u32, u32)> {
    let n = |i: usize| u32::try_from(i + 1).unwrap_or(u32::MAX);
    let lines: Vec<&str> = text.lines().collect();
    let head = format!("{key}:");
    let start = lines
        .iter()
        .position(|l| l.trim_end() == head || l.starts_with(&format!("{head} ")))?;
    let end = lines
        .iter()
        .enumerate()
        .skip(start + 1)
        .find(|(_, l)| {
            l.chars()
                .next()
                .is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-')
        })
        .map(|(i, _)| i.saturating_sub(1))
        .unwrap_or(lines.len().saturating_sub(1));
    Some((n(start), n(end)))
}

/// Shell scripts of the repository that a CI line runs (`./ci/test.sh`, `bash .ci/run`).
fn invoked_scripts<'a>(line: &str, inventory: &'a Inventory) -> Vec<&'a RepoFile> {
    let mut out: Vec<&RepoFile> = Vec::new();
    for word in line.split_whitespace() {
        let path = word
            .trim_matches(['"', '\'', ';', '(', ')'])
            .trim_start_matches("./");
        if path.is_empty() || !path.contains(['/', '.']) {
            continue;
        }
        if let Some(f) = inventory.file(path) {
            if f.lang() == "shell" && !out.iter().any(|o| o.path == f.path) {
                out.push(f);
            }
        }
    }
    out
}

/// The local action or reusable workflow a CI line calls (`uses: ./`,
/// `uses: ./.github/actions/setup`, `uses: ./.github/workflows/test.yml`): its steps are
/// the job's steps.
fn invoked_local_action<'a>(line: &str, inventory: &'a Inventory) -> Option<&'a RepoFile> {
    let t = line.trim().trim_start_matches("- ").trim_start();
    let target = t
        .strip_prefix("uses:")?
        .trim()
        .trim_matches(['"', '\''])
        .split_whitespace()
        .next()
        .unwrap_or("");
    let rel = target.strip_prefix("./")?.trim_end_matches('/');
    if rel.contains("..") {
        return None;
    }
    if rel.ends_with(".yml") || rel.ends_with(".yaml") {
        return inventory.file(rel);
    }
    let dir = if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    };
    ["action.yml", "action.yaml"]
        .iter()
        .find_map(|n| inventory.file(&format!("{dir}{n}")))
}

/// Reads every CI file and local task runner in the inventory.
pub fn analyze(inventory: &Inventory, problems: &mut Vec<Problem>) -> CiFacts {
    let mut facts = CiFacts::default();
    for file in &inventory.files {
        if file.kind == FileKind::Fixture
            || CiSystem::of_path(&file.path).is_some()
            || !is_local_task_file(file)
        {
            continue;
        }
        let total = u32::try_from(file.index.len()).unwrap_or(u32::MAX);
        let config_only = is_tool_config(file);
        let scripts = if file.name() == "package.json" {
            file.text().and_then(scripts_block)
        } else {
            None
        };
        for step in classify_lines(file, 1, total) {
            // Configuration files hold settings, not commands: only thresholds and
            // rule selections count there (a `pytest` dependency line runs nothing).
            if config_only && !matches!(step.class.as_str(), "coverage-gate" | "sast") {
                continue;
            }
            // In package.json only `scripts` run anything: a `vitest` dependency line
            // is not a test task, with or without a scripts block.
            if file.name() == "package.json" {
                let in_scripts =
                    scripts.is_some_and(|(from, to)| step.line > from && step.line < to);
                if !in_scripts && step.class != "coverage-gate" {
                    continue;
                }
            }
            facts.local.push(LocalTask {
                path: file.path.clone(),
                step,
            });
        }
    }
    let runners = Runners::new(inventory);
    facts.release_tests = release_tests(&runners, &facts.local);
    // Each script is classified once, however many CI lines run it.
    let mut script_steps: HashMap<String, Vec<Step>> = HashMap::new();
    for file in &inventory.files {
        let Some(text) = file.text() else { continue };
        let Some(system) = CiSystem::of_path(&file.path) else {
            continue;
        };
        let mut ci = CiFile {
            path: file.path.clone(),
            system,
            name: None,
            triggers: Vec::new(),
            triggers_line: None,
            jobs: Vec::new(),
            malformed: false,
            on_changes: true,
        };
        let is_yaml = file.path.ends_with(".yml") || file.path.ends_with(".yaml");
        let mut parsed = false;
        if is_yaml && text.len() <= MAX_YAML_BYTES {
            match serde_saphyr::from_str_with_options::<serde_json::Value>(
                text,
                super::yaml_options(),
            ) {
                Ok(doc) => {
                    parsed = true;
                    ci.name = doc.get("name").and_then(|v| v.as_str()).map(str::to_string);
                    ci.triggers = if system == CiSystem::Woodpecker {
                        woodpecker_events(&doc)
                    } else {
                        triggers(&doc)
                    };
                    ci.triggers_line = super::manifest::find_line(text, 1, |l| {
                        let t = l.trim_end();
                        ["on:", "\"on\":", "'on':", "true:"]
                            .iter()
                            .any(|p| t.starts_with(p))
                    });
                }
                Err(e) => {
                    ci.malformed = true;
                    if !accepted_elsewhere(&e) {
                        problems.push(yaml_problem(&file.path, &e));
                    }
                }
            }
        }
        ci.on_changes = runs_on_changes(system, &ci.triggers, parsed);
        let total = u32::try_from(file.index.len()).unwrap_or(u32::MAX);
        let ranges = match system {
            CiSystem::GitHubActions | CiSystem::Depot | CiSystem::CircleCI | CiSystem::Azure => {
                jobs_under_key(text)
            }
            CiSystem::GitLab => gitlab_jobs(text),
            CiSystem::Woodpecker => woodpecker_steps(text),
            _ => Vec::new(),
        };
        // A job's own key line names the job; it runs nothing.
        let ranges: Vec<(String, u32, u32, u32)> = if ranges.is_empty() {
            vec![("pipeline".to_string(), 1, 1, total.max(1))]
        } else {
            ranges
                .into_iter()
                .map(|(id, from, to)| (id, from, from + 1, to))
                .collect()
        };
        // CircleCI: a step that names a reusable command (`- run-tests:`) runs the
        // command's steps.
        let commands = if system == CiSystem::CircleCI {
            entries_under(text, &["commands"])
        } else {
            Vec::new()
        };
        for (id, line, from, to) in ranges {
            let mut called: Vec<(u32, u32)> = Vec::new();
            for n in from..=to {
                let Some(step) = file.line(n).trim().strip_prefix("- ") else {
                    continue;
                };
                let name = step.trim_end().trim_end_matches(':');
                if let Some((_, at, end)) = commands.iter().find(|(c, _, _)| c == name) {
                    let block = (at + 1, *end);
                    if !called.contains(&block) {
                        called.push(block);
                    }
                }
            }
            let mut steps = classify_lines(file, from, to);
            for (at, end) in &called {
                steps.extend(classify_lines(file, *at, *end));
            }
            // Tools a CI line runs through a task runner or a script in the repository
            // count as run by CI (each class at most MAX_STEPS_PER_CLASS times a job).
            let mut seen: std::collections::HashSet<(String, u32)> =
                steps.iter().map(|s| (s.class.clone(), s.line)).collect();
            let mut per_class: HashMap<String, usize> = HashMap::new();
            for s in &steps {
                *per_class.entry(s.class.clone()).or_default() += 1;
            }
            let mut add = |class: &str, n: u32, text: String, steps: &mut Vec<Step>| {
                let count = per_class.entry(class.to_string()).or_default();
                if *count < MAX_STEPS_PER_CLASS && seen.insert((class.to_string(), n)) {
                    *count += 1;
                    steps.push(Step {
                        class: class.to_string(),
                        line: n,
                        text,
                    });
                }
            };
            let commands_lines = called.iter().flat_map(|(at, end)| *at..=*end);
            for n in (from..=to).chain(commands_lines) {
                let text = file.line(n);
                // Scripts it runs and the local action or reusable workflow it calls:
                // their steps are the job's.
                let called = invoked_scripts(text, inventory)
                    .into_iter()
                    .chain(invoked_local_action(text, inventory).filter(|a| a.path != file.path));
                for target in called {
                    let classified = script_steps.entry(target.path.clone()).or_insert_with(|| {
                        let total = u32::try_from(target.index.len()).unwrap_or(u32::MAX);
                        classify_lines(target, 1, total)
                    });
                    for step in classified.iter() {
                        let shown = format!(
                            "{} → {}:{}: {}",
                            text.trim(),
                            target.path,
                            step.line,
                            step.text
                        );
                        add(&step.class, n, shown, &mut steps);
                    }
                }
                if let Some((path, at, runner)) = compose_test_run(text, inventory) {
                    let shown = format!("{} → {path}:{at}: {runner}", text.trim());
                    add("test", n, shown, &mut steps);
                }
                for task in invoked_tasks(text, &runners, &facts.local) {
                    let shown = format!(
                        "{} → {}:{}: {}",
                        text.trim(),
                        task.path,
                        task.step.line,
                        task.step.text
                    );
                    add(&task.step.class, n, shown, &mut steps);
                }
            }
            steps.sort_by_key(|s| s.line);
            ci.jobs.push(Job {
                steps,
                environment: environment_of(file, from, to),
                id,
                line,
                end_line: to,
            });
        }
        facts.files.push(ci);
    }
    facts.workflows = super::workflows::analyze(inventory, problems);
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::source::test_support::file;

    #[test]
    fn splits_github_jobs_and_classifies_steps() {
        let text = "name: CI\non:\n  push:\n  pull_request:\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pip install ruff\n      - run: ruff check .\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest --cov=app --cov-fail-under=80\n";
        let f = file(".github/workflows/ci.yml", text);
        let jobs = jobs_under_key(text);
        assert_eq!(
            jobs,
            vec![("lint".to_string(), 6, 10), ("test".to_string(), 11, 14)]
        );
        let lint = classify_lines(&f, 7, 10);
        assert_eq!(lint.len(), 1);
        assert_eq!((lint[0].class.as_str(), lint[0].line), ("lint", 10));
        let test = classify_lines(&f, 12, 14);
        let classes: Vec<&str> = test.iter().map(|s| s.class.as_str()).collect();
        assert_eq!(classes, vec!["coverage-gate", "test"]);
    }

    #[test]
    fn installs_chained_with_a_run_still_count_and_names_do_not() {
        assert_eq!(
            classes_of("- run: pip install pip-audit && pip-audit -r requirements.txt"),
            vec!["dependency-audit"]
        );
        assert!(classes_of("- run: pip install pytest").is_empty());
        assert!(classes_of("- name: Run gitleaks").is_empty());
        assert!(classes_of("- run: cargo publish --dry-run").is_empty());
        assert_eq!(classes_of("- run: cargo fmt --check"), vec!["format"]);
        assert!(classes_of("echo \"TODO: run cargo clippy and cargo test\"").is_empty());
        assert_eq!(classes_of("echo start && cargo test"), vec!["test"]);
    }

    #[test]
    fn a_ci_step_running_a_repository_script_runs_its_commands() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        std::fs::create_dir_all(dir.path().join("ci")).unwrap();
        std::fs::write(
            dir.path().join("ci/check.sh"),
            "#!/bin/sh\ncargo clippy -- -D warnings\ncargo test\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".github/workflows/ci.yml"),
            "on: [push]\njobs:\n  all:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./ci/check.sh\n",
        )
        .unwrap();
        let inv = crate::repo::walk(dir.path(), &crate::repo::WalkOptions::default());
        let facts = analyze(&inv, &mut Vec::new());
        let tests = facts.steps("test");
        assert_eq!(tests.len(), 1);
        assert_eq!(tests[0].step.line, 6);
        assert!(
            tests[0].step.text.contains("ci/check.sh:3: cargo test"),
            "{}",
            tests[0].step.text
        );
        assert_eq!(facts.steps("lint").len(), 1);
    }

    #[test]
    fn finds_make_recipes_and_their_prerequisites() {
        let text = "check: lint vuln\n\nlint:\n\truff check .\n\nvuln:\n\tpip-audit\n\techo done\nloop: loop check\n";
        let r = Recipes::parse(text);
        assert_eq!(r.lines("vuln"), vec![(6, 8)]);
        assert_eq!(r.lines("check"), vec![(1, 2), (3, 5), (6, 8)]);
        // Cycles and repeated prerequisites are followed once.
        assert_eq!(r.lines("loop"), vec![(1, 2), (3, 5), (6, 8), (9, 9)]);
    }

    #[test]
    fn finds_gitlab_jobs() {
        let text = "stages: [test]\nvariables:\n  X: 1\nunit:\n  script:\n    - cargo test\nrelease:\n  script:\n    - cargo publish\n";
        let jobs = gitlab_jobs(text);
        assert_eq!(
            jobs,
            vec![("unit".to_string(), 4, 6), ("release".to_string(), 7, 9)]
        );
    }
}
