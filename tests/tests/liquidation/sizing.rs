//! How much one liquidation repays and seizes: the close factor and its boundary, clipping of
//! `max_repay`, the slippage floor, the bonus curve and its caps, the protocol fee, the dust rule
//! and liquidation into supply shares when the collateral reserve has no free liquidity.

use ballast::errors::BallastError;
use ballast::instructions::LiquidateArgs;
use ballast::math::health::HEALTH_INFINITE;
use ballast::math::WAD;
use ballast_tests::fixture::*;

use super::common::*;

#[tokio::test]
async fn the_close_factor_holds_at_exactly_095_and_above_and_lifts_just_below() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, 200_000 * USDC_UNIT).await;
    // Three borrowers with 1 BTC each; at $47 500 a BTC, 40 000 USDC of debt is HF 0.95 exactly.
    let debts = [
        40_000 * USDC_UNIT,     // HF 0.95 exactly
        40_000 * USDC_UNIT - 1, // HF 0.95000000002375: just above
        40_000 * USDC_UNIT + 1, // HF 0.94999999997625: just below
    ];
    let mut borrowers = vec![];
    for debt in debts {
        let borrower = h.borrower(BTC, BTC_UNIT, USDC, debt).await;
        borrowers.push(borrower);
    }
    let liquidator = h.funded_user(USDC, 100_000 * USDC_UNIT).await;
    h.set_price(BTC, 47_500.0);
    let healths = [
        950_000_000_000_000_000,
        950_000_000_023_750_000,
        949_999_999_976_250_000,
    ];
    // (repaid, seized, fee): bonus 2 % + (1 − HF) = 7 % (6.99 % just above, the deficit floors);
    // 50 % of the debt value at and above 0.95, all of it below.
    let expected = [
        (20_000_000_000, 45_052_631, 589_474),
        (19_999_999_999, 45_048_421, 588_632),
        (40_000_000_001, 90_105_263, 1_178_948),
    ];
    for ((borrower, health_expected), (repaid, seized, fee)) in
        borrowers.iter().zip(healths).zip(expected)
    {
        let health_before = health(&mut h, &borrower.obligation).await;
        assert_eq!(health_before, health_expected);
        let usdc_before = h.balance(&liquidator.tokens[USDC]).await;
        let btc_before = h.balance(&liquidator.tokens[BTC]).await;
        let pending_before = h.reserve(BTC).await.pending_insurance_wad;
        let debt_before = debt_of(&mut h, &borrower.obligation, USDC).await;
        h.liquidate(&liquidator, borrower, USDC, BTC, args(u64::MAX))
            .await
            .unwrap();
        assert_eq!(
            usdc_before - h.balance(&liquidator.tokens[USDC]).await,
            repaid
        );
        assert_eq!(
            h.balance(&liquidator.tokens[BTC]).await - btc_before,
            seized - fee
        );
        assert_eq!(
            h.reserve(BTC).await.pending_insurance_wad - pending_before,
            u128::from(fee) * WAD
        );
        assert_eq!(
            debt_of(&mut h, &borrower.obligation, USDC).await,
            debt_before - repaid
        );
        assert_eq!(
            deposit_tokens_of(&mut h, &borrower.obligation, BTC).await,
            BTC_UNIT - seized
        );
        assert!(health(&mut h, &borrower.obligation).await > health_before);
    }
    // Below the boundary the whole debt went: the obligation owes nothing.
    assert_eq!(
        health(&mut h, &borrowers[2].obligation).await,
        HEALTH_INFINITE
    );
    assert_eq!(
        h.reserve(USDC).await.share_value_wad().unwrap(),
        1_000_000_000_000
    );
    let mut all = vec![lender.obligation, liquidator.obligation];
    all.extend(borrowers.iter().map(|b| b.obligation));
    h.check_invariants(&all).await;
}

/// 1 BTC against 40 000 USDC at $49 000 a BTC: HF 0.98, bonus 4 %, close factor 50 %.
async fn mildly_unhealthy() -> Loan {
    let mut loan = loan(BTC, BTC_UNIT, USDC, 100_000 * USDC_UNIT, 40_000 * USDC_UNIT).await;
    loan.h.set_price(BTC, 49_000.0);
    assert_eq!(
        health(&mut loan.h, &loan.borrower.obligation).await,
        980_000_000_000_000_000
    );
    loan
}

