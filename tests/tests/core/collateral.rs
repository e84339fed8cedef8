//! `set_collateral`: enabling never needs a price, disabling with debt ends with the strict
//! borrow-limit check.

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast_tests::client;
use ballast_tests::fixture::*;

use crate::common::*;

fn collateral_enabled(obligation: &ballast::state::Obligation, reserve: &Pubkey) -> bool {
    obligation.deposit(reserve).unwrap().collateral_enabled
}

#[tokio::test]
async fn without_debt_a_deposit_is_switched_off_and_on_as_collateral_with_no_price() {
    let mut h = Harness::new().await;
    let user = btc_holder(&mut h).await;
    let btc = h.assets[BTC].keys.reserve;
    break_every_oracle(&mut h);
    h.set_collateral(&user, BTC, false).await.unwrap();
    assert!(!collateral_enabled(
        &h.obligation(&user.obligation).await,
        &btc
    ));
    h.set_collateral(&user, BTC, true).await.unwrap();
    let obligation = h.obligation(&user.obligation).await;
    assert!(collateral_enabled(&obligation, &btc));
    assert_eq!(
        obligation.deposit(&btc).unwrap().shares,
        u128::from(ONE_BTC) * SHARES_PER_UNIT,
        "the position itself is untouched"
    );
}

/// A borrower with one BTC and ten SOL of collateral owing 20 000 USDC.
async fn two_collaterals(h: &mut Harness) -> User {
    let _lender = lender(h, USDC, 10 * USDC_10K).await;
    let borrower = btc_holder(h).await;
    h.mint_to(SOL, &borrower.tokens[SOL], 10 * ONE_SOL).await;
    h.deposit(&borrower, SOL, 10 * ONE_SOL).await.unwrap();
    h.borrow(&borrower, USDC, 20_000_000_000).await.unwrap();
    borrower
}

#[tokio::test]
async fn with_debt_a_collateral_can_be_disabled_while_the_rest_covers_the_debt() {
    let mut h = Harness::new().await;
    let borrower = two_collaterals(&mut h).await;
    h.set_collateral(&borrower, SOL, false).await.unwrap();
    let sol = h.assets[SOL].keys.reserve;
    assert!(!collateral_enabled(
        &h.obligation(&borrower.obligation).await,
        &sol
    ));
    // A non-collateral deposit can then leave in full while the debt stays.
    h.withdraw(&borrower, SOL, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[SOL]).await, 10 * ONE_SOL);
}

#[tokio::test]
async fn disabling_the_collateral_the_debt_needs_is_refused_and_changes_nothing() {
    let mut h = Harness::new().await;
    let borrower = two_collaterals(&mut h).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.set_collateral(&borrower, BTC, false).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
}

#[tokio::test]
async fn disabling_collateral_with_debt_under_a_stale_or_foreign_price_is_refused() {
    let mut h = Harness::new().await;
    let borrower = two_collaterals(&mut h).await;
    h.advance(61);
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.set_collateral(&borrower, SOL, false).await;
    h.assert_rejected(result, BallastError::OracleStale, &[&borrower], &before)
        .await;

    h.refresh_prices();
    give_oracle_to_a_stranger(&mut h, USDC);
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.set_collateral(&borrower, SOL, false).await;
    h.assert_rejected(
        result,
        BallastError::OracleWrongOwner,
        &[&borrower],
        &before,
    )
    .await;
}

#[tokio::test]
async fn disabling_collateral_with_debt_and_no_remaining_accounts_is_refused() {
    let mut h = Harness::new().await;
    let borrower = two_collaterals(&mut h).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let ix = client::set_collateral(
        &borrower.pubkey(),
        &h.market,
        &borrower.obligation,
        &h.assets[SOL].keys.reserve,
        false,
        vec![],
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    h.assert_rejected(
        result,
        BallastError::InvalidRemainingAccounts,
        &[&borrower],
        &before,
    )
    .await;
}

#[tokio::test]
async fn enabling_collateral_with_debt_needs_no_price() {
    let mut h = Harness::new().await;
    let borrower = two_collaterals(&mut h).await;
    h.set_collateral(&borrower, SOL, false).await.unwrap();
    break_every_oracle(&mut h);
    h.set_collateral(&borrower, SOL, true).await.unwrap();
    let sol = h.assets[SOL].keys.reserve;
    assert!(collateral_enabled(
        &h.obligation(&borrower.obligation).await,
        &sol
    ));
}

#[tokio::test]
async fn a_reserve_the_obligation_holds_no_deposit_in_is_refused() {
    let mut h = Harness::new().await;
    let user = btc_holder(&mut h).await;
    for reserve in [h.assets[USDC].keys.reserve, Pubkey::default()] {
        let before = h.snapshot_users(&[&user]).await;
        let ix = client::set_collateral(
            &user.pubkey(),
            &h.market,
            &user.obligation,
            &reserve,
            true,
            vec![],
        );
        let result = h.send(&[ix], &[&user.keypair]).await;
        h.assert_rejected(result, BallastError::NoDepositInReserve, &[&user], &before)
            .await;
    }
}

#[tokio::test]
async fn only_the_owner_switches_collateral_and_only_through_its_market() {
    let mut h = Harness::new().await;
    let foreign = foreign_market(&mut h).await;
    let user = btc_holder(&mut h).await;
    let thief = h.user().await;
    let btc = h.assets[BTC].keys.reserve;
    let extra = foreign.accounts();
    let before = snapshot(&mut h, &[&user, &thief], &extra).await;
    let ix = client::set_collateral(
        &thief.pubkey(),
        &h.market,
        &user.obligation,
        &btc,
        false,
        vec![],
    );
    let result = h.send(&[ix], &[&thief.keypair]).await;
    assert_refused_with(
        &mut h,
        result,
        BallastError::NotObligationOwner,
        &[&user, &thief],
        &extra,
        &before,
    )
    .await;
    let ix = client::set_collateral(
        &user.pubkey(),
        &foreign.market,
        &user.obligation,
        &btc,
        false,
        vec![],
    );
    let result = h.send(&[ix], &[&user.keypair]).await;
    assert_refused_with(
        &mut h,
        result,
        BallastError::WrongMarket,
        &[&user, &thief],
        &extra,
        &before,
    )
    .await;
}
