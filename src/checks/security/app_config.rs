//! Judges a web application's security-relevant configuration as the code writes it:
//! debug mode switched on, a server listening on every interface with no
//! authentication anywhere in the application, CORS open to any origin with
//! credentials, a Host-header allow-list that accepts any host.

use std::collections::BTreeMap;
use std::path::Path;

use crate::analyze::SourceFacts;
use crate::analyze::catalog::{ArtifactKind, DetectorKind};
use crate::analyze::source::{AppSetting, Setting};
use crate::checks::{Check, CheckDef, Context, KindSeverity, Outcome};
use crate::model::{Category, Confidence, Effort, Evidence, Severity, plural};
use crate::repo::{FileKind, RepoFile};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.app-config",
        category: Category::Security,
        title: "Web application configuration is safe for production",
        summary: "Production code of a web application does not switch debug mode on with a literal (`app.run(debug=True)`, `DEBUG = True` in a settings module, `gin.SetMode(gin.DebugMode)`), does not open CORS to any origin with credentials, does not accept any Host header, and does not listen on every interface when no authentication is found anywhere in the application. Debug flags read from the environment, development settings (labelled, P3), test and example code, and CORS `*` without credentials (a public API's normal setting) are not concerns; credentialed CORS whose configuration sends its cookie `SameSite` Lax or Strict is P2 (browsers leave the cookie off cross-site requests).",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: Some(KindSeverity {
            service: Severity::P1,
            cli: Severity::P2,
            library: Some(Severity::P2),
        }),
        effort: Effort::S,
        rationale: "A debug switch left on in code ships to production with the code: Flask/Werkzeug's debugger is a Python console in the browser, Django's debug pages print settings, SQL and local variables to whoever triggers an error. CORS that accepts any origin together with credentials lets every web site a logged-in user visits call the API as that user and read the answers. A server listening on all interfaces with no authentication in front serves everything to whoever can reach the host.",
        remediation: "Read debug from the environment with a default of off (`debug=os.environ.get(\"FLASK_DEBUG\") == \"1\"`, `DEBUG = env.bool(\"DEBUG\", default=False)`, `GIN_MODE=release`) and keep development values in development settings. List the origins that may send credentials (`allow_origins=[\"https://app.example.com\"]`) instead of `*`, `origin: true` or a permissive preset. Set `ALLOWED_HOSTS` to the served domains. Put authentication in front of a server that listens on all interfaces (middleware, a reverse proxy with auth, or a private network), or bind it to `127.0.0.1` behind the proxy.",
        action: "Turn off debug mode and restrict CORS in production configuration",
        risk: "Remote code execution and data exposure through debug pages; cross-site requests as the logged-in user",
    },
    evaluate,
};

/// Sites listed per kind of finding; the rest are counted.
const LISTED: usize = 10;

/// One production source file with the settings its scan found.
struct SettingsFile<'a> {
    file: &'a RepoFile,
    facts: &'a SourceFacts,
}

impl SettingsFile<'_> {
    fn path(&self) -> &str {
        &self.file.path
    }

    fn settings(&self) -> impl Iterator<Item = &AppSetting> {
        self.facts
            .app_settings
            .iter()
            .filter(|s| !self.facts.is_inline_test(s.line))
    }

    fn dir(&self) -> &str {
        self.path().rsplit_once('/').map(|(d, _)| d).unwrap_or("")
    }

    /// A settings module: named so, or defining what a Django settings module defines.
    fn is_settings_module(&self) -> bool {
        let stem = Path::new(self.path())
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let in_settings_dir = self
            .dir()
            .rsplit('/')
            .next()
            .is_some_and(|d| d == "settings");
        stem.contains("settings")
            || stem.contains("config")
            || in_settings_dir
            || self.facts.python.as_deref().is_some_and(|py| {
                [
                    "INSTALLED_APPS",
                    "ROOT_URLCONF",
                    "MIDDLEWARE",
                    "ALLOWED_HOSTS",
                ]
                .iter()
                .any(|n| py.module_names.contains(*n))
            })
    }
}

/// Words that mark development, local or test configuration, in a file path or a
/// configuration class name.
const DEV_WORDS: &[&str] = &[
    "debug",
    "dev",
    "devel",
    "develop",
    "development",
    "example",
    "examples",
    "local",
    "sample",
    "test",
    "testing",
    "tests",
    "unittest",
    "unittests",
    "e2e",
];

