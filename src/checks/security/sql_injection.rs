//! Judges whether Python code builds SQL text by formatting values into it instead of
//! passing them as query parameters.

use std::sync::LazyLock;

use regex::Regex;

use crate::analyze::python::{CallKind, Function};
use crate::checks::python::{self, PyRef, Role};
use crate::checks::security::sites::{self, Site};
use crate::checks::{Check, CheckDef, Context, Outcome};
use crate::model::{Category, Effort, Severity};

pub const CHECK: Check = Check {
    def: CheckDef {
        id: "security.sql-injection",
        category: Category::Security,
        title: "SQL is parameterised",
        summary: "No SQL text built with an f-string, `%`, `.format()` or concatenation reaches `execute`/`executemany`/`executescript`/`raw` or `sqlalchemy.text`; placeholders with a separate parameter tuple are fine, and so are identifiers quoted with the driver's quoting (`quote_name`, `sql.Identifier`) where values go as parameters. Only SQL formatted from a parameter of the function is judged. It is P2 when every formatted piece stands where a table or column name goes (after `FROM`, `INTO`, `TABLE`, `VIEW`…, bare or inside SQL's double quotes, or a bare column list between `SELECT` and `FROM`), and P3 in a migration, when every caller passes a number or a constant, or when every piece formatted in is written as an escaping call (`identifier()`, `quote_literal()`) or a literal.",
        weight: 1.5,
        severity: Severity::P1,
        by_kind: None,
        effort: Effort::S,
        rationale: "A value formatted into SQL text is parsed as SQL: a name containing a quote ends the string and the rest of the value becomes part of the statement — reading other users' rows, dropping tables, or bypassing a login. Query parameters are sent apart from the statement and are never parsed, whatever they contain.",
        remediation: "Put placeholders in a constant statement and pass values separately: `cursor.execute(\"SELECT … WHERE id = %s\", (user_id,))`, `session.execute(text(\"… WHERE id = :id\"), {\"id\": user_id})`, or the ORM's filters. Identifiers (table and column names) cannot be parameters: pick them from a fixed allow-list, or quote them with the driver's identifier quoting (`psycopg.sql.Identifier`, `connection.ops.quote_name`).",
        action: "Pass values to SQL as query parameters, not by formatting",
        risk: "SQL injection",
    },
    evaluate,
};

/// Signs that what is formatted in are identifiers quoted as such, with values passed
/// as parameters: the driver's identifier quoting, an escaped placeholder (`%%s`) left
/// for the parameters, identifiers in backticks or double quotes.
const IDENTIFIER_QUOTING: &[&str] = &[
    "quote_name(",
    "quote_ident(",
    "quote_identifier(",
    "Identifier(",
    "%%s",
    "`%s`",
    "\"%s\"",
];

/// A placeholder inside SQL quotes — `'%s'`, `'%(name)s'`, `'{x}'`, `'" + x` — is a
/// value formatted in as a string literal.
static QUOTED_VALUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"'(?:%s|%\(\w+\)s|\{[^}]*\}|%?"\s*\+)"#).ok());

/// Upper-case SQL words: a line holding one is SQL text, not a log message.
const SQL_WORDS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "WHERE", "VALUES", "SET ", "LIKE", "FROM", "INTO",
    "AND ", "JOIN",
];

/// Whether the statement (and the function up to it, where SQL is often assembled in
/// a variable) formats only quoted identifiers into the SQL — table and column names
/// cannot be parameters, and quoting them is the remedy.
fn quoted_identifiers(f: &PyRef<'_>, function: Option<usize>, line: u32) -> bool {
    let before = sites::function_before(f, function, line);
    let statement = sites::statement(f, line);
    let quotes_value = |text: &str| QUOTED_VALUE.as_ref().is_none_or(|re| re.is_match(text));
    let value = quotes_value(&statement)
        || before
            .lines()
            .any(|l| SQL_WORDS.iter().any(|w| l.contains(w)) && quotes_value(l));
    !value
        && IDENTIFIER_QUOTING
            .iter()
            .any(|m| statement.contains(m) || before.contains(m))
}

