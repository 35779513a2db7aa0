//! The dynamic phase end to end: `greenlight audit --run-tests` on fixture projects
//! under `tests/fixtures/run/`, in the bubblewrap sandbox, with pytest and pytest-cov.
//! These tests need bubblewrap, python3, pytest and pytest-cov (`.ci/run` installs
//! them); without them they fail, unless GREENLIGHT_SKIP_RUN_TESTS=1 says to skip.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{audit_json, fixtures};

/// Whether the machine can run these tests; panics with what to install otherwise.
pub(crate) fn ready() -> bool {
    let bwrap = std::process::Command::new("bwrap")
        .args([
            "--unshare-all",
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "true",
        ])
        .status()
        .is_ok_and(|s| s.success());
    let pytest = std::process::Command::new("python3")
        .args(["-c", "import pytest, pytest_cov"])
        .status()
        .is_ok_and(|s| s.success());
    if bwrap && pytest {
        return true;
    }
    if std::env::var_os("GREENLIGHT_SKIP_RUN_TESTS").is_some() {
        eprintln!("skipped: bubblewrap or pytest/pytest-cov missing (GREENLIGHT_SKIP_RUN_TESTS)");
        return false;
    }
    panic!(
        "these tests need bubblewrap (apt install bubblewrap), python3 with pytest and pytest-cov (pip install pytest pytest-cov); set GREENLIGHT_SKIP_RUN_TESTS=1 to skip them"
    );
}

/// A copy of a run fixture in a fresh directory, so the test can check that the
/// original checkout is left untouched.
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("run").join(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    crate::support::copy_tree(from, to);
}

/// Every path under `root`, relative, sorted.
fn listing(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().to_path_buf());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `greenlight audit DIR --out review.json EXTRA…`, which must succeed; its JSON.
fn audit_ok(dir: &Path, extra: &[&str]) -> Value {
    let (json, out) = audit_json(dir, extra);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json
}

fn run_of(json: &Value) -> &Value {
    &json["tests"]["run"]
}

fn check<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

fn findings_of<'a>(json: &'a Value, id: &str) -> Vec<&'a Value> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == id)
        .collect()
}

