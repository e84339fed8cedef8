//! Bad debt: realization inside a liquidation and by `realize_bad_debt`, the waterfall
//! (pending insurance, fund tokens, depositors), frozen reserves, and what still works after.

use ballast::errors::BallastError;
use ballast::math::health::HEALTH_INFINITE;
use ballast::math::WAD;
use ballast_tests::fixture::*;

use super::common::*;

#[tokio::test]
async fn several_borrows_are_realized_in_one_instruction() {
    let mut h = Harness::new().await;
    let usdc_lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let sol_lender = h.lender(SOL, 1_000 * SOL_UNIT).await;
    let contributor = h.funded_user(USDC, 5_000 * USDC_UNIT).await;
    h.mint_to(SOL, &contributor.tokens[SOL], 10 * SOL_UNIT)
        .await;
    h.fund_reserve(&contributor, USDC, 5_000 * USDC_UNIT)
        .await
        .unwrap();
    h.fund_reserve(&contributor, SOL, 10 * SOL_UNIT)
        .await
        .unwrap();
    let borrower = h.borrower(BTC, BTC_UNIT, USDC, 20_000 * USDC_UNIT).await;
    h.borrow(&borrower, SOL, 100 * SOL_UNIT).await.unwrap();
    let liquidator = h.funded_user(USDC, 50_000 * USDC_UNIT).await;

    // BTC halves twice: $20 000 of collateral (weighted 16 000) against $35 000 of debt.
    h.set_price(BTC, 20_000.0);
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        16_000 * WAD / 35_000
    );
    let sol_before = h.reserve(SOL).await;
    let sol_share_value = sol_before.share_value_wad().unwrap();
    assert_eq!(sol_share_value, 1_000_000_000_000);

    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();

    // No buffer (HF < LT): minimum bonus 2 %, close factor 100 %. 1.02 × $20 000 of USDC would
    // need more BTC than there is, so all 1 BTC ($20 000) is taken for ⌈20 000 / 1.02⌉.
    let repaid = 19_607_843_138;
    // Fee: ⌈1 BTC × 2 % × 20 % / 1.02⌉ = 392 157 sat to the BTC fund.
    let fee = 392_157;
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        50_000 * USDC_UNIT - repaid
    );
    assert_eq!(h.balance(&liquidator.tokens[BTC]).await, BTC_UNIT - fee);
    // Both borrows are gone and so is the collateral: the obligation is empty and healthy.
    let state = h.obligation(&borrower.obligation).await;
    assert!(state.is_empty(), "{state:?}");
    assert_eq!(health(&mut h, &borrower.obligation).await, HEALTH_INFINITE);

    // USDC: the $392.156862 left is covered by the fund's tokens; depositors lose nothing.
    let usdc = h.reserve(USDC).await;
    let usdc_left = 20_000 * USDC_UNIT - repaid;
    assert_eq!(usdc_left, 392_156_862);
    assert_eq!(usdc.fund_balance, 5_000 * USDC_UNIT - usdc_left);
    assert_eq!(usdc.fund_receivable, usdc_left);
    assert_eq!(
        usdc.cumulative_fund_covered_wad,
        u128::from(usdc_left) * WAD
    );
    assert_eq!(usdc.cumulative_socialized_wad, 0);
    assert_eq!(usdc.total_scaled_debt, 0);
    assert_eq!(usdc.share_value_wad().unwrap(), 1_000_000_000_000);

    // SOL: 100 SOL written off, the fund's 10 SOL cover part, 90 SOL fall on the 1 000 SOL
    // of deposits: the share value falls from 1.00 to 0.91 (per 10⁶ shares).
    let sol = h.reserve(SOL).await;
    assert_eq!(sol.fund_balance, 0);
    assert_eq!(sol.fund_receivable, 10 * SOL_UNIT);
    assert_eq!(
        sol.cumulative_fund_covered_wad,
        u128::from(10 * SOL_UNIT) * WAD
    );
    assert_eq!(
        sol.cumulative_socialized_wad,
        u128::from(90 * SOL_UNIT) * WAD
    );
    assert_eq!(sol.total_scaled_debt, 0);
    assert_eq!(
        sol.share_value_wad().unwrap(),
        share_value_with(
            supply_assets(&sol_before) - u128::from(90 * SOL_UNIT) * WAD,
            sol_before.total_shares
        )
    );
    assert_eq!(sol.share_value_wad().unwrap(), 910_000_000_000);

    // BTC: the fee sits in the fund's pending insurance and is swept into the fund vault.
    let btc = h.reserve(BTC).await;
    assert_eq!(btc.pending_insurance_wad, u128::from(fee) * WAD);
    assert_eq!(btc.total_shares, 0);
    h.collect_fees(BTC).await.unwrap();
    h.collect_fees(USDC).await.unwrap();
    h.collect_fees(SOL).await.unwrap();
    assert_eq!(h.balance(&h.assets[BTC].keys.fund_vault.clone()).await, fee);
    assert_eq!(h.reserve(BTC).await.fund_balance, fee);

    // Depositors withdraw exactly what the books say: USDC in full, SOL at 0.91.
    h.withdraw(&usdc_lender, USDC, u64::MAX).await.unwrap();
    assert_eq!(
        h.balance(&usdc_lender.tokens[USDC]).await,
        100_000 * USDC_UNIT
    );
    h.withdraw(&sol_lender, SOL, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&sol_lender.tokens[SOL]).await, 910 * SOL_UNIT);
    assert_eq!(
        h.balance(&h.assets[USDC].keys.fund_vault.clone()).await,
        5_000 * USDC_UNIT - usdc_left
    );
    h.check_invariants(&[
        usdc_lender.obligation,
        sol_lender.obligation,
        contributor.obligation,
        borrower.obligation,
        liquidator.obligation,
    ])
    .await;
}