/// The lower-case words of a name: split at non-alphanumerics and at lower-to-upper
/// case changes (`local_settings` → `local`, `settings`; `DevConfig` → `dev`, `config`).
fn words(name: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut lower_before = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && lower_before) {
            out.push(String::new());
        }
        if c.is_ascii_alphanumeric() {
            if let Some(w) = out.last_mut() {
                w.push(c.to_ascii_lowercase());
            }
        }
        lower_before = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    out.retain(|w| !w.is_empty());
    out
}

/// Whether a setting is in development configuration: a file like `settings/dev.py`,
/// `local_settings.py`, `settings_test.py`, or a class like `DevelopmentConfig`.
fn is_development(path: &str, scope: Option<&str>) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
    let dir = path
        .rsplit_once('/')
        .and_then(|(d, _)| d.rsplit('/').next())
        .unwrap_or("");
    [stem, dir, scope.unwrap_or("")]
        .iter()
        .flat_map(|t| words(t))
        .any(|w| DEV_WORDS.contains(&w.as_str()))
}

/// The object whose `config["DEBUG"]` a line sets (`api_app` in
/// `api_app.config['DEBUG'] = True`).
fn config_receiver(line: &str) -> Option<&str> {
    let (before, _) = line.split_once(".config[")?;
    let name = before.trim();
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.'))
    .then_some(name)
}

/// Whether `line` is inside a module-level `if __name__ == "__main__":` block: an
/// indented line below the guard.
fn under_main_guard(text: &str, line: u32) -> bool {
    let at = usize::try_from(line)
        .unwrap_or(usize::MAX)
        .saturating_sub(1);
    let lines: Vec<&str> = text.lines().collect();
    let Some(target) = lines.get(at) else {
        return false;
    };
    if !target.starts_with([' ', '\t']) {
        return false;
    }
    lines
        .iter()
        .take(at)
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with([' ', '\t', '#']))
        .is_some_and(|l| {
            let squeezed: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            squeezed.starts_with("if__name__==") && squeezed.contains("__main__")
        })
}

/// Whether `line` runs only when the file is executed as a script: it is under
/// `if __name__ == "__main__":`, or in a top-level function that only that block calls
/// (`def main(): app.run(debug=True)` … `if __name__ == "__main__": main()`) and that
/// no manifest names as an entry point.
fn script_only(cx: &Context<'_>, path: &str, text: &str, line: u32) -> bool {
    if under_main_guard(text, line) {
        return true;
    }
    let at = usize::try_from(line)
        .unwrap_or(usize::MAX)
        .saturating_sub(1);
    let lines: Vec<&str> = text.lines().collect();
    let Some(def) = lines
        .iter()
        .take(at)
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with([' ', '\t', '#', ')']))
    else {
        return false;
    };
    let Some(name) = def
        .strip_prefix("def ")
        .or_else(|| def.strip_prefix("async def "))
        .and_then(|rest| rest.split('(').next())
        .map(str::trim)
        .filter(|n| !n.is_empty())
    else {
        return false;
    };
    let call = format!("{name}(");
    // Calls of the function outside its own definition: all under the guard.
    let mut block = "";
    let mut called_by_guard = false;
    for l in &lines {
        if !l.trim().is_empty() && !l.starts_with([' ', '\t', '#']) {
            block = l;
        }
        let calls = l.contains(&call) && !l.trim_start().starts_with("def ");
        if !calls {
            continue;
        }
        let squeezed: String = block.chars().filter(|c| !c.is_whitespace()).collect();
        if squeezed.starts_with("if__name__==") && squeezed.contains("__main__") {
            called_by_guard = true;
        } else if !block.starts_with(&format!("def {name}(")) {
            return false;
        }
    }
    let module = path
        .trim_end_matches(".py")
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let entry_point = format!("{module}:{name}");
    called_by_guard
        && !cx.inventory.files.iter().any(|f| {
            matches!(f.name(), "pyproject.toml" | "setup.cfg" | "setup.py")
                && f.text().is_some_and(|t| t.contains(&entry_point))
        })
}

/// Production WSGI/ASGI servers a deployment starts Python web applications with.
const PRODUCTION_SERVERS: &[&str] = &[
    "daphne",
    "granian",
    "gunicorn",
    "hypercorn",
    "uvicorn",
    "uwsgi",
    "waitress-serve",
];

