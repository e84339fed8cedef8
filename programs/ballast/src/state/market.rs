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

/// Number of efficiency-mode categories a market holds (ids `1 ..= EMODE_CATEGORIES`; 0 = none).
pub const EMODE_CATEGORIES: usize = 4;
/// Highest liquidation threshold an e-mode category may set (97 %): correlated assets still
/// move apart, and the bonus cap `LT · (1 + max_bonus) < 1` leaves room for a bonus.
pub const MAX_EMODE_LIQUIDATION_THRESHOLD_BPS: u16 = 9_700;
/// Smallest liquidation bonus an e-mode category may set at its maximum (0.5 %): liquidators
/// must be paid to act.
pub const MIN_EMODE_MAX_BONUS_BPS: u16 = 50;

/// One efficiency-mode category: risk parameters for correlated assets (a stablecoin against a
/// stablecoin, SOL against a SOL staking token). An obligation in the category values its
/// collateral of the category's reserves with these, and may borrow only from them.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct EmodeCategory {
    /// Loan-to-value for collateral of the category; 0 = the category is not listed.
    pub ltv_bps: u16,
    /// Liquidation threshold for collateral of the category.
    pub liquidation_threshold_bps: u16,
    /// Liquidation bonus at health 1 when collateral of the category is seized.
    pub min_liquidation_bonus_bps: u16,
    /// Liquidation bonus ceiling when collateral of the category is seized.
    pub max_liquidation_bonus_bps: u16,
}

impl EmodeCategory {
    /// Whether the category is listed (obligations may enter it, reserves may join it).
    pub fn is_listed(&self) -> bool {
        self.ltv_bps > 0
    }

    /// The bounds of a listed category, the reserve bounds and tighter ones:
    /// `0 < LTV < LT ≤ 97 %`, `min_bonus ≤ max_bonus`, `0.5 % ≤ max_bonus ≤ 50 %` and the bonus cap
    /// `LT · (1 + max_bonus) < 1`.
    pub fn validate(&self) -> Result<()> {
        let bps = u128::from(BPS);
        let lt = u128::from(self.liquidation_threshold_bps);
        require!(
            self.ltv_bps > 0
                && self.ltv_bps < self.liquidation_threshold_bps
                && self.liquidation_threshold_bps <= MAX_EMODE_LIQUIDATION_THRESHOLD_BPS
                && self.min_liquidation_bonus_bps <= self.max_liquidation_bonus_bps
                && self.max_liquidation_bonus_bps >= MIN_EMODE_MAX_BONUS_BPS
                && self.max_liquidation_bonus_bps <= crate::state::MAX_LIQUIDATION_BONUS_BPS
                && lt * (bps + u128::from(self.max_liquidation_bonus_bps)) < bps * bps,
            BallastError::InvalidEmodeCategory
        );
        Ok(())
    }

    /// Whether `self` differs from `previous` only by a lower LTV: what the risk authority may do.
    pub fn only_tightens(&self, previous: &EmodeCategory) -> bool {
        EmodeCategory {
            ltv_bps: previous.ltv_bps,
            ..*self
        } == *previous
            && self.ltv_bps <= previous.ltv_bps
    }
}

/// The risk parameters one collateral position is valued and liquidated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollateralParams {
    pub ltv_bps: u16,
    pub liquidation_threshold_bps: u16,
    pub min_liquidation_bonus_bps: u16,
    pub max_liquidation_bonus_bps: u16,
}

impl CollateralParams {
    /// The parameters for collateral in a reserve configured with `config`, held by an
    /// obligation in e-mode `obligation_category` (0 = none): the category's when the reserve
    /// belongs to it (and it is listed), the reserve's own otherwise.
    pub fn of(
        categories: &[EmodeCategory; EMODE_CATEGORIES],
        obligation_category: u8,
        config: &crate::state::ReserveConfig,
    ) -> CollateralParams {
        let category = usize::from(obligation_category)
            .checked_sub(1)
            .and_then(|index| categories.get(index))
            .filter(|category| {
                category.is_listed() && config.emode_category == obligation_category
            });
        match category {
            Some(category) => CollateralParams {
                ltv_bps: category.ltv_bps,
                liquidation_threshold_bps: category.liquidation_threshold_bps,
                min_liquidation_bonus_bps: category.min_liquidation_bonus_bps,
                max_liquidation_bonus_bps: category.max_liquidation_bonus_bps,
            },
            None => CollateralParams {
                ltv_bps: config.ltv_bps,
                liquidation_threshold_bps: config.liquidation_threshold_bps,
                min_liquidation_bonus_bps: config.min_liquidation_bonus_bps,
                max_liquidation_bonus_bps: config.max_liquidation_bonus_bps,
            },
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
    /// Program that owns trusted Switchboard On-Demand pull-feed accounts.
    pub switchboard_program: Pubkey,
    /// Market-wide pause flags (`PAUSE_*`), combined with each reserve's.
    pub pause_flags: u8,
    /// Liquidation settings.
    pub liquidation: LiquidationConfig,
    /// Efficiency-mode categories; category `id` is `emode_categories[id - 1]`.
    pub emode_categories: [EmodeCategory; EMODE_CATEGORIES],
    /// Room to grow without a migration.
    pub reserved: [u8; 32],
}

impl Market {
    /// The listed category `id` (1 ..= `EMODE_CATEGORIES`), or `EmodeCategoryNotListed`.
    pub fn emode_category(&self, id: u8) -> Result<&EmodeCategory> {
        usize::from(id)
            .checked_sub(1)
            .and_then(|index| self.emode_categories.get(index))
            .filter(|category| category.is_listed())
            .ok_or_else(|| error!(BallastError::EmodeCategoryNotListed))
    }

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
