//! Interest over time against worked examples computed here, independently of the program's
//! fixed-point math (in `f64`, from the rate-model formula), and the depositor / protocol /
//! fund split of it.

use ballast::errors::BallastError;
use ballast::math::WAD;
use ballast_tests::fixture::*;
use solana_sdk::account::Account;

use super::common::*;

const SECONDS_PER_YEAR: f64 = 31_536_000.0;

/// The kinked curve of the default config, annual, as a fraction: 1 % base, +4 % up to 80 %
/// utilization, +75 % from there to 100 %.
fn annual_rate(utilization: f64) -> f64 {
    if utilization <= 0.8 {
        0.01 + 0.04 * utilization / 0.8
    } else {
        0.01 + 0.04 + 0.75 * (utilization - 0.8) / 0.2
    }
}

/// `(1 + r)^n` for the per-second rate `r` of `annual`, rounded up to the 18th decimal as the
/// protocol documents (the rounding in its favour), compounded every second for `seconds`.
fn growth_factor(annual: f64, seconds: f64) -> f64 {
    let annual_wad = (annual * 1e18).round() as u128;
    let per_second = annual_wad.div_ceil(SECONDS_PER_YEAR as u128) as f64 / 1e18;
    (seconds * per_second.ln_1p()).exp()
}

/// Outcome of one year of `borrowed` out of `supplied` USDC (whole tokens).
struct Year {
    expected_debt: f64,
    paid: u64,
    lender_received: u64,
    treasury: u64,
    fund: u64,
    interest_booked: f64,
    fees_booked: f64,
    insurance_booked: f64,
}

/// Lends `supplied` USDC, borrows `borrowed` against 100 BTC, lets a year pass with no one
/// touching the reserve, then the borrower repays all, the lender withdraws all and the fees
/// are collected.
async fn one_year(supplied: u64, borrowed: u64) -> Year {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, supplied * 1_000_000).await;
    let borrower = h
        .borrower(BTC, 100 * ONE_BTC, USDC, borrowed * 1_000_000)
        .await;
    h.mint_to(USDC, &borrower.tokens[USDC], borrowed * 1_000_000)
        .await;
    let utilization = borrowed as f64 / supplied as f64;
    let expected_debt =
        borrowed as f64 * 1e6 * growth_factor(annual_rate(utilization), SECONDS_PER_YEAR);

    h.advance(SECONDS_PER_YEAR as i64);
    let wallet = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    let paid = wallet - h.balance(&borrower.tokens[USDC]).await;
    let reserve = h.reserve(USDC).await;
    let booked = |wad: u128| wad as f64 / WAD as f64;
    h.withdraw(&lender, USDC, u64::MAX).await.unwrap();
    let lender_received = h.balance(&lender.tokens[USDC]).await;
    h.collect_fees(USDC).await.unwrap();
    let treasury = h.treasuries[USDC];
    let fund_vault = h.assets[USDC].keys.fund_vault;
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
    Year {
        expected_debt,
        paid,
        lender_received,
        treasury: h.balance(&treasury).await,
        fund: h.balance(&fund_vault).await,
        interest_booked: booked(reserve.cumulative_interest_wad),
        fees_booked: booked(reserve.cumulative_protocol_fees_wad),
        insurance_booked: booked(reserve.cumulative_insurance_wad),
    }
}

/// Asserts the year against the worked example: the debt to within 1e-10 of itself, never
/// below it, and the split 85 / 10 / 5.
///
/// The tolerance is the protocol's documented rounding: the per-second compounding is done by
/// repeated squaring with every product rounded up (a bound of about 2·n ulps of 1e-18 over n
/// seconds, 6.3e-11 for a year), so the program may charge a few units more than the exact
/// per-second compound interest, never less.
fn assert_worked_example(year: &Year, supplied: u64, borrowed: u64) {
    let principal = borrowed as f64 * 1e6;
    let interest = year.expected_debt - principal;
    let tolerance = principal * 1e-10;
    let paid = year.paid as f64;
    assert!(
        paid >= year.expected_debt - 1.0 && paid <= year.expected_debt + tolerance + 1.0,
        "repaid {} for an expected debt of {:.3}",
        year.paid,
        year.expected_debt
    );
    let close = |actual: f64, expected: f64, slack: f64| (actual - expected).abs() <= slack;
    assert!(close(year.interest_booked, interest, tolerance + 1.0));
    assert!(close(
        year.fees_booked,
        interest * 0.10,
        tolerance * 0.10 + 1.0
    ));
    assert!(close(
        year.insurance_booked,
        interest * 0.05,
        tolerance * 0.05 + 1.0
    ));
    // Whole tokens leave: fees and insurance are swept rounded down.
    assert!(close(
        year.treasury as f64,
        interest * 0.10,
        tolerance * 0.10 + 2.0
    ));
    assert!(close(
        year.fund as f64,
        interest * 0.05,
        tolerance * 0.05 + 2.0
    ));
    // The depositor earns the rest, less at most a unit or two held by the virtual shares.
    let lender_expected = supplied as f64 * 1e6 + interest * 0.85;
    assert!(
        close(
            year.lender_received as f64,
            lender_expected,
            tolerance * 0.85 + 2.0
        ),
        "lender received {} for {:.3}",
        year.lender_received,
        lender_expected
    );
}