/// Where a Dockerfile, Procfile, Compose file or shell script starts a production
/// server: (path, line, server).
fn production_server_start(cx: &Context<'_>) -> Option<(String, u32, &'static str)> {
    cx.inventory
        .files
        .iter()
        .filter(|f| {
            let name = f.name();
            name.contains("Dockerfile")
                || name == "Procfile"
                || name.ends_with(".sh")
                || name.starts_with("docker-compose")
                || name.starts_with("compose.")
                || name.starts_with("supervisord")
        })
        .find_map(|f| {
            let text = f.text()?;
            let dockerfile = f.name().contains("Dockerfile");
            let compose =
                f.name().starts_with("docker-compose") || f.name().starts_with("compose.");
            text.lines().enumerate().find_map(|(i, l)| {
                let t = l.trim_start();
                if t.starts_with('#') {
                    return None;
                }
                // Where a program is started, not where a package is installed.
                let upper = t.to_ascii_uppercase();
                let starts = if dockerfile {
                    upper.starts_with("CMD") || upper.starts_with("ENTRYPOINT")
                } else if compose {
                    t.starts_with("command:") || t.starts_with("entrypoint:")
                } else {
                    !t.contains("install")
                };
                if !starts {
                    return None;
                }
                let server = PRODUCTION_SERVERS.iter().find(|s| {
                    t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                        .any(|w| w == **s)
                })?;
                Some((f.path.clone(), u32::try_from(i + 1).ok()?, *server))
            })
        })
}

/// Whether any file starts `app` with a development server: `app.run(`, `flask run`,
/// or Werkzeug's `run_simple(`.
fn dev_server_started(cx: &Context<'_>, app: &str) -> bool {
    let call = format!("{app}.run(");
    cx.inventory.files.iter().any(|f| {
        f.text().is_some_and(|t| {
            t.contains(&call) || t.contains("flask run") || t.contains("run_simple(")
        })
    })
}

/// A settings module beside `path`, not itself development configuration, that
/// imports everything from it (`from .common import *`) and sets `DEBUG = False`:
/// (its path, the line).
fn switched_off_beside(cx: &Context<'_>, path: &str) -> Option<(String, u32)> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let stem = name.strip_suffix(".py")?;
    let star = format!("{stem} import *");
    cx.inventory
        .files
        .iter()
        .filter(|f| {
            f.path != path
                && f.path.ends_with(".py")
                && f.path.rsplit_once('/').map_or("", |(d, _)| d) == dir
                && !is_development(&f.path, None)
        })
        .find_map(|f| {
            let text = f.text()?;
            let imports = text.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("from ")
                    && (l.contains(&format!(".{star}")) || l.contains(&format!(" {star}")))
            });
            if !imports {
                return None;
            }
            text.lines().enumerate().find_map(|(i, l)| {
                let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                (compact == "DEBUG=False")
                    .then(|| (f.path.clone(), u32::try_from(i + 1).unwrap_or(u32::MAX)))
            })
        })
}

/// The switch of an `if FLAG:` block holding `line` when `FLAG` is read from the
/// environment with a default of off (`ENABLE_DB_LOGGING = env.bool("…",
/// default=False)`): debug mode that an operator turns on only by asking for it. The
/// line of the switch's assignment.
fn opt_in_switch(text: &str, line: u32) -> Option<u32> {
    let lines: Vec<&str> = text.lines().collect();
    let at = usize::try_from(line).ok()?.checked_sub(1)?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut level = indent(lines.get(at)?);
    for i in (at.saturating_sub(40)..at).rev() {
        let l = lines.get(i)?;
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') || indent(l) >= level {
            continue;
        }
        level = indent(l);
        let Some(flag) = t
            .strip_prefix("if ")
            .and_then(|c| c.strip_suffix(':'))
            .map(str::trim)
            .filter(|c| c.chars().all(|ch| ch.is_alphanumeric() || ch == '_'))
        else {
            if level == 0 {
                return None;
            }
            continue;
        };
        let assigned = format!("{flag} =");
        return lines.iter().take(i).enumerate().rev().find_map(|(n, l)| {
            let rhs = l.strip_prefix(&assigned)?.replace(' ', "");
            let reads_env = ["env.bool(", "environ.get(", "getenv(", "env(", "config("]
                .iter()
                .any(|r| rhs.contains(r));
            let on_by_default = rhs.contains("default=True")
                || rhs.contains(",True)")
                || rhs.contains("\"true\")")
                || rhs.contains("'true')")
                || rhs.contains("\"1\")");
            (reads_env && !on_by_default)
                .then(|| u32::try_from(n + 1).ok())
                .flatten()
        });
    }
    None
}

