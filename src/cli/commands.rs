//! What each command does.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::EXIT_GATE;
use super::args::{AdvisoriesCommand, AuditArgs, Cli, Command, FailOn, UpdateArgs};
use greenlight::report::{Format, terminal_summary};
use greenlight::review::Verdict;
use greenlight::{AuditOptions, checks, config};

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Audit(a) => audit(a),
        Command::Checks { markdown } => {
            list_checks(markdown);
            Ok(0)
        }
        Command::Explain { id } => explain(&id),
        Command::Init { dir } => init(&dir),
        Command::Advisories(AdvisoriesCommand::Update(a)) => update_advisories(a),
    }
}

fn audit(args: AuditArgs) -> Result<u8> {
    // Validate every output before spending time on the audit.
    let mut outputs: Vec<(PathBuf, Format)> = Vec::new();
    for path in &args.out {
        let Some(format) = Format::from_path(path) else {
            bail!(
                "cannot tell the report format of {}: use a .md or .json extension",
                path.display()
            );
        };
        outputs.push((path.clone(), format));
    }
    for report in args.junit.iter().chain(&args.coverage) {
        if !report.is_file() {
            bail!("cannot read the report {}: no such file", report.display());
        }
    }
    // A report that cannot be read is the user's mistake, told before the audit runs.
    for report in &args.audit_report {
        greenlight::advisories::reports::read(report).map_err(anyhow::Error::msg)?;
    }
    let options = AuditOptions {
        policy: args.policy.clone(),
        jobs: args.jobs,
        run: greenlight::run::RunOptions {
            run_tests: args.run_tests,
            setup: args.setup,
            no_sandbox: args.no_sandbox,
            timeout: args.test_timeout,
            junit: args.junit.clone(),
            coverage: args.coverage.clone(),
        },
        advisories: greenlight::advisories::Options {
            db: args
                .cache_dir
                .clone()
                .or_else(greenlight::advisories::default_cache_dir),
            reports: args.audit_report.clone(),
            shown_root: Some(args.path.display().to_string()),
        },
        history: args.history,
    };
    let review = greenlight::audit(&args.path, &options)?;
    for (path, format) in &outputs {
        write_atomically(path, &format.render(&review))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if !args.quiet {
        let color = !args.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && std::io::stdout().is_terminal();
        let mut out = terminal_summary(&review, color);
        if !outputs.is_empty() {
            let names: Vec<String> = outputs
                .iter()
                .map(|(p, _)| p.display().to_string())
                .collect();
            out.push_str(&format!("\nReports: {}\n", names.join(", ")));
        }
        emit(&out);
    }
    if let Some(level) = args.fail_on {
        let threshold = match level {
            FailOn::NotReady => Verdict::NotReady,
            FailOn::StagingOnly => Verdict::StagingOnly,
        };
        if review.verdict <= threshold {
            eprintln!(
                "greenlight: gate failed: the verdict is {} (--fail-on {})",
                review.verdict.label(),
                match level {
                    FailOn::NotReady => "not-ready",
                    FailOn::StagingOnly => "staging-only",
                }
            );
            return Ok(EXIT_GATE);
        }
    }
    Ok(0)
}

/// Writes through a temporary file in the same directory, so a reader never sees half
/// a report and an interrupted run leaves the previous one intact.
fn write_atomically(path: &Path, content: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if path.is_dir() {
        bail!("{} is a directory", path.display());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    fs::write(&tmp, content)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(())
}

/// Writes to standard output; a closed pipe (`| head`) is not an error worth reporting.
fn emit(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn list_checks(markdown: bool) {
    if markdown {
        emit(&checks::reference_doc());
        return;
    }
    let width = checks::CHECKS
        .iter()
        .map(|c| c.def.id.len())
        .max()
        .unwrap_or(20);
    let mut out = format!(
        "{:<width$}  {:<14}  {:>6}  DESCRIPTION\n",
        "ID", "CATEGORY", "WEIGHT"
    );
    for c in checks::CHECKS {
        out.push_str(&format!(
            "{:<width$}  {:<14}  {:>6}  {}\n",
            c.def.id,
            c.def.category.id(),
            c.def.weight,
            c.def.summary
        ));
    }
    emit(&out);
}

fn explain(id: &str) -> Result<u8> {
    match checks::find(id) {
        Some(c) => {
            emit(&checks::explain(&c.def));
            Ok(0)
        }
        None => {
            let close: Vec<&str> = checks::ids()
                .into_iter()
                .filter(|k| {
                    let name = id.rsplit('.').next().unwrap_or(id);
                    k.contains(name) || name.contains(k.rsplit('.').next().unwrap_or(k))
                })
                .collect();
            if close.is_empty() {
                bail!("unknown check `{id}`; `greenlight checks` lists them all");
            }
            bail!("unknown check `{id}`; did you mean {}?", close.join(", "));
        }
    }
}

fn init(dir: &Path) -> Result<u8> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let path = dir.join(config::FILE_NAME);
    let mut file = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} already exists; not overwriting it", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    file.write_all(config::STARTER.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    emit(&format!(
        "Wrote {}; edit it and run `greenlight audit`.\n",
        path.display()
    ));
    Ok(0)
}

fn update_advisories(args: UpdateArgs) -> Result<u8> {
    use greenlight::advisories::{self, index, update};
    let Some(cache) = args
        .cache_dir
        .clone()
        .or_else(advisories::default_cache_dir)
    else {
        bail!("no cache directory: pass --cache-dir or set GREENLIGHT_CACHE_DIR");
    };
    let ecosystems = if args.ecosystem.is_empty() {
        if !args.path.is_dir() {
            bail!("{} is not a directory", args.path.display());
        }
        let policy = greenlight::load_policy(&args.path, None)?;
        let inventory =
            greenlight::repo::walk(&args.path, &greenlight::repo::WalkOptions::default());
        let facts = greenlight::analyze::analyze(&inventory, &policy);
        let found = advisories::ecosystems_in(&facts);
        if found.is_empty() {
            bail!(
                "no Python, Rust, npm or Go manifests in {}: name the ecosystems with --ecosystem",
                args.path.display()
            );
        }
        found
    } else {
        let mut list = Vec::new();
        for name in &args.ecosystem {
            let Some(e) = advisories::parse_ecosystem(name) else {
                bail!("unknown ecosystem `{name}`: use pypi, crates.io, npm or go");
            };
            if !list.contains(&e) {
                list.push(e);
            }
        }
        list
    };
    let source = args
        .source
        .clone()
        .or_else(|| {
            std::env::var("GREENLIGHT_OSV_URL")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| update::DEFAULT_SOURCE.to_string());
    let names: Vec<&str> = ecosystems.iter().map(|e| index::osv_name(*e)).collect();
    eprintln!("Fetching {} advisories from {source}", names.join(", "));
    let done = update::update(&source, &cache, &ecosystems)?;
    let mut out = String::new();
    for u in &done {
        out.push_str(&format!(
            "{:<10} {:>7} advisories for {:>6} packages  {:>8.1} MB  {:>6.1}s{}\n",
            u.meta.ecosystem,
            u.meta.advisories,
            u.meta.packages,
            u.meta.archive_bytes as f64 / 1_048_576.0,
            u.elapsed.as_secs_f64(),
            if u.skipped > 0 {
                format!("  ({} unreadable entries skipped)", u.skipped)
            } else {
                String::new()
            }
        ));
    }
    out.push_str(&format!("Database: {}\n", cache.display()));
    emit(&out);
    Ok(0)
}
