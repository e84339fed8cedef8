//! Liquidation sizing (close factor, bonus, dust rule, fee) and the bad-debt waterfall.

use super::fixed::{add, mul_div_ceil, mul_div_floor, sub, to_u64};
use super::value::{
    tokens_for_value_ceil, tokens_for_value_floor, value_wad_ceil, value_wad_floor, Price,
};
use super::{MathError, BPS, WAD};

/// Why a liquidation cannot be sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiquidationError {
    /// Arithmetic failure.
    Math(MathError),
    /// The request would leave the repaid position below the dust value.
    WouldLeaveDust,
    /// Nothing can be repaid (zero request, zero debt, or collateral worth less than one unit).
    NothingToRepay,
}

impl From<MathError> for LiquidationError {
    fn from(error: MathError) -> Self {
        LiquidationError::Math(error)
    }
}

/// Market-wide liquidation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationSettings {
    /// Share of the obligation's debt value one liquidation may repay while the close factor applies.
    pub close_factor_bps: u64,
    /// Health factor (WAD) below which the whole debt may be repaid.
    pub full_liquidation_health_wad: u128,
    /// Debt value (USD WAD) at or below which the whole debt may be repaid.
    pub full_liquidation_debt_value: u128,
    /// Smallest debt position value (USD WAD) a partial liquidation may leave behind.
    pub dust_value: u128,
}

/// One side (debt or collateral) of a liquidation, valued at liquidation prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionQuote {
    /// Position size in base units (debt rounded up, collateral rounded down).
    pub tokens: u64,
    /// Mint decimals.
    pub decimals: u8,
    /// Liquidation (spot) price.
    pub price: Price,
}

/// Everything the sizing needs about one liquidation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationRequest {
    /// The obligation's health factor (WAD) under liquidation prices.
    pub health_wad: u128,
    /// The obligation's total debt value (USD WAD).
    pub total_debt_value: u128,
    /// The borrow being repaid.
    pub debt: PositionQuote,
    /// The collateral being seized.
    pub collateral: PositionQuote,
    /// Liquidation threshold of the seized collateral.
    pub collateral_liquidation_threshold_bps: u64,
    /// Bonus at health 1.
    pub min_bonus_bps: u64,
    /// Bonus ceiling.
    pub max_bonus_bps: u64,
    /// Share of the bonus paid to the seized asset's fund.
    pub protocol_fee_bps: u64,
    /// The liquidator's `max_repay`.
    pub max_repay: u64,
}

/// The sized liquidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationOutcome {
    /// Debt tokens the liquidator pays (rounded up where recomputed).
    pub repay_tokens: u64,
    /// Collateral tokens taken from the obligation, fee included (rounded down).
    pub seize_tokens: u64,
    /// Part of `seize_tokens` that goes to the fund (rounded up).
    pub fee_tokens: u64,
    /// Bonus applied.
    pub bonus_bps: u64,
    /// Whether the whole collateral position is taken.
    pub takes_all_collateral: bool,
}

/// The bonus for an obligation at `health_wad`: `min_bonus + (1 − HF)`, at most `max_bonus`, and
/// capped below `HF / LT_collateral − 1` so that a position with a buffer ends healthier and no
/// bad debt is created. Without such a buffer the minimum bonus applies.
pub fn liquidation_bonus_bps(
    health_wad: u128,
    collateral_liquidation_threshold_bps: u64,
    min_bonus_bps: u64,
    max_bonus_bps: u64,
) -> Result<u64, MathError> {
    let bps = u128::from(BPS);
    let deficit_bps = to_u64(mul_div_floor(WAD.saturating_sub(health_wad), bps, WAD)?)?;
    let curve = min_bonus_bps.saturating_add(deficit_bps).min(max_bonus_bps);
    let ratio_bps = mul_div_floor(
        health_wad,
        bps * bps,
        WAD * u128::from(collateral_liquidation_threshold_bps),
    )?;
    let headroom_bps = ratio_bps.saturating_sub(bps + 1);
    if headroom_bps >= u128::from(min_bonus_bps) {
        Ok(curve.min(to_u64(headroom_bps)?))
    } else {
        Ok(min_bonus_bps)
    }
}