/// Whether `line` sits in a branch taken only outside production: the `else` of
/// `if (isProduction)` / `if settings.PRODUCTION:`, or the body of `if (isDev)` /
/// `if DEBUG:`. Read by indentation, up to 40 lines above.
fn in_development_branch(text: &str, line: u32) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    let Some(at) = usize::try_from(line).ok().and_then(|l| l.checked_sub(1)) else {
        return false;
    };
    let indent = |l: &str| l.len() - l.trim_start().len();
    let Some(mut level) = lines.get(at).map(|l| indent(l)) else {
        return false;
    };
    let condition_words = |l: &str| -> (bool, bool) {
        let lower = l.to_ascii_lowercase();
        let prod = lower.contains("prod");
        let dev = ["dev", "debug", "local"].iter().any(|w| lower.contains(w));
        (prod, dev)
    };
    let mut in_else = false;
    for i in (at.saturating_sub(40)..at).rev() {
        let Some(l) = lines.get(i) else { continue };
        let t = l.trim();
        // The `if` of an `else` stands at the else's own level.
        let t_open = t.trim_start_matches('}').trim_start();
        let matching_if = in_else
            && indent(l) == level
            && (t_open.starts_with("if ")
                || t_open.starts_with("if(")
                || t_open.starts_with("elif "));
        if t.is_empty() || (indent(l) >= level && !matching_if) {
            continue;
        }
        level = indent(l);
        let t = t_open;
        if t.starts_with("else") || t.starts_with("} else") {
            in_else = true;
            continue;
        }
        // A `case Dev:` of a switch on the run mode.
        if t.starts_with("case ") && t.ends_with(':') {
            let (prod, dev) = condition_words(t);
            return dev && !prod;
        }
        if t.starts_with("default:") {
            return false;
        }
        if t.starts_with("if ") || t.starts_with("if(") || t.starts_with("elif ") {
            let (prod, dev) = condition_words(t);
            let negated = t.contains('!') || t.contains(" not ");
            return if in_else {
                prod && !negated || dev && negated
            } else {
                dev && !negated || prod && negated
            };
        }
        // A definition ends the search: the setting is not inside a branch of it.
        if [
            "def ",
            "async def ",
            "class ",
            "function ",
            "async function ",
            "fn ",
            "func ",
        ]
        .iter()
        .any(|d| t.starts_with(d))
        {
            return false;
        }
    }
    false
}

/// A finding in the making.
struct Found {
    severity: Severity,
    title: String,
    message: String,
    evidence: Vec<Evidence>,
    /// In development configuration: listed, never decisive.
    development: bool,
    action: &'static str,
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let framework = cx.facts.detections.iter().find(|d| {
        (d.is(DetectorKind::WebFramework) || d.is(DetectorKind::AppServer)) && !d.used.is_empty()
    });
    let Some(framework) = framework else {
        return Outcome::not_applicable("no server-side web framework in production code");
    };
    let mut production = Vec::new();
    let mut elsewhere = 0usize;
    for s in &cx.facts.sources {
        let Some(file) = cx.inventory.files.get(s.file) else {
            continue;
        };
        if s.app_settings.is_empty() {
            continue;
        }
        if file.kind == FileKind::Source {
            production.push(SettingsFile { file, facts: s });
        } else {
            elsewhere += s.app_settings.len();
        }
    }
    let service_severity = def.severity_for(cx.kind);
    let mut found = Vec::new();
    debug_findings(cx, &production, service_severity, &mut found);
    cors_findings(cx, &production, service_severity, &mut found);
    host_findings(cx, &production, &mut found);
    let bind = bind_finding(cx, &production);

