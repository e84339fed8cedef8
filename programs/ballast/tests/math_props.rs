//! Properties of the pure money math (`ballast::math`) against a big-rational reference model.
//!
//! Every `_floor` / `_ceil` function must equal the floor / ceiling of the exact rational it
//! names (or report a clean overflow exactly when that value does not fit), and the composed
//! flows (deposit → redeem, borrow → owed, compounding, liquidation sizing, the bad-debt
//! waterfall) must round in the protocol's favour. Regressions are committed under
//! `programs/ballast/proptest-regressions/`.

use ballast::math::fixed::{div_ceil, mul_div_ceil, mul_div_floor};
use ballast::math::health::{
    health_factor_wad_floor, weighted_floor, HealthTotals, HEALTH_INFINITE,
};
use ballast::math::interest::{
    accrue, borrow_rate_wad_ceil, compound_factor_wad_ceil, next_borrow_index_ceil,
    per_second_rate_wad_ceil, utilization_wad_floor, RateCurve,
};
use ballast::math::liquidation::{
    bonus_curve_bps, max_repay_value, neutral_bonus_bps, size_liquidation, split_bad_debt,
    LiquidationError, LiquidationRegime, LiquidationRequest, LiquidationSettings, PositionQuote,
};
use ballast::math::shares::{
    assets_wad_for_shares_floor, debt_units_ceil, debt_wad_floor, scaled_debt_for_borrow_ceil,
    scaled_debt_for_repay_floor, shares_for_deposit_floor, shares_for_withdrawal_ceil,
    tokens_for_shares_floor,
};
use ballast::math::value::{
    tokens_for_value_ceil, tokens_for_value_floor, value_wad_ceil, value_wad_floor, Price,
};
use ballast::math::{
    bps_to_wad, MathError, BPS, SECONDS_PER_YEAR, VIRTUAL_ASSETS, VIRTUAL_SHARES, WAD,
};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, ToPrimitive, Zero};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

// ----- the reference model ------------------------------------------------------------------

fn q(value: u128) -> BigRational {
    BigRational::from_integer(BigInt::from(value))
}

fn ratio(numerator: u128, denominator: u128) -> BigRational {
    BigRational::new(BigInt::from(numerator), BigInt::from(denominator))
}

/// The exact value rounded down / up, as a math result: `Overflow` exactly when it does not fit.
fn fit(value: &BigInt) -> Result<u128, MathError> {
    value.to_u128().ok_or(MathError::Overflow)
}

fn floor(value: &BigRational) -> Result<u128, MathError> {
    fit(&value.floor().to_integer())
}

fn ceil(value: &BigRational) -> Result<u128, MathError> {
    fit(&value.ceil().to_integer())
}

fn pow10(exponent: i32) -> BigRational {
    let ten = q(10);
    if exponent >= 0 {
        num_traits::pow(ten, exponent as usize)
    } else {
        num_traits::pow(ten, (-exponent) as usize).recip()
    }
}

/// Exact USD value (WAD) of `amount` base units at `price`.
fn exact_value(amount: u128, decimals: u8, price: Price) -> BigRational {
    q(amount) * q(u128::from(price.mantissa)) * pow10(price.expo + 18 - i32::from(decimals))
}

fn wad() -> BigRational {
    q(WAD)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/math_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

/// Amounts biased to the edges: 0, 1, powers of ten, u64::MAX and uniform values.
fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1u64),
        Just(u64::MAX),
        (0u32..20).prop_map(|e| 10u64.pow(e)),
        any::<u64>(),
        0u64..1_000_000_000,
    ]
}

fn wide() -> impl Strategy<Value = u128> {
    prop_oneof![
        Just(0u128),
        Just(1u128),
        Just(u128::MAX),
        (0u32..39).prop_map(|e| 10u128.pow(e)),
        any::<u128>(),
        0u128..(1u128 << 70),
    ]
}

fn price() -> impl Strategy<Value = Price> {
    (1u64..=u64::MAX, -12i32..=2).prop_map(|(mantissa, expo)| Price { mantissa, expo })
}