/// Whether every `{…}` a statement formats into its SQL stands where a table or column
/// name goes (`CREATE TABLE {table}`, `FROM {table}`, `index_{table}`, the column list
/// after a formatted table name) or holds the parameter markers themselves
/// (`{placeholders}`): names that no placeholder can carry, and no value.
fn identifiers_only(statement: &str) -> bool {
    const NAME_BEFORE: &[&str] = &[
        "table", "from", "into", "join", "update", "exists", "on", "index", "truncate",
        // `ALTER TABLE {t} ADD {column} {type}`, `DROP COLUMN {c}`, `RENAME COLUMN {c}`.
        "add", "column", "drop", "rename",
        // `CREATE VIEW {v}`, `CREATE SCHEMA {s}`, `CREATE SEQUENCE {s}`.
        "view", "schema", "sequence",
    ];
    let mut any = false;
    let mut from = 0usize;
    // Where the previous placeholder ended.
    let mut previous_end: Option<usize> = None;
    while let Some(open) = statement
        .get(from..)
        .and_then(|r| r.find('{'))
        .map(|o| from + o)
    {
        let Some(close) = statement
            .get(open..)
            .and_then(|r| r.find('}'))
            .map(|c| open + c)
        else {
            break;
        };
        let inner = statement
            .get(open + 1..close)
            .unwrap_or("")
            .to_ascii_lowercase();
        let head = statement.get(..open).unwrap_or("");
        let glued = head
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        // A placeholder inside SQL's double quotes (`FROM "{main}"`) is a quoted name,
        // judged by the word before the quotes; a quote that opens a Python string
        // (`"{query}"`, `"""{q}"""`) has no such word.
        let quoted = head.ends_with('"')
            && !head.ends_with("\"\"")
            && statement
                .get(close + 1..)
                .is_some_and(|r| r.starts_with('"') && !r.starts_with("\"\""));
        let head = if quoted {
            head.get(..head.len() - 1).unwrap_or(head)
        } else {
            head
        };
        let trimmed = head.trim_end_matches(|c: char| c.is_whitespace() || c == '(');
        let word = trimmed
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let after_placeholder = previous_end == Some(trimmed.len());
        let markers = inner.contains("placeholder") || inner.contains("place_holder");
        // `SELECT {columns} FROM`: a column list, bare and followed by `FROM`; a
        // quoted or lone `SELECT "{x}"` is a value (a string in MySQL and SQLite).
        let column_list = word == "select"
            && !quoted
            && statement
                .get(close + 1..)
                .map(|r| r.trim_start().to_ascii_lowercase())
                .is_some_and(|r| r.starts_with("from ") || r.starts_with("from\n"));
        let name_word = NAME_BEFORE.contains(&word.as_str());
        if !(glued || markers || after_placeholder || name_word || column_list) {
            return false;
        }
        any = true;
        previous_end = Some(close + 1);
        from = close + 1;
    }
    any
}

/// The SQL text a call runs, as written: its first argument, or the assignment of the
/// variable passed (`create = "CREATE TABLE {t} …".format(…)` then `execute(create)`).
fn sql_text(f: &PyRef<'_>, function: Option<usize>, line: u32, callee: &str) -> String {
    sql_source(f, function, line, callee, 8)
        .split(".format(")
        .next()
        .unwrap_or("")
        .to_string()
}

/// [`sql_text`] with what formats it (`.format(unique=…)`), an assigned statement
/// read to at most `reach` lines.
fn sql_source(
    f: &PyRef<'_>,
    function: Option<usize>,
    line: u32,
    callee: &str,
    reach: usize,
) -> String {
    let statement = sites::statement(f, line);
    let name = callee.rsplit('.').next().unwrap_or(callee);
    let Some(first) =
        sites::arguments(&statement, name).and_then(|a| a.first().map(|s| s.to_string()))
    else {
        return statement;
    };
    // `execute(sa.text(sql))`: the statement the wrapper is given.
    let first = ["sa.text", "sqlalchemy.text", "text"]
        .iter()
        .find_map(|w| {
            first
                .strip_prefix(w)
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
                .map(str::trim)
                .filter(|inner| {
                    !inner.is_empty() && inner.chars().all(|c| c.is_alphanumeric() || c == '_')
                })
                .map(str::to_string)
        })
        .unwrap_or(first);
    if !first.chars().all(|c| c.is_alphanumeric() || c == '_') || first.is_empty() {
        return first;
    }
    let before = sites::function_before(f, function, line);
    let lines: Vec<&str> = before.lines().collect();
    let assigned = lines.iter().rposition(|l| {
        l.trim().strip_prefix(first.as_str()).is_some_and(|rest| {
            rest.trim_start().starts_with('=') && !rest.trim_start().starts_with("==")
        })
    });
    match assigned {
        Some(at) => lines
            .iter()
            .skip(at)
            .take(reach)
            .copied()
            .collect::<Vec<_>>()
            .join("\n"),
        None => first,
    }
}

