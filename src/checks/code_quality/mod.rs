//! Code quality & static analysis: readable sources, configs that parse, linters
//! configured, TODO density; Python files that parse and import, and Python
//! error-prone constructs (format specs, exception handlers, mutable defaults, asserts).

pub mod analysable;
pub mod assert_validation;
pub mod config_valid;
pub mod exception_handling;
pub mod format_spec_errors;
pub mod linters;
pub mod mutable_defaults;
pub mod syntax_errors;
pub mod todo_density;
pub mod undeclared_dependencies;
pub mod unresolved_imports;