fn realistic_price() -> impl Strategy<Value = Price> {
    (1u64..1_000_000_000_000_000u64, -10i32..=-2)
        .prop_map(|(mantissa, expo)| Price { mantissa, expo })
}

fn curve() -> impl Strategy<Value = RateCurve> {
    (0u64..=10_000, 1u64..=10_000, 0u64..=20_000, 0u64..=40_000).prop_map(
        |(base, optimal, s1, s2)| RateCurve {
            base_rate_bps: base,
            optimal_utilization_bps: optimal,
            slope1_bps: s1.min(s2),
            slope2_bps: s2.max(s1),
        },
    )
}

// ----- fixed point --------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(4_000))]

    #[test]
    fn mul_div_is_the_exact_floor_and_ceiling(a in wide(), b in wide(), c in wide()) {
        if c == 0 {
            prop_assert_eq!(mul_div_floor(a, b, c), Err(MathError::DivisionByZero));
            prop_assert_eq!(mul_div_ceil(a, b, c), Err(MathError::DivisionByZero));
            prop_assert_eq!(div_ceil(a, c), Err(MathError::DivisionByZero));
        } else {
            let exact = q(a) * q(b) / q(c);
            prop_assert_eq!(mul_div_floor(a, b, c), floor(&exact));
            prop_assert_eq!(mul_div_ceil(a, b, c), ceil(&exact));
            prop_assert_eq!(div_ceil(a, c), ceil(&(q(a) / q(c))));
        }
    }
}

// ----- shares and scaled debt ---------------------------------------------------------------

fn supply_state() -> impl Strategy<Value = (u128, u128)> {
    // (assets in token units × WAD, total shares): empty, young and mature reserves.
    prop_oneof![
        Just((0u128, 0u128)),
        (0u128..(1u128 << 64), 0u128..(1u128 << 64))
            .prop_map(|(a, s)| (a * WAD, s * VIRTUAL_SHARES)),
        (0u128..(1u128 << 100), 0u128..(1u128 << 100)),
        (1u128..(1u128 << 40), 1u128..1_000_000u128)
            .prop_map(|(a, growth)| (a * WAD * growth, a * VIRTUAL_SHARES)),
    ]
}

fn exact_share_price(assets_wad: u128, shares: u128) -> BigRational {
    (q(assets_wad) + q(VIRTUAL_ASSETS * WAD)) / (q(shares) + q(VIRTUAL_SHARES))
}