/// Whether an expression is a call of a function that escapes its argument for SQL
/// (`literal_string(id)`, `identifier(name)`, `quote_literal(v)`, `escape_string(v)`).
fn escaping_call(expr: &str) -> bool {
    let e = expr.trim();
    let Some(open) = e.find('(') else {
        return false;
    };
    let callee = e.get(..open).unwrap_or("");
    let name = callee
        .rsplit('.')
        .next()
        .unwrap_or(callee)
        .to_ascii_lowercase();
    // The first bracket closes at the end: one call, not `quote_ident(a) + b`.
    let mut depth = 0i32;
    let whole = e
        .char_indices()
        .skip_while(|(at, _)| *at < open)
        .all(|(at, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth > 0 || at + 1 == e.len()
        });
    whole
        && e.ends_with(')')
        && callee
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && matches!(
            name.as_str(),
            "literal_string"
                | "quote_literal"
                | "quote_ident"
                | "quote_identifier"
                | "quote_name"
                | "identifier"
                | "literal"
                | "escape_literal"
                | "escape_identifier"
        )
}

/// Whether an expression is a string literal or a choice between two
/// (`'true' if unique else 'false'`).
fn literal_choice(expr: &str) -> bool {
    let e = expr.trim();
    is_literal(e)
        || (e.matches(" if ").count() == 1
            && e.split_once(" if ")
                .and_then(|(a, rest)| rest.rsplit_once(" else ").map(|(_, b)| (a, b)))
                .is_some_and(|(a, b)| is_literal(a) && is_literal(b)))
}

/// Whether every placeholder of the SQL text is escaped for SQL or a literal: an
/// f-string's `{literal_string(id)}`, or a `.format()` keyword argument
/// (`unique='true' if unique else 'false'`, `res_id=identifier(name)`). At least one
/// placeholder.
fn escaped_only(source: &str) -> bool {
    let (sql, format) = match source.split_once(".format(") {
        Some((sql, _)) => (sql, sites::arguments(source, "format").unwrap_or_default()),
        None => (source, Vec::new()),
    };
    // Concatenated or %-formatted pieces are not placeholders this reads.
    if sql.contains(" + ") || sql.contains("\" +") || sql.contains("%s") || sql.contains("%(") {
        return false;
    }
    let keyword = |name: &str| {
        format.iter().find_map(|a| {
            a.split_once('=')
                .filter(|(k, _)| k.trim() == name)
                .map(|(_, v)| v)
        })
    };
    let mut any = false;
    let mut rest = sql;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or("");
        if let Some(r) = after.strip_prefix('{') {
            rest = r;
            continue;
        }
        let Some(close) = after.find('}') else {
            break;
        };
        let inner = after.get(..close).unwrap_or("");
        let inner = inner.split(['!', ':']).next().unwrap_or(inner).trim();
        let expr = if format.is_empty() {
            Some(inner)
        } else {
            keyword(inner)
        };
        if !expr.is_some_and(|e| escaping_call(e) || literal_choice(e)) {
            return false;
        }
        any = true;
        rest = after.get(close + 1..).unwrap_or("");
    }
    any
}