fn locations(v: &Value) -> Vec<String> {
    v["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| Some(format!("{}:{}", e["path"].as_str()?, e["line"])))
        .collect()
}

#[test]
fn a_passing_suite_reports_coverage_exactly_as_coverage_py() {
    if !ready() {
        return;
    }
    let dir = copy_fixture("py-pass");
    let before = listing(dir.path());
    let json = audit_ok(dir.path(), &["--run-tests"]);
    let run = run_of(&json);
    assert_eq!(run["counts"]["collected"], 4);
    assert_eq!(run["counts"]["passed"], 4);
    let suite = &run["suites"][0];
    assert_eq!(suite["runner"], "pytest");
    assert!(
        suite["steps"][0]["command"]
            .as_str()
            .unwrap()
            .contains("-m pytest")
    );
    // The figures coverage.py itself reports for these files.
    let files = run["coverage"]["files"].as_array().unwrap();
    let file = |p: &str| files.iter().find(|f| f["path"] == p).unwrap();
    assert_eq!(file("ledger/accounts.py")["statements"], 28);
    assert_eq!(file("ledger/accounts.py")["covered"], 17);
    assert_eq!(file("ledger/accounts.py")["percent"], 60.714285714285715);
    assert_eq!(file("ledger/report.py")["percent"], 50.0);
    assert_eq!(run["overall"]["covered"], 21);
    assert_eq!(run["overall"]["statements"], 36);
    // The critical module (from greenlight.toml) with its uncovered functions.
    let modules = run["modules"].as_array().unwrap();
    let accounts = modules
        .iter()
        .find(|m| m["path"] == "ledger/accounts.py")
        .unwrap();
    assert_eq!(accounts["critical"], "named critical in the policy");
    let uncovered: Vec<(&str, u64, u64)> = accounts["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap(),
                u["line"].as_u64().unwrap(),
                u["end_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        uncovered,
        vec![
            ("transfer", 26, 32),
            ("close", 35, 39),
            ("Account.withdraw", 19, 23)
        ]
    );
    let suggested: Vec<&str> = accounts["suggested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        suggested.contains(&"test_transfer_success"),
        "{suggested:?}"
    );
    assert!(suggested.contains(&"test_transfer_handles_insufficient_funds"));
    assert!(suggested.contains(&"test_close_raises_value_error"));
    assert_eq!(accounts["test_file"], "tests/test_accounts.py");
    // Criteria use the measured values.
    let criteria = json["criteria"].as_array().unwrap();
    let crit = |id: &str| criteria.iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(crit("global-coverage")["met"], false);
    assert_eq!(
        crit("global-coverage")["actual"],
        "58.3% (21 of 36 statements)"
    );
    assert_eq!(crit("critical-coverage")["met"], false);
    assert_eq!(check(&json, "tests.run")["status"], "pass");
    assert_eq!(check(&json, "tests.coverage")["status"], "partial");
    let critical = findings_of(&json, "tests.critical-coverage");
    assert_eq!(critical.len(), 1);
    assert!(locations(critical[0]).contains(&"ledger/accounts.py:26".to_string()));
    // Nothing was written into the checkout: no bytecode, no .coverage, no cache.
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn blockers_are_classified_once_per_root_cause() {
    if !ready() {
        return;
    }
    let dir = copy_fixture("py-blocked");
    let json = audit_ok(dir.path(), &["--run-tests"]);
    let blockers = run_of(&json)["blockers"].as_array().unwrap();
    let find = |kind: &str| {
        blockers
            .iter()
            .find(|b| b["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} blocker in {blockers:#?}"))
    };
    let internal = find("missing-internal-module");
    assert_eq!(internal["subject"], "shop.checkout");
    assert_eq!(
        internal["tests"],
        serde_json::json!(["tests/test_checkout.py", "tests/test_receipts.py"])
    );
    let absent = internal["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["absent"].as_str())
        .unwrap();
    assert!(absent.contains("shop/checkout.py"), "{absent}");
    let declared = find("missing-declared-package");
    assert_eq!(declared["subject"], "humanize");
    let at = locations(declared);
    assert!(at.contains(&"shop/pretty.py:3".to_string()), "{at:?}");
    assert!(at.contains(&"pyproject.toml:4".to_string()), "{at:?}");
    let undeclared = find("missing-undeclared-package");
    assert_eq!(undeclared["subject"], "stripe");
    assert!(locations(undeclared).contains(&"tests/test_payments.py:1".to_string()));
    let fixture = find("fixture-error");
    assert_eq!(fixture["subject"], "database");
    assert!(locations(fixture).contains(&"tests/test_db.py:1".to_string()));
    let signature = find("signature-mismatch");
    assert_eq!(signature["subject"], "total");
    let at = locations(signature);
    assert!(at.contains(&"tests/test_cart.py:9".to_string()), "{at:?}");
    assert!(at.contains(&"shop/cart.py:4".to_string()), "{at:?}");
    let syntax = find("syntax-error");
    assert_eq!(syntax["subject"], "tests/test_broken.py");
    assert_eq!(
        locations(syntax),
        vec!["tests/test_broken.py:2".to_string()]
    );
    assert_eq!(blockers.len(), 6, "{blockers:#?}");
    // One root cause, one finding: the static predictions the run confirmed are not
    // repeated by the static checks, and the syntax error the static analysis reports
    // is not repeated by the run.
    let repeated: Vec<&Value> = ["tests.import-errors", "tests.signature-mismatch"]
        .iter()
        .flat_map(|id| findings_of(&json, id))
        .collect();
    assert!(repeated.is_empty(), "{repeated:#?}");
    assert_eq!(findings_of(&json, "code-quality.syntax-errors").len(), 1);
    assert_eq!(findings_of(&json, "tests.run").len(), 5);
    assert_eq!(check(&json, "tests.run")["status"], "fail");
}

#[test]
fn a_hanging_test_is_killed_at_the_time_limit_and_named() {
    if !ready() {
        return;
    }
    let dir = copy_fixture("py-timeout");
    let start = Instant::now();
    let json = audit_ok(dir.path(), &["--run-tests", "--test-timeout", "4s"]);
    assert!(start.elapsed() < Duration::from_secs(60));
    let run = run_of(&json);
    assert_eq!(run["suites"][0]["steps"][0]["timed_out"], true);
    let blocker = &run["blockers"][0];
    assert_eq!(blocker["kind"], "timeout");
    assert_eq!(blocker["subject"], "tests/test_loop.py::test_waits_forever");
    assert_eq!(locations(blocker), vec!["tests/test_loop.py:5".to_string()]);
    // What finished before the hang is still reported.
    assert_eq!(run["counts"]["passed"], 1);
}

/// Prepares the sandbox fixture: the port of a listening socket and the directory the
/// test will try to write into (the checkout itself unless given).
fn sandbox_fixture(origin: Option<&Path>) -> (tempfile::TempDir, std::net::TcpListener) {
    let dir = copy_fixture("py-sandbox");
    let origin = origin.unwrap_or(dir.path()).to_path_buf();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    fs::write(dir.path().join("tests/port.txt"), port.to_string()).unwrap();
    fs::write(
        dir.path().join("tests/origin.txt"),
        origin.display().to_string(),
    )
    .unwrap();
    (dir, listener)
}

fn case_status<'a>(json: &'a Value, name: &str) -> &'a str {
    run_of(json)["suites"][0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["status"].as_str())
        .unwrap_or_else(|| panic!("no case {name}"))
}

#[test]
fn the_sandbox_has_no_network_and_cannot_write_outside_its_copy() {
    if !ready() {
        return;
    }
    let (dir, _listener) = sandbox_fixture(None);
    let before = listing(dir.path());
    let json = audit_ok(dir.path(), &["--run-tests"]);
    assert!(
        run_of(&json)["isolation"]
            .as_str()
            .unwrap()
            .starts_with("bubblewrap")
    );
    assert_eq!(
        case_status(&json, "test_connects_to_a_local_server"),
        "failed"
    );
    assert_eq!(
        case_status(&json, "test_writes_into_the_original_checkout"),
        "failed"
    );
    assert_eq!(case_status(&json, "test_writes_inside_its_copy"), "passed");
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn without_the_sandbox_the_same_tests_reach_out() {
    if !ready() {
        return;
    }
    // The control experiment: the fixture's tests can pass, so their failure under
    // the sandbox is the sandbox's doing.
    let elsewhere = tempfile::tempdir().unwrap();
    let (dir, _listener) = sandbox_fixture(Some(elsewhere.path()));
    let json = audit_ok(dir.path(), &["--run-tests", "--no-sandbox"]);
    assert!(
        run_of(&json)["isolation"]
            .as_str()
            .unwrap()
            .starts_with("none (--no-sandbox)")
    );
    assert_eq!(
        case_status(&json, "test_connects_to_a_local_server"),
        "passed"
    );
    assert_eq!(
        case_status(&json, "test_writes_into_the_original_checkout"),
        "passed"
    );
    assert!(elsewhere.path().join("ESCAPED").is_file());
}

#[test]
fn without_bubblewrap_tests_are_not_run_unless_asked() {
    let dir = copy_fixture("py-pass");
    let out = crate::support::greenlight()
        .args(["audit", dir.path().to_str().unwrap(), "--run-tests"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bubblewrap") && err.contains("--no-sandbox"),
        "{err}"
    );
}

#[test]
fn setup_builds_a_throwaway_environment() {
    if !ready() {
        return;
    }
    if std::env::var_os("GREENLIGHT_SKIP_NETWORK_TESTS").is_some() {
        return;
    }
    let dir = copy_fixture("py-pass");
    let before = listing(dir.path());
    let json = audit_ok(dir.path(), &["--run-tests", "--setup"]);
    let suite = &run_of(&json)["suites"][0];
    assert!(
        suite["environment"]
            .as_str()
            .unwrap()
            .starts_with("a throwaway virtual environment"),
        "{suite:#}"
    );
    let steps = suite["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["network"] == true));
    assert_eq!(steps.last().unwrap()["network"], false);
    assert_eq!(run_of(&json)["counts"]["passed"], 4);
    assert_eq!(run_of(&json)["overall"]["covered"], 21);
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn a_rust_crate_reports_its_failing_test_at_its_definition() {
    if !ready() {
        return;
    }
    let dir = copy_fixture("rs-fail");
    let before = listing(dir.path());
    let json = audit_ok(dir.path(), &["--run-tests"]);
    let run = run_of(&json);
    assert_eq!(run["suites"][0]["language"], "Rust");
    assert_eq!(run["counts"]["collected"], 2);
    assert_eq!(run["counts"]["passed"], 1);
    assert_eq!(run["counts"]["failed"], 1);
    let failing = findings_of(&json, "tests.run");
    assert_eq!(failing.len(), 1);
    // The test's `fn` line (nextest), or the line that panicked (cargo test).
    let at = locations(failing[0]);
    assert!(at == ["src/lib.rs:21"] || at == ["src/lib.rs:22"], "{at:?}");
    // Coverage needs cargo-llvm-cov; without it the report says so and stays unknown.
    if run["coverage"].is_null() {
        assert_eq!(check(&json, "tests.coverage")["status"], "unknown");
    }
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn a_rust_crate_whose_dependencies_are_not_cached_asks_for_setup() {
    if !ready() {
        return;
    }
    // The fixture's dev-dependency exists in no cache, and the sandbox has no network.
    let dir = copy_fixture("rs-offline");
    let json = audit_ok(dir.path(), &["--run-tests"]);
    let blockers = run_of(&json)["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1, "{blockers:#?}");
    let missing = &blockers[0];
    assert_eq!(missing["kind"], "missing-declared-package");
    assert_eq!(
        missing["subject"],
        "greenlight-fixture-crate-that-is-never-cached"
    );
    assert!(missing["message"].as_str().unwrap().contains("--setup"));
    assert_eq!(locations(missing), vec!["Cargo.toml:7".to_string()]);
    // What the environment lacks leaves the suite's own state unknown.
    assert_eq!(check(&json, "tests.run")["status"], "unknown");
}

#[test]
fn node_test_runs_with_results_and_coverage() {
    if !ready() {
        return;
    }
    let dir = copy_fixture("js-node");
    let json = audit_ok(dir.path(), &["--run-tests"]);
    let run = run_of(&json);
    assert_eq!(run["suites"][0]["runner"], "node --test");
    assert_eq!(run["counts"]["passed"], 1);
    assert_eq!(run["counts"]["failed"], 1);
    let failing = findings_of(&json, "tests.run");
    assert_eq!(failing.len(), 1);
    assert!(
        failing[0]["title"]
            .as_str()
            .unwrap()
            .contains("test/tally.test.js")
    );
    let index = run["coverage"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "index.js")
        .unwrap();
    assert_eq!(index["missing"], serde_json::json!([7, 8]));
    let module = &run["modules"][0];
    assert_eq!(module["uncovered"][0]["name"], "mean");
}

#[test]
fn a_go_module_reports_results_coverage_and_the_uncovered_function() {
    if !ready() {
        return;
    }
    let go = std::process::Command::new("go")
        .arg("version")
        .status()
        .is_ok_and(|s| s.success());
    if !go {
        assert!(
            std::env::var_os("GREENLIGHT_SKIP_RUN_TESTS").is_some(),
            "this test needs the Go toolchain (apt install golang-go)"
        );
        return;
    }
    let dir = copy_fixture("go-calc");
    let before = listing(dir.path());
    let json = audit_ok(dir.path(), &["--run-tests"]);
    let run = run_of(&json);
    assert_eq!(run["suites"][0]["runner"], "go test");
    assert_eq!(run["counts"]["passed"], 1);
    assert_eq!(run["counts"]["failed"], 1);
    let failing = findings_of(&json, "tests.run");
    assert_eq!(failing.len(), 1);
    assert!(
        locations(failing[0]).contains(&"calc_test.go:13".to_string()),
        "{:?}",
        locations(failing[0])
    );
    let calc = run["coverage"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "calc.go")
        .unwrap();
    assert_eq!(calc["statements"], 5);
    assert_eq!(calc["covered"], 2);
    let module = &run["modules"][0];
    assert_eq!(module["uncovered"][0]["name"], "Div");
    let suggested: Vec<&str> = module["suggested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(suggested, ["TestDiv_Success", "TestDiv_ReturnsError"]);
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn a_report_that_does_not_exist_is_a_usage_error() {
    let dir = copy_fixture("py-pass");
    let out = crate::support::greenlight()
        .args([
            "audit",
            dir.path().to_str().unwrap(),
            "--coverage",
            "/nonexistent/coverage.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/coverage.json"), "{err}");
}

#[test]
fn asked_to_run_with_nothing_to_run_says_so() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.py"), "def main():\n    return 1\n").unwrap();
    let json = audit_ok(dir.path(), &["--run-tests"]);
    let run = check(&json, "tests.run");
    assert_eq!(run["status"], "unknown");
    assert!(
        run["summary"]
            .as_str()
            .unwrap()
            .starts_with("the tests were not run: no test suite found"),
        "{run}"
    );
}

#[test]
fn a_conftest_that_cannot_load_blocks_every_test_and_coverage_is_not_claimed() {
    if !ready() {
        return;
    }
    let dir = copy_fixture("py-conftest");
    let json = audit_ok(dir.path(), &["--run-tests"]);
    let run = run_of(&json);
    let blockers = run["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1, "{blockers:#?}");
    assert_eq!(blockers[0]["kind"], "missing-declared-package");
    assert_eq!(blockers[0]["subject"], "pytest-greenlight-fixture-plugin");
    assert_eq!(
        blockers[0]["tests"],
        serde_json::json!(["tests/conftest.py"])
    );
    assert_eq!(
        locations(&blockers[0]),
        vec!["tests/conftest.py:1", "pyproject.toml:7"]
    );
    // Only the import of the code ran: no coverage figure is claimed.
    assert!(run["coverage"].is_null());
    assert_eq!(check(&json, "tests.coverage")["status"], "unknown");
    assert_eq!(check(&json, "tests.run")["status"], "unknown");
}

/// Variables that name toolchain directories (rustup and pyenv set some for the
/// processes they start): unset, the toolchains are looked for under HOME.
const TOOLCHAIN_VARS: &[&str] = &[
    "ASDF_DATA_DIR",
    "BUN_INSTALL",
    "CARGO_HOME",
    "DENO_INSTALL",
    "GOMODCACHE",
    "GOPATH",
    "NVM_DIR",
    "PIPX_HOME",
    "PYENV_ROOT",
    "RUSTUP_HOME",
    "VOLTA_HOME",
];

/// `greenlight audit DIR --run-tests --out review.json` with HOME at `home` and the
/// toolchains looked for there; its JSON, once it succeeded.
fn audit_with_home(dir: &Path, home: &Path) -> Value {
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("review.json");
    let mut cmd = crate::support::greenlight();
    cmd.args(["audit", dir.to_str().unwrap(), "--quiet", "--run-tests"])
        .arg("--out")
        .arg(&json)
        .env("HOME", home);
    for k in TOOLCHAIN_VARS {
        cmd.env_remove(k);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&fs::read_to_string(json).unwrap()).unwrap()
}

fn go_installed() -> bool {
    let go = std::process::Command::new("go")
        .arg("version")
        .status()
        .is_ok_and(|s| s.success());
    if !go {
        assert!(
            std::env::var_os("GREENLIGHT_SKIP_RUN_TESTS").is_some(),
            "this test needs the Go toolchain (apt install golang-go)"
        );
    }
    go
}

#[test]
fn the_sandbox_shows_toolchains_but_no_credentials_of_the_home_or_the_host() {
    if !ready() || !go_installed() {
        return;
    }
    // A home outside /tmp (which the sandbox replaces anyway), holding a credential of
    // every kind with a canary in it, and toolchain files that must stay readable.
    let home = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let h = home.path();
    let secrets = [
        ".cargo/credentials.toml",
        ".cargo/credentials",
        ".cargo/config.toml",
        ".local/share/uv/credentials/credentials.toml",
        ".pypirc",
        ".npmrc",
        ".netrc",
        ".git-credentials",
        ".docker/config.json",
        ".config/pypoetry/auth.toml",
        ".local/share/python_keyring/keyring_pass.cfg",
        ".config/gh/hosts.yml",
        ".aws/credentials",
        ".config/gcloud/credentials.db",
        ".azure/msal_token_cache.json",
        ".kube/config",
        ".ssh/id_ed25519",
        ".pyenv/versions/3.99/pip.conf",
        ".nvm/versions/node/v99/etc/npmrc",
    ];
    let visible = [
        ".cargo/bin/tool",
        ".cargo/registry/index/entry",
        ".rustup/settings.toml",
        ".rustup/toolchains/stable/bin/rustc",
        ".pyenv/versions/3.99/bin/python",
        ".local/share/uv/python/cpython/bin/python",
        ".nvm/versions/node/v99/bin/node",
        "go/pkg/mod/cache/entry",
    ];
    for (i, p) in secrets.iter().chain(&visible).enumerate() {
        let file = h.join(p);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, format!("CANARY-{i}-b7e1\n")).unwrap();
    }
    let lines = |paths: &mut dyn Iterator<Item = String>| paths.collect::<Vec<_>>().join("\n");
    let dir = copy_fixture("go-secrets");
    let host = [
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/sudoers",
        "/etc/ssh/ssh_host_ed25519_key",
    ];
    fs::write(
        dir.path().join("secrets.txt"),
        lines(
            &mut secrets
                .iter()
                .map(|p| h.join(p).display().to_string())
                .chain(host.iter().map(|p| p.to_string())),
        ),
    )
    .unwrap();
    fs::write(
        dir.path().join("visible.txt"),
        lines(&mut visible.iter().map(|p| h.join(p).display().to_string())),
    )
    .unwrap();
    // Other users' homes, unless the test's home is inside one.
    fs::write(
        dir.path().join("empty.txt"),
        lines(
            &mut ["/root", "/home"]
                .iter()
                .filter(|d| !h.starts_with(d))
                .map(|d| d.to_string()),
        ),
    )
    .unwrap();
    let json = audit_with_home(dir.path(), h);
    let run = run_of(&json);
    for name in [
        "TestCredentialsAreOutOfReach",
        "TestToolchainsAreInReach",
        "TestOtherHomesLookEmpty",
    ] {
        assert_eq!(case_status(&json, name), "passed", "{:#}", run["suites"][0]);
    }
    assert!(!json.to_string().contains("b7e1"));
}

#[test]
fn a_report_behind_a_link_out_of_the_scratch_directory_is_not_read() {
    if !ready() {
        return;
    }
    // A report where the test points the runner's output directory: on the host,
    // outside the scratch directory.
    let elsewhere = tempfile::tempdir().unwrap();
    fs::create_dir_all(elsewhere.path().join("python")).unwrap();
    fs::write(
        elsewhere.path().join("python/junit.xml"),
        r#"<testsuite><testcase classname="tests.test_links" name="test_canary_read_through_a_link" file="tests/test_links.py" line="1"/></testsuite>"#,
    )
    .unwrap();
    let dir = copy_fixture("py-links");
    fs::write(
        dir.path().join("tests/target.txt"),
        elsewhere.path().display().to_string(),
    )
    .unwrap();
    let json = audit_ok(dir.path(), &["--run-tests"]);
    assert!(!json.to_string().contains("canary"), "{:#}", run_of(&json));
    assert_eq!(
        case_status(&json, "test_swaps_the_report_directory_for_a_link"),
        "passed"
    );
}

#[test]
fn a_test_starting_processes_without_end_is_stopped_and_the_audit_completes() {
    if !ready() {
        return;
    }
    let dir = copy_fixture("py-forks");
    let start = Instant::now();
    let json = audit_ok(dir.path(), &["--run-tests", "--test-timeout", "60s"]);
    // Stopped at the process limit, well before the time limit.
    assert!(
        start.elapsed() < Duration::from_secs(45),
        "{:?}",
        start.elapsed()
    );
    let run = run_of(&json);
    assert_eq!(run["suites"][0]["steps"][0]["timed_out"], false);
    let notes = run["notes"].to_string();
    assert!(
        notes.contains("started more than 1024 processes"),
        "{notes}"
    );
}

#[test]
fn an_interrupted_audit_removes_its_scratch_copy_and_stops_the_tests() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_fixture("py-sleep");
    let out = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_greenlight"))
        .args([
            "audit",
            dir.path().to_str().unwrap(),
            "--quiet",
            "--run-tests",
        ])
        .arg("--out")
        .arg(out.path().join("review.json"))
        .env("TMPDIR", tmp.path())
        .env("GREENLIGHT_CACHE_DIR", "/nonexistent/greenlight-test-cache")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The processes of the run name the scratch directory, under the private TMPDIR.
    let running = || -> Vec<String> {
        let marker = tmp.path().display().to_string();
        fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| fs::read(e.path().join("cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .filter(|c| c.contains(&marker))
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let pytest = loop {
        let found = fs::read_dir("/proc").unwrap().flatten().find(|e| {
            let comm = fs::read_to_string(e.path().join("comm")).unwrap_or_default();
            let cmdline = fs::read(e.path().join("cmdline")).unwrap_or_default();
            comm.starts_with("python")
                && String::from_utf8_lossy(&cmdline).contains(&*tmp.path().to_string_lossy())
        });
        if let Some(e) = found {
            break e.path();
        }
        assert!(Instant::now() < deadline, "the tests never started");
        std::thread::sleep(Duration::from_millis(100));
    };
    // The tests run with no signal blocked: greenlight's handling of interrupts is its own.
    let status = fs::read_to_string(pytest.join("status")).unwrap();
    assert!(
        status.lines().any(|l| l == "SigBlk:\t0000000000000000"),
        "{status}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("greenlight did not end on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(143));
    let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "{left:?}");
    // The sandbox goes with it (its processes die with their parent, asynchronously).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !running().is_empty() {
        assert!(Instant::now() < deadline, "{:?}", running());
        std::thread::sleep(Duration::from_millis(100));
    }
}
