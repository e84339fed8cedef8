//! Oracle failures as they unfold over time: an outage during a crash, a spike, a stale feed.

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast::instructions::{LiquidateArgs, ReserveUpdate};
use ballast::math::WAD;
use ballast_bank::pyth::{self, Feed};
use ballast_tests::fixture::*;

use super::support::*;

/// 0.2 BTC ($12 000 at the listing price).
const BTC_COLLATERAL: u64 = 20_000_000;

/// A market with a lender's million USDC, and a borrower holding 0.2 BTC as collateral.
async fn market_with_a_btc_borrower() -> (Harness, User, User) {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, 1_000_000_000_000).await;
    let borrower = h.lender(BTC, BTC_COLLATERAL).await;
    (h, lender, borrower)
}

/// Every feed but BTC's is republished at the new time: BTC's feed is the one that fails.
fn advance_with_btc_silent(h: &mut Harness, seconds: i64) {
    h.advance(seconds);
    let btc = h.assets[BTC].feed;
    h.refresh_prices();
    h.publish(BTC, btc);
}

#[tokio::test]
async fn an_outage_during_a_crash_stops_liquidations_until_the_first_valid_price_then_realizes_the_bad_debt(
) {
    let (mut h, lender, borrower) = market_with_a_btc_borrower().await;
    h.borrow(&borrower, USDC, 8_900_000_000).await.unwrap();
    let liquidator = h.funded_user(USDC, 10_000_000_000).await;
    let everyone = [
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
    ];
    let max = LiquidateArgs {
        max_repay: u64::MAX,
        min_collateral_out: 0,
        receive_shares: false,
    };

    // BTC's feed goes silent past even the liquidation policy's 300 s while BTC crashes.
    advance_with_btc_silent(&mut h, 400);
    let before = h.snapshot_users(&[&borrower, &liquidator]).await;
    let result = h.liquidate(&liquidator, &borrower, USDC, BTC, max).await;
    h.assert_rejected(
        result,
        BallastError::OracleStale,
        &[&borrower, &liquidator],
        &before,
    )
    .await;
    let result = h.realize_bad_debt(&liquidator, &borrower.obligation).await;
    h.assert_rejected(
        result,
        BallastError::OracleStale,
        &[&borrower, &liquidator],
        &before,
    )
    .await;
    let result = h.borrow(&borrower, USDC, 1).await;
    h.assert_rejected(
        result,
        BallastError::OracleStale,
        &[&borrower, &liquidator],
        &before,
    )
    .await;
    // Repaying needs no price.
    let held = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&borrower, &borrower.obligation, USDC, 100_000_000)
        .await
        .unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, held - 100_000_000);

    // The first update after the outage is −99 % with a 15 % confidence interval: not a price
    // anyone may act on yet. Repaying still works.
    let mut crashed = Feed::at(600.0, h.now, feed_id(BTC));
    crashed.conf = crashed.price as u64 * 15 / 100;
    h.publish(BTC, crashed);
    let before = h.snapshot_users(&[&borrower, &liquidator]).await;
    let result = h.liquidate(&liquidator, &borrower, USDC, BTC, max).await;
    h.assert_rejected(
        result,
        BallastError::OracleConfidence,
        &[&borrower, &liquidator],
        &before,
    )
    .await;
    h.repay(&borrower, &borrower.obligation, USDC, 100_000_000)
        .await
        .unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, held - 200_000_000);

    // The next update is a valid price: $120 of collateral against $8 700 of debt. The
    // liquidation goes through, takes all the collateral and realizes the rest as bad debt.
    h.advance(1);
    h.refresh_prices();
    h.set_price(BTC, 600.0);
    let reserve_before = h.reserve(USDC).await.projected(h.now).unwrap();
    let obligation_before = h.obligation(&borrower.obligation).await;
    let scaled = obligation_before
        .borrow(&h.assets[USDC].keys.reserve)
        .unwrap()
        .scaled_debt;
    let owed = u64::try_from(reserve_before.owed_tokens(scaled).unwrap()).unwrap();
    let (usdc_vault, btc_vault) = (
        h.assets[USDC].keys.liquidity_vault,
        h.assets[BTC].keys.liquidity_vault,
    );
    let vaults_before = (h.balance(&usdc_vault).await, h.balance(&btc_vault).await);
    let paid_before = h.balance(&liquidator.tokens[USDC]).await;
    h.liquidate(&liquidator, &borrower, USDC, BTC, max)
        .await
        .unwrap();

    let obligation = h.obligation(&borrower.obligation).await;
    assert!(!obligation.has_debt() && obligation.active_deposits().next().is_none());
    let repaid = paid_before - h.balance(&liquidator.tokens[USDC]).await;
    let seized = h.balance(&liquidator.tokens[BTC]).await;
    assert_eq!(h.balance(&usdc_vault).await, vaults_before.0 + repaid);
    assert_eq!(h.balance(&btc_vault).await, vaults_before.1 - seized);
    // All $120 of collateral at the minimum bonus of 2 %: about $117.6 repaid.
    assert!((117_000_000..=117_700_000).contains(&repaid), "{repaid}");
    assert!(seized > 0 && seized < BTC_COLLATERAL);
    let reserve = h.reserve(USDC).await;
    assert_eq!(
        reserve.total_scaled_debt,
        reserve_before.total_scaled_debt - scaled
    );
    let absorbed =
        |r: &ballast::state::Reserve| r.cumulative_fund_covered_wad + r.cumulative_socialized_wad;
    let written_off = absorbed(&reserve) - absorbed(&reserve_before);
    let rest = u128::from(owed - repaid) * WAD;
    assert!(
        written_off + WAD >= rest && written_off <= rest + WAD,
        "written off {written_off}, rest of the debt {rest}"
    );
    h.check_invariants(&everyone).await;
}

