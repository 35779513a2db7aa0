//! Judges whether production Python modules import each other in cycles. Imports a
//! submodule makes of its own package (`from pkg import X` in `pkg/a.py`) are followed
//! through the package's `__init__.py` to the submodule that defines `X`: the package
//! re-exporting its submodules is the normal layout, not a cycle.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use crate::analyze::python::{ImportClass, ImportGuard, PyFile};
use crate::checks::python;
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Evidence, Severity, plural};
use crate::repo::FileKind;

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "architecture.import-cycles",
        category: Category::Architecture,
        title: "No import cycles",
        summary: "Production Python modules do not import each other in a cycle at load time. Imports inside functions, under `TYPE_CHECKING` or `if __name__ == \"__main__\":` are not counted, and a submodule importing from its own package counts as importing the submodule the name comes from.",
        weight: 1.0,
        severity: Severity::P2,
        by_kind: None,
        effort: Effort::M,
        rationale: "When module A imports B and B imports A at load time, whichever is imported first sees the other half-initialised: `from a import X` fails with ImportError (\"partially initialized module\") or AttributeError depending on which module a caller happens to import first, so reordering imports or adding an entry point breaks the program. The modules also cannot be understood, tested or split apart separately. A package `__init__.py` that re-exports its submodules while they import names from each other is not counted: Python handles it as long as the package imports its submodules after what they need, which is the usual layout.",
        remediation: "Break each cycle at its weakest edge: move what both modules need into a third module they both import, invert the dependency (pass the object in, register a callback), or, as a stopgap, import inside the function that needs it. Type-only imports go under `if TYPE_CHECKING:`.",
        action: "Break the import cycles between production modules",
        risk: "Import-order failures",
    },
    evaluate,
};

/// Findings listed (one per group of modules that reach each other).
const LISTED: usize = 15;

/// The module-level import graph: file → (imported file → line of the import).
type Graph = BTreeMap<usize, BTreeMap<usize, u32>>;

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Whether `dir` is `inner` or one of its ancestors.
fn contains(dir: &str, inner: &str) -> bool {
    dir.is_empty() || inner == dir || inner.starts_with(&format!("{dir}/"))
}

/// The last line of the `if __name__ == "__main__":` block starting at `start`: up to
/// the next line of code at that `if`'s indentation or less.
fn main_block_end(cx: &Context<'_>, path: &str, start: u32) -> u32 {
    let Some(file) = cx.inventory.file(path) else {
        return start;
    };
    let indent = |t: &str| t.len() - t.trim_start().len();
    let base = indent(file.line(start));
    let total = u32::try_from(file.index.len()).unwrap_or(u32::MAX);
    let mut end = start;
    for n in start.saturating_add(1)..=total {
        let text = file.line(n);
        let t = text.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent(text) <= base {
            break;
        }
        end = n;
    }
    end
}

/// Builds the graph of load-time imports among production files.
fn graph(cx: &Context<'_>) -> Graph {
    let files: HashMap<usize, &PyFile> = python::files(cx).map(|f| (f.index, f.py)).collect();
    let path = |i: usize| cx.inventory.files.get(i).map(|f| f.path.as_str());
    let production = |i: usize| {
        cx.inventory
            .files
            .get(i)
            .is_some_and(|f| f.kind == FileKind::Source)
    };
    let index_of = |p: &str| {
        cx.inventory
            .files
            .binary_search_by(|f| f.path.as_str().cmp(p))
            .ok()
    };
    let main_blocks: HashMap<usize, (u32, u32)> = files
        .iter()
        .filter_map(|(&i, py)| {
            let start = py.main_guard?;
            Some((i, (start, main_block_end(cx, path(i)?, start))))
        })
        .collect();
    // Per file, its load-time imports with their targets: (import index, target).
    let mut targets: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for c in &cx.facts.python.imports {
        let ImportClass::Internal { file: to } = c.class else {
            continue;
        };
        let Some(imp) = files.get(&c.file).and_then(|py| py.imports.get(c.import)) else {
            continue;
        };
        if to == usize::MAX
            || to == c.file
            || matches!(
                imp.guard,
                ImportGuard::Function | ImportGuard::TypeChecking | ImportGuard::Main
            )
        {
            continue;
        }
        if let Some((start, end)) = main_blocks.get(&c.file) {
            if (*start..=*end).contains(&imp.line) {
                continue;
            }
        }
        targets.entry(c.file).or_default().push((c.import, to));
    }
    let mut g = Graph::new();
    for (&from, list) in &targets {
        if !production(from) {
            continue;
        }
        let Some(from_path) = path(from) else {
            continue;
        };
        for &(import, to) in list {
            let Some(to_file) = cx.inventory.files.get(to) else {
                continue;
            };
            let Some(imp) = files.get(&from).and_then(|py| py.imports.get(import)) else {
                continue;
            };
            let package = dir_of(&to_file.path);
            let own_package = to_file.name() == "__init__.py" && contains(package, from_path);
            let reached: Vec<usize> = if own_package {
                // Follow each name to the submodule it is, or the one the package
                // imports it from; names the package defines itself are not followed.
                imp.names
                    .iter()
                    .filter_map(|name| {
                        let prefix = if package.is_empty() {
                            String::new()
                        } else {
                            format!("{package}/")
                        };
                        index_of(&format!("{prefix}{name}.py"))
                            .or_else(|| index_of(&format!("{prefix}{name}/__init__.py")))
                            .or_else(|| {
                                let py = files.get(&to)?;
                                targets.get(&to)?.iter().find_map(|&(i, t)| {
                                    let names = &py.imports.get(i)?.names;
                                    names.contains(name).then_some(t)
                                })
                            })
                    })
                    .filter(|&t| {
                        t != from
                            && cx
                                .inventory
                                .files
                                .get(t)
                                .is_some_and(|f| f.name() != "__init__.py")
                    })
                    .collect()
            } else {
                vec![to]
            };
            for t in reached.into_iter().filter(|&t| production(t)) {
                g.entry(from).or_default().entry(t).or_insert(imp.line);
            }
        }
    }
    g
}

