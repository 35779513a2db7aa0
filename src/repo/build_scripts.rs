//! Scripts an image runs only while it is built: copied into a build stage and run
//! there (`COPY docker_assets/ffmpeg_download.py .` then `RUN python
//! ffmpeg_download.py` in the `ffmpeg-builder` stage), never copied into the final
//! stage. They are build tooling, not code that runs in production. So are the
//! scripts a CI pipeline runs by path (`cd src && python build_package.py`) that
//! nothing else starts or imports.

use std::collections::HashSet;

use super::kind::is_ci_config;
use super::{FileKind, RepoFile};

/// Later stages searched for copies out of a build stage.
const MAX_LATER_STAGES: usize = 64;

/// Marks as build files the Python scripts that Dockerfiles copy and run only in
/// stages before the final one.
pub(crate) fn mark_build_stage_scripts(files: &mut [RepoFile]) {
    let mut build_only: HashSet<String> = HashSet::new();
    let mut shipped: HashSet<String> = HashSet::new();
    for f in files.iter().filter(|f| f.name().contains("Dockerfile")) {
        let Some(text) = f.text() else { continue };
        let context = f.dir();
        let stages = split_stages(text);
        let last = stages.len().saturating_sub(1);
        for (i, stage) in stages.iter().enumerate() {
            let runs: Vec<&str> = stage
                .iter()
                .map(|l| l.trim_start())
                .filter(|l| l.get(..3).is_some_and(|op| op.eq_ignore_ascii_case("RUN")))
                .collect();
            for (source, dest) in copied_scripts(stage) {
                let path = if context.is_empty() {
                    source.clone()
                } else {
                    format!("{context}/{source}")
                };
                let name = source.rsplit('/').next().unwrap_or(&source).to_string();
                let run_here = runs.iter().any(|l| l.contains(&name));
                // A later stage that copies the directory holding it out of this
                // stage (`COPY --from=builder /app /app`) ships it.
                let carried = || {
                    stages
                        .iter()
                        .skip(i + 1)
                        .take(MAX_LATER_STAGES)
                        .flat_map(|later| copied_from(later, i, stage))
                        .any(|src| {
                            dest == src
                                || dest.starts_with(&format!("{}/", src.trim_end_matches('/')))
                        })
                };
                if i < last && run_here && !carried() {
                    build_only.insert(path);
                } else {
                    shipped.insert(path);
                }
            }
        }
    }
    if build_only.is_empty() {
        return;
    }
    for f in files.iter_mut().filter(|f| f.kind == FileKind::Source) {
        if build_only.contains(&f.path) && !shipped.contains(&f.path) {
            f.kind = FileKind::Build;
        }
    }
}

/// Most scripts run by CI that are looked up across the tree: a CI configuration naming
/// more (generated, or built to stall the audit) marks none.
const MAX_CI_SCRIPTS: usize = 64;

/// Scripts whose names say they are what an application starts, or a test runner:
/// CI runs them to migrate, collect assets or test, and production runs them too.
const ENTRY_NAMES: &[&str] = &[
    "manage.py",
    "wsgi.py",
    "asgi.py",
    "app.py",
    "main.py",
    "run.py",
    "server.py",
    "__main__.py",
];

/// Marks as build files the Python scripts that CI pipelines run by path when no
/// module imports them, no manifest names them as an entry point, and no Dockerfile,
/// Procfile or compose file starts them.
pub(crate) fn mark_ci_run_scripts(files: &mut [RepoFile]) {
    // Scheduled pipelines are a runtime of their own (a nightly sync with the
    // production database's secrets): their scripts are not build tooling.
    let mut named: HashSet<(String, String)> = HashSet::new();
    for f in files.iter().filter(|f| is_ci_config(&f.path)) {
        let Some(text) = f.text() else { continue };
        if text.contains("schedule:") || text.contains("cron:") {
            continue;
        }
        named.extend(ci_python_scripts(text));
        if named.len() > MAX_CI_SCRIPTS {
            return;
        }
    }
    let mut run: HashSet<String> = named
        .iter()
        .filter_map(|(dir, script)| resolve(files, dir, script))
        .collect();
    run.retain(|path| {
        let name = path.rsplit('/').next().unwrap_or(path);
        !ENTRY_NAMES.contains(&name) && !name.contains("test")
    });
    if run.is_empty() {
        return;
    }
    let used: HashSet<String> = run
        .iter()
        .filter(|path| used_elsewhere(files, path))
        .cloned()
        .collect();
    for f in files.iter_mut() {
        if f.kind == FileKind::Source && run.contains(&f.path) && !used.contains(&f.path) {
            f.kind = FileKind::Build;
        }
    }
}

/// Most stand-alone scripts in tool directories that are looked up across the tree.
const MAX_TOOL_SCRIPTS: usize = 64;

