//! Checks written reviews against the secrets of the repository they review: scans the
//! tree (and, with `--history`, every blob reachable from HEAD) with the secret
//! scanner, then looks for any seven characters of any secret found in each report
//! file given. Prints the count of secrets and every leak (masked); exits 1 on a leak.
//! `cargo run --release --example leak_check -- REPO [--history] REPORT...`

use std::path::PathBuf;

use greenlight::analyze::secrets::scan_text;
use greenlight::repo::{WalkOptions, walk};

const CATALOG: &str = include_str!("../src/analyze/catalog/secrets.toml");

#[allow(clippy::disallowed_methods)] // reads the reports it is given, not the repository
fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: leak_check REPO [--history] REPORT...");
        std::process::exit(2);
    };
    let mut history = false;
    let mut reports = Vec::new();
    for a in args {
        if a == "--history" {
            history = true;
        } else {
            reports.push(PathBuf::from(a));
        }
    }
    let inventory = walk(&root, &WalkOptions::default());
    let mut values: Vec<String> = Vec::new();
    for f in &inventory.files {
        if let Some(text) = f.text() {
            for h in scan_text(&f.path, text) {
                values.push(h.value.expose().to_string());
            }
        }
    }
    if history {
        let policy = greenlight::config::Policy::default();
        if let greenlight::analyze::history::History::Scanned(h) =
            greenlight::analyze::history::collect(&root, &policy)
        {
            values.extend(
                h.findings
                    .iter()
                    .map(|f| f.secret.value.expose().to_string()),
            );
        }
    }
    values.sort();
    values.dedup();
    let mut leaks = 0usize;
    for report in &reports {
        let Ok(text) = std::fs::read_to_string(report) else {
            eprintln!("cannot read {}", report.display());
            std::process::exit(2);
        };
        // Markdown escapes `_` and friends; look at the text with the escapes undone too.
        let plain = text.replace('\\', "");
        for v in &values {
            let chars: Vec<char> = v.chars().collect();
            let leaked = chars
                .windows(7)
                .map(|w| w.iter().collect::<String>())
                .filter(|w| !w.contains('\n') && !CATALOG.contains(w.as_str()))
                .find(|w| text.contains(w.as_str()) || plain.contains(w.as_str()));
            if let Some(w) = leaked {
                leaks += 1;
                println!(
                    "leak in {}: {} (window {:?})",
                    report.display(),
                    greenlight::model::mask(v),
                    w
                );
            }
        }
    }
    println!(
        "{} secrets, {} reports, {leaks} leaks",
        values.len(),
        reports.len()
    );
    if leaks > 0 {
        std::process::exit(1);
    }
}