/// Groups of two or more files that all reach each other (Kosaraju, iteratively).
fn components(g: &Graph) -> Vec<Vec<usize>> {
    let nodes: BTreeSet<usize> = g
        .keys()
        .copied()
        .chain(g.values().flat_map(|t| t.keys().copied()))
        .collect();
    let mut reverse: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (&a, ts) in g {
        for &b in ts.keys() {
            reverse.entry(b).or_default().push(a);
        }
    }
    // Finishing order.
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for &root in &nodes {
        if !seen.insert(root) {
            continue;
        }
        let succ = |n: usize| -> Vec<usize> {
            g.get(&n)
                .map(|t| t.keys().copied().collect())
                .unwrap_or_default()
        };
        let mut stack = vec![(root, succ(root), 0usize)];
        while let Some((n, next, pos)) = stack.last_mut() {
            if let Some(&m) = next.get(*pos) {
                *pos += 1;
                if seen.insert(m) {
                    let s = succ(m);
                    stack.push((m, s, 0));
                }
            } else {
                order.push(*n);
                stack.pop();
            }
        }
    }
    let mut assigned = BTreeSet::new();
    let mut out = Vec::new();
    for &root in order.iter().rev() {
        if !assigned.insert(root) {
            continue;
        }
        let mut comp = vec![root];
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            for &m in reverse.get(&n).into_iter().flatten() {
                if assigned.insert(m) {
                    comp.push(m);
                    stack.push(m);
                }
            }
        }
        if comp.len() >= 2 {
            comp.sort_unstable();
            out.push(comp);
        }
    }
    out
}

/// The shortest cycle inside a component, as files in order.
fn shortest_cycle(g: &Graph, comp: &[usize]) -> Vec<usize> {
    let members: BTreeSet<usize> = comp.iter().copied().collect();
    let mut best: Vec<usize> = Vec::new();
    for &start in comp {
        let mut prev: HashMap<usize, usize> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut last = None;
        'bfs: while let Some(n) = queue.pop_front() {
            for &m in g.get(&n).map(|t| t.keys()).into_iter().flatten() {
                if !members.contains(&m) {
                    continue;
                }
                if m == start {
                    last = Some(n);
                    break 'bfs;
                }
                if m != start && !prev.contains_key(&m) {
                    prev.insert(m, n);
                    queue.push_back(m);
                }
            }
        }
        let Some(mut cur) = last else { continue };
        let mut path = vec![cur];
        while cur != start {
            let Some(&p) = prev.get(&cur) else { break };
            path.push(p);
            cur = p;
        }
        path.reverse();
        if best.is_empty() || path.len() < best.len() {
            best = path;
        }
        if best.len() == 2 {
            break;
        }
    }
    best
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    if !python::any(cx) {
        return Outcome::not_applicable("no Python files");
    }
    let g = graph(cx);
    let mut comps = components(&g);
    let path = |i: usize| {
        cx.inventory
            .files
            .get(i)
            .map(|f| f.path.as_str())
            .unwrap_or("?")
    };
    if comps.is_empty() {
        let mut summary = String::from("no import cycle among production modules");
        if !cx.facts.python.cycles.is_empty() {
            summary.push_str(
                " (cycles that close only through a package `__init__.py` re-exporting its own submodules, or through imports under `if __name__ == \"__main__\":`, are not counted)",
            );
        }
        return Outcome::pass(summary);
    }
    // The most entangled first.
    comps.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let in_cycles: usize = comps.iter().map(Vec::len).sum();
    let score = (0.8 - 0.1 * comps.len() as f64).max(0.2);
    let mut outcome = Outcome::scored(
        score,
        format!(
            "{} among production modules ({} involved)",
            plural(comps.len(), "import cycle", "import cycles"),
            plural(in_cycles, "module", "modules"),
        ),
    );
    for comp in comps.iter().take(LISTED) {
        let cycle = shortest_cycle(&g, comp);
        let Some(&first) = cycle.first() else {
            continue;
        };
        let names: Vec<&str> = cycle.iter().map(|&f| path(f)).collect();
        let chain = format!("{} → {}", names.join(" → "), path(first));
        let evidence: Vec<Evidence> = cycle
            .iter()
            .enumerate()
            .filter_map(|(i, &f)| {
                let next = cycle.get(i + 1).copied().unwrap_or(first);
                let line = g.get(&f)?.get(&next)?;
                Some(cx.at(path(f), *line))
            })
            .collect();
        let more = if comp.len() > cycle.len() {
            format!(
                " It is the shortest of the cycles among {} that all reach each other.",
                plural(comp.len(), "module", "modules")
            )
        } else {
            String::new()
        };
        outcome = outcome.concern(
            def,
            format!("Import cycle: {chain}"),
            format!(
                "{chain}: each module imports the next when it loads, so whichever is imported first sees the other half-initialised and works only because of the order the imports happen to run in.{more}"
            ),
            evidence,
        );
    }
    if comps.len() > LISTED {
        outcome.summary.push_str(&format!(
            " ({LISTED} listed, {} more)",
            comps.len() - LISTED
        ));
    }
    outcome
}
