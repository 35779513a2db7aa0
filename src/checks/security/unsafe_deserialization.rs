//! Judges whether Python code deserializes with formats that run code while loading:
//! pickle and its relatives, and YAML without a safe loader.

use regex::Regex;

use crate::analyze::python::CallKind;
use crate::checks::python;
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.unsafe-deserialization",
        category: Category::Security,
        title: "No unsafe deserialization",
        summary: "No Python code loads pickle, shelve, dill, cloudpickle, joblib, `pandas.read_pickle` or `torch.load` (without `weights_only=True`, or with `weights_only=False` where the project requires PyTorch 2.6 or later, which loads weights only by default) data, or YAML without a safe loader; `marshal` loads weigh less. Literals and in-memory round trips (`pickle.loads(pickle.dumps(x))`) are fine. Data a function is handed is P1, P2 when it is a file of a format the program saves itself (`torch.save` … `torch.load`) read outside a request handler.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::M,
        rationale: "Loading a pickle runs whatever the pickle says: its `__reduce__` can call `os.system` before the caller sees a single object, and `yaml.load` with the default or full loader can construct arbitrary Python objects. Whoever can write the bytes — a cache, a queue, an upload, a downloaded model — can run code in the process.",
        remediation: "Use a data-only format for anything that crosses a trust boundary: JSON, MessagePack, Protocol Buffers; `yaml.safe_load` (or `Loader=yaml.SafeLoader`) for YAML; `torch.load(…, weights_only=True)` or safetensors for models. Where pickle must stay (a private cache), sign the bytes with HMAC and verify before loading, and keep the store writable only by the service.",
        action: "Load data with safe formats (JSON, yaml.safe_load, weights_only) instead of pickle",
        risk: "Remote code execution",
    },
    evaluate,
};

/// Severity of `marshal` loads.
const MARSHAL: Severity = Severity::P2;

/// Whether the call loads data the code itself wrote: a literal
/// (`yaml.load("""…""")`), a round trip (`pickle.loads(pickle.dumps(x))`), or a name
/// the same file binds to its own `dumps(…)` (`self._meta = dumps(meta)` …
/// `loads(self._meta)`: bytes kept in memory, which nobody else can write).
fn own_data(
    f: &python::PyRef<'_>,
    line: u32,
    callee: &str,
    seen: &mut std::collections::HashMap<(String, String), bool>,
) -> bool {
    let name = callee.rsplit('.').next().unwrap_or(callee);
    let statement = sites::statement(f, line);
    let Some(first) = sites::arguments(&statement, name).and_then(|a| a.first().copied()) else {
        return false;
    };
    let head = first.split('(').next().unwrap_or("");
    if sites::is_string_literal(first) || (first.contains('(') && head.ends_with("dumps")) {
        return true;
    }
    let dotted = !first.is_empty()
        && first
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    let last = first.rsplit('.').next().unwrap_or(first);
    // The same library's `dumps`, bare or qualified: `json.dumps` text is not a pickle.
    let module = callee.rsplit('.').nth(1).unwrap_or("pickle");
    let text = f.file.text().unwrap_or("");
    if !dotted || !text.contains("dumps(") {
        return false;
    }
    // One search of the file per name, however many loads read it.
    *seen
        .entry((last.to_string(), module.to_string()))
        .or_insert_with(|| {
            Regex::new(&format!(
                r"(?m)(?:^|[\s.]){}\s*=(?:[^=\n]*[^\w.=\n])?(?:{}\.)?dumps\(",
                regex::escape(last),
                regex::escape(module)
            ))
            .is_ok_and(|re| re.is_match(text))
        })
}

/// Whether the load is the decoding half of a codec the same file defines: a
/// `deserialize` function beside the same library's `dumps` (a cache's
/// `serialize`/`deserialize` pair). What it reads is what this code wrote to its own
/// store; a caller can hand it other bytes only through that store.
fn codec_pair(f: &python::PyRef<'_>, function: Option<usize>, callee: &str) -> bool {
    let Some(name) = function
        .and_then(|i| f.py.functions.get(i))
        .map(|d| d.name.to_ascii_lowercase())
    else {
        return false;
    };
    let module = callee.rsplit('.').nth(1).unwrap_or("pickle");
    name.contains("deserial")
        && f.file
            .text()
            .is_some_and(|t| t.contains(&format!("{module}.dumps(")))
}

