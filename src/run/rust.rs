//! Rust: `cargo test` (cargo-nextest with a JUnit report when installed; coverage with
//! cargo-llvm-cov when installed, else unknown), offline unless `--setup` fetched.

use super::exec;
use super::model::{Counts, SuiteRun};
use super::{RunContext, ingest};

pub fn applies(cx: &RunContext<'_>) -> bool {
    cx.inventory.file("Cargo.toml").is_some()
}

pub fn run(cx: &RunContext<'_>) -> SuiteRun {
    let mut suite = SuiteRun::new("Rust", "cargo test");
    let Some(cargo) = exec::which("cargo") else {
        suite.not_run = Some("cargo is not on PATH".into());
        return suite;
    };
    let out = cx.out_for("rust");
    let target = cx.scratch.root().join("target");
    let mut cargo_home = None;
    suite.environment =
        "the installed Rust toolchain, offline, dependencies from the local cargo cache".into();
    if cx.setup {
        // A private cargo home: downloads land in the scratch directory.
        let home = cx.scratch.root().join("cargo-home");
        let mut fetch = cx.job(&cargo).arg("fetch").env("CARGO_HOME", &home);
        fetch.network = true;
        if !cx.setup_step(&mut suite, fetch) {
            return suite;
        }
        suite.environment =
            "the installed Rust toolchain, dependencies fetched by `cargo fetch` (--setup)".into();
        cargo_home = Some(home);
    }
    let nextest = exec::which("cargo-nextest").is_some();
    let llvm_cov = exec::which("cargo-llvm-cov").is_some();
    let lcov = out.join("lcov.info");
    let config = out.join("nextest.toml");
    let mut job = cx
        .job(&cargo)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_TERM_COLOR", "never");
    if let Some(home) = &cargo_home {
        job = job.env("CARGO_HOME", home);
    }
    if llvm_cov {
        job = job.arg("llvm-cov");
    }
    let store = out.join("nextest");
    let nextest_config = format!(
        "[store]\ndir = \"{}\"\n[profile.greenlight]\nfail-fast = false\n[profile.greenlight.junit]\npath = \"junit.xml\"\n",
        store
            .display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    );
    if nextest && cx.scratch.write(&config, nextest_config.as_bytes()).is_ok() {
        suite.runner = "cargo nextest".into();
        cx.note("cargo-nextest does not run doctests: documentation examples were not tested");
        job = job
            .args(["nextest", "run", "--profile", "greenlight", "--config-file"])
            .arg(&config);
    } else {
        job = job.args(["test", "--no-fail-fast"]);
    }
    job = job.args(["--workspace", "--offline"]);
    if llvm_cov {
        job = job.args(["--lcov", "--output-path"]).arg(&lcov);
    }
    // Results are parsed from standard output: keep much more of it.
    job.keep_stdout = 64 * 1024 * 1024;
    let Some(ran) = cx.test_step(&mut suite, job) else {
        return suite;
    };
    let output = ran.output();
    let junit = store.join("greenlight/junit.xml");
    let mut cases = match cx.scratch.read(&junit) {
        Some(text) if suite.runner == "cargo nextest" => {
            cx.cases_from(ingest::junit::parse(&text), "JUnit report of cargo-nextest")
        }
        _ => ingest::libtest::parse(&output),
    };
    for c in &mut cases {
        c.file = c.file.as_deref().and_then(|f| cx.map_path(f));
        c.message = cx.tidy(&c.message);
        c.detail = cx.tidy(&c.detail);
    }
    super::locate(cx, &mut cases, ".rs");
    suite.counts = Counts::of(&cases);
    suite.cases = cases;
    if llvm_cov {
        match cx.scratch.read(&lcov) {
            Some(text) => cx.add_coverage(&text, "cargo llvm-cov"),
            None => cx.note("cargo llvm-cov wrote no coverage report"),
        }
    } else {
        cx.note("Rust coverage not measured: cargo-llvm-cov is not installed (cargo install cargo-llvm-cov)");
    }
    suite
}
