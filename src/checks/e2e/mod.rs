//! End-to-end & integration testing.

pub mod suite;