proptest! {
    #![proptest_config(config(4_000))]

    #[test]
    fn share_conversions_are_exact_floor_and_ceiling(amount in amount(), (assets, shares) in supply_state(), held in wide()) {
        let price = exact_share_price(assets, shares);
        let exact_shares = q(u128::from(amount)) * wad() / &price;
        prop_assert_eq!(shares_for_deposit_floor(amount, assets, shares), floor(&exact_shares));
        prop_assert_eq!(shares_for_withdrawal_ceil(u128::from(amount), assets, shares), ceil(&exact_shares));
        let exact_assets = q(held) * &price;
        prop_assert_eq!(assets_wad_for_shares_floor(held, assets, shares), floor(&exact_assets));
        // Whole tokens are never narrowed to u64: a deposit worth more still has a value
        // (an overflow only where the value in token units × WAD exceeds u128).
        let tokens = tokens_for_shares_floor(held, assets, shares);
        match floor(&exact_assets) {
            Ok(_) => prop_assert_eq!(tokens, floor(&(exact_assets / wad()))),
            Err(_) => prop_assert_eq!(tokens, Err(MathError::Overflow)),
        }
    }

    #[test]
    fn a_deposit_redeemed_at_once_never_profits(amount in amount(), (assets, shares) in supply_state()) {
        let Ok(minted) = shares_for_deposit_floor(amount, assets, shares) else { return Ok(()) };
        let Some(new_assets) = assets.checked_add(u128::from(amount) * WAD) else { return Ok(()) };
        let Some(new_shares) = shares.checked_add(minted) else { return Ok(()) };
        if let Ok(back) = tokens_for_shares_floor(minted, new_assets, new_shares) {
            prop_assert!(back <= u128::from(amount), "deposit {} redeemed {}", amount, back);
        }
        // Nor does anyone else lose: the share price never falls on a deposit.
        prop_assert!(exact_share_price(new_assets, new_shares) >= exact_share_price(assets, shares));
    }

    #[test]
    fn a_withdrawal_burns_at_least_the_exact_shares_and_never_lowers_the_price(
        amount in amount(),
        (assets, shares) in supply_state(),
    ) {
        let Ok(burned) = shares_for_withdrawal_ceil(u128::from(amount), assets, shares) else { return Ok(()) };
        let price = exact_share_price(assets, shares);
        prop_assert!(q(burned) * &price >= q(u128::from(amount)) * wad());
        if burned <= shares && u128::from(amount) * WAD <= assets {
            let after = exact_share_price(assets - u128::from(amount) * WAD, shares - burned);
            prop_assert!(after >= price);
        }
    }

    #[test]
    fn debt_conversions_are_exact_and_a_loan_owes_at_least_itself(amount in amount(), index in WAD..(WAD * 1_000_000), scaled in wide()) {
        let index_q = q(index);
        let exact_scaled = q(u128::from(amount)) * wad() * wad() / &index_q;
        prop_assert_eq!(scaled_debt_for_borrow_ceil(amount, index), ceil(&exact_scaled));
        prop_assert_eq!(scaled_debt_for_repay_floor(amount, index), floor(&exact_scaled));
        prop_assert_eq!(debt_wad_floor(scaled, index), floor(&(q(scaled) * &index_q / wad())));
        // Owed tokens are never narrowed to u64: a debt beyond a u64 balance is still counted.
        prop_assert_eq!(debt_units_ceil(scaled, index), ceil(&(q(scaled) * &index_q / (wad() * wad()))));
        if let Ok(added) = scaled_debt_for_borrow_ceil(amount, index) {
            if let Ok(owed) = debt_units_ceil(added, index) {
                prop_assert!(owed >= u128::from(amount), "borrowed {} owes {}", amount, owed);
                prop_assert!(owed <= u128::from(amount) + 1, "borrowed {} owes {}", amount, owed);
            }
            // A partial repayment of what was borrowed never removes more than was added.
            if let Ok(removed) = scaled_debt_for_repay_floor(amount, index) {
                prop_assert!(removed <= added);
            }
        }
    }
}

// ----- interest -----------------------------------------------------------------------------

fn exact_rate(curve: &RateCurve, utilization: u128) -> BigRational {
    let bps = |x: u64| ratio(u128::from(x) * WAD, u128::from(BPS));
    let optimal = bps(curve.optimal_utilization_bps);
    let u = q(utilization);
    if u <= optimal {
        bps(curve.base_rate_bps) + bps(curve.slope1_bps) * &u / &optimal
    } else {
        let span = wad() - &optimal;
        bps(curve.base_rate_bps)
            + bps(curve.slope1_bps)
            + bps(curve.slope2_bps) * (u - &optimal) / span
    }
}

proptest! {
    #![proptest_config(config(3_000))]

    #[test]
    fn utilization_is_the_exact_floor_capped_at_one(available in 0u128..(1u128 << 120), debt in 0u128..(1u128 << 120)) {
        let u = utilization_wad_floor(available, debt).unwrap();
        if available + debt == 0 {
            prop_assert_eq!(u, 0);
        } else {
            prop_assert_eq!(Ok(u), floor(&(q(debt) * wad() / q(available + debt))));
            prop_assert!(u <= WAD);
        }
    }

    #[test]
    fn the_borrow_rate_is_never_below_the_curve_and_within_one_unit(curve in curve(), utilization in 0u128..=WAD) {
        let rate = borrow_rate_wad_ceil(&curve, utilization).unwrap();
        let exact = exact_rate(&curve, utilization);
        prop_assert!(q(rate) >= exact);
        prop_assert!(q(rate) < exact + q(1));
        // Monotone in utilization.
        if utilization < WAD {
            prop_assert!(borrow_rate_wad_ceil(&curve, utilization + 1).unwrap() >= rate);
        }
        let per_second = per_second_rate_wad_ceil(rate).unwrap();
        prop_assert_eq!(Ok(per_second), ceil(&(q(rate) / q(u128::from(SECONDS_PER_YEAR)))));
    }

}

