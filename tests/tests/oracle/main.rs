//! Simulated oracle failures (issue 4): the failure matrix of every instruction against every
//! way a price can be wrong, for each oracle kind (legacy Pyth, Pyth pull, Switchboard
//! On-Demand) and for a primary with a fallback (issue 15), and scenarios around outages,
//! crashes, spikes and a second provider. `BALLAST_BLESS=1` rewrites docs/oracle-failure-matrix.md from what the suite
//! observes.

// solana-program-test 3.x marks its whole API (the context's blockhash and client included) as
// "unstable" with deprecation warnings; it is the bank these tests drive.
#![allow(deprecated)]

mod captured;
mod fallback;
mod matrix;
mod matrix_checks;
mod scenarios;
mod support;