/// Marks as build files the stand-alone Python scripts kept in a tools directory at any
/// depth (`lib/edge/tools/download_partial.py`): a file that starts with a Python
/// shebang, that no module imports and that no Dockerfile, Procfile, compose file or
/// manifest starts is a maintainer's tool. A file inside a package's tree (`tools/`
/// with an `__init__.py`, or `app/tools/` under `app/__init__.py`) ships with the
/// application and is left alone.
pub(crate) fn mark_tool_scripts(files: &mut [RepoFile]) {
    let packages: HashSet<&str> = files
        .iter()
        .filter(|f| f.name() == "__init__.py")
        .map(|f| f.dir())
        .collect();
    let candidates: Vec<String> = files
        .iter()
        .filter(|f| f.kind == FileKind::Source && f.path.ends_with(".py"))
        .filter(|f| {
            f.dir()
                .split('/')
                .any(|d| matches!(d, "tools" | "tool" | "devtools" | "dev-tools"))
                && !in_package(&packages, f.dir())
                && f.text().is_some_and(|t| {
                    t.lines()
                        .next()
                        .is_some_and(|l| l.starts_with("#!") && l.contains("python"))
                })
        })
        .map(|f| f.path.clone())
        .take(MAX_TOOL_SCRIPTS + 1)
        .collect();
    if candidates.is_empty() || candidates.len() > MAX_TOOL_SCRIPTS {
        return;
    }
    let tools: HashSet<String> = candidates
        .into_iter()
        .filter(|path| !used_elsewhere(files, path))
        .collect();
    for f in files.iter_mut() {
        if tools.contains(&f.path) {
            f.kind = FileKind::Build;
        }
    }
}

/// Whether directory `dir` or one of its parents holds an `__init__.py`.
fn in_package(packages: &HashSet<&str>, dir: &str) -> bool {
    let mut d = dir;
    loop {
        if packages.contains(d) {
            return true;
        }
        match d.rsplit_once('/') {
            Some((parent, _)) => d = parent,
            None => return !d.is_empty() && packages.contains(""),
        }
    }
}

/// The Python scripts a CI file runs by path, each with the directory a `cd` earlier
/// in the same step moved to (`cd src` then `python build_package.py`).
fn ci_python_scripts(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dir = String::new();
    for line in text.lines() {
        let mut l = line.trim();
        // A new step or key starts from the checkout's root again.
        if let Some(rest) = l.strip_prefix("- ") {
            dir.clear();
            l = rest.trim_start();
        }
        for key in ["run:", "script:", "command:", "cmd:"] {
            if let Some(rest) = l.strip_prefix(key) {
                dir.clear();
                l = rest.trim_start();
            }
        }
        for command in l.split(['&', ';', '|']) {
            let words: Vec<&str> = command
                .split_whitespace()
                .map(|w| w.trim_matches(['"', '\'']))
                .collect();
            match words.as_slice() {
                ["cd", to, ..] => dir = join(&dir, to),
                _ => {
                    if let Some(script) = python_script(&words) {
                        out.push((dir.clone(), script.to_string()));
                    }
                }
            }
        }
    }
    out
}

/// The script of a `python [flags] path.py …` command (also under `uv run`,
/// `poetry run`, `pipenv run`); none for `python -m` and `python -c`.
fn python_script<'a>(words: &[&'a str]) -> Option<&'a str> {
    let start = words.iter().position(|w| is_python(w))?;
    let before_ok = words
        .iter()
        .take(start)
        .all(|w| matches!(*w, "uv" | "poetry" | "pipenv" | "run" | "exec" | "sudo"));
    if !before_ok {
        return None;
    }
    for w in words.iter().skip(start + 1) {
        if matches!(*w, "-m" | "-c") {
            return None;
        }
        if w.starts_with('-') {
            continue;
        }
        return w.ends_with(".py").then_some(*w);
    }
    None
}

