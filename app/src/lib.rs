//! The `ballast` command as a library, on `ballast-client`'s chain access ([`ballast_client::chain`],
//! over JSON-RPC or the embedded bank of `ballast-bank`): the reference keeper, the wallet
//! commands, market migrations and the demo.
//!
//! Off-chain health is computed by the program's own code ([`ballast::valuation`],
//! [`ballast::math`], [`ballast::oracle`]) over the same account bytes the program would see, so
//! it cannot drift from the on-chain check.

// solana-program-test 3.x marks its whole API "unstable" with deprecation warnings; the
// embedded bank is what the demo drives.
#![allow(deprecated)]

pub mod dashboard;
pub mod demo;
pub mod format;
pub mod keeper;
pub mod localnet;
pub mod migrate;
pub mod stdio;
pub mod stress;
pub mod wallet;
