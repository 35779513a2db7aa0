//! The redaction promise under attack: for every rule of the secret catalog, tokens are
//! synthesized from the rule's own regex (random, so they are fake) and planted in
//! every context a secret can leak through — the same secret twice on a line, two
//! secrets on a line, a line cut for display, lines other checks quote (eval, an HTTP
//! call, a TODO, a print, a shell command, a hash, in Python, JavaScript and Go, a
//! Dockerfile `curl | sh` and `ADD`, a workflow `run:`), a
//! file name, and a test that prints it and fails with it. The repository is audited
//! (with its tests run when the sandbox is available) and no output — terminal,
//! Markdown, JSON — may hold any seven characters of any planted secret.

use std::collections::BTreeMap;
use std::fs;

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::support::greenlight;

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Printable ASCII characters of a class (or its first character when it has none).
fn class_chars(class: &Class) -> Vec<char> {
    let mut out = Vec::new();
    match class {
        Class::Unicode(u) => {
            for r in u.iter() {
                for c in r.start()..=r.end() {
                    if c.is_ascii_graphic() {
                        out.push(c);
                    }
                    if u32::from(c) > 0x7e {
                        break;
                    }
                }
            }
            if out.is_empty() {
                if let Some(r) = u.iter().next() {
                    out.push(r.start());
                }
            }
        }
        Class::Bytes(b) => {
            for r in b.iter() {
                for c in r.start()..=r.end() {
                    if c.is_ascii_graphic() {
                        out.push(char::from(c));
                    }
                }
            }
        }
    }
    out
}

/// A random string the HIR matches (look-arounds produce nothing; the caller checks
/// the result with the scanner itself).
fn generate(hir: &Hir, rng: &mut Rng, out: &mut String) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => out.push_str(&String::from_utf8_lossy(&lit.0)),
        HirKind::Class(class) => {
            let chars = class_chars(class);
            if let Some(&c) = chars.get(rng.below(chars.len())) {
                out.push(c);
            }
        }
        HirKind::Repetition(rep) => {
            let min = rep.min as usize;
            let span = match rep.max {
                Some(max) => (max as usize).saturating_sub(min).min(24),
                None => 24,
            };
            let n = min + rng.below(span + 1);
            for _ in 0..n {
                generate(&rep.sub, rng, out);
            }
        }
        HirKind::Capture(cap) => generate(&cap.sub, rng, out),
        HirKind::Concat(parts) => {
            for p in parts {
                generate(p, rng, out);
            }
        }
        HirKind::Alternation(alts) => {
            if let Some(a) = alts.get(rng.below(alts.len())) {
                generate(a, rng, out);
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct Catalog {
    secret: Vec<CatalogRule>,
}

#[derive(serde::Deserialize)]
struct CatalogRule {
    id: String,
    regex: String,
}

const CATALOG: &str = include_str!("../../src/analyze/catalog/secrets.toml");

/// One synthesized secret: the line that holds it and the value the scanner found.
struct Planted {
    rule: String,
    line: String,
    secret: String,
}

/// For each rule, a line the scanner reports under that rule, and its secret.
fn synthesize(rng: &mut Rng) -> (Vec<Planted>, Vec<String>) {
    let catalog: Catalog = toml::from_str(CATALOG).unwrap();
    let mut planted = Vec::new();
    let mut missed = Vec::new();
    for rule in &catalog.secret {
        let hir = regex_syntax::parse(&rule.regex).unwrap();
        let mut found = None;
        for _ in 0..400 {
            let mut text = String::new();
            generate(&hir, rng, &mut text);
            let line = format!("{text}\n");
            let hit = greenlight::analyze::secrets::scan_text("app/settings.txt", &line)
                .into_iter()
                .find(|h| h.rule == rule.id);
            if let Some(h) = hit {
                found = Some(Planted {
                    rule: rule.id.clone(),
                    line: text,
                    secret: h.value.expose().to_string(),
                });
                break;
            }
        }
        match found {
            Some(p) => planted.push(p),
            None => missed.push(rule.id.clone()),
        }
    }
    (planted, missed)
}

/// Seven-character windows of `secret` that only the secret could produce (windows
/// made of a rule's fixed words, which the catalog itself spells, are left out).
fn windows(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(7)
        .map(|w| w.iter().collect::<String>())
        .filter(|w| !w.contains('\n') && !CATALOG.contains(w.as_str()))
        .collect()
}

fn python_string(s: &str) -> String {
    format!("\"{s}\"")
}

/// The repository: every planted secret in every context.
fn plant(planted: &[Planted]) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    // Token-like secrets go everywhere; one holding spaces, quotes or backslashes (a
    // key body the generator made odd) only in its own file.
    let token_like = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | '`'))
    };
    let single: Vec<&Planted> = planted
        .iter()
        .filter(|p| !p.line.contains('\n') && token_like(&p.secret))
        .collect();
    files.insert(
        "pyproject.toml".into(),
        "[project]\nname = \"leaky\"\nversion = \"0.1.0\"\n".into(),
    );
    let mut base = String::new();
    let mut twice = String::new();
    let mut pairs = String::new();
    let mut long = String::new();
    let mut calls = String::from(
        "import hashlib\nimport os\nimport subprocess\n\nimport requests\n\n\ndef main():\n",
    );
    let mut js = String::from("export async function main() {\n");
    let mut go =
        String::from("package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\nfunc main() {\n");
    let mut docker = String::from("FROM python:3.12-slim\n");
    let mut workflow = String::from(
        "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n",
    );
    let mut test = String::from("def test_leak():\n    leaked = []\n");
    for (i, p) in planted.iter().enumerate() {
        if p.line.contains('\n') || !token_like(&p.secret) {
            files.insert(format!("keys/key{i}.txt"), format!("{}\n", p.line));
        } else {
            base.push_str(&format!("{}\n", p.line));
        }
    }
    for (i, p) in single.iter().enumerate() {
        let s = &p.secret;
        twice.push_str(&format!("{}  # again: {s} and {s}\n", p.line));
        if let Some(next) = single.get(i + 1) {
            pairs.push_str(&format!("{} ; {}\n", p.line, next.line));
        }
        long.push_str(&format!("{}{}\n", "x = 1; ".repeat(20 + i % 7), p.line));
        let q = python_string(s);
        calls.push_str(&format!("    eval({q})\n"));
        calls.push_str(&format!(
            "    requests.get(\"https://api.service.internal/v1?token=\" + {q})\n"
        ));
        calls.push_str(&format!("    # TODO rotate {s}\n"));
        calls.push_str(&format!("    print({q})\n"));
        calls.push_str(&format!(
            "    subprocess.run(\"curl -H 'X-Key: \" + {q}, shell=True)\n"
        ));
        calls.push_str(&format!("    hashlib.md5({q}.encode())\n"));
        calls.push_str(&format!("    os.system(\"deploy \" + {q})\n"));
        js.push_str(&format!(
            "  await fetch(\"https://api.service.internal/v1?key=\" + {q});\n  console.log({q});\n  eval({q});\n"
        ));
        go.push_str(&format!(
            "\thttp.Get(\"https://api.service.internal/v1?key=\" + {q})\n\tfmt.Println({q})\n"
        ));
        docker.push_str(&format!(
            "RUN curl -fsSL https://get.service.internal/install.sh?k={s} | sh\n"
        ));
        docker.push_str(&format!(
            "ADD https://files.service.internal/{s}.tar.gz /opt/\n"
        ));
        workflow.push_str(&format!("      - run: echo {s}\n"));
        test.push_str(&format!("    print({q})\n    leaked.append({q})\n"));
        let safe = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.+=".contains(c));
        if safe && s.len() < 200 {
            files.insert(format!("config/{s}.json"), "{}\n".into());
        }
    }
    test.push_str("    assert not leaked, \"leaked: \" + \" \".join(leaked)\n");
    files.insert("app/settings.txt".into(), base);
    files.insert("app/twice.txt".into(), twice);
    files.insert("app/pairs.txt".into(), pairs);
    files.insert("app/long.py".into(), long);
    calls.push_str("    try:\n        pass\n    except Exception:\n        pass\n");
    js.push_str("}\n");
    go.push_str("}\n");
    files.insert("app/calls.py".into(), calls);
    files.insert("web/client.js".into(), js);
    files.insert("cmd/app/main.go".into(), go);
    files.insert("Dockerfile".into(), docker);
    files.insert(".github/workflows/ci.yml".into(), workflow);
    files.insert("tests/test_leak.py".into(), test);
    files
}