/// Largest debt value (USD WAD) one liquidation may repay: the close factor of the total while
/// the obligation is above the full-liquidation health and debt value, all of it otherwise.
pub fn max_repay_value(
    settings: &LiquidationSettings,
    health_wad: u128,
    total_debt_value: u128,
) -> Result<u128, MathError> {
    if health_wad >= settings.full_liquidation_health_wad
        && total_debt_value > settings.full_liquidation_debt_value
    {
        mul_div_floor(
            total_debt_value,
            u128::from(settings.close_factor_bps),
            u128::from(BPS),
        )
    } else {
        Ok(total_debt_value)
    }
}

/// Sizes a liquidation: clips the request to the close factor and the position, applies the
/// dust rule to the repaid debt and to the seized collateral, converts at `1 + bonus`, and
/// splits off the protocol fee.
pub fn size_liquidation(
    settings: &LiquidationSettings,
    request: &LiquidationRequest,
) -> Result<LiquidationOutcome, LiquidationError> {
    let debt = request.debt;
    let collateral = request.collateral;
    if request.max_repay == 0 || debt.tokens == 0 || collateral.tokens == 0 {
        return Err(LiquidationError::NothingToRepay);
    }
    let bonus_bps = liquidation_bonus_bps(
        request.health_wad,
        request.collateral_liquidation_threshold_bps,
        request.min_bonus_bps,
        request.max_bonus_bps,
    )?;
    let cap_value = max_repay_value(settings, request.health_wad, request.total_debt_value)?;
    let cap_tokens = if cap_value >= request.total_debt_value {
        debt.tokens
    } else {
        to_u64(
            tokens_for_value_floor(cap_value, debt.decimals, debt.price)?
                .min(u128::from(debt.tokens)),
        )?
    };
    let mut repay = request.max_repay.min(cap_tokens);
    let left = debt.tokens - repay;
    if left > 0
        && value_wad_ceil(u128::from(left), debt.decimals, debt.price)? < settings.dust_value
    {
        if request.max_repay < debt.tokens {
            return Err(LiquidationError::WouldLeaveDust);
        }
        repay = debt.tokens;
    }

    let bonus_factor = u128::from(BPS) + u128::from(bonus_bps);
    let repay_value = value_wad_floor(u128::from(repay), debt.decimals, debt.price)?;
    let seize_value = mul_div_floor(repay_value, bonus_factor, u128::from(BPS))?;
    let mut seize = tokens_for_value_floor(seize_value, collateral.decimals, collateral.price)?;
    let collateral_left = u128::from(collateral.tokens).saturating_sub(seize);
    // The dust rule on the seized side: a partial seize may not leave the collateral position
    // below the dust value either; it then takes the whole position at its fair price.
    // A seize that repays the whole borrow closes the debt position, so leftover collateral
    // is the owner's and may stay, however small.
    let leaves_collateral_dust = collateral_left > 0
        && repay < debt.tokens
        && value_wad_floor(collateral_left, collateral.decimals, collateral.price)?
            < settings.dust_value;
    let takes_all_collateral = collateral_left == 0 || leaves_collateral_dust;
    if takes_all_collateral {
        seize = u128::from(collateral.tokens);
        let collateral_value = value_wad_floor(seize, collateral.decimals, collateral.price)?;
        let fair_repay_value = mul_div_ceil(collateral_value, u128::from(BPS), bonus_factor)?;
        let fair_repay = tokens_for_value_ceil(fair_repay_value, debt.decimals, debt.price)?;
        repay = if leaves_collateral_dust {
            extend_to_whole_collateral(settings, request, repay, fair_repay)?
        } else {
            to_u64(fair_repay.min(u128::from(repay)))?
        };
    }
    if repay == 0 || seize == 0 {
        return Err(LiquidationError::NothingToRepay);
    }
    let fee = mul_div_ceil(
        seize,
        u128::from(bonus_bps) * u128::from(request.protocol_fee_bps),
        bonus_factor * u128::from(BPS),
    )?
    .min(seize);
    Ok(LiquidationOutcome {
        repay_tokens: repay,
        seize_tokens: to_u64(seize)?,
        fee_tokens: to_u64(fee)?,
        bonus_bps,
        takes_all_collateral,
    })
}