fn is_python(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or(word);
    name.strip_prefix("python")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// `to` taken relative to `dir` (both relative to the checkout's root).
fn join(dir: &str, to: &str) -> String {
    let mut parts: Vec<&str> = if to.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in to.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    parts.join("/")
}

/// The Python file of the repository a CI command names: the path from its working
/// directory, from the root, or the one file of that name when the name is unique.
fn resolve(files: &[RepoFile], dir: &str, script: &str) -> Option<String> {
    let is_py = |f: &&RepoFile| f.path.ends_with(".py");
    let tried = [join(dir, script), join("", script)];
    if let Some(f) = files.iter().filter(is_py).find(|f| tried.contains(&f.path)) {
        return Some(f.path.clone());
    }
    if script.contains('/') {
        return None;
    }
    let mut named = files.iter().filter(is_py).filter(|f| f.name() == script);
    match (named.next(), named.next()) {
        (Some(f), None) => Some(f.path.clone()),
        _ => None,
    }
}

/// Whether anything but CI uses the script at `path`: a Python module imports it, a
/// manifest names it as an entry point, or a Dockerfile, Procfile or compose file
/// starts it.
fn used_elsewhere(files: &[RepoFile], path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.trim_end_matches(".py");
    files.iter().filter(|f| f.path != path).any(|f| {
        let Some(text) = f.text() else { return false };
        let file = f.name();
        if f.path.ends_with(".py") && file != "setup.py" {
            return text.lines().any(|l| imports(l, stem));
        }
        // Anything that can start a program: images, Procfiles, compose and
        // Kubernetes files, shell scripts, supervisord and systemd units.
        let deploys = !is_ci_config(&f.path)
            && (file.contains("Dockerfile")
                || file.starts_with("Procfile")
                || file.ends_with(".yml")
                || file.ends_with(".yaml")
                || file.ends_with(".sh")
                || file.ends_with(".conf")
                || file.ends_with(".service")
                || file.ends_with(".toml"));
        let manifest = matches!(file, "pyproject.toml" | "setup.cfg" | "setup.py");
        (deploys && (text.contains(name) || text.contains(&format!("-m {stem}"))))
            || (manifest && text.contains(&format!("{stem}:")))
    })
}

/// Whether an import line names the module `stem` (`import stem`, `from pkg.stem
/// import x`, `from . import stem`).
fn imports(line: &str, stem: &str) -> bool {
    let l = line.trim_start();
    (l.starts_with("import ") || l.starts_with("from "))
        && l.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == stem)
}

/// The lines of each stage (from one `FROM` to the next).
fn split_stages(text: &str) -> Vec<Vec<&str>> {
    let mut stages: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        if line.trim_start().to_ascii_uppercase().starts_with("FROM ") || stages.is_empty() {
            stages.push(Vec::new());
        }
        if let Some(stage) = stages.last_mut() {
            stage.push(line);
        }
    }
    stages
}

/// The instruction's words after its keyword and flags.
fn args(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .skip(1)
        .filter(|w| !w.starts_with("--"))
        .collect()
}

/// `path` made absolute against the working directory `dir`.
fn absolute(dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        let rel = path.trim_start_matches("./");
        format!(
            "{}/{}",
            dir.trim_end_matches('/'),
            if rel == "." { "" } else { rel }
        )
    }
}

/// Each instruction of a stage with the working directory it runs in.
fn with_workdir<'a>(stage: &[&'a str]) -> Vec<(&'a str, String)> {
    let mut dir = String::from("/");
    let mut out = Vec::new();
    for l in stage {
        let l = l.trim_start();
        if l.get(..8)
            .is_some_and(|op| op.eq_ignore_ascii_case("WORKDIR "))
        {
            if let Some(d) = args(l).first() {
                dir = absolute(&dir, d);
            }
        }
        out.push((l, dir.clone()));
    }
    out
}

fn copies(l: &str) -> bool {
    l.get(..5)
        .is_some_and(|op| op.eq_ignore_ascii_case("COPY "))
        || l.get(..4).is_some_and(|op| op.eq_ignore_ascii_case("ADD "))
}

/// Python files a stage copies from the build context (`COPY a.py b.py /dest/`):
/// (the source, where it lands in the image).
fn copied_scripts(stage: &[&str]) -> Vec<(String, String)> {
    with_workdir(stage)
        .into_iter()
        .filter(|(l, _)| copies(l) && !l.contains("--from"))
        .flat_map(|(l, dir)| {
            let words = args(l);
            let Some((dest, sources)) = words.split_last() else {
                return Vec::new();
            };
            let dest = absolute(&dir, dest);
            let single = sources.len() == 1 && !dest.ends_with('/');
            sources
                .iter()
                .filter(|w| w.ends_with(".py"))
                .map(|w| {
                    let source = w.trim_start_matches("./").to_string();
                    let name = source.rsplit('/').next().unwrap_or(&source).to_string();
                    let lands = if single && !dest.ends_with(".") {
                        dest.clone()
                    } else {
                        format!("{}/{name}", dest.trim_end_matches(['/', '.']))
                    };
                    (source, lands)
                })
                .collect()
        })
        .collect()
}

