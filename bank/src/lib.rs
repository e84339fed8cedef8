//! The embedded bank, one place for the demo and the test fixture:
//!
//! - [`program`]: a `solana-program-test` bank with Ballast registered natively (or its SBF build
//!   under `BALLAST_SBF=1`), and the native entrypoint wrapper other hosts reuse;
//! - [`chain::BankChain`]: that bank as a [`ballast_client::chain::Chain`], with the clock,
//!   accounts and mints under the caller's control;
//! - [`pyth`]: simulated Pyth legacy and pull price accounts, written byte for byte.

// solana-program-test 3.x marks its whole API "unstable" with deprecation warnings; it is the
// bank this crate exists to drive.
#![allow(deprecated)]

pub mod chain;
pub mod program;
pub mod pyth;

pub use program::{process_instruction, program_test, use_sbf, CPI_RELAY_ID};
