//! Performance & scalability: load tests, benchmarks, caching, and how Python code
//! makes HTTP calls (timeouts, connection reuse) and blocking calls in async code.

pub mod benchmarks;
pub mod blocking_in_async;
pub mod caching;
pub mod connection_reuse;
pub mod http_timeouts;
pub mod load_tests;
