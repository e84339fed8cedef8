//! Ballast's test harness and client helpers.
//!
//! - [`client`]: instruction builders (account lists in the program's order, canonical
//!   remaining accounts), used by the tests and by the `ballast` app.
//! - [`pyth`]: writers for simulated Pyth legacy and pull price accounts.
//! - [`bank`]: the embedded bank: `solana-program-test` running the program natively, or the
//!   SBF build when `BALLAST_SBF=1` (see docs/testing.md).
//! - [`fixture`]: one fixture every test uses: a market, reserves on real SPL mints, funded
//!   users, oracle control and explicit clock control.

// solana-program-test 3.x marks its whole API as "unstable" with deprecation warnings; it is
// the bank this harness exists to drive.
#![allow(deprecated)]

pub mod bank;
pub mod client;
pub mod fixture;
pub mod pyth;
