//! The kinked borrow-rate curve and per-second compounding of the borrow index.

use super::fixed::{add, mul_div_ceil, mul_div_floor, sub};
use super::{bps_to_wad, MathResult, BPS, SECONDS_PER_YEAR, WAD};

/// A kinked utilization curve, every figure an annual rate or a ratio in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateCurve {
    /// Borrow rate at zero utilization.
    pub base_rate_bps: u64,
    /// Utilization at the kink.
    pub optimal_utilization_bps: u64,
    /// Rate added between zero utilization and the kink.
    pub slope1_bps: u64,
    /// Rate added between the kink and full utilization.
    pub slope2_bps: u64,
}

/// Borrowed share of the reserve's liquidity (WAD), rounded down: `debt / (available + debt)`.
pub fn utilization_wad_floor(available_wad: u128, debt_wad: u128) -> MathResult<u128> {
    let total = add(available_wad, debt_wad)?;
    if total == 0 {
        return Ok(0);
    }
    mul_div_floor(debt_wad, WAD, total).map(|u| u.min(WAD))
}

/// Annual borrow rate (WAD) at `utilization_wad`, rounded up (it is charged to borrowers).
pub fn borrow_rate_wad_ceil(curve: &RateCurve, utilization_wad: u128) -> MathResult<u128> {
    let base = bps_to_wad(curve.base_rate_bps);
    let optimal = bps_to_wad(curve.optimal_utilization_bps);
    let slope1 = bps_to_wad(curve.slope1_bps);
    let slope2 = bps_to_wad(curve.slope2_bps);
    if utilization_wad <= optimal {
        let ramp = if optimal == 0 {
            0
        } else {
            mul_div_ceil(slope1, utilization_wad, optimal)?
        };
        return add(base, ramp);
    }
    let above = sub(utilization_wad, optimal)?;
    let span = sub(WAD, optimal)?;
    let ramp = if span == 0 {
        slope2
    } else {
        mul_div_ceil(slope2, above, span)?
    };
    add(add(base, slope1)?, ramp)
}

/// Per-second rate (WAD) from an annual one, rounded up.
pub fn per_second_rate_wad_ceil(annual_rate_wad: u128) -> MathResult<u128> {
    super::fixed::div_ceil(annual_rate_wad, u128::from(SECONDS_PER_YEAR))
}

/// `(1 + rate)^seconds` (WAD), by repeated squaring with every product rounded up, so the
/// result is never below the exact compound factor: approximation error favours the protocol.
pub fn compound_factor_wad_ceil(rate_per_second_wad: u128, seconds: u64) -> MathResult<u128> {
    let mut base = add(WAD, rate_per_second_wad)?;
    let mut result = WAD;
    let mut exponent = seconds;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = mul_div_ceil(result, base, WAD)?;
        }
        exponent >>= 1;
        if exponent > 0 {
            base = mul_div_ceil(base, base, WAD)?;
        }
    }
    Ok(result)
}

/// The borrow index after `seconds` at `rate_per_second_wad`, rounded up.
pub fn next_borrow_index_ceil(
    index_wad: u128,
    rate_per_second_wad: u128,
    seconds: u64,
) -> MathResult<u128> {
    let factor = compound_factor_wad_ceil(rate_per_second_wad, seconds)?;
    mul_div_ceil(index_wad, factor, WAD)
}

/// Outcome of one accrual step over a reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accrual {
    /// The new borrow index.
    pub borrow_index_wad: u128,
    /// Interest added to the reserve's debt (token units × WAD).
    pub interest_wad: u128,
    /// The reserve-factor share of it, protocol fees (rounded down).
    pub protocol_fee_wad: u128,
    /// The insurance-factor share of it, owed to the bad-debt fund (rounded down).
    pub insurance_wad: u128,
}

/// Most debt (token units × WAD) a reserve's books carry: accrual stops there, so that a
/// reserve left idle for decades at the highest rate never reaches an index or a total that its
/// books cannot hold (which would make every instruction on it fail). It is about 8.5 × 10¹⁹
/// whole base units, beyond what any SPL balance can count (`u64::MAX` ≈ 1.8 × 10¹⁹), with room
/// left for free liquidity and the fund's receivable under `u128::MAX`.
pub const DEBT_CEILING_WAD: u128 = u128::MAX / 4;

/// The largest borrow index at which `total_scaled_debt` stays within `DEBT_CEILING_WAD`.
pub fn ceiling_index(total_scaled_debt: u128) -> u128 {
    if total_scaled_debt == 0 {
        return u128::MAX;
    }
    mul_div_floor(DEBT_CEILING_WAD, WAD, total_scaled_debt).unwrap_or(u128::MAX)
}

