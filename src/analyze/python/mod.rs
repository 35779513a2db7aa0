//! Python in depth: one tree-sitter parse and one traversal per `.py` file
//! ([`visit`]) yield a [`PyFile`] of neutral facts — syntax errors, imports with their
//! guards, definitions with size and complexity, calls of interest, exception
//! handlers, test cases. Repository-level facts are built from all files together: the
//! module map and import graph ([`modules`]) and declared-versus-used dependencies
//! ([`deps`]).

pub mod deps;
pub mod modules;
mod visit;

use serde::Serialize;

pub use deps::DependencyUse;
pub use modules::{ImportClass, PyProject};
pub use visit::parse;

/// Whether a test runner collects a file of this name: pytest's `test_*.py` and
/// `*_test.py`, unittest's `test*.py` (Django's `tests.py`), and `conftest.py`. Other
/// Python files in a test tree are helpers or test data.
pub fn is_test_module(name: &str) -> bool {
    name.ends_with(".py")
        && (name == "conftest.py" || name.starts_with("test") || name.ends_with("_test.py"))
}

/// A place the parser could not read as Python.
#[derive(Debug, Clone, Serialize)]
pub struct SyntaxError {
    pub line: u32,
    /// What was wrong, in words ("unexpected `print \"x\"`", "missing `)`").
    pub message: String,
}

/// How an import is reached at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportGuard {
    /// Always executed when the module loads.
    None,
    /// Inside `try:` with an `except ImportError` (or broader): optional.
    TryExcept,
    /// Under `if TYPE_CHECKING:`: never executed.
    TypeChecking,
    /// Under another `if` (version or platform checks).
    Conditional,
    /// Inside a function: executed only when called.
    Function,
    /// Under `if __name__ == "__main__":`: executed only when run as a script.
    Main,
}

/// One imported module (`import a.b` or `from a.b import c`).
#[derive(Debug, Clone, Serialize)]
pub struct PyImport {
    /// Dotted module as written, without the leading dots of a relative import.
    pub module: String,
    /// Leading dots: 0 for an absolute import.
    pub level: u8,
    /// Names imported with `from … import`; empty for `import x` and `*`.
    pub names: Vec<String>,
    pub line: u32,
    pub guard: ImportGuard,
}

/// How a parameter is passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// Before a `/`.
    PositionalOnly,
    /// Positional or keyword.
    Normal,
    /// After `*` or `*args`.
    KeywordOnly,
    /// `*args`.
    VarArgs,
    /// `**kwargs`.
    VarKwargs,
}

/// What a parameter's default value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Default {
    /// A list, dict or set display, or `list()`/`dict()`/`set()`: shared between calls.
    Mutable,
    Other,
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub name: String,
    pub kind: ParamKind,
    pub default: Option<Default>,
    pub line: u32,
}

/// A function or method definition.
#[derive(Debug, Clone, Serialize)]
pub struct Function {
    pub name: String,
    /// `Class.method`, `outer.inner`, or the name at module level.
    pub qualname: String,
    pub line: u32,
    pub end_line: u32,
    pub params: Vec<Param>,
    pub is_async: bool,
    /// Decorators as dotted names, call arguments dropped, aliases resolved.
    pub decorators: Vec<String>,
    /// Defined directly in a class body.
    pub is_method: bool,
    /// Defined at module level or directly in a module-level class.
    pub top_level: bool,
    /// McCabe cyclomatic complexity (1 + decision points).
    pub complexity: u32,
    /// Deepest nesting of blocks (if/for/while/try/with/match) in its body.
    pub nesting: u32,
    /// Whether the body checks that a path stays inside a directory (`resolve()` with
    /// `relative_to`/`is_relative_to`/`startswith`, `commonpath`, `secure_filename`,
    /// `safe_join`, `basename`).
    pub contains_paths: bool,
}