/// Whether the project requires PyTorch 2.6 or later (`torch == 2.6.0`,
/// `torch>=2.6`), whose `torch.load` loads tensors only unless told
/// `weights_only=False`.
fn torch_loads_weights_only(cx: &Context<'_>) -> bool {
    // Every declaration: one requirements file allowing an older PyTorch is enough to
    // install it.
    let mut torch = cx
        .facts
        .manifests
        .iter()
        .filter(|m| cx.in_scope(&m.path))
        .flat_map(|m| &m.dependencies)
        .filter(|d| d.name.eq_ignore_ascii_case("torch"))
        .peekable();
    torch.peek().is_some() && torch.all(|d| lower_bound_at_least(&d.spec, (2, 6)))
}

/// Whether a requirement (`== 2.6.0`, `>=2.7,<3`, `~=2.6`) admits no version below
/// `min` (major, minor).
fn lower_bound_at_least(spec: &str, min: (u64, u64)) -> bool {
    spec.split(',').map(str::trim).any(|clause| {
        let Some(version) = ["===", "==", ">=", "~="]
            .iter()
            .find_map(|op| clause.strip_prefix(op))
            .map(str::trim)
        else {
            return false;
        };
        let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), Some(minor)) => (major, minor) >= min,
            (Some(major), None) => major > min.0,
            _ => false,
        }
    })
}

/// File loaders and the call that writes their format: a program that saves
/// checkpoints with `torch.save` reads its own files back with `torch.load`.
const WRITERS: &[(&str, &str)] = &[
    ("torch.load", "torch.save("),
    ("joblib.load", "joblib.dump("),
    ("pickle.load", "pickle.dump("),
    ("cloudpickle.load", "cloudpickle.dump("),
    ("dill.load", "dill.dump("),
    ("pandas.read_pickle", ".to_pickle("),
];

/// The call that writes the files `callee` loads, for loaders that read a file.
fn writer_of(callee: &str) -> Option<&'static str> {
    WRITERS.iter().find(|(l, _)| *l == callee).map(|(_, w)| *w)
}

