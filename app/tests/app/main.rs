//! The app on the embedded bank: keeper, health equivalence, wallet commands, migrations and
//! the demo. One test binary (linking the bank is the slow part of a build).

mod demo;
mod health_equivalence;
mod keeper;
mod migrate;
mod support;
mod wallet;