/// The repayment for taking a whole collateral position that a partial seize would have left
/// as dust: its fair price `fair_repay` (never more than the debt, nor less than `repay`), or
/// the whole debt if what remained of it would be dust. It may exceed the close factor by less
/// than the dust value; a `max_repay` below it is `WouldLeaveDust`.
fn extend_to_whole_collateral(
    settings: &LiquidationSettings,
    request: &LiquidationRequest,
    repay: u64,
    fair_repay: u128,
) -> Result<u64, LiquidationError> {
    let debt = request.debt;
    let mut extended = to_u64(fair_repay.min(u128::from(debt.tokens)))?.max(repay);
    let debt_left = debt.tokens - extended;
    if debt_left > 0
        && value_wad_ceil(u128::from(debt_left), debt.decimals, debt.price)? < settings.dust_value
    {
        extended = debt.tokens;
    }
    if extended > request.max_repay {
        return Err(LiquidationError::WouldLeaveDust);
    }
    Ok(extended)
}

/// How one written-off debt is paid for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BadDebtSplit {
    /// Taken from insurance interest the fund was owed but had not yet swept (token units × WAD).
    pub from_pending_insurance_wad: u128,
    /// Taken from the tokens in the fund vault (whole tokens, rounded up so depositors lose no fraction).
    pub from_fund_tokens: u64,
    /// Written off against the reserve's depositors (token units × WAD).
    pub socialized_wad: u128,
}

impl BadDebtSplit {
    /// What the fund covered in all (token units × WAD), capped at the debt.
    pub fn covered_wad(&self, written_off_wad: u128) -> u128 {
        written_off_wad - self.socialized_wad
    }
}