/// Whether an argument's text is a number: an integer literal, `len(…)`, `int(…)`,
/// `….count()`.
fn is_numeric(arg: &str) -> bool {
    let arg = arg.trim();
    (!arg.is_empty() && arg.chars().all(|c| c.is_ascii_digit() || c == '_'))
        || ["len(", "int(", "math.ceil(", "math.floor("]
            .iter()
            .any(|p| arg.starts_with(p))
        || arg.ends_with(".count()")
}

/// Whether an argument's text is a plain string literal (`'get_records'`), not an
/// f-string or a formatted one: a name written in the code.
fn is_literal(arg: &str) -> bool {
    let arg = arg.trim();
    [('"', '"'), ('\'', '\'')].iter().any(|(open, close)| {
        arg.len() >= 2
            && arg.starts_with(*open)
            && arg.ends_with(*close)
            && !arg
                .get(1..arg.len() - 1)
                .is_some_and(|inner| inner.contains(*open) || inner.contains('{'))
    })
}

/// A constant named in code (`TYPE_PRODUCT`, `price_constants.TYPE_PRODUCT`): a
/// name in capitals, alone or as the last part of a dotted path that is not a
/// request's (`request.GET`), assigned at module level somewhere in the repository's
/// Python from nothing a caller or the environment supplies.
fn is_constant_name(files: &[PyRef<'_>], arg: &str) -> bool {
    let arg = arg.trim();
    let parts: Vec<&str> = arg.split('.').collect();
    let last = parts.last().copied().unwrap_or("");
    let shaped = last.len() >= 2
        && last.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && last
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
        && !parts
            .first()
            .is_some_and(|p| matches!(*p, "request" | "req" | "self" | "cls" | "args" | "kwargs"));
    shaped
        && files.iter().filter_map(|f| f.file.text()).any(|t| {
            t.lines().any(|l| {
                l.strip_prefix(last)
                    .and_then(|rest| rest.trim_start().strip_prefix('='))
                    .is_some_and(|rhs| {
                        !rhs.starts_with('=')
                            && !["request", "environ", "getenv", "input(", "argv"]
                                .iter()
                                .any(|w| rhs.contains(w))
                    })
            })
        })
}

/// What every caller passes for a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Constant {
    /// A number at every call.
    Number,
    /// A number or a string literal at every call, a literal at one at least.
    Literal,
}

