//! Repositories of several projects: discovery, imports resolved within their own
//! project, per-project kinds and verdicts, findings attributed to their project, the
//! repository verdict rule and the policy's `[[project]]` entries.

use std::fs;
use std::path::PathBuf;

use greenlight::analyze::projects::Role;
use greenlight::model::{Finding, ProjectKind, Severity};
use greenlight::review::{ProjectReview, Review, Verdict};

use crate::support::{audit, fixtures, run, stdout};

fn repo(name: &str) -> PathBuf {
    fixtures().join("repos").join(name)
}

fn project<'a>(r: &'a Review, path: &str) -> &'a ProjectReview {
    r.projects
        .iter()
        .find(|p| p.path == path)
        .unwrap_or_else(|| panic!("no project {path}: {:?}", paths(r)))
}

fn paths(r: &Review) -> Vec<&str> {
    r.projects.iter().map(|p| p.path.as_str()).collect()
}

fn concerns<'a>(r: &'a Review, check: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
    r.findings
        .iter()
        .filter(move |f| f.is_concern() && f.check == check)
}

fn places(f: &Finding) -> Vec<(String, u32)> {
    f.evidence
        .iter()
        .filter_map(|e| e.location().map(|l| (l.path.clone(), l.line)))
        .collect()
}

#[test]
fn two_services_that_both_name_their_package_app_resolve_imports_in_their_own_project() {
    let r = audit(&repo("monorepo-python-services"));
    assert_eq!(paths(&r), ["api", "worker"]);
    assert_eq!(project(&r, "api").kind, ProjectKind::Service);
    assert_eq!(project(&r, "api").languages, ["Python"]);
    assert_eq!(project(&r, "worker").name, "acme-worker");
    // A Celery worker's image runs without a port: a service all the same.
    assert_eq!(project(&r, "worker").kind, ProjectKind::Service);
    // `app.jobs.cleanup` exists only in the worker: missing in the API, at its line.
    let missing: Vec<&Finding> = concerns(&r, "code-quality.unresolved-imports").collect();
    assert_eq!(missing.len(), 1, "{missing:#?}");
    let f = missing[0];
    assert_eq!(f.severity, Some(Severity::P0));
    assert_eq!(f.project.as_deref(), Some("api"));
    assert!(f.title.contains("app.jobs.cleanup"), "{}", f.title);
    assert_eq!(places(f), [("api/app/main.py".to_string(), 5)]);
    // The API's own `app.routes.items` and `app.settings`, and the worker's
    // `app.jobs.cleanup`, resolve: nothing else is reported, and neither service's
    // package is taken for a third-party one.
    assert!(
        concerns(&r, "code-quality.undeclared-dependencies").all(|f| !f.title.contains("`app`")),
        "{:#?}",
        concerns(&r, "code-quality.undeclared-dependencies").collect::<Vec<_>>()
    );
    // The worker's logging is the worker's: the API's own review says it has none.
    let logging: Vec<&Finding> = concerns(&r, "observability.logging").collect();
    assert_eq!(logging.len(), 1, "{logging:#?}");
    assert_eq!(logging[0].project.as_deref(), Some("api"));
    // CI runs the API's tests (`working-directory: api`), not the worker's.
    let not_in_ci: Vec<&Finding> = concerns(&r, "ci.tests").collect();
    assert_eq!(not_in_ci.len(), 1, "{not_in_ci:#?}");
    assert_eq!(not_in_ci[0].project.as_deref(), Some("worker"));
    // The verdict names the project that decided it.
    assert!(
        r.verdict_rule.contains("project `api`"),
        "{}",
        r.verdict_rule
    );
    assert_eq!(r.verdict, project(&r, "api").verdict);
}

#[test]
fn a_workspace_of_packages_is_reviewed_package_by_package() {
    let r = audit(&repo("monorepo-js-workspace"));
    assert_eq!(
        paths(&r),
        [
            ".",
            "docs",
            "packages/logger",
            "packages/server",
            "packages/web"
        ]
    );
    let root = project(&r, ".");
    assert_eq!(root.role, Role::Tooling);
    assert!(!root.decides);
    let docs = project(&r, "docs");
    assert_eq!(docs.role, Role::Docs);
    assert!(!docs.decides);
    let server = project(&r, "packages/server");
    assert_eq!(server.name, "@acme/server");
    assert_eq!(server.kind, ProjectKind::Service);
    assert!(server.decides);
    // The server logs through the workspace's own `@acme/logger` (pino): logging.
    assert!(
        concerns(&r, "observability.logging").next().is_none(),
        "{:#?}",
        concerns(&r, "observability.logging").collect::<Vec<_>>()
    );
    // Only the deployed server decides: the libraries it is built from decide through
    // it, and the docs site and the workspace root not at all.
    let deciding: Vec<&str> = r
        .projects
        .iter()
        .filter(|p| p.decides)
        .map(|p| p.path.as_str())
        .collect();
    assert_eq!(deciding, ["packages/server"]);
    assert_eq!(project(&r, "packages/logger").kind, ProjectKind::Library);
    // With no test at all, "tests are not run in CI" says nothing `tests.suite` does
    // not (the worker in `monorepo-python-services` is the case where it must fire).
    assert!(
        concerns(&r, "ci.tests").next().is_none(),
        "{:#?}",
        concerns(&r, "ci.tests").collect::<Vec<_>>()
    );
    // The server has no tests: its finding, and the verdict names it.
    let no_tests: Vec<&Finding> = concerns(&r, "tests.suite").collect();
    assert_eq!(no_tests.len(), 1, "{no_tests:#?}");
    assert_eq!(no_tests[0].project.as_deref(), Some("packages/server"));
    assert!(
        r.verdict_rule.contains("project `packages/server`"),
        "{}",
        r.verdict_rule
    );
}

#[test]
fn a_go_module_beside_a_python_service_is_its_own_project() {
    let r = audit(&repo("monorepo-go-python"));
    assert_eq!(paths(&r), ["billing", "gateway"]);
    let billing = project(&r, "billing");
    assert_eq!(billing.kind, ProjectKind::Cli);
    assert_eq!(billing.languages, ["Python"]);
    let gateway = project(&r, "gateway");
    assert_eq!(gateway.languages, ["Go"]);
    assert!(gateway.kind.is_service(), "{:?}", gateway.kind);
    assert_eq!(gateway.markers, ["gateway/go.mod"]);
    // Billing has no tests; the gateway has one: the absence is billing's alone.
    let no_tests: Vec<&Finding> = concerns(&r, "tests.suite").collect();
    assert_eq!(no_tests.len(), 1, "{no_tests:#?}");
    assert_eq!(no_tests[0].project.as_deref(), Some("billing"));
    assert!(no_tests[0].title.starts_with("billing: "));
    // Every finding with a place belongs to the project holding that place.
    for f in &r.findings {
        if let Some((path, _)) = places(f).first() {
            let expected = if path.starts_with("billing/") {
                Some("billing")
            } else if path.starts_with("gateway/") {
                Some("gateway")
            } else {
                None
            };
            assert_eq!(f.project.as_deref(), expected, "{f:#?}");
        }
    }
}

#[test]
fn a_single_project_repository_is_one_project_at_the_root() {
    let r = audit(&repo("python-cli-poor"));
    assert_eq!(paths(&r), ["."]);
    let p = project(&r, ".");
    assert_eq!(p.verdict, r.verdict);
    assert_eq!(p.kind, r.project_kind);
    assert!(p.decides);
    // Every finding is the root project's.
    assert!(r.findings.iter().all(|f| f.project.as_deref() == Some(".")));
}

#[test]
fn the_policy_names_kinds_and_sets_projects_aside() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    fs::write(
        &policy,
        "[[project]]\npath = \"packages/web\"\nkind = \"service\"\nname = \"storefront\"\n\n\
         [[project]]\npath = \"packages/logger\"\nignore = true\n\n\
         [[project]]\npath = \"docs\"\ncritical = true\n",
    )
    .unwrap();
    let options = greenlight::AuditOptions {
        policy: Some(policy.clone()),
        ..Default::default()
    };
    let r = greenlight::audit(&repo("monorepo-js-workspace"), &options).unwrap();
    let web = project(&r, "packages/web");
    assert_eq!(web.kind, ProjectKind::Service);
    assert_eq!(web.kind_source, "policy");
    assert_eq!(web.name, "storefront");
    assert!(!project(&r, "packages/logger").decides);
    assert!(project(&r, "docs").decides);
    assert!(project(&r, "docs").critical);
    assert_eq!(r.policy_effect.ignored_projects, ["packages/logger"]);
    assert_eq!(r.policy_effect.project_kinds, ["packages/web = service"]);

    // A path out of the repository is refused with one sentence.
    fs::write(&policy, "[[project]]\npath = \"../elsewhere\"\n").unwrap();
    let out = run(&[
        "audit",
        repo("monorepo-js-workspace").to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("must be a directory inside the repository"),
        "{err}"
    );
}

#[test]
fn reports_list_the_projects() {
    let root = repo("monorepo-python-services");
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("review.md");
    let json = dir.path().join("review.json");
    let out = run(&[
        "audit",
        root.to_str().unwrap(),
        "--out",
        md.to_str().unwrap(),
        "--out",
        json.to_str().unwrap(),
    ]);
    let terminal = stdout(&out);
    assert!(terminal.contains("Projects (2):"), "{terminal}");
    assert!(
        terminal
            .lines()
            .any(|l| l.starts_with("  api ") && l.contains("service") && l.contains("NOT READY")),
        "{terminal}"
    );
    let md = fs::read_to_string(md).unwrap();
    assert!(md.contains("## Projects"), "{md}");
    assert!(
        md.contains("| `api` | service | Python | 20 |"),
        "{}",
        md.lines()
            .filter(|l| l.contains("`api`"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(json).unwrap()).unwrap();
    let projects = v["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 2);
    assert_eq!(projects[0]["path"], "api");
    assert_eq!(projects[0]["kind"], "service");
    assert_eq!(projects[0]["languages"][0], "Python");
    assert!(projects[0]["verdict"].is_string());
    assert_eq!(projects[0]["categories"].as_array().unwrap().len(), 10);
    let missing = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "code-quality.unresolved-imports")
        .unwrap();
    assert_eq!(missing["project"], "api");
    // Every finding carries the field, null or a project's path.
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["project"].is_null() || f["project"].is_string())
    );
    assert_eq!(
        v["verdict"],
        serde_json::to_value(Verdict::NotReady).unwrap()
    );
}