    let decisive: Vec<&Found> = found.iter().filter(|f| !f.development).collect();
    let worst = decisive
        .iter()
        .map(|f| f.severity)
        .chain(bind.as_ref().map(|b| b.severity))
        .min();
    let count = found.len() + usize::from(bind.is_some());
    let mut summary = if count == 0 {
        format!(
            "no unsafe application setting in production code ({} in use)",
            framework.display()
        )
    } else {
        let dev = found.len() - decisive.len();
        let mut s = plural(
            count,
            "unsafe application setting",
            "unsafe application settings",
        );
        if dev > 0 {
            s.push_str(&format!(" ({dev} in development configuration)"));
        }
        s
    };
    if elsewhere > 0 {
        summary.push_str(&format!(
            "; {} in test or example code not counted",
            plural(elsewhere, "setting", "settings")
        ));
    }
    let mut outcome = match worst {
        Some(s) if s <= Severity::P1 => Outcome::fail(summary),
        Some(Severity::P2) => Outcome::partial(0.5, summary),
        Some(_) => Outcome::partial(0.8, summary),
        // Only development configuration: listed, nearly full marks.
        None if !found.is_empty() => Outcome::partial(0.9, summary),
        None => Outcome::pass(summary),
    };
    found.sort_by_key(|f| (f.development, f.severity));
    for f in found {
        outcome = outcome
            .concern_at(def, f.severity, f.title, f.message, f.evidence)
            .action(f.action);
    }
    if let Some(b) = bind {
        outcome = outcome
            .concern_at(def, b.severity, b.title, b.message, b.evidence)
            .action(b.action)
            .confidence(Confidence::Medium);
    }
    outcome
}