/// The paths (absolute in the stage they come from) a later stage copies out of
/// stage `index` (`COPY --from=builder /app /app`, `--from=0`).
fn copied_from(later: &[&str], index: usize, stage: &[&str]) -> Vec<String> {
    let alias = stage.first().and_then(|from| {
        let words: Vec<&str> = from.split_whitespace().collect();
        let at = words.iter().position(|w| w.eq_ignore_ascii_case("as"))?;
        words.get(at + 1).map(|a| a.to_ascii_lowercase())
    });
    let workdir = with_workdir(stage)
        .last()
        .map_or_else(|| "/".to_string(), |(_, d)| d.clone());
    later
        .iter()
        .map(|l| l.trim_start())
        .filter(|l| copies(l))
        .filter(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("--from="))
                .is_some_and(|from| {
                    let from = from.to_ascii_lowercase();
                    from == index.to_string() || alias.as_deref() == Some(from.as_str())
                })
        })
        .flat_map(|l| {
            let words = args(l);
            let n = words.len().saturating_sub(1);
            words
                .into_iter()
                .take(n)
                .map(|src| absolute(&workdir, src))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::source_file as file;

    #[test]
    fn a_script_whose_directory_a_later_stage_copies_out_ships() {
        let dockerfile = "FROM python:3.13 AS builder\nWORKDIR /app\nCOPY manage.py .\nRUN python manage.py collectstatic --noinput\n\nFROM python:3.13\nCOPY --from=builder /app /app\nCMD [\"gunicorn\", \"site.wsgi\"]\n";
        let mut files = vec![
            file("Dockerfile", dockerfile),
            file("manage.py", "import django\n"),
        ];
        mark_build_stage_scripts(&mut files);
        assert_eq!(files.get(1).map(|f| f.kind), Some(FileKind::Source));
    }

    #[test]
    fn a_script_run_only_in_a_build_stage_is_build_tooling() {
        let dockerfile = "FROM python:3.13 AS ffmpeg-builder\nCOPY docker_assets/ffmpeg_download.py ffmpeg_download.py\nRUN python ffmpeg_download.py $TARGETPLATFORM\n\nFROM python:3.13 AS app\nCOPY --from=ffmpeg-builder ./ffmpeg/ffmpeg /usr/bin/ffmpeg\nCOPY ./docker_assets/backend_start.py /app\nCMD [\"python\", \"/app/backend_start.py\"]\n";
        let mut files = vec![
            file("Dockerfile", dockerfile),
            file("docker_assets/ffmpeg_download.py", "import requests\n"),
            file("docker_assets/backend_start.py", "import uvicorn\n"),
        ];
        mark_build_stage_scripts(&mut files);
        let kinds: Vec<(&str, FileKind)> =
            files.iter().map(|f| (f.path.as_str(), f.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("Dockerfile", FileKind::Source),
                ("docker_assets/ffmpeg_download.py", FileKind::Build),
                ("docker_assets/backend_start.py", FileKind::Source),
            ]
        );
    }

    const RELEASE: &str = "jobs:\n  build:\n    steps:\n      - name: Build artifacts\n        run: |\n          python -m pip install -r requirements.txt\n          cd src\n          python build_package.py\n      - run: python3 -u scripts/check_versions.py --strict\n      - run: python manage.py migrate\n";

    #[test]
    fn a_script_only_ci_runs_is_build_tooling() {
        let mut files = vec![
            file(".github/workflows/release.yml", RELEASE),
            file("src/build_package.py", "import requests\n"),
            file("scripts/check_versions.py", "import tomllib\n"),
            file("manage.py", "import django\n"),
            file("src/flaresolverr.py", "import utils\n"),
        ];
        mark_ci_run_scripts(&mut files);
        let kinds: Vec<(&str, FileKind)> =
            files.iter().map(|f| (f.path.as_str(), f.kind)).collect();
        assert_eq!(
            kinds,
            [
                (".github/workflows/release.yml", FileKind::Source),
                ("src/build_package.py", FileKind::Build),
                ("scripts/check_versions.py", FileKind::Build),
                ("manage.py", FileKind::Source),
                ("src/flaresolverr.py", FileKind::Source),
            ]
        );
    }

    #[test]
    fn a_ci_run_script_that_is_imported_or_deployed_is_not_build_tooling() {
        let mut files = vec![
            file(".github/workflows/release.yml", RELEASE),
            file("src/build_package.py", "import requests\n"),
            file("src/cli.py", "from build_package import download\n"),
            file("scripts/check_versions.py", "import tomllib\n"),
            file(
                "Dockerfile",
                "FROM python:3.13\nCMD [\"python\", \"scripts/check_versions.py\"]\n",
            ),
        ];
        mark_ci_run_scripts(&mut files);
        assert!(files.iter().all(|f| f.kind == FileKind::Source));
    }

    #[test]
    fn a_script_a_scheduled_pipeline_runs_is_not_build_tooling() {
        let nightly = "on:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  sync:\n    steps:\n      - run: python etl/sync_orders.py\n";
        let mut files = vec![
            file(".github/workflows/nightly.yml", nightly),
            file("etl/sync_orders.py", "import requests\n"),
        ];
        mark_ci_run_scripts(&mut files);
        assert!(files.iter().all(|f| f.kind == FileKind::Source));
    }
}