#[test]
fn a_front_end_built_on_a_workspace_ui_package_and_a_desktop_app_are_not_network_services() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "package.json",
            r#"{ "name": "acme", "private": true, "workspaces": ["packages/*", "apps/*"] }"#,
        ),
        (
            "packages/ui/package.json",
            r#"{ "name": "@acme/ui", "version": "1.0.0", "dependencies": { "vue": "^3.5.0" } }"#,
        ),
        (
            "packages/ui/src/index.ts",
            "import { createApp } from \"vue\";\n\nexport function mount(el: string) {\n  return createApp({}).mount(el);\n}\n",
        ),
        (
            "apps/web/package.json",
            r#"{ "name": "@acme/web", "private": true, "scripts": { "start": "vite preview" }, "dependencies": { "@acme/ui": "workspace:^" } }"#,
        ),
        (
            "apps/web/src/main.ts",
            "import { mount } from \"@acme/ui\";\n\nmount(\"#app\");\n",
        ),
        (
            "apps/web/Dockerfile",
            "FROM nginx:1.27-alpine\nCOPY dist /usr/share/nginx/html\nEXPOSE 80\n",
        ),
        (
            "apps/desktop/Cargo.toml",
            "[package]\nname = \"acme-desktop\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\ntauri = \"2\"\naxum = \"0.7\"\n",
        ),
        (
            "apps/desktop/src/main.rs",
            "fn main() {\n    let app = axum::Router::new().route(\"/local\", axum::routing::get(|| async { \"ok\" }));\n    let _ = app;\n}\n",
        ),
    ]));
    let r = audit(dir.path());
    let web = project(&r, "apps/web");
    assert!(web.kind.is_service(), "{:?}", web.kind);
    // Server-side logs and health routes are the server's, not the browser app's.
    for check in [
        "observability.health-endpoints",
        "observability.logging",
        "observability.structured-logging",
    ] {
        assert!(
            concerns(&r, check)
                .all(|f| f.project.as_deref() != Some("apps/web") && !f.title.contains("apps/web")),
            "{check}: {:#?}",
            concerns(&r, check).collect::<Vec<_>>()
        );
    }
    // A Tauri application is a program its user runs, not a network service.
    assert_eq!(project(&r, "apps/desktop").kind, ProjectKind::Cli);
}

#[test]
fn a_crate_workspace_with_its_packaging_and_a_path_filtered_workflow() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "Cargo.toml",
            "[package]\nname = \"warden\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"warden\"\npath = \"src/main.rs\"\n\n[workspace]\nmembers = [\"macros\"]\n\n[dependencies]\naxum = \"0.7\"\nwarden-macros = { path = \"macros\" }\n",
        ),
        (
            "src/main.rs",
            "fn main() {\n    let app = axum::Router::new().route(\"/alive\", axum::routing::get(|| async { \"ok\" }));\n    let _ = app;\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn alive() {\n        assert_eq!(1, 1);\n    }\n}\n",
        ),
        (
            "macros/Cargo.toml",
            "[package]\nname = \"warden-macros\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[lib]\nproc-macro = true\n",
        ),
        (
            "macros/src/lib.rs",
            "use proc_macro::TokenStream;\n\n#[proc_macro_derive(Id)]\npub fn id(_: TokenStream) -> TokenStream {\n    TokenStream::new()\n}\n",
        ),
        (
            "docker/Dockerfile",
            "FROM rust:1.80 AS build\nWORKDIR /app\nCOPY . .\nCOPY ./macros ./macros\nRUN cargo build --release\n\nFROM debian:12-slim\nCOPY --from=build /app/target/release/warden /usr/local/bin/\nUSER 1000\nEXPOSE 80\nHEALTHCHECK CMD curl -f http://localhost/alive\nCMD [\"warden\"]\n",
        ),
        (
            "docker/render_template.py",
            "import sys\n\nprint(sys.argv)\n",
        ),
        (
            ".github/workflows/build.yml",
            "name: build\non:\n  push:\n    paths:\n      - \"src/**\"\n      - \"macros/**\"\n      - \"docker/**\"\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test --workspace\n",
        ),
    ]));
    let r = audit(dir.path());
    // docker/ packages the root crate: not a project of its own.
    assert_eq!(paths(&r), [".", "macros"]);
    // The member does not inherit the root's command: a library, deciding nothing.
    let macros = project(&r, "macros");
    assert_eq!(
        macros.kind,
        ProjectKind::Library,
        "{:?}",
        macros.kind_evidence
    );
    assert!(!macros.decides);
    // The root's image is in docker/, and the workflow's paths filter does not keep
    // its test job from the root.
    for check in [
        "deployment.container",
        "ci.tests",
        "observability.health-endpoints",
    ] {
        assert!(
            concerns(&r, check).next().is_none(),
            "{check}: {:#?}",
            concerns(&r, check).collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_workspace_root_image_builds_the_members_it_copies_or_enters() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "package.json",
            r#"{ "name": "acme", "private": true, "workspaces": ["packages/*"] }"#,
        ),
        // A start-up script of the root's image is not an application of its own.
        (
            "aio_run.mjs",
            "import { spawn } from \"node:child_process\";\n\nspawn(\"server\", { stdio: \"inherit\" });\n",
        ),
        (
            "prod.Dockerfile",
            "FROM golang:1.22 AS server\nWORKDIR /src/packages/web/server\nCOPY packages/web/server .\nRUN go build -o /server .\n\nFROM alpine:3.20\nCOPY --from=server /server /usr/local/bin/server\nUSER 1000\nEXPOSE 8080\nCMD [\"server\"]\n",
        ),
        (
            "packages/web/package.json",
            r#"{ "name": "@acme/web", "private": true, "dependencies": { "react": "^18.3.0" } }"#,
        ),
        (
            "packages/web/src/App.jsx",
            "import React from \"react\";\n\nexport const App = () => <h1>acme</h1>;\n",
        ),
        (
            "packages/web/server/go.mod",
            "module example.com/server\n\ngo 1.22\n",
        ),
        (
            "packages/web/server/main.go",
            "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/healthz\", func(w http.ResponseWriter, r *http.Request) {})\n\t_ = http.ListenAndServe(\":8080\", nil)\n}\n",
        ),
    ]));
    let r = audit(dir.path());
    assert_eq!(paths(&r), [".", "packages/web", "packages/web/server"]);
    assert_eq!(project(&r, ".").role, Role::Tooling);
    // The root's prod.Dockerfile enters packages/web/server: its container build.
    assert!(
        concerns(&r, "deployment.container").all(|f| !f.title.contains("packages/web/server")
            && f.project.as_deref() != Some("packages/web/server")),
        "{:#?}",
        concerns(&r, "deployment.container").collect::<Vec<_>>()
    );
}

#[test]
fn kubernetes_manifests_count_for_the_project_whose_image_they_run() {
    let dir = crate::support::materialize(&crate::support::files(&[
        ("api/requirements.txt", "flask==3.0\n"),
        (
            "api/app.py",
            "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get(\"/healthz\")\ndef health():\n    return \"ok\"\n",
        ),
        (
            "worker/pyproject.toml",
            "[project]\nname = \"worker\"\nversion = \"1.0.0\"\n",
        ),
        ("worker/worker/__init__.py", "def run():\n    return 0\n"),
        (
            "k8s/admin.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: admin\nspec:\n  template:\n    spec:\n      containers:\n        - name: admin\n          image: ghcr.io/acme/admin-api:2.0\n",
        ),
        (
            "k8s/api.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:1.4.2\n",
        ),
    ]));
    let r = audit(dir.path());
    assert_eq!(paths(&r), ["api", "worker"]);
    let api = project(&r, "api");
    assert!(
        api.kind_evidence
            .iter()
            .any(|e| e.starts_with("Kubernetes Deployment at k8s/api.yaml")),
        "{:?}",
        api.kind_evidence
    );
    // `admin-api` is another image.
    assert!(
        api.kind_evidence
            .iter()
            .all(|e| !e.contains("k8s/admin.yaml")),
        "{:?}",
        api.kind_evidence
    );
    assert!(
        project(&r, "worker")
            .kind_evidence
            .iter()
            .all(|e| !e.contains("k8s/")),
        "{:?}",
        project(&r, "worker").kind_evidence
    );
}

#[test]
fn an_end_to_end_suite_of_its_own_counts_for_the_services_it_drives() {
    let dir = crate::support::materialize(&crate::support::files(&[
        ("api/requirements.txt", "flask==3.0\n"),
        (
            "api/app.py",
            "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get(\"/healthz\")\ndef health():\n    return \"ok\"\n",
        ),
        (
            "e2e/package.json",
            r#"{ "name": "e2e", "private": true, "devDependencies": { "@playwright/test": "^1.47.0" } }"#,
        ),
        (
            "e2e/playwright.config.ts",
            "export default { testDir: \"tests\" };\n",
        ),
        (
            "e2e/tests/login.spec.ts",
            "import { test, expect } from \"@playwright/test\";\n\ntest(\"logs in\", async ({ page }) => {\n  await page.goto(\"/login\");\n  await expect(page).toHaveTitle(/Login/);\n});\n",
        ),
    ]));
    let r = audit(dir.path());
    assert!(paths(&r).contains(&"api"), "{:?}", paths(&r));
    assert!(
        concerns(&r, "e2e.suite").next().is_none(),
        "{:#?}",
        concerns(&r, "e2e.suite").collect::<Vec<_>>()
    );
}

#[test]
fn a_project_the_policy_sets_aside_decides_nothing() {
    let dir = crate::support::materialize(&crate::support::files(&[
        ("api/requirements.txt", "flask==3.0\n"),
        (
            "api/app.py",
            "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get(\"/healthz\")\ndef health():\n    return \"ok\"\n",
        ),
        ("legacy/requirements.txt", "boto3\n"),
        (
            "legacy/upload.py",
            "import boto3\n\nGITHUB_TOKEN = \"ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d\"\nclient = boto3.client(\"s3\")\n",
        ),
        (
            "greenlight.toml",
            "[[project]]\npath = \"legacy\"\nignore = true\n",
        ),
    ]));
    let r = audit(dir.path());
    let legacy = project(&r, "legacy");
    assert!(legacy.ignored && !legacy.decides);
    // The key is still reported, but the verdict is the API's alone.
    assert!(
        r.findings
            .iter()
            .any(|f| f.check == "security.secrets" && f.project.as_deref() == Some("legacy"))
    );
    assert!(
        !r.verdict_rule.contains("outside the deployed projects"),
        "{}",
        r.verdict_rule
    );
}

#[test]
fn a_workspace_root_with_an_app_of_its_own_is_that_app() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "package.json",
            r#"{ "name": "shop", "private": true, "workspaces": ["packages/*"], "scripts": { "start": "node src/server.js", "test": "jest" }, "dependencies": { "express": "^4.19.0" } }"#,
        ),
        (
            "src/server.js",
            "const express = require(\"express\");\nconst app = express();\napp.get(\"/healthz\", (req, res) => res.send(\"ok\"));\napp.listen(3000);\n",
        ),
        (
            "packages/utils/package.json",
            r#"{ "name": "@shop/utils", "version": "1.0.0", "scripts": { "test": "jest" } }"#,
        ),
        ("packages/utils/src/index.js", "exports.id = (x) => x;\n"),
    ]));
    let r = audit(dir.path());
    let root = project(&r, ".");
    assert_eq!(root.role, Role::Product);
    assert!(root.decides);
    assert!(r.verdict_rule.contains("project `.`"), "{}", r.verdict_rule);
}

