//! Ballast's integration suite: the real program in a real bank, one module per capability.

// solana-program-test 3.x marks its whole API as "unstable" with deprecation warnings.
#![allow(deprecated)]

mod accounts;
mod admin;
mod borrow_repay;
mod collateral;
mod common;
mod deposit_withdraw;
mod fees;
mod flash_loans;
mod interest;
mod obligation;
mod reserve_config;
mod smoke;
