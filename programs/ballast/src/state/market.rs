use anchor_lang::prelude::*;

use crate::errors::BallastError;
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
    /// Collateral value (USD WAD) below which an indebted obligation counts as having none,
    /// so its bad debt can be realized (depositing dust cannot block realization).
    pub bad_debt_collateral_dust_value: u128,
}

impl LiquidationConfig {
    /// Bounds: close factor in (0, 100 %], full-liquidation health in (0, 1], dust ≤ $1 000.
    pub fn validate(&self) -> Result<()> {
        let max_dust = 1_000 * WAD;
        require!(
            self.close_factor_bps > 0
                && u64::from(self.close_factor_bps) <= BPS
                && self.full_liquidation_health_bps > 0
                && u64::from(self.full_liquidation_health_bps) <= BPS
                && self.dust_value <= max_dust
                && self.bad_debt_collateral_dust_value <= max_dust
                && self.full_liquidation_debt_value <= 1_000_000 * WAD,
            BallastError::InvalidMarketConfig
        );
        Ok(())
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