proptest! {
    // Exact powers of big rationals are slow: fewer cases, short gaps.
    #![proptest_config(config(300))]

    #[test]
    fn compounding_is_never_below_the_exact_power_for_short_gaps(rate in 0u128..(WAD / 100), seconds in 0u64..64) {
        let factor = compound_factor_wad_ceil(rate, seconds).unwrap();
        let exact = num_traits::pow((wad() + q(rate)) / wad(), seconds as usize) * wad();
        prop_assert!(q(factor) >= exact, "{} < {}", factor, exact);
        // Each of at most 2·log2(seconds) roundings adds less than one unit, and a rounding in
        // the base is carried through the later squarings: a few units per second of gap.
        let slack = q(u128::from(seconds + 1) * 16) * num_traits::pow((wad() + q(rate)) / wad(), seconds as usize);
        prop_assert!(q(factor) <= exact + slack);
    }

    #[test]
    fn compounding_is_monotone_and_never_panics_up_to_ten_years_at_the_maximum_rate(
        annual_bps in prop_oneof![Just(50_000u64), 0u64..=50_000],
        seconds in prop_oneof![Just(10 * SECONDS_PER_YEAR), 0u64..=(10 * SECONDS_PER_YEAR)],
        extra in 0u64..=SECONDS_PER_YEAR,
    ) {
        let rate = per_second_rate_wad_ceil(bps_to_wad(annual_bps)).unwrap();
        let lower_bound = |n: u64| (n as f64) * (rate as f64 / WAD as f64).ln_1p();
        let max_ln = ((u128::MAX / WAD) as f64).ln();
        match (compound_factor_wad_ceil(rate, seconds), compound_factor_wad_ceil(rate, seconds + extra)) {
            (Ok(a), Ok(b)) => {
                prop_assert!(b >= a);
                // Never below the exact factor (checked in logs; f64 is exact to ~1e-12 here).
                let ln_a = (a as f64 / WAD as f64).ln();
                prop_assert!(ln_a >= lower_bound(seconds) - 1e-9, "{} vs {}", ln_a, lower_bound(seconds));
                prop_assert!(ln_a <= lower_bound(seconds) + 1e-6, "{} vs {}", ln_a, lower_bound(seconds));
            }
            (Ok(_), Err(error)) | (Err(error), _) => {
                // A clean error, and only where the true factor is at the edge of u128.
                prop_assert_eq!(error, MathError::Overflow);
                prop_assert!(lower_bound(seconds + extra) >= max_ln - 1.0, "overflow at ln {}", lower_bound(seconds + extra));
            }
        }
    }

    #[test]
    fn accrual_splits_interest_exactly_and_never_shrinks_the_index(
        curve in curve(),
        reserve_factor in 0u64..5_000,
        insurance_factor in 0u64..5_000,
        available in 0u128..(1u128 << 64),
        scaled in 0u128..(1u128 << 100),
        index in WAD..(WAD * 1_000),
        seconds in prop_oneof![0u64..1_000, 0u64..(10 * SECONDS_PER_YEAR)],
    ) {
        match accrue(&curve, reserve_factor, insurance_factor, available * WAD, scaled, index, seconds) {
            Ok(accrual) => {
                prop_assert!(accrual.borrow_index_wad >= index);
                let before = debt_wad_floor(scaled, index).unwrap();
                let after = debt_wad_floor(scaled, accrual.borrow_index_wad).unwrap();
                prop_assert_eq!(accrual.interest_wad, after - before);
                let share = |factor: u64| floor(&(q(accrual.interest_wad) * q(u128::from(factor)) / q(u128::from(BPS))));
                prop_assert_eq!(Ok(accrual.protocol_fee_wad), share(reserve_factor));
                prop_assert_eq!(Ok(accrual.insurance_wad), share(insurance_factor));
                prop_assert!(accrual.protocol_fee_wad + accrual.insurance_wad <= accrual.interest_wad);
                // The index never grows slower than the exact per-second compounding.
                if seconds > 0 && scaled > 0 {
                    let debt = debt_wad_floor(scaled, index).unwrap();
                    let rate = per_second_rate_wad_ceil(
                        borrow_rate_wad_ceil(&curve, utilization_wad_floor(available * WAD, debt).unwrap()).unwrap(),
                    )
                    .unwrap();
                    prop_assert_eq!(accrual.borrow_index_wad, next_borrow_index_ceil(index, rate, seconds).unwrap());
                }
            }
            Err(error) => prop_assert_eq!(error, MathError::Overflow),
        }
    }
}

