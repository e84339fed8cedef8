//! `borrow` and `repay`: balances to the token unit, the borrow limit to the unit, repay on
//! behalf and repay-all, and every rejection (including stale, non-trading and foreign oracles).

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast::instructions::{MarketUpdate, ReserveUpdate};
use ballast::math::WAD;
use ballast::state::{PAUSE_ALL, PAUSE_BORROW};
use ballast_bank::pyth::Feed;
use ballast_client as client;
use ballast_tests::fixture::*;

use super::common::*;

/// Most USDC one BTC of collateral can borrow at the fixture's prices: the strict collateral
/// price is 60 000 − 60 (one confidence interval), 75 % of it is the limit ($44 955), and each
/// USDC is valued at 1 + 0.001: ⌊44 955 / 1.001 × 10⁶⌋ units.
const MAX_USDC_FOR_ONE_BTC: u64 = 44_910_089_910;

/// A lender with 100 000 USDC and a borrower holding one BTC of collateral.
async fn market_with_liquidity(h: &mut Harness) -> (User, User) {
    let lender = h.lender(USDC, 10 * USDC_10K).await;
    let borrower = btc_holder(h).await;
    (lender, borrower)
}

fn usdc_reserve(h: &Harness) -> Pubkey {
    h.assets[USDC].keys.reserve
}

// ----- borrow -----------------------------------------------------------------------------

#[tokio::test]
async fn a_borrow_pays_out_exactly_the_amount_and_books_the_debt() {
    let mut h = Harness::new().await;
    let (lender, borrower) = market_with_liquidity(&mut h).await;
    let vault = h.assets[USDC].keys.liquidity_vault;
    h.borrow(&borrower, USDC, 1_234_567_891).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, 1_234_567_891);
    assert_eq!(h.balance(&vault).await, 100_000_000_000 - 1_234_567_891);
    let reserve = h.reserve(USDC).await;
    assert_eq!(reserve.available_liquidity, 100_000_000_000 - 1_234_567_891);
    assert_eq!(reserve.total_scaled_debt, 1_234_567_891 * WAD);
    assert_eq!(reserve.last_oracle_publish_time, h.start_time);
    let obligation = h.obligation(&borrower.obligation).await;
    let debt = obligation.borrow(&usdc_reserve(&h)).unwrap();
    assert_eq!(
        reserve.owed_tokens(debt.scaled_debt).unwrap(),
        1_234_567_891
    );
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
}

#[tokio::test]
async fn a_borrow_up_to_the_limit_passes_and_one_unit_more_is_refused_and_changes_nothing() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, MAX_USDC_FOR_ONE_BTC + 1).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
    h.borrow(&borrower, USDC, MAX_USDC_FOR_ONE_BTC)
        .await
        .unwrap();
    assert_eq!(
        h.balance(&borrower.tokens[USDC]).await,
        MAX_USDC_FOR_ONE_BTC
    );
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
}

#[tokio::test]
async fn the_borrow_limit_uses_the_lower_of_spot_and_ema_for_collateral() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    // The EMA lags at 50 000: collateral is valued at 50 000 − 60.
    tamper(&mut h, BTC, |feed| feed.ema_price = 5_000_000_000_000);
    let limit_units = (49_940u128 * 7_500 / 10_000) * 1_000_000 * 1_000 / 1_001;
    let limit = u64::try_from(limit_units).unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, limit + 1).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
    h.borrow(&borrower, USDC, limit).await.unwrap();
}

#[tokio::test]
async fn a_zero_borrow_is_refused_and_changes_nothing() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 0).await;
    h.assert_rejected(result, BallastError::ZeroAmount, &[&borrower], &before)
        .await;
}

#[tokio::test]
async fn an_overflow_sized_borrow_is_refused_and_changes_nothing() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, u64::MAX).await;
    h.assert_rejected(
        result,
        BallastError::InsufficientLiquidity,
        &[&borrower],
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_borrow_beyond_free_liquidity_is_refused() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 1_000_000_000).await;
    let borrower = btc_holder(&mut h).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1_000_000_001).await;
    h.assert_rejected(
        result,
        BallastError::InsufficientLiquidity,
        &[&borrower],
        &before,
    )
    .await;
    h.borrow(&borrower, USDC, 1_000_000_000).await.unwrap();
    assert_eq!(h.reserve(USDC).await.available_liquidity, 0);
}