/// Publishes a BTC price of $0.00000001: one BTC is worth 10⁻⁸ USD, far below the $0.10 of
/// collateral under which an indebted obligation counts as having none.
fn crash_btc_to_nothing(h: &mut Harness) {
    set_price_mantissa(h, BTC, 1);
}

#[tokio::test]
async fn a_crash_that_leaves_debt_is_absorbed_by_the_fund_first() {
    let Loan {
        mut h,
        lender,
        borrower,
        liquidator,
    } = loan(BTC, BTC_UNIT, USDC, 100_000 * USDC_UNIT, 40_000 * USDC_UNIT).await;
    let contributor = h.funded_user(USDC, 25_000 * USDC_UNIT).await;
    h.fund_reserve(&contributor, USDC, 25_000 * USDC_UNIT)
        .await
        .unwrap();
    h.set_price(BTC, 20_000.0);
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        400_000_000_000_000_000
    );
    let share_value = h.reserve(USDC).await.share_value_wad().unwrap();

    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    // All 1 BTC ($20 000) for ⌈20 000 / 1.02⌉ USDC; 20 392.156862 USDC of debt is left with
    // no collateral and is realized in the same instruction, all of it by the fund.
    let repaid = 19_607_843_138;
    let left = 40_000 * USDC_UNIT - repaid;
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        400_000 * USDC_UNIT - repaid
    );
    assert_eq!(h.balance(&liquidator.tokens[BTC]).await, BTC_UNIT - 392_157);
    assert!(h.obligation(&borrower.obligation).await.is_empty());
    assert_eq!(health(&mut h, &borrower.obligation).await, HEALTH_INFINITE);
    let usdc = h.reserve(USDC).await;
    assert_eq!(usdc.fund_balance, 25_000 * USDC_UNIT - left);
    assert_eq!(usdc.fund_receivable, left);
    assert_eq!(usdc.cumulative_fund_covered_wad, u128::from(left) * WAD);
    assert_eq!(usdc.cumulative_socialized_wad, 0);
    assert_eq!(usdc.share_value_wad().unwrap(), share_value);

    // Nothing is left to realize.
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h.realize_bad_debt(&liquidator, &borrower.obligation).await;
    h.assert_rejected(result, BallastError::NotInsolvent, &users, &before)
        .await;

    // The fund's tokens move to the liquidity vault and the lender leaves whole.
    h.collect_fees(USDC).await.unwrap();
    let usdc_fund_vault = h.assets[USDC].keys.fund_vault;
    assert_eq!(h.balance(&usdc_fund_vault).await, 25_000 * USDC_UNIT - left);
    assert_eq!(h.reserve(USDC).await.fund_receivable, 0);
    h.withdraw(&lender, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&lender.tokens[USDC]).await, 100_000 * USDC_UNIT);
    assert_eq!(h.reserve(USDC).await.available_liquidity, 0);
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
        contributor.obligation,
    ])
    .await;
}

