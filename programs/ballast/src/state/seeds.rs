//! Every PDA seed prefix Ballast uses.

/// `[MARKET, creator, index (u16 LE)]`
pub const MARKET: &[u8] = b"market";
/// `[RESERVE, market, mint]`; the reserve PDA also owns both of its vaults.
pub const RESERVE: &[u8] = b"reserve";
/// `[LIQUIDITY_VAULT, reserve]`
pub const LIQUIDITY_VAULT: &[u8] = b"liquidity";
/// `[FUND_VAULT, reserve]`
pub const FUND_VAULT: &[u8] = b"fund";
/// `[OBLIGATION, market, owner, index (u8)]`
pub const OBLIGATION: &[u8] = b"obligation";