#[tokio::test]
async fn an_oversized_max_repay_is_clipped_and_only_what_is_used_is_paid() {
    let Loan {
        mut h,
        lender,
        borrower,
        liquidator,
    } = mildly_unhealthy().await;
    // Asks for 30 000 USDC; the close factor allows 20 000.
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(30_000 * USDC_UNIT))
        .await
        .unwrap();
    // 20 000 × 1.04 / 49 000 BTC = 42 448 979 sat; fee ⌈42 448 979 × 4 % × 20 % / 1.04⌉ = 326 531.
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        400_000 * USDC_UNIT - 20_000 * USDC_UNIT
    );
    assert_eq!(
        h.balance(&liquidator.tokens[BTC]).await,
        42_448_979 - 326_531
    );
    assert_eq!(
        debt_of(&mut h, &borrower.obligation, USDC).await,
        20_000 * USDC_UNIT
    );
    assert_eq!(
        deposit_tokens_of(&mut h, &borrower.obligation, BTC).await,
        BTC_UNIT - 42_448_979
    );
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        1_128_000_011_600_000_000
    );
    assert_eq!(h.reserve(BTC).await.pending_insurance_wad, 326_531 * WAD);
    assert_eq!(
        h.reserve(USDC).await.share_value_wad().unwrap(),
        1_000_000_000_000
    );
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
    ])
    .await;
}

#[tokio::test]
async fn a_result_below_the_liquidators_floor_is_rejected_as_slippage() {
    let Loan {
        mut h,
        borrower,
        liquidator,
        ..
    } = mildly_unhealthy().await;
    let out = 42_448_979 - 326_531;
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let floor = LiquidateArgs {
        max_repay: u64::MAX,
        min_collateral_out: out + 1,
        receive_shares: false,
    };
    let result = h.liquidate(&liquidator, &borrower, USDC, BTC, floor).await;
    h.assert_rejected(result, BallastError::SlippageExceeded, &users, &before)
        .await;
    let exact = LiquidateArgs {
        min_collateral_out: out,
        ..floor
    };
    h.liquidate(&liquidator, &borrower, USDC, BTC, exact)
        .await
        .unwrap();
    assert_eq!(h.balance(&liquidator.tokens[BTC]).await, out);
}

#[tokio::test]
async fn the_bonus_grows_with_unhealthiness_up_to_the_maximum_and_the_buffer() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 200_000 * USDC_UNIT).await;
    let mut borrowers = vec![];
    for _ in 0..3 {
        let borrower = h.borrower(BTC, BTC_UNIT, USDC, 40_000 * USDC_UNIT).await;
        borrowers.push(borrower);
    }
    let liquidator = h.funded_user(USDC, 200_000 * USDC_UNIT).await;
    // (BTC price, max_repay, HF, repaid, seized, fee), each against 1 BTC / 40 000 USDC:
    // - HF 0.98, mild: 2 % + 2 % = 4 %, close factor 50 %;
    // - HF 0.90, deep: 2 % + 10 % capped at the 10 % maximum; full close;
    // - HF 0.85, deeper: the curve's 10 % is capped by the buffer, HF / LT − 1 = 6.25 %, to
    //   6.24 %, so that even this liquidation leaves the obligation healthier.
    let cases = [
        (
            49_000.0,
            u64::MAX,
            980_000_000_000_000_000,
            20_000_000_000,
            42_448_979,
            326_531,
        ),
        (
            45_000.0,
            u64::MAX,
            900_000_000_000_000_000,
            40_000_000_000,
            97_777_777,
            1_777_778,
        ),
        (
            42_500.0,
            10_000 * USDC_UNIT,
            850_000_000_000_000_000,
            10_000_000_000,
            24_997_647,
            293_648,
        ),
    ];
    let health_after = [
        1_128_000_011_600_000_000,
        HEALTH_INFINITE,
        850_026_667_333_333_333,
    ];
    for (i, (price, max_repay, hf, repaid, seized, fee)) in cases.into_iter().enumerate() {
        let borrower = &borrowers[i];
        h.set_price(BTC, price);
        assert_eq!(health(&mut h, &borrower.obligation).await, hf);
        let usdc_before = h.balance(&liquidator.tokens[USDC]).await;
        let btc_before = h.balance(&liquidator.tokens[BTC]).await;
        let pending_before = h.reserve(BTC).await.pending_insurance_wad;
        h.liquidate(&liquidator, borrower, USDC, BTC, args(max_repay))
            .await
            .unwrap();
        assert_eq!(
            usdc_before - h.balance(&liquidator.tokens[USDC]).await,
            repaid
        );
        assert_eq!(
            h.balance(&liquidator.tokens[BTC]).await - btc_before,
            seized - fee
        );
        assert_eq!(
            h.reserve(BTC).await.pending_insurance_wad - pending_before,
            u128::from(fee) * WAD
        );
        assert_eq!(
            deposit_tokens_of(&mut h, &borrower.obligation, BTC).await,
            BTC_UNIT - seized
        );
        assert_eq!(health(&mut h, &borrower.obligation).await, health_after[i]);
    }
    assert_eq!(
        h.reserve(USDC).await.share_value_wad().unwrap(),
        1_000_000_000_000
    );
}

