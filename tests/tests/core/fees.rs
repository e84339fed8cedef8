//! `collect_fees` (permissionless sweep of protocol fees to the fee receiver's treasury and of
//! insurance into the fund vault) and `fund_reserve`.

use ballast::errors::BallastError;
use ballast::instructions::MarketUpdate;
use ballast::math::WAD;
use ballast::state::PAUSE_ALL;
use ballast_client as client;
use ballast_tests::fixture::*;
use solana_sdk::signature::Signer;

use super::common::*;

/// A year of 50 000 USDC borrowed out of 100 000, then the borrower repays everything.
async fn a_year_of_interest(h: &mut Harness) -> (User, User) {
    let lender = h.lender(USDC, 10 * USDC_10K).await;
    let borrower = h.borrower(BTC, 2 * ONE_BTC, USDC, 5 * USDC_10K).await;
    h.advance(365 * 86_400);
    h.mint_to(USDC, &borrower.tokens[USDC], USDC_10K).await;
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    (lender, borrower)
}

#[tokio::test]
async fn collecting_sends_whole_protocol_fees_to_the_treasury_and_insurance_to_the_fund() {
    let mut h = Harness::new().await;
    let (lender, borrower) = a_year_of_interest(&mut h).await;
    let keys = h.assets[USDC].keys;
    let before = h.reserve(USDC).await;
    let fees = u64::try_from(before.protocol_fees_wad / WAD).unwrap();
    let insurance = u64::try_from(before.pending_insurance_wad / WAD).unwrap();
    // 10 % and 5 % of roughly 1 750 USDC of interest.
    assert!(
        fees > 150_000_000 && insurance > 75_000_000,
        "{fees} {insurance}"
    );
    let vault = h.balance(&keys.liquidity_vault).await;
    let fund_vault = h.balance(&keys.fund_vault).await;

    h.collect_fees(USDC).await.unwrap();
    let treasury = h.treasuries[USDC];
    assert_eq!(h.balance(&treasury).await, fees);
    assert_eq!(h.balance(&keys.fund_vault).await, fund_vault + insurance);
    assert_eq!(
        h.balance(&keys.liquidity_vault).await,
        vault - fees - insurance
    );
    let after = h.reserve(USDC).await;
    assert_eq!(after.protocol_fees_wad, before.protocol_fees_wad % WAD);
    assert_eq!(
        after.pending_insurance_wad,
        before.pending_insurance_wad % WAD
    );
    assert_eq!(after.fund_balance, before.fund_balance + insurance);
    assert_eq!(
        after.available_liquidity,
        before.available_liquidity - fees - insurance
    );
    assert_eq!(
        h.balance(&keys.liquidity_vault).await,
        after.available_liquidity
    );
    assert_eq!(h.balance(&keys.fund_vault).await, after.fund_balance);
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;

    // Depositors are left exactly what is theirs: the lender takes it all out.
    h.withdraw(&lender, USDC, u64::MAX).await.unwrap();
    let reserve = h.reserve(USDC).await;
    assert!(
        reserve.available_liquidity <= 1,
        "dust left for virtual shares"
    );
}

#[tokio::test]
async fn collecting_twice_in_the_same_second_moves_nothing_the_second_time() {
    let mut h = Harness::new().await;
    let _ = a_year_of_interest(&mut h).await;
    h.collect_fees(USDC).await.unwrap();
    let before = h.snapshot_users(&[]).await;
    h.collect_fees(USDC).await.unwrap();
    assert_eq!(h.snapshot_users(&[]).await, before);
}

#[tokio::test]
async fn anyone_may_collect_and_it_works_while_everything_is_paused() {
    let mut h = Harness::new().await;
    let _ = a_year_of_interest(&mut h).await;
    let risk = h.risk_authority.insecure_clone();
    h.update_market(
        &risk,
        MarketUpdate::SetPauseFlags {
            pause_flags: PAUSE_ALL,
        },
    )
    .await
    .unwrap();
    let fees = u64::try_from(h.reserve(USDC).await.protocol_fees_wad / WAD).unwrap();
    let stranger = h.user().await;
    let ix = client::collect_fees(
        &stranger.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &h.treasuries[USDC],
    );
    h.send(&[ix], &[&stranger.keypair]).await.unwrap();
    let treasury = h.treasuries[USDC];
    assert_eq!(h.balance(&treasury).await, fees);
}

#[tokio::test]
async fn fees_cannot_be_collected_to_a_treasury_the_fee_receiver_does_not_own() {
    let mut h = Harness::new().await;
    let _ = a_year_of_interest(&mut h).await;
    let thief = h.user().await;
    let before = h.snapshot_users(&[&thief]).await;
    let ix = client::collect_fees(
        &thief.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &thief.tokens[USDC],
    );
    let result = h.send(&[ix], &[&thief.keypair]).await;
    h.assert_rejected(result, BallastError::WrongFeeReceiver, &[&thief], &before)
        .await;
}

