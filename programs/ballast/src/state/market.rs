use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::math::health::HealthTotals;
use crate::math::liquidation::LiquidationSettings;
use crate::math::{BPS, WAD};

/// Market-wide liquidation settings, validated on every change.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct LiquidationConfig {
    /// Share of the obligation's debt one liquidation may repay while the close factor applies.
    pub close_factor_bps: u16,
    /// Health (bps of 1.0) below which the whole debt may be repaid; default 9 500.
    pub full_liquidation_health_bps: u16,
    /// Debt value (USD WAD) at or below which the whole debt may be repaid.
    pub full_liquidation_debt_value: u128,
    /// Smallest debt position value (USD WAD) a partial liquidation may leave.
    pub dust_value: u128,
    /// The negligible value (USD WAD): an indebted obligation whose enabled collateral is worth
    /// at most this, and less than its debt, holds no collateral of value, so its bad debt is
    /// realized; and a position worth at most this at its feed's last price cannot block a
    /// liquidation or a write-off when that price fails the policy. Positive, at most
    /// `dust_value` and at most `MAX_NEGLIGIBLE_VALUE`.
    pub bad_debt_collateral_dust_value: u128,
}

/// Largest dust value a market may set ($1 000).
pub const MAX_DUST_VALUE: u128 = 1_000 * WAD;
/// Largest negligible value (`bad_debt_collateral_dust_value`) a market may set ($1): it is the
/// most collateral a write-off may take from an owner without a liquidation.
pub const MAX_NEGLIGIBLE_VALUE: u128 = WAD;

impl LiquidationConfig {
    /// Bounds: close factor in (0, 100 %], full-liquidation health in (0, 1], dust ≤ $1 000,
    /// 0 < negligible value ≤ min(dust, $1), full-liquidation debt value ≤ $1 000 000.
    pub fn validate(&self) -> Result<()> {
        require!(
            self.close_factor_bps > 0
                && u64::from(self.close_factor_bps) <= BPS
                && self.full_liquidation_health_bps > 0
                && u64::from(self.full_liquidation_health_bps) <= BPS
                && self.dust_value <= MAX_DUST_VALUE
                && self.bad_debt_collateral_dust_value > 0
                && self.bad_debt_collateral_dust_value <= self.dust_value
                && self.bad_debt_collateral_dust_value <= MAX_NEGLIGIBLE_VALUE
                && self.full_liquidation_debt_value <= 1_000_000 * WAD,
            BallastError::InvalidMarketConfig
        );
        Ok(())
    }

    /// Whether an indebted obligation valued at `totals` (liquidation prices) holds no
    /// collateral of value: its enabled collateral is worth at most the negligible value and
    /// less than its debt. Only then is its bad debt written off.
    pub fn holds_no_collateral_of_value(&self, totals: &HealthTotals) -> bool {
        totals.is_insolvent() && totals.collateral_value <= self.bad_debt_collateral_dust_value
    }

    /// The pure-math view of these settings.
    pub fn settings(&self) -> LiquidationSettings {
        LiquidationSettings {
            close_factor_bps: u64::from(self.close_factor_bps),
            full_liquidation_health_wad: crate::math::bps_to_wad(u64::from(
                self.full_liquidation_health_bps,
            )),
            full_liquidation_debt_value: self.full_liquidation_debt_value,
            dust_value: self.dust_value,
        }
    }
}

/// A lending market: its authorities, trusted oracle programs and market-wide settings.
#[account]
#[derive(InitSpace, Debug)]
pub struct Market {
    /// Who created the market (part of its address).
    pub creator: Pubkey,
    /// Index among the creator's markets (part of its address).
    pub index: u16,
    /// PDA bump.
    pub bump: u8,
    /// May change anything, unpause and loosen.
    pub admin: Pubkey,
    /// Proposed admin; becomes admin when it signs `AcceptAdmin`. Default = none.
    pub pending_admin: Pubkey,
    /// May pause and tighten, never unpause, loosen or move funds.
    pub risk_authority: Pubkey,
    /// Owner of the token accounts protocol fees are collected to.
    pub fee_receiver: Pubkey,
    /// Program that owns trusted legacy Pyth price accounts.
    pub pyth_program: Pubkey,
    /// Program that owns trusted Pyth pull `PriceUpdateV2` accounts.
    pub pyth_receiver_program: Pubkey,
    /// Market-wide pause flags (`PAUSE_*`), combined with each reserve's.
    pub pause_flags: u8,
    /// Liquidation settings.
    pub liquidation: LiquidationConfig,
    /// Room to grow without a migration.
    pub reserved: [u8; 64],
}

impl Market {
    /// Rejects a signer that is not the admin.
    pub fn require_admin(&self, signer: &Pubkey) -> Result<()> {
        require_keys_eq!(self.admin, *signer, BallastError::NotAdmin);
        Ok(())
    }

    /// Whether `signer` is the admin (`true`) or the risk authority (`false`); anyone else fails.
    pub fn authority_role(&self, signer: &Pubkey) -> Result<bool> {
        if *signer == self.admin {
            return Ok(true);
        }
        require_keys_eq!(self.risk_authority, *signer, BallastError::NotRiskAuthority);
        Ok(false)
    }
}
