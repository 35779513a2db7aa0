//! Code quality & static analysis: readable sources, configs that parse, linters
//! configured, TODO density.

pub mod analysable;
pub mod config_valid;
pub mod linters;
pub mod syntax_errors;
pub mod todo_density;
pub mod undeclared_dependencies;
pub mod unresolved_imports;
