//! The integration suites' scenarios on a local validator: every harness in this binary runs on
//! a surfpool network of its own (offline, 127.0.0.1, Ballast as a native builtin), reached
//! over JSON-RPC, instead of the embedded bank. The scenarios are the other suites' own source
//! files, included unchanged: core deposit / withdraw / borrow / repay, liquidation with bad
//! debt, the oracle scenarios, and a slice of the oracle failure matrix (`matrix_slice`).
//!
//! What differs from an SBF deployment is in docs/testing.md: the program runs natively (no
//! compute-unit metering, no SBF memory limits), and the validator's clock only moves forward.

// solana-program-test 3.x marks its whole API as "unstable" with deprecation warnings.
#![allow(deprecated)]

use ballast_surfnet::SurfnetOptions;
use ballast_tests::backend::{use_fresh_validators, OwnValidator};

/// Before `main` (and so before any test thread): every harness starts a validator of its own.
#[ctor::ctor(unsafe)]
fn every_harness_on_a_local_validator() {
    use_fresh_validators(start_validator);
}

fn start_validator() -> OwnValidator {
    let network =
        ballast_surfnet::start(&SurfnetOptions::deterministic()).expect("a local validator starts");
    OwnValidator {
        url: network.url.clone(),
        handle: Box::new(network),
    }
}

mod core;
mod liquidation;
mod oracle;