#[tokio::test]
async fn the_fund_absorbs_part_and_the_rest_is_socialized_to_the_unit() {
    let mut h = Harness::new().await;
    let first = h.lender(USDC, 60_000 * USDC_UNIT).await;
    let second = h.lender(USDC, 40_000 * USDC_UNIT).await;
    let contributor = h.funded_user(USDC, 1_000 * USDC_UNIT).await;
    h.fund_reserve(&contributor, USDC, 1_000 * USDC_UNIT)
        .await
        .unwrap();
    let borrower = h.borrower(BTC, BTC_UNIT, USDC, 40_000 * USDC_UNIT).await;
    // 30 days of interest: the fund is owed insurance interest it has not swept yet.
    h.advance_with_fresh_prices(30 * 86_400);
    crash_btc_to_nothing(&mut h);
    assert!(health(&mut h, &borrower.obligation).await < WAD / 1_000_000);
    let projected = h.reserve(USDC).await.projected(h.now).unwrap();
    let written_off = projected.debt_wad().unwrap();
    let pending = projected.pending_insurance_wad;
    assert!(pending > 0 && pending < written_off);
    let fund = u128::from(1_000 * USDC_UNIT) * WAD;
    let socialized = written_off - pending - fund;
    let assets_before = supply_assets(&projected);
    let shares = projected.total_shares;

    let stranger = h.user().await;
    h.realize_bad_debt(&stranger, &borrower.obligation)
        .await
        .unwrap();

    // The waterfall: the fund's pending insurance, then its 1 000 USDC, then depositors.
    let usdc = h.reserve(USDC).await;
    assert_eq!(usdc.total_scaled_debt, 0);
    assert_eq!(usdc.pending_insurance_wad, 0);
    assert_eq!(usdc.fund_balance, 0);
    assert_eq!(usdc.fund_receivable, 1_000 * USDC_UNIT);
    assert_eq!(usdc.cumulative_fund_covered_wad, pending + fund);
    assert_eq!(usdc.cumulative_socialized_wad, socialized);
    assert_eq!(supply_assets(&usdc), assets_before - socialized);
    assert_eq!(
        usdc.share_value_wad().unwrap(),
        share_value_with(assets_before - socialized, shares)
    );
    assert!(usdc.share_value_wad().unwrap() < projected.share_value_wad().unwrap());
    assert!(h.obligation(&borrower.obligation).await.is_empty());
    // The worthless BTC went to the BTC fund, the whole 1 BTC of it.
    assert_eq!(
        h.reserve(BTC).await.pending_insurance_wad,
        u128::from(BTC_UNIT) * WAD
    );

    // Each depositor's withdrawal is their share of the assets less exactly the socialized loss.
    h.collect_fees(USDC).await.unwrap();
    let first_shares = shares_of(&mut h, &first.obligation, USDC).await;
    let first_out = redeem_with(first_shares, assets_before - socialized, shares);
    h.withdraw(&first, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&first.tokens[USDC]).await, first_out);
    let second_shares = shares_of(&mut h, &second.obligation, USDC).await;
    let second_out = redeem_with(
        second_shares,
        assets_before - socialized - u128::from(first_out) * WAD,
        shares - first_shares,
    );
    h.withdraw(&second, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&second.tokens[USDC]).await, second_out);
    // Both lost the same fraction: 60/40 of what is left, to the unit.
    assert!(
        first_out.abs_diff(second_out * 3 / 2) <= 2,
        "{first_out} {second_out}"
    );
    h.check_invariants(&[
        first.obligation,
        second.obligation,
        contributor.obligation,
        borrower.obligation,
        stranger.obligation,
    ])
    .await;
}

