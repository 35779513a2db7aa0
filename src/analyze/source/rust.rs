//! Rust source rules.

use std::sync::LazyLock;

use regex::Regex;

use super::{Import, Route, Scan, Setting, rule, with};
use crate::repo::RepoFile;

struct Rules {
    use_decl: Option<Regex>,
    extern_crate: Option<Regex>,
    attr_path: Option<Regex>,
    path_root: Option<Regex>,
    env: Option<Regex>,
    test: Option<Regex>,
    bench: Option<Regex>,
    route: Option<Regex>,
    main: Option<Regex>,
    cfg_test: Option<Regex>,
    server: Option<Regex>,
    settings: Vec<(Option<Regex>, Setting)>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    use_decl: rule(
        r"(?m)^[ \t]*(?:pub(?:\([^)\n]*\))?[ \t]+)?use[ \t]+(?:::)?([A-Za-z_][A-Za-z0-9_]*)",
    ),
    extern_crate: rule(r"(?m)^[ \t]*extern[ \t]+crate[ \t]+([A-Za-z_][A-Za-z0-9_]*)"),
    attr_path: rule(r"#\[([a-z_][a-z0-9_]*)::"),
    path_root: rule(r"(?:^|[^:\w])([a-z_][a-z0-9_]*)::[A-Za-z_{*<]"),
    env: rule(r#"(?:\benv::var(?:_os)?\(\s*|\benv\s*=\s*)"([A-Za-z_][A-Za-z0-9_]*)""#),
    test: rule(
        r"#\[(?:[a-z_]+::)*(?:test|async_test|rstest|quickcheck|test_case)\b[^\]\n]*\](?:\s*#\[[^\]\n]*\])*\s*(?:pub(?:\([^)\n]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)",
    ),
    bench: rule(
        r"#\[(?:divan::)?bench\b[^\]\n]*\](?:\s*#\[[^\]\n]*\])*\s*(?:pub\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)|\bcriterion_group!\s*\(\s*(?:name\s*=\s*)?([A-Za-z_][A-Za-z0-9_]*)",
    ),
    route: rule(
        r#"\.route\(\s*"([^"\n]+)"|#\[(?:get|post|put|delete|patch|head|route)\(\s*"([^"\n]+)"|\bpath!\(\s*"([^"\n]+)""#,
    ),
    main: rule(r"(?m)^[ \t]*(?:pub[ \t]+)?(?:async[ \t]+)?fn[ \t]+main[ \t]*\("),
    cfg_test: rule(r"(?m)^[ \t]*#\[cfg\(test\)\]"),
    server: rule(
        r"\baxum::serve\(|\bHttpServer::new\(|\brocket::build\(|#\[launch\]|\bwarp::serve\(|\bServer::bind\(|\bServer::builder\(",
    ),
    settings: vec![
        (
            rule(
                r#"\bbind\(\s*\(?\s*"(?:0\.0\.0\.0|\[::\]|::)"|"(?:0\.0\.0\.0|\[::\]):\d+"|\(\s*\[0,\s*0,\s*0,\s*0\]\s*,|\bIpv[46]Addr::UNSPECIFIED\b"#,
            ),
            Setting::BindAll,
        ),
        // tower-http: `very_permissive` mirrors the origin and allows credentials;
        // `permissive` sends `*` without credentials.
        (
            rule(r"\bCorsLayer::very_permissive\(\)"),
            Setting::CorsAnyOrigin {
                credentials: Some(true),
                reflects: true,
            },
        ),
        (
            rule(r"\bCorsLayer::permissive\(\)"),
            Setting::CorsAnyOrigin {
                credentials: Some(false),
                reflects: false,
            },
        ),
        // actix-cors: `permissive` echoes any origin and supports credentials.
        (
            rule(r"\bCors::permissive\(\)"),
            Setting::CorsAnyOrigin {
                credentials: Some(true),
                reflects: true,
            },
        ),
        // actix-cors `allow_any_origin` echoes the origin; tower-http
        // `AllowOrigin::mirror_request` too; tower-http `Any` sends `*`.
        (
            rule(r"\.allow_any_origin\(\)|\bAllowOrigin::mirror_request\(\)"),
            Setting::CorsAnyOrigin {
                credentials: None,
                reflects: true,
            },
        ),
        (
            rule(r"\.allow_origin\(\s*(?:[\w:]*::)?(?:Any\b|AllowOrigin::any\(\))"),
            Setting::CorsAnyOrigin {
                credentials: None,
                reflects: false,
            },
        ),
        (
            rule(r"\.allow_credentials\(\s*true\s*\)|\.supports_credentials\(\)"),
            Setting::CorsCredentials,
        ),
    ],
});

const NOT_CRATES: &[&str] = &[
    "crate",
    "self",
    "super",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
];