#[tokio::test]
async fn a_one_update_spike_gives_no_new_borrowing_power() {
    let (mut h, lender, borrower) = market_with_a_btc_borrower().await;
    // Strict value of the collateral: 0.2 × ($60 000 − $60 confidence) × 75 % LTV = $8 991;
    // a USDC of debt counts as $1.001. The most that can be borrowed is 8 982.017982 USDC.
    let limit = 8_982_017_982;

    // One update at +50 % against a flat EMA.
    let mut spike = Feed::at(90_000.0, h.now, feed_id(BTC));
    spike.ema_price = h.assets[BTC].feed.ema_price;
    h.publish(BTC, spike);
    let before = h.snapshot_users(&[&borrower]).await;
    // Spot alone would allow 0.2 × $90 000 × 75 % = $13 500.
    let result = h.borrow(&borrower, USDC, 12_000_000_000).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
    // Not even the pre-spike limit: the wider absolute confidence only takes power away.
    let result = h.borrow(&borrower, USDC, limit).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;

    // Back to $60 000: exactly the pre-spike limit is available, one unit more is not.
    h.advance(1);
    h.refresh_prices();
    h.set_price(BTC, 60_000.0);
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
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, limit);
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
}

#[tokio::test]
async fn a_stale_collateral_feed_blocks_borrowing_but_not_repaying_or_leaving_without_debt() {
    let (mut h, lender, borrower) = market_with_a_btc_borrower().await;
    h.borrow(&borrower, USDC, 1_000_000_000).await.unwrap();
    let saver = h.lender(BTC, 5_000_000).await;
    let friend = h.funded_user(USDC, 50_000_000).await;

    // 120 s without a BTC update: stale for new risk (60 s), not yet for liquidation (300 s).
    advance_with_btc_silent(&mut h, 120);
    let users = [&borrower, &saver, &friend];
    let before = h.snapshot_users(&users).await;
    let result = h.borrow(&borrower, USDC, 1_000_000).await;
    h.assert_rejected(result, BallastError::OracleStale, &users, &before)
        .await;
    let result = h.withdraw(&borrower, BTC, 1_000).await;
    h.assert_rejected(result, BallastError::OracleStale, &users, &before)
        .await;

    // A friend repays part, the borrower the rest, then leaves with all the collateral.
    h.repay(&friend, &borrower.obligation, USDC, 50_000_000)
        .await
        .unwrap();
    assert_eq!(h.balance(&friend.tokens[USDC]).await, 0);
    let reserve = h.reserve(USDC).await.projected(h.now).unwrap();
    let scaled = h
        .obligation(&borrower.obligation)
        .await
        .borrow(&h.assets[USDC].keys.reserve)
        .unwrap()
        .scaled_debt;
    let owed = u64::try_from(reserve.owed_tokens(scaled).unwrap()).unwrap();
    h.mint_to(USDC, &borrower.tokens[USDC], owed).await;
    let held = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, held - owed);
    assert!(!h.obligation(&borrower.obligation).await.has_debt());
    h.withdraw(&borrower, BTC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[BTC]).await, BTC_COLLATERAL);
    // A depositor who never borrowed leaves too.
    h.withdraw(&saver, BTC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&saver.tokens[BTC]).await, 5_000_000);
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        saver.obligation,
        friend.obligation,
    ])
    .await;
}

