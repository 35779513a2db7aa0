//! The one traversal of a Python file's syntax tree. It keeps the scope it is in
//! (enclosing functions and classes, loops, import guards, async-ness) and records
//! facts as it meets them; names are resolved through the file's own imports
//! (`import requests as r` makes `r.get` read `requests.get`).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use std::time::{Duration, Instant};

use regex::Regex;
use tree_sitter::{Node, ParseOptions, Parser};

use crate::analyze::source::{AppSetting, Setting};

use super::{
    Assert, BadFormatSpec, Call, CallKind, CallShape, Class, Default, Function, Handler,
    ImportGuard, Param, ParamKind, PyFile, PyImport, PyRoute, SensitiveLiteral, SyntaxError,
    TestCase,
};

/// Deepest syntax-tree nesting followed; deeper subtrees (only hostile or generated
/// code nests this far) are skipped and reported.
const MAX_DEPTH: u32 = 256;
/// Time one file's parse may take, plus an allowance per megabyte (a large real
/// module parses in well under a tenth of this).
const PARSE_BUDGET: Duration = Duration::from_secs(2);
const PARSE_BUDGET_PER_MB: Duration = Duration::from_secs(2);
/// Longest dotted name followed (`a.b.c…`).
const MAX_DOTTED: usize = 64;
/// Deepest bracket nesting the second parser is given (it recurses).
const MAX_CONFIRM_NESTING: usize = 200;
/// Syntax errors kept per file: the first ones say enough.
const MAX_SYNTAX_ERRORS: usize = 20;

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parses one file and gathers its facts. `test_file` turns on the test inventory and
/// the recording of call shapes. `None` when the parser could not be set up.
pub fn parse(text: &str, test_file: bool) -> Option<PyFile> {
    let budget = PARSE_BUDGET + PARSE_BUDGET_PER_MB.mul_f64(text.len() as f64 / 1e6);
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut()?;
        // Error recovery on some malformed input (thousands of unclosed brackets)
        // grows quadratically: a time budget per file bounds it.
        let started = Instant::now();
        let mut out_of_time = |_: &tree_sitter::ParseState| started.elapsed() > budget;
        let bytes = text.as_bytes();
        let tree = parser.parse_with_options(
            &mut |i, _| bytes.get(i..).unwrap_or(&[]),
            None,
            Some(ParseOptions::new().progress_callback(&mut out_of_time)),
        );
        if tree.is_none() {
            // A cancelled parse leaves the parser mid-document.
            parser.reset();
        }
        Some(tree)
    })?;
    let Some(tree) = tree else {
        return Some(PyFile {
            unparsed: Some(format!(
                "not parsed: the parser gave up after {} s (pathologically malformed input)",
                budget.as_secs()
            )),
            ..PyFile::default()
        });
    };
    let mut v = Visitor {
        src: text.as_bytes(),
        test_file,
        out: PyFile::default(),
        aliases: HashMap::new(),
        frames: Vec::new(),
        names: Vec::new(),
        classes: Vec::new(),
        guard: ImportGuard::None,
        loop_depth: 0,
        depth: 0,
        in_error: false,
        target: None,
        sessions: HashMap::new(),
        session_vars: Vec::new(),
        pending_eval: Vec::new(),
        pending_paths: Vec::new(),
        module_markers: Vec::new(),
        defined: HashSet::new(),
        expecting: 0,
    };
    let root = tree.root_node();
    if root.has_error() {
        v.errors(root);
    }
    v.visit(root);
    let mut out = v.finish();
    if !out.syntax_errors.is_empty()
        && out.too_deep.is_empty()
        && bracket_depth(text) <= MAX_CONFIRM_NESTING
    {
        confirm(text, &mut out);
    }
    Some(out)
}

/// The deepest bracket nesting in a text (brackets in strings and comments count
/// too: an over-estimate is safe here).
fn bracket_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Tree-sitter's grammar lags the language in places (non-ASCII identifiers,
/// parenthesised targets): a second, independent parser confirms each file it
/// rejects. Agreement keeps the errors, led by the second parser's message; a file the
/// second parser accepts is valid Python.
fn confirm(text: &str, out: &mut PyFile) {
    let result = std::panic::catch_unwind(|| {
        rustpython_parser::parse(text, rustpython_parser::Mode::Module, "<file>")
            .err()
            .map(|e| (usize::from(e.offset), e.error.to_string()))
    });
    match result {
        Ok(None) => out.syntax_errors.clear(),
        // Syntax newer than both parsers (type-parameter defaults, PEP 696; lazy
        // imports, PEP 810) is valid for the Python that introduced it.
        Ok(Some(_)) if out.syntax_errors.iter().all(|e| newer_syntax(text, e.line)) => {
            out.syntax_errors.clear()
        }
        Ok(Some((offset, message))) => {
            let before = text.get(..offset.min(text.len())).unwrap_or("");
            let line = u32::try_from(memchr::memchr_iter(b'\n', before.as_bytes()).count())
                .unwrap_or(u32::MAX - 1)
                .saturating_add(1);
            out.syntax_errors.retain(|e| e.line != line);
            out.syntax_errors.insert(0, SyntaxError { line, message });
            out.syntax_errors.truncate(MAX_SYNTAX_ERRORS);
        }
        // The second parser failed outright: keep tree-sitter's findings.
        Err(_) => {}
    }
}

struct Frame {
    function: usize,
    is_async: bool,
    params: Vec<String>,
    /// Block nesting inside this function.
    blocks: u32,
    /// Loop depth when the function began (loops outside it do not count).
    loops_at_entry: u32,
    /// Local names bound to SQL text built by formatting: name → how.
    sql_vars: HashMap<String, (&'static str, Option<String>)>,
}

struct ClassScope {
    name: String,
    is_test: bool,
    markers: Vec<String>,
}

struct Visitor<'t> {
    src: &'t [u8],
    test_file: bool,
    out: PyFile,
    /// Local name → what it stands for (`r` → `requests`, `get` → `requests.get`).
    aliases: HashMap<String, String>,
    frames: Vec<Frame>,
    /// Enclosing definitions: (name, is a class), for qualified names.
    names: Vec<(String, bool)>,
    classes: Vec<ClassScope>,
    guard: ImportGuard,
    loop_depth: u32,
    depth: u32,
    in_error: bool,
    /// The name being assigned while its right-hand side is visited.
    target: Option<String>,
    /// Names bound to HTTP sessions/clients → client library.
    sessions: HashMap<String, &'static str>,
    /// (index of a SessionCreated call, the name it is bound to).
    session_vars: Vec<(usize, String)>,
    /// Calls to `eval`/`exec`/`compile` that are builtins unless the file defines them.
    pending_eval: Vec<Call>,
    /// Path-from-parameter calls, kept unless their function checks containment.
    pending_paths: Vec<Call>,
    module_markers: Vec<String>,
    /// Names defined at module level (functions, classes).
    defined: HashSet<String>,
    /// Depth of `with pytest.raises(…)`/`assertRaises…`/`patch…` blocks and patched
    /// test functions around this point.
    expecting: u32,
}

/// Calls whose `debug=True` (or `use_debugger=True`) turns on a web framework's or
/// server's debug mode: Flask/Quart/Sanic `run`, Werkzeug `run_simple`, Dash
/// `run_server`, the FastAPI/Starlette/Litestar constructors.
const DEBUG_CALLEES: &[&str] = &[
    "FastAPI",
    "Litestar",
    "Quart",
    "Sanic",
    "Starlette",
    "run",
    "run_server",
    "run_simple",
];

/// Calls that start a server on an address.
const SERVE_CALLEES: &[&str] = &[
    "HTTPServer",
    "TCPServer",
    "ThreadingHTTPServer",
    "ThreadingTCPServer",
    "create_server",
    "make_server",
    "run",
    "run_app",
    "run_server",
    "run_simple",
    "serve",
    "start_server",
];

static SQL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?is)\b(?:select\b.+\bfrom|insert\s+into|update\b.+\bset|delete\s+from|drop\s+(?:table|database)|create\s+(?:table|index)|alter\s+table|truncate\s+table)\b",
    )
    .ok()
});

static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b").ok()
});

/// A format spec that begins like a standard one and then continues with an
/// expression keyword: the expression was meant to be inside the field.
static BAD_SPEC: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?:.?[<>=^])?[+\- ]?z?#?0?\d*[,_]?(?:\.\d+)?[bcdeEfFgGnosxX%]?\s+(?:if|else|and|or|for|not|is|in)\b").ok()
});

fn matches(re: &LazyLock<Option<Regex>>, text: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(text))
}

const HTTP_VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request",
];
const ROUTE_VERBS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "route",
    "api_route",
    "websocket",
];
const SENSITIVE_PURPOSE: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "token",
    "secret",
    "nonce",
    "salt",
    "otp",
    "apikey",
    "api_key",
    "session_key",
    "csrf",
];

fn line(node: Node<'_>) -> u32 {
    u32::try_from(node.start_position().row)
        .unwrap_or(u32::MAX - 1)
        .saturating_add(1)
}

fn end_line(node: Node<'_>) -> u32 {
    u32::try_from(node.end_position().row)
        .unwrap_or(u32::MAX - 1)
        .saturating_add(1)
}

/// The first child of a kind.
fn child_of_kind<'a>(node: Node<'a>, kind: &str) -> Option<Node<'a>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).find(|c| c.kind() == kind)
}