// ----- prices and values --------------------------------------------------------------------

proptest! {
    #![proptest_config(config(4_000))]

    #[test]
    fn values_and_token_amounts_are_exact_floor_and_ceiling(amount in wide(), decimals in 0u8..=12, price in price(), value in wide()) {
        let exact = exact_value(amount, decimals, price);
        prop_assert_eq!(value_wad_floor(amount, decimals, price), floor(&exact));
        prop_assert_eq!(value_wad_ceil(amount, decimals, price), ceil(&exact));
        let per_unit = exact_value(1, decimals, price);
        let exact_tokens = q(value) / per_unit;
        prop_assert_eq!(tokens_for_value_floor(value, decimals, price), floor(&exact_tokens));
        prop_assert_eq!(tokens_for_value_ceil(value, decimals, price), ceil(&exact_tokens));
    }
}

// ----- health -------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(3_000))]

    #[test]
    fn health_is_exact_and_liquidatable_exactly_below_one(
        collateral in prop::collection::vec((0u128..(1u128 << 90), 1u64..10_000, 1u64..10_000), 0..5),
        debts in prop::collection::vec(0u128..(1u128 << 90), 0..4),
    ) {
        let mut totals = HealthTotals::default();
        let mut weighted = 0u128;
        let mut limit = 0u128;
        for (value, a, b) in &collateral {
            let (ltv, lt) = ((*a).min(*b), (*a).max(*b));
            totals.add_collateral(*value, ltv, lt).unwrap();
            prop_assert_eq!(Ok(weighted_floor(*value, lt).unwrap()), floor(&(q(*value) * q(u128::from(lt)) / q(u128::from(BPS)))));
            weighted += weighted_floor(*value, lt).unwrap();
            limit += weighted_floor(*value, ltv).unwrap();
        }
        for debt in &debts {
            totals.add_debt(*debt).unwrap();
        }
        let debt: u128 = debts.iter().sum();
        prop_assert_eq!(totals.liquidation_weighted_collateral, weighted);
        prop_assert_eq!(totals.borrow_limit, limit);
        prop_assert!(limit <= weighted);
        let hf = totals.health_factor_wad().unwrap();
        if debt == 0 {
            prop_assert_eq!(hf, HEALTH_INFINITE);
            prop_assert!(!totals.is_liquidatable());
        } else {
            prop_assert_eq!(Ok(hf), floor(&(q(weighted) * wad() / q(debt))));
            prop_assert_eq!(totals.is_liquidatable(), hf < WAD);
            prop_assert_eq!(health_factor_wad_floor(weighted, debt), Ok(hf));
        }
        // Within the borrow limit implies not liquidatable (LTV ≤ LT).
        if totals.is_within_borrow_limit() && debt > 0 {
            prop_assert!(!totals.is_liquidatable());
        }
    }
}

// ----- liquidation --------------------------------------------------------------------------