#[tokio::test]
async fn the_protocol_fee_lands_in_the_collateral_fund_and_is_swept_to_the_unit() {
    // 400 SOL ($60 000) against 40 000 USDC; SOL falls to $120: HF 0.96, bonus 6 %.
    let Loan {
        mut h,
        lender,
        borrower,
        liquidator,
    } = loan(
        SOL,
        400 * SOL_UNIT,
        USDC,
        100_000 * USDC_UNIT,
        40_000 * USDC_UNIT,
    )
    .await;
    h.set_price(SOL, 120.0);
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        960_000_000_000_000_000
    );
    let sol_vault = h.assets[SOL].keys.liquidity_vault;
    let sol_fund_vault = h.assets[SOL].keys.fund_vault;
    let share_value = h.reserve(SOL).await.share_value_wad().unwrap();
    h.liquidate(&liquidator, &borrower, USDC, SOL, args(u64::MAX))
        .await
        .unwrap();
    // 20 000 × 1.06 / 120 = 176.666666666 SOL seized; the bonus in it is 6/106 of that, and
    // 20 % of the bonus, exactly 2 SOL, is the protocol's fee.
    let seized = 176_666_666_666;
    let fee = 2 * SOL_UNIT;
    assert_eq!(h.balance(&liquidator.tokens[SOL]).await, seized - fee);
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        400_000 * USDC_UNIT - 20_000 * USDC_UNIT
    );
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        1_072_000_000_003_200_000
    );
    // The fee is a claim of the fund on the SOL reserve: its books, not yet its vault.
    let sol = h.reserve(SOL).await;
    assert_eq!(sol.pending_insurance_wad, u128::from(fee) * WAD);
    assert_eq!(sol.fund_balance, 0);
    assert_eq!(h.balance(&sol_fund_vault).await, 0);
    assert_eq!(sol.available_liquidity, 400 * SOL_UNIT - (seized - fee));
    assert_eq!(h.balance(&sol_vault).await, sol.available_liquidity);
    // Burning the fee's shares moved their value out of depositors' assets: share value holds.
    assert_eq!(sol.share_value_wad().unwrap(), share_value);
    assert_eq!(
        deposit_tokens_of(&mut h, &borrower.obligation, SOL).await,
        400 * SOL_UNIT - seized
    );

    // `collect_fees` sweeps it into the fund vault, to the unit; no protocol fee was charged.
    h.collect_fees(SOL).await.unwrap();
    let sol = h.reserve(SOL).await;
    assert_eq!(h.balance(&sol_fund_vault).await, fee);
    assert_eq!(sol.fund_balance, fee);
    assert_eq!(sol.pending_insurance_wad, 0);
    assert_eq!(h.balance(&h.treasuries[SOL].clone()).await, 0);
    assert_eq!(h.balance(&sol_vault).await, 400 * SOL_UNIT - seized);
    assert_eq!(sol.available_liquidity, 400 * SOL_UNIT - seized);
    assert_eq!(sol.share_value_wad().unwrap(), share_value);
    // The borrower's remaining deposit is worth exactly what is left.
    assert_eq!(
        deposit_tokens_of(&mut h, &borrower.obligation, SOL).await,
        400 * SOL_UNIT - seized
    );
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
    ])
    .await;
}

