//! Ballast for Rust clients: what a wallet, a bot or the `ballast` command needs, and nothing
//! of the test bank.
//!
//! - Addresses and instructions ([`instructions`], re-exported at the root): every PDA, a builder
//!   for every instruction with the program's own account order, and the canonical
//!   `remaining_accounts` of an obligation.
//! - [`plans`]: whole operations (deposit, withdraw, borrow, repay, collateral changes, a
//!   liquidation) as the instruction lists the `ballast` command and the keeper send.
//! - [`view`]: a read-only market view that values obligations with the program's own
//!   [`ballast::valuation`], so off-chain health is the on-chain check.
//! - [`errors`]: a transaction failure as the program's named error and message.
//! - [`chain`]: one way to reach a chain ([`chain::Chain`]), with [`rpc::RpcChain`] for JSON-RPC
//!   clusters (a local surfpool validator included, with its cheatcodes).

pub mod chain;
/// Address lookup tables (the keeper's v0 transactions).
pub use solana_address_lookup_table_interface as address_lookup_table;
pub mod errors;
pub mod instructions;
pub mod plans;
pub mod rpc;
pub mod view;

pub use instructions::*;