#[tokio::test]
async fn realize_bad_debt_writes_off_an_obligation_whose_collateral_is_worth_nothing() {
    let Loan {
        mut h,
        lender,
        borrower,
        ..
    } = loan(BTC, BTC_UNIT, USDC, 100_000 * USDC_UNIT, 40_000 * USDC_UNIT).await;
    // 10 SOL supplied but not enabled as collateral: neither counted nor taken.
    h.mint_to(SOL, &borrower.tokens[SOL], 10 * SOL_UNIT).await;
    h.deposit(&borrower, SOL, 10 * SOL_UNIT).await.unwrap();
    h.set_collateral(&borrower, SOL, false).await.unwrap();
    crash_btc_to_nothing(&mut h);
    assert_eq!(health(&mut h, &borrower.obligation).await, 200_000);
    let share_value = h.reserve(USDC).await.share_value_wad().unwrap();
    assert_eq!(share_value, 1_000_000_000_000);

    let stranger = h.user().await;
    h.realize_bad_debt(&stranger, &borrower.obligation)
        .await
        .unwrap();

    let state = h.obligation(&borrower.obligation).await;
    assert!(!state.has_debt());
    assert_eq!(health(&mut h, &borrower.obligation).await, HEALTH_INFINITE);
    assert_eq!(
        state.deposit(&h.assets[SOL].keys.reserve).map(|d| d.shares),
        Some(u128::from(10 * SOL_UNIT) * 1_000_000)
    );
    assert!(state.deposit(&h.assets[BTC].keys.reserve).is_none());
    // No fund: all 40 000 USDC fall on the 100 000 of deposits.
    let usdc = h.reserve(USDC).await;
    assert_eq!(
        usdc.cumulative_socialized_wad,
        u128::from(40_000 * USDC_UNIT) * WAD
    );
    assert_eq!(usdc.cumulative_fund_covered_wad, 0);
    assert_eq!(usdc.share_value_wad().unwrap(), 600_000_000_003);
    assert_eq!(
        usdc.share_value_wad().unwrap(),
        share_value_with(u128::from(60_000 * USDC_UNIT) * WAD, usdc.total_shares)
    );
    let btc = h.reserve(BTC).await;
    assert_eq!(btc.pending_insurance_wad, u128::from(BTC_UNIT) * WAD);
    assert_eq!(btc.total_shares, 0);
    h.collect_fees(BTC).await.unwrap();
    assert_eq!(
        h.balance(&h.assets[BTC].keys.fund_vault.clone()).await,
        BTC_UNIT
    );

    // The borrower keeps the disabled deposit; the lender leaves with 60 %.
    h.withdraw(&borrower, SOL, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[SOL]).await, 10 * SOL_UNIT);
    h.withdraw(&lender, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&lender.tokens[USDC]).await, 60_000 * USDC_UNIT);
    h.check_invariants(&[lender.obligation, borrower.obligation, stranger.obligation])
        .await;
}

#[tokio::test]
async fn dust_deposited_to_block_realization_does_not_block_it() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let mut borrowers = vec![];
    for _ in 0..2 {
        let borrower = h.borrower(BTC, BTC_UNIT, USDC, 40_000 * USDC_UNIT).await;
        h.mint_to(SOL, &borrower.tokens[SOL], SOL_UNIT).await;
        borrowers.push(borrower);
    }
    let liquidator = h.funded_user(USDC, 1_000 * USDC_UNIT).await;
    crash_btc_to_nothing(&mut h);

    // $0.09 of SOL: a deposit while in debt opens its slot disabled (it read no price); once
    // enabled at a valid price it is collateral, still at most the $0.10 negligible value.
    h.deposit(&borrowers[0], SOL, 600_000).await.unwrap();
    let sol = h.assets[SOL].keys.reserve;
    let deposit = *h
        .obligation(&borrowers[0].obligation)
        .await
        .deposit(&sol)
        .unwrap();
    assert!(!deposit.collateral_enabled);
    h.set_collateral(&borrowers[0], SOL, true).await.unwrap();
    assert_eq!(
        liquidation_totals(&mut h, &borrowers[0].obligation)
            .await
            .collateral_value,
        90_000_000_000_000_000 + 10_000_000_000
    );
    assert_eq!(
        health(&mut h, &borrowers[0].obligation).await,
        1_800_000_200_000
    );
    h.realize_bad_debt(&liquidator, &borrowers[0].obligation)
        .await
        .unwrap();
    assert!(h.obligation(&borrowers[0].obligation).await.is_empty());
    // The dust went to the SOL fund, the BTC to the BTC fund.
    assert_eq!(h.reserve(SOL).await.pending_insurance_wad, 600_000 * WAD);
    assert_eq!(
        h.reserve(USDC).await.cumulative_socialized_wad,
        u128::from(40_000 * USDC_UNIT) * WAD
    );

    // $0.30 of SOL is collateral of value: realization waits, but a liquidation takes it …
    h.deposit(&borrowers[1], SOL, 2_000_000).await.unwrap();
    h.set_collateral(&borrowers[1], SOL, true).await.unwrap();
    let users = [&borrowers[1], &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h
        .realize_bad_debt(&liquidator, &borrowers[1].obligation)
        .await;
    h.assert_rejected(result, BallastError::NotInsolvent, &users, &before)
        .await;
    h.liquidate(&liquidator, &borrowers[1], USDC, SOL, args(u64::MAX))
        .await
        .unwrap();
    // … all of it, $0.30 for ⌈0.30 / 1.02⌉ = 0.294118 USDC, less a 7 844-unit fee, and realizes
    // the rest in the same instruction.
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        1_000 * USDC_UNIT - 294_118
    );
    assert_eq!(h.balance(&liquidator.tokens[SOL]).await, 2_000_000 - 7_844);
    assert!(h.obligation(&borrowers[1].obligation).await.is_empty());
    let usdc = h.reserve(USDC).await;
    assert_eq!(
        usdc.cumulative_socialized_wad,
        u128::from(80_000 * USDC_UNIT - 294_118) * WAD
    );
    assert_eq!(usdc.total_scaled_debt, 0);
    assert_eq!(
        h.reserve(SOL).await.pending_insurance_wad,
        (600_000 + 7_844) * WAD
    );
    assert_eq!(
        h.reserve(BTC).await.pending_insurance_wad,
        u128::from(2 * BTC_UNIT) * WAD
    );
    h.check_invariants(&[
        lender.obligation,
        borrowers[0].obligation,
        borrowers[1].obligation,
        liquidator.obligation,
    ])
    .await;
}