#[test]
fn no_output_shows_any_planted_secret_in_any_context() {
    let seed = std::env::var("GREENLIGHT_REDACTION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15_u64);
    let mut rng = Rng(seed);
    let (planted, missed) = synthesize(&mut rng);
    let total = planted.len() + missed.len();
    eprintln!(
        "synthesized {} of {total} rules (seed {seed:#x}); not synthesized: {missed:?}",
        planted.len()
    );
    assert!(
        planted.len() * 10 >= total * 9,
        "only {} of {total} rules could be synthesized: {missed:?}",
        planted.len()
    );
    let files = plant(&planted);
    if std::env::var_os("GREENLIGHT_REDACTION_DEBUG").is_some() {
        let base = files.get("app/settings.txt").unwrap();
        let hits = greenlight::analyze::secrets::scan_text("app/settings.txt", base);
        for p in &planted {
            let found = hits.iter().any(|h| h.value.expose() == p.secret);
            if !found {
                eprintln!("not found in the base file: {} {:?}", p.rule, p.line);
            }
        }
    }
    let dir = crate::support::materialize(&files);
    let out_dir = tempfile::tempdir().unwrap();
    let md = out_dir.path().join("review.md");
    let json = out_dir.path().join("review.json");
    let mut cmd = greenlight();
    cmd.arg("audit")
        .arg(dir.path())
        .arg("--out")
        .arg(&md)
        .arg("--out")
        .arg(&json);
    let ran_tests = crate::run::ready();
    if ran_tests {
        cmd.arg("--run-tests");
    }
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let md = fs::read_to_string(&md).unwrap();
    let json = fs::read_to_string(&json).unwrap();
    if ran_tests {
        assert!(
            md.contains("test_leak"),
            "the planted test's failure is in the review"
        );
    }
    let outputs = [
        ("terminal", &stdout),
        ("stderr", &stderr),
        ("markdown", &md),
        ("json", &json),
    ];
    let mut leaks = Vec::new();
    for p in &planted {
        for w in windows(&p.secret) {
            for (name, text) in &outputs {
                if text.contains(w.as_str()) {
                    let at = text.find(w.as_str()).unwrap_or(0);
                    let from = text.floor_char_boundary(at.saturating_sub(60));
                    let to = text.ceil_char_boundary((at + 60).min(text.len()));
                    leaks.push(format!(
                        "{} ({name}): {w:?} in …{}…",
                        p.rule,
                        &text[from..to]
                    ));
                    break;
                }
            }
        }
    }
    leaks.dedup_by(|a, b| a.split(' ').next() == b.split(' ').next());
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}