#[tokio::test]
async fn an_update_dated_at_the_beginning_of_time_is_stale_not_an_overflow() {
    let (mut h, _lender, borrower) = market_with_a_btc_borrower().await;
    let mut ancient = h.assets[BTC].feed;
    ancient.publish_time = i64::MIN;
    h.publish(BTC, ancient);
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1_000_000).await;
    h.assert_rejected(result, BallastError::OracleStale, &[&borrower], &before)
        .await;
}

#[tokio::test]
async fn an_older_signed_update_posted_elsewhere_cannot_liquidate_a_healthy_obligation() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 20_000_000_000).await;
    // 100 SOL at $150 against 11 000 USDC: HF 0.8 × 15 000 / 11 000 = 1.09.
    let borrower = h.borrower(SOL, 100_000_000_000, USDC, 11_000_000_000).await;
    let attacker = h.funded_user(USDC, 20_000_000_000).await;
    h.advance_with_fresh_prices(200);
    // Regression (issue 9, item 4): a fully verified SOL update from 200 s ago, a $135 wick,
    // posted by the attacker to an account of its own. It is within the liquidation policy's
    // 300 s and newer than anything the reserve had used, and at $135 the obligation's health
    // is 0.98: the old program accepted it and the liquidation cost the borrower about $840.
    let wick = Feed::at(135.0, h.now - 200, feed_id(SOL));
    let posted = Pubkey::new_unique();
    h.write_account(
        &posted,
        &pyth::PYTH_RECEIVER_PROGRAM,
        pyth::pull_price_update_data(&wick),
    );
    let obligation = h.obligation(&borrower.obligation).await;
    let remaining = remaining_with(&h, &obligation, true, SOL, Some(posted));
    let users = [&borrower, &attacker];
    let before = h.snapshot_users(&users).await;
    let args = LiquidateArgs {
        max_repay: u64::MAX,
        min_collateral_out: 0,
        receive_shares: false,
    };
    let result = h
        .liquidate_with(&attacker, &borrower.obligation, USDC, SOL, args, remaining)
        .await;
    h.assert_rejected(result, BallastError::OracleWrongAccount, &users, &before)
        .await;
    // The reserve reads only its price-feed account, which says $150: the obligation is healthy.
    let result = h.liquidate(&attacker, &borrower, USDC, SOL, args).await;
    h.assert_rejected(result, BallastError::ObligationHealthy, &users, &before)
        .await;
}

#[tokio::test]
async fn a_pull_reserve_must_name_its_price_feed_account() {
    let mut h = Harness::new().await;
    let mut config = h.reserve(SOL).await.config;
    config.oracle.oracle_account = Pubkey::default();
    let admin = h.admin.insecure_clone();
    let before = h.snapshot_users(&[]).await;
    let result = h
        .update_reserve(&admin, SOL, ReserveUpdate::Config(config))
        .await;
    h.assert_rejected(result, BallastError::InvalidConfig, &[], &before)
        .await;
}

#[tokio::test]
async fn a_confidence_interval_exactly_at_the_limit_is_accepted_and_one_unit_wider_is_not() {
    let (mut h, _lender, borrower) = market_with_a_btc_borrower().await;
    // The strict limit is 2 %: $1 200 on $60 000.
    let mut feed = h.assets[BTC].feed;
    feed.conf = feed.price as u64 * 200 / 10_000 + 1;
    h.publish(BTC, feed);
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1_000_000_000).await;
    h.assert_rejected(
        result,
        BallastError::OracleConfidence,
        &[&borrower],
        &before,
    )
    .await;
    feed.conf -= 1;
    h.publish(BTC, feed);
    h.borrow(&borrower, USDC, 1_000_000_000).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, 1_000_000_000);
}
