//! JavaScript and TypeScript source rules.

use std::sync::LazyLock;

use regex::Regex;

use super::{Import, Route, Scan, Setting, rule, with};
use crate::repo::{FileKind, RepoFile};

struct Rules {
    imports: Vec<Option<Regex>>,
    env: Option<Regex>,
    test: Option<Regex>,
    bench: Option<Regex>,
    route: Option<Regex>,
    file_route: Option<Regex>,
    server: Option<Regex>,
    settings: Vec<(Option<Regex>, Setting)>,
    cors: Option<Regex>,
    cors_any: Option<Regex>,
    cors_reflect: Option<Regex>,
    cors_credentials: Option<Regex>,
}

static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    imports: vec![
        rule(
            r#"(?m)^[ \t]*import[ \t]+(?:type[ \t]+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"'\n]+)["']"#,
        ),
        rule(r#"(?m)^[ \t]*export[ \t]+(?:type[ \t]+)?[\w*{}\s,$]+?\s+from\s+["']([^"'\n]+)["']"#),
        rule(r#"\brequire\(\s*["']([^"'\n]+)["']\s*\)"#),
        rule(r#"\bimport\(\s*["']([^"'\n]+)["']\s*\)"#),
    ],
    env: rule(
        r#"\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)|\bprocess\.env\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\]|\bimport\.meta\.env\.([A-Za-z_][A-Za-z0-9_]*)|\bDeno\.env\.get\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
    ),
    // `it`, `test`, and the fixtures `test.extend` names (`containerTest("…", …)`).
    test: rule(
        r#"(?m)^[ \t]*(?:it|test|Deno\.test|[a-z][A-Za-z0-9]*Test)(?:\.(?:only|skip|concurrent|todo|failing|each\s*\([^)\n]*\)|each`[^`\n]*`))?\s*\(\s*["'`]([^"'`\n]*)["'`]"#,
    ),
    bench: rule(r#"(?m)^[ \t]*(?:bench|suite\.add)\(\s*["'`]([^"'`\n]*)["'`]"#),
    route: rule(
        // `app.get("/x"`, `healthRouter.get<Req, Res>("/x"`, a plain node:http server
        // comparing the request's path (`req.url === "/x"`, `pathname === "/x"`), and
        // decorated controllers (`@Controller("health")`, `@Get("/live")`).
        r#"(?:\b(?:app|router|server|api|fastify|routes?|\w+Router)\.(?:get|post|put|delete|patch|all|head|options)(?:<[^()\n]*>)?\(\s*|\b(?:req|request)\.url\s*===?\s*|\bpathname\s*===?\s*)["'`](/[^"'`\n]*)["'`]|@(?:Controller|Get|Post|Put|Delete|Patch|All|Head|Options)\(\s*["'`](/?[^"'`\n]*)["'`]"#,
    ),
    file_route: rule(
        r"(?:^|/)(?:pages/api|app/api|src/pages/api|src/app/api)/(.+?)(?:/route)?\.(?:js|jsx|ts|tsx|mjs)$",
    ),
    server: rule(
        r"\.listen\(\s*(?:\d|PORT\b|port\b|process\.env)|\bcreateServer\(|\bexpress\(\)|\bnew Hono\(|\bFastify\(|\bfastify\(\s*[{)]|\bNestFactory\.create\(|\bserve\(\s*\{[^}]*fetch",
    ),
    // `app.listen(3000, '0.0.0.0')`, `fastify.listen({ port, host: '0.0.0.0' })`.
    settings: vec![
        (
            rule(r#"\.listen\(\s*[^;]{0,200}?["'`](?:0\.0\.0\.0|::)["'`]"#),
            Setting::BindAll,
        ),
        // Headers set by hand: the request's own origin echoed back, or `*`.
        (
            rule(
                r#"["']Access-Control-Allow-Origin["']\s*,\s*(?:req|request)\.(?:headers\.origin|headers\[["']origin["']\]|get\(["']origin["']\)|header\(["']origin["']\))"#,
            ),
            Setting::CorsAnyOrigin {
                credentials: None,
                reflects: true,
            },
        ),
        (
            rule(r#"["']Access-Control-Allow-Origin["']\s*,\s*["']\*["']"#),
            Setting::CorsAnyOrigin {
                credentials: None,
                reflects: false,
            },
        ),
        (
            rule(r#"["']Access-Control-Allow-Credentials["']\s*,\s*(?:true\b|["']true["'])"#),
            Setting::CorsCredentials,
        ),
    ],
    // `cors({...})`, Nest `app.enableCors({...})`, `fastify.register(cors, {...})`.
    // socket.io `new Server({ cors: {...} })`.
    cors: rule(
        r"\b(?:cors|enableCors)\(\s*\{|\bregister\(\s*[\w.]*[Cc]ors\w*\s*,\s*\{|\bcors\s*:\s*\{",
    ),
    cors_any: rule(r#"\borigin\s*:\s*["'`]\*["'`]"#),
    // `origin: true` and an origin callback that accepts everything answer with the
    // request's own origin.
    cors_reflect: rule(
        r"\borigin\s*:\s*true\b|\b(?:callback|cb|done|next)\(\s*null\s*,\s*true\s*\)",
    ),
    cors_credentials: rule(r"\bcredentials\s*:\s*true\b"),
});

pub(super) fn scan(file: &RepoFile, s: &mut Scan<'_>) {
    let r = &*RULES;
    let mut imports = Vec::new();
    for re in r.imports.iter().flatten() {
        s.each(re, |caps, line| {
            if let Some(m) = caps.get(1) {
                imports.push(Import::new(m.as_str().to_string(), line));
            }
        });
    }
    imports.sort_by_key(|i| i.line);
    s.facts.imports = imports;

    let mut env = Vec::new();
    with(&r.env, |re| {
        s.each(re, |caps, line| {
            let name = (1..=4).find_map(|g| caps.get(g));
            if let Some(m) = name {
                env.push((m.as_str().to_string(), line));
            }
        })
    });
    s.facts.env_reads = env;

    if file.kind == FileKind::Test {
        s.facts.tests = s.group1(&r.test);
    }
    s.facts.benchmarks = s.group1(&r.bench);

    let mut routes = Vec::new();
    with(&r.route, |re| {
        s.each(re, |caps, line| {
            // A front end's router (`router.pathname === "/tags/[id]"`) compares the
            // page it shows, not a request a server answers.
            let client_router = caps.get(0).is_some_and(|all| {
                all.as_str().starts_with("pathname")
                    && (all.as_str().contains('[')
                        || s.text
                            .get(..all.start())
                            .is_some_and(|before| before.ends_with("router.")))
            });
            // A request the code sends (`const res = await this.api.get("/apis")`)
            // uses the result; registering a route does not.
            let client_call = caps.get(0).is_some_and(|all| {
                let call = all.as_str().contains('(') && !all.as_str().starts_with('@');
                call && s.text.get(..all.start()).is_some_and(|before| {
                    let before = before.trim_end_matches("this.").trim_end();
                    before.ends_with("await") || before.ends_with('=') || before.ends_with("return")
                })
            });
            // A component (`.svelte`, `.vue`) runs in the browser: the paths it
            // compares are pages it shows.
            let component = [".svelte", ".vue"].iter().any(|e| file.path.ends_with(e));
            if client_router || client_call || component {
                return;
            }
            if let Some(m) = caps.get(1) {
                routes.push(Route {
                    path: m.as_str().to_string(),
                    line,
                });
            } else if let Some(m) = caps.get(2) {
                let path = m.as_str().trim_start_matches('/');
                routes.push(Route {
                    path: format!("/{path}"),
                    line,
                });
            }
        })
    });
    if let Some(re) = &r.file_route {
        if let Some(m) = re.captures(&file.path).and_then(|c| c.get(1)) {
            let path = m.as_str().trim_end_matches("/index");
            routes.push(Route {
                path: format!("/api/{path}"),
                line: 1,
            });
        }
    }
    s.facts.routes = routes;

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
    fn finds_imports_env_routes() {
        let text = "import express from 'express';\nimport { a,\n  b } from \"./lib\";\nconst pg = require('pg');\nconst key = process.env.STRIPE_KEY;\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\napp.listen(PORT);\n";
        let s = scan(0, &file("src/server.js", text)).unwrap();
        let mods: Vec<&str> = s.imports.iter().map(|i| i.module.as_str()).collect();
        assert_eq!(mods, vec!["express", "./lib", "pg"]);
        assert_eq!(s.env_reads, vec![("STRIPE_KEY".to_string(), 5)]);
        assert_eq!(s.routes[0].path, "/health");
        assert_eq!(s.server_starts, vec![6, 8]);
    }

    #[test]
    fn a_front_end_router_comparing_its_page_declares_no_route() {
        let text = "const a = router.pathname === \"/tags/[id]\";\nconst b = router.pathname === \"/links/pinned\";\nconst c = url.pathname === '/live';\n";
        let s = scan(0, &file("packages/router/links.tsx", text)).unwrap();
        let paths: Vec<(&str, u32)> = s.routes.iter().map(|r| (r.path.as_str(), r.line)).collect();
        assert_eq!(paths, [("/live", 3)]);
    }

    #[test]
    fn requests_a_client_sends_and_pages_a_component_compares_are_not_routes() {
        let text = "export default class Keys extends APIService {\n  list = async () => {\n    const res = await this.api.get('/api-keys', { params });\n    return api.post('/apis', data);\n  };\n}\napi.get('/served', (req, res) => res.send('ok'));\n";
        let s = scan(0, &file("frontend/src/lib/services/keys.ts", text)).unwrap();
        let paths: Vec<(&str, u32)> = s.routes.iter().map(|r| (r.path.as_str(), r.line)).collect();
        assert_eq!(paths, [("/served", 7)]);
        let svelte = "<script>\n  const here = page.url.pathname === '/login';\n</script>\n";
        let s = scan(0, &file("frontend/src/lib/login.svelte", svelte)).unwrap();
        assert!(s.routes.is_empty());
    }

    #[test]
    fn finds_typed_routes_and_node_http_paths() {
        let text = "router.get<{}, { status: string }>(\"/health\", async (req, res) => {});\nif (request.method === \"GET\" && request.url === \"/ready\") {}\nconst ok = url.pathname === '/live';\nconst x = foo.get('/not-a-route');\n@Controller('healthz')\n@Get(\"/ping\")\n";
        let s = scan(0, &file("src/api/index.ts", text)).unwrap();
        let paths: Vec<(&str, u32)> = s.routes.iter().map(|r| (r.path.as_str(), r.line)).collect();
        assert_eq!(
            paths,
            [
                ("/health", 1),
                ("/ready", 2),
                ("/live", 3),
                ("/healthz", 5),
                ("/ping", 6)
            ]
        );
    }

    #[test]
    fn counts_jest_cases_and_next_routes() {
        let s = scan(
            0,
            &file("src/a.test.ts", "describe('x', () => {\n  it('works', () => {});\n  test.each([1])('n %i', () => {});\n});\n"),
        )
        .unwrap();
        assert_eq!(s.tests.len(), 2);
        let fixtures = "describe('db', () => {\n  containerTest('boots', async ({ prisma }) => {});\n  runTest();\n  Test('x');\n});\n";
        let f = scan(0, &file("src/db.test.ts", fixtures)).unwrap();
        assert_eq!(f.tests.len(), 1);
        let r = scan(
            0,
            &file("pages/api/health.ts", "export default function h() {}\n"),
        )
        .unwrap();
        assert_eq!(r.routes[0].path, "/api/health");
    }

    #[test]
    fn listen_on_every_interface_and_cors_objects() {
        let text = "const cors = require('cors');\napp.use(cors({ origin: true, credentials: true }));\napp.use(cors({\n  origin: '*',\n}));\napp.use(cors({ origin: ['https://a.example'], credentials: true }));\napp.listen(3000, '0.0.0.0', () => {});\nserver.listen(PORT);\nfastify.listen({ port: 3000, host: '0.0.0.0' });\n// app.listen(3000, '0.0.0.0')\n";
        let s = scan(0, &file("src/server.js", text)).unwrap();
        let got: Vec<(Setting, u32)> = s.app_settings.iter().map(|a| (a.setting, a.line)).collect();
        assert_eq!(
            got,
            vec![
                (Setting::BindAll, 7),
                (Setting::BindAll, 9),
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(true),
                        reflects: true
                    },
                    2
                ),
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(false),
                        reflects: false
                    },
                    3
                ),
            ]
        );
    }

    #[test]
    fn cors_headers_set_by_hand_and_socket_io_options() {
        let text = "res.header('Access-Control-Allow-Origin', req.headers.origin);\nres.header(\"Access-Control-Allow-Credentials\", true);\nres.setHeader('Access-Control-Allow-Origin', '*');\nconst io = new Server(http, { cors: { origin: true, credentials: true } });\n";
        let s = scan(0, &file("src/app.js", text)).unwrap();
        let got: Vec<(Setting, u32)> = s.app_settings.iter().map(|a| (a.setting, a.line)).collect();
        assert_eq!(
            got,
            vec![
                (
                    Setting::CorsAnyOrigin {
                        credentials: None,
                        reflects: true
                    },
                    1
                ),
                (Setting::CorsCredentials, 2),
                (
                    Setting::CorsAnyOrigin {
                        credentials: None,
                        reflects: false
                    },
                    3
                ),
                (
                    Setting::CorsAnyOrigin {
                        credentials: Some(true),
                        reflects: true
                    },
                    4
                ),
            ]
        );
    }
}
