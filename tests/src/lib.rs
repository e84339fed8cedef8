//! Ballast's test harness: [`fixture`], the one fixture every test uses (a market, reserves on
//! real SPL mints, funded users, oracle control and explicit clock control), on the embedded bank
//! of `ballast-bank`. Instruction builders are `ballast-client`'s, simulated feeds `ballast-bank`'s.

// solana-program-test 3.x marks its whole API as "unstable" with deprecation warnings; it is
// the bank this harness exists to drive.
#![allow(deprecated)]

pub mod backend;
pub mod fixture;
