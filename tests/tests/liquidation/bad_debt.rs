//! Bad debt: realization inside a liquidation and by `realize_bad_debt`, the waterfall
//! (pending insurance, fund tokens, depositors), frozen reserves, and what still works after.

use ballast::math::health::HEALTH_INFINITE;
use ballast::math::WAD;
use ballast_tests::fixture::*;

use crate::common::*;

#[tokio::test]
async fn several_borrows_are_realized_in_one_instruction() {
    let mut h = Harness::new().await;
    let usdc_lender = h.funded_user(USDC, 100_000 * USDC_UNIT).await;
    h.deposit(&usdc_lender, USDC, 100_000 * USDC_UNIT).await.unwrap();
    let sol_lender = h.funded_user(SOL, 1_000 * SOL_UNIT).await;
    h.deposit(&sol_lender, SOL, 1_000 * SOL_UNIT).await.unwrap();
    let contributor = h.funded_user(USDC, 5_000 * USDC_UNIT).await;
    h.mint_to(SOL, &contributor.tokens[SOL], 10 * SOL_UNIT).await;
    h.fund_reserve(&contributor, USDC, 5_000 * USDC_UNIT).await.unwrap();
    h.fund_reserve(&contributor, SOL, 10 * SOL_UNIT).await.unwrap();
    let borrower = h.funded_user(BTC, BTC_UNIT).await;
    h.deposit(&borrower, BTC, BTC_UNIT).await.unwrap();
    h.borrow(&borrower, USDC, 20_000 * USDC_UNIT).await.unwrap();
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
    assert_eq!(usdc.cumulative_fund_covered_wad, u128::from(usdc_left) * WAD);
    assert_eq!(usdc.cumulative_socialized_wad, 0);
    assert_eq!(usdc.total_scaled_debt, 0);
    assert_eq!(usdc.share_value_wad().unwrap(), 1_000_000_000_000);

    // SOL: 100 SOL written off, the fund's 10 SOL cover part, 90 SOL fall on the 1 000 SOL
    // of deposits: the share value falls from 1.00 to 0.91 (per 10⁶ shares).
    let sol = h.reserve(SOL).await;
    assert_eq!(sol.fund_balance, 0);
    assert_eq!(sol.fund_receivable, 10 * SOL_UNIT);
    assert_eq!(sol.cumulative_fund_covered_wad, u128::from(10 * SOL_UNIT) * WAD);
    assert_eq!(sol.cumulative_socialized_wad, u128::from(90 * SOL_UNIT) * WAD);
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