#[tokio::test]
async fn a_borrow_over_the_borrow_cap_is_refused() {
    let mut h = Harness::with_assets(&default_assets(), |index, config| {
        if index == USDC {
            config.borrow_cap = 2_000_000_000;
        }
    })
    .await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    h.borrow(&borrower, USDC, 1_500_000_000).await.unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 500_000_001).await;
    h.assert_rejected(
        result,
        BallastError::BorrowCapExceeded,
        &[&borrower],
        &before,
    )
    .await;
    h.borrow(&borrower, USDC, 500_000_000).await.unwrap();
}

#[tokio::test]
async fn a_borrow_while_paused_on_the_reserve_or_the_market_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    let risk = h.risk_authority.insecure_clone();
    let admin = h.admin.insecure_clone();
    h.update_reserve(&risk, USDC, ReserveUpdate::PauseFlags(PAUSE_BORROW))
        .await
        .unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1_000_000).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&borrower], &before)
        .await;
    h.update_reserve(&admin, USDC, ReserveUpdate::PauseFlags(0))
        .await
        .unwrap();
    h.update_market(
        &risk,
        MarketUpdate::SetPauseFlags {
            pause_flags: PAUSE_BORROW,
        },
    )
    .await
    .unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1_000_000).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&borrower], &before)
        .await;
}

#[tokio::test]
async fn only_the_owner_can_borrow_against_an_obligation() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    let thief = h.user().await;
    let remaining = remaining_for_borrow(&mut h, &borrower, USDC).await;
    let before = h.snapshot_users(&[&borrower, &thief]).await;
    let ix = client::borrow(
        &thief.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &borrower.obligation,
        &thief.tokens[USDC],
        1_000_000,
        remaining,
    );
    let result = h.send(&[ix], &[&thief.keypair]).await;
    h.assert_rejected(
        result,
        BallastError::NotObligationOwner,
        &[&borrower, &thief],
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_borrow_to_a_token_account_of_another_mint_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    let remaining = remaining_for_borrow(&mut h, &borrower, USDC).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let ix = client::borrow(
        &borrower.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &borrower.obligation,
        &borrower.tokens[BTC],
        1_000_000,
        remaining,
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    h.assert_rejected(result, BallastError::WrongMint, &[&borrower], &before)
        .await;
}

#[tokio::test]
async fn a_borrow_from_another_markets_reserve_is_refused() {
    let mut h = Harness::new().await;
    let foreign = foreign_market(&mut h).await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    // Liquidity in the foreign reserve, so only the market check can refuse.
    let other = h.funded_user(USDC, 1_000_000_000).await;
    let market1_obligation = client::obligation_address(&foreign.market, &other.pubkey(), 0);
    h.send(
        &[client::init_obligation(&other.pubkey(), &foreign.market, 0)],
        &[&other.keypair],
    )
    .await
    .unwrap();
    let ix = client::deposit(
        &other.pubkey(),
        &foreign.market,
        &foreign.usdc,
        &market1_obligation,
        &other.tokens[USDC],
        1_000_000_000,
    );
    h.send(&[ix], &[&other.keypair]).await.unwrap();

    let mut remaining = remaining_now(&mut h, &borrower).await;
    remaining.extend(pair(&h, USDC));
    remaining[2].pubkey = foreign.usdc.reserve;
    let extra = foreign.accounts();
    let before = snapshot(&mut h, &[&borrower], &extra).await;
    for market in [h.market, foreign.market] {
        let ix = client::borrow(
            &borrower.pubkey(),
            &market,
            &foreign.usdc,
            &borrower.obligation,
            &borrower.tokens[USDC],
            1_000_000,
            remaining.clone(),
        );
        untouched(&[&borrower], &extra, &before)
            .refuses(&mut h, ix, &borrower, BallastError::WrongMarket)
            .await;
    }
}

#[tokio::test]
async fn a_borrow_without_enabled_collateral_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    h.set_collateral(&borrower, BTC, false).await.unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
}

/// A borrow of 1 000 USDC by `borrower` refused with `error`, nothing changed.
async fn assert_borrow_refused(h: &mut Harness, borrower: &User, error: BallastError) {
    let before = h.snapshot_users(&[borrower]).await;
    let result = h.borrow(borrower, USDC, 1_000_000_000).await;
    h.assert_rejected(result, error, &[borrower], &before).await;
}

#[tokio::test]
async fn a_borrow_under_a_stale_collateral_or_debt_price_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    h.advance(61);
    h.refresh_prices();
    tamper(&mut h, BTC, |feed| feed.publish_time -= 61);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleStale).await;
    h.refresh_prices();
    tamper(&mut h, USDC, |feed| feed.publish_time -= 61);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleStale).await;
    tamper(&mut h, USDC, |feed| feed.publish_time += 1);
    h.borrow(&borrower, USDC, 1_000_000_000).await.unwrap();
}

