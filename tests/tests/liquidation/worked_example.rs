//! The worked example of docs/liquidation.md, reproduced to the unit: one liquidation, then the
//! bad-debt waterfall after a crash. Change a number here and the doc must change with it.

use ballast::math::health::HEALTH_INFINITE;
use ballast::math::WAD;
use ballast_tests::fixture::*;

use super::common::*;

#[tokio::test]
async fn the_worked_example_in_the_docs_reproduces_to_the_unit() {
    let mut h = Harness::new().await;
    // Lender: 100 000 USDC. Fund: 5 000 USDC contributed. Borrower: 1.2 BTC at $60 000,
    // borrows 40 000 USDC.
    let lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let contributor = h.funded_user(USDC, 5_000 * USDC_UNIT).await;
    h.fund_reserve(&contributor, USDC, 5_000 * USDC_UNIT)
        .await
        .unwrap();
    let borrower = h.borrower(BTC, 120_000_000, USDC, 40_000 * USDC_UNIT).await;
    let liquidator = h.funded_user(USDC, 50_000 * USDC_UNIT).await;
    let usdc_fund_vault = h.assets[USDC].keys.fund_vault;
    let btc_fund_vault = h.assets[BTC].keys.fund_vault;

    // Step 1. BTC falls to $40 000: collateral $48 000, weighted 0.8 × 48 000 = 38 400,
    // debt 40 000: HF 0.96.
    h.set_price(BTC, 40_000.0);
    assert_eq!(
        liquidation_totals(&mut h, &borrower.obligation)
            .await
            .collateral_value,
        48_000 * WAD
    );
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        960_000_000_000_000_000
    );

    // Step 2. The liquidator asks to repay 50 000 USDC: clipped to the 50 % close factor,
    // 20 000. Bonus 2 % + (1 − 0.96) = 6 % (under the 10 % maximum and the 19.99 % buffer).
    // Seized: 20 000 × 1.06 / 40 000 = 0.53 BTC; the bonus in it is 0.03 BTC, of which 20 %,
    // 0.006 BTC ($240), is the protocol fee to the BTC fund; 0.524 BTC to the liquidator.
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(50_000 * USDC_UNIT))
        .await
        .unwrap();
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        30_000 * USDC_UNIT
    );
    assert_eq!(h.balance(&liquidator.tokens[BTC]).await, 52_400_000);
    assert_eq!(
        deposit_tokens_of(&mut h, &borrower.obligation, BTC).await,
        67_000_000
    );
    assert_eq!(
        debt_of(&mut h, &borrower.obligation, USDC).await,
        20_000 * USDC_UNIT
    );
    // HF after: 0.8 × 0.67 × 40 000 / 20 000 = 1.072.
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        1_072_000_000_000_000_000
    );
    assert_eq!(h.reserve(BTC).await.pending_insurance_wad, 600_000 * WAD);
    h.collect_fees(BTC).await.unwrap();
    assert_eq!(h.balance(&btc_fund_vault).await, 600_000);
    assert_eq!(h.reserve(BTC).await.fund_balance, 600_000);
    assert_eq!(
        h.reserve(USDC).await.share_value_wad().unwrap(),
        1_000_000_000_000
    );

    // Step 3. BTC crashes to $0.10: 0.67 BTC is worth $0.067, at most the $0.10 dust value,
    // with 20 000 USDC still owed. Anyone realizes the bad debt.
    h.set_price(BTC, 0.10);
    assert_eq!(
        liquidation_totals(&mut h, &borrower.obligation)
            .await
            .collateral_value,
        67_000_000_000_000_000
    );
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        2_680_000_000_000
    );
    let stranger = h.user().await;
    h.realize_bad_debt(&stranger, &borrower.obligation)
        .await
        .unwrap();

    // The waterfall on 20 000 USDC: pending insurance 0 (no time passed), the fund's 5 000
    // USDC, then 15 000 USDC socialized over 100 000 USDC of deposits: the value of 10⁶ shares
    // (one USDC unit at launch) falls from 1.000000 to 0.850000.
    let usdc = h.reserve(USDC).await;
    assert_eq!(
        usdc.cumulative_fund_covered_wad,
        u128::from(5_000 * USDC_UNIT) * WAD
    );
    assert_eq!(
        usdc.cumulative_socialized_wad,
        u128::from(15_000 * USDC_UNIT) * WAD
    );
    assert_eq!(usdc.fund_balance, 0);
    assert_eq!(usdc.fund_receivable, 5_000 * USDC_UNIT);
    assert_eq!(usdc.share_value_wad().unwrap(), 850_000_000_001);
    assert_eq!(health(&mut h, &borrower.obligation).await, HEALTH_INFINITE);
    // The 0.67 BTC left is dust; it goes to the BTC fund rather than staying with the borrower.
    assert!(h.obligation(&borrower.obligation).await.is_empty());
    assert_eq!(h.reserve(BTC).await.pending_insurance_wad, 67_000_000 * WAD);

    // Step 4. `collect_fees` moves the fund's 5 000 USDC into the liquidity vault and the BTC
    // dust into the BTC fund vault; the lender withdraws 85 000 USDC.
    h.collect_fees(USDC).await.unwrap();
    h.collect_fees(BTC).await.unwrap();
    assert_eq!(h.balance(&usdc_fund_vault).await, 0);
    assert_eq!(h.balance(&btc_fund_vault).await, 67_600_000);
    h.withdraw(&lender, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&lender.tokens[USDC]).await, 85_000 * USDC_UNIT);
    h.check_invariants(&[
        lender.obligation,
        contributor.obligation,
        borrower.obligation,
        liquidator.obligation,
        stranger.obligation,
    ])
    .await;
}
