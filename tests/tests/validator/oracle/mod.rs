//! The oracle scenarios (`tests/oracle`), unchanged, and a slice of the failure matrix.

#[allow(dead_code)]
#[path = "../../oracle/matrix.rs"]
pub mod matrix;
#[path = "../../oracle/scenarios.rs"]
mod scenarios;
#[allow(dead_code)]
#[path = "../../oracle/support.rs"]
pub mod support;

mod matrix_slice;