#[test]
fn a_project_sees_its_own_task_runners_not_its_neighbours() {
    let dir = crate::support::materialize(&crate::support::files(&[
        ("api/requirements.txt", "flask==3.0\npytest\n"),
        (
            "api/app.py",
            "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get(\"/healthz\")\ndef health():\n    return \"ok\"\n",
        ),
        (
            "api/tests/test_app.py",
            "from app import app\n\n\ndef test_app():\n    assert app\n",
        ),
        (
            "web/package.json",
            r#"{ "name": "web", "private": true, "scripts": { "start": "node server.js", "test": "jest" }, "dependencies": { "express": "^4.19.0" } }"#,
        ),
        (
            "web/server.js",
            "const express = require(\"express\");\nconst app = express();\napp.get(\"/healthz\", (req, res) => res.send(\"ok\"));\napp.listen(3000);\n",
        ),
        (
            "web/server.test.js",
            "test(\"ok\", () => expect(1).toBe(1));\n",
        ),
        (
            ".github/workflows/ci.yml",
            "name: ci\non: [push]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: ruff check .\n",
        ),
    ]));
    let r = audit(dir.path());
    // Neither project's tests run in CI; each finding cites that project's own runner.
    let not_in_ci: Vec<&Finding> = concerns(&r, "ci.tests").collect();
    let api = not_in_ci
        .iter()
        .find(|f| f.title.contains("api") || f.project.as_deref() == Some("api"));
    assert!(api.is_some(), "{not_in_ci:#?}");
    assert!(
        api.into_iter()
            .flat_map(|f| f.evidence.iter())
            .filter_map(|e| e.location())
            .all(|l| !l.path.starts_with("web/")),
        "{not_in_ci:#?}"
    );
}

#[test]
fn a_workspace_root_image_belongs_to_the_member_it_runs_and_small_helpers_without_tests_are_p2() {
    let big: String = (0..120)
        .map(|i| format!("pub fn f{i}() -> u32 {{\n    {i}\n}}\n\n"))
        .collect();
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"server\", \"set-password\"]\ndefault-members = [\"server\"]\n",
        ),
        (
            "Dockerfile",
            "FROM rust:1.85 AS builder\nWORKDIR /app\nCOPY . .\nRUN cargo build --release -p lldap -p lldap_set_password\nFROM alpine:3.21\nWORKDIR /app\nCOPY --from=builder /app/target/release/lldap /app/target/release/lldap_set_password ./\nCOPY docker-entrypoint.sh ./\nEXPOSE 3890\nENTRYPOINT [\"/app/docker-entrypoint.sh\"]\nCMD [\"run\"]\nHEALTHCHECK CMD [\"/app/lldap\", \"healthcheck\"]\n",
        ),
        (
            "docker-entrypoint.sh",
            "#!/bin/sh\nexec su-exec app /app/lldap \"$@\"\n",
        ),
        (
            "server/Cargo.toml",
            "[package]\nname = \"lldap\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\nactix-web = \"4\"\ntracing = \"0.1\"\n",
        ),
        (
            "server/src/main.rs",
            "use tracing::info;\n\nfn main() {\n    info!(\"start\");\n    let _ = actix_web::web::resource(\"/health\");\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn starts() {}\n}\n",
        ),
        ("server/src/lib.rs", big.as_str()),
        (
            "set-password/Cargo.toml",
            "[package]\nname = \"lldap_set_password\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
        ),
        (
            "set-password/src/main.rs",
            "fn main() {\n    println!(\"password set\");\n}\n",
        ),
    ]));
    let r = audit(dir.path());
    // The root only gathers the members and builds their image: tooling, and the image
    // is the server's (its HEALTHCHECK runs the server's binary).
    assert_eq!(project(&r, ".").role, Role::Tooling);
    let server = project(&r, "server");
    assert!(server.kind.is_service(), "{:?}", server.kind);
    assert!(
        server
            .kind_evidence
            .iter()
            .any(|e| e.contains("Dockerfile")),
        "{:?}",
        server.kind_evidence
    );
    assert!(
        concerns(&r, "deployment.container")
            .all(|f| !f.title.contains("server") && f.project.as_deref() != Some("server")),
        "the server's image is the root Dockerfile"
    );
    // The image drops to an unprivileged user in its entrypoint.
    assert!(concerns(&r, "deployment.dockerfile").all(|f| !f.title.contains("runs as root")));
    // A 3-line helper without tests beside the tested server is a P2 gap, not a P0
    // that decides the repository.
    let untested: Vec<&Finding> = concerns(&r, "tests.suite")
        .filter(|f| f.title.contains("No automated tests"))
        .collect();
    assert!(!untested.is_empty());
    assert!(
        untested
            .iter()
            .all(|f| f.severity == Some(Severity::P2) && f.message.contains("`server`")),
        "{untested:#?}"
    );
}

#[test]
fn a_package_json_inside_a_python_package_builds_its_assets_and_splits_nothing_off() {
    let files = |inner: &str| {
        crate::support::files(&[
            (
                "server/pyproject.toml",
                "[project]\nname = \"shop\"\nversion = \"1\"\ndependencies = [\"fastapi\"]\n",
            ),
            ("server/shop/__init__.py", ""),
            (
                "server/shop/app.py",
                "from shop.backoffice.views import index\n",
            ),
            (&format!("server/shop/backoffice/{inner}"), ""),
            (
                "server/shop/backoffice/views.py",
                "def index():\n    pass\n",
            ),
            (
                "server/shop/backoffice/package.json",
                r#"{ "name": "backoffice", "private": true, "scripts": { "build": "esbuild scripts.mjs --bundle" } }"#,
            ),
            ("server/shop/backoffice/scripts.mjs", "import 'htmx.org';\n"),
        ])
    };
    // A Python package (it has `__init__.py`): its package.json builds CSS and JS.
    let r = audit(crate::support::materialize(&files("__init__.py")).path());
    assert_eq!(paths(&r), vec!["server"]);
    assert_eq!(concerns(&r, "code-quality.unresolved-imports").count(), 0);
    // A directory that is not a Python package holds a project of its own.
    let r = audit(crate::support::materialize(&files("README.md")).path());
    assert_eq!(paths(&r), vec!["server", "server/shop/backoffice"]);
}

#[test]
fn a_root_job_that_also_builds_a_sub_project_still_tests_the_root() {
    let workflow = |test_step: &str| {
        format!(
            "name: build\non: [push, pull_request]\njobs:\n  app:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: (cd ui && yarn)\n      - run: {test_step}\n"
        )
    };
    let files = |test_step: &str| {
        crate::support::files(&[
            ("go.mod", "module example.com/notify\n\ngo 1.22\n"),
            (
                "app.go",
                "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/health\", func(w http.ResponseWriter, r *http.Request) {})\n\t_ = http.ListenAndServe(\":80\", nil)\n}\n",
            ),
            (
                "app_test.go",
                "package main\n\nimport \"testing\"\n\nfunc TestMain(t *testing.T) {}\n",
            ),
            ("Makefile", "test:\n\tgo test ./...\n"),
            (
                "ui/package.json",
                r#"{ "name": "notify-ui", "private": true, "scripts": { "build": "react-scripts build", "test": "react-scripts test" }, "dependencies": { "react": "^18.0.0" } }"#,
            ),
            ("ui/src/index.tsx", "export const App = () => null;\n"),
            (".github/workflows/build.yml", &workflow(test_step)),
        ])
    };
    // `make test` runs from the root, beside the step that builds the front end.
    let r = audit(crate::support::materialize(&files("make test")).path());
    let root_ci_tests: Vec<_> = concerns(&r, "ci.tests")
        .filter(|f| f.project.as_deref() == Some("."))
        .collect();
    assert!(root_ci_tests.is_empty(), "{root_ci_tests:?}");
    // Only the front end's own steps: the root's tests do not run in CI.
    let r = audit(crate::support::materialize(&files("(cd ui && yarn build)")).path());
    assert!(
        concerns(&r, "ci.tests").any(|f| f.project.as_deref() == Some(".")),
        "{:?}",
        r.findings
            .iter()
            .map(|f| (&f.check, &f.project))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_working_directory_scopes_its_own_step_not_the_whole_job() {
    let files = |test_step: &str| {
        let workflow = format!(
            "name: build\non: [push, pull_request]\njobs:\n  app:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: Build the front end\n        working-directory: ./ui\n        run: yarn build\n{test_step}"
        );
        crate::support::files(&[
            ("go.mod", "module example.com/notify\n\ngo 1.22\n"),
            (
                "app.go",
                "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/health\", func(w http.ResponseWriter, r *http.Request) {})\n\t_ = http.ListenAndServe(\":80\", nil)\n}\n",
            ),
            (
                "app_test.go",
                "package main\n\nimport \"testing\"\n\nfunc TestMain(t *testing.T) {}\n",
            ),
            (
                "ui/package.json",
                r#"{ "name": "notify-ui", "private": true, "scripts": { "build": "react-scripts build", "test": "react-scripts test" }, "dependencies": { "react": "^18.0.0" } }"#,
            ),
            ("ui/src/index.tsx", "export const App = () => null;\n"),
            (".github/workflows/build.yml", &workflow),
        ])
    };
    let root_ci_tests = |r: &Review| {
        concerns(r, "ci.tests")
            .filter(|f| f.project.as_deref() == Some("."))
            .count()
    };
    // The front end's step sets its directory; the test step after it runs at the root.
    let r = audit(
        crate::support::materialize(&files("      - name: Test\n        run: go test ./...\n"))
            .path(),
    );
    assert_eq!(root_ci_tests(&r), 0);
    // A test step that runs in the front end's directory tests the front end only.
    let r = audit(
        crate::support::materialize(&files(
            "      - name: Test\n        working-directory: ./ui\n        run: yarn test\n",
        ))
        .path(),
    );
    assert_eq!(root_ci_tests(&r), 1);
}

#[test]
fn a_root_image_that_builds_a_member_and_copies_another_members_assets_is_the_first_members() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "backend/go.mod",
            "module example.com/comments/backend\n\ngo 1.22\n",
        ),
        (
            "backend/main.go",
            "package main\n\nimport (\n\t\"log\"\n\t\"net/http\"\n)\n\nfunc main() {\n\tlog.Printf(\"start\")\n\t_ = http.ListenAndServe(\":8080\", nil)\n}\n",
        ),
        (
            "frontend/app/package.json",
            r#"{ "name": "@comments/app", "private": true, "scripts": { "build": "vite build" }, "dependencies": { "preact": "^10.0.0" } }"#,
        ),
        (
            "frontend/app/src/index.tsx",
            "export const App = () => null;\n",
        ),
        ("docker-init.sh", "#!/bin/sh\necho prepare\n"),
        (
            "Dockerfile",
            "FROM node:22-alpine AS build-frontend\nCOPY ./frontend/app/ /srv/frontend/app/\nRUN cd /srv/frontend/app && npm ci && npm run build\n\nFROM golang:1.22 AS build-backend\nADD backend /build/backend\nWORKDIR /build/backend\nRUN go build -o comments .\n\nFROM alpine:3.20\nCOPY docker-init.sh /srv/init.sh\nCOPY --from=build-backend /build/backend/comments /srv/comments\nCOPY --from=build-frontend /srv/frontend/app/public/ /srv/web/\nUSER 1000\nHEALTHCHECK CMD wget -q -O- http://localhost:8080/ping || exit 1\nCMD [\"/srv/comments\", \"server\"]\n",
        ),
    ]));
    let r = audit(dir.path());
    assert_eq!(project(&r, ".").role, Role::Tooling);
    let backend: Vec<_> = concerns(&r, "deployment.container")
        .filter(|f| f.project.as_deref() == Some("backend"))
        .collect();
    assert!(backend.is_empty(), "{backend:?}");
    // The front end's assets are copied in, but the image does not run it.
    assert_ne!(project(&r, "frontend/app").kind, ProjectKind::Service);
}