/// Every child, named or not (missing tokens are anonymous).
fn named_children_all(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// A plain string literal (no interpolation), or a concatenation of them.
fn is_plain_string(node: Node<'_>) -> bool {
    match node.kind() {
        "string" => child_of_kind(node, "interpolation").is_none(),
        "concatenated_string" => named_children(node).into_iter().all(is_plain_string),
        _ => false,
    }
}

/// The text inside a plain string literal's quotes.
fn string_value<'a>(node: Node<'_>, src: &'a [u8]) -> Option<&'a str> {
    if node.kind() != "string" {
        return None;
    }
    let content = child_of_kind(node, "string_content");
    match content {
        Some(c) => c.utf8_text(src).ok(),
        None => Some(""),
    }
}

fn is_mutable_display(node: Node<'_>, src: &[u8]) -> bool {
    match node.kind() {
        "list"
        | "dictionary"
        | "set"
        | "list_comprehension"
        | "dictionary_comprehension"
        | "set_comprehension" => true,
        "call" => {
            let f = node.child_by_field_name("function");
            let empty = node
                .child_by_field_name("arguments")
                .is_some_and(|a| a.named_child_count() == 0);
            empty
                && f.and_then(|f| f.utf8_text(src).ok())
                    .is_some_and(|t| matches!(t, "list" | "dict" | "set" | "defaultdict"))
        }
        _ => false,
    }
}

/// Arguments of a call, split.
struct Args<'a> {
    positional: Vec<Node<'a>>,
    keywords: Vec<(String, Node<'a>)>,
    unpacked: bool,
}

impl<'a> Args<'a> {
    fn of(call: Node<'a>, src: &[u8]) -> Args<'a> {
        let mut args = Args {
            positional: Vec::new(),
            keywords: Vec::new(),
            unpacked: false,
        };
        let Some(list) = call.child_by_field_name("arguments") else {
            return args;
        };
        if list.kind() == "generator_expression" {
            args.positional.push(list);
            return args;
        }
        for a in named_children(list) {
            match a.kind() {
                "keyword_argument" => {
                    let name = a
                        .child_by_field_name("name")
                        .and_then(|n| n.utf8_text(src).ok())
                        .unwrap_or("")
                        .to_string();
                    if let Some(v) = a.child_by_field_name("value") {
                        args.keywords.push((name, v));
                    }
                }
                "list_splat" | "dictionary_splat" | "parenthesized_list_splat" => {
                    args.unpacked = true
                }
                "comment" => {}
                _ => args.positional.push(a),
            }
        }
        args
    }

    fn keyword(&self, name: &str) -> Option<Node<'a>> {
        self.keywords
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
    }

    fn first(&self) -> Option<Node<'a>> {
        self.positional.first().copied()
    }
}

impl<'t> Visitor<'t> {
    fn text(&self, node: Node<'_>) -> &'t str {
        node.utf8_text(self.src).unwrap_or("")
    }

    /// `a.b.c` for identifiers and attribute chains; `None` for anything else.
    fn dotted(&self, node: Node<'_>) -> Option<String> {
        // Iterative, and bounded: a hostile `a.a.a…` chain is not a name.
        let mut parts = Vec::new();
        let mut n = node;
        loop {
            match n.kind() {
                "identifier" => {
                    parts.push(self.text(n));
                    break;
                }
                "attribute" if parts.len() < MAX_DOTTED => {
                    parts.push(self.text(n.child_by_field_name("attribute")?));
                    n = n.child_by_field_name("object")?;
                }
                _ => return None,
            }
        }
        parts.reverse();
        Some(parts.join("."))
    }

    /// A dotted name with its first part replaced by what the file imported under it.
    fn resolve(&self, dotted: &str) -> String {
        let (head, rest) = match dotted.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (dotted, None),
        };
        match (self.aliases.get(head), rest) {
            (Some(q), Some(r)) => format!("{q}.{r}"),
            (Some(q), None) => q.clone(),
            (None, _) => dotted.to_string(),
        }
    }

    /// Whether a name is the builtin of that name (not imported or defined here).
    fn is_builtin(&self, name: &str) -> bool {
        !self.aliases.contains_key(name)
    }

    fn function_index(&self) -> Option<usize> {
        self.frames.last().map(|f| f.function)
    }

    fn in_async(&self) -> bool {
        self.frames.last().is_some_and(|f| f.is_async)
    }

    /// Loops around this point inside the current function.
    fn in_loop(&self) -> bool {
        let base = self.frames.last().map(|f| f.loops_at_entry).unwrap_or(0);
        self.loop_depth > base
    }

    fn bump_complexity(&mut self) {
        if let Some(f) = self.frames.last() {
            if let Some(func) = self.out.functions.get_mut(f.function) {
                func.complexity = func.complexity.saturating_add(1);
            }
        }
    }

    fn push_call(&mut self, kind: CallKind, node: Node<'_>) -> usize {
        self.out.calls.push(Call {
            kind,
            line: line(node),
            function: self.function_index(),
        });
        self.out.calls.len() - 1
    }

    fn visit_children(&mut self, node: Node<'_>) {
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return;
        }
        loop {
            self.visit(cursor.node());
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }

    fn visit(&mut self, node: Node<'_>) {
        if self.depth >= MAX_DEPTH {
            self.out.too_deep.push(line(node));
            return;
        }
        self.depth += 1;
        self.visit_node(node);
        self.depth -= 1;
    }

