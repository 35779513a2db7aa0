//! Go source rules.

use std::sync::LazyLock;

use regex::Regex;

use super::{Import, Route, Scan, Setting, rule, with};
use crate::repo::RepoFile;

struct Rules {
    import_single: Option<Regex>,
    import_block: Option<Regex>,
    quoted: Option<Regex>,
    env: Option<Regex>,
    test: Option<Regex>,
    bench: Option<Regex>,
    route: Option<Regex>,
    package_main: Option<Regex>,
    func_main: Option<Regex>,
    server: Option<Regex>,
    settings: Vec<(Option<Regex>, Setting)>,
    cors: Option<Regex>,
    cors_any: Option<Regex>,
    cors_reflect: Option<Regex>,
    cors_credentials: Option<Regex>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    import_single: rule(r#"(?m)^import[ \t]+(?:[\w.]+[ \t]+)?"([^"\n]+)""#),
    import_block: rule(r"(?m)^import[ \t]*\("),
    quoted: rule(r#""([^"\n]+)""#),
    env: rule(r#"\bos\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#),
    test: rule(r"(?m)^func[ \t]+((?:Test|Fuzz)\w*)[ \t]*\([ \t]*\w+[ \t]+\*testing\.[TF][ \t]*\)"),
    bench: rule(r"(?m)^func[ \t]+(Benchmark\w*)[ \t]*\([ \t]*\w+[ \t]+\*testing\.B[ \t]*\)"),
    route: rule(
        // The path, or, for a router's own methods, a prefix variable joined to the
        // rest (gorilla/mux `r.Path(webPath + "api/ping")`); `c.Get(key + "x")` is
        // no route.
        r#"\.(?:HandleFunc|Handle|GET|POST|PUT|DELETE|PATCH|Get|Post|Put|Delete|Patch|Any|Group|Route|Path|PathPrefix)\(\s*"((?:(?:GET|POST|PUT|DELETE|PATCH|HEAD)\s+)?/[^"\n]*)"|\.(?:HandleFunc|Handle|GET|POST|PUT|DELETE|PATCH|Path|PathPrefix)\(\s*[A-Za-z_][\w.]*\s*\+\s*"(/?[A-Za-z_][^"\n]*)""#,
    ),
    package_main: rule(r"(?m)^package[ \t]+main\b"),
    func_main: rule(r"(?m)^func[ \t]+main[ \t]*\([ \t]*\)"),
    server: rule(
        r#"\bListenAndServe(?:TLS)?\(|\bgrpc\.NewServer\(|\.Run\(\s*":|\.Start\(\s*":|\bapp\.Listen\(|\.Serve\(\s*\w*[Ll]is"#,
    ),
    settings: vec![
        (
            rule(r#"\bgin\.SetMode\(\s*(?:gin\.DebugMode|"debug")\s*\)"#),
            Setting::Debug {
                module_constant: false,
                local: false,
            },
        ),
        // An address with no host (`":8080"`) listens on every interface.
        (
            rule(
                r#"\b(?:ListenAndServe(?:TLS)?|Run|RunTLS|Start|StartTLS|Listen|ListenTLS)\(\s*(?:"tcp[46]?"\s*,\s*)?"(?:0\.0\.0\.0|\[::\])?:\d*"|\bhttp\.Server\s*\{[^}]{0,300}?\bAddr\s*:\s*"(?:0\.0\.0\.0|\[::\])?:\d*""#,
            ),
            Setting::BindAll,
        ),
        // rs/cors `cors.AllowAll()`: any origin, no credentials.
        (
            rule(r"\bcors\.AllowAll\(\)"),
            Setting::CorsAnyOrigin {
                credentials: Some(false),
                reflects: false,
            },
        ),
    ],
    // rs/cors `cors.Options{…}`, gin-contrib `cors.Config{…}`, echo
    // `middleware.CORSConfig{…}`.
    cors: rule(r"\b(?:cors\.(?:Options|Config)|middleware\.CORSConfig)\s*\{"),
    cors_any: rule(
        r#"\bAllowAllOrigins\s*:\s*true\b|\bAllow(?:ed)?Origins\s*:\s*(?:\[\]string\s*\{\s*"\*"|"\*")"#,
    ),
    cors_reflect: rule(
        r"(?s)\bAllowOriginFunc\s*:\s*func\([^)]*\)\s*bool\s*\{\s*return\s+true\b|\bUnsafeWildcardOriginWithAllowCredentials\s*:\s*true\b",
    ),
    cors_credentials: rule(r"\bAllowCredentials\s*:\s*true\b"),
});

/// Longest `import ( … )` block read, in bytes.
const MAX_IMPORT_BLOCK: usize = 16 * 1024;

pub(super) fn scan(_file: &RepoFile, s: &mut Scan<'_>) {
    let r = &*RULES;
    let mut imports = Vec::new();
    with(&r.import_single, |re| {
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1) {
                imports.push(Import::new(m.as_str().to_string(), line));
            }
        })
    });
    if let (Some(block), Some(quoted)) = (&r.import_block, &r.quoted) {
        for open in block.find_iter(s.text) {
            // The block runs to the first line that starts with `)`, within a bound.
            let rest = s.text.get(open.end()..).unwrap_or("");
            let window = rest.get(..rest.len().min(MAX_IMPORT_BLOCK)).unwrap_or(rest);
            let body = window
                .find("\n)")
                .map(|end| window.get(..end).unwrap_or(""))
                .unwrap_or("");
            for q in quoted.captures_iter(body) {
                let Some(m) = q.get(1) else { continue };
                let at = open.end() + m.start();
                if s.index.in_code(at) {
                    imports.push(Import::new(m.as_str().to_string(), s.index.line_of(at)));
                }
            }
        }
    }
    imports.sort_by_key(|i| i.line);
    s.facts.imports = imports;