#[test]
fn a_go_file_in_a_front_end_directory_belongs_to_the_go_module_above_it() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "go.mod",
            "module example.com/notify\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.1\n",
        ),
        (
            "app.go",
            "package main\n\nimport \"github.com/gin-gonic/gin\"\n\nfunc main() {\n\tr := gin.New()\n\tr.GET(\"/health\", func(c *gin.Context) {})\n\t_ = r.Run(\":80\")\n}\n",
        ),
        (
            "ui/package.json",
            r#"{ "name": "notify-ui", "private": true, "scripts": { "build": "vite build" }, "dependencies": { "react": "^18.0.0" } }"#,
        ),
        ("ui/src/index.tsx", "export const App = () => null;\n"),
        (
            "ui/serve.go",
            "package ui\n\nimport \"github.com/gin-gonic/gin\"\n\nfunc Register(r *gin.Engine) {\n\tui := r.Group(\"/\")\n\tui.GET(\"/index.html\", func(c *gin.Context) {})\n}\n",
        ),
    ]));
    let r = audit(dir.path());
    assert_ne!(project(&r, "ui").kind, ProjectKind::Service);
    assert_eq!(
        concerns(&r, "deployment.container")
            .filter(|f| f.project.as_deref() == Some("ui"))
            .count(),
        0
    );
}

/// Two Go services in one repository; `with_health` decides whether the first answers
/// `/health`.
fn two_go_services(with_health: bool) -> Review {
    let route = if with_health { "/health" } else { "/orders" };
    let service = |name: &str, route: &str| {
        format!(
            "package main\n\nimport (\n\t\"log/slog\"\n\t\"net/http\"\n)\n\nfunc main() {{\n\tslog.Info(\"start\")\n\thttp.HandleFunc(\"{route}\", func(w http.ResponseWriter, r *http.Request) {{}})\n\t_ = http.ListenAndServe(\":80\", nil)\n}}\n\n// {name}\n"
        )
    };
    let test = "package main\n\nimport \"testing\"\n\nfunc TestMain(t *testing.T) {}\n";
    let api = service("api", route);
    let worker = service("worker", "/jobs");
    let dir = crate::support::materialize(&crate::support::files(&[
        ("api/go.mod", "module example.com/api\n\ngo 1.22\n"),
        ("api/main.go", api.as_str()),
        ("api/main_test.go", test),
        ("worker/go.mod", "module example.com/worker\n\ngo 1.22\n"),
        ("worker/main.go", worker.as_str()),
        ("worker/main_test.go", test),
        (
            "deploy/Chart.yaml",
            "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
        ),
    ]));
    audit(dir.path())
}

#[test]
fn an_absence_another_product_of_the_repository_fills_is_p2_and_says_where() {
    let r = two_go_services(true);
    let health: Vec<&Finding> = concerns(&r, "observability.health-endpoints").collect();
    assert_eq!(health.len(), 1, "{health:#?}");
    let f = health[0];
    assert_eq!(f.severity, Some(Severity::P2), "{f:#?}");
    assert!(f.title.contains("worker"), "{}", f.title);
    assert!(f.message.contains("`api`"), "{}", f.message);
    assert!(f.message.contains("api/main.go:10"), "{}", f.message);
    // With no health route anywhere, both services lack one at the check's severity.
    let r = two_go_services(false);
    let health: Vec<&Finding> = concerns(&r, "observability.health-endpoints").collect();
    assert!(!health.is_empty());
    assert!(
        health.iter().all(|f| f.severity == Some(Severity::P1)),
        "{health:#?}"
    );
}

#[test]
fn a_rust_library_crate_that_declares_routes_is_not_a_service_the_binary_that_serves_them_is() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/routes\", \"crates/server\"]\n",
        ),
        (
            "crates/routes/Cargo.toml",
            "[package]\nname = \"routes\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\nactix-web = \"4\"\n",
        ),
        (
            "crates/routes/src/lib.rs",
            "use actix_web::web;\n\npub fn config(cfg: &mut web::ServiceConfig) {\n    cfg.route(\"/api/v1/posts\", web::get().to(list));\n}\n\nasync fn list() -> &'static str {\n    \"[]\"\n}\n",
        ),
        (
            "crates/server/Cargo.toml",
            "[package]\nname = \"server\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\nactix-web = \"4\"\nroutes = { path = \"../routes\" }\n",
        ),
        (
            "crates/server/src/main.rs",
            "use actix_web::{App, HttpServer};\n\n#[actix_web::main]\nasync fn main() -> std::io::Result<()> {\n    HttpServer::new(|| App::new().configure(routes::config))\n        .bind((\"0.0.0.0\", 8536))?\n        .run()\n        .await\n}\n",
        ),
        (
            "migrations/2019-02-26-002946_create_user/up.sql",
            &"create table user_ (id serial primary key);\n".repeat(50),
        ),
    ]));
    let r = audit(dir.path());
    assert_eq!(project(&r, "crates/routes").kind, ProjectKind::Library);
    assert!(project(&r, "crates/server").kind.is_service());
    // The root's SQL migrations are schema history, not code to unit-test.
    assert!(
        r.projects.iter().all(|p| p.path != "." || p.lines == 0),
        "{:?}",
        r.projects
            .iter()
            .map(|p| (&p.path, p.lines))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_nested_workspace_image_belongs_to_the_member_its_command_runs() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "bridge/Cargo.toml",
            "[workspace]\nmembers = [\"bridge-types\", \"svc-bridge\"]\n",
        ),
        (
            "bridge/Dockerfile",
            "FROM rust:1.85 AS build\nWORKDIR /app\nCOPY bridge/bridge-types/Cargo.toml bridge-types/\nCOPY bridge /app/bridge\nRUN cargo build --release\nFROM debian:12-slim\nCOPY --from=build /app/bridge/target/release/svc-bridge /usr/local/bin/svc-bridge\nUSER 1001\nEXPOSE 5000\nCMD [\"svc-bridge\"]\n",
        ),
        ("bridge/run-tests.sh", "#!/bin/sh\ncargo test --workspace\n"),
        (
            "bridge/bridge-types/Cargo.toml",
            "[package]\nname = \"bridge-types\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
        ),
        (
            "bridge/bridge-types/src/lib.rs",
            "pub struct Event {\n    pub id: u64,\n}\n",
        ),
        (
            "bridge/svc-bridge/Cargo.toml",
            "[package]\nname = \"svc-bridge\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.7\"\nbridge-types = { path = \"../bridge-types\" }\n",
        ),
        (
            "bridge/svc-bridge/src/main.rs",
            "use axum::{routing::get, Router};\n\n#[tokio::main]\nasync fn main() {\n    let app = Router::new().route(\"/health\", get(|| async { \"ok\" }));\n    let l = tokio::net::TcpListener::bind(\"0.0.0.0:5000\").await.unwrap();\n    axum::serve(l, app).await.unwrap();\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn starts() {}\n}\n",
        ),
    ]));
    let r = audit(dir.path());
    assert_eq!(project(&r, "bridge").role, Role::Tooling);
    assert!(project(&r, "bridge/svc-bridge").kind.is_service());
    // Copying only its manifest to fetch dependencies does not make the image the
    // library's.
    assert_eq!(
        project(&r, "bridge/bridge-types").kind,
        ProjectKind::Library
    );
    assert!(
        concerns(&r, "deployment.container")
            .all(|f| f.project.as_deref() != Some("bridge/svc-bridge")),
        "{:#?}",
        concerns(&r, "deployment.container").collect::<Vec<_>>()
    );
}

/// Two Go services, the worker with 600 lines of its own; `api_tested` decides
/// whether the api has a test.
fn untested_worker(api_tested: bool) -> Review {
    untested_project("worker", api_tested)
}

fn untested_project(dir: &str, api_tested: bool) -> Review {
    let main = "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/health\", func(w http.ResponseWriter, r *http.Request) {})\n\t_ = http.ListenAndServe(\":80\", nil)\n}\n";
    let big: String = (0..200)
        .map(|i| format!("func f{i}() int {{\n\treturn {i}\n}}\n\n"))
        .collect();
    let jobs = format!("package main\n\n{big}");
    let mut files = vec![
        ("api/go.mod", "module example.com/api\n\ngo 1.22\n"),
        ("api/main.go", main),
    ];
    let (module, main_go, jobs_go) = (
        format!("{dir}/go.mod"),
        format!("{dir}/main.go"),
        format!("{dir}/jobs.go"),
    );
    let go_mod = format!("module example.com/{dir}\n\ngo 1.22\n");
    files.push((module.as_str(), go_mod.as_str()));
    files.push((main_go.as_str(), main));
    files.push((jobs_go.as_str(), jobs.as_str()));
    if api_tested {
        files.push((
            "api/main_test.go",
            "package main\n\nimport \"testing\"\n\nfunc TestMain(t *testing.T) {}\n",
        ));
    }
    audit(crate::support::materialize(&crate::support::files(&files)).path())
}

#[test]
fn an_untested_service_beside_a_tested_one_is_p1_not_the_releases_p0() {
    let worst = |r: &Review| {
        concerns(r, "tests.suite")
            .filter(|f| f.title.contains("No automated tests"))
            .filter_map(|f| f.severity)
            .min()
    };
    let r = untested_worker(true);
    assert_eq!(worst(&r), Some(Severity::P1));
    assert!(
        concerns(&r, "tests.suite").any(|f| f.message.contains("`api`")),
        "{:#?}",
        concerns(&r, "tests.suite").collect::<Vec<_>>()
    );
    // Nothing tested anywhere: the untested service blocks the release.
    assert_eq!(worst(&untested_worker(false)), Some(Severity::P0));
}

#[test]
fn an_untested_playground_app_is_an_example_not_an_untested_product() {
    let r = untested_project("playground", true);
    let untested: Vec<&Finding> = concerns(&r, "tests.suite")
        .filter(|f| f.title.contains("No automated tests"))
        .collect();
    assert!(untested.is_empty(), "{untested:#?}");
}

