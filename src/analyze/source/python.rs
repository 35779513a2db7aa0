//! Python source facts come from the syntax tree (`analyze::python`): this maps the
//! parse into the language-neutral [`SourceFacts`](super::SourceFacts) fields.

use super::{Import, Route, Scan};
use crate::analyze::python;
use crate::repo::{FileKind, RepoFile};

pub(super) fn scan(file: &RepoFile, s: &mut Scan<'_>) {
    // A generator's template of a module is text to render, not Python.
    if file.kind == FileKind::Fixture && crate::repo::kind::looks_template(&file.path, s.text) {
        return;
    }
    let test_file = file.kind == FileKind::Test || is_test_name(file.name());
    let Some(py) = python::parse(s.text, test_file) else {
        return;
    };
    s.facts.imports = py
        .imports
        .iter()
        .map(|i| Import {
            module: format!("{}{}", ".".repeat(usize::from(i.level)), i.module),
            line: i.line,
            names: i.names.clone(),
        })
        .collect();
    s.facts.env_reads = py.env_reads.clone();
    if file.kind == FileKind::Test {
        s.facts.tests = py.tests.iter().map(|t| (t.name.clone(), t.line)).collect();
    }
    s.facts.routes = py
        .routes
        .iter()
        .map(|r| Route {
            path: r.path.clone(),
            line: r.line,
        })
        .collect();
    s.facts.main_entry = py.main_guard;
    if file.name() == "__main__.py" {
        s.facts.main_entry.get_or_insert(1);
    }
    s.facts.server_starts = py.server_starts.clone();
    s.facts.app_settings = py.app_settings.clone();
    s.facts.python = Some(Box::new(py));
}

/// pytest's default test file names.
fn is_test_name(name: &str) -> bool {
    name == "conftest.py"
        || (name.starts_with("test_") && name.ends_with(".py"))
        || name.ends_with("_test.py")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::file;
    use super::super::{Setting, scan};

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

    fn settings(path: &str, text: &str) -> Vec<(Setting, u32, Option<String>)> {
        scan(0, &file(path, text))
            .unwrap()
            .app_settings
            .into_iter()
            .map(|s| (s.setting, s.line, s.scope))
            .collect()
    }

    const DEBUG: Setting = Setting::Debug {
        module_constant: false,
        local: false,
    };

    #[test]
    fn debug_switches_set_to_a_literal_true() {
        let text = "from flask import Flask
import asyncio
app = Flask(__name__)
app.debug = True
app.config[\"DEBUG\"] = True
app.config.update(DEBUG=True)
asyncio.run(main(), debug=True)
self.debug = True
if __name__ == \"__main__\":\n    app.run(debug=True)\n";
        let got: Vec<u32> = settings("app.py", text)
            .into_iter()
            .map(|(s, l, _)| {
                assert_eq!(s, DEBUG);
                l
            })
            .collect();
        assert_eq!(got, vec![4, 5, 6, 10]);
        assert_eq!(
            settings("s.py", "from fastapi import FastAPI\napp = FastAPI(debug=True)\nrun_simple('localhost', 5000, app, use_debugger=True)\n").len(),
            2
        );
    }

    #[test]
    fn debug_from_the_environment_is_not_a_literal() {
        let text = "import os\nDEBUG = os.environ.get('DEBUG') == '1'\nDEBUG = env.bool('DEBUG', default=True)\napp.run(debug=os.getenv('X') == '1')\n";
        assert!(settings("settings.py", text).is_empty());
    }

    #[test]
    fn module_and_class_debug_constants_keep_their_scope() {
        let text = "DEBUG = True\nclass DevelopmentConfig:\n    DEBUG = True\ndef f():\n    DEBUG = True\n";
        assert_eq!(
            settings("config.py", text),
            vec![
                (
                    Setting::Debug {
                        module_constant: true,
                        local: false
                    },
                    1,
                    None
                ),
                (
                    Setting::Debug {
                        module_constant: false,
                        local: false
                    },
                    3,
                    Some("DevelopmentConfig".to_string())
                ),
            ]
        );
    }

    #[test]
    fn servers_bound_to_every_interface() {
        let text = "import uvicorn\nuvicorn.run(app, host=\"0.0.0.0\", port=8000)\napp.run(host='127.0.0.1')\nrun_simple('0.0.0.0', 5000, app)\nHTTPServer(('', 8000), H)\nweb.run_app(app, host='::')\n";
        let lines: Vec<u32> = settings("main.py", text)
            .into_iter()
            .filter(|(s, _, _)| *s == Setting::BindAll)
            .map(|(_, l, _)| l)
            .collect();
        assert_eq!(lines, vec![2, 4, 5, 6]);
    }

    #[test]
    fn cors_any_origin_with_and_without_credentials() {
        let text = "from fastapi.middleware.cors import CORSMiddleware\nfrom flask_cors import CORS\napp.add_middleware(CORSMiddleware, allow_origins=[\"*\"], allow_credentials=True)\napp.add_middleware(CORSMiddleware, allow_origins=['*'])\napp.add_middleware(CORSMiddleware, allow_origins=['https://a.example'], allow_credentials=True)\nCORS(app, supports_credentials=True)\nCORS(app, origins=['https://a.example'], supports_credentials=True)\n";
        assert_eq!(
            settings("app.py", text),
            vec![
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(true),
                        reflects: true
                    },
                    3,
                    None
                ),
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(false),
                        reflects: false
                    },
                    4,
                    None
                ),
                // No `origins`: the app's CORS_ORIGINS decides.
                (
                    Setting::CorsConfiguredOrigins { credentials: true },
                    6,
                    None
                ),
            ]
        );
    }

    #[test]
    fn cors_origin_lists_in_settings() {
        let text =
            "CORS_ORIGINS = ['https://a.example', 'http://localhost:8000']\nCORS_ORIGINS = ['*']\n";
        assert_eq!(
            settings("settings.py", text),
            vec![(Setting::CorsOriginList, 1, None)]
        );
    }

    #[test]
    fn django_cors_and_host_settings() {
        let text = "CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = True\nALLOWED_HOSTS = ['*']\nALLOWED_HOSTS = ['example.com']\n";
        assert_eq!(
            settings("settings.py", text),
            vec![
                (
                    Setting::CorsAnyOrigin {
                        credentials: None,
                        reflects: true
                    },
                    1,
                    None
                ),
                (Setting::CorsCredentials, 2, None),
                (Setting::AnyHost, 3, None),
            ]
        );
    }

    #[test]
    fn commented_import_is_ignored() {
        let s = scan(0, &file("a.py", "# import requests\nimport yaml\n")).unwrap();
        assert_eq!(s.imports.len(), 1);
        assert_eq!(s.imports[0].module, "yaml");
    }
}