#[tokio::test]
async fn a_partial_repay_that_would_leave_dust_takes_the_whole_position_or_is_rejected() {
    let mut h = Harness::new().await;
    let _usdc_lender = h.lender(USDC, 10_000 * USDC_UNIT).await;
    let _sol_lender = h.lender(SOL, 100 * SOL_UNIT).await;
    // Two identical borrowers: 0.007 BTC against 151 USDC and 1 SOL ($301 of debt).
    let mut borrowers = vec![];
    for _ in 0..2 {
        let borrower = h.borrower(BTC, 700_000, USDC, 151 * USDC_UNIT).await;
        h.borrow(&borrower, SOL, SOL_UNIT).await.unwrap();
        borrowers.push(borrower);
    }
    let liquidator = h.funded_user(USDC, 1_000 * USDC_UNIT).await;
    // BTC at $52 675: 0.8 × $294.98 … HF 0.98; the close factor allows $150.50 of USDC, which
    // would leave $0.50 of USDC debt: below the $1 dust value.
    h.set_price(BTC, 52_675.0);
    let health_before = health(&mut h, &borrowers[0].obligation).await;
    assert_eq!(health_before, 980_000_000_000_000_000);

    // A request of exactly the close factor cannot take everything: rejected.
    let users = [&borrowers[0], &borrowers[1], &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h
        .liquidate(&liquidator, &borrowers[0], USDC, BTC, args(150_500_000))
        .await;
    h.assert_rejected(
        result,
        BallastError::LiquidationWouldLeaveDust,
        &users,
        &before,
    )
    .await;

    // A request that allows the whole position takes all 151 USDC of it.
    h.liquidate(&liquidator, &borrowers[0], USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    assert_eq!(debt_of(&mut h, &borrowers[0].obligation, USDC).await, 0);
    assert_eq!(
        debt_of(&mut h, &borrowers[0].obligation, SOL).await,
        SOL_UNIT
    );
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        1_000 * USDC_UNIT - 151 * USDC_UNIT
    );
    // 151 × 1.04 / 52 675 BTC = 298 130 sat, fee 2 294 sat.
    assert_eq!(h.balance(&liquidator.tokens[BTC]).await, 298_130 - 2_294);
    assert_eq!(
        health(&mut h, &borrowers[0].obligation).await,
        1_128_986_786_666_666_666
    );

    // A request that leaves exactly $1 is a valid partial liquidation.
    h.liquidate(&liquidator, &borrowers[1], USDC, BTC, args(150 * USDC_UNIT))
        .await
        .unwrap();
    assert_eq!(
        debt_of(&mut h, &borrowers[1].obligation, USDC).await,
        USDC_UNIT
    );
    assert_eq!(
        h.balance(&liquidator.tokens[BTC]).await,
        298_130 - 2_294 + 296_155 - 2_279
    );
    assert_eq!(
        health(&mut h, &borrowers[1].obligation).await,
        1_127_021_741_721_854_304
    );
    assert_eq!(
        h.reserve(BTC).await.pending_insurance_wad,
        (2_294 + 2_279) * WAD
    );
}

#[tokio::test]
async fn a_fully_utilized_collateral_reserve_is_liquidated_into_supply_shares() {
    // 400 SOL against 40 000 USDC, and every SOL in the reserve lent out to someone else.
    let Loan {
        mut h,
        lender,
        borrower,
        liquidator,
    } = loan(
        SOL,
        400 * SOL_UNIT,
        USDC,
        100_000 * USDC_UNIT,
        40_000 * USDC_UNIT,
    )
    .await;
    let utilizer = h.borrower(BTC, 10 * BTC_UNIT, SOL, 400 * SOL_UNIT).await;
    assert_eq!(h.reserve(SOL).await.available_liquidity, 0);
    h.set_price(SOL, 120.0);
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        960_000_000_000_000_000
    );
    let users = [&borrower, &liquidator, &utilizer];

    // In tokens: there are none to pay out.
    let before = h.snapshot_users(&users).await;
    let result = h
        .liquidate(&liquidator, &borrower, USDC, SOL, args(u64::MAX))
        .await;
    h.assert_rejected(result, BallastError::InsufficientLiquidity, &users, &before)
        .await;

    // In shares: the same sizing as in tokens (176.666666666 SOL seized, 2 SOL fee), the
    // liquidator's floor applying to the shares' value.
    let seized = 176_666_666_666u64;
    let out = seized - 2 * SOL_UNIT;
    let shares_mode = LiquidateArgs {
        max_repay: u64::MAX,
        min_collateral_out: out + 1,
        receive_shares: true,
    };
    let result = h
        .liquidate(&liquidator, &borrower, USDC, SOL, shares_mode)
        .await;
    h.assert_rejected(result, BallastError::SlippageExceeded, &users, &before)
        .await;
    let shares_mode = LiquidateArgs {
        min_collateral_out: out,
        ..shares_mode
    };
    h.liquidate(&liquidator, &borrower, USDC, SOL, shares_mode)
        .await
        .unwrap();
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        400_000 * USDC_UNIT - 20_000 * USDC_UNIT
    );
    assert_eq!(h.balance(&liquidator.tokens[SOL]).await, 0);
    assert_eq!(
        shares_of(&mut h, &liquidator.obligation, SOL).await,
        u128::from(out) * 1_000_000
    );
    assert_eq!(
        deposit_tokens_of(&mut h, &liquidator.obligation, SOL).await,
        out
    );
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        1_072_000_000_003_200_000
    );
    let sol = h.reserve(SOL).await;
    assert_eq!(sol.available_liquidity, 0);
    assert_eq!(sol.pending_insurance_wad, 2 * u128::from(SOL_UNIT) * WAD);
    assert_eq!(sol.share_value_wad().unwrap(), 1_000_000_000_000);

    // Once liquidity returns the liquidator redeems exactly that, and the fee reaches the fund.
    h.repay(&utilizer, &utilizer.obligation, SOL, u64::MAX)
        .await
        .unwrap();
    h.collect_fees(SOL).await.unwrap();
    assert_eq!(
        h.balance(&h.assets[SOL].keys.fund_vault.clone()).await,
        2 * SOL_UNIT
    );
    h.withdraw(&liquidator, SOL, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&liquidator.tokens[SOL]).await, out);
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
        utilizer.obligation,
    ])
    .await;
}