#[test]
fn a_workspace_root_whose_script_runs_the_members_tests_has_none_of_its_own_to_run() {
    let files = |lib_test: &str| {
        crate::support::files(&[
            (
                "package.json",
                "{\n  \"name\": \"acme\",\n  \"private\": true,\n  \"workspaces\": [\"apps/*\", \"packages/*\"],\n  \"scripts\": {\n    \"ci\": \"turbo run build --filter=@acme/web && turbo run test:e2e\"\n  },\n  \"devDependencies\": { \"turbo\": \"^2.0.0\" }\n}\n",
            ),
            (
                "apps/web/package.json",
                r#"{ "name": "@acme/web", "scripts": { "build": "next build", "start": "next start" }, "dependencies": { "next": "^14.0.0", "react": "^18.0.0", "@acme/lib": "*" } }"#,
            ),
            (
                "apps/web/app/page.tsx",
                "import { total } from '@acme/lib';\n\nexport default function Page() {\n  return total([1, 2]);\n}\n",
            ),
            (
                "packages/lib/package.json",
                "{\n  \"name\": \"@acme/lib\",\n  \"main\": \"index.ts\",\n  \"scripts\": {\n    \"test\": \"vitest run\"\n  },\n  \"devDependencies\": { \"vitest\": \"^2.0.0\" }\n}\n",
            ),
            (
                "packages/lib/index.ts",
                "export function total(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n",
            ),
            ("packages/lib/index.test.ts", lib_test),
            (
                "packages/signing/package.json",
                "{\n  \"name\": \"@acme/signing\",\n  \"main\": \"index.ts\",\n  \"scripts\": {\n    \"test\": \"vitest\"\n  }\n}\n",
            ),
            (
                "packages/signing/index.ts",
                "export function sign(body: string): string {\n  return body.split('').reverse().join('');\n}\n",
            ),
            (
                "packages/app-tests/package.json",
                "{\n  \"name\": \"@acme/app-tests\",\n  \"main\": \"index.js\",\n  \"scripts\": {\n    \"test:e2e\": \"playwright test\"\n  },\n  \"devDependencies\": { \"@playwright/test\": \"^1.40.0\" }\n}\n",
            ),
            (
                "packages/app-tests/fixtures/auth.ts",
                "export async function signIn(page: any, email: string) {\n  await page.goto('/signin');\n  await page.fill('#email', email);\n}\n",
            ),
            (
                "packages/app-tests/e2e/home.spec.ts",
                "import { test } from '@playwright/test';\n\ntest('home', async ({ page }) => {\n  await page.goto('/');\n});\n",
            ),
            (
                ".github/workflows/e2e.yml",
                "name: e2e\non: [push, pull_request]\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci\n      - run: npm run ci\n      - uses: actions/upload-artifact@v4\n        with:\n          path: packages/app-tests/playwright-report\n",
            ),
        ])
    };
    let unit = "import { test, expect } from 'vitest';\nimport { total } from './index';\n\ntest('total', () => {\n  expect(total([1, 2])).toBe(3);\n});\n";
    let r = audit(crate::support::materialize(&files(unit)).path());
    let not_in_ci: Vec<_> = concerns(&r, "ci.tests")
        .map(|f| (f.project.clone(), places(f)))
        .collect();
    // The library's unit tests never run: CI runs only the members' `test:e2e`. The
    // root (whose script runs that) and a package whose test script finds no test file
    // have nothing of their own for CI to run.
    assert_eq!(
        not_in_ci,
        vec![(
            Some("packages/lib".to_string()),
            vec![("packages/lib/package.json".to_string(), 5)]
        )]
    );
    // With no unit test in the library, nothing is left unrun.
    let r = audit(crate::support::materialize(&files("export {};\n")).path());
    assert_eq!(concerns(&r, "ci.tests").count(), 0);
}

#[test]
fn a_published_command_whose_start_script_runs_it_is_a_cli_even_with_a_login_callback_server() {
    let callback = "import * as http from \"http\";\n\nexport function oauthCallbackServer() {\n  const server = http.createServer((req, res) => {\n    res.end(\"ok\");\n  });\n  server.listen(4587);\n  return server;\n}\n";
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "package.json",
            r#"{ "name": "acme", "private": true, "workspaces": ["packages/*"] }"#,
        ),
        (
            "packages/cli/package.json",
            r#"{ "name": "acme-cli", "version": "0.1.0", "type": "module", "main": "./dist/index.js", "bin": { "acme": "./dist/index.js" }, "scripts": { "build": "tsup", "start": "node dist/index.js " }, "dependencies": { "commander": "^12.0.0" } }"#,
        ),
        ("packages/cli/src/api/callback.ts", callback),
        (
            "packages/cli/src/index.ts",
            "import { Command } from \"commander\";\nimport { oauthCallbackServer } from \"./api/callback\";\n\nnew Command(\"acme\").action(() => oauthCallbackServer()).parse();\n",
        ),
        (
            "packages/api/package.json",
            r#"{ "name": "acme-api", "version": "0.1.0", "main": "./dist/server.js", "scripts": { "start": "node dist/server.js" } }"#,
        ),
        ("packages/api/src/server.ts", callback),
    ]));
    let r = audit(dir.path());
    assert_eq!(project(&r, "packages/cli").kind, ProjectKind::Cli);
    // The same server in a package whose start script runs a server file serves.
    assert!(project(&r, "packages/api").kind.is_service());
}

#[test]
fn a_front_end_browser_suite_that_starts_the_root_program_tests_it_from_outside() {
    // A program large enough not to pass for a small helper.
    let handlers: &'static str = Box::leak(
        (0..120)
            .map(|i| format!("func handler{i}(n int) int {{\n\tif n > {i} {{\n\t\treturn n - {i}\n\t}}\n\treturn n + {i}\n}}\n\n"))
            .fold(String::from("package main\n\n"), |acc, f| acc + &f)
            .into_boxed_str(),
    );
    let files = |config: &'static str| {
        crate::support::files(&[
            ("go.mod", "module example.com/mailer\n\ngo 1.22\n"),
            ("cmd/handlers.go", handlers),
            (
                "cmd/main.go",
                "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/api/lists\", func(w http.ResponseWriter, r *http.Request) {})\n\thttp.ListenAndServe(\":9000\", nil)\n}\n",
            ),
            (
                "frontend/package.json",
                r#"{ "name": "mailer-ui", "private": true, "scripts": { "build": "vite build" }, "devDependencies": { "cypress": "15.0.0", "vite": "5.0.0" } }"#,
            ),
            (
                "frontend/src/main.js",
                "import { createApp } from \"vue\";\n\ncreateApp({}).mount(\"#app\");\n",
            ),
            ("frontend/cypress.config.js", config),
            (
                "frontend/cypress/e2e/lists.cy.js",
                "describe(\"lists\", () => {\n  it(\"opens\", () => {\n    cy.visit(\"/admin/lists\");\n  });\n});\n",
            ),
        ])
    };
    let severity = |config: &'static str| {
        let dir = crate::support::materialize(&files(config));
        let r = audit(dir.path());
        concerns(&r, "tests.suite")
            .filter(|f| f.project.as_deref() == Some("."))
            .filter_map(|f| f.severity)
            .min()
    };
    let starts = "module.exports = {\n  env: {\n    server_init_command: 'pkill -9 mailer; cd ../ && ./mailer --install --yes && setsid ./mailer &',\n  },\n};\n";
    assert_eq!(severity(starts), Some(Severity::P2));
    // The same suite starting nothing of the root's leaves the root untested.
    let own =
        "module.exports = {\n  env: {\n    server_init_command: 'npm run preview &',\n  },\n};\n";
    assert_eq!(severity(own), Some(Severity::P1));
}

#[test]
fn a_library_the_deployed_service_is_built_from_has_gaps_not_blockers_in_its_own_section() {
    let big: &'static str = Box::leak(
        (0..300)
            .map(|i| format!("pub fn f{i}(n: u32) -> u32 {{\n    n + {i}\n}}\n\n"))
            .collect::<String>()
            .into_boxed_str(),
    );
    let files = |service: bool| {
        let mut f = vec![
            (
                "Cargo.toml",
                if service {
                    "[workspace]\nmembers = [\"server\", \"core\"]\n"
                } else {
                    "[workspace]\nmembers = [\"util\", \"core\"]\n"
                },
            ),
            (
                "core/Cargo.toml",
                "[package]\nname = \"acme-core\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
            ),
            ("core/src/lib.rs", big),
        ];
        if service {
            f.push((
                "server/Cargo.toml",
                "[package]\nname = \"acme-server\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\nactix-web = \"4\"\nacme-core = { path = \"../core\" }\n",
            ));
            f.push((
                "server/src/main.rs",
                "fn main() {\n    let _ = actix_web::web::resource(\"/health\");\n    actix_web::HttpServer::new(|| actix_web::App::new());\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn starts() {}\n}\n",
            ));
            f.push(("server/src/lib.rs", big));
        } else {
            f.push((
                "util/Cargo.toml",
                "[package]\nname = \"acme-util\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
            ));
            f.push((
                "util/src/lib.rs",
                "pub fn one() -> u32 {\n    1\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn one() {\n        assert_eq!(super::one(), 1);\n    }\n}\n",
            ));
        }
        crate::support::files(&f)
    };
    let severity = |service: bool| {
        let dir = crate::support::materialize(&files(service));
        let r = audit(dir.path());
        let core = project(&r, "core");
        (
            core.decides,
            core.findings
                .iter()
                .filter(|f| f.check == "tests.suite" && f.is_concern())
                .filter_map(|f| f.severity)
                .min(),
        )
    };
    // Built into the deployed server: its section lists the gap at P2.
    assert_eq!(severity(true), (false, Some(Severity::P2)));
    // In a repository of libraries it decides, and an untested library is P1.
    assert_eq!(severity(false), (true, Some(Severity::P1)));
}

#[test]
fn a_test_suite_s_own_section_weighs_its_concerns_one_level_lower() {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "Cargo.toml",
            "[package]\nname = \"vault\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[workspace]\nmembers = [\"macros\"]\n\n[dependencies]\nactix-web = \"4\"\n",
        ),
        (
            "src/main.rs",
            "fn main() {\n    let _ = actix_web::web::resource(\"/alive\");\n    actix_web::HttpServer::new(|| actix_web::App::new());\n}\n",
        ),
        (
            "macros/Cargo.toml",
            "[package]\nname = \"macros\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
        ),
        ("macros/src/lib.rs", "pub fn id() -> u32 {\n    1\n}\n"),
        (
            "playwright/package.json",
            r#"{ "name": "playwright-tests", "private": true, "scripts": { "test": "playwright test" }, "devDependencies": { "@playwright/test": "^1.47.0", "dotenv": "^16.0.0" } }"#,
        ),
        (
            "playwright/global-utils.ts",
            "import * as dotenv from \"dotenv\";\n\nexport function load(): void {\n  dotenv.config();\n}\n\nexport function base(): string {\n  return process.env.BASE_URL ?? \"http://localhost:8000\";\n}\n",
        ),
        (
            "playwright/playwright.config.ts",
            "export default { testDir: \"tests\" };\n",
        ),
        (
            "playwright/tests/login.spec.ts",
            "import { test, expect } from \"@playwright/test\";\n\ntest(\"logs in\", async ({ page }) => {\n  await page.goto(\"/login\");\n  await expect(page).toHaveTitle(/Login/);\n});\n",
        ),
        (
            "playwright/docker-compose.yml",
            "services:\n  browser:\n    image: selenium/standalone-chrome:4.25\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
        ),
    ]));
    let r = audit(dir.path());
    let suite = project(&r, "playwright");
    assert_eq!(suite.role, Role::Tests);
    let socket: Vec<&Finding> = suite
        .findings
        .iter()
        .filter(|f| f.check == "security.container-runtime" && f.title.contains("docker.sock"))
        .collect();
    assert!(!socket.is_empty(), "{:#?}", suite.findings);
    assert!(
        socket
            .iter()
            .all(|f| f.severity == Some(Severity::P2) && f.message.contains("a test suite")),
        "{socket:#?}"
    );
}

