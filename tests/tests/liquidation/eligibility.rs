//! Who may liquidate what: health below 1 under liquidation prices, never the owner, only
//! reserves of the obligation's market that the obligation actually holds.

use ballast::errors::BallastError;
use ballast::instructions::ReserveUpdate;
use ballast::math::WAD;
use ballast::state::PAUSE_LIQUIDATE;
use ballast_client::{self as client, LiquidationAccounts};
use ballast_tests::fixture::*;

use super::common::*;

/// 1 BTC against 40 000 USDC: at $50 000 a BTC the health factor is exactly 1.
async fn one_btc_against_forty_thousand_usdc() -> Loan {
    loan(BTC, BTC_UNIT, USDC, 100_000 * USDC_UNIT, 40_000 * USDC_UNIT).await
}

#[tokio::test]
async fn health_exactly_one_or_above_cannot_be_liquidated_and_just_below_can() {
    let Loan {
        mut h,
        lender,
        borrower,
        liquidator,
    } = one_btc_against_forty_thousand_usdc().await;
    let users = [&borrower, &liquidator];

    // $50 000.00000001: just above 1.
    set_price_mantissa(&mut h, BTC, 5_000_000_000_001);
    assert!(health(&mut h, &borrower.obligation).await > WAD);
    let before = h.snapshot_users(&users).await;
    let result = h
        .liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await;
    h.assert_rejected(result, BallastError::ObligationHealthy, &users, &before)
        .await;

    // $50 000: 0.8 × 50 000 = 40 000 = the debt, health exactly 1.
    set_price_mantissa(&mut h, BTC, 5_000_000_000_000);
    assert_eq!(health(&mut h, &borrower.obligation).await, WAD);
    let before = h.snapshot_users(&users).await;
    let result = h
        .liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await;
    h.assert_rejected(result, BallastError::ObligationHealthy, &users, &before)
        .await;

    // $49 999.99999999: health 0.9999999999998, liquidatable.
    set_price_mantissa(&mut h, BTC, 4_999_999_999_999);
    let health_before = health(&mut h, &borrower.obligation).await;
    assert_eq!(health_before, 999_999_999_999_800_000);
    let usdc_share_value = h.reserve(USDC).await.share_value_wad().unwrap();
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();

    // Close factor 50 % (HF ≥ 0.95, debt > $100): 20 000 USDC. Bonus 2 % + 0 = 2 %:
    // ⌊20 400 / 49 999.99999999⌋ BTC = 40 800 000 sat seized; fee ⌈40.8M × 2 % × 20 % / 1.02⌉
    // = 160 000 sat to the BTC fund, 40 640 000 sat to the liquidator.
    assert_eq!(
        h.balance(&liquidator.tokens[USDC]).await,
        400_000 * USDC_UNIT - 20_000 * USDC_UNIT
    );
    assert_eq!(h.balance(&liquidator.tokens[BTC]).await, 40_640_000);
    assert_eq!(
        deposit_tokens_of(&mut h, &borrower.obligation, BTC).await,
        BTC_UNIT - 40_800_000
    );
    assert_eq!(
        debt_of(&mut h, &borrower.obligation, USDC).await,
        20_000 * USDC_UNIT
    );
    let btc = h.reserve(BTC).await;
    assert_eq!(btc.pending_insurance_wad, 160_000 * WAD);
    assert_eq!(btc.fund_balance, 0);
    assert_eq!(
        h.reserve(USDC).await.share_value_wad().unwrap(),
        usdc_share_value
    );
    let health_after = health(&mut h, &borrower.obligation).await;
    assert!(health_after > health_before && health_after > WAD);
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
    ])
    .await;
}

#[tokio::test]
async fn the_owner_cannot_liquidate_their_own_obligation() {
    let Loan {
        mut h, borrower, ..
    } = one_btc_against_forty_thousand_usdc().await;
    h.set_price(BTC, 45_000.0);
    assert!(health(&mut h, &borrower.obligation).await < WAD);
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h
        .liquidate(&borrower, &borrower, USDC, BTC, args(u64::MAX))
        .await;
    h.assert_rejected(result, BallastError::SelfLiquidation, &[&borrower], &before)
        .await;
}

