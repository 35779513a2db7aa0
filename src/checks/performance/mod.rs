//! Performance & scalability: load tests, benchmarks, caching.

pub mod benchmarks;
pub mod caching;
pub mod load_tests;
