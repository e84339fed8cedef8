//! The app on the embedded bank (keeper, health equivalence, wallet commands, migrations, the
//! demo) and the `ballast` binary over JSON-RPC on a local validator (`rpc`). One test binary
//! (linking the bank and the validator is the slow part of a build).

mod browser;
mod dashboard;
mod demo;
mod health_equivalence;
mod keeper;
mod migrate;
mod rpc;
mod source_equivalence;
mod stress;
mod support;
mod wallet;