/// Accrues interest on `total_scaled_debt` from `index_wad` over `seconds`, given the
/// reserve's free liquidity. Depositors receive the interest not taken by the two factors.
/// The index never passes `ceiling_index` (nor falls): beyond it no interest accrues.
pub fn accrue(
    curve: &RateCurve,
    reserve_factor_bps: u64,
    insurance_factor_bps: u64,
    available_wad: u128,
    total_scaled_debt: u128,
    index_wad: u128,
    seconds: u64,
) -> MathResult<Accrual> {
    let debt_before = super::shares::debt_wad_floor(total_scaled_debt, index_wad)?;
    if seconds == 0 || total_scaled_debt == 0 {
        return Ok(Accrual {
            borrow_index_wad: index_wad,
            interest_wad: 0,
            protocol_fee_wad: 0,
            insurance_wad: 0,
        });
    }
    let utilization = utilization_wad_floor(available_wad, debt_before)?;
    let rate = per_second_rate_wad_ceil(borrow_rate_wad_ceil(curve, utilization)?)?;
    let ceiling = ceiling_index(total_scaled_debt).max(index_wad);
    // An overflow here only means the compounded index is beyond any ceiling.
    let new_index = next_borrow_index_ceil(index_wad, rate, seconds)
        .unwrap_or(u128::MAX)
        .min(ceiling);
    let debt_after = super::shares::debt_wad_floor(total_scaled_debt, new_index)?;
    let interest = sub(debt_after, debt_before)?;
    let bps = u128::from(BPS);
    Ok(Accrual {
        borrow_index_wad: new_index,
        interest_wad: interest,
        protocol_fee_wad: mul_div_floor(interest, u128::from(reserve_factor_bps), bps)?,
        insurance_wad: mul_div_floor(interest, u128::from(insurance_factor_bps), bps)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURVE: RateCurve = RateCurve {
        base_rate_bps: 100,
        optimal_utilization_bps: 8_000,
        slope1_bps: 400,
        slope2_bps: 7_500,
    };

    #[test]
    fn the_curve_is_base_at_zero_kinks_at_optimal_and_tops_at_full() {
        assert_eq!(borrow_rate_wad_ceil(&CURVE, 0), Ok(bps_to_wad(100)));
        assert_eq!(
            borrow_rate_wad_ceil(&CURVE, bps_to_wad(4_000)),
            Ok(bps_to_wad(300))
        );
        assert_eq!(
            borrow_rate_wad_ceil(&CURVE, bps_to_wad(8_000)),
            Ok(bps_to_wad(500))
        );
        assert_eq!(
            borrow_rate_wad_ceil(&CURVE, bps_to_wad(9_000)),
            Ok(bps_to_wad(500 + 3_750))
        );
        assert_eq!(borrow_rate_wad_ceil(&CURVE, WAD), Ok(bps_to_wad(8_000)));
    }

    #[test]
    fn a_year_of_ten_percent_compounds_to_e_to_the_tenth() {
        let rate = per_second_rate_wad_ceil(bps_to_wad(1_000)).unwrap();
        let factor = compound_factor_wad_ceil(rate, SECONDS_PER_YEAR).unwrap();
        // e^0.1 = 1.105170918075647...; per-second compounding is within 1e-9 of it.
        let exact = 1_105_170_918_075_647_624u128;
        assert!(
            factor >= exact - 1_000_000_000 && factor <= exact + 1_000_000_000,
            "{factor}"
        );
    }

    #[test]
    fn a_century_at_the_highest_rate_stops_at_the_ceiling_instead_of_failing() {
        let top = RateCurve {
            base_rate_bps: 20_000,
            optimal_utilization_bps: 5_000,
            slope1_bps: 10_000,
            slope2_bps: 20_000,
        };
        // 10 million tokens (6 decimals) borrowed at index 1, nothing free: 500 % a year.
        let scaled = 10_000_000_000_000 * WAD;
        let century = 100 * SECONDS_PER_YEAR;
        assert_eq!(
            next_borrow_index_ceil(
                WAD,
                per_second_rate_wad_ceil(bps_to_wad(50_000)).unwrap(),
                century
            ),
            Err(crate::math::MathError::Overflow)
        );
        let a = accrue(&top, 1_000, 500, 0, scaled, WAD, century).unwrap();
        assert_eq!(a.borrow_index_wad, ceiling_index(scaled));
        let debt = crate::math::shares::debt_wad_floor(scaled, a.borrow_index_wad).unwrap();
        assert!(
            debt <= DEBT_CEILING_WAD && debt > DEBT_CEILING_WAD - WAD,
            "{debt}"
        );
        assert_eq!(a.interest_wad, debt - 10_000_000_000_000 * WAD);
        // Once there, time changes nothing and nothing fails.
        let b = accrue(&top, 1_000, 500, 0, scaled, a.borrow_index_wad, century).unwrap();
        assert_eq!(
            (b.borrow_index_wad, b.interest_wad),
            (a.borrow_index_wad, 0)
        );
    }

    #[test]
    fn zero_seconds_or_zero_debt_accrue_nothing() {
        let a = accrue(&CURVE, 1_000, 500, WAD, 0, WAD, 1_000).unwrap();
        assert_eq!(a.interest_wad, 0);
        let b = accrue(&CURVE, 1_000, 500, WAD, WAD, WAD, 0).unwrap();
        assert_eq!(b.borrow_index_wad, WAD);
    }
}
