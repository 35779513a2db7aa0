//! Throughput of the secret scanner: walks a tree as `greenlight audit` does, then
//! times `scan_text` over every text file (single thread, then all threads) and prints
//! MB/s and what was found per rule; `--list` also prints each hit (masked).
//! `cargo run --release --example secret_scan -- DIR [--list]`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use greenlight::analyze::secrets::scan_text;
use greenlight::repo::{WalkOptions, walk};
use rayon::prelude::*;

fn main() {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: secret_scan DIR");
        std::process::exit(2);
    };
    let inventory = walk(&root, &WalkOptions::default());
    let texts: Vec<(&str, &str)> = inventory
        .files
        .iter()
        .filter_map(|f| f.text().map(|t| (f.path.as_str(), t)))
        .collect();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let mb = bytes as f64 / 1e6;
    // Warm the catalog (compiled once per process) before timing.
    let _ = scan_text("warm.py", "token = \"x\"");
    let start = Instant::now();
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut listed = Vec::new();
    for (path, text) in &texts {
        for h in scan_text(path, text) {
            *per_rule.entry(h.rule).or_default() += 1;
            listed.push(format!(
                "{path}:{} {} {} ({:?})",
                h.line, h.rule, h.redacted, h.context
            ));
        }
    }
    let single = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let hits: usize = texts.par_iter().map(|(p, t)| scan_text(p, t).len()).sum();
    let parallel = start.elapsed().as_secs_f64();
    println!(
        "secret scan: {} text files, {mb:.1} MB; 1 thread {:.0} ms ({:.0} MB/s); {} threads {:.0} ms ({:.0} MB/s); {hits} hits",
        texts.len(),
        single * 1000.0,
        mb / single,
        rayon::current_num_threads(),
        parallel * 1000.0,
        mb / parallel
    );
    for (rule, n) in per_rule {
        println!("  {rule}: {n}");
    }
    if std::env::args().any(|a| a == "--list") {
        for l in listed {
            println!("{l}");
        }
    }
}