#[tokio::test]
async fn a_reserve_of_another_market_is_rejected() {
    let Loan {
        mut h,
        borrower,
        liquidator,
        ..
    } = one_btc_against_forty_thousand_usdc().await;
    let foreign_usdc = h.list_in_another_market(USDC).await;
    h.set_price(BTC, 45_000.0);
    let obligation = h.obligation(&borrower.obligation).await;
    let remaining = h.remaining(&obligation, true);
    let accounts = LiquidationAccounts {
        liquidator: liquidator.pubkey(),
        market: h.market,
        obligation: borrower.obligation,
        repay_source: liquidator.tokens[USDC],
        collateral_destination: Some(liquidator.tokens[BTC]),
        liquidator_obligation: None,
    };
    let btc = h.assets[BTC].keys;
    let users = [&borrower, &liquidator];

    // The foreign reserve as the repaid reserve.
    let before = h.snapshot_users(&users).await;
    let ix = client::liquidate(
        &accounts,
        &foreign_usdc,
        &btc,
        args(u64::MAX),
        remaining.clone(),
    );
    let result = h.send(&[ix], &[&liquidator.keypair]).await;
    h.assert_rejected(result, BallastError::WrongMarket, &users, &before)
        .await;

    // The foreign reserve as the seized reserve (the liquidator repays BTC it does not owe).
    let ix = client::liquidate(
        &LiquidationAccounts {
            repay_source: liquidator.tokens[BTC],
            collateral_destination: Some(liquidator.tokens[USDC]),
            ..accounts
        },
        &btc,
        &foreign_usdc,
        args(u64::MAX),
        remaining,
    );
    let result = h.send(&[ix], &[&liquidator.keypair]).await;
    h.assert_rejected(result, BallastError::WrongMarket, &users, &before)
        .await;
    assert_eq!(
        h.reserve(USDC).await.total_scaled_debt,
        40_000 * USDC_UNIT as u128 * WAD
    );
}

#[tokio::test]
async fn a_reserve_the_obligation_does_not_hold_is_rejected() {
    let Loan {
        mut h,
        borrower,
        liquidator,
        ..
    } = one_btc_against_forty_thousand_usdc().await;
    // The borrower also supplies 10 SOL with collateral disabled: not seizable either.
    h.mint_to(SOL, &borrower.tokens[SOL], 10 * SOL_UNIT).await;
    h.deposit(&borrower, SOL, 10 * SOL_UNIT).await.unwrap();
    h.set_collateral(&borrower, SOL, false).await.unwrap();
    h.set_price(BTC, 45_000.0);
    h.mint_to(SOL, &liquidator.tokens[SOL], 100 * SOL_UNIT)
        .await;
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;

    // Repaying SOL, which the obligation does not owe.
    let result = h
        .liquidate(&liquidator, &borrower, SOL, BTC, args(u64::MAX))
        .await;
    h.assert_rejected(result, BallastError::NoBorrowInReserve, &users, &before)
        .await;
    // Seizing BTC through the repaid side is not a thing either: BTC is not borrowed.
    let result = h
        .liquidate(&liquidator, &borrower, BTC, USDC, args(u64::MAX))
        .await;
    h.assert_rejected(result, BallastError::NoBorrowInReserve, &users, &before)
        .await;
    // Seizing SOL, which is deposited but not enabled as collateral.
    let result = h
        .liquidate(&liquidator, &borrower, USDC, SOL, args(u64::MAX))
        .await;
    h.assert_rejected(result, BallastError::NoDepositInReserve, &users, &before)
        .await;
}

#[tokio::test]
async fn a_liquidation_paused_on_either_reserve_is_rejected_until_unpaused() {
    let Loan {
        mut h,
        borrower,
        liquidator,
        ..
    } = one_btc_against_forty_thousand_usdc().await;
    h.set_price(BTC, 49_000.0);
    let users = [&borrower, &liquidator];
    let risk_authority = h.risk_authority.insecure_clone();
    let admin = h.admin.insecure_clone();
    for paused in [BTC, USDC] {
        h.update_reserve(
            &risk_authority,
            paused,
            ReserveUpdate::PauseFlags(PAUSE_LIQUIDATE),
        )
        .await
        .unwrap();
        let before = h.snapshot_users(&users).await;
        let result = h
            .liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
            .await;
        h.assert_rejected(result, BallastError::ActionPaused, &users, &before)
            .await;
        h.update_reserve(&admin, paused, ReserveUpdate::PauseFlags(0))
            .await
            .unwrap();
    }
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    assert_eq!(
        h.balance(&liquidator.tokens[BTC]).await,
        42_448_979 - 326_531
    );
}