pub(super) fn scan(file: &RepoFile, s: &mut Scan<'_>) {
    let r = &*RULES;
    let mut imports = Vec::new();
    for re in [&r.use_decl, &r.extern_crate, &r.attr_path]
        .into_iter()
        .flatten()
    {
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1) {
                if !NOT_CRATES.contains(&m.as_str()) {
                    imports.push(Import::new(m.as_str().to_string(), line));
                }
            }
        });
    }
    // Crates used by path without a `use` (`log::info!`, `sentry::init(..)`): the first
    // use of each root counts as an import of it.
    if let Some(re) = &r.path_root {
        let mut seen: std::collections::HashSet<String> =
            imports.iter().map(|i| i.module.clone()).collect();
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1) {
                let name = m.as_str();
                if !NOT_CRATES.contains(&name) && seen.insert(name.to_string()) {
                    imports.push(Import::new(name.to_string(), line));
                }
            }
        });
    }
    imports.sort_by_key(|i| i.line);
    s.facts.imports = imports;

    s.facts.env_reads = s.group1(&r.env);

    s.facts.tests = s.group1(&r.test);

    let mut benches = Vec::new();
    with(&r.bench, |re| {
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1).or_else(|| caps.get(2)) {
                benches.push((m.as_str().to_string(), line));
            }
        })
    });
    s.facts.benchmarks = benches;

    let mut routes = Vec::new();
    with(&r.route, |re| {
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1).or_else(|| caps.get(2)).or_else(|| caps.get(3)) {
                routes.push(Route {
                    path: m.as_str().to_string(),
                    line,
                });
            }
        })
    });
    s.facts.routes = routes;

    let is_bin = file.path.ends_with("src/main.rs") || file.path.contains("src/bin/");
    if is_bin {
        let mut main = None;
        with(&r.main, |re| {
            s.each(re, |_, line| {
                main.get_or_insert(line);
            })
        });
        s.facts.main_entry = main;
    }
    let mut cfg_test = None;
    with(&r.cfg_test, |re| {
        s.each(re, |_, line| {
            cfg_test.get_or_insert(line);
        })
    });
    s.facts.inline_tests_from = cfg_test;

    let mut servers = Vec::new();
    with(&r.server, |re| s.each(re, |_, line| servers.push(line)));
    s.facts.server_starts = servers;

    s.settings(&r.settings);
}

#[cfg(test)]
mod tests {
    use super::super::test_support::file;
    use super::super::{Setting, scan};

    #[test]
    fn crates_used_by_path_count_as_imports() {
        let s = scan(0, &file("src/main.rs", "fn main() {\n    env_logger::init();\n    log::info!(\"x\");\n    std::process::exit(0);\n}\n")).unwrap();
        let mods: Vec<(&str, u32)> = s
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.line))
            .collect();
        assert_eq!(mods, vec![("env_logger", 2), ("log", 3)]);
    }

    #[test]
    fn finds_crates_tests_env_and_routes() {
        let text = "use std::env;\nuse serde::Deserialize;\nuse crate::x;\n\n#[tokio::main]\nasync fn main() {\n    let k = env::var(\"API_TOKEN\");\n    let app = Router::new().route(\"/healthz\", get(h));\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {}\n    #[tokio::test]\n    async fn runs() {}\n    #[rocket::async_test]\n    async fn serves() {}\n}\n";
        let s = scan(0, &file("src/main.rs", text)).unwrap();
        let mods: Vec<&str> = s.imports.iter().map(|i| i.module.as_str()).collect();
        assert_eq!(mods, vec!["serde", "tokio", "env", "tokio", "rocket"]);
        assert_eq!(s.env_reads, vec![("API_TOKEN".to_string(), 7)]);
        assert_eq!(s.routes[0].path, "/healthz");
        assert_eq!(s.main_entry, Some(6));
        assert_eq!(
            s.tests,
            vec![
                ("adds".to_string(), 13),
                ("runs".to_string(), 15),
                ("serves".to_string(), 17)
            ]
        );
        assert_eq!(s.inline_tests_from, Some(11));
    }

    #[test]
    fn bind_addresses_and_cors_presets() {
        let text = "async fn main() {\n    let l = TcpListener::bind(\"0.0.0.0:3000\").await;\n    let l = TcpListener::bind(\"127.0.0.1:3000\").await;\n    HttpServer::new(f).bind((\"0.0.0.0\", 8080));\n    let a = SocketAddr::from(([0, 0, 0, 0], 3000));\n    let c = CorsLayer::very_permissive();\n    let c = CorsLayer::permissive();\n    let c = Cors::default().allow_any_origin().supports_credentials();\n    let c = CorsLayer::new().allow_origin(Any);\n}\n";
        let s = scan(0, &file("src/main.rs", text)).unwrap();
        let got: Vec<(Setting, u32)> = s.app_settings.iter().map(|a| (a.setting, a.line)).collect();
        assert_eq!(
            got,
            vec![
                (Setting::BindAll, 2),
                (Setting::BindAll, 4),
                (Setting::BindAll, 5),
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(true),
                        reflects: true
                    },
                    6
                ),
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(false),
                        reflects: false
                    },
                    7
                ),
                (
                    Setting::CorsAnyOrigin {
                        credentials: None,
                        reflects: true
                    },
                    8
                ),
                (Setting::CorsCredentials, 8),
                (
                    Setting::CorsAnyOrigin {
                        credentials: None,
                        reflects: false
                    },
                    9
                ),
            ]
        );
    }
}