#[tokio::test]
async fn bad_debt_waits_for_the_last_collateral_of_value_and_the_sequence_ends_fully_realized() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let borrower = h.funded_user(BTC, BTC_UNIT / 2).await;
    h.mint_to(SOL, &borrower.tokens[SOL], 100 * SOL_UNIT).await;
    h.deposit(&borrower, BTC, BTC_UNIT / 2).await.unwrap();
    h.deposit(&borrower, SOL, 100 * SOL_UNIT).await.unwrap();
    h.borrow(&borrower, USDC, 30_000 * USDC_UNIT).await.unwrap();
    let liquidator = h.funded_user(USDC, 50_000 * USDC_UNIT).await;

    // BTC to $1 (0.5 BTC = $0.50) and SOL to $60 ($6 000): deeply insolvent, but not empty.
    h.set_price(BTC, 1.0);
    h.set_price(SOL, 60.0);
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        160_013_333_333_333_333
    );
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h.realize_bad_debt(&liquidator, &borrower.obligation).await;
    h.assert_rejected(result, BallastError::NotInsolvent, &users, &before)
        .await;

    // The first liquidation takes all the BTC; SOL of value remains, so nothing is written off.
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        50_000 * USDC_UNIT - 490_197
    );
    assert_eq!(
        h.balance(&liquidator.tokens[BTC]).await,
        BTC_UNIT / 2 - 196_079
    );
    assert_eq!(
        debt_of(&mut h, &borrower.obligation, USDC).await,
        30_000 * USDC_UNIT - 490_197
    );
    // Below the buffer the liquidation closes a position (all the BTC), lowering the health
    // factor a little as it does.
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        160_002_614_426_719_471
    );
    let usdc = h.reserve(USDC).await;
    assert_eq!(usdc.cumulative_socialized_wad, 0);
    assert_eq!(usdc.share_value_wad().unwrap(), 1_000_000_000_000);
    let before = h.snapshot_users(&users).await;
    let result = h.realize_bad_debt(&liquidator, &borrower.obligation).await;
    h.assert_rejected(result, BallastError::NotInsolvent, &users, &before)
        .await;

    // The second takes all the SOL ($6 000 for 5 882.352942 USDC) and realizes the rest.
    h.liquidate(&liquidator, &borrower, USDC, SOL, args(u64::MAX))
        .await
        .unwrap();
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        50_000 * USDC_UNIT - 490_197 - 5_882_352_942
    );
    assert_eq!(
        h.balance(&liquidator.tokens[SOL]).await,
        100 * SOL_UNIT - 392_156_863
    );
    assert!(h.obligation(&borrower.obligation).await.is_empty());
    let socialized = 30_000 * USDC_UNIT - 490_197 - 5_882_352_942;
    assert_eq!(socialized, 24_117_156_861);
    let usdc = h.reserve(USDC).await;
    assert_eq!(usdc.cumulative_socialized_wad, u128::from(socialized) * WAD);
    assert_eq!(usdc.share_value_wad().unwrap(), 758_828_431_392);
    h.withdraw(&lender, USDC, u64::MAX).await.unwrap();
    assert_eq!(
        h.balance(&lender.tokens[USDC]).await,
        100_000 * USDC_UNIT - socialized
    );
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
    ])
    .await;
}

