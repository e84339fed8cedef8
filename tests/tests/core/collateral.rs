//! `set_collateral`: without debt no price is read; with debt, enabling needs a valid strict
//! price for the enabled reserve and disabling ends with the strict borrow-limit check. A
//! deposit opens a new slot disabled while the obligation owes anything.

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast_client as client;
use ballast_tests::fixture::*;

use super::common::*;

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
    let _lender = h.lender(USDC, 10 * USDC_10K).await;
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
async fn enabling_collateral_with_debt_needs_a_valid_strict_price_for_that_reserve_only() {
    let mut h = Harness::new().await;
    let borrower = two_collaterals(&mut h).await;
    h.set_collateral(&borrower, SOL, false).await.unwrap();
    let sol = h.assets[SOL].keys.reserve;
    // Regression (issue 9, item 3): enabling used to read no price, so a position whose feed
    // was broken could join the valuation and block every liquidation of the obligation.
    let sol_feed = h.assets[SOL].feed;
    let mut stale = sol_feed;
    stale.publish_time = h.now - 61;
    h.publish(SOL, stale);
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.set_collateral(&borrower, SOL, true).await;
    h.assert_rejected(result, BallastError::OracleStale, &[&borrower], &before)
        .await;
    // Only the enabled reserve's price is read: every other feed may be broken.
    break_every_oracle(&mut h);
    h.publish(SOL, sol_feed);
    h.set_collateral(&borrower, SOL, true).await.unwrap();
    assert!(collateral_enabled(
        &h.obligation(&borrower.obligation).await,
        &sol
    ));
}

#[tokio::test]
async fn enabling_with_debt_must_name_the_enabled_reserve_and_its_oracle() {
    let mut h = Harness::new().await;
    let borrower = two_collaterals(&mut h).await;
    h.set_collateral(&borrower, SOL, false).await.unwrap();
    let sol = h.assets[SOL].keys.reserve;
    let btc = h.assets[BTC].keys;
    let obligation = h.obligation(&borrower.obligation).await;
    let wrong = [
        vec![],
        vec![
            anchor_lang::prelude::AccountMeta::new_readonly(btc.reserve, false),
            anchor_lang::prelude::AccountMeta::new_readonly(btc.oracle, false),
        ],
        h.remaining(&obligation, false),
    ];
    for remaining in wrong {
        let before = h.snapshot_users(&[&borrower]).await;
        let ix = client::set_collateral(
            &borrower.pubkey(),
            &h.market,
            &borrower.obligation,
            &sol,
            true,
            remaining,
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
}

#[tokio::test]
async fn a_deposit_into_a_new_reserve_while_in_debt_starts_disabled_and_one_transaction_rescues() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 10 * USDC_10K).await;
    let borrower = btc_holder(&mut h).await;
    h.borrow(&borrower, USDC, 20_000_000_000).await.unwrap();
    // Regression (issue 9, item 3): the slot used to open enabled without reading a price.
    h.mint_to(SOL, &borrower.tokens[SOL], 20 * ONE_SOL).await;
    h.deposit(&borrower, SOL, ONE_SOL).await.unwrap();
    let sol = h.assets[SOL].keys.reserve;
    assert!(!collateral_enabled(
        &h.obligation(&borrower.obligation).await,
        &sol
    ));
    // A borrower rescuing a position tops up an existing collateral with a deposit alone, or
    // brings a new one with a deposit and an enable in the same transaction.
    let obligation = h.obligation(&borrower.obligation).await;
    let deposit = client::deposit(
        &borrower.pubkey(),
        &h.market,
        &h.assets[SOL].keys,
        &borrower.obligation,
        &borrower.tokens[SOL],
        10 * ONE_SOL,
    );
    let enable = client::set_collateral(
        &borrower.pubkey(),
        &h.market,
        &borrower.obligation,
        &sol,
        true,
        client::set_collateral_remaining(&obligation, &sol, true, |r| h.oracle_of(r)),
    );
    h.send(&[deposit, enable], &[&borrower.keypair])
        .await
        .unwrap();
    let obligation = h.obligation(&borrower.obligation).await;
    assert!(collateral_enabled(&obligation, &sol));
    assert_eq!(h.balance(&borrower.tokens[SOL]).await, 9 * ONE_SOL);
    // Without debt a new slot opens enabled, as before.
    let saver = h.lender(SOL, ONE_SOL).await;
    assert!(collateral_enabled(
        &h.obligation(&saver.obligation).await,
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
    untouched(&[&user, &thief], &extra, &before)
        .refuses(&mut h, ix, &thief, BallastError::NotObligationOwner)
        .await;
    let ix = client::set_collateral(
        &user.pubkey(),
        &foreign.market,
        &user.obligation,
        &btc,
        false,
        vec![],
    );
    untouched(&[&user, &thief], &extra, &before)
        .refuses(&mut h, ix, &user, BallastError::WrongMarket)
        .await;
}