    fn visit_node(&mut self, node: Node<'_>) {
        match node.kind() {
            "ERROR" => {
                let was = self.in_error;
                self.in_error = true;
                self.visit_children(node);
                self.in_error = was;
            }
            // The grammar accepts Python 2 statements; Python 3 does not.
            "print_statement" | "exec_statement" => {
                let word = if node.kind() == "print_statement" {
                    "print"
                } else {
                    "exec"
                };
                self.syntax_error(
                    node,
                    format!("Python 2 `{word}` statement (a syntax error in Python 3)"),
                );
                self.visit_children(node);
            }
            "import_statement" => self.import(node),
            "import_from_statement" => self.import_from(node),
            "decorated_definition" => self.decorated(node),
            "function_definition" => self.function(node, Vec::new()),
            "class_definition" => self.class(node, Vec::new()),
            "call" => {
                self.call(node);
                self.visit_children(node);
            }
            "if_statement" => self.if_statement(node),
            "try_statement" => self.try_statement(node),
            "except_clause" | "except_group_clause" => {
                self.bump_complexity();
                self.handler(node);
                // A fallback import in `except ImportError:` is optional by design.
                let value = node.child_by_field_name("value").map(|v| self.text(v));
                let fallback = value.is_some_and(|t| {
                    t.contains("ImportError") || t.contains("ModuleNotFoundError")
                });
                let was = self.guard;
                if fallback && matches!(self.guard, ImportGuard::None | ImportGuard::Conditional) {
                    self.guard = ImportGuard::TryExcept;
                }
                // The try statement already counted this level of nesting.
                self.visit_children(node);
                self.guard = was;
            }
            "for_statement" | "while_statement" => {
                if let Some(left) = node.child_by_field_name("left") {
                    self.bind_target(left);
                }
                self.bump_complexity();
                self.loop_depth += 1;
                self.block(node);
                self.loop_depth -= 1;
            }
            "with_statement" => {
                let header = node
                    .child_by_field_name("body")
                    .map(|b| b.start_byte())
                    .and_then(|end| std::str::from_utf8(self.src.get(node.start_byte()..end)?).ok())
                    .unwrap_or("");
                let expects = self.test_file
                    && [
                        "raises(",
                        "assertRaises",
                        "patch(",
                        "patch.object(",
                        "patch.dict(",
                    ]
                    .iter()
                    .any(|m| header.contains(m));
                // `with suppress(ImportError):` makes the imports in it optional, as
                // `try`/`except ImportError` does.
                let optional = header.contains("suppress(")
                    && (header.contains("ImportError") || header.contains("ModuleNotFoundError"));
                let was = self.guard;
                if optional && matches!(self.guard, ImportGuard::None | ImportGuard::Conditional) {
                    self.guard = ImportGuard::TryExcept;
                }
                self.expecting += u32::from(expects);
                self.block(node);
                self.expecting -= u32::from(expects);
                self.guard = was;
            }
            "match_statement" => self.block(node),
            "elif_clause"
            | "case_clause"
            | "conditional_expression"
            | "boolean_operator"
            | "if_clause"
            | "for_in_clause" => {
                self.bump_complexity();
                self.visit_children(node);
            }
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => {
                self.loop_depth += 1;
                self.visit_children(node);
                self.loop_depth -= 1;
            }
            "type_alias_statement" => {
                if let Some(name) = node.named_child(0) {
                    self.bind_target(name);
                }
                self.visit_children(node);
            }
            "named_expression" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.bind_target(name);
                }
                self.visit_children(node);
            }
            "global_statement" => {
                for n in named_children(node) {
                    let t = self.text(n).to_string();
                    self.out.module_names.insert(t);
                }
            }
            "assert_statement" => {
                self.assert(node);
                self.visit_children(node);
            }
            "assignment" => self.assignment(node),
            "as_pattern" => {
                self.with_alias(node);
                self.visit_children(node);
            }
            "expression_statement" => {
                // A lone string is a docstring or a comment: no literal facts.
                if node.named_child_count() == 1
                    && node.named_child(0).is_some_and(|c| c.kind() == "string")
                {
                    return;
                }
                self.visit_children(node);
            }
            "string" => {
                self.string(node);
                self.visit_children(node);
            }
            "subscript" => {
                if self.text(node).replace(' ', "") == "sys.modules[__name__]" {
                    self.out.dynamic_attributes = true;
                }
                self.env_subscript(node);
                self.visit_children(node);
            }
            _ => self.visit_children(node),
        }
    }

    /// Error and missing nodes, reached through the subtrees that hold them only.
    fn errors(&mut self, root: Node<'_>) {
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if self.out.syntax_errors.len() >= MAX_SYNTAX_ERRORS {
                break;
            }
            if n.is_missing() {
                self.syntax_error(n, format!("missing `{}`", n.kind()));
            } else if n.is_error() {
                let snippet: String = self.text(n).chars().take(40).collect();
                let snippet = snippet.lines().next().unwrap_or("").trim().to_string();
                self.syntax_error(n, format!("invalid syntax near `{snippet}`"));
            } else if n.has_error() {
                let mut kids = named_children_all(n);
                kids.reverse();
                stack.extend(kids);
            }
        }
        self.out.syntax_errors.sort_by_key(|e| e.line);
    }

    fn syntax_error(&mut self, node: Node<'_>, message: String) {
        if self.in_error || self.out.syntax_errors.len() >= MAX_SYNTAX_ERRORS {
            return;
        }
        self.out.syntax_errors.push(SyntaxError {
            line: line(node),
            message,
        });
    }

    /// Visits a compound statement's children one block deeper.
    fn block(&mut self, node: Node<'_>) {
        let depth = if let Some(f) = self.frames.last_mut() {
            f.blocks += 1;
            Some((f.function, f.blocks))
        } else {
            None
        };
        if let Some((i, d)) = depth {
            if let Some(func) = self.out.functions.get_mut(i) {
                func.nesting = func.nesting.max(d);
            }
        }
        self.visit_children(node);
        if let Some(f) = self.frames.last_mut() {
            f.blocks = f.blocks.saturating_sub(1);
        }
    }

    /// How an import here is reached. Inside a function the guard is that of the
    /// function body (reset on entry): `try/except ImportError` still makes it optional.
    fn current_guard(&self) -> ImportGuard {
        match (self.frames.is_empty(), self.guard) {
            (true, g) => g,
            (
                false,
                g @ (ImportGuard::TryExcept | ImportGuard::TypeChecking | ImportGuard::Main),
            ) => g,
            (false, _) => ImportGuard::Function,
        }
    }

    fn import(&mut self, node: Node<'_>) {
        let guard = self.current_guard();
        for c in named_children(node) {
            let (module, alias) = match c.kind() {
                "dotted_name" => (self.text(c).to_string(), None),
                "aliased_import" => {
                    let Some(name) = c.child_by_field_name("name") else {
                        continue;
                    };
                    let alias = c
                        .child_by_field_name("alias")
                        .map(|a| self.text(a).to_string());
                    (self.text(name).to_string(), alias)
                }
                _ => continue,
            };
            let module = compact(&module);
            match alias {
                Some(a) => {
                    self.bind(&a);
                    self.aliases.insert(a, module.clone());
                }
                None => {
                    let head = module.split('.').next().unwrap_or("").to_string();
                    self.bind(&head);
                    self.aliases.insert(head.clone(), head);
                }
            }
            self.out.imports.push(PyImport {
                module,
                level: 0,
                names: Vec::new(),
                line: line(c),
                guard,
            });
        }
    }

    fn import_from(&mut self, node: Node<'_>) {
        let guard = self.current_guard();
        let Some(module_node) = node.child_by_field_name("module_name") else {
            return;
        };
        let (level, module) = if module_node.kind() == "relative_import" {
            let dots = child_of_kind(module_node, "import_prefix")
                .map(|p| self.text(p).chars().filter(|&c| c == '.').count())
                .unwrap_or(0);
            let name = child_of_kind(module_node, "dotted_name")
                .map(|n| compact(self.text(n)))
                .unwrap_or_default();
            (u8::try_from(dots).unwrap_or(u8::MAX), name)
        } else {
            (0, compact(self.text(module_node)))
        };
        let prefix = format!("{}{}", ".".repeat(usize::from(level)), module);
        let mut names = Vec::new();
        if child_of_kind(node, "wildcard_import").is_some() && self.frames.is_empty() {
            self.out.star_import = true;
        }
        let mut cursor = node.walk();
        let parts: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
        for part in parts {
            let (name, alias) = match part.kind() {
                "dotted_name" => (compact(self.text(part)), None),
                "aliased_import" => {
                    let Some(n) = part.child_by_field_name("name") else {
                        continue;
                    };
                    (
                        compact(self.text(n)),
                        part.child_by_field_name("alias")
                            .map(|a| self.text(a).to_string()),
                    )
                }
                _ => continue,
            };
            let local = alias.unwrap_or_else(|| name.clone());
            let joined = if prefix.ends_with('.') || prefix.is_empty() {
                format!("{prefix}{name}")
            } else {
                format!("{prefix}.{name}")
            };
            self.bind(&local);
            self.aliases.insert(local, joined);
            names.push(name);
        }
        self.out.imports.push(PyImport {
            module,
            level,
            names,
            line: line(node),
            guard,
        });
    }

    fn decorated(&mut self, node: Node<'_>) {
        let mut decorators = Vec::new();
        for c in named_children(node) {
            if c.kind() != "decorator" {
                continue;
            }
            let Some(expr) = c.named_child(0) else {
                continue;
            };
            // Visit the decorator's own calls (route paths, arguments).
            self.visit(expr);
            let (callee, call) = if expr.kind() == "call" {
                (expr.child_by_field_name("function"), Some(expr))
            } else {
                (Some(expr), None)
            };
            let Some(name) = callee.and_then(|n| self.dotted(n)) else {
                continue;
            };
            let resolved = self.resolve(&name);
            decorators.push((resolved, name, call, line(c)));
        }
        if let Some(def) = node.child_by_field_name("definition") {
            match def.kind() {
                "function_definition" => self.function(def, decorators),
                "class_definition" => self.class(def, decorators),
                _ => self.visit(def),
            }
        }
    }

    fn function(&mut self, node: Node<'_>, decorators: Vec<Decorator<'_>>) {
        let name = node
            .child_by_field_name("name")
            .map(|n| self.text(n).to_string())
            .unwrap_or_default();
        let is_async = child_of_kind(node, "async").is_some();
        let is_method = self.names.last().is_some_and(|(_, class)| *class);
        let top_level = self.frames.is_empty() && self.names.len() <= 1;
        if self.names.is_empty() {
            self.defined.insert(name.clone());
        }
        self.bind(&name);
        let qualname = self.qualify(&name);
        let params = node
            .child_by_field_name("parameters")
            .map(|p| self.params(p))
            .unwrap_or_default();
        let body_text = node
            .child_by_field_name("body")
            .map(|b| self.text(b))
            .unwrap_or("");
        let contains_paths = checks_containment(body_text);
        let first_line = line(node);
        let index = self.out.functions.len();
        self.out.functions.push(Function {
            name: name.clone(),
            qualname,
            line: first_line,
            end_line: end_line(node),
            params: params.clone(),
            is_async,
            decorators: decorators.iter().map(|d| d.0.clone()).collect(),
            is_method,
            top_level,
            complexity: 1,
            nesting: 0,
            contains_paths,
        });
        self.decorator_facts(&decorators, Some(index));
        self.test_facts(&name, first_line, &decorators, is_method);
        // Parameter defaults are evaluated in the enclosing scope.
        if let Some(p) = node.child_by_field_name("parameters") {
            self.visit_children(p);
        }
        let patched = self.test_file
            && decorators
                .iter()
                .any(|d| d.0.contains("patch") || d.0.ends_with("raises"));
        self.expecting += u32::from(patched);
        self.frames.push(Frame {
            function: index,
            is_async,
            params: params.iter().map(|p| p.name.clone()).collect(),
            blocks: 0,
            loops_at_entry: self.loop_depth,
            sql_vars: HashMap::new(),
        });
        self.names.push((name, false));
        let was_guard = std::mem::replace(&mut self.guard, ImportGuard::None);
        let was_target = self.target.take();
        if let Some(body) = node.child_by_field_name("body") {
            self.visit(body);
        }
        self.target = was_target;
        self.guard = was_guard;
        self.expecting -= u32::from(patched);
        self.names.pop();
        self.frames.pop();
    }

    fn params(&self, node: Node<'_>) -> Vec<Param> {
        let mut out = Vec::new();
        let mut keyword_only = false;
        for p in named_children(node) {
            let l = line(p);
            let (name, kind, default) = match p.kind() {
                "identifier" => (self.text(p).to_string(), ParamKind::Normal, None),
                "typed_parameter" => {
                    let inner = p.named_child(0);
                    match inner.map(|i| i.kind()) {
                        Some("list_splat_pattern") => {
                            keyword_only = true;
                            (splat_name(inner, self), ParamKind::VarArgs, None)
                        }
                        Some("dictionary_splat_pattern") => {
                            (splat_name(inner, self), ParamKind::VarKwargs, None)
                        }
                        _ => (
                            inner.map(|i| self.text(i).to_string()).unwrap_or_default(),
                            ParamKind::Normal,
                            None,
                        ),
                    }
                }
                "default_parameter" | "typed_default_parameter" => {
                    let name = p
                        .child_by_field_name("name")
                        .map(|n| self.text(n).to_string())
                        .unwrap_or_default();
                    let default = p.child_by_field_name("value").map(|v| {
                        if is_mutable_display(v, self.src) {
                            Default::Mutable
                        } else {
                            Default::Other
                        }
                    });
                    (name, ParamKind::Normal, default)
                }
                "list_splat_pattern" => {
                    keyword_only = true;
                    (splat_name(Some(p), self), ParamKind::VarArgs, None)
                }
                "dictionary_splat_pattern" => {
                    (splat_name(Some(p), self), ParamKind::VarKwargs, None)
                }
                "keyword_separator" => {
                    keyword_only = true;
                    continue;
                }
                "positional_separator" => {
                    for q in out.iter_mut() {
                        let q: &mut Param = q;
                        if q.kind == ParamKind::Normal {
                            q.kind = ParamKind::PositionalOnly;
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            let kind = if kind == ParamKind::Normal && keyword_only {
                ParamKind::KeywordOnly
            } else {
                kind
            };
            out.push(Param {
                name,
                kind,
                default,
                line: l,
            });
        }
        out
    }

    fn class(&mut self, node: Node<'_>, decorators: Vec<Decorator<'_>>) {
        let name = node
            .child_by_field_name("name")
            .map(|n| self.text(n).to_string())
            .unwrap_or_default();
        let bases: Vec<String> = node
            .child_by_field_name("superclasses")
            .map(|s| {
                named_children(s)
                    .into_iter()
                    .filter_map(|b| self.dotted(b))
                    .map(|b| self.resolve(&b))
                    .collect()
            })
            .unwrap_or_default();
        let top_level = self.names.is_empty();
        if top_level {
            self.defined.insert(name.clone());
        }
        self.bind(&name);
        let is_test = self.test_file
            && (name.starts_with("Test") || bases.iter().any(|b| b.ends_with("TestCase")));
        let markers: Vec<String> = decorators.iter().filter_map(|d| marker(&d.0)).collect();
        self.out.classes.push(Class {
            name: name.clone(),
            line: line(node),
            end_line: end_line(node),
            bases,
            decorators: decorators.iter().map(|d| d.0.clone()).collect(),
            top_level,
        });
        self.decorator_facts(&decorators, None);
        if let Some(s) = node.child_by_field_name("superclasses") {
            self.visit(s);
        }
        self.classes.push(ClassScope {
            name: name.clone(),
            is_test,
            markers,
        });
        self.names.push((name, true));
        if let Some(body) = node.child_by_field_name("body") {
            self.visit(body);
        }
        self.names.pop();
        self.classes.pop();
    }

    fn qualify(&self, name: &str) -> String {
        let mut parts: Vec<&str> = self.names.iter().map(|(n, _)| n.as_str()).collect();
        parts.push(name);
        parts.join(".")
    }

    /// Routes, caches and fixtures named by decorators.
    fn decorator_facts(&mut self, decorators: &[Decorator<'_>], function: Option<usize>) {
        for (resolved, raw, call, at) in decorators {
            let last = raw.rsplit('.').next().unwrap_or("");
            if let Some(call) = call {
                if raw.contains('.') && ROUTE_VERBS.contains(&last) {
                    let args = Args::of(*call, self.src);
                    if let Some(path) = args
                        .first()
                        .or_else(|| args.keyword("path"))
                        .filter(|a| is_plain_string(*a))
                        .and_then(|a| string_value(a, self.src))
                    {
                        self.out.routes.push(PyRoute {
                            path: path.to_string(),
                            line: *at,
                            function,
                        });
                    }
                }
            }
            if is_cache(resolved) {
                self.out.calls.push(Call {
                    kind: CallKind::Cache {
                        callee: resolved.clone(),
                    },
                    line: *at,
                    function,
                });
            }
        }
    }

    fn test_facts(&mut self, name: &str, at: u32, decorators: &[Decorator<'_>], is_method: bool) {
        if !self.test_file {
            return;
        }
        if decorators
            .iter()
            .any(|d| d.0 == "pytest.fixture" || d.0.ends_with(".fixture") || d.0 == "fixture")
        {
            self.out.fixtures.push((name.to_string(), at));
            return;
        }
        if !name.starts_with("test") {
            return;
        }
        let class = if is_method {
            match self.classes.last() {
                Some(c) if c.is_test && self.frames.is_empty() => Some(c),
                _ => return,
            }
        } else if self.frames.is_empty() && self.names.is_empty() {
            None
        } else {
            return;
        };
        let mut markers: Vec<String> = decorators.iter().filter_map(|d| marker(&d.0)).collect();
        if let Some(c) = class {
            markers.extend(c.markers.iter().cloned());
        }
        markers.extend(self.module_markers.iter().cloned());
        let parametrized = markers.iter().any(|m| m == "parametrize")
            || decorators
                .iter()
                .any(|d| d.0.ends_with("parameterized.expand"));
        markers.retain(|m| m != "parametrize");
        markers.sort();
        markers.dedup();
        self.out.tests.push(TestCase {
            name: name.to_string(),
            class: class.map(|c| c.name.clone()),
            line: at,
            parametrized,
            markers,
        });
    }

    fn if_statement(&mut self, node: Node<'_>) {
        self.bump_complexity();
        let condition = node
            .child_by_field_name("condition")
            .map(|c| self.text(c))
            .unwrap_or("");
        let squeezed: String = condition.chars().filter(|c| !c.is_whitespace()).collect();
        let at_module = self.frames.is_empty() && self.names.is_empty();
        // `__name__ == "__main__"`, also as part of a larger condition.
        let is_main = [
            "__name__=='__main__'",
            "__name__==\"__main__\"",
            "'__main__'==__name__",
            "\"__main__\"==__name__",
        ]
        .iter()
        .any(|g| squeezed.contains(g));
        if at_module && is_main {
            self.out.main_guard.get_or_insert(line(node));
        }
        let main = at_module && squeezed.contains("__name__==") && squeezed.contains("__main__");
        let guard = if squeezed.ends_with("TYPE_CHECKING") && !squeezed.starts_with("not") {
            ImportGuard::TypeChecking
        } else if main {
            ImportGuard::Main
        } else {
            ImportGuard::Conditional
        };
        let was = self.guard;
        // The `else:` of `if TYPE_CHECKING:` (or of the `__main__` guard) is what runs:
        // only the body takes the guard; `elif`/`else` branches are merely conditional.
        let body_guard = if self.guard == ImportGuard::None
            || matches!(guard, ImportGuard::TypeChecking | ImportGuard::Main)
        {
            guard
        } else {
            was
        };
        let branch_guard = if was == ImportGuard::None {
            ImportGuard::Conditional
        } else {
            was
        };
        let depth = self.frames.last_mut().map(|f| {
            f.blocks += 1;
            (f.function, f.blocks)
        });
        if let Some((i, d)) = depth {
            if let Some(func) = self.out.functions.get_mut(i) {
                func.nesting = func.nesting.max(d);
            }
        }
        let mut cursor = node.walk();
        if cursor.goto_first_child() {
            loop {
                let child = cursor.node();
                self.guard = if matches!(child.kind(), "elif_clause" | "else_clause") {
                    branch_guard
                } else {
                    body_guard
                };
                self.visit(child);
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        if let Some(f) = self.frames.last_mut() {
            f.blocks = f.blocks.saturating_sub(1);
        }
        self.guard = was;
    }

    fn try_statement(&mut self, node: Node<'_>) {
        let catches_import = named_children(node)
            .into_iter()
            .filter(|c| c.kind() == "except_clause" || c.kind() == "except_group_clause")
            .any(|c| {
                let t = c
                    .child_by_field_name("value")
                    .map(|v| self.text(v))
                    .unwrap_or("");
                t.is_empty()
                    || t.contains("ImportError")
                    || t.contains("ModuleNotFoundError")
                    || t.contains("Exception")
            });
        let depth = self.frames.last_mut().map(|f| {
            f.blocks += 1;
            (f.function, f.blocks)
        });
        if let Some((i, d)) = depth {
            if let Some(func) = self.out.functions.get_mut(i) {
                func.nesting = func.nesting.max(d);
            }
        }
        for c in named_children(node) {
            // The `else:` of such a try runs only when the imports succeeded.
            let guarded = c.kind() == "block" || c.kind() == "else_clause";
            if guarded && catches_import {
                let was = self.guard;
                if matches!(self.guard, ImportGuard::None | ImportGuard::Conditional) {
                    self.guard = ImportGuard::TryExcept;
                }
                self.visit(c);
                self.guard = was;
            } else {
                self.visit(c);
            }
        }
        if let Some(f) = self.frames.last_mut() {
            f.blocks = f.blocks.saturating_sub(1);
        }
    }

    fn handler(&mut self, node: Node<'_>) {
        let value = node.child_by_field_name("value").map(|v| self.text(v));
        let bare = value.is_none();
        let broad = value.is_none_or(|t| {
            let t = t.split(" as ").next().unwrap_or(t).trim();
            let t = t.trim_matches(['(', ')']);
            t.split(',').any(|e| {
                matches!(
                    e.trim(),
                    "Exception" | "BaseException" | "builtins.Exception"
                )
            })
        });
        let swallows = child_of_kind(node, "block").is_some_and(|b| {
            let stmts = named_children(b);
            !stmts.is_empty()
                && stmts.iter().all(|s| match s.kind() {
                    "pass_statement" | "continue_statement" | "comment" => true,
                    "expression_statement" => {
                        let kids = named_children(*s);
                        kids.len() == 1 && kids.iter().all(|k| k.kind() == "ellipsis")
                    }
                    _ => false,
                })
        });
        self.out.handlers.push(Handler {
            line: line(node),
            bare,
            broad,
            swallows,
        });
    }

    fn assert(&mut self, node: Node<'_>) {
        if self.test_file {
            return;
        }
        let Some(frame) = self.frames.last() else {
            self.out.asserts.push(Assert {
                line: line(node),
                on_param: None,
            });
            return;
        };
        let mut on_param = None;
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "identifier" {
                let t = self.text(n);
                if t != "self" && t != "cls" && frame.params.iter().any(|p| p == t) {
                    on_param = Some(t.to_string());
                    break;
                }
            }
            // `x.attr`: only the object can be a parameter.
            if n.kind() == "attribute" {
                if let Some(o) = n.child_by_field_name("object") {
                    stack.push(o);
                }
                continue;
            }
            // Only the tested expression, not the message.
            if n.kind() == "assert_statement" {
                if let Some(first) = n.named_child(0) {
                    stack.push(first);
                }
                continue;
            }
            if stack.len() < 4096 {
                stack.extend(named_children(n));
            }
        }
        self.out.asserts.push(Assert {
            line: line(node),
            on_param,
        });
    }

    /// Records a name bound at module level.
    fn bind(&mut self, name: &str) {
        if self.frames.is_empty() && self.names.is_empty() {
            self.out.module_names.insert(name.to_string());
        }
    }

    /// Binds every plain name in an assignment target (`a`, `a, b`, `[a, *b]`).
    fn bind_target(&mut self, node: Node<'_>) {
        if !(self.frames.is_empty() && self.names.is_empty()) {
            return;
        }
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "identifier" => {
                    let t = self.text(n).to_string();
                    self.out.module_names.insert(t);
                }
                "attribute" | "subscript" => {}
                _ if stack.len() < 1024 => stack.extend(named_children(n)),
                _ => {}
            }
        }
    }

    fn assignment(&mut self, node: Node<'_>) {
        let left = node.child_by_field_name("left");
        let right = node.child_by_field_name("right");
        if let Some(l) = left {
            self.bind_target(l);
        }
        let target = left.and_then(|l| self.dotted(l));
        if let (Some(t), Some(r)) = (&target, right) {
            // pytestmark = pytest.mark.x / [pytest.mark.x, …]
            if self.test_file && t == "pytestmark" && self.frames.is_empty() {
                let text = self.text(r);
                for m in text.split("mark.").skip(1) {
                    let name: String = m
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        match self.classes.last_mut() {
                            Some(c) if !self.names.is_empty() => c.markers.push(name),
                            _ => self.module_markers.push(name),
                        }
                    }
                }
            }
            if let Some(how) = self.formatted_sql(r) {
                let taint = self.sql_taint(r);
                if let Some(f) = self.frames.last_mut() {
                    f.sql_vars.insert(t.clone(), (how, taint));
                }
            } else if let Some(f) = self.frames.last_mut() {
                f.sql_vars.remove(t.as_str());
            }
            self.setting_assignment(left, t, r);
        } else if let (Some(l), Some(r)) = (left, right) {
            self.config_subscript(l, r);
        }
        let was = std::mem::replace(&mut self.target, target);
        if let Some(l) = left {
            self.visit(l);
        }
        if let Some(r) = right {
            self.visit(r);
        }
        if let Some(t) = node.child_by_field_name("type") {
            self.visit(t);
        }
        self.target = was;
    }

    /// `with requests.Session() as s:` binds `s` to a session.
    fn with_alias(&mut self, node: Node<'_>) {
        let Some(value) = node.named_child(0) else {
            return;
        };
        let alias = named_children(node)
            .into_iter()
            .skip(1)
            .find_map(|a| self.dotted(a.named_child(0).unwrap_or(a)));
        if value.kind() == "call" {
            if let (Some(f), Some(alias)) = (value.child_by_field_name("function"), alias) {
                if let Some(name) = self.dotted(f) {
                    if let Some(client) = session_client(&self.resolve(&name)) {
                        self.sessions.insert(alias.clone(), client);
                        // The constructor call is visited next, as a child: bind it.
                        self.target = Some(alias);
                    }
                }
            }
        }
    }

    fn string(&mut self, node: Node<'_>) {
        for c in named_children(node) {
            match c.kind() {
                "interpolation" => {
                    if let Some(spec) = c.child_by_field_name("format_specifier") {
                        let text = self.text(spec);
                        let text = text.strip_prefix(':').unwrap_or(text);
                        if matches(&BAD_SPEC, text) {
                            self.out.bad_format_specs.push(BadFormatSpec {
                                line: line(spec),
                                spec: text.to_string(),
                            });
                        }
                    }
                }
                "string_content" if !self.test_file => {
                    let text = self.text(c);
                    if text.contains('@') && !self.in_metadata() {
                        if let Some(re) = EMAIL.as_ref() {
                            if re.find_iter(text).any(|m| !is_example_email(m.as_str())) {
                                self.out.literals.push(SensitiveLiteral {
                                    line: line(c),
                                    kind: "email",
                                    name: self.target.clone().unwrap_or_default(),
                                });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Package metadata (`__email__ = …`, `author_email=…`) names its authors on purpose.
    fn in_metadata(&self) -> bool {
        self.target.as_deref().is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.starts_with("__") || t.contains("author") || t.contains("maintainer")
        })
    }

    /// `os.environ["NAME"]`.
    fn env_subscript(&mut self, node: Node<'_>) {
        let Some(value) = node.child_by_field_name("value") else {
            return;
        };
        let Some(name) = self.dotted(value) else {
            return;
        };
        if self.resolve(&name) != "os.environ" {
            return;
        }
        if let Some(key) = node.child_by_field_name("subscript") {
            if let Some(k) = string_value(key, self.src).filter(|k| is_env_name(k)) {
                self.out.env_reads.push((k.to_string(), line(node)));
            }
        }
    }

    /// How a SQL string was built, when `node` formats one.
    fn formatted_sql(&self, node: Node<'_>) -> Option<&'static str> {
        let sqlish = |n: Node<'_>| matches(&SQL, self.text(n));
        match node.kind() {
            "string" if child_of_kind(node, "interpolation").is_some() && sqlish(node) => {
                Some("an f-string")
            }
            "binary_operator" => {
                let op = node.child_by_field_name("operator").map(|o| self.text(o));
                let left = node.child_by_field_name("left")?;
                let right = node.child_by_field_name("right")?;
                match op {
                    Some("%") if left.kind() == "string" && sqlish(left) => Some("%-formatting"),
                    Some("+")
                        if (sqlish(left) || sqlish(right))
                            && !(is_plain_string(left) && is_plain_string(right)) =>
                    {
                        Some("string concatenation")
                    }
                    _ => None,
                }
            }
            "call" => {
                let f = node.child_by_field_name("function")?;
                if f.kind() == "attribute" {
                    let attr = f.child_by_field_name("attribute").map(|a| self.text(a));
                    let object = f.child_by_field_name("object")?;
                    if attr == Some("format") && object.kind() == "string" && sqlish(object) {
                        return Some("str.format()");
                    }
                }
                None
            }
            "identifier" => self
                .frames
                .last()
                .and_then(|f| f.sql_vars.get(self.text(node)).map(|v| v.0)),
            _ => None,
        }
    }

    /// The parameter a formatted SQL expression carries into the statement: through
    /// the expression itself, or a local it was assigned to.
    fn sql_taint(&self, node: Node<'_>) -> Option<String> {
        if node.kind() == "identifier" {
            if let Some((_, t)) = self
                .frames
                .last()
                .and_then(|f| f.sql_vars.get(self.text(node)))
            {
                return t.clone();
            }
        }
        self.tainted_by(node)
    }

    /// `compile("literal", …)`.
    fn compiles_literal(&self, node: Node<'_>) -> bool {
        node.kind() == "call"
            && node
                .child_by_field_name("function")
                .is_some_and(|f| self.text(f) == "compile")
            && Args::of(node, self.src)
                .first()
                .is_some_and(is_plain_string)
    }

    /// The first parameter of the enclosing function whose value an expression
    /// carries: read directly, through attributes, subscripts, method calls or
    /// interpolation — but not through calls that make a value safe (`int()`,
    /// `len()`, quoting and escaping helpers).
    fn tainted_by(&self, node: Node<'_>) -> Option<String> {
        self.find_param(node, 512, |n, out| match n.kind() {
            "attribute" => out.extend(n.child_by_field_name("object")),
            "keyword_argument" => out.extend(n.child_by_field_name("value")),
            "call" => {
                let callee = n
                    .child_by_field_name("function")
                    .map(|f| self.text(f))
                    .unwrap_or("");
                let last = callee
                    .rsplit('.')
                    .next()
                    .unwrap_or(callee)
                    .to_ascii_lowercase();
                let sanitises = matches!(
                    last.as_str(),
                    "int" | "float" | "len" | "bool" | "identifier"
                ) || last.contains("quote")
                    || last.contains("escape");
                if !sanitises {
                    out.extend(named_children(n));
                }
            }
            _ => out.extend(named_children(n)),
        })
    }

    /// Whether an argument mentions a parameter of the current function.
    fn param_in(&self, node: Node<'_>) -> Option<String> {
        self.find_param(node, 256, |n, out| match n.kind() {
            // `x.attr` reads an attribute, `x[...]`/`x.method()` may be anything.
            "attribute" | "subscript" | "call" if n != node => {}
            "call" => {
                // os.path.join(base, name) and similar: look at the arguments.
                if let Some(a) = n.child_by_field_name("arguments") {
                    out.extend(named_children(a));
                }
            }
            _ => out.extend(named_children(n)),
        })
    }

    /// The first parameter of the current function (not `self`/`cls`) named in the
    /// tree under `node`, walking at most `budget` nodes; `children` says which nodes
    /// below a non-identifier node the value can flow from.
    fn find_param<'n>(
        &self,
        node: Node<'n>,
        budget: usize,
        children: impl Fn(Node<'n>, &mut Vec<Node<'n>>),
    ) -> Option<String> {
        let frame = self.frames.last()?;
        let mut stack = vec![node];
        let mut seen = 0;
        while let Some(n) = stack.pop() {
            seen += 1;
            if seen > budget {
                break;
            }
            if n.kind() == "identifier" {
                let t = self.text(n);
                if t != "self" && t != "cls" && frame.params.iter().any(|p| p == t) {
                    return Some(t.to_string());
                }
            } else {
                children(n, &mut stack);
            }
        }
        None
    }

    fn call(&mut self, node: Node<'_>) {
        let Some(func) = node.child_by_field_name("function") else {
            return;
        };
        let Some(raw) = self.dotted(func) else {
            return;
        };
        let q = self.resolve(&raw);
        let args = Args::of(node, self.src);
        // `globals().update(…)` binds names no statement shows.
        if raw == "globals" && self.frames.is_empty() {
            self.out.dynamic_attributes = true;
        }
        // `passthrough_module(__name__, …)`, `lazy_module(__name__)`: attributes made
        // at run time. (`getLogger(__name__)` only names a logger.)
        if self.frames.is_empty()
            && !q.ends_with("getLogger")
            && args
                .positional
                .iter()
                .any(|a| a.kind() == "identifier" && self.text(*a) == "__name__")
            && q.to_ascii_lowercase().contains("module")
        {
            self.out.dynamic_attributes = true;
        }
        let last = q.rsplit('.').next().unwrap_or(&q);
        let object = raw.rsplit_once('.').map(|(o, _)| o);

        if self.test_file {
            self.out.test_calls.push(CallShape {
                callee: q.clone(),
                line: line(node),
                positional: u32::try_from(args.positional.len()).unwrap_or(u32::MAX),
                keywords: args.keywords.iter().map(|(k, _)| k.clone()).collect(),
                unpacked: args.unpacked,
                expects_error: self.expecting > 0,
            });
        }

        // HTTP requests. A module-level call counts when the name was imported (a
        // local `requests = Session()` is the project's own client, not the library).
        let imported = raw
            .split('.')
            .next()
            .is_some_and(|h| self.aliases.contains_key(h));
        let http_client = if let Some(client) = object.and_then(|o| self.sessions.get(o)) {
            HTTP_VERBS.contains(&last).then_some((*client, true))
        } else if !imported {
            None
        } else {
            match q.split_once('.') {
                Some(("requests", m)) if HTTP_VERBS.contains(&m) => Some(("requests", false)),
                Some(("httpx", m)) if HTTP_VERBS.contains(&m) || m == "stream" => {
                    Some(("httpx", false))
                }
                _ if q == "urllib.request.urlopen" || q == "urllib2.urlopen" => {
                    Some(("urllib", false))
                }
                _ => None,
            }
        };
        if let Some((client, via_session)) = http_client {
            let timeout = args.keyword("timeout").is_some()
                || (client == "urllib" && args.positional.len() >= 3);
            let verify_disabled = args
                .keyword("verify")
                .is_some_and(|v| self.text(v) == "False");
            let in_loop = self.in_loop();
            self.push_call(
                CallKind::Http {
                    callee: q.clone(),
                    client,
                    timeout,
                    verify_disabled,
                    via_session,
                    in_loop,
                },
                node,
            );
            if self.in_async() && matches!(client, "requests" | "urllib") {
                self.push_call(CallKind::Blocking { callee: q.clone() }, node);
            }
        }

        if let Some(client) = session_client(&q) {
            if let Some(target) = self.target.clone() {
                self.sessions.insert(target.clone(), client);
                let in_function = self.frames.last().is_some_and(|f| {
                    self.out
                        .functions
                        .get(f.function)
                        .is_some_and(|func| !is_setup_name(&func.name))
                });
                if in_function {
                    let in_loop = self.in_loop();
                    let i = self.push_call(
                        CallKind::SessionCreated {
                            callee: q.clone(),
                            uses: 0,
                            in_loop,
                        },
                        node,
                    );
                    self.session_vars.push((i, target));
                }
            }
        }

        match q.as_str() {
            "subprocess.run"
            | "subprocess.call"
            | "subprocess.check_call"
            | "subprocess.check_output"
            | "subprocess.Popen"
                if args
                    .keyword("shell")
                    .is_some_and(|v| !matches!(self.text(v), "False" | "None" | "0")) =>
            {
                let literal = args.first().is_some_and(is_plain_string);
                let tainted = args.first().and_then(|a| self.tainted_by(a));
                let shell_if = args
                    .keyword("shell")
                    .map(|v| self.text(v))
                    .filter(|t| !matches!(*t, "True" | "1"))
                    .map(str::to_string);
                self.push_call(
                    CallKind::Shell {
                        callee: q.clone(),
                        literal,
                        tainted,
                        shell_if,
                    },
                    node,
                );
            }
            "os.system"
            | "os.popen"
            | "subprocess.getoutput"
            | "subprocess.getstatusoutput"
            | "commands.getoutput"
            | "asyncio.create_subprocess_shell" => {
                let literal = args.first().is_some_and(is_plain_string);
                let tainted = args.first().and_then(|a| self.tainted_by(a));
                self.push_call(
                    CallKind::Shell {
                        callee: q.clone(),
                        literal,
                        tainted,
                        shell_if: None,
                    },
                    node,
                );
            }
            "pickle.load" | "pickle.loads" | "pickle.Unpickler" | "cPickle.load"
            | "cPickle.loads" | "_pickle.load" | "_pickle.loads" | "marshal.load"
            | "marshal.loads" | "shelve.open" | "dill.load" | "dill.loads" | "cloudpickle.load"
            | "cloudpickle.loads" | "joblib.load" | "pandas.read_pickle" => {
                let tainted = args.first().and_then(|a| self.tainted_by(a));
                self.push_call(
                    CallKind::Deserialize {
                        callee: q.clone(),
                        tainted,
                    },
                    node,
                );
            }
            "torch.load" => {
                let safe = args
                    .keyword("weights_only")
                    .is_some_and(|v| self.text(v) == "True");
                if !safe {
                    let tainted = args.first().and_then(|a| self.tainted_by(a));
                    self.push_call(
                        CallKind::Deserialize {
                            callee: q.clone(),
                            tainted,
                        },
                        node,
                    );
                }
            }
            "yaml.load" | "yaml.load_all" => {
                let loader = args
                    .keyword("Loader")
                    .or_else(|| args.positional.get(1).copied())
                    .map(|l| self.resolve(self.text(l)));
                let safe = loader.as_ref().is_some_and(|l| {
                    // `from yaml import CSafeLoader as Loader`: judge what it stands for.
                    let l = l.rsplit('.').next().unwrap_or(l);
                    matches!(
                        l,
                        "SafeLoader" | "CSafeLoader" | "BaseLoader" | "CBaseLoader"
                    )
                });
                if !safe {
                    let tainted = args.first().and_then(|a| self.tainted_by(a));
                    let loader = loader.map(|l| l.rsplit('.').next().unwrap_or(&l).to_string());
                    self.push_call(
                        CallKind::YamlLoad {
                            callee: q.clone(),
                            tainted,
                            loader,
                        },
                        node,
                    );
                }
            }
            "yaml.unsafe_load" | "yaml.unsafe_load_all" => {
                let tainted = args.first().and_then(|a| self.tainted_by(a));
                self.push_call(
                    CallKind::YamlLoad {
                        callee: q.clone(),
                        tainted,
                        loader: None,
                    },
                    node,
                );
            }
            "tempfile.mktemp" => {
                self.push_call(CallKind::Mktemp, node);
            }
            "hashlib.md5" | "hashlib.sha1" | "hashlib.new" => {
                let algo_ok = q != "hashlib.new"
                    || args
                        .first()
                        .and_then(|a| string_value(a, self.src))
                        .is_some_and(|a| matches!(a.to_ascii_lowercase().as_str(), "md5" | "sha1"));
                let not_security = args
                    .keyword("usedforsecurity")
                    .is_some_and(|v| self.text(v) == "False");
                if algo_ok && !not_security {
                    let arg_text = args.first().map(|a| self.text(a)).unwrap_or("");
                    if let Some(purpose) = self.purpose(arg_text) {
                        self.push_call(
                            CallKind::WeakHash {
                                callee: q.clone(),
                                purpose,
                            },
                            node,
                        );
                    }
                }
            }
            "logging.basicConfig"
            | "logging.config.dictConfig"
            | "logging.config.fileConfig"
            | "structlog.configure"
            | "loguru.logger.add"
            | "loguru.logger.configure" => {
                self.push_call(CallKind::LoggingConfig { callee: q.clone() }, node);
            }
            "os.getenv"
            | "os.environ.get"
            | "os.environ.setdefault"
            | "os.environ.pop"
            | "os.getenvb" => {
                if let Some(k) = args
                    .first()
                    .and_then(|a| string_value(a, self.src))
                    .filter(|k| is_env_name(k))
                {
                    self.out.env_reads.push((k.to_string(), line(node)));
                }
            }
            _ => {}
        }

        if let Some(rest) = q.strip_prefix("random.") {
            if matches!(
                rest,
                "random"
                    | "randint"
                    | "randrange"
                    | "choice"
                    | "choices"
                    | "sample"
                    | "getrandbits"
                    | "randbytes"
                    | "shuffle"
            ) {
                if let Some(purpose) = self.purpose("") {
                    self.push_call(
                        CallKind::InsecureRandom {
                            callee: q.clone(),
                            purpose,
                        },
                        node,
                    );
                }
            }
        }

        // Builtins.
        if !raw.contains('.') && self.is_builtin(&raw) {
            match raw.as_str() {
                "eval" | "exec" | "compile" => {
                    // `exec(compile("literal", …))` runs a literal too.
                    let literal = args
                        .first()
                        .is_none_or(|a| is_plain_string(a) || self.compiles_literal(a));
                    if !literal {
                        let tainted = args.first().and_then(|a| self.tainted_by(a));
                        let call = Call {
                            kind: CallKind::Eval {
                                callee: raw.clone(),
                                tainted,
                            },
                            line: line(node),
                            function: self.function_index(),
                        };
                        self.pending_eval.push(call);
                    }
                }
                "print" => {
                    let stream = args.keyword("file").is_some();
                    self.push_call(CallKind::Print { stream }, node);
                }
                _ => {}
            }
        }

        // Blocking calls inside `async def`.
        if self.in_async() {
            let blocking = matches!(
                q.as_str(),
                "time.sleep"
                    | "subprocess.run"
                    | "subprocess.call"
                    | "subprocess.check_call"
                    | "subprocess.check_output"
                    | "os.system"
            ) || (raw == "open" && self.is_builtin("open"));
            if blocking {
                self.push_call(CallKind::Blocking { callee: q.clone() }, node);
            }
        }

        // SQL built by formatting.
        if matches!(last, "execute" | "executemany" | "executescript" | "raw") && object.is_some()
            || q == "sqlalchemy.text"
        {
            if let Some(first) = args.first() {
                if let Some(how) = self.formatted_sql(first) {
                    let tainted = self.sql_taint(first);
                    self.push_call(
                        CallKind::Sql {
                            callee: raw.clone(),
                            how,
                            tainted,
                        },
                        node,
                    );
                }
            }
        }

        // Files opened at a path a caller chose.
        let opens = (raw == "open" && self.is_builtin("open"))
            || matches!(
                q.as_str(),
                "io.open"
                    | "os.open"
                    | "pathlib.Path"
                    | "flask.send_file"
                    | "starlette.responses.FileResponse"
                    | "fastapi.responses.FileResponse"
                    | "shutil.rmtree"
            );
        if opens {
            if let Some(param) = args.first().and_then(|a| self.param_in(a)) {
                let call = Call {
                    kind: CallKind::PathFromParam {
                        callee: q.clone(),
                        param,
                    },
                    line: line(node),
                    function: self.function_index(),
                };
                self.pending_paths.push(call);
            }
        }

        self.app_settings(&q, last, &args, node);

        // Web applications and servers.
        if matches!(
            last,
            "FastAPI"
                | "Flask"
                | "Starlette"
                | "Quart"
                | "Sanic"
                | "Litestar"
                | "get_wsgi_application"
                | "get_asgi_application"
                | "serve_forever"
                | "HTTPServer"
                | "ThreadingHTTPServer"
                | "run_app"
        ) || q == "uvicorn.run"
        {
            self.out.server_starts.push(line(node));
        }
        if matches!(
            q.as_str(),
            "django.urls.path" | "django.urls.re_path" | "django.conf.urls.url"
        ) {
            if let Some(p) = args
                .first()
                .filter(|a| is_plain_string(*a))
                .and_then(|a| string_value(a, self.src))
            {
                self.out.routes.push(PyRoute {
                    path: format!("/{}", p.trim_start_matches('^').trim_start_matches('/')),
                    line: line(node),
                    function: None,
                });
            }
        }
    }

    /// Web application settings a call makes: a debug switch, the address a server
    /// listens on, a CORS policy.
    fn app_settings(&mut self, q: &str, last: &str, args: &Args<'_>, node: Node<'_>) {
        // Evidence points at the argument that makes the setting, which in a call over
        // several lines is not the call's first line.
        let at_arg = |n: Option<Node<'_>>| n.map(line).unwrap_or_else(|| line(node));
        let at = line(node);
        let is_true = |n: Option<Node<'_>>| n.is_some_and(|n| n.kind() == "true");
        // `asyncio.run(main(), debug=True)` is the event loop's debug mode, not a server's.
        let event_loop = q.starts_with("asyncio.") || q.starts_with("trio.") || q.contains("loop.");
        if DEBUG_CALLEES.contains(&last) && !event_loop {
            let flag = [args.keyword("debug"), args.keyword("use_debugger")]
                .into_iter()
                .flatten()
                .find(|n| n.kind() == "true");
            if flag.is_some() {
                let local = args
                    .keyword("host")
                    .or_else(|| (last == "run_simple").then(|| args.first()).flatten())
                    .and_then(|h| string_value(h, self.src))
                    .is_some_and(|h| matches!(h, "127.0.0.1" | "localhost" | "::1"));
                self.setting(
                    Setting::Debug {
                        module_constant: false,
                        local,
                    },
                    at_arg(flag),
                );
            }
        }
        // `app.config.update(DEBUG=True)`, `app.config.from_mapping(DEBUG=True)`.
        if matches!(last, "update" | "from_mapping")
            && q.contains("config")
            && is_true(args.keyword("DEBUG"))
        {
            self.setting(
                Setting::Debug {
                    module_constant: false,
                    local: false,
                },
                at,
            );
        }
        if SERVE_CALLEES.contains(&last) && !event_loop {
            let host = args
                .keyword("host")
                .or_else(|| {
                    // `run_simple("0.0.0.0", 5000, app)`, `make_server("", 8000, app)`.
                    matches!(last, "run_simple" | "make_server")
                        .then(|| args.first())
                        .flatten()
                })
                .or_else(|| {
                    // `HTTPServer(("0.0.0.0", 8000), Handler)`.
                    args.first()
                        .filter(|a| a.kind() == "tuple" && last.ends_with("Server"))
                        .and_then(|t| t.named_child(0))
                });
            let all = host
                .filter(|h| is_plain_string(*h))
                .and_then(|h| string_value(h, self.src))
                .is_some_and(|h| {
                    matches!(h, "0.0.0.0" | "::" | "[::]")
                        || (h.is_empty() && args.keyword("host").is_none())
                });
            if all {
                self.setting(Setting::BindAll, at_arg(host));
            }
        }
        // Starlette/FastAPI `CORSMiddleware(allow_origins=["*"], allow_credentials=True)`,
        // passed through `add_middleware` or `Middleware`.
        let any_origin = args.keyword("allow_origins").is_some_and(|v| {
            let t = self.text(v);
            t.contains("\"*\"") || t.contains("'*'")
        }) || args
            .keyword("allow_origin_regex")
            .filter(|v| is_plain_string(*v))
            .and_then(|v| string_value(v, self.src))
            .is_some_and(|r| matches!(r, ".*" | "^.*$" | ".+" | "^.+$"));
        if any_origin {
            let credentials = is_true(args.keyword("allow_credentials"));
            self.setting(
                Setting::CorsAnyOrigin {
                    credentials: Some(credentials),
                    // With credentials, Starlette answers with the request's origin.
                    reflects: credentials,
                },
                at_arg(
                    args.keyword("allow_origins")
                        .or_else(|| args.keyword("allow_origin_regex")),
                ),
            );
        }
        // flask-cors: `CORS(app, supports_credentials=True)`; origins default to `*`.
        if q.starts_with("flask_cors.") && matches!(last, "CORS" | "cross_origin") {
            let star = |n: Node<'_>| {
                let t = self.text(n);
                t.contains("\"*\"") || t.contains("'*'")
            };
            let any = match (args.keyword("origins"), args.keyword("resources")) {
                (Some(o), _) => star(o),
                (None, Some(r)) => !self.text(r).contains("origins") || star(r),
                (None, None) => {
                    // The app's `CORS_ORIGINS` decides, `*` unless configured.
                    let credentials = is_true(args.keyword("supports_credentials"));
                    self.setting(Setting::CorsConfiguredOrigins { credentials }, at);
                    false
                }
            };
            if any {
                let credentials = is_true(args.keyword("supports_credentials"));
                self.setting(
                    Setting::CorsAnyOrigin {
                        credentials: Some(credentials),
                        // flask-cors echoes the request's origin when credentials are on.
                        reflects: credentials,
                    },
                    at,
                );
            }
        }
    }

    /// Settings an assignment to a name or attribute makes: `DEBUG = True`,
    /// `app.debug = True`, Django's CORS and host settings.
    fn setting_assignment(&mut self, left: Option<Node<'_>>, target: &str, right: Node<'_>) {
        let at = line(right);
        let is_true = right.kind() == "true";
        // Settings modules and configuration classes, not function bodies.
        let declarative = self.frames.is_empty();
        match target {
            "DEBUG" if declarative && is_true => self.setting(
                Setting::Debug {
                    module_constant: self.classes.is_empty(),
                    local: false,
                },
                at,
            ),
            "CORS_ALLOW_ALL_ORIGINS" | "CORS_ORIGIN_ALLOW_ALL" if declarative && is_true => self
                .setting(
                    Setting::CorsAnyOrigin {
                        credentials: None,
                        // django-cors-headers echoes the origin when credentials are on.
                        reflects: true,
                    },
                    at,
                ),
            "CORS_ORIGINS" | "CORS_ALLOWED_ORIGINS"
                if declarative && matches!(right.kind(), "list" | "tuple") =>
            {
                let any = named_children(right)
                    .into_iter()
                    .any(|e| string_value(e, self.src) == Some("*"));
                if !any {
                    self.setting(Setting::CorsOriginList, at);
                }
            }
            "CORS_ALLOW_CREDENTIALS" if declarative && is_true => {
                self.setting(Setting::CorsCredentials, at)
            }
            "ALLOWED_HOSTS" if declarative && matches!(right.kind(), "list" | "tuple") => {
                let any = named_children(right)
                    .into_iter()
                    .any(|e| string_value(e, self.src) == Some("*"));
                if any {
                    self.setting(Setting::AnyHost, at);
                }
            }
            _ => {
                // `app.debug = True`; `self.debug` is an object's own flag.
                let attribute = left.is_some_and(|l| l.kind() == "attribute");
                if attribute
                    && is_true
                    && target.ends_with(".debug")
                    && !target.starts_with("self.")
                    && !target.starts_with("cls.")
                {
                    self.setting(
                        Setting::Debug {
                            module_constant: false,
                            local: false,
                        },
                        at,
                    );
                }
            }
        }
    }

    /// `app.config["DEBUG"] = True`.
    fn config_subscript(&mut self, left: Node<'_>, right: Node<'_>) {
        if left.kind() != "subscript" || right.kind() != "true" {
            return;
        }
        let object = left
            .child_by_field_name("value")
            .and_then(|v| self.dotted(v));
        let key = left
            .child_by_field_name("subscript")
            .and_then(|k| string_value(k, self.src));
        if object.is_some_and(|o| o.ends_with("config")) && key == Some("DEBUG") {
            self.setting(
                Setting::Debug {
                    module_constant: false,
                    local: false,
                },
                line(right),
            );
        }
    }

    fn setting(&mut self, setting: Setting, line: u32) {
        let scope = self.classes.last().map(|c| c.name.clone());
        self.out.app_settings.push(AppSetting {
            setting,
            line,
            scope,
        });
    }

    /// What a value is for, when it is sensitive: from the name it is assigned to, the
    /// enclosing function's name, or the given text.
    fn purpose(&self, text: &str) -> Option<String> {
        let function = self
            .frames
            .last()
            .and_then(|f| self.out.functions.get(f.function))
            .map(|f| f.name.as_str())
            .unwrap_or("");
        [self.target.as_deref().unwrap_or(""), function, text]
            .into_iter()
            .find_map(|t| {
                let lower = t.to_ascii_lowercase();
                SENSITIVE_PURPOSE
                    .iter()
                    .find(|w| lower.contains(*w))
                    .map(|w| w.to_string())
            })
    }

    fn finish(mut self) -> PyFile {
        // Eval candidates: builtins unless the module defines its own.
        for c in std::mem::take(&mut self.pending_eval) {
            if let CallKind::Eval { callee, .. } = &c.kind {
                if !self.defined.contains(callee) {
                    self.out.calls.push(c);
                }
            }
        }
        for c in std::mem::take(&mut self.pending_paths) {
            let contained = c
                .function
                .and_then(|f| self.out.functions.get(f))
                .is_some_and(|f| f.contains_paths);
            if !contained {
                self.out.calls.push(c);
            }
        }
        // Sessions: how many requests each function makes on the one it created.
        for (i, var) in &self.session_vars {
            let Some(function) = self.out.calls.get(*i).and_then(|c| c.function) else {
                continue;
            };
            let prefix = format!("{var}.");
            let uses = self
                .out
                .calls
                .iter()
                .filter(|c| c.function == Some(function))
                .filter(|c| matches!(&c.kind, CallKind::Http { via_session: true, .. }))
                .filter(|c| {
                    // Calls on the variable: the callee text starts with it.
                    matches!(&c.kind, CallKind::Http { callee, .. } if callee.starts_with(&prefix) || !callee.contains('.'))
                })
                .count();
            if let Some(Call {
                kind: CallKind::SessionCreated { uses: u, .. },
                ..
            }) = self.out.calls.get_mut(*i)
            {
                *u = u32::try_from(uses).unwrap_or(u32::MAX);
            }
        }
        self.out.cli_framework = self.out.imports.iter().any(|i| {
            i.level == 0
                && matches!(
                    i.module.split('.').next().unwrap_or(""),
                    "argparse" | "click" | "typer" | "fire" | "docopt" | "optparse"
                )
        });
        self.out.calls.sort_by_key(|c| c.line);
        self.out.env_reads.sort_by_key(|e| e.1);
        self.out
    }
}

/// (resolved name, name as written, the decorator's call, line)
type Decorator<'a> = (String, String, Option<Node<'a>>, u32);

/// Whether a line holds syntax newer than the parsers know: `def f[T=int]`,
/// `class C[T = int]`, `type A[T=int] = …`, `lazy import x`.
fn newer_syntax(text: &str, line: u32) -> bool {
    static NEWER: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(
            r"^\s*(?:(?:async\s+)?def|class|type)\s+\w+\s*\[[^\]]*=|^\s*lazy\s+(?:import|from)\s",
        )
        .ok()
    });
    let Some(l) = usize::try_from(line)
        .ok()
        .and_then(|n| text.lines().nth(n.saturating_sub(1)))
    else {
        return false;
    };
    matches(&NEWER, l)
}

/// `a . b` → `a.b`: a dotted name without the spaces and line continuations inside
/// it (`from a.\\` and `    b import c` on the next line).
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '\\')
        .collect()
}

fn splat_name(node: Option<Node<'_>>, v: &Visitor<'_>) -> String {
    node.and_then(|n| n.named_child(0))
        .map(|n| v.text(n).to_string())
        .unwrap_or_default()
}

/// `pytest.mark.slow` → `slow`; `pytest.mark.parametrize` → `parametrize`.
fn marker(decorator: &str) -> Option<String> {
    decorator
        .strip_prefix("pytest.mark.")
        .map(|m| m.split('.').next().unwrap_or(m).to_string())
}

fn is_cache(name: &str) -> bool {
    matches!(
        name,
        "functools.lru_cache"
            | "functools.cache"
            | "functools.cached_property"
            | "async_lru.alru_cache"
            | "aiocache.cached"
            | "django.views.decorators.cache.cache_page"
    ) || name.starts_with("cachetools.")
        || name.starts_with("cachetools_async.")
        || name.ends_with(".memoize")
        || name.ends_with(".cached")
}

/// The client library of a session or client constructor.
fn session_client(name: &str) -> Option<&'static str> {
    match name {
        "requests.Session" | "requests.session" | "requests.sessions.Session" => Some("requests"),
        "httpx.Client" | "httpx.AsyncClient" => Some("httpx"),
        "aiohttp.ClientSession" => Some("aiohttp"),
        "urllib3.PoolManager" => Some("urllib3"),
        _ => None,
    }
}

/// Functions that set up long-lived state, where creating a session is right.
fn is_setup_name(name: &str) -> bool {
    matches!(
        name,
        "__init__" | "__enter__" | "__aenter__" | "__post_init__" | "setup" | "setUp" | "main"
    ) || name.starts_with("create_")
        || name.starts_with("make_")
        || name.starts_with("build_")
        || name.starts_with("get_")
        || name.starts_with("_get_")
        || name.contains("session")
        || name.contains("client")
        || name.starts_with("test")
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether a function body keeps a path inside a directory.
fn checks_containment(body: &str) -> bool {
    const MARKS: &[&str] = &[
        "relative_to(",
        "is_relative_to(",
        "commonpath(",
        "commonprefix(",
        "secure_filename(",
        "safe_join(",
        "basename(",
        ".startswith(",
        "realpath(",
        // `Path(name).stem` / `.name` keep only the last component.
        ").stem",
        ").name",
        // `dest.resolve().parent != BASE`: the parent is compared with the base.
        ".parent !=",
        ".parent ==",
        // An allow-list of what the directory holds (`if name not in os.listdir(d)`).
        "listdir(",
    ];
    MARKS.iter().any(|m| body.contains(m))
}

fn is_example_email(email: &str) -> bool {
    let lower = email.to_ascii_lowercase();
    let domain = lower.rsplit('@').next().unwrap_or("");
    domain.ends_with("example.com")
        || domain.ends_with("example.org")
        || domain.ends_with("example.net")
        || domain.ends_with(".example")
        || domain.ends_with(".test")
        || domain.ends_with(".invalid")
        || domain.ends_with(".local")
        || domain.ends_with("localhost")
        || domain == "domain.com"
        || domain == "email.com"
        || lower.starts_with("user@")
        || lower.starts_with("noreply@")
        || lower.starts_with("no-reply@")
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::parse;

    const APP: &str = r#"import requests as r
import subprocess, pickle, yaml, hashlib, random, time, tempfile
from os import path
try:
    import ujson as json
except ImportError:
    import json
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from .models import User

def fetch(url, items=[], *, retries=3, **kw):
    if url and retries:
        for i in items:
            r.get(url)
    return r.post(url, timeout=5, verify=False)

async def handler(name):
    time.sleep(1)
    with open(name) as f:
        return f.read()

def run(cmd, query, db):
    subprocess.run(cmd, shell=True)
    eval(cmd)
    data = pickle.loads(cmd)
    yaml.load(cmd)
    yaml.load(cmd, Loader=yaml.SafeLoader)
    sql = f"SELECT * FROM t WHERE id = {query}"
    db.execute(sql)
    db.execute("SELECT * FROM t WHERE id = %s" % query)
    tempfile.mktemp()
    token = random.choice("abc")
    hashlib.md5(password.encode())
    try:
        pass
    except:
        pass
    assert query, "query required"
    print(f"{query:.4f if query else 'n/a'}")
    print(f"{query:>{10}}")
"#;

    #[test]
    fn a_dotted_name_continued_on_the_next_line_is_one_name() {
        let src = "from app.pages.\\\n    contribute_page import Page\nimport app.\\\n    views\n";
        let py = parse(src, false).unwrap();
        let modules: Vec<&str> = py.imports.iter().map(|i| i.module.as_str()).collect();
        assert_eq!(modules, ["app.pages.contribute_page", "app.views"]);
    }

    #[test]
    fn imports_under_suppress_import_error_are_optional() {
        let src = "from contextlib import suppress\nwith suppress(ImportError):\n    import django_extensions\nwith open('x') as f:\n    import yaml\n";
        let py = parse(src, false).unwrap();
        let guard = |m: &str| py.imports.iter().find(|i| i.module == m).unwrap().guard;
        assert_eq!(guard("django_extensions"), ImportGuard::TryExcept);
        assert_eq!(guard("yaml"), ImportGuard::None);
    }

    #[test]
    fn collects_the_facts_of_one_file() {
        let py = parse(APP, false).unwrap();
        assert!(py.syntax_errors.is_empty(), "{:?}", py.syntax_errors);
        let guard = |m: &str| py.imports.iter().find(|i| i.module == m).unwrap().guard;
        assert_eq!(guard("ujson"), ImportGuard::TryExcept);
        assert_eq!(guard("os"), ImportGuard::None);
        let models = py.imports.iter().find(|i| i.module == "models").unwrap();
        assert_eq!((models.level, models.guard), (1, ImportGuard::TypeChecking));

        let fetch = &py.functions[0];
        assert_eq!(fetch.name, "fetch");
        assert_eq!(fetch.params.len(), 4);
        assert_eq!(fetch.params[1].default, Some(Default::Mutable));
        assert_eq!(fetch.params[2].kind, ParamKind::KeywordOnly);
        assert_eq!(fetch.params[3].kind, ParamKind::VarKwargs);
        assert_eq!(fetch.complexity, 4, "if + and + for");
        assert_eq!(fetch.nesting, 2);

        let kinds: Vec<(String, u32)> = py
            .calls
            .iter()
            .map(|c| {
                let k = serde_json::to_value(&c.kind).unwrap();
                (k["kind"].as_str().unwrap().to_string(), c.line)
            })
            .collect();
        let has = |k: &str, l: u32| kinds.contains(&(k.to_string(), l));
        assert!(has("http", 15) && has("http", 16), "{kinds:?}");
        let http: Vec<&CallKind> = py
            .calls
            .iter()
            .filter(|c| matches!(c.kind, CallKind::Http { .. }))
            .map(|c| &c.kind)
            .collect();
        assert!(matches!(
            http[0],
            CallKind::Http {
                timeout: false,
                in_loop: true,
                ..
            }
        ));
        assert!(matches!(
            http[1],
            CallKind::Http {
                timeout: true,
                verify_disabled: true,
                ..
            }
        ));
        assert!(has("blocking", 19) && has("blocking", 20), "{kinds:?}");
        assert!(has("path_from_param", 20), "{kinds:?}");
        assert!(has("shell", 24) && has("eval", 25) && has("deserialize", 26));
        assert!(has("yaml_load", 27) && !has("yaml_load", 28));
        assert!(has("sql", 30) && has("sql", 31), "{kinds:?}");
        assert!(has("mktemp", 32) && has("insecure_random", 33) && has("weak_hash", 34));
        assert!(has("print", 40));
        assert_eq!(py.handlers.len(), 2);
        let bare = &py.handlers[1];
        assert!(bare.bare && bare.swallows && bare.line == 37);
        assert_eq!(py.asserts[0].on_param.as_deref(), Some("query"));
        assert_eq!(py.bad_format_specs.len(), 1);
        assert_eq!(py.bad_format_specs[0].line, 40);
    }

    #[test]
    fn reports_syntax_errors_with_lines() {
        let py = parse("def ok():\n    return 1\n\nprint \"python 2\"\n", false).unwrap();
        assert_eq!(py.syntax_errors.len(), 1, "{:?}", py.syntax_errors);
        assert_eq!(py.syntax_errors[0].line, 4);
        let py = parse("x = (1,\n", false).unwrap();
        assert!(!py.syntax_errors.is_empty());
    }

    #[test]
    fn modern_syntax_parses_cleanly() {
        let src = "match x:\n    case [a, *rest] if a > 0:\n        pass\n    case _:\n        pass\n\ntype Alias = list[int]\n\ndef f[T](x: T) -> T:\n    return x\n\nasync def g():\n    async with a as b, c as d:\n        pass\n    return [y async for y in z]\n\nprint(f\"{x!r:>10} {'nested' + f'{y}'}\")\nwith (open('a') as a, open('b') as b):\n    pass\ntry:\n    pass\nexcept* ValueError:\n    pass\n";
        let py = parse(src, false).unwrap();
        assert!(py.syntax_errors.is_empty(), "{:?}", py.syntax_errors);
    }

    #[test]
    fn inventories_tests_markers_and_call_shapes() {
        let src = "import pytest\nfrom pkg.mod import func\npytestmark = pytest.mark.integration\n\n@pytest.fixture\ndef client():\n    return 1\n\n@pytest.mark.parametrize('x', [1, 2])\ndef test_a(x):\n    func(1, 2, extra=3)\n\nclass TestB:\n    @pytest.mark.slow\n    def test_c(self):\n        pass\n    def helper(self):\n        pass\n";
        let py = parse(src, true).unwrap();
        let names: Vec<&str> = py.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["test_a", "test_c"]);
        assert!(py.tests[0].parametrized);
        assert_eq!(py.tests[0].markers, vec!["integration"]);
        assert_eq!(py.tests[1].markers, vec!["integration", "slow"]);
        assert_eq!(py.tests[1].class.as_deref(), Some("TestB"));
        assert_eq!(py.fixtures, vec![("client".to_string(), 6)]);
        let call = py
            .test_calls
            .iter()
            .find(|c| c.callee == "pkg.mod.func")
            .unwrap();
        assert_eq!(
            (call.positional, call.keywords.clone()),
            (2, vec!["extra".to_string()])
        );
    }

    #[test]
    fn only_the_body_of_if_type_checking_is_type_only() {
        let src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\nelse:\n    import b\nif not TYPE_CHECKING:\n    import c\n";
        let py = parse(src, false).unwrap();
        let guard = |m: &str| py.imports.iter().find(|i| i.module == m).unwrap().guard;
        assert_eq!(guard("a"), ImportGuard::TypeChecking);
        assert_eq!(guard("b"), ImportGuard::Conditional);
        assert_eq!(guard("c"), ImportGuard::Conditional);
    }

    #[test]
    fn syntax_newer_than_the_parsers_is_not_an_error() {
        let src = "type A[T=int] = list[T]\n\ndef f[*Ts = int]():\n    pass\n\nlazy import json\n";
        assert!(parse(src, false).unwrap().syntax_errors.is_empty());
        // An error elsewhere in the file still counts.
        let bad = "def f[T=int]():\n    return (1,\n\nx = = 2\n";
        assert!(!parse(bad, false).unwrap().syntax_errors.is_empty());
    }

    #[test]
    fn deep_nesting_is_cut_not_overflowed() {
        let src = format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
        let py = parse(&src, false).unwrap();
        assert!(!py.too_deep.is_empty());
    }
}