#[tokio::test]
async fn a_sequence_of_small_liquidations_on_several_collaterals_ends_healthy() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let borrower = h.funded_user(BTC, BTC_UNIT / 2).await;
    h.mint_to(SOL, &borrower.tokens[SOL], 100 * SOL_UNIT).await;
    h.deposit(&borrower, BTC, BTC_UNIT / 2).await.unwrap();
    h.deposit(&borrower, SOL, 100 * SOL_UNIT).await.unwrap();
    h.borrow(&borrower, USDC, 30_000 * USDC_UNIT).await.unwrap();
    let liquidator = h.funded_user(USDC, 50_000 * USDC_UNIT).await;
    // $24 000 of BTC and $12 000 of SOL against $30 000: HF 0.96.
    h.set_price(BTC, 48_000.0);
    h.set_price(SOL, 120.0);
    // 2 000 USDC at a time, alternating the seized collateral; the bonus shrinks as health
    // recovers: (seized, fee) per step.
    let steps = [
        (BTC, 4_416_666, 50_000, 600),
        (SOL, 17_531_666_666, 173_000_000, 519),
        (BTC, 4_342_500, 35_167, 422),
        (SOL, 17_170_000_000, 100_666_667, 302),
    ];
    let mut health_before = health(&mut h, &borrower.obligation).await;
    assert_eq!(health_before, 960_000_000_000_000_000);
    for (collateral, seized, fee, _bonus_bps) in steps {
        let received_before = h.balance(&liquidator.tokens[collateral]).await;
        let paid_before = h.balance(&liquidator.tokens[USDC]).await;
        h.liquidate(
            &liquidator,
            &borrower,
            USDC,
            collateral,
            args(2_000 * USDC_UNIT),
        )
        .await
        .unwrap();
        assert_eq!(
            paid_before - h.balance(&liquidator.tokens[USDC]).await,
            2_000 * USDC_UNIT
        );
        assert_eq!(
            h.balance(&liquidator.tokens[collateral]).await - received_before,
            seized - fee
        );
        let health_after = health(&mut h, &borrower.obligation).await;
        assert!(health_after > health_before);
        health_before = health_after;
    }
    assert_eq!(health_before, 1_004_778_193_457_454_545);
    assert_eq!(
        debt_of(&mut h, &borrower.obligation, USDC).await,
        22_000 * USDC_UNIT
    );
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h
        .liquidate(&liquidator, &borrower, USDC, BTC, args(2_000 * USDC_UNIT))
        .await;
    h.assert_rejected(result, BallastError::ObligationHealthy, &users, &before)
        .await;
    // No bad debt, no loss: the funds got their fees, depositors' shares kept their value.
    let usdc = h.reserve(USDC).await;
    assert_eq!(
        usdc.cumulative_socialized_wad + usdc.cumulative_fund_covered_wad,
        0
    );
    assert_eq!(usdc.share_value_wad().unwrap(), 1_000_000_000_000);
    assert_eq!(
        h.reserve(BTC).await.pending_insurance_wad,
        (50_000 + 35_167) * WAD
    );
    assert_eq!(
        h.reserve(SOL).await.pending_insurance_wad,
        u128::from(173_000_000 + 100_666_667u64) * WAD
    );
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
    ])
    .await;
}

