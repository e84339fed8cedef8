//! Core deposit / withdraw / borrow / repay scenarios (`tests/core`), unchanged.

#[path = "../../core/borrow_repay.rs"]
mod borrow_repay;
#[allow(dead_code)]
#[path = "../../core/common.rs"]
pub mod common;
#[path = "../../core/deposit_withdraw.rs"]
mod deposit_withdraw;
