//! Deployment & rollback: container build and its quality, orchestration, release
//! pipeline, versioning, rollback, environment separation, migrations.

pub mod container;
pub mod dockerfile;
pub mod environments;
pub mod migrations;
pub mod orchestration;
pub mod release;
pub mod rollback;
pub mod versioning;