/// A Go service that serves a SvelteKit front end, and a Playwright suite in the root's
/// `tests/` that names no project (`baseURL` on localhost); with `suite`, the suite.
fn served_front_end(suite: bool) -> Review {
    // A front end of over 500 lines: not a small helper.
    let big: String = (0..200)
        .map(|i| format!("export function f{i}(): number {{\n  return {i};\n}}\n\n"))
        .collect();
    let mut files = vec![
        ("frontend/src/lib/helpers.ts", big.as_str()),
        ("backend/go.mod", "module example.com/app\n\ngo 1.23\n"),
        (
            "backend/main.go",
            "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/healthz\", func(w http.ResponseWriter, r *http.Request) {})\n\thttp.ListenAndServe(\":8080\", nil)\n}\n",
        ),
        (
            "backend/main_test.go",
            "package main\n\nimport \"testing\"\n\nfunc TestServe(t *testing.T) {}\n",
        ),
        (
            "frontend/package.json",
            r#"{ "name": "app-frontend", "private": true, "scripts": { "build": "vite build" }, "devDependencies": { "@sveltejs/kit": "2.0.0", "svelte": "5.0.0", "vite": "5.0.0" } }"#,
        ),
        (
            "frontend/src/lib/services/keys.ts",
            "export default class Keys {\n  list = async () => {\n    const res = await this.api.get('/api-keys', { params: {} });\n    return res.data;\n  };\n}\n",
        ),
        (
            "frontend/src/routes/+page.svelte",
            "<script>\n  import { page } from '$app/state';\n  import { onMount } from 'svelte';\n  const here = page.url.pathname === '/login';\n</script>\n<h1>Keys</h1>\n",
        ),
        (
            "package.json",
            r#"{ "name": "app-repo", "private": true, "workspaces": ["frontend", "tests"] }"#,
        ),
    ];
    if suite {
        files.extend([
            (
                "tests/package.json",
                r#"{ "name": "app-tests", "private": true, "scripts": { "test": "playwright test" }, "devDependencies": { "@playwright/test": "1.47.0" } }"#,
            ),
            (
                "tests/playwright.config.ts",
                "export default { testDir: './specs', use: { baseURL: 'http://localhost:1411' } };\n",
            ),
            (
                "tests/specs/keys.spec.ts",
                "import { test, expect } from '@playwright/test';\n\ntest('lists keys', async ({ page }) => {\n  await page.goto('/settings/api-keys');\n  await expect(page.getByRole('heading')).toHaveText('Keys');\n});\n",
            ),
        ]);
    }
    let dir = crate::support::materialize(&crate::support::files(&files));
    audit(dir.path())
}

/// The front end's "No automated tests" concerns.
fn frontend_untested(r: &Review) -> Vec<&Finding> {
    project(r, "frontend")
        .findings
        .iter()
        .filter(|f| f.is_concern() && f.check == "tests.suite")
        .collect()
}

#[test]
fn a_front_end_a_browser_suite_of_the_repository_drives_is_tested_from_outside_p2() {
    let r = served_front_end(true);
    let untested = frontend_untested(&r);
    assert_eq!(untested.len(), 1, "{untested:#?}");
    assert_eq!(untested[0].severity, Some(Severity::P2), "{untested:#?}");
    assert!(
        untested[0].message.contains("tests/playwright.config.ts:1"),
        "{}",
        untested[0].message
    );
    // The requests the front end sends are not routes it serves.
    assert_ne!(project(&r, "frontend").kind, ProjectKind::Service);
}

#[test]
fn the_same_front_end_with_no_browser_suite_is_not_said_to_be_driven() {
    let r = served_front_end(false);
    let untested = frontend_untested(&r);
    assert_eq!(untested.len(), 1, "{untested:#?}");
    assert!(
        !untested[0].message.contains("end-to-end suite"),
        "{}",
        untested[0].message
    );
}

/// Services built `FROM base`, the image `core/base/Dockerfile` builds with the
/// dependencies and local libraries of its requirements; with `from_base` false, the
/// admin image starts from a public Python image instead.
fn services_on_a_base_image(from_base: bool) -> Review {
    let admin_from = if from_base {
        "FROM base\nCOPY . /app\nCMD [\"python3\", \"/app/start.py\"]\n"
    } else {
        "FROM python:3.12-alpine\nCOPY . /app\nCMD [\"python3\", \"/app/start.py\"]\n"
    };
    let files = [
        (
            "core/base/Dockerfile",
            "FROM alpine:3.21 AS system\nCOPY requirements-prod.txt ./\nCOPY libs/ libs/\nRUN pip install -r requirements-prod.txt\nCMD /bin/bash\n",
        ),
        (
            "core/base/requirements-prod.txt",
            "Flask==3.0.3\nsocrate @ file:///app/libs/socrate\n",
        ),
        (
            "core/base/libs/socrate/setup.py",
            "from setuptools import setup\n\nsetup(name=\"socrate\", packages=[\"socrate\"])\n",
        ),
        (
            "core/base/libs/socrate/socrate/__init__.py",
            "def conf():\n    return {}\n",
        ),
        ("core/admin/Dockerfile", admin_from),
        (
            "core/admin/start.py",
            "import flask\nfrom socrate import conf\n\napp = flask.Flask(__name__)\nconf()\n",
        ),
        (
            "core/admin/requirements.txt",
            "# installed by the base image\n",
        ),
    ];
    audit(crate::support::materialize(&crate::support::files(&files)).path())
}

#[test]
fn a_service_built_from_the_repositorys_base_image_has_what_that_image_installs() {
    let r = services_on_a_base_image(true);
    for check in [
        "code-quality.unresolved-imports",
        "code-quality.undeclared-dependencies",
    ] {
        let found: Vec<&Finding> = concerns(&r, check)
            .filter(|f| f.project.as_deref() == Some("core/admin"))
            .collect();
        assert!(found.is_empty(), "{check}: {found:#?}");
    }
}

#[test]
fn the_same_service_on_a_public_image_misses_them() {
    let r = services_on_a_base_image(false);
    let missing: Vec<&Finding> = concerns(&r, "code-quality.unresolved-imports")
        .filter(|f| f.project.as_deref() == Some("core/admin"))
        .collect();
    assert!(
        missing.iter().any(|f| f.title.contains("socrate")),
        "{:#?}",
        concerns(&r, "code-quality.unresolved-imports").collect::<Vec<_>>()
    );
}

/// A service in `core/admin/` whose tests live in the repository's `tests/`, importing
/// its package when `imports_it`, another module otherwise.
fn admin_tested_from_the_root(imports_it: bool) -> Review {
    let big: String = (0..200)
        .map(|i| format!("def f{i}():\n    return {i}\n\n\n"))
        .collect();
    let test = if imports_it {
        "from mailu import models\n\n\ndef test_domain():\n    assert models.f1() == 1\n"
    } else {
        "import json\n\n\ndef test_json():\n    assert json.loads('1') == 1\n"
    };
    let files = [
        ("core/admin/requirements.txt", "flask==3.0.3\n"),
        (
            "core/admin/mailu/__init__.py",
            "import flask\n\napp = flask.Flask(__name__)\n",
        ),
        ("core/admin/mailu/models.py", big.as_str()),
        (
            "pyproject.toml",
            "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n",
        ),
        ("tests/anonmail/test_models.py", test),
    ];
    audit(crate::support::materialize(&crate::support::files(&files)).path())
}

#[test]
fn tests_of_the_repository_that_import_a_projects_package_are_its_tests() {
    let r = admin_tested_from_the_root(true);
    let untested: Vec<&Finding> = project(&r, "core/admin")
        .findings
        .iter()
        .filter(|f| f.is_concern() && f.check == "tests.suite")
        .collect();
    assert!(untested.is_empty(), "{untested:#?}");
}

#[test]
fn tests_that_import_something_else_leave_the_project_untested() {
    let r = admin_tested_from_the_root(false);
    let untested: Vec<&Finding> = project(&r, "core/admin")
        .findings
        .iter()
        .filter(|f| f.is_concern() && f.check == "tests.suite")
        .collect();
    assert_eq!(untested.len(), 1, "{untested:#?}");
}

/// A Go module at the root with a service image in `client/`: the tests in
/// `client/` belong to the module, and the `client` project is not "untested".
fn go_module_with_client_image(client_test: bool) -> Review {
    let mut files = vec![
        ("go.mod", "module example.com/vpn\n\ngo 1.24\n"),
        (
            "main.go",
            "package main\n\nimport \"net/http\"\n\nfunc main() {\n\t_ = http.ListenAndServe(\":8080\", nil)\n}\n",
        ),
        (
            "main_test.go",
            "package main\n\nimport \"testing\"\n\nfunc TestMain(t *testing.T) {}\n",
        ),
        (
            "client/Dockerfile",
            "FROM alpine:3.20\nRUN apk add --no-cache iptables\nCOPY netbird /usr/local/bin/\nCOPY install.sh /\nUSER 1000\nENTRYPOINT [\"/usr/local/bin/netbird\", \"up\"]\n",
        ),
        (
            "client/install.sh",
            "#!/bin/sh\nset -e\nmkdir -p /etc/vpn\ncp vpn.conf /etc/vpn/\necho installed\n",
        ),
        (
            "client/cmd/up.go",
            "package cmd\n\nfunc Up() error {\n\treturn nil\n}\n",
        ),
    ];
    if client_test {
        files.push((
            "client/cmd/up_test.go",
            "package cmd\n\nimport \"testing\"\n\nfunc TestUp(t *testing.T) {\n\tif Up() != nil {\n\t\tt.Fatal()\n\t}\n}\n",
        ));
    }
    let dir = crate::support::materialize(&crate::support::files(&files));
    audit(dir.path())
}

#[test]
fn tests_in_a_project_directory_owned_by_the_enclosing_go_module_count_for_it() {
    let r = go_module_with_client_image(true);
    let client = project(&r, "client");
    assert!(
        !concerns(&r, "tests.suite").any(|f| f.project.as_deref() == Some("client")),
        "{:?}",
        client.verdict_rule
    );
    let untested = go_module_with_client_image(false);
    let _ = project(&untested, "client");
    assert!(
        concerns(&untested, "tests.suite").any(|f| f.project.as_deref() == Some("client")),
        "without client/cmd/up_test.go the client project has no tests"
    );
}

/// A pnpm workspace whose CI job runs `pnpm ci:test` (also naming another member's
/// directory), with the root script `ci_test` and, if given, a root Vitest
/// configuration.
fn pnpm_workspace_ci(ci_test: &str, vitest_config: Option<&str>) -> Review {
    let root = format!(
        "{{\n  \"name\": \"acme\",\n  \"private\": true,\n  \"scripts\": {{\n    \"ci:test\": \"{ci_test}\"\n  }}\n}}\n"
    );
    let files = vec![
        ("package.json", root.as_str()),
        ("pnpm-workspace.yaml", "packages:\n  - packages/*\n"),
        (
            "packages/core/package.json",
            r#"{ "name": "@acme/core", "version": "1.0.0", "scripts": { "test:ci": "vitest run" }, "devDependencies": { "vitest": "^3.0.0" } }"#,
        ),
        (
            "packages/core/src/index.ts",
            "export const add = (a: number, b: number) => a + b;\n",
        ),
        (
            "packages/core/src/index.test.ts",
            "import { test, expect } from 'vitest';\nimport { add } from './index';\ntest('adds', () => { expect(add(1, 2)).toBe(3); });\n",
        ),
        (
            "packages/cli/package.json",
            r#"{ "name": "@acme/cli", "version": "1.0.0", "bin": { "acme": "lib/index.js" }, "scripts": { "test:ci": "vitest run" }, "devDependencies": { "vitest": "^3.0.0" } }"#,
        ),
        (
            "packages/cli/src/index.ts",
            "export const run = (argv: string[]) => argv.length;\n",
        ),
        (
            "packages/cli/src/index.test.ts",
            "import { test, expect } from 'vitest';\nimport { run } from './index';\ntest('runs', () => { expect(run([])).toBe(0); });\n",
        ),
        (
            ".github/workflows/main.yml",
            "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: Install browsers\n        working-directory: ./packages/core\n        run: pnpm exec playwright install\n      - name: Test\n        run: pnpm ci:test\n",
        ),
    ];
    let mut files = files;
    if let Some(config) = vitest_config {
        files.push(("vitest.config.ts", config));
    }
    let dir = crate::support::materialize(&crate::support::files(&files));
    audit(dir.path())
}