#[tokio::test]
async fn a_new_fee_receiver_takes_over_the_treasury_role() {
    let mut h = Harness::new().await;
    let _ = a_year_of_interest(&mut h).await;
    let receiver = h.user().await;
    let admin = h.admin.insecure_clone();
    h.update_market(
        &admin,
        MarketUpdate::SetFeeReceiver {
            fee_receiver: receiver.pubkey(),
        },
    )
    .await
    .unwrap();
    let before = h.snapshot_users(&[&receiver]).await;
    let result = h.collect_fees(USDC).await;
    h.assert_rejected(
        result,
        BallastError::WrongFeeReceiver,
        &[&receiver],
        &before,
    )
    .await;
    let fees = u64::try_from(h.reserve(USDC).await.protocol_fees_wad / WAD).unwrap();
    let ix = client::collect_fees(
        &receiver.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &receiver.tokens[USDC],
    );
    h.send(&[ix], &[&receiver.keypair]).await.unwrap();
    assert_eq!(h.balance(&receiver.tokens[USDC]).await, fees);
}

#[tokio::test]
async fn collecting_to_a_treasury_of_another_mint_or_through_another_market_is_refused() {
    let mut h = Harness::new().await;
    let foreign = foreign_market(&mut h).await;
    let _ = a_year_of_interest(&mut h).await;
    let extra = foreign.accounts();
    let before = snapshot(&mut h, &[], &extra).await;
    let payer = h.payer.pubkey();
    let ix = client::collect_fees(&payer, &h.market, &h.assets[USDC].keys, &h.treasuries[BTC]);
    let result = h.send(&[ix], &[]).await;
    assert_refused_with(
        &mut h,
        result,
        BallastError::WrongMint,
        &[],
        &extra,
        &before,
    )
    .await;
    let ix = client::collect_fees(&payer, &h.market, &foreign.usdc, &h.treasuries[USDC]);
    let result = h.send(&[ix], &[]).await;
    assert_refused_with(
        &mut h,
        result,
        BallastError::WrongMarket,
        &[],
        &extra,
        &before,
    )
    .await;
}

#[tokio::test]
async fn collecting_through_another_reserves_vault_is_refused() {
    let mut h = Harness::new().await;
    let _ = a_year_of_interest(&mut h).await;
    let usdc = h.assets[USDC].keys;
    let btc = h.assets[BTC].keys;
    let payer = h.payer.pubkey();
    for keys in [
        client::ReserveKeys {
            fund_vault: btc.fund_vault,
            ..usdc
        },
        client::ReserveKeys {
            liquidity_vault: btc.liquidity_vault,
            ..usdc
        },
    ] {
        let before = h.snapshot_users(&[]).await;
        let ix = client::collect_fees(&payer, &h.market, &keys, &h.treasuries[USDC]);
        let result = h.send(&[ix], &[]).await;
        h.assert_rejected(result, BallastError::WrongVault, &[], &before)
            .await;
    }
}

// ----- fund_reserve -----------------------------------------------------------------------

#[tokio::test]
async fn a_fund_contribution_lands_in_the_fund_vault_without_a_price() {
    let mut h = Harness::new().await;
    let donor = h.funded_user(BTC, 5_000).await;
    break_every_oracle(&mut h);
    h.fund_reserve(&donor, BTC, 4_321).await.unwrap();
    let keys = h.assets[BTC].keys;
    assert_eq!(h.balance(&donor.tokens[BTC]).await, 679);
    assert_eq!(h.balance(&keys.fund_vault).await, 4_321);
    let reserve = h.reserve(BTC).await;
    assert_eq!(reserve.fund_balance, 4_321);
    assert_eq!(reserve.cumulative_fund_contributions, 4_321);
    assert_eq!(reserve.available_liquidity, 0, "the fund is not liquidity");
}

#[tokio::test]
async fn a_zero_or_wrong_mint_fund_contribution_is_refused() {
    let mut h = Harness::new().await;
    let donor = h.funded_user(BTC, 5_000).await;
    let before = h.snapshot_users(&[&donor]).await;
    let result = h.fund_reserve(&donor, BTC, 0).await;
    h.assert_rejected(result, BallastError::ZeroAmount, &[&donor], &before)
        .await;
    let ix = client::fund_reserve(
        &donor.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &donor.tokens[BTC],
        1_000,
    );
    let result = h.send(&[ix], &[&donor.keypair]).await;
    h.assert_rejected(result, BallastError::WrongMint, &[&donor], &before)
        .await;
}

#[tokio::test]
async fn fees_beyond_free_liquidity_stay_on_the_books_until_liquidity_returns() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, USDC_10K).await;
    let borrower = h.lender(BTC, ONE_BTC).await;
    // Everything lent out: 100 % utilization, 80 % a year.
    h.borrow(&borrower, USDC, USDC_10K).await.unwrap();
    h.advance(30 * 86_400);
    h.collect_fees(USDC).await.unwrap();
    let treasury = h.treasuries[USDC];
    assert_eq!(
        h.balance(&treasury).await,
        0,
        "no free liquidity to pay from"
    );
    let reserve = h.reserve(USDC).await;
    let fees = u64::try_from(reserve.protocol_fees_wad / WAD).unwrap();
    assert!(fees > 0);
    h.mint_to(USDC, &borrower.tokens[USDC], USDC_10K).await;
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    h.collect_fees(USDC).await.unwrap();
    assert_eq!(h.balance(&treasury).await, fees);
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
}