#[tokio::test]
async fn a_seize_that_would_leave_collateral_dust_must_take_the_whole_position() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    // 0.5 BTC and 1 SOL against 20 000 USDC; BTC falls to $48 700: HF 0.98.
    let borrower = h.funded_user(BTC, BTC_UNIT / 2).await;
    h.mint_to(SOL, &borrower.tokens[SOL], SOL_UNIT).await;
    h.deposit(&borrower, BTC, BTC_UNIT / 2).await.unwrap();
    h.deposit(&borrower, SOL, SOL_UNIT).await.unwrap();
    h.borrow(&borrower, USDC, 20_000 * USDC_UNIT).await.unwrap();
    let liquidator = h.funded_user(USDC, 1_000 * USDC_UNIT).await;
    h.set_price(BTC, 48_700.0);
    let health_before = health(&mut h, &borrower.obligation).await;
    assert_eq!(health_before, 980_000_000_000_000_000);

    // 144 USDC × 1.04 / $150 = 0.9984 SOL would leave 0.0016 SOL ($0.24) of collateral: dust.
    // Taking all of it costs ⌈150 / 1.04⌉ = 144.230770 USDC, more than the liquidator allows.
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h
        .liquidate(&liquidator, &borrower, USDC, SOL, args(144 * USDC_UNIT))
        .await;
    h.assert_rejected(
        result,
        BallastError::LiquidationWouldLeaveDust,
        &users,
        &before,
    )
    .await;

    // Allowing 145 takes the whole SOL position for exactly 144.230770 USDC.
    h.liquidate(&liquidator, &borrower, USDC, SOL, args(145 * USDC_UNIT))
        .await
        .unwrap();
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        1_000 * USDC_UNIT - 144_230_770
    );
    // Fee ⌈1 SOL × 4 % × 20 % / 1.04⌉ = 7 692 308 units.
    assert_eq!(
        h.balance(&liquidator.tokens[SOL]).await,
        SOL_UNIT - 7_692_308
    );
    assert_eq!(shares_of(&mut h, &borrower.obligation, SOL).await, 0);
    assert_eq!(h.reserve(SOL).await.pending_insurance_wad, 7_692_308 * WAD);
    assert_eq!(
        debt_of(&mut h, &borrower.obligation, USDC).await,
        20_000 * USDC_UNIT - 144_230_770
    );
    assert!(health(&mut h, &borrower.obligation).await > health_before);
    assert_eq!(
        h.reserve(USDC).await.share_value_wad().unwrap(),
        1_000_000_000_000
    );
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
    ])
    .await;
}