#[tokio::test]
async fn a_reserve_whose_loss_exceeds_all_deposits_ends_frozen_not_broken() {
    let mut h = Harness::new().await;
    let lender = h.lender(SOL, 100 * SOL_UNIT).await;
    // Every SOL is lent: 99 against BTC, 1 against USDC.
    let doomed = h.borrower(BTC, BTC_UNIT, SOL, 99 * SOL_UNIT).await;
    let sound = h.borrower(USDC, 1_000 * USDC_UNIT, SOL, SOL_UNIT).await;
    // A year at full utilization (80 % a year): the protocol's fees and the fund's insurance
    // claim grow with the debt, depositors' assets with the rest.
    h.advance_with_fresh_prices(365 * 86_400);
    crash_btc_to_nothing(&mut h);
    let projected = h.reserve(SOL).await.projected(h.now).unwrap();
    let doomed_scaled = h
        .obligation(&doomed.obligation)
        .await
        .borrow(&h.assets[SOL].keys.reserve)
        .unwrap()
        .scaled_debt;
    let mut without = projected.clone();
    without.total_scaled_debt -= doomed_scaled;
    let written_off = projected.debt_wad().unwrap() - without.debt_wad().unwrap();
    let pending = projected.pending_insurance_wad;
    let socialized = written_off - pending;
    assert!(
        socialized >= supply_assets(&projected),
        "the loss exceeds the deposits"
    );

    let stranger = h.user().await;
    h.realize_bad_debt(&stranger, &doomed.obligation)
        .await
        .unwrap();

    let sol = h.reserve(SOL).await;
    assert_eq!(sol.status, ballast::state::RESERVE_FROZEN);
    assert_eq!(sol.cumulative_socialized_wad, socialized);
    assert_eq!(sol.cumulative_fund_covered_wad, pending);
    assert_eq!(sol.pending_insurance_wad, 0);
    // Depositors are wiped out, the protocol's unclaimed fees absorb what is beyond them, and
    // the books still balance: what remains (the sound borrower's debt) is the fees' claim.
    assert_eq!(supply_assets(&sol), 0);
    assert_eq!(sol.protocol_fees_wad, without.debt_wad().unwrap());
    assert_eq!(
        sol.share_value_wad().unwrap(),
        share_value_with(0, sol.total_shares)
    );
    assert_eq!(sol.total_shares, u128::from(100 * SOL_UNIT) * 1_000_000);
    assert!(!h.obligation(&doomed.obligation).await.has_debt());

    // Frozen: no new deposits or borrows …
    h.mint_to(SOL, &lender.tokens[SOL], SOL_UNIT).await;
    let users = [&lender, &sound];
    let before = h.snapshot_users(&users).await;
    let result = h.deposit(&lender, SOL, SOL_UNIT).await;
    h.assert_rejected(result, BallastError::ReserveFrozen, &users, &before)
        .await;
    let result = h.borrow(&sound, SOL, SOL_UNIT / 10).await;
    h.assert_rejected(result, BallastError::ReserveFrozen, &users, &before)
        .await;
    // … worthless shares redeem for nothing: "withdraw all" pays 0 and empties the slot …
    let lender_sol = h.balance(&lender.tokens[SOL]).await;
    h.withdraw(&lender, SOL, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&lender.tokens[SOL]).await, lender_sol);
    assert!(h
        .obligation(&lender.obligation)
        .await
        .deposit(&h.assets[SOL].keys.reserve)
        .is_none());
    // … but the sound borrower repays, collects their collateral, and the fees are collected.
    let owed = debt_of(&mut h, &sound.obligation, SOL).await;
    h.mint_to(SOL, &sound.tokens[SOL], owed).await;
    let sol_before = h.balance(&sound.tokens[SOL]).await;
    h.repay(&sound, &sound.obligation, SOL, u64::MAX)
        .await
        .unwrap();
    assert_eq!(sol_before - h.balance(&sound.tokens[SOL]).await, owed);
    h.withdraw(&sound, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&sound.tokens[USDC]).await, 1_000 * USDC_UNIT);
    let fees = h.reserve(SOL).await.protocol_fees_wad / WAD;
    h.collect_fees(SOL).await.unwrap();
    assert_eq!(
        u128::from(h.balance(&h.treasuries[SOL].clone()).await),
        fees
    );
    let sol = h.reserve(SOL).await;
    assert_eq!(sol.status, ballast::state::RESERVE_FROZEN);
    assert_eq!(
        h.balance(&h.assets[SOL].keys.liquidity_vault.clone()).await,
        sol.available_liquidity
    );
    h.check_invariants(&[
        lender.obligation,
        doomed.obligation,
        sound.obligation,
        stranger.obligation,
    ])
    .await;
}