    s.facts.env_reads = s.group1(&r.env);

    s.facts.tests = s.group1(&r.test);
    s.facts.benchmarks = s.group1(&r.bench);

    let mut routes = Vec::new();
    with(&r.route, |re| {
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1) {
                routes.push(Route {
                    path: m.as_str().to_string(),
                    line,
                });
            } else if let Some(m) = caps.get(2) {
                routes.push(Route {
                    path: format!("/{}", m.as_str().trim_start_matches('/')),
                    line,
                });
            }
        })
    });
    s.facts.routes = routes;

    let mut is_main = false;
    with(&r.package_main, |re| s.each(re, |_, _| is_main = true));
    if is_main {
        let mut main = None;
        with(&r.func_main, |re| {
            s.each(re, |_, line| {
                main.get_or_insert(line);
            })
        });
        s.facts.main_entry = main;
    }
    let mut servers = Vec::new();
    with(&r.server, |re| s.each(re, |_, line| servers.push(line)));
    s.facts.server_starts = servers;

    s.settings(&r.settings);
    s.cors_objects(&r.cors, &r.cors_any, &r.cors_reflect, &r.cors_credentials);
}

#[cfg(test)]
mod tests {
    use super::super::test_support::file;
    use super::super::{Setting, scan};

    #[test]
    fn finds_imports_main_and_routes() {
        let text = "package main\n\nimport (\n\t\"fmt\"\n\tgin \"github.com/gin-gonic/gin\"\n)\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET(\"/healthz\", h)\n\t_ = os.Getenv(\"DB_PASSWORD\")\n\tr.Run(\":8080\")\n}\n";
        let s = scan(0, &file("cmd/api/main.go", text)).unwrap();
        let mods: Vec<&str> = s.imports.iter().map(|i| i.module.as_str()).collect();
        assert_eq!(mods, vec!["fmt", "github.com/gin-gonic/gin"]);
        assert_eq!(s.imports[1].line, 5);
        assert_eq!(s.main_entry, Some(8));
        assert_eq!(s.routes[0].path, "/healthz");
        assert_eq!(s.env_reads, vec![("DB_PASSWORD".to_string(), 11)]);
        assert_eq!(s.server_starts, vec![12]);
        let mux = "package api

func Route() {
	ping := r.Path(webPath + \"api/ping\").Subrouter()
	r.PathPrefix(\"/static/\")\n\tv := c.Get(key + \"suffix\")\n}\n";
        let s = scan(0, &file("api/router.go", mux)).unwrap();
        let paths: Vec<&str> = s.routes.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, vec!["/api/ping", "/static/"]);
    }

    #[test]
    fn counts_tests_and_benchmarks() {
        let text = "package x\n\nfunc TestA(t *testing.T) {}\nfunc BenchmarkB(b *testing.B) {}\nfunc helper() {}\n";
        let s = scan(0, &file("x_test.go", text)).unwrap();
        assert_eq!(s.tests.len(), 1);
        assert_eq!(s.benchmarks.len(), 1);
    }

    #[test]
    fn gin_debug_mode_bind_addresses_and_cors_structs() {
        let text = "package main\n\nfunc main() {\n\tgin.SetMode(gin.DebugMode)\n\tgin.SetMode(gin.ReleaseMode)\n\thttp.ListenAndServe(\":8080\", nil)\n\thttp.ListenAndServe(\"127.0.0.1:8080\", nil)\n\tsrv := &http.Server{\n\t\tAddr: \"0.0.0.0:9000\",\n\t}\n\tc := cors.New(cors.Options{\n\t\tAllowedOrigins:   []string{\"*\"},\n\t\tAllowCredentials: true,\n\t})\n\tr.Use(cors.New(cors.Config{AllowOrigins: []string{\"https://a.example\"}, AllowCredentials: true}))\n\th := cors.New(cors.Options{AllowOriginFunc: func(o string) bool { return true }, AllowCredentials: true})\n}\n";
        let s = scan(0, &file("main.go", text)).unwrap();
        let got: Vec<(Setting, u32)> = s.app_settings.iter().map(|a| (a.setting, a.line)).collect();
        assert_eq!(
            got,
            vec![
                (
                    Setting::Debug {
                        module_constant: false,
                        local: false
                    },
                    4
                ),
                (Setting::BindAll, 6),
                (Setting::BindAll, 8),
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(true),
                        reflects: false
                    },
                    11
                ),
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(true),
                        reflects: true
                    },
                    16
                ),
            ]
        );
    }
}