impl Function {
    /// Lines spanned, definition line included.
    pub fn length(&self) -> u32 {
        self.end_line.saturating_sub(self.line) + 1
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// A class definition.
#[derive(Debug, Clone, Serialize)]
pub struct Class {
    pub name: String,
    pub line: u32,
    pub end_line: u32,
    /// Base classes as dotted names, aliases resolved.
    pub bases: Vec<String>,
    pub decorators: Vec<String>,
    pub top_level: bool,
}

/// A call (or construct) worth a judgment, as a neutral fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallKind {
    /// An HTTP request through a client library.
    Http {
        /// `requests.get`, `session.post`, `urllib.request.urlopen`…
        callee: String,
        /// `requests`, `httpx`, `aiohttp`, `urllib`.
        client: &'static str,
        timeout: bool,
        verify_disabled: bool,
        /// Made on a session or client object rather than a module-level function.
        via_session: bool,
        in_loop: bool,
    },
    /// A session or client object created inside a function.
    SessionCreated {
        callee: String,
        /// HTTP calls the same function makes on it.
        uses: u32,
        in_loop: bool,
    },
    /// A shell command: `shell=True`, `os.system`, `os.popen`.
    Shell {
        callee: String,
        literal: bool,
        /// The parameter of the enclosing function the command is built from.
        tainted: Option<String>,
        /// `shell=` is an expression (`shell=shell`), not `True`: whether a shell
        /// runs at all is the caller's choice. Holds the expression.
        shell_if: Option<String>,
    },
    /// `eval`/`exec`/`compile` of something that is not a literal.
    Eval {
        callee: String,
        /// The parameter of the enclosing function the code comes from.
        tainted: Option<String>,
    },
    /// `pickle.load(s)`, `marshal.load(s)`, `shelve.open`, `dill`/`cloudpickle` loads.
    Deserialize {
        callee: String,
        /// The parameter of the enclosing function the data comes from.
        tainted: Option<String>,
    },
    /// `yaml.load` without a safe loader, or `yaml.unsafe_load`.
    YamlLoad {
        callee: String,
        /// The parameter of the enclosing function the document comes from.
        tainted: Option<String>,
        /// The `Loader` named, when it is not one of PyYAML's safe ones (a class of
        /// this module may derive from one).
        #[serde(skip_serializing_if = "Option::is_none")]
        loader: Option<String>,
    },
    /// SQL text built by formatting and passed to `execute`.
    Sql {
        callee: String,
        how: &'static str,
        /// The parameter of the enclosing function formatted into the SQL, if any (a
        /// value from the caller, rather than a constant or a local computation).
        tainted: Option<String>,
    },
    /// A file opened at a path taken from a parameter, with no containment check.
    PathFromParam { callee: String, param: String },
    /// `tempfile.mktemp`.
    Mktemp,
    /// MD5/SHA-1 applied to a password, token or secret.
    WeakHash { callee: String, purpose: String },
    /// The `random` module used to make a secret.
    InsecureRandom { callee: String, purpose: String },
    /// A blocking call (sleep, synchronous HTTP, file or process I/O) inside `async def`.
    Blocking { callee: String },
    /// `print()`; `stream` when it writes to an explicit `file=`.
    Print { stream: bool },
    /// `logging.basicConfig`, `dictConfig`, `structlog.configure`…
    LoggingConfig { callee: String },
    /// `functools.lru_cache`/`cache`/`cached_property`, `cachetools`, …
    Cache { callee: String },
}

/// A call of interest with its place.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    #[serde(flatten)]
    pub kind: CallKind,
    pub line: u32,
    /// Index into [`PyFile::functions`] of the innermost enclosing function.
    pub function: Option<usize>,
}

/// An `except` clause.
#[derive(Debug, Clone, Serialize)]
pub struct Handler {
    pub line: u32,
    /// `except:` with no type.
    pub bare: bool,
    /// Catches `Exception` or `BaseException` (or is bare).
    pub broad: bool,
    /// Its body only passes, continues or is `...`: the error vanishes.
    pub swallows: bool,
}

/// An `assert` statement outside tests.
#[derive(Debug, Clone, Serialize)]
pub struct Assert {
    pub line: u32,
    /// It tests a parameter of the enclosing function: input validation that `-O` removes.
    pub on_param: Option<String>,
}

/// An f-string replacement field whose format spec holds an expression
/// (`f"{x:.2f if x else 'n/a'}"`), which raises `ValueError` when executed.
#[derive(Debug, Clone, Serialize)]
pub struct BadFormatSpec {
    pub line: u32,
    pub spec: String,
}

/// A string literal that looks like personal data.
#[derive(Debug, Clone, Serialize)]
pub struct SensitiveLiteral {
    pub line: u32,
    /// `email`.
    pub kind: &'static str,
    /// The variable or keyword it is bound to.
    pub name: String,
}