#[tokio::test]
async fn a_year_at_half_utilization_compounds_three_and_a_half_percent_a_year() {
    // 1 % + 4 % × 0.5 / 0.8 = 3.5 %; e^0.035 − 1 ≈ 3.562 % on 500 000 USDC ≈ 17 809.85 USDC.
    let year = one_year(1_000_000, 500_000).await;
    // Per-second compounding is within 1e-8 of continuous compounding.
    assert!((year.expected_debt / 5e11 - 0.035f64.exp()).abs() < 1e-8);
    assert_worked_example(&year, 1_000_000, 500_000);
}

#[tokio::test]
async fn a_year_above_the_kink_compounds_forty_two_and_a_half_percent_a_year() {
    // 1 % + 4 % + 75 % × 0.1 / 0.2 = 42.5 %.
    let year = one_year(1_000_000, 900_000).await;
    assert!((year.expected_debt / 9e11 - 0.425f64.exp()).abs() < 1e-8);
    assert_worked_example(&year, 1_000_000, 900_000);
}

#[tokio::test]
async fn deposits_earn_nothing_while_nobody_borrows() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, 123_456_789).await;
    h.advance(SECONDS_PER_YEAR as i64);
    h.withdraw(&lender, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&lender.tokens[USDC]).await, 123_456_789);
    let reserve = h.reserve(USDC).await;
    assert_eq!(reserve.borrow_index, WAD);
    assert_eq!(reserve.last_accrual_ts, h.now);
}

/// Lender of 100 000 USDC and a borrower of 30 000 USDC against one BTC; after `wait` seconds
/// (prices republished) the borrower withdraws 0.33 BTC. Returns the result and a snapshot
/// taken just before the withdrawal.
async fn withdraw_after(wait: i64) -> (TxResult, Harness, User, Vec<Option<Account>>) {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 10 * USDC_10K).await;
    let borrower = btc_holder(&mut h).await;
    h.borrow(&borrower, USDC, 30_000_000_000).await.unwrap();
    h.advance_with_fresh_prices(wait);
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.withdraw(&borrower, BTC, 33_000_000).await;
    (result, h, borrower, before)
}

#[tokio::test]
async fn health_checks_count_interest_no_instruction_has_accrued_yet() {
    // At once: 0.67 BTC × 44 955 = 30 120 of limit against 30 030 of debt value: allowed.
    let (result, ..) = withdraw_after(0).await;
    result.unwrap();
    // A year at 30 % utilization (2.5 %) later the debt is about 30 759 USDC though nothing has
    // touched the USDC reserve: the check projects its index and refuses.
    let (result, mut h, borrower, before) = withdraw_after(SECONDS_PER_YEAR as i64).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
    assert_eq!(h.reserve(USDC).await.last_accrual_ts, h.start_time);
}

#[tokio::test]
async fn a_late_depositor_gets_no_share_of_interest_earned_before_it_joined() {
    let mut h = Harness::new().await;
    let early = h.lender(USDC, 10 * USDC_10K).await;
    let borrower = h.borrower(BTC, 2 * ONE_BTC, USDC, 5 * USDC_10K).await;
    h.advance(SECONDS_PER_YEAR as i64);
    let late = h.lender(USDC, 7_777_777_777).await;
    let shares = h
        .obligation(&late.obligation)
        .await
        .deposit(&h.assets[USDC].keys.reserve)
        .unwrap()
        .shares;
    assert!(
        shares < 7_777_777_777 * SHARES_PER_UNIT,
        "shares are dearer after interest"
    );
    h.withdraw(&late, USDC, u64::MAX).await.unwrap();
    let back = h.balance(&late.tokens[USDC]).await;
    assert!(
        (7_777_777_776..=7_777_777_777).contains(&back),
        "a round trip returns the deposit less at most one unit: {back}"
    );
    h.check_invariants(&[early.obligation, borrower.obligation, late.obligation])
        .await;
}

#[tokio::test]
async fn one_second_at_half_utilization_moves_the_index_by_the_per_second_rate_rounded_up() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 1_000_000_000_000).await;
    let borrower = h.borrower(BTC, 100 * ONE_BTC, USDC, 500_000_000_000).await;
    h.advance(1);
    // Any touch accrues: a one-unit repayment.
    h.repay(&borrower, &borrower.obligation, USDC, 1)
        .await
        .unwrap();
    // 3.5 % a year is 0.035e18 / 31 536 000 = 1 109 842 719.48… per second (WAD), rounded up.
    let reserve = h.reserve(USDC).await;
    assert_eq!(reserve.borrow_index, WAD + 1_109_842_720);
    assert_eq!(reserve.last_accrual_ts, h.start_time + 1);
    // Interest on 500 000 USDC for one second: 500 000e6 × 1.10984272e-9 = 554.92136 units.
    assert_eq!(reserve.cumulative_interest_wad, 554_921_360_000_000_000_000);
}
