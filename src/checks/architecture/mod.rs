//! Architecture clarity: god files and architecture documentation.

pub mod architecture_docs;
pub mod god_files;
