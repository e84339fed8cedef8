//! Liquidation with bad debt (`tests/liquidation/bad_debt.rs`), unchanged.

#[path = "../../liquidation/bad_debt.rs"]
mod bad_debt;
#[allow(dead_code)]
#[path = "../../liquidation/common.rs"]
pub mod common;