fn settings() -> impl Strategy<Value = LiquidationSettings> {
    (
        1u64..=10_000,
        1u64..=10_000,
        0u128..(1_000_000 * WAD),
        0u128..(1_000 * WAD),
    )
        .prop_map(|(close, full, debt, dust)| LiquidationSettings {
            close_factor_bps: close,
            full_liquidation_health_wad: bps_to_wad(full),
            full_liquidation_debt_value: debt,
            dust_value: dust,
        })
}

/// An obligation around one liquidation: the seized collateral and the repaid borrow, plus
/// other collateral (value, LT) and other debt (value) that the liquidation does not touch.
#[derive(Debug, Clone)]
struct Scenario {
    request: LiquidationRequest,
    other_collateral: u128,
    other_lt: u64,
    other_debt: u128,
}

impl Scenario {
    /// Exact weighted collateral and debt (USD WAD) of the obligation with the seized and repaid
    /// positions at `collateral` and `debt` tokens (the model keeps tokens, not shares).
    fn weighted_and_debt(&self, collateral: u128, debt: u128) -> (BigRational, BigRational) {
        let r = &self.request;
        let seized = exact_value(collateral, r.collateral.decimals, r.collateral.price)
            * ratio(
                u128::from(r.collateral_liquidation_threshold_bps),
                u128::from(BPS),
            );
        let other = q(self.other_collateral) * ratio(u128::from(self.other_lt), u128::from(BPS));
        let owed = exact_value(debt, r.debt.decimals, r.debt.price) + q(self.other_debt);
        (seized + other, owed)
    }

    fn unweighted(&self, collateral: u128, debt: u128) -> (BigRational, BigRational) {
        let r = &self.request;
        (
            exact_value(collateral, r.collateral.decimals, r.collateral.price)
                + q(self.other_collateral),
            exact_value(debt, r.debt.decimals, r.debt.price) + q(self.other_debt),
        )
    }
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        (
            prop_oneof![1u64..1_000_000_000_000, any::<u64>()],
            0u8..=9,
            realistic_price(),
        ),
        (
            prop_oneof![1u64..1_000_000_000_000, any::<u64>()],
            0u8..=9,
            realistic_price(),
        ),
        (1_000u64..9_500, 0u64..2_000, 0u64..3_000, 0u64..=10_000),
        prop_oneof![Just(u64::MAX), amount()],
        (0u128..(1u128 << 80), 1u64..9_500, 0u128..(1u128 << 80)),
    )
        .prop_filter_map(
            "a liquidatable obligation",
            |(
                (debt_tokens, debt_decimals, debt_price),
                (collateral_tokens, collateral_decimals, collateral_price),
                (lt, min_bonus, extra_bonus, fee),
                max_repay,
                (other_collateral, other_lt, other_debt),
            )| {
                let debt_value =
                    value_wad_ceil(u128::from(debt_tokens), debt_decimals, debt_price).ok()?;
                let collateral_value = value_wad_floor(
                    u128::from(collateral_tokens),
                    collateral_decimals,
                    collateral_price,
                )
                .ok()?;
                let mut totals = HealthTotals::default();
                totals.add_collateral(collateral_value, lt, lt).ok()?;
                totals
                    .add_collateral(other_collateral, other_lt, other_lt)
                    .ok()?;
                totals.add_debt(debt_value).ok()?;
                totals.add_debt(other_debt).ok()?;
                if !totals.is_liquidatable() {
                    return None;
                }
                // Keep LT · (1 + max bonus) < 1, as the config bounds do.
                let max_bonus = (min_bonus + extra_bonus).min(BPS * BPS / lt - BPS - 1);
                Some(Scenario {
                    request: LiquidationRequest {
                        health_wad: totals.health_factor_wad().ok()?,
                        total_debt_value: totals.debt_value,
                        total_collateral_value: totals.collateral_value,
                        debt: PositionQuote {
                            tokens: u128::from(debt_tokens),
                            decimals: debt_decimals,
                            price: debt_price,
                        },
                        collateral: PositionQuote {
                            tokens: u128::from(collateral_tokens),
                            decimals: collateral_decimals,
                            price: collateral_price,
                        },
                        collateral_share_value_wad: WAD / 1_000_000,
                        collateral_liquidation_threshold_bps: lt,
                        min_bonus_bps: min_bonus.min(max_bonus),
                        max_bonus_bps: max_bonus,
                        protocol_fee_bps: fee,
                        max_repay,
                    },
                    other_collateral,
                    other_lt,
                    other_debt,
                })
            },
        )
}