/// Whether the enclosing function is a web route (`@app.get`, `@router.post`,
/// `@app.route`, `@bp.route`): its arguments come from a request.
fn in_route(f: &python::PyRef<'_>, function: Option<usize>) -> bool {
    function
        .and_then(|i| f.py.functions.get(i))
        .is_some_and(|d| {
            d.decorators.iter().any(|dec| {
                let last = dec.rsplit('.').next().unwrap_or(dec);
                dec.contains('.')
                    && matches!(
                        last,
                        "route"
                            | "get"
                            | "post"
                            | "put"
                            | "patch"
                            | "delete"
                            | "websocket"
                            | "api_route"
                    )
            })
        })
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let weights_only = torch_loads_weights_only(cx);
    // Per writer call (`torch.save(`): where production code first makes one.
    let saved: std::collections::HashMap<&str, std::sync::OnceLock<Option<(String, u32)>>> =
        WRITERS
            .iter()
            .map(|(_, w)| (*w, std::sync::OnceLock::new()))
            .collect();
    let unknown = std::sync::OnceLock::new();
    let writes = |w: &str| saved.get(w).unwrap_or(&unknown);
    let mut found = Vec::new();
    for f in &files {
        let mut seen = std::collections::HashMap::new();
        for c in &f.py.calls {
            let (CallKind::Deserialize { callee, tainted }
            | CallKind::YamlLoad {
                callee, tainted, ..
            }) = &c.kind
            else {
                continue;
            };
            // `Loader=FGLoader` where this module defines `class FGLoader(yaml.SafeLoader)`.
            if let CallKind::YamlLoad {
                loader: Some(loader),
                ..
            } = &c.kind
            {
                let safe_subclass = f.py.classes.iter().any(|k| {
                    k.name == *loader
                        && k.bases.iter().any(|b| {
                            matches!(
                                b.rsplit('.').next().unwrap_or(b),
                                "SafeLoader" | "CSafeLoader" | "BaseLoader" | "CBaseLoader"
                            )
                        })
                });
                if safe_subclass {
                    continue;
                }
            }
            if own_data(f, c.line, callee, &mut seen) {
                continue;
            }
            // PyTorch 2.6 and later load tensors only unless the call says otherwise.
            // `pickle_module=` (or arguments passed through `**`) turns pickle back on.
            if callee == "torch.load" && weights_only && {
                let statement = sites::statement(f, c.line);
                !statement.contains("weights_only")
                    && !statement.contains("pickle_module")
                    && !statement.contains("**")
            } {
                continue;
            }
            // Data a caller hands in may come from anywhere; a file or cache the
            // module reads itself is trusted as far as its directory is, and so is a
            // file of the format the program saves itself (`torch.save` … `torch.load`
            // of its checkpoints) outside a request handler.
            let own_store = || -> Option<(String, u32)> {
                let w = writer_of(callee)?;
                // Not in a handler: routed, or a view handed the request.
                let handed_request = tainted
                    .as_deref()
                    .is_some_and(|p| matches!(p, "request" | "req"));
                let routed = f.py.routes.iter().any(|r| r.function == c.function);
                if in_route(f, c.function) || handed_request || routed {
                    return None;
                }
                writes(w)
                    .get_or_init(|| {
                        files
                            .iter()
                            .filter(|g| g.role == python::Role::Production)
                            .find_map(|g| {
                                let text = g.file.text()?;
                                let at = text.find(w)?;
                                let line = text.get(..at)?.matches('\n').count() + 1;
                                Some((g.path().to_string(), u32::try_from(line).ok()?))
                            })
                    })
                    .clone()
            };
            let mut own = None;
            let mut severity = if tainted.is_some() && !codec_pair(f, c.function, callee) {
                own = own_store();
                if own.is_some() {
                    Severity::P2
                } else {
                    def.severity
                }
            } else {
                Severity::P2
            };
            let message = match &c.kind {
                // marshal builds no objects of the data's choosing: bad bytes crash the
                // interpreter rather than run code.
                CallKind::Deserialize { callee, .. } if callee.starts_with("marshal.") => {
                    severity = MARSHAL;
                    format!(
                        "`{callee}` is not safe against malformed or malicious bytes: they can crash the interpreter, and loaded code objects run if executed. Use a data format (JSON, MessagePack) for anything not written by this process."
                    )
                }
                CallKind::Deserialize { callee, .. } => match &own {
                    Some((path, line)) => format!(
                        "`{callee}` rebuilds objects by running code the data names. The program writes files of this format itself ({path}:{line}) and this load is outside any request handler, so the bytes come from its own store: whoever can write that directory can run code in this process. Prefer a data-only format (safetensors, JSON), or keep the directory writable only by the service."
                    ),
                    None => format!(
                        "`{callee}` rebuilds objects by running code the data names: bytes from anyone who can write the file, cache entry or message run as code in this process. Use a data-only format (JSON, MessagePack), or sign and verify the bytes before loading."
                    ),
                },
                CallKind::YamlLoad { callee, .. } => format!(
                    "`{callee}` without a safe loader constructs arbitrary Python objects from tags in the document (`!!python/object/apply:os.system`): a YAML file from outside runs code. Use `yaml.safe_load` or `Loader=yaml.SafeLoader`."
                ),
                _ => continue,
            };
            found.push(Site {
                file: *f,
                line: c.line,
                severity,
                what: format!("Unsafe deserialization with `{callee}`"),
                message,
                evidence: cx.at(f.path(), c.line),
            });
        }
    }
    sites::judge(
        def,
        files.len(),
        (
            "call that deserializes unsafely",
            "calls that deserialize unsafely",
        ),
        found,
    )
}
