//! Architecture clarity: god files, complex functions, import cycles and architecture
//! documentation.

pub mod architecture_docs;
pub mod complex_functions;
pub mod god_files;
pub mod import_cycles;
