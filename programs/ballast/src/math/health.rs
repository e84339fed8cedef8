//! Health factor and borrow limit over an obligation's valued positions.

use super::fixed::mul_div_floor;
use super::{MathResult, BPS, WAD};

/// Health factor shown for an obligation with no debt.
pub const HEALTH_INFINITE: u128 = u128::MAX;

/// Running totals of an obligation's valued positions (all USD WAD).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthTotals {
    /// Σ collateral value (rounded down), before any weight.
    pub collateral_value: u128,
    /// Σ collateral value × liquidation threshold (rounded down).
    pub liquidation_weighted_collateral: u128,
    /// Σ collateral value × loan-to-value (rounded down): the borrow limit.
    pub borrow_limit: u128,
    /// Σ debt value (rounded up).
    pub debt_value: u128,
}

impl HealthTotals {
    /// Adds one enabled collateral position valued at `value` (rounded down by the caller).
    /// Sums saturate at `u128::MAX` (≈ $3.4 × 10²⁰): a valuation never fails for size, and a
    /// saturated collateral sum only understates collateral.
    pub fn add_collateral(
        &mut self,
        value: u128,
        ltv_bps: u64,
        liquidation_threshold_bps: u64,
    ) -> MathResult<()> {
        self.collateral_value = self.collateral_value.saturating_add(value);
        self.liquidation_weighted_collateral = self
            .liquidation_weighted_collateral
            .saturating_add(weighted_floor(value, liquidation_threshold_bps)?);
        self.borrow_limit = self
            .borrow_limit
            .saturating_add(weighted_floor(value, ltv_bps)?);
        Ok(())
    }

    /// Adds one debt position valued at `value` (rounded up by the caller); saturates.
    pub fn add_debt(&mut self, value: u128) -> MathResult<()> {
        self.debt_value = self.debt_value.saturating_add(value);
        Ok(())
    }

    /// Whether the enabled collateral is worth less than the debt (unweighted): the only state
    /// in which bad debt may be written off.
    pub fn is_insolvent(&self) -> bool {
        self.collateral_value < self.debt_value
    }

    /// `Σ collateral·LT / Σ debt` (WAD), rounded down; `HEALTH_INFINITE` without debt.
    pub fn health_factor_wad(&self) -> MathResult<u128> {
        health_factor_wad_floor(self.liquidation_weighted_collateral, self.debt_value)
    }

    /// Whether the obligation may be liquidated (`HF < 1`).
    pub fn is_liquidatable(&self) -> bool {
        self.debt_value > 0 && self.liquidation_weighted_collateral < self.debt_value
    }

    /// Whether debt is within the borrow limit (`Σ collateral·LTV ≥ Σ debt`).
    pub fn is_within_borrow_limit(&self) -> bool {
        self.debt_value <= self.borrow_limit
    }
}

/// `value × weight_bps / BPS`, rounded down.
pub fn weighted_floor(value: u128, weight_bps: u64) -> MathResult<u128> {
    mul_div_floor(value, u128::from(weight_bps), u128::from(BPS))
}

/// Health factor (WAD) rounded down; `HEALTH_INFINITE` without debt.
pub fn health_factor_wad_floor(weighted_collateral: u128, debt_value: u128) -> MathResult<u128> {
    if debt_value == 0 {
        return Ok(HEALTH_INFINITE);
    }
    mul_div_floor(weighted_collateral, WAD, debt_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_weighted_collateral_over_debt() {
        let mut totals = HealthTotals::default();
        totals.add_collateral(1_000 * WAD, 7_500, 8_000).unwrap();
        totals.add_debt(800 * WAD).unwrap();
        assert_eq!(totals.health_factor_wad(), Ok(WAD));
        assert!(!totals.is_liquidatable());
        assert!(!totals.is_within_borrow_limit());
        totals.add_debt(1).unwrap();
        assert!(totals.is_liquidatable());
    }

    #[test]
    fn no_debt_is_infinitely_healthy() {
        assert_eq!(
            HealthTotals::default().health_factor_wad(),
            Ok(HEALTH_INFINITE)
        );
    }
}
