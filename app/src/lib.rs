//! The `ballast` command as a library: one chain-access layer ([`chain`]) with two
//! implementations (Solana RPC in [`rpc`], the embedded bank in [`bank`]), and on top of it the
//! reference keeper, the wallet commands, market migrations and the demo.
//!
//! Off-chain health is computed by the program's own code ([`ballast::valuation`],
//! [`ballast::math`], [`ballast::oracle`]) over the same account bytes the program would see, so
//! it cannot drift from the on-chain check.

// solana-program-test 3.x marks its whole API "unstable" with deprecation warnings; the
// embedded bank is what this crate drives.
#![allow(deprecated)]

pub mod bank;
pub mod chain;
pub mod demo;
pub mod errors;
pub mod format;
pub mod keeper;
pub mod localnet;
pub mod migrate;
pub mod rpc;
pub mod view;
pub mod wallet;
