//! Liquidation and the bad-debt fund (issue 3): the real program in a real bank, one module per
//! part of the capability. Every scenario asserts token balances to the unit, health before and
//! after, the fund and the value of a supply share; every rejection asserts the named error and
//! byte-identical accounts.

// solana-program-test 3.x marks its whole API (the bank's client, the blockhash) deprecated
// as "unstable"; it is the bank these tests exist to drive.
#![allow(deprecated)]

mod bad_debt;
mod common;
mod eligibility;
mod liveness;
mod risk_modes;
mod sizing;
mod transaction_size;
mod worked_example;