#[test]
fn a_root_script_that_runs_every_members_tests_runs_the_tests_of_each_member() {
    let r = pnpm_workspace_ci("pnpm -r --parallel test:ci", None);
    let _ = project(&r, "packages/cli");
    assert!(
        !concerns(&r, "ci.tests").any(|f| f.project.as_deref() == Some("packages/cli")),
        "pnpm ci:test runs `pnpm -r test:ci`, which reaches packages/cli"
    );
    let filtered = pnpm_workspace_ci("pnpm --filter @acme/core test:ci", None);
    assert!(
        concerns(&filtered, "ci.tests").any(|f| f.project.as_deref() == Some("packages/cli")),
        "a root script filtered to @acme/core does not run the cli's tests"
    );
}

#[test]
fn a_root_script_starting_vitest_over_the_tree_runs_the_tests_of_each_member() {
    let tree = pnpm_workspace_ci(
        "cross-env CI=true vitest run --exclude e2e",
        Some("export default { test: { include: [\"**/*.test.ts\"] } };\n"),
    );
    let _ = project(&tree, "packages/cli");
    assert!(
        !concerns(&tree, "ci.tests").any(|f| f.project.as_deref() == Some("packages/cli")),
        "vitest at the root, including **/*.test.ts, runs packages/cli's tests"
    );
    let narrowed = pnpm_workspace_ci(
        "cross-env CI=true vitest run --exclude e2e",
        Some("export default { test: { include: [\"packages/core/**/*.test.ts\"] } };\n"),
    );
    assert!(
        concerns(&narrowed, "ci.tests").any(|f| f.project.as_deref() == Some("packages/cli")),
        "a root configuration including only packages/core does not run the cli's tests"
    );
    let by_path = pnpm_workspace_ci("vitest run packages/core", None);
    assert!(
        concerns(&by_path, "ci.tests").any(|f| f.project.as_deref() == Some("packages/cli")),
        "vitest given packages/core runs only that member's tests"
    );
}

/// A workspace root whose image runs `npm start`, and whose `start` enters a member.
fn delegating_root(start: &str) -> Review {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "package.json",
            &format!(
                r#"{{ "name": "@acme/root", "private": true, "workspaces": ["packages/*"], "scripts": {{ "start": "{start}" }} }}"#
            ),
        ),
        (
            "server.js",
            "const http = require(\"http\");\n\nhttp.createServer((req, res) => res.end(\"ok\")).listen(3001);\n",
        ),
        (
            "Dockerfile",
            "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nUSER node\nEXPOSE 3001\nHEALTHCHECK CMD wget -q -O- http://localhost:3001/api/status\nCMD [\"npm\", \"run\", \"start\"]\n",
        ),
        (
            "packages/core/package.json",
            r#"{ "name": "@acme/core", "version": "1.0.0", "scripts": { "start": "node src/index.js" }, "dependencies": { "koa": "^2.15.0", "koa-logger": "^4.0.0" } }"#,
        ),
        (
            "packages/core/src/index.js",
            "const Koa = require(\"koa\");\nconst koaLogger = require(\"koa-logger\");\n\nconst app = new Koa();\napp.use(koaLogger());\napp.use(async (ctx) => {\n  if (ctx.path === \"/api/status\") {\n    ctx.body = \"ok\";\n  }\n});\napp.listen(3001);\n",
        ),
    ]));
    audit(dir.path())
}

#[test]
fn a_workspace_root_that_starts_a_member_logs_through_the_member() {
    let r = delegating_root("cd packages/core && npm start");
    assert!(
        project(&r, ".").kind.is_service(),
        "{:?}",
        project(&r, ".").kind
    );
    let logging: Vec<&Finding> = concerns(&r, "observability.logging").collect();
    assert!(logging.is_empty(), "{logging:#?}");
    // The same root starting a server of its own has no logger.
    let r = delegating_root("node server.js");
    let logging: Vec<&Finding> = concerns(&r, "observability.logging").collect();
    assert!(
        logging
            .iter()
            .any(|f| f.project.as_deref() == Some(".") || f.title.contains("`.`")),
        "{logging:#?}"
    );
}

/// A workspace of two services, one of them `apps/old`, whose README opens with `readme`.
fn with_old_service(readme: &str) -> Review {
    let dir = crate::support::materialize(&crate::support::files(&[
        (
            "package.json",
            r#"{ "name": "acme", "private": true, "workspaces": ["apps/*"] }"#,
        ),
        (
            "apps/api/package.json",
            r#"{ "name": "@acme/api", "version": "1.0.0", "scripts": { "start": "node server.js" }, "dependencies": { "express": "^4.19.0", "pino": "^9.0.0" } }"#,
        ),
        (
            "apps/api/server.js",
            "const express = require(\"express\");\nconst pino = require(\"pino\");\n\nconst app = express();\napp.get(\"/health\", (req, res) => res.send(\"ok\"));\napp.listen(3000);\npino().info(\"up\");\n",
        ),
        (
            "apps/old/package.json",
            r#"{ "name": "@acme/old", "version": "1.0.0", "scripts": { "start": "node server.js" }, "dependencies": { "express": "^4.19.0", "pino": "^9.0.0" } }"#,
        ),
        ("apps/old/README.md", readme),
        (
            "apps/old/server.js",
            "const express = require(\"express\");\nconst pino = require(\"pino\");\n\nconst app = express();\napp.get(\"/health\", (req, res) => res.send(\"ok\"));\napp.listen(3001);\npino().info(\"up\");\n",
        ),
        (
            "apps/old/Dockerfile",
            "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nEXPOSE 3001\nCMD [\"node\", \"server.js\"]\n",
        ),
    ]));
    audit(dir.path())
}

#[test]
fn a_component_its_readme_calls_unused_is_retired_and_weighs_less() {
    let r = with_old_service("# Screenshot Worker\n\nThis is not used anymore.\n");
    assert_eq!(project(&r, "apps/old").role, Role::Retired);
    let root: Vec<&Finding> = concerns(&r, "deployment.dockerfile")
        .filter(|f| f.title.contains("runs as root"))
        .collect();
    assert!(!root.is_empty(), "{root:#?}");
    assert!(
        root.iter().all(|f| f.severity == Some(Severity::P2)),
        "{root:#?}"
    );
    // A caveat further down about something else leaves it a product.
    let r = with_old_service(
        "# Screenshot Worker\n\nRenders screenshots of status pages.\n\n> The Python 2 client is no longer maintained.\n",
    );
    assert_eq!(project(&r, "apps/old").role, Role::Product);
    // The same README describing a live service leaves it a product, judged at P1.
    let r = with_old_service("# Screenshot Worker\n\nRenders screenshots of status pages.\n");
    assert_eq!(project(&r, "apps/old").role, Role::Product);
    assert!(
        concerns(&r, "deployment.dockerfile")
            .any(|f| f.title.contains("runs as root") && f.severity == Some(Severity::P1)),
        "{:#?}",
        concerns(&r, "deployment.dockerfile").collect::<Vec<_>>()
    );
}

#[test]
fn a_member_with_its_own_readme_has_one_while_a_member_without_any_does_not() {
    let r = with_old_service("# Screenshot Worker\n\nRenders screenshots of status pages.\n");
    let missing: Vec<&Finding> = concerns(&r, "documentation.readme")
        .filter(|f| f.title.contains("No README"))
        .collect();
    assert!(
        missing
            .iter()
            .all(|f| f.project.as_deref() != Some("apps/old")),
        "{missing:#?}"
    );
    assert!(
        missing
            .iter()
            .any(|f| f.project.as_deref() == Some("apps/api")),
        "{missing:#?}"
    );
}

/// A yarn workspace in `web/` whose CI job runs `cd web && yarn test`, the `test`
/// script reaching a member through script aliases (`yarn SERVER run test`, with
/// `"SERVER": "yarn workspace collab-server"`), or `lint` only.
fn aliased_workspace(ci_script: &str) -> Review {
    let ci = format!(
        "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: Test\n        run: cd web/ && yarn {ci_script}\n"
    );
    let files = vec![
        (
            "web/package.json",
            r#"{ "name": "web", "private": true, "workspaces": ["servers/*", "packages/*"], "scripts": { "test": "yarn server:test", "server:test": "yarn SERVER run test", "lint": "yarn SERVER run lint", "SERVER": "yarn workspace collab-server" } }"#,
        ),
        (
            "web/servers/collab/package.json",
            r#"{ "name": "collab-server", "version": "1.0.0", "scripts": { "test": "vitest run", "lint": "eslint ." }, "dependencies": { "express": "^4.0.0" }, "devDependencies": { "vitest": "^3.0.0" } }"#,
        ),
        (
            "web/servers/collab/src/index.ts",
            "import express from 'express';\nexport const add = (a: number, b: number) => a + b;\nexpress().listen(4444);\n",
        ),
        (
            "web/servers/collab/src/index.test.ts",
            "import { test, expect } from 'vitest';\nimport { add } from './index';\ntest('adds', () => { expect(add(1, 2)).toBe(3); });\n",
        ),
        (".github/workflows/ci.yml", ci.as_str()),
    ];
    let dir = crate::support::materialize(&crate::support::files(&files));
    audit(dir.path())
}

#[test]
fn a_member_reached_through_script_aliases_of_its_workspace_root_runs_in_ci() {
    let tested = aliased_workspace("test");
    let _ = project(&tested, "web/servers/collab");
    assert!(
        !concerns(&tested, "ci.tests").any(|f| f.project.as_deref() == Some("web/servers/collab")),
        "yarn test → yarn SERVER run test → yarn workspace collab-server run test"
    );
    let linted = aliased_workspace("lint");
    assert!(
        concerns(&linted, "ci.tests").any(|f| f.project.as_deref() == Some("web/servers/collab")),
        "a lint script reaching the member runs no tests"
    );
}

