//! Ballast's integration suite: the real program in a real bank, one module per capability.

// solana-program-test 3.x marks its whole API as "unstable" with deprecation warnings.
#![allow(deprecated)]

mod admin;
mod common;
mod reserve_config;
mod smoke;