#[tokio::test]
async fn a_borrow_under_a_future_dated_price_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    tamper(&mut h, BTC, |feed| feed.publish_time += 1);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleFuture).await;
}

#[tokio::test]
async fn a_borrow_under_a_non_trading_price_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    for status in [0, 2, 3] {
        h.set_price(BTC, 60_000.0);
        tamper(&mut h, BTC, |feed| feed.status = status);
        assert_borrow_refused(&mut h, &borrower, BallastError::OracleNotTrading).await;
    }
}

#[tokio::test]
async fn a_borrow_under_an_oracle_owned_by_another_program_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    give_oracle_to_a_stranger(&mut h, USDC);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleWrongOwner).await;
}

#[tokio::test]
async fn a_borrow_under_a_wide_confidence_interval_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    // 2 % of 60 000 is allowed, one unit more is not.
    tamper(&mut h, BTC, |feed| feed.conf = feed.price as u64 / 50 + 1);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleConfidence).await;
}

#[tokio::test]
async fn a_borrow_against_pull_oracle_collateral_checks_the_update() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, USDC_10K).await;
    let borrower = h.lender(SOL, 10 * ONE_SOL).await;

    tamper(&mut h, SOL, |feed| feed.feed_id = [0xab; 32]);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleFeedMismatch).await;
    h.set_price(SOL, 150.0);
    tamper(&mut h, SOL, |feed| feed.partial_signatures = Some(3));
    assert_borrow_refused(
        &mut h,
        &borrower,
        BallastError::OracleInsufficientVerification,
    )
    .await;
    h.set_price(SOL, 150.0);
    give_oracle_to_a_stranger(&mut h, SOL);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleWrongOwner).await;
    h.set_price(SOL, 150.0);
    tamper(&mut h, SOL, |feed| feed.publish_time -= 61);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleStale).await;

    // 10 SOL at 150 − 0.15, 75 %: $1 123.875 of limit; 1 000 USDC at 1.001 fits.
    h.set_price(SOL, 150.0);
    h.borrow(&borrower, USDC, 1_000_000_000).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, 1_000_000_000);
}

#[tokio::test]
async fn a_price_older_than_the_one_a_reserve_already_used_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    h.advance_with_fresh_prices(30);
    h.borrow(&borrower, USDC, 1_000_000).await.unwrap();
    // Replay the start-time update: fresh enough for the policy, older than the last one used.
    let stale_replay = Feed::at(1.0, h.start_time, feed_id(USDC));
    h.publish(USDC, stale_replay);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleOlderThanLastUsed).await;
}

// ----- repay ------------------------------------------------------------------------------

/// A market where `borrower` owes 10 000 USDC and holds 1 000 USDC extra for interest.
async fn indebted(h: &mut Harness) -> (User, User) {
    let (lender, borrower) = market_with_liquidity(h).await;
    h.borrow(&borrower, USDC, USDC_10K).await.unwrap();
    h.mint_to(USDC, &borrower.tokens[USDC], 1_000_000_000).await;
    (lender, borrower)
}

/// Tokens `obligation` owes to asset `index` now (interest projected to the bank's clock).
async fn owed_now(h: &mut Harness, obligation: &Pubkey, index: usize) -> u64 {
    let reserve = h.reserve(index).await.projected(h.now).unwrap();
    let key = h.assets[index].keys.reserve;
    let scaled = h
        .obligation(obligation)
        .await
        .borrow(&key)
        .map_or(0, |b| b.scaled_debt);
    u64::try_from(reserve.owed_tokens(scaled).unwrap()).unwrap()
}

#[tokio::test]
async fn a_partial_repayment_takes_exactly_the_amount_and_lowers_the_debt_by_it() {
    let mut h = Harness::new().await;
    let (lender, borrower) = indebted(&mut h).await;
    let wallet = h.balance(&borrower.tokens[USDC]).await;
    let vault = h.assets[USDC].keys.liquidity_vault;
    let vault_before = h.balance(&vault).await;
    h.repay(&borrower, &borrower.obligation, USDC, 3_000_000_000)
        .await
        .unwrap();
    assert_eq!(
        h.balance(&borrower.tokens[USDC]).await,
        wallet - 3_000_000_000
    );
    assert_eq!(h.balance(&vault).await, vault_before + 3_000_000_000);
    assert_eq!(
        owed_now(&mut h, &borrower.obligation, USDC).await,
        7_000_000_000
    );
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
}

