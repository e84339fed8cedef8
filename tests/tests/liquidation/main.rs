//! Liquidation and the bad-debt fund (issue 3): the real program in a real bank, one module per
//! part of the capability. Every scenario asserts token balances to the unit, health before and
//! after, the fund and the value of a supply share; every rejection asserts the named error and
//! byte-identical accounts.

mod bad_debt;
mod common;
