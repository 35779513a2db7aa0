//! Go: `go test -json -coverprofile ./...`, offline (module proxy off) unless `--setup`
//! downloaded the modules.

use super::exec;
use super::model::{Counts, SuiteRun};
use super::{RunContext, ingest, tail_lines};

pub fn applies(cx: &RunContext<'_>) -> bool {
    cx.inventory.file("go.mod").is_some()
}

pub fn run(cx: &RunContext<'_>) -> SuiteRun {
    let mut suite = SuiteRun::new("Go", "go test");
    let Some(go) = exec::which("go") else {
        suite.not_run = Some("the Go toolchain (go) is not on PATH".into());
        return suite;
    };
    let root = cx.scratch.root();
    let cache = root.join("gocache");
    let mut env: Vec<(&str, std::path::PathBuf)> = vec![("GOCACHE", cache)];
    suite.environment =
        "the installed Go toolchain, offline (GOPROXY=off), modules from the local module cache"
            .into();
    if cx.setup {
        let modcache = root.join("gomodcache");
        let mut download = cx
            .job(&go)
            .args(["mod", "download"])
            .env("GOMODCACHE", &modcache)
            .env("GOCACHE", root.join("gocache"));
        download.network = true;
        if !cx.setup_step(&mut suite, download) {
            return suite;
        }
        suite.environment =
            "the installed Go toolchain, modules downloaded by `go mod download` (--setup)".into();
        env.push(("GOMODCACHE", modcache));
    }
    let profile = cx.out_for("go").join("cover.out");
    let mut job = cx
        .job(&go)
        .args(["test", "-json"])
        .arg(format!("-coverprofile={}", profile.display()))
        .arg("./...")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local");
    for (k, v) in env {
        job = job.env(k, v);
    }
    // Results are parsed from standard output: keep much more of it.
    job.keep_stdout = 64 * 1024 * 1024;
    let Some(ran) = cx.test_step(&mut suite, job) else {
        return suite;
    };
    // test2json events are on stdout; what went wrong outside a test is on stderr.
    suite.output_tail = cx.tidy(&tail_lines(&ran.stderr, 20));
    let mut cases = cx.cases_from(ingest::gotest::parse(&ran.stdout), "`go test -json` output");
    for c in &mut cases {
        c.file = c.file.as_deref().and_then(|f| cx.map_path(f));
        c.message = cx.tidy(&c.message);
        c.detail = cx.tidy(&c.detail);
    }
    super::locate(cx, &mut cases, ".go");
    suite.counts = Counts::of(&cases);
    suite.cases = cases;
    match cx.scratch.read(&profile) {
        Some(text) => cx.add_coverage(&text, "go test -coverprofile"),
        None if !ran.timed_out => cx.note("go test wrote no coverage profile"),
        None => {}
    }
    suite
}