fn debug_findings(
    cx: &Context<'_>,
    files: &[SettingsFile<'_>],
    severity: Severity,
    out: &mut Vec<Found>,
) {
    let mut listed = 0usize;
    for f in files {
        for s in f.settings() {
            let Setting::Debug {
                module_constant,
                local,
            } = s.setting
            else {
                continue;
            };
            // `DEBUG = True` means debug mode only in a settings module.
            if module_constant && !f.is_settings_module() {
                continue;
            }
            if listed >= LISTED {
                return;
            }
            listed += 1;
            // A development server on the loopback interface is reachable only from this
            // machine: development use, labelled like development configuration.
            let development = local
                || is_development(f.path(), s.scope.as_deref())
                || f.file
                    .text()
                    .is_some_and(|text| in_development_branch(text, s.line));
            let (what, fix) = if f.file.lang() == "go" {
                (
                    "gin's debug mode logs every route and request detail and is meant for development only",
                    "Use `gin.SetMode(gin.ReleaseMode)` or leave the mode to `GIN_MODE=release` in the deployment.",
                )
            } else if module_constant {
                (
                    "debug mode shows full tracebacks, local variables and settings to anyone who triggers an error",
                    "Read the flag from the environment with a default of off (`DEBUG = env.bool(\"DEBUG\", default=False)`).",
                )
            } else {
                (
                    "debug mode shows full tracebacks, local variables and settings to anyone who triggers an error, and with Flask/Werkzeug it serves the interactive debugger — a Python console in the browser, remote code execution once its PIN is guessed or leaked",
                    "Read the flag from the environment with a default of off (`debug=os.environ.get(\"FLASK_DEBUG\") == \"1\"`, `DEBUG = env.bool(\"DEBUG\", default=False)`).",
                )
            };
            // `DEBUG = True`, then `DEBUG = section.getboolean("debug", DEBUG)`: the
            // literal is the default of a configuration read further down.
            let overridden = if module_constant {
                f.file
                    .text()
                    .and_then(|text| configured_later(text, s.line))
            } else {
                None
            };
            // Base settings that a production settings module beside them imports
            // and switches off (`product.py`: `from .common import *`, `DEBUG = False`).
            let switched_off = if module_constant && overridden.is_none() {
                switched_off_beside(cx, f.path())
            } else {
                None
            };
            // `api_app.config["DEBUG"] = True` where nothing starts that app with Flask's
            // development server: the interactive debugger is never served.
            let no_dev_server = !module_constant
                && config_receiver(&cx.line(f.path(), s.line))
                    .is_some_and(|app| !dev_server_started(cx, app));
            // `app.run(debug=True)` under `if __name__ == "__main__":` (or in the
            // `main()` only that block calls), while the deployment starts the app with
            // a production server: a developer's entry point.
            let served_otherwise = if module_constant {
                None
            } else {
                f.file
                    .text()
                    .filter(|text| script_only(cx, f.path(), text, s.line))
                    .and_then(|_| production_server_start(cx))
            };
            // `if ENABLE_DB_LOGGING: DEBUG = True` with the switch off by default.
            let opt_in = if module_constant {
                f.file.text().and_then(|text| opt_in_switch(text, s.line))
            } else {
                None
            };
            let place = match &s.scope {
                Some(class) => format!(" in `{class}`"),
                None => String::new(),
            };
            let (severity, label, title_label): (Severity, String, &str) = if local {
                (
                    Severity::P3,
                    " The same call binds the server to the loopback interface, so only this machine reaches it: make sure no deployment starts the application this way.".to_string(),
                    " (local development server)",
                )
            } else if development {
                (
                    Severity::P3,
                    " It is in development configuration: make sure production never loads it."
                        .to_string(),
                    " (development configuration)",
                )
            } else if let Some((path, line, server)) = &served_otherwise {
                (
                    Severity::P3,
                    format!(
                        " It runs only when the file is executed as a script (`if __name__ == \"__main__\":`), and the deployment starts the application with {server} ({path}:{line}): make sure nothing runs the script in production."
                    ),
                    " (script entry point)",
                )
            } else if opt_in.is_some() {
                (
                    Severity::P3,
                    " It runs only when an operator turns on a switch read from the environment, off by default: make sure production never sets it.".to_string(),
                    " (behind a switch, off by default)",
                )
            } else if no_dev_server {
                (
                    Severity::P2,
                    " Nothing in the repository starts this app with Flask's development server (`.run(`, `flask run`, `run_simple`), so the interactive debugger is not served; the flag still changes how errors propagate.".to_string(),
                    " (no development server starts it)",
                )
            } else if switched_off.is_some() {
                (
                    Severity::P3,
                    " It is the base of settings that switch it off for production: make sure every deployment loads those.".to_string(),
                    " (base settings, switched off for production)",
                )
            } else if overridden.is_some() {
                (
                    Severity::P2,
                    " It is the default of a configuration read further down, so an installation that does not set the option runs in debug mode: make the default off.".to_string(),
                    " (default of a configured option)",
                )
            } else {
                (severity, String::new(), "")
            };
            let mut evidence = vec![cx.at(f.path(), s.line)];
            evidence.extend(overridden.map(|line| cx.at(f.path(), line)));
            evidence.extend(switched_off.map(|(path, line)| cx.at(&path, line)));
            evidence.extend(
                opt_in
                    .filter(|_| !local && !development && served_otherwise.is_none())
                    .map(|line| cx.at(f.path(), line)),
            );
            evidence.extend(
                served_otherwise
                    .as_ref()
                    .filter(|_| severity == Severity::P3 && !local && !development)
                    .map(|(path, line, _)| cx.at(path, *line)),
            );
            out.push(Found {
                severity,
                title: format!("Debug mode on at {}:{}{title_label}", f.path(), s.line),
                message: format!(
                    "Debug mode is switched on with a literal{place}: {what}. {fix}{label}"
                ),
                evidence,
                development,
                action: "Switch debug mode off in production: read it from the environment, off by default",
            });
        }
    }
}

/// The line after `line` that assigns `DEBUG` again from a call reading configuration
/// (`DEBUG = section.getboolean("debug", DEBUG)`, `DEBUG = env.bool("DEBUG", …)`), at
/// the left margin or inside a block.
fn configured_later(text: &str, line: u32) -> Option<u32> {
    text.lines()
        .enumerate()
        .skip(usize::try_from(line).unwrap_or(usize::MAX))
        .find_map(|(i, l)| {
            let t = l.trim_start();
            let rhs = t.strip_prefix("DEBUG")?.trim_start().strip_prefix('=')?;
            (!rhs.starts_with('=') && rhs.contains('('))
                .then(|| u32::try_from(i + 1).unwrap_or(u32::MAX))
        })
}

/// The line of a configuration that sends its cookie with `SameSite` Lax or Strict
/// (`sameSite: 'lax'`, `SESSION_COOKIE_SAMESITE = "Strict"`, `http.SameSiteLaxMode`).
fn same_site_cookie(text: &str) -> Option<u32> {
    text.lines().enumerate().find_map(|(i, l)| {
        let lower = l.to_ascii_lowercase();
        lower
            .match_indices("samesite")
            .any(|(at, m)| {
                let rest = lower.get(at + m.len()..).unwrap_or("");
                let value = rest.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
                value.starts_with("lax") || value.starts_with("strict")
            })
            .then(|| u32::try_from(i + 1).unwrap_or(u32::MAX))
    })
}

fn cors_findings(
    cx: &Context<'_>,
    files: &[SettingsFile<'_>],
    severity: Severity,
    out: &mut Vec<Found>,
) {
    // Separate credential settings, by directory: a settings package may split them
    // over modules.
    let mut credentials: BTreeMap<&str, (&str, u32)> = BTreeMap::new();
    for f in files {
        for s in f.settings() {
            if s.setting == Setting::CorsCredentials {
                credentials.entry(f.dir()).or_insert((f.path(), s.line));
            }
        }
    }
    // flask-cors without `origins` uses the app's `CORS_ORIGINS`: an allow-list set
    // anywhere in the application's configuration closes it.
    let origin_list = files
        .iter()
        .any(|f| f.settings().any(|s| s.setting == Setting::CorsOriginList));
    let mut places: Vec<Found> = Vec::new();
    for f in files {
        for s in f.settings() {
            let (with, reflects) = match s.setting {
                Setting::CorsAnyOrigin {
                    credentials,
                    reflects,
                } => (credentials, reflects),
                Setting::CorsConfiguredOrigins { credentials } if !origin_list => {
                    (Some(credentials), credentials)
                }
                _ => continue,
            };
            let mut evidence = vec![cx.at(f.path(), s.line)];
            match with {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    let Some((path, line)) = credentials.get(f.dir()) else {
                        continue;
                    };
                    if (*path, *line) != (f.path(), s.line) {
                        evidence.push(cx.at(path, *line));
                    }
                }
            }
            let development = is_development(f.path(), s.scope.as_deref())
                || cx
                    .inventory
                    .file(f.path())
                    .and_then(|file| file.text())
                    .is_some_and(|text| in_development_branch(text, s.line));
            let text = cx.inventory.file(f.path()).and_then(|file| file.text());
            let same_site = if reflects {
                text.and_then(same_site_cookie)
            } else {
                None
            };
            let (sev, how) = if let Some(at) = same_site {
                evidence.push(cx.at(f.path(), at));
                (
                    Severity::P2,
                    "the library answers each request with the requesting site's own origin and allows credentials, but the same configuration sends its cookie with `SameSite` Lax or Strict, so browsers leave it off cross-site requests and only sibling subdomains of the site could act as a logged-in user",
                )
            } else if reflects {
                (
                    severity,
                    "the library answers each request with the requesting site's own origin and allows credentials, so any web site a logged-in user visits can call this API with the user's cookies and read the responses — acting as that user",
                )
            } else {
                (
                    Severity::P2,
                    "browsers refuse credentials when the allowed origin is a literal `*`, so today credentialed requests fail — and the usual fix, echoing the request's origin, lets any web site act as the logged-in user",
                )
            };
            let sev = if development { Severity::P3 } else { sev };
            places.push(Found {
                severity: sev,
                title: format!(
                    "CORS allows any origin with credentials at {}:{}{}",
                    f.path(),
                    s.line,
                    if development {
                        " (development configuration)"
                    } else {
                        ""
                    }
                ),
                message: format!(
                    "CORS is open to every origin and allows credentials: {how}. List the origins that may send credentials (`allow_origins=[\"https://app.example.com\"]`, `origin: [\"https://app.example.com\"]`) instead."
                ),
                evidence,
                development,
                action: "List the origins allowed to send credentials instead of allowing any origin",
            });
        }
    }
    // One finding for each severity: the same setting repeated on every route (a
    // decorator per view) is one decision, listed with its places.
    places.sort_by_key(|f| (f.development, f.severity));
    for group in places.chunk_by(|a, b| (a.development, a.severity) == (b.development, b.severity))
    {
        let Some(first) = group.first() else { continue };
        let mut found = Found {
            severity: first.severity,
            title: first.title.clone(),
            message: first.message.clone(),
            evidence: Vec::new(),
            development: first.development,
            action: first.action,
        };
        if group.len() > 1 {
            found.title = format!(
                "{} and {}",
                first.title,
                plural(group.len() - 1, "other place", "other places")
            );
        }
        for f in group.iter().take(LISTED) {
            found.evidence.extend(f.evidence.iter().cloned());
        }
        out.push(found);
    }
}

fn host_findings(cx: &Context<'_>, files: &[SettingsFile<'_>], out: &mut Vec<Found>) {
    for f in files {
        for s in f.settings() {
            if s.setting != Setting::AnyHost || is_development(f.path(), s.scope.as_deref()) {
                continue;
            }
            out.push(Found {
                severity: Severity::P3,
                title: format!("Any Host header accepted at {}:{}", f.path(), s.line),
                message: "`ALLOWED_HOSTS` accepts any host, so absolute URLs the application builds from the request (password-reset links, redirects, cached pages) can be made to point at an attacker's domain with a forged Host header. List the served domains.".to_string(),
                evidence: vec![cx.at(f.path(), s.line)],
                development: false,
                action: "List the served domains in `ALLOWED_HOSTS`",
            });
        }
    }
}