/// A pytest or unittest test function.
#[derive(Debug, Clone, Serialize)]
pub struct TestCase {
    pub name: String,
    pub class: Option<String>,
    pub line: u32,
    pub parametrized: bool,
    /// `pytest.mark.<name>` markers on the test, its class or the module.
    pub markers: Vec<String>,
}

/// A call made from a test file, for comparison with the signature of the function
/// it reaches.
#[derive(Debug, Clone, Serialize)]
pub struct CallShape {
    /// Callee as dotted text, aliases resolved (`pkg.mod.func`, `.mod.func`).
    pub callee: String,
    pub line: u32,
    pub positional: u32,
    pub keywords: Vec<String>,
    /// Uses `*args` or `**kwargs`: its arity cannot be known.
    pub unpacked: bool,
    /// Made where an error is expected or the code is patched (`pytest.raises`,
    /// `assertRaises*`, `mock.patch`): a mismatch may be the point of the test.
    pub expects_error: bool,
}

/// An HTTP route registered by a decorator or a Django `path()`.
#[derive(Debug, Clone, Serialize)]
pub struct PyRoute {
    pub path: String,
    pub line: u32,
    /// The handler function, when decorated.
    pub function: Option<usize>,
}

/// Everything one Python file's parse yields.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PyFile {
    pub syntax_errors: Vec<SyntaxError>,
    pub imports: Vec<PyImport>,
    pub functions: Vec<Function>,
    pub classes: Vec<Class>,
    pub calls: Vec<Call>,
    pub handlers: Vec<Handler>,
    pub asserts: Vec<Assert>,
    pub bad_format_specs: Vec<BadFormatSpec>,
    pub literals: Vec<SensitiveLiteral>,
    pub tests: Vec<TestCase>,
    /// pytest fixtures defined: (name, line).
    pub fixtures: Vec<(String, u32)>,
    /// Calls from a test file (empty elsewhere).
    pub test_calls: Vec<CallShape>,
    pub routes: Vec<PyRoute>,
    /// Environment variables read: (name, line).
    pub env_reads: Vec<(String, u32)>,
    /// `if __name__ == "__main__":` at module level.
    pub main_guard: Option<u32>,
    /// Lines where a web application or server is created or started.
    pub server_starts: Vec<u32>,
    /// Security-relevant web application settings (debug, bind address, CORS, hosts).
    pub app_settings: Vec<crate::analyze::source::AppSetting>,
    /// Imports a command-line framework (argparse, click, typer, fire, docopt).
    pub cli_framework: bool,
    /// Nesting deeper than the traversal follows was cut at these lines.
    pub too_deep: Vec<u32>,
    /// Names bound at module level (definitions, assignments, imports, loop targets,
    /// `global` declarations): what `from this_module import name` can find.
    pub module_names: std::collections::BTreeSet<String>,
    /// `from x import *` at module level: its names cannot be listed.
    pub star_import: bool,
    /// The module's attributes are made at run time (`sys.modules[__name__] = …`, a
    /// lazy-module helper called with `__name__`): its names cannot be listed.
    pub dynamic_attributes: bool,
    /// Set when the file could not be parsed at all, with the reason; its other facts
    /// are then empty.
    pub unparsed: Option<String>,
}

impl PyFile {
    /// Whether `from this_module import name` can succeed, as far as the source
    /// shows (a star import or a module `__getattr__` makes any name possible).
    pub fn may_define(&self, name: &str) -> bool {
        // Every module has these attributes without binding them.
        const IMPLICIT: &[&str] = &[
            "__doc__",
            "__name__",
            "__file__",
            "__path__",
            "__spec__",
            "__loader__",
            "__package__",
            "__dict__",
            "__builtins__",
            "__cached__",
            "__annotations__",
        ];
        self.star_import
            || self.dynamic_attributes
            || IMPLICIT.contains(&name)
            || self.module_names.contains(name)
            || self.module_names.contains("__getattr__")
    }
}

impl PyFile {
    /// The innermost function that contains `line`.
    pub fn function_at(&self, line: u32) -> Option<&Function> {
        // Functions are recorded in source order, outer before inner: the innermost
        // one holding `line` is the last that starts at or before it and still spans it.
        let before = self.functions.partition_point(|f| f.line <= line);
        self.functions
            .get(..before)?
            .iter()
            .rev()
            .find(|f| line <= f.end_line)
    }
}