#[tokio::test]
async fn after_realization_no_interest_accrues_and_everyone_else_can_repay_and_withdraw() {
    let mut h = Harness::new().await;
    let first = h.lender(USDC, 60_000 * USDC_UNIT).await;
    let second = h.lender(USDC, 40_000 * USDC_UNIT).await;
    let insolvent = h.borrower(BTC, BTC_UNIT, USDC, 40_000 * USDC_UNIT).await;
    let healthy = h
        .borrower(SOL, 100 * SOL_UNIT, USDC, 10_000 * USDC_UNIT)
        .await;
    crash_btc_to_nothing(&mut h);
    let stranger = h.user().await;
    h.realize_bad_debt(&stranger, &insolvent.obligation)
        .await
        .unwrap();
    let healthy_scaled = h
        .obligation(&healthy.obligation)
        .await
        .borrow(&h.assets[USDC].keys.reserve)
        .unwrap()
        .scaled_debt;
    assert_eq!(h.reserve(USDC).await.total_scaled_debt, healthy_scaled);
    let socialized = h.reserve(USDC).await.cumulative_socialized_wad;
    assert_eq!(socialized, u128::from(40_000 * USDC_UNIT) * WAD);

    // 30 days later: the written-off obligation owes nothing and cannot be made to.
    h.advance_with_fresh_prices(30 * 86_400);
    assert_eq!(debt_of(&mut h, &insolvent.obligation, USDC).await, 0);
    assert!(!h.obligation(&insolvent.obligation).await.has_debt());
    h.mint_to(USDC, &insolvent.tokens[USDC], USDC_UNIT).await;
    let users = [&insolvent];
    let before = h.snapshot_users(&users).await;
    let result = h
        .repay(&insolvent, &insolvent.obligation, USDC, USDC_UNIT)
        .await;
    h.assert_rejected(result, BallastError::NoBorrowInReserve, &users, &before)
        .await;

    // The healthy borrower repays principal and interest; both lenders withdraw everything
    // they are owed, to the unit.
    let owed = debt_of(&mut h, &healthy.obligation, USDC).await;
    assert!(owed > 10_000 * USDC_UNIT);
    h.mint_to(USDC, &healthy.tokens[USDC], owed - 10_000 * USDC_UNIT)
        .await;
    h.repay(&healthy, &healthy.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(h.balance(&healthy.tokens[USDC]).await, 0);
    h.withdraw(&healthy, SOL, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&healthy.tokens[SOL]).await, 100 * SOL_UNIT);
    let usdc = h.reserve(USDC).await;
    assert_eq!(usdc.total_scaled_debt, 0);
    assert_eq!(usdc.cumulative_socialized_wad, socialized);
    let assets = supply_assets(&usdc);
    let shares = usdc.total_shares;
    let first_shares = shares_of(&mut h, &first.obligation, USDC).await;
    let first_out = redeem_with(first_shares, assets, shares);
    h.withdraw(&first, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&first.tokens[USDC]).await, first_out);
    let second_out = redeem_with(
        shares - first_shares,
        assets - u128::from(first_out) * WAD,
        shares - first_shares,
    );
    h.withdraw(&second, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&second.tokens[USDC]).await, second_out);
    // 60 000 of deposits lent nothing back after the 40 000 loss; the interest is a little more.
    assert!(first_out + second_out > 60_000 * USDC_UNIT);
    h.collect_fees(USDC).await.unwrap();
    let usdc = h.reserve(USDC).await;
    assert_eq!(
        h.balance(&h.assets[USDC].keys.liquidity_vault.clone())
            .await,
        usdc.available_liquidity
    );
    assert_eq!(
        h.balance(&h.assets[USDC].keys.fund_vault.clone()).await,
        usdc.fund_balance
    );
    h.check_invariants(&[
        first.obligation,
        second.obligation,
        insolvent.obligation,
        healthy.obligation,
        stranger.obligation,
    ])
    .await;
}

#[tokio::test]
async fn a_realization_with_read_only_reserves_is_rejected_and_changes_nothing() {
    let mut h = Harness::new().await;
    let _usdc_lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let _sol_lender = h.lender(SOL, 1_000 * SOL_UNIT).await;
    let borrower = h.borrower(BTC, BTC_UNIT, USDC, 20_000 * USDC_UNIT).await;
    h.borrow(&borrower, SOL, 100 * SOL_UNIT).await.unwrap();
    let liquidator = h.funded_user(USDC, 50_000 * USDC_UNIT).await;
    h.set_price(BTC, 20_000.0);
    let state = h.obligation(&borrower.obligation).await;
    let read_only = h.remaining(&state, false);
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;

    // The liquidation takes the last collateral and must write the SOL reserve it was not
    // given as writable.
    let result = h
        .liquidate_with(
            &liquidator,
            &borrower.obligation,
            USDC,
            BTC,
            args(u64::MAX),
            read_only.clone(),
        )
        .await;
    h.assert_rejected(result, BallastError::ReserveNotWritable, &users, &before)
        .await;

    // Same for `realize_bad_debt` once the collateral is worthless.
    crash_btc_to_nothing(&mut h);
    let before = h.snapshot_users(&users).await;
    let ix = ballast_client::realize_bad_debt(
        &liquidator.pubkey(),
        &h.market,
        &borrower.obligation,
        read_only,
    );
    let result = h.send(&[ix], &[&liquidator.keypair]).await;
    h.assert_rejected(result, BallastError::ReserveNotWritable, &users, &before)
        .await;
    h.realize_bad_debt(&liquidator, &borrower.obligation)
        .await
        .unwrap();
    assert!(h.obligation(&borrower.obligation).await.is_empty());
}