proptest! {
    #![proptest_config(config(6_000))]

    #[test]
    fn the_bonus_stays_on_its_curve_and_the_neutral_bonus_keeps_health(health in 0u128..(2 * WAD), lt in 1u64..10_000, min in 0u64..3_000, extra in 0u64..3_000) {
        let curve = bonus_curve_bps(health, min, min + extra).unwrap();
        prop_assert!(curve >= min && curve <= min + extra);
        // At the neutral bonus, LT·(1 + bonus) ≤ HF: seizing leaves health unchanged or higher.
        if let Some(neutral) = neutral_bonus_bps(health, lt).unwrap() {
            prop_assert!(q(u128::from(lt)) * q(u128::from(BPS + neutral)) * wad() <= q(health) * q(u128::from(BPS)) * q(u128::from(BPS)));
        } else {
            prop_assert!(q(health) * q(u128::from(BPS)) <= q(u128::from(lt)) * wad() + wad());
        }
    }

    #[test]
    fn a_sized_liquidation_respects_value_bounds_close_factor_fee_health_and_surplus(settings in settings(), scenario in scenario()) {
        let request = scenario.request;
        let outcome = match size_liquidation(&settings, &request) {
            Ok(outcome) => outcome,
            Err(LiquidationError::Math(error)) => {
                prop_assert_eq!(error, MathError::Overflow);
                return Ok(());
            }
            Err(LiquidationError::MustClosePosition) => {
                // Only below the buffer, and only for a request too small to close a position.
                prop_assert!(request.max_repay < u64::MAX);
                return Ok(());
            }
            Err(_) => return Ok(()),
        };
        let debt = request.debt;
        let collateral = request.collateral;
        let (repay, seize) = (u128::from(outcome.repay_tokens), outcome.seize_tokens);
        prop_assert!(repay > 0 && seize > 0);
        prop_assert!(repay <= debt.tokens && outcome.repay_tokens <= request.max_repay);
        prop_assert!(seize <= collateral.tokens);
        prop_assert!(outcome.fee_tokens <= outcome.seize_tokens);
        prop_assert!(outcome.bonus_bps <= request.max_bonus_bps);
        prop_assert_eq!(outcome.takes_all_collateral, seize == collateral.tokens);
        prop_assert_eq!(outcome.repays_whole_borrow, repay == debt.tokens);
        // repaid value ≤ seized value ≤ repaid value × (1 + bonus) + one unit.
        let repaid = exact_value(repay, debt.decimals, debt.price);
        let seized = exact_value(seize, collateral.decimals, collateral.price);
        let unit_debt = exact_value(1, debt.decimals, debt.price);
        let unit_collateral = exact_value(1, collateral.decimals, collateral.price);
        let bonus = ratio(u128::from(BPS + outcome.bonus_bps), u128::from(BPS));
        prop_assert!(seized <= (&repaid * &bonus + &unit_collateral + q(1) / wad()), "seized {} > repaid {} × {}", seized, repaid, bonus);
        prop_assert!(repaid <= (&seized + &unit_debt + &unit_collateral), "repaid {} > seized {}", repaid, seized);
        // The fee is the protocol's share of the bonus part of the seizure, rounded up.
        let fee_exact = q(seize) * q(u128::from(outcome.bonus_bps) * u128::from(request.protocol_fee_bps))
            / q((u128::from(BPS) + u128::from(outcome.bonus_bps)) * u128::from(BPS));
        prop_assert_eq!(Ok(outcome.fee_tokens), ceil(&fee_exact).map(|f| f.min(seize)));
        match outcome.regime {
            LiquidationRegime::Buffer => {
                // The close factor binds unless the dust rule took the whole position.
                let cap_value = max_repay_value(&settings, request.health_wad, request.total_debt_value).unwrap();
                if q(cap_value) < exact_value(debt.tokens, debt.decimals, debt.price) && !outcome.takes_all_collateral {
                    let cap_tokens = tokens_for_value_floor(cap_value, debt.decimals, debt.price).unwrap().min(debt.tokens);
                    prop_assert!(repay <= cap_tokens || repay == debt.tokens, "repaid {} over the cap {} without taking the position", repay, cap_tokens);
                }
                // No dust left behind on the debt side.
                let left = debt.tokens - repay;
                if left > 0 && !outcome.takes_all_collateral {
                    prop_assert!(value_wad_ceil(left, debt.decimals, debt.price).unwrap() >= settings.dust_value);
                }
                // A partial liquidation with a buffer raises health, exactly.
                if !outcome.closes_a_position() {
                    let (w0, d0) = scenario.weighted_and_debt(collateral.tokens, debt.tokens);
                    let (w1, d1) = scenario.weighted_and_debt(collateral.tokens - seize, debt.tokens - repay);
                    prop_assert!(&w1 * &d0 >= &w0 * &d1, "health fell: {}/{} -> {}/{}", w0, d0, w1, d1);
                }
            }
            // Below the buffer every liquidation closes a position: progress, not a slow bleed.
            LiquidationRegime::Clearing => prop_assert!(outcome.closes_a_position()),
        }
        // A solvent obligation stays solvent: the bonus is paid from the surplus, never by
        // depositors (up to the rounding of one base unit on each side).
        let (c0, d0) = scenario.unweighted(collateral.tokens, debt.tokens);
        if request.total_collateral_value >= request.total_debt_value && c0 >= d0 {
            let (c1, d1) = scenario.unweighted(collateral.tokens - seize, debt.tokens - repay);
            prop_assert!(&c1 + &unit_debt + &unit_collateral >= d1, "solvent obligation made insolvent: {}/{} -> {}/{}", c0, d0, c1, d1);
        }
    }

    #[test]
    fn the_bad_debt_waterfall_sums_exactly(written_off in wide(), pending in wide(), fund in any::<u64>()) {
        let split = match split_bad_debt(written_off, pending, fund) {
            Ok(split) => split,
            Err(error) => {
                prop_assert_eq!(error, MathError::Overflow);
                return Ok(());
            }
        };
        prop_assert!(split.from_pending_insurance_wad <= pending);
        prop_assert!(split.from_fund_tokens <= fund);
        let rest = written_off - split.from_pending_insurance_wad;
        let from_fund = (u128::from(split.from_fund_tokens) * WAD).min(rest);
        prop_assert_eq!(q(split.from_pending_insurance_wad) + q(from_fund) + q(split.socialized_wad), q(written_off));
        prop_assert_eq!(split.covered_wad(written_off) + split.socialized_wad, written_off);
        // Depositors lose only what the fund cannot cover, and the fund never pays a whole
        // token more than needed.
        if u128::from(fund) * WAD >= rest {
            prop_assert_eq!(split.socialized_wad, 0);
        }
        prop_assert!(u128::from(split.from_fund_tokens) <= rest.div_ceil(WAD));
    }
}

#[test]
fn ten_years_at_the_maximum_rate_is_a_clean_overflow_or_a_value() {
    let rate = per_second_rate_wad_ceil(bps_to_wad(50_000)).unwrap();
    for years in 0..=10u64 {
        match compound_factor_wad_ceil(rate, years * SECONDS_PER_YEAR) {
            Ok(factor) => assert!(factor >= WAD),
            Err(error) => assert_eq!(error, MathError::Overflow),
        }
    }
    assert!(BigRational::one() > BigRational::zero());
}