/// Sites listed as evidence for the bind finding.
const BIND_EVIDENCE: usize = 5;

/// One finding for servers listening on every interface, when no authentication is
/// found anywhere in the application's production code.
fn bind_finding(cx: &Context<'_>, files: &[SettingsFile<'_>]) -> Option<Found> {
    let sites: Vec<(&str, u32)> = files
        .iter()
        .flat_map(|f| {
            f.settings()
                .filter(|s| s.setting == Setting::BindAll)
                .map(|s| (f.path(), s.line))
        })
        .collect();
    if sites.is_empty() {
        return None;
    }
    let authenticated = cx
        .facts
        .detected(DetectorKind::Auth)
        .any(|d| !d.used.is_empty());
    if authenticated {
        return None;
    }
    let container = cx.facts.artifacts_of(ArtifactKind::Container).next();
    let mut evidence: Vec<Evidence> = sites
        .iter()
        .take(BIND_EVIDENCE)
        .map(|(p, l)| cx.at(p, *l))
        .collect();
    evidence.push(Evidence::absent(
        "authentication of incoming requests (login decorators, auth middleware or dependencies, JWT verification, Authorization header checks)",
        format!(
            "production code of {}",
            plural(cx.facts.sources.len(), "source file", "source files")
        ),
    ));
    let (severity, context) = match container {
        Some(c) => {
            if let Some(e) = c.evidence.first() {
                evidence.push(e.clone());
            }
            (
                Severity::P3,
                format!(
                    " The project ships a container ({}), where listening on all interfaces is how the port is published; what matters is who can reach that port.",
                    c.artifact.name
                ),
            )
        }
        None => (Severity::P2, String::new()),
    };
    let (first, line) = sites.first().copied().unwrap_or(("", 0));
    Some(Found {
        severity,
        title: format!("Server listens on all interfaces with no authentication ({first}:{line})"),
        message: format!(
            "{} every network interface, and no authentication of incoming requests was found in the application: anyone who can reach the host can use every endpoint.{context} Put authentication in front (middleware, an authenticating reverse proxy, a private network), or listen on `127.0.0.1` behind a proxy.",
            if sites.len() == 1 {
                "A server listens on".to_string()
            } else {
                format!("{} servers listen on", sites.len())
            }
        ),
        evidence,
        development: false,
        action: "Put authentication in front of the server, or listen on `127.0.0.1` behind a proxy",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_sent_same_site_only() {
        for (text, line) in [
            (
                "origin: true,\ncookieOptions: { sameSite: 'lax' },\n",
                Some(2),
            ),
            ("SESSION_COOKIE_SAMESITE = \"Strict\"\n", Some(1)),
            (
                "c := http.Cookie{SameSite: http.SameSiteLaxMode}\n",
                Some(1),
            ),
            ("cookie: { sameSite: 'none', secure: true }\n", None),
            ("sameSite: process.env.SAME_SITE\n", None),
        ] {
            assert_eq!(same_site_cookie(text), line, "{text}");
        }
    }

    #[test]
    fn development_configuration_is_told_by_path_or_class() {
        assert!(is_development("proj/settings/dev.py", None));
        assert!(is_development("proj/local_settings.py", None));
        assert!(is_development("proj/settings_test.py", None));
        assert!(is_development("config.py", Some("DevelopmentConfig")));
        assert!(!is_development("proj/settings/production.py", None));
        assert!(!is_development("config.py", Some("ProductionConfig")));
        assert!(!is_development("devices/app.py", None));
        assert!(!is_development("config.py", Some("DevicesConfig")));
        assert_eq!(words("DevConfig"), vec!["dev", "config"]);
    }
}
