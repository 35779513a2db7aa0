//! Judges whether Python HTTP requests keep TLS certificate verification on.

use crate::analyze::python::CallKind;
use crate::checks::python;
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.tls-verification",
        category: Category::Security,
        title: "TLS certificates are verified",
        summary: "No HTTP request through requests, httpx or a session passes `verify=False`.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "With `verify=False` the client accepts any certificate, so anyone on the network path — a café Wi-Fi, a compromised router, a proxy — can impersonate the server, read the credentials and data sent, and alter the responses. The flag is usually added to get past a self-signed certificate in testing and then ships.",
        remediation: "Remove `verify=False`. For an internal CA or a self-signed certificate, pass its bundle: `verify=\"/etc/ssl/internal-ca.pem\"` (or set `REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE`), or use `truststore` to trust the system store. If verification must be switchable for development, read it from configuration that defaults to on.",
        action: "Turn TLS certificate verification back on",
        risk: "Man-in-the-middle",
    },
    evaluate,
};

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let mut found = Vec::new();
    for f in &files {
        for c in &f.py.calls {
            let CallKind::Http {
                callee,
                verify_disabled: true,
                ..
            } = &c.kind
            else {
                continue;
            };
            found.push(Site {
                file: *f,
                line: c.line,
                severity: def.severity,
                what: "TLS verification disabled".to_string(),
                message: format!(
                    "`{callee}` is called with `verify=False`: any certificate is accepted, so anyone on the network path can impersonate the server and read or alter the traffic. Pass the CA bundle instead (`verify=\"/path/ca.pem\"`)."
                ),
                evidence: cx.at(f.path(), c.line),
            });
        }
    }
    sites::judge(
        def,
        files.len(),
        (
            "request with TLS verification disabled",
            "requests with TLS verification disabled",
        ),
        found,
    )
}
