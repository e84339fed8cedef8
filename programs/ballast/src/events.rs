//! Events: one per state change, with the amounts and the resulting key figures.

use anchor_lang::prelude::*;

/// A market was created or one of its settings changed.
#[event]
pub struct MarketUpdated {
    pub market: Pubkey,
    /// Which setting changed (the `MarketUpdate` variant name).
    pub change: String,
    pub admin: Pubkey,
    pub pause_flags: u8,
}

/// A reserve was created or its configuration or pause flags changed.
#[event]
pub struct ReserveConfigured {
    pub market: Pubkey,
    pub reserve: Pubkey,
    pub by_admin: bool,
    pub pause_flags: u8,
    pub ltv_bps: u16,
    pub liquidation_threshold_bps: u16,
    pub supply_cap: u64,
    pub borrow_cap: u64,
}

/// Tokens were deposited.
#[event]
pub struct Deposited {
    pub reserve: Pubkey,
    pub obligation: Pubkey,
    pub amount: u64,
    pub shares_minted: u128,
    pub available_liquidity: u64,
}

/// Tokens were withdrawn.
#[event]
pub struct Withdrawn {
    pub reserve: Pubkey,
    pub obligation: Pubkey,
    pub amount: u64,
    pub shares_burned: u128,
    pub available_liquidity: u64,
}

/// Tokens were borrowed.
#[event]
pub struct Borrowed {
    pub reserve: Pubkey,
    pub obligation: Pubkey,
    pub amount: u64,
    pub scaled_debt_added: u128,
    pub borrow_limit: u128,
    pub debt_value: u128,
}

/// Debt was repaid.
#[event]
pub struct Repaid {
    pub reserve: Pubkey,
    pub obligation: Pubkey,
    pub payer: Pubkey,
    pub amount: u64,
    pub scaled_debt_removed: u128,
    pub remaining_debt: u64,
}

/// A flash loan was opened; `flash_repay` of `amount + fee` must follow in the transaction.
#[event]
pub struct FlashBorrowed {
    pub reserve: Pubkey,
    pub borrower: Pubkey,
    pub amount: u64,
    pub fee: u64,
}

/// A flash loan was repaid with its fee.
#[event]
pub struct FlashRepaid {
    pub reserve: Pubkey,
    pub payer: Pubkey,
    pub amount: u64,
    pub fee: u64,
    pub fee_to_fund: u64,
    pub fee_to_protocol: u64,
}

/// A deposit was enabled or disabled as collateral.
#[event]
pub struct CollateralSet {
    pub obligation: Pubkey,
    pub reserve: Pubkey,
    pub enabled: bool,
}

/// An obligation entered, changed or left an e-mode category.
#[event]
pub struct EmodeSet {
    pub obligation: Pubkey,
    /// The previous category (0 = none).
    pub previous: u8,
    /// The new category (0 = none).
    pub category: u8,
    /// Borrow limit and debt value after (strict prices; 0 and 0 without debt).
    pub borrow_limit: u128,
    pub debt_value: u128,
}

/// An e-mode category was listed or its parameters changed.
#[event]
pub struct EmodeCategoryConfigured {
    pub market: Pubkey,
    pub id: u8,
    pub by_admin: bool,
    pub ltv_bps: u16,
    pub liquidation_threshold_bps: u16,
    pub min_liquidation_bonus_bps: u16,
    pub max_liquidation_bonus_bps: u16,
}

/// Fees and fund flows were swept.
#[event]
pub struct FeesCollected {
    pub reserve: Pubkey,
    pub protocol_fees: u64,
    pub insurance_to_fund: u64,
    pub receivable_to_liquidity: u64,
    pub fund_balance: u64,
}

/// Tokens were added to a reserve's bad-debt fund.
#[event]
pub struct FundContributed {
    pub reserve: Pubkey,
    pub contributor: Pubkey,
    pub amount: u64,
    pub fund_balance: u64,
}

/// An obligation was liquidated.
#[event]
pub struct Liquidated {
    pub obligation: Pubkey,
    pub liquidator: Pubkey,
    pub repay_reserve: Pubkey,
    pub collateral_reserve: Pubkey,
    pub repaid: u64,
    pub seized: u64,
    pub bonus_bps: u64,
    pub protocol_fee: u64,
    pub received_as_shares: bool,
    pub health_before_wad: u128,
    pub health_after_wad: u128,
}

/// Bad debt of one borrow was written off.
#[event]
pub struct BadDebtRealized {
    pub obligation: Pubkey,
    pub reserve: Pubkey,
    /// Debt written off (token units × WAD).
    pub debt_wad: u128,
    /// Covered by the fund (token units × WAD).
    pub covered_wad: u128,
    /// Written off against depositors (token units × WAD).
    pub socialized_wad: u128,
    pub fund_balance_after: u64,
    pub share_value_after_wad: u128,
    pub frozen: bool,
}

/// A reserve was valued at a price other than its primary source's: its fallback's (source 2),
/// or the more conservative of two disagreeing prices in a liquidation (source 3).
#[event]
pub struct OracleSourceUsed {
    pub reserve: Pubkey,
    /// `PriceSource` as `u8`.
    pub source: u8,
    pub publish_time: i64,
    /// Prices used for collateral and for debt: `mantissa × 10^expo`.
    pub collateral_price: u64,
    pub collateral_expo: i32,
    pub debt_price: u64,
    pub debt_expo: i32,
}