#[tokio::test]
async fn repay_all_after_a_month_pays_the_debt_to_the_unit_and_closes_the_position() {
    let mut h = Harness::new().await;
    let (lender, borrower) = indebted(&mut h).await;
    h.advance(30 * 86_400);
    let owed = owed_now(&mut h, &borrower.obligation, USDC).await;
    assert!(owed > USDC_10K, "interest accrued: {owed}");
    let wallet = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(wallet - h.balance(&borrower.tokens[USDC]).await, owed);
    let obligation = h.obligation(&borrower.obligation).await;
    assert!(!obligation.has_debt());
    let reserve = h.reserve(USDC).await;
    assert_eq!(reserve.total_scaled_debt, 0);
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
    // Nothing is left to repay.
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.repay(&borrower, &borrower.obligation, USDC, 1).await;
    h.assert_rejected(
        result,
        BallastError::NoBorrowInReserve,
        &[&borrower],
        &before,
    )
    .await;
}

#[tokio::test]
async fn repaying_more_than_the_debt_takes_only_the_debt() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = indebted(&mut h).await;
    h.advance(86_400);
    let owed = owed_now(&mut h, &borrower.obligation, USDC).await;
    let wallet = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&borrower, &borrower.obligation, USDC, owed + 500_000_000)
        .await
        .unwrap();
    assert_eq!(wallet - h.balance(&borrower.tokens[USDC]).await, owed);
    assert!(!h.obligation(&borrower.obligation).await.has_debt());
}

#[tokio::test]
async fn anyone_may_repay_on_behalf_of_a_borrower_from_their_own_tokens() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = indebted(&mut h).await;
    let friend = h.funded_user(USDC, 20_000_000_000).await;
    let borrower_wallet = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&friend, &borrower.obligation, USDC, 4_000_000_000)
        .await
        .unwrap();
    assert_eq!(h.balance(&friend.tokens[USDC]).await, 16_000_000_000);
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, borrower_wallet);
    assert_eq!(
        owed_now(&mut h, &borrower.obligation, USDC).await,
        6_000_000_000
    );
    h.repay(&friend, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(h.balance(&friend.tokens[USDC]).await, 10_000_000_000);
    assert!(!h.obligation(&borrower.obligation).await.has_debt());
    assert!(
        h.obligation(&friend.obligation).await.is_empty(),
        "the payer's own obligation is untouched"
    );
}

#[tokio::test]
async fn repay_reads_no_price_and_is_never_paused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = indebted(&mut h).await;
    let risk = h.risk_authority.insecure_clone();
    h.update_market(
        &risk,
        MarketUpdate::SetPauseFlags {
            pause_flags: PAUSE_ALL,
        },
    )
    .await
    .unwrap();
    h.update_reserve(&risk, USDC, ReserveUpdate::PauseFlags(PAUSE_ALL))
        .await
        .unwrap();
    break_every_oracle(&mut h);
    h.advance(7 * 86_400);
    let owed = owed_now(&mut h, &borrower.obligation, USDC).await;
    let wallet = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(wallet - h.balance(&borrower.tokens[USDC]).await, owed);
}

#[tokio::test]
async fn a_zero_repayment_is_refused_and_changes_nothing() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = indebted(&mut h).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.repay(&borrower, &borrower.obligation, USDC, 0).await;
    h.assert_rejected(result, BallastError::ZeroAmount, &[&borrower], &before)
        .await;
}