/// What `function`'s parameter `param` receives at every call found in the repository's
/// Python files (at least one): a number or a literal name written in the code cannot
/// carry a request's value into the SQL. Calls are found by name (`name(` not after
/// `def `); the argument is taken by keyword or by position, `self`/`cls` not counted.
fn constant_at_every_call(
    files: &[PyRef<'_>],
    own: usize,
    function: &Function,
    param: &str,
) -> Option<Constant> {
    // A method called on `self` in another file is another class's method of the
    // same name.
    let method = function
        .params
        .first()
        .is_some_and(|p| p.name == "self" || p.name == "cls");
    let position = function
        .params
        .iter()
        .filter(|p| p.name != "self" && p.name != "cls")
        .position(|p| p.name == param);
    let position = position?;
    let name = function.name.as_str();
    let keyword = format!("{param}=");
    let mut calls = 0usize;
    let mut literals = 0usize;
    for f in files {
        let Some(text) = f.file.text() else { continue };
        for (at, _) in text.match_indices(name) {
            let head = text.get(..at).unwrap_or("");
            let tail = text.get(at + name.len()..).unwrap_or("");
            let word = |c: char| c.is_alphanumeric() || c == '_';
            if head.chars().next_back().is_some_and(word) || tail.chars().next().is_some_and(word) {
                continue;
            }
            if head.trim_end().ends_with("def") {
                continue;
            }
            // (Only where that file defines its own method of the name: a subclass
            // calling the inherited one is a caller.)
            let on_self = ["self.", "cls."].iter().any(|p| {
                head.strip_suffix(p).is_some_and(|before| {
                    !before
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                })
            });
            if method
                && f.index != own
                && on_self
                && f.py.functions.iter().any(|g| g.name == function.name)
            {
                continue;
            }
            // Passed on rather than called (`purge.delay(x)`, `target=purge`,
            // `path("…", views.purge)`): its arguments are not in view.
            // Tests mock and mention the function (`patch.object(db, "name")`): no
            // value of theirs reaches production.
            if !tail.starts_with('(') {
                if f.role == Role::Test {
                    continue;
                }
                return None;
            }
            let line = head.rsplit('\n').next().unwrap_or("").trim_start();
            if line.starts_with('#') || line.starts_with(">>>") {
                continue;
            }
            let window = text
                .get(at..)
                .map(|t| t.chars().take(600).collect::<String>());
            let Some(args) = window.as_deref().and_then(|w| sites::arguments(w, name)) else {
                if f.role == Role::Test {
                    continue;
                }
                return None;
            };
            let arg = args
                .iter()
                .find_map(|a| a.strip_prefix(keyword.as_str()))
                .or_else(|| args.get(position).copied());
            // Calls from tests show no production caller.
            let production = usize::from(f.role != Role::Test);
            match arg {
                Some(a) if is_numeric(a) => calls += production,
                Some(a) if is_literal(a) || is_constant_name(files, a) => {
                    calls += production;
                    literals += production;
                }
                _ if f.role == Role::Test => {}
                _ => return None,
            }
        }
    }
    match (calls, literals) {
        (0, _) => None,
        (_, 0) => Some(Constant::Number),
        _ => Some(Constant::Literal),
    }
}

fn evaluate(cx: &Context<'_>) -> Outcome {
    let def = &CHECK.def;
    let files: Vec<_> = python::files(cx).collect();
    if files.is_empty() {
        return Outcome::not_applicable("no Python files");
    }
    let mut found = Vec::new();
    for f in &files {
        for c in &f.py.calls {
            // Only values a caller passes in: SQL formatted from constants, random
            // names or the module's own state is not injectable.
            let CallKind::Sql {
                callee,
                how,
                tainted: Some(param),
            } = &c.kind
            else {
                continue;
            };
            if quoted_identifiers(f, c.function, c.line) {
                continue;
            }
            // Table and column names cannot be placeholders: formatting only those is
            // safe when they come from code, which the call site cannot show.
            let names_only = identifiers_only(&sql_text(f, c.function, c.line, callee));
            // Every value goes through an escaping function or is a literal.
            let escaped = escaped_only(&sql_source(f, c.function, c.line, callee, 30));
            // Every caller passes a number (`len(rows)`): no quote can reach the SQL.
            let constant = c
                .function
                .and_then(|i| f.py.functions.get(i))
                .and_then(|function| constant_at_every_call(&files, f.index, function, param));
            let numbers = constant.is_some();
            // A migration formats the table and column names it was written for.
            let severity = if python::is_migration(f.path()) || numbers || escaped {
                Severity::P3
            } else if names_only {
                Severity::P2
            } else {
                def.severity
            };
            let message = if let Some(constant) = constant {
                let what = match constant {
                    Constant::Number => "a number",
                    Constant::Literal => {
                        "a number, a string or a named constant written in the code"
                    }
                };
                format!(
                    "`{callee}` receives SQL text built by {how} from the parameter `{param}`, and every call of the function in the repository passes {what}: safe as written, but a placeholder (or an allow-list, for names) keeps it safe when a caller changes."
                )
            } else if escaped {
                format!(
                    "`{callee}` receives SQL text built by {how} from the parameter `{param}`, and every value formatted in passes through an escaping function or is a literal: safe while those functions escape everything, but placeholders leave nothing to get wrong."
                )
            } else if names_only {
                format!(
                    "`{callee}` receives SQL text built by {how} from the parameter `{param}`, which only puts table or column names into it: no placeholder can carry a name, so check that every caller passes names from code (or an allow-list), never from a request."
                )
            } else {
                format!(
                    "`{callee}` receives SQL text built by {how} from the parameter `{param}`: a value containing a quote changes the statement itself. Use placeholders and pass the values as parameters."
                )
            };
            found.push(Site {
                file: *f,
                line: c.line,
                severity,
                what: "SQL built by formatting".to_string(),
                message,
                evidence: cx.at(f.path(), c.line),
            });
        }
    }
    sites::judge(
        def,
        files.len(),
        (
            "SQL statement built by formatting",
            "SQL statements built by formatting",
        ),
        found,
    )
}