/// A tested API beside a front end with no tests: a Next.js browser front end, or an
/// Expo mobile app when `mobile`.
fn api_and_untested_front_end(mobile: bool) -> Review {
    let web = if mobile {
        r#"{ "name": "web", "version": "1.0.0", "dependencies": { "expo": "^51.0.0", "react": "^18.0.0", "react-native": "^0.74.0" } }"#
    } else {
        r#"{ "name": "web", "version": "1.0.0", "scripts": { "build": "next build" }, "dependencies": { "next": "^14.0.0", "react": "^18.0.0" } }"#
    };
    // Over 500 lines of pages: not a small helper.
    let mut page = String::from("import { useState } from 'react';\n\n");
    for i in 0..150 {
        page.push_str(&format!(
            "export function Counter{i}() {{\n  const [n, setN] = useState({i});\n  return <button onClick={{() => setN(n + 1)}}>{{n}}</button>;\n}}\n\n"
        ));
    }
    let page = page.as_str();
    let files = vec![
        (
            "api/pyproject.toml",
            "[project]\nname = \"api\"\nversion = \"1.0\"\ndependencies = [\"fastapi\"]\n",
        ),
        ("api/api/__init__.py", ""),
        (
            "api/api/main.py",
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/items\")\ndef items():\n    return []\n",
        ),
        (
            "api/tests/test_main.py",
            "from api.main import items\n\n\ndef test_items():\n    assert items() == []\n",
        ),
        ("web/package.json", web),
        ("web/app/page.tsx", page),
        (
            "web/Dockerfile",
            "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nUSER node\nEXPOSE 3000\nCMD [\"npm\", \"start\"]\n",
        ),
    ];
    let dir = crate::support::materialize(&crate::support::files(&files));
    audit(dir.path())
}

#[test]
fn a_browser_front_end_without_tests_beside_a_tested_api_is_p2_and_a_mobile_app_is_not_lowered() {
    let browser = api_and_untested_front_end(false);
    let untested: Vec<&Finding> = concerns(&browser, "tests.suite")
        .filter(|f| f.project.as_deref() == Some("web"))
        .collect();
    assert_eq!(untested.len(), 1, "{untested:?}");
    assert_eq!(untested[0].severity, Some(Severity::P2));
    let mobile = api_and_untested_front_end(true);
    let untested: Vec<&Finding> = concerns(&mobile, "tests.suite")
        .filter(|f| f.project.as_deref() == Some("web"))
        .collect();
    assert_eq!(untested.len(), 1, "{untested:?}");
    assert_eq!(
        untested[0].severity,
        Some(Severity::P1),
        "{}",
        untested[0].message
    );
}

#[test]
fn a_dockerfile_beside_build_tooling_pinned_by_a_tools_constraint_makes_no_project() {
    // Tracked in git: an untracked `build/` is a build's output and never read.
    let files = |tools: &str| {
        let dir = crate::support::materialize(&crate::support::files(&[
            ("go.mod", "module example.com/game\n\ngo 1.22\n"),
            (
                "main.go",
                "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.ListenAndServe(\":7350\", nil)\n}\n",
            ),
            ("build/tools.go", tools),
            (
                "build/Dockerfile",
                "FROM golang:1.22 AS builder\nCOPY . .\nRUN go build -o /out/game .\n\nFROM debian:bookworm-slim\nCOPY --from=builder /out/game /game\nUSER 1000\nEXPOSE 7350\nENTRYPOINT [\"/game\"]\n",
            ),
        ]));
        crate::support::git(dir.path(), "2024-01-01T00:00:00Z", &["init", "-q"]);
        crate::support::commit_all(dir.path(), "2024-01-01T00:00:00Z");
        dir
    };
    // `// +build tools` (the older form of `//go:build tools`): the file pins the
    // module's tool dependencies and is compiled into no program.
    let dir = files(
        "// +build tools\n\n// Copyright\n\npackage tools\n\nimport _ \"github.com/golang/mock/mockgen\"\n",
    );
    let r = audit(dir.path());
    assert_eq!(paths(&r), ["."]);
    // Beside a package of code the same Dockerfile makes `build` a project of its own.
    let dir = files("package tools\n\nfunc Version() string {\n\treturn \"1\"\n}\n");
    let r = audit(dir.path());
    assert_eq!(paths(&r), [".", "build"]);
}

#[test]
fn lint_rules_and_tool_configuration_at_a_workspace_root_are_not_an_untested_product() {
    let rule = "export default {\n  meta: { type: \"problem\" },\n  create(context) {\n    return {\n      CallExpression(node) {\n        if (node.callee.name === \"alert\") context.report({ node, message: \"no alert\" });\n      },\n    };\n  },\n};\n".repeat(40);
    let config = "import rule from \"./eslint-rules/no-alert.mjs\";\n\nexport default [{ plugins: { local: { rules: { \"no-alert\": rule } } } }];\n".repeat(40);
    let plop = "export default function (plop) {\n  plop.setGenerator(\"component\", { prompts: [], actions: [] });\n}\n".repeat(30);
    let server = "import http from \"node:http\";\n\nhttp.createServer((req, res) => res.end(\"ok\")).listen(3000);\n".repeat(120);
    let files = |with_server: bool| {
        let mut all = crate::support::files(&[
            (
                "package.json",
                r#"{ "name": "app", "private": true, "scripts": { "test": "pnpm -r run test", "start": "pm2-runtime start ecosystem.config.js" } }"#,
            ),
            ("pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n"),
            // The image built at the root serves the members: the root is a service.
            (
                "Dockerfile",
                "FROM node:22-slim\nWORKDIR /app\nCOPY . .\nRUN corepack enable && pnpm install --frozen-lockfile && pnpm -r build\nUSER node\nEXPOSE 3000\nHEALTHCHECK CMD curl -f http://localhost:3000/health || exit 1\nCMD [\"pnpm\", \"start\"]\n",
            ),
            (
                "ecosystem.config.js",
                "module.exports = {\n  apps: [{ name: \"api\", script: \"packages/api/dist/server.js\", instances: 2 }],\n};\n",
            ),
            (
                "packages/api/package.json",
                r#"{ "name": "api", "version": "1.0.0", "scripts": { "test": "vitest run" }, "dependencies": { "express": "^4.0.0" } }"#,
            ),
            (
                "packages/api/src/server.ts",
                "import express from \"express\";\n\nexport const app = express();\napp.get(\"/health\", (_req, res) => res.send(\"ok\"));\n",
            ),
            (
                "packages/api/src/server.test.ts",
                "import { it, expect } from \"vitest\";\nimport { app } from \"./server\";\n\nit(\"builds\", () => {\n  expect(app).toBeDefined();\n});\n",
            ),
            ("eslint-rules/no-alert.mjs", &rule),
            ("eslint.config.mjs", &config),
            ("plopfile.js", &plop),
        ]);
        if with_server {
            all.insert("server/index.js".into(), server.clone());
        }
        crate::support::materialize(&all)
    };
    let root_untested = |r: &Review| {
        concerns(r, "tests.suite")
            .filter(|f| f.project.as_deref() == Some("."))
            .count()
    };
    let dir = files(false);
    let r = audit(dir.path());
    assert_eq!(root_untested(&r), 0, "{:#?}", r.findings);
    // A server of the root's own beside them is production code no test covers.
    let dir = files(true);
    let r = audit(dir.path());
    assert_eq!(root_untested(&r), 1, "{:?}", paths(&r));
}

#[test]
fn a_workspace_package_only_listed_as_a_development_dependency_is_tooling() {
    let network = "import { createServer } from \"node:http\";\n\nexport async function startNetwork(port: number) {\n  return createServer((_req, res) => res.end(\"ok\")).listen(port);\n}\n".repeat(20);
    let lib = "export function formatHandle(h: string): string {\n  return h.toLowerCase();\n}\n"
        .repeat(20);
    let files = |kind: &str| {
        let root = format!(
            r#"{{ "name": "acme", "private": true, "workspaces": ["packages/*"], "{kind}": {{ "@acme/dev-env": "workspace:*" }} }}"#
        );
        let dir = crate::support::materialize(&crate::support::files(&[
            ("package.json", root.as_str()),
            (
                "packages/dev-env/package.json",
                r#"{ "name": "@acme/dev-env", "version": "0.1.0" }"#,
            ),
            ("packages/dev-env/src/network.ts", &network),
            (
                "packages/lib/package.json",
                r#"{ "name": "@acme/lib", "version": "0.1.0" }"#,
            ),
            ("packages/lib/src/index.ts", &lib),
            (
                "packages/server/package.json",
                r#"{ "name": "@acme/server", "version": "0.1.0", "dependencies": { "@acme/lib": "workspace:*" }, "devDependencies": { "@acme/lib": "workspace:*" } }"#,
            ),
            (
                "packages/server/src/index.ts",
                "import { formatHandle } from \"@acme/lib\";\n\nconsole.log(formatHandle(\"A\"));\n",
            ),
        ]));
        audit(dir.path())
    };
    // The local test network every suite starts: tooling, and it decides nothing.
    let r = files("devDependencies");
    assert_eq!(project(&r, "packages/dev-env").role, Role::Tooling);
    assert!(!project(&r, "packages/dev-env").decides);
    // A package also listed as a runtime dependency ships with its dependent.
    assert_eq!(project(&r, "packages/lib").role, Role::Product);
    // The same package listed as a runtime dependency is product code.
    let r = files("dependencies");
    assert_eq!(project(&r, "packages/dev-env").role, Role::Product);
}

/// A workspace whose root image builds every member, and a server that logs through
/// the logger of a workspace package it depends on (`logged` false: nothing logs).
fn server_logging_through_a_workspace_package(logged: bool) -> Review {
    let logger = if logged {
        "import winston from 'winston';\n\nexport const logger = winston.createLogger({});\n"
    } else {
        "export const logger = { info: (m: string) => m };\n"
    };
    let utils_manifest = if logged {
        r#"{ "name": "@ws/utils", "version": "1.0.0", "main": "lib/logger.ts", "dependencies": {"winston": "3.0.0"} }"#
    } else {
        r#"{ "name": "@ws/utils", "version": "1.0.0", "main": "lib/logger.ts" }"#
    };
    let files = [
        (
            "package.json",
            r#"{ "name": "ws", "private": true, "workspaces": ["packages/*"], "scripts": {"build": "tsc -b"} }"#,
        ),
        (
            "Dockerfile",
            "FROM node:22 AS web\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nEXPOSE 8080\nUSER node\n",
        ),
        (
            "scripts.ts",
            "export function helper(a: number): number {\n  return a + 1;\n}\n",
        ),
        ("packages/utils/package.json", utils_manifest),
        ("packages/utils/lib/logger.ts", logger),
        (
            "packages/server/package.json",
            r#"{ "name": "@ws/server", "version": "1.0.0", "main": "lib/server.ts", "dependencies": {"@ws/utils": "1.0.0", "express": "4.0.0"} }"#,
        ),
        (
            "packages/server/lib/server.ts",
            "import express from 'express';\nimport { logger } from '@ws/utils';\n\nconst app = express();\napp.get('/health', (_req, res) => res.send('ok'));\napp.listen(3000, () => logger.info('started'));\n",
        ),
    ];
    audit(crate::support::materialize(&crate::support::files(&files)).path())
}

#[test]
fn a_server_that_logs_through_a_workspace_package_has_logging_and_the_roots_absence_is_p2() {
    let worst = |r: &Review| {
        concerns(r, "observability.logging")
            .filter_map(|f| f.severity)
            .min()
    };
    let r = server_logging_through_a_workspace_package(true);
    assert_eq!(worst(&r), Some(Severity::P2));
    assert!(
        concerns(&r, "observability.logging").any(|f| f.message.contains("`packages/server`")),
        "{:#?}",
        concerns(&r, "observability.logging").collect::<Vec<_>>()
    );
    // Nothing logs anywhere: the absence stands.
    assert_eq!(
        worst(&server_logging_through_a_workspace_package(false)),
        Some(Severity::P1)
    );
}
