//! The generated documentation stays in step with the registry.

use std::fs;

use crate::support::{run, stdout};

#[test]
fn docs_checks_md_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md");
    let expected = greenlight::checks::reference_doc();
    if std::env::var_os("GREENLIGHT_UPDATE_DOCS").is_some() {
        fs::write(&path, &expected).unwrap();
    }
    let actual = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/checks.md is stale: run `GREENLIGHT_UPDATE_DOCS=1 cargo test docs_checks_md_is_current`"
    );
}

#[test]
fn checks_markdown_prints_the_reference() {
    let out = run(&["checks", "--markdown"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), greenlight::checks::reference_doc());
}
