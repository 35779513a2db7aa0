//! Scripts an image runs only while it is built: copied into a build stage and run
//! there (`COPY docker_assets/ffmpeg_download.py .` then `RUN python
//! ffmpeg_download.py` in the `ffmpeg-builder` stage), never copied into the final
//! stage. They are build tooling, not code that runs in production.

use std::collections::HashSet;

use super::{FileKind, RepoFile};

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
            for source in copied_scripts(stage) {
                let path = if context.is_empty() {
                    source.clone()
                } else {
                    format!("{context}/{source}")
                };
                let name = source.rsplit('/').next().unwrap_or(&source).to_string();
                let run_here = runs.iter().any(|l| l.contains(&name));
                if i < last && run_here {
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

/// Python files a stage copies from the build context (`COPY a.py b.py /dest/`).
fn copied_scripts(stage: &[&str]) -> Vec<String> {
    stage
        .iter()
        .filter_map(|l| {
            let l = l.trim_start();
            let upper = l.to_ascii_uppercase();
            (upper.starts_with("COPY ") || upper.starts_with("ADD ")).then_some(l)
        })
        .filter(|l| !l.contains("--from"))
        .flat_map(|l| {
            let words: Vec<&str> = l
                .split_whitespace()
                .skip(1)
                .filter(|w| !w.starts_with("--"))
                .collect();
            // Every word but the destination.
            let n = words.len().saturating_sub(1);
            words
                .into_iter()
                .take(n)
                .filter(|w| w.ends_with(".py"))
                .map(|w| w.trim_start_matches("./").to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::source_file as file;

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
}
