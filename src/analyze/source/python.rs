//! Python source rules.

use std::sync::LazyLock;

use regex::Regex;

use super::{Import, Route, Scan, rule, with};
use crate::repo::{FileKind, RepoFile};

struct Rules {
    import: Option<Regex>,
    from: Option<Regex>,
    env: Option<Regex>,
    test: Option<Regex>,
    route: Option<Regex>,
    django_path: Option<Regex>,
    main: Option<Regex>,
    server: Option<Regex>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    import: rule(
        r"(?m)^[ \t]*import[ \t]+([A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?)*)",
    ),
    from: rule(r"(?m)^[ \t]*from[ \t]+(\.*[A-Za-z_][\w.]*|\.+)[ \t]+import[ \t]*(\(|[^\n#]*)"),
    env: rule(
        r#"\b(?:environ\s*\[\s*|environ\.(?:get|setdefault|pop)\s*\(\s*|getenv\s*\(\s*)[rbuRBU]?["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
    ),
    test: rule(r"(?m)^[ \t]*(?:async[ \t]+)?def[ \t]+(test\w*)[ \t]*\("),
    route: rule(
        r#"(?m)^[ \t]*@[ \t]*\w+(?:\.\w+)*\.(?:get|post|put|delete|patch|head|options|route|api_route|websocket)\(\s*[rf]?["']([^"'\n]*)["']"#,
    ),
    django_path: rule(r#"\b(?:re_)?path\(\s*r?["']\^?([^"'\n]*)["']"#),
    main: rule(r#"(?m)^if[ \t]+__name__[ \t]*==[ \t]*["']__main__["'][ \t]*:"#),
    server: rule(
        r"\b(?:FastAPI|Flask|Starlette|Quart|Sanic|Litestar)\(|\buvicorn\.run\(|\bweb\.run_app\(|\bget_(?:wsgi|asgi)_application\(|\bserve_forever\(|\bHTTPServer\(",
    ),
});

/// Longest parenthesised `from … import (…)` list read, in bytes.
const MAX_IMPORT_LIST: usize = 4096;

pub(super) fn scan(file: &RepoFile, s: &mut Scan<'_>) {
    let r = &*RULES;
    let text = s.text;
    let mut imports = Vec::new();
    with(&r.import, |re| {
        s.each(re, |caps, line| {
            let Some(list) = caps.get(1) else { return };
            for part in list.as_str().split(',') {
                let module = part.split_whitespace().next().unwrap_or("");
                if !module.is_empty() {
                    imports.push(Import::new(module.to_string(), line));
                }
            }
        })
    });
    with(&r.from, |re| {
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1) {
                let mut import = Import::new(m.as_str().to_string(), line);
                if let Some(names) = caps.get(2) {
                    // A parenthesised list may span lines: read to its `)` by hand,
                    // within a bound (a regex spanning lines costs quadratic time on a
                    // file of unclosed parentheses).
                    let list = if names.as_str() == "(" {
                        let rest = text.get(names.end()..).unwrap_or("");
                        let window = rest.get(..rest.len().min(MAX_IMPORT_LIST)).unwrap_or(rest);
                        window.split(')').next().unwrap_or("")
                    } else {
                        names.as_str()
                    };
                    import.names = list
                        .trim_matches(['(', ')', ' ', '\t', '\\'])
                        .split(',')
                        .filter_map(|n| n.split_whitespace().next())
                        .filter(|n| {
                            n.chars().all(|c| c.is_alphanumeric() || c == '_') && !n.is_empty()
                        })
                        .map(str::to_string)
                        .collect();
                }
                imports.push(import);
            }
        })
    });
    imports.sort_by_key(|i| i.line);
    s.facts.imports = imports;

    s.facts.env_reads = s.group1(&r.env);

    if file.kind == FileKind::Test {
        s.facts.tests = s.group1(&r.test);
    }

    let mut routes = Vec::new();
    with(&r.route, |re| {
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1) {
                routes.push(Route {
                    path: m.as_str().to_string(),
                    line,
                });
            }
        })
    });
    if file.name() == "urls.py" {
        with(&r.django_path, |re| {
            s.each(re, |caps, line| {
                if let Some(m) = caps.get(1) {
                    routes.push(Route {
                        path: format!("/{}", m.as_str().trim_start_matches('/')),
                        line,
                    });
                }
            })
        });
    }
    s.facts.routes = routes;

    let mut main = None;
    with(&r.main, |re| {
        s.each(re, |_, line| {
            main.get_or_insert(line);
        })
    });
    if file.name() == "__main__.py" {
        main.get_or_insert(1);
    }
    s.facts.main_entry = main;

    let mut servers = Vec::new();
    with(&r.server, |re| {
        s.each(re, |_, line| {
            // A definition (`def get_asgi_application(`) is not a start-up.
            let text = file.line(line).trim_start();
            if !text.starts_with("def ")
                && !text.starts_with("async def ")
                && !text.starts_with("class ")
            {
                servers.push(line);
            }
        })
    });
    s.facts.server_starts = servers;
}

#[cfg(test)]
mod tests {
    use super::super::scan;
    use super::super::test_support::file;

    #[test]
    fn finds_imports_env_routes_and_main() {
        let f = file(
            "svc/app.py",
            "import os, json as j\nfrom .models import User\nfrom fastapi import FastAPI\n\napp = FastAPI()\nKEY = os.environ.get(\"OPENAI_API_KEY\")\nDB = os.getenv('DATABASE_URL')\n\n@app.get(\"/health\")\ndef health():\n    return {}\n\nif __name__ == \"__main__\":\n    pass\n",
        );
        let s = scan(0, &f).unwrap();
        let mods: Vec<&str> = s.imports.iter().map(|i| i.module.as_str()).collect();
        assert_eq!(mods, vec!["os", "json", ".models", "fastapi"]);
        assert_eq!(
            s.env_reads,
            vec![
                ("OPENAI_API_KEY".to_string(), 6),
                ("DATABASE_URL".to_string(), 7)
            ]
        );
        assert_eq!(s.routes[0].path, "/health");
        assert_eq!(s.routes[0].line, 9);
        assert_eq!(s.main_entry, Some(13));
        assert_eq!(s.server_starts, vec![5]);
    }

    #[test]
    fn counts_tests_only_in_test_files() {
        let body =
            "def test_a():\n    pass\n\nasync def test_b():\n    pass\n\ndef helper():\n    pass\n";
        assert_eq!(
            scan(0, &file("tests/test_x.py", body)).unwrap().tests.len(),
            2
        );
        assert_eq!(scan(0, &file("pkg/x.py", body)).unwrap().tests.len(), 0);
    }

    #[test]
    fn commented_import_is_ignored() {
        let s = scan(0, &file("a.py", "# import requests\nimport yaml\n")).unwrap();
        assert_eq!(s.imports.len(), 1);
        assert_eq!(s.imports[0].module, "yaml");
    }
}