#[tokio::test]
async fn repaying_a_reserve_the_obligation_does_not_owe_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = indebted(&mut h).await;
    h.mint_to(BTC, &borrower.tokens[BTC], 1_000).await;
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.repay(&borrower, &borrower.obligation, BTC, 1_000).await;
    h.assert_rejected(
        result,
        BallastError::NoBorrowInReserve,
        &[&borrower],
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_repayment_larger_than_the_payers_balance_fails_in_the_token_program() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = indebted(&mut h).await;
    let poor = h.funded_user(USDC, 1_000).await;
    let before = h.snapshot_users(&[&borrower, &poor]).await;
    let result = h.repay(&poor, &borrower.obligation, USDC, 1_001).await;
    assert_refused(
        &mut h,
        result,
        custom_code(TOKEN_INSUFFICIENT_FUNDS),
        &[&borrower, &poor],
        &[],
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_payer_cannot_repay_from_someone_elses_token_account() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = indebted(&mut h).await;
    let stranger = h.user().await;
    let before = h.snapshot_users(&[&borrower, &stranger]).await;
    let ix = client::repay(
        &stranger.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &borrower.obligation,
        &borrower.tokens[USDC],
        1_000_000,
        None,
    );
    let result = h.send(&[ix], &[&stranger.keypair]).await;
    assert_refused(
        &mut h,
        result,
        custom_code(TOKEN_OWNER_MISMATCH),
        &[&borrower, &stranger],
        &[],
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_repayment_from_another_mint_or_through_another_market_is_refused() {
    let mut h = Harness::new().await;
    let foreign = foreign_market(&mut h).await;
    let (_lender, borrower) = indebted(&mut h).await;
    h.mint_to(BTC, &borrower.tokens[BTC], 1_000).await;
    let extra = foreign.accounts();
    let before = snapshot(&mut h, &[&borrower], &extra).await;
    let ix = client::repay(
        &borrower.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &borrower.obligation,
        &borrower.tokens[BTC],
        1_000,
        None,
    );
    untouched(&[&borrower], &extra, &before)
        .refuses(&mut h, ix, &borrower, BallastError::WrongMint)
        .await;
    for market in [h.market, foreign.market] {
        let ix = client::repay(
            &borrower.pubkey(),
            &market,
            &foreign.usdc,
            &borrower.obligation,
            &borrower.tokens[USDC],
            1_000,
            None,
        );
        untouched(&[&borrower], &extra, &before)
            .refuses(&mut h, ix, &borrower, BallastError::WrongMarket)
            .await;
    }
}

#[tokio::test]
async fn a_borrow_under_a_zero_negative_or_out_of_range_price_is_refused() {
    let mut h = Harness::new().await;
    let (_lender, borrower) = market_with_liquidity(&mut h).await;
    tamper(&mut h, BTC, |feed| feed.price = 0);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleNonPositive).await;
    h.set_price(BTC, 60_000.0);
    tamper(&mut h, BTC, |feed| feed.ema_price = -1);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleNonPositive).await;
    h.set_price(BTC, 60_000.0);
    tamper(&mut h, BTC, |feed| feed.expo = -19);
    assert_borrow_refused(&mut h, &borrower, BallastError::OracleExponentOutOfRange).await;
}

#[tokio::test]
async fn a_frozen_reserve_refuses_deposits_and_borrows_but_takes_repayments_and_withdrawals() {
    let mut h = Harness::new().await;
    let (lender, borrower) = indebted(&mut h).await;
    edit_reserve(&mut h, USDC, |reserve| {
        reserve.status = ballast::state::RESERVE_FROZEN
    })
    .await;
    let before = h.snapshot_users(&[&borrower, &lender]).await;
    let result = h.borrow(&borrower, USDC, 1_000_000).await;
    h.assert_rejected(
        result,
        BallastError::ReserveFrozen,
        &[&borrower, &lender],
        &before,
    )
    .await;
    let result = h.deposit(&borrower, USDC, 1_000_000).await;
    h.assert_rejected(
        result,
        BallastError::ReserveFrozen,
        &[&borrower, &lender],
        &before,
    )
    .await;
    let wallet = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(wallet - h.balance(&borrower.tokens[USDC]).await, USDC_10K);
    h.withdraw(&lender, USDC, 5_000_000_000).await.unwrap();
    assert_eq!(h.balance(&lender.tokens[USDC]).await, 5_000_000_000);
}

#[tokio::test]
async fn a_partial_repayment_after_interest_never_lowers_the_debt_by_more_than_it_pays() {
    let mut h = Harness::new().await;
    let (lender, borrower) = indebted(&mut h).await;
    h.advance(37 * 86_400 + 12_345);
    for amount in [1, 7, 999_999, 1_234_567_891] {
        let owed_before = owed_now(&mut h, &borrower.obligation, USDC).await;
        let wallet = h.balance(&borrower.tokens[USDC]).await;
        h.repay(&borrower, &borrower.obligation, USDC, amount)
            .await
            .unwrap();
        assert_eq!(wallet - h.balance(&borrower.tokens[USDC]).await, amount);
        let owed_after = owed_now(&mut h, &borrower.obligation, USDC).await;
        assert!(
            owed_before - owed_after <= amount && owed_before - owed_after + 1 >= amount,
            "repaid {amount}: owed {owed_before} -> {owed_after}"
        );
        h.advance(1);
    }
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
}