/// The waterfall for `written_off_wad` of debt: the fund's unswept insurance first, then its
/// tokens, then depositors.
pub fn split_bad_debt(
    written_off_wad: u128,
    pending_insurance_wad: u128,
    fund_balance: u64,
) -> Result<BadDebtSplit, MathError> {
    let from_pending = written_off_wad.min(pending_insurance_wad);
    let rest = sub(written_off_wad, from_pending)?;
    let from_fund = to_u64(rest.div_ceil(WAD).min(u128::from(fund_balance)))?;
    let fund_wad = u128::from(from_fund) * WAD;
    let socialized = rest.saturating_sub(fund_wad);
    debug_assert_eq!(
        add(add(from_pending, fund_wad.min(rest))?, socialized)?,
        written_off_wad
    );
    Ok(BadDebtSplit {
        from_pending_insurance_wad: from_pending,
        from_fund_tokens: from_fund,
        socialized_wad: socialized,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: LiquidationSettings = LiquidationSettings {
        close_factor_bps: 5_000,
        full_liquidation_health_wad: 950_000_000_000_000_000,
        full_liquidation_debt_value: 100 * WAD,
        dust_value: WAD,
    };
    const USD: Price = Price {
        mantissa: 100_000_000,
        expo: -8,
    };

    fn request(health_wad: u128, debt: u64, collateral: u64) -> LiquidationRequest {
        LiquidationRequest {
            health_wad,
            total_debt_value: u128::from(debt) * WAD / 1_000_000,
            debt: PositionQuote {
                tokens: debt,
                decimals: 6,
                price: USD,
            },
            collateral: PositionQuote {
                tokens: collateral,
                decimals: 6,
                price: USD,
            },
            collateral_liquidation_threshold_bps: 8_000,
            min_bonus_bps: 200,
            max_bonus_bps: 1_000,
            protocol_fee_bps: 2_000,
            max_repay: u64::MAX,
        }
    }

    #[test]
    fn the_bonus_grows_with_the_deficit_up_to_its_maximum() {
        assert_eq!(
            liquidation_bonus_bps(WAD - WAD / 100, 8_000, 200, 1_000),
            Ok(300)
        );
        assert_eq!(liquidation_bonus_bps(WAD / 2, 4_000, 200, 1_000), Ok(1_000));
    }

    #[test]
    fn the_bonus_never_exceeds_the_buffer() {
        // HF 0.85 with LT 0.8: HF/LT − 1 = 6.25 %, so the 17 % curve value is capped at 624 bps.
        assert_eq!(
            liquidation_bonus_bps(850_000_000_000_000_000, 8_000, 200, 2_000),
            Ok(624)
        );
        // HF 0.7 < LT: no buffer, minimum bonus.
        assert_eq!(
            liquidation_bonus_bps(700_000_000_000_000_000, 8_000, 200, 2_000),
            Ok(200)
        );
    }

    #[test]
    fn an_oversized_request_is_clipped_to_the_close_factor() {
        let outcome = size_liquidation(
            &SETTINGS,
            &request(WAD - WAD / 100, 1_000_000_000, 2_000_000_000),
        )
        .unwrap();
        assert_eq!(outcome.repay_tokens, 500_000_000);
        assert_eq!(outcome.bonus_bps, 300);
        assert_eq!(outcome.seize_tokens, 515_000_000);
        assert_eq!(outcome.fee_tokens, 3_000_000);
    }

    #[test]
    fn a_repay_that_would_leave_dust_takes_everything_or_is_refused() {
        let mut r = request(WAD / 2, 50_500_000, 200_000_000);
        r.max_repay = 50_000_000;
        assert_eq!(
            size_liquidation(&SETTINGS, &r),
            Err(LiquidationError::WouldLeaveDust)
        );
        r.max_repay = u64::MAX;
        assert_eq!(
            size_liquidation(&SETTINGS, &r).unwrap().repay_tokens,
            50_500_000
        );
    }

    #[test]
    fn a_seize_that_would_leave_collateral_dust_takes_the_whole_position_or_is_refused() {
        // 153.5 of a second collateral, 200 of debt; the close factor (50 % of $294) allows 147:
        // 147 × 1.04 = 152.88 would leave 0.62. The whole 153.5 goes for ⌈153.5 / 1.04⌉.
        let mut r = request(WAD - 2 * WAD / 100, 200_000_000, 153_500_000);
        r.total_debt_value = 294 * WAD;
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(outcome.seize_tokens, 153_500_000);
        assert!(outcome.takes_all_collateral);
        assert_eq!(outcome.repay_tokens, 147_596_154);
        assert_eq!(outcome.bonus_bps, 400);
        // A liquidator who allows only 147 cannot take the whole position: refused.
        r.max_repay = 147_000_000;
        assert_eq!(
            size_liquidation(&SETTINGS, &r),
            Err(LiquidationError::WouldLeaveDust)
        );
        // Leaving exactly the dust value is fine.
        r.max_repay = u64::MAX;
        r.collateral.tokens = 153_880_000;
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(
            (outcome.repay_tokens, outcome.seize_tokens),
            (147_000_000, 152_880_000)
        );
        assert!(!outcome.takes_all_collateral);
    }

    #[test]
    fn the_waterfall_uses_pending_insurance_then_the_fund_then_depositors() {
        let split = split_bad_debt(10 * WAD, 3 * WAD, 4).unwrap();
        assert_eq!(split.from_pending_insurance_wad, 3 * WAD);
        assert_eq!(split.from_fund_tokens, 4);
        assert_eq!(split.socialized_wad, 3 * WAD);
        let covered = split_bad_debt(WAD / 2, 0, 4).unwrap();
        assert_eq!((covered.from_fund_tokens, covered.socialized_wad), (1, 0));
    }
}
