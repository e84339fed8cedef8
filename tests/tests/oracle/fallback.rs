//! A second oracle provider (issue 15): BTC priced by a Pyth pull primary with a Switchboard
//! On-Demand fallback. A Pyth outage during a crash is liquidated through the fallback; two
//! valid sources that disagree block new risk while a liquidation takes the lower collateral
//! price; and a reserve never goes back to a price older than the last one it used, whichever
//! source that was.

use ballast::errors::BallastError;
use ballast::instructions::LiquidateArgs;
use ballast::math::liquidation::size_liquidation;
use ballast::oracle::{PricePolicyKind, PriceSource};
use ballast_bank::pyth::Feed;
use ballast_client::view::price_f64;
use ballast_tests::fixture::*;

/// 0.2 BTC ($12 000 at the listing price).
const BTC_COLLATERAL: u64 = 20_000_000;
/// $8 000 of USDC: health 1.2 at $60 000, liquidatable below $50 000.
const DEBT: u64 = 8_000_000_000;

const MAX: LiquidateArgs = LiquidateArgs {
    max_repay: u64::MAX,
    min_collateral_out: 0,
    receive_shares: false,
};

struct Market {
    h: Harness,
    borrower: User,
    healthy: User,
    liquidator: User,
    everyone: Vec<anchor_lang::prelude::Pubkey>,
}

/// BTC with a Pyth pull primary and a Switchboard fallback (1 % deviation allowed); a lender's
/// million USDC; a borrower of $8 000 against 0.2 BTC; a healthy BTC depositor without debt;
/// a liquidator holding $10 000 of USDC.
async fn market() -> Market {
    let mut h = Harness::new().await;
    h.set_oracle_sources(BTC, OracleKind::PythPull, Some(OracleKind::Switchboard))
        .await;
    let lender = h.lender(USDC, 1_000_000_000_000).await;
    let borrower = h.lender(BTC, BTC_COLLATERAL).await;
    h.borrow(&borrower, USDC, DEBT).await.expect("borrow");
    let healthy = h.lender(BTC, BTC_COLLATERAL).await;
    let liquidator = h.funded_user(USDC, 10_000_000_000).await;
    let everyone = vec![
        lender.obligation,
        borrower.obligation,
        healthy.obligation,
        liquidator.obligation,
    ];
    Market {
        h,
        borrower,
        healthy,
        liquidator,
        everyone,
    }
}

/// Every feed is republished `seconds` later except BTC's Pyth primary, which stays silent.
fn advance_with_pyth_btc_silent(h: &mut Harness, seconds: i64) {
    h.advance(seconds);
    let silent = h.assets[BTC].feed;
    h.refresh_prices();
    h.publish(BTC, silent);
}

/// What the off-chain view (the keeper's) makes of a maximal liquidation of the borrower's
/// BTC now: the BTC price source and collateral price it selects, and the exact tokens.
struct Quote {
    source: PriceSource,
    collateral_usd: f64,
    repay: u64,
    collateral_out: u64,
}

async fn quote(m: &mut Market) -> Quote {
    let view = m.h.view().await;
    let obligation = m.h.obligation(&m.borrower.obligation).await;
    let (usdc, btc) = (m.h.assets[USDC].keys.reserve, m.h.assets[BTC].keys.reserve);
    let (valuation, totals) = view
        .valuate(&obligation, PricePolicyKind::Liquidation)
        .expect("the view values the obligation");
    let price = valuation
        .get(&btc)
        .expect("BTC is valued")
        .price
        .expect("BTC has a price");
    let request = valuation
        .liquidation_request(&obligation, &totals, &usdc, &btc, u64::MAX)
        .expect("a liquidation request");
    let outcome =
        size_liquidation(&view.market.liquidation.settings(), &request).expect("liquidatable");
    Quote {
        source: price.source,
        collateral_usd: price_f64(price.collateral),
        repay: outcome.repay_tokens,
        collateral_out: u64::try_from(outcome.seize_tokens - outcome.fee_tokens).expect("fits"),
    }
}

/// Runs a maximal liquidation of the borrower's BTC; returns (USDC repaid, BTC seized).
async fn liquidate(m: &mut Market) -> (u64, u64) {
    let (usdc, btc) = (m.liquidator.tokens[USDC], m.liquidator.tokens[BTC]);
    let (usdc_before, btc_before) = (m.h.balance(&usdc).await, m.h.balance(&btc).await);
    let (liquidator, borrower) = (&m.liquidator, &m.borrower);
    m.h.liquidate(liquidator, borrower, USDC, BTC, MAX)
        .await
        .expect("the liquidation goes through");
    let repaid = usdc_before - m.h.balance(&usdc).await;
    let seized = m.h.balance(&btc).await - btc_before;
    m.h.check_invariants(&m.everyone).await;
    (repaid, seized)
}

/// The view quotes a maximal liquidation of the borrower's BTC priced by `source` at
/// `collateral_usd`; the program then moves exactly the quoted tokens (a bonus in the
/// configured range at that price) and records `source` on BTC's reserve.
async fn liquidates_as_quoted(m: &mut Market, source: PriceSource, collateral_usd: f64) {
    let quote = quote(m).await;
    assert_eq!(quote.source, source);
    assert!(
        (quote.collateral_usd - collateral_usd).abs() < 0.01,
        "{}",
        quote.collateral_usd
    );
    let (repaid, seized) = liquidate(m).await;
    assert_eq!((repaid, seized), (quote.repay, quote.collateral_out));
    let bonus = bonus_at(repaid, seized, quote.collateral_usd);
    assert!(is_a_configured_bonus(bonus), "bonus {bonus}");
    assert_eq!(m.h.reserve(BTC).await.last_price_source, source as u8);
}

/// The seized collateral's value at `btc_usd` over the repaid debt's: the liquidation bonus the
/// liquidator got if the program priced BTC at `btc_usd`.
fn bonus_at(repaid: u64, seized: u64, btc_usd: f64) -> f64 {
    (seized as f64 / 1e8 * btc_usd) / (repaid as f64 / 1e6)
}

/// The reserve's configured bonus range, 2 % to 10 %, with room for rounding.
fn is_a_configured_bonus(ratio: f64) -> bool {
    (1.019..=1.101).contains(&ratio)
}

#[tokio::test]
async fn a_pyth_outage_during_a_crash_is_liquidated_through_the_switchboard_fallback() {
    let mut m = market().await;
    let (last_pyth, last_time) = (m.h.assets[BTC].feed, m.h.now);

    // Pyth goes silent past the liquidation policy's 300 s while BTC falls to $45 000: the
    // fallback reports the crash; the primary still shows $60 000 from before.
    advance_with_pyth_btc_silent(&mut m.h, 400);
    assert_eq!(m.h.assets[BTC].feed, last_pyth, "Pyth is silent");

    // While Switchboard is silent too, nothing may be liquidated: no valid price.
    let fallback = m.h.assets[BTC].fallback.expect("a fallback").feed;
    m.h.publish_fallback(
        BTC,
        Feed {
            publish_time: last_time,
            ..fallback
        },
    );
    let before = m.h.snapshot_users(&[&m.borrower, &m.liquidator]).await;
    let result =
        m.h.liquidate(&m.liquidator, &m.borrower, USDC, BTC, MAX)
            .await;
    m.h.assert_rejected(
        result,
        BallastError::OracleStale,
        &[&m.borrower, &m.liquidator],
        &before,
    )
    .await;

    // Switchboard reports the crash: the liquidation runs on it.
    m.h.set_fallback_price(BTC, 45_000.0);

    // The keeper's view selects the fallback at its $45 000 (liquidation prices are spot), and
    // the program liquidates exactly as quoted.
    liquidates_as_quoted(&mut m, PriceSource::Fallback, 45_000.0).await;
    let reserve = m.h.reserve(BTC).await;
    assert_eq!(reserve.last_oracle_publish_time, m.h.now);
    assert!(reserve.last_oracle_publish_time > last_time);
}

#[tokio::test]
async fn during_a_pyth_outage_the_fallback_alone_prices_new_risk() {
    let mut m = market().await;
    advance_with_pyth_btc_silent(&mut m.h, 400);
    m.h.set_fallback_price(BTC, 60_000.0);
    // $12 000 of BTC at 75 % LTV: $9 000 of borrowing power under the fallback's price.
    m.h.borrow(&m.healthy, USDC, 8_900_000_000)
        .await
        .expect("the fallback prices the borrow");
    // A withdrawal in debt writes BTC's reserve, which records the source it used.
    m.h.withdraw(&m.healthy, BTC, 1)
        .await
        .expect("within the limit");
    let reserve = m.h.reserve(BTC).await;
    assert_eq!(reserve.last_price_source, PriceSource::Fallback as u8);
    let before = m.h.snapshot_users(&[&m.healthy]).await;
    let result = m.h.borrow(&m.healthy, USDC, 200_000_000).await;
    m.h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&m.healthy],
        &before,
    )
    .await;
    m.h.check_invariants(&m.everyone).await;
}

#[tokio::test]
async fn two_valid_sources_that_disagree_block_new_risk_and_liquidate_at_the_lower_price() {
    let mut m = market().await;
    // Both fresh: Pyth at $47 000, Switchboard at $45 000 (4.3 % apart; 1 % allowed).
    m.h.advance(10);
    m.h.refresh_prices();
    m.h.publish(BTC, Feed::at(47_000.0, m.h.now, feed_id(BTC)));
    m.h.set_fallback_price(BTC, 45_000.0);

    // New risk is refused, and changes nothing: a borrow, and a withdrawal in debt.
    for attempt in 0..2 {
        let before = m.h.snapshot_users(&[&m.healthy, &m.borrower]).await;
        let result = if attempt == 0 {
            m.h.borrow(&m.healthy, USDC, 1_000_000).await
        } else {
            m.h.withdraw(&m.borrower, BTC, 1).await
        };
        m.h.assert_rejected(
            result,
            BallastError::OracleSourcesDisagree,
            &[&m.healthy, &m.borrower],
            &before,
        )
        .await;
    }
    // A withdrawal without debt reads no price: it goes through.
    m.h.withdraw(&m.healthy, BTC, 1).await.expect("no debt");

    // The liquidation values the collateral at the lower spot price, as the keeper's view
    // quotes it, and records that both sources were used.
    liquidates_as_quoted(&mut m, PriceSource::Both, 45_000.0).await;

    // Agreeing again (within 1 %), the primary prices new risk.
    m.h.advance(10);
    m.h.refresh_prices();
    m.h.publish(BTC, Feed::at(45_200.0, m.h.now, feed_id(BTC)));
    m.h.set_fallback_price(BTC, 45_000.0);
    m.h.borrow(&m.healthy, USDC, 1_000_000)
        .await
        .expect("the sources agree");
    m.h.withdraw(&m.healthy, BTC, 1)
        .await
        .expect("the sources agree");
    assert_eq!(
        m.h.reserve(BTC).await.last_price_source,
        PriceSource::Primary as u8
    );
    m.h.check_invariants(&m.everyone).await;
}

#[tokio::test]
async fn after_the_fallback_was_used_an_older_pyth_update_is_refused() {
    let mut m = market().await;
    // The fallback prices a borrow and a withdrawal at t0 + 400 while Pyth is silent.
    advance_with_pyth_btc_silent(&mut m.h, 400);
    m.h.borrow(&m.healthy, USDC, 1_000_000)
        .await
        .expect("through the fallback");
    m.h.withdraw(&m.healthy, BTC, 1)
        .await
        .expect("through the fallback");
    let used_at = m.h.now;
    assert_eq!(
        m.h.reserve(BTC).await.last_oracle_publish_time,
        used_at,
        "the fallback's update was recorded"
    );

    // 30 s later the fallback is stale, and someone offers a Pyth update signed 10 s before
    // the fallback's: within the strict max age (60 s), but older than the price last used.
    m.h.advance(30);
    let fallback = m.h.assets[BTC].fallback.expect("a fallback").feed;
    m.h.refresh_prices();
    m.h.publish_fallback(
        BTC,
        Feed {
            publish_time: m.h.now - 3_600,
            ..fallback
        },
    );
    let older = Feed {
        publish_time: used_at - 10,
        ..m.h.assets[BTC].feed
    };
    m.h.publish(BTC, older);
    let before = m.h.snapshot_users(&[&m.healthy]).await;
    let result = m.h.borrow(&m.healthy, USDC, 1_000_000).await;
    m.h.assert_rejected(
        result,
        BallastError::OracleOlderThanLastUsed,
        &[&m.healthy],
        &before,
    )
    .await;

    // A fresh Pyth update prices it again, as the primary.
    m.h.advance(1);
    m.h.refresh_prices();
    m.h.withdraw(&m.healthy, BTC, 1)
        .await
        .expect("a fresh primary");
    let reserve = m.h.reserve(BTC).await;
    assert_eq!(reserve.last_price_source, PriceSource::Primary as u8);
    assert_eq!(reserve.last_oracle_publish_time, m.h.now);
    m.h.check_invariants(&m.everyone).await;
}

#[tokio::test]
async fn a_write_off_needs_the_obligation_insolvent_by_both_sources() {
    let mut m = market().await;
    // Switchboard reports BTC at cents, fresh and tight; Pyth at $60 000. Valued at the lower
    // price the borrower holds no collateral of value, but Pyth says it is solvent: no
    // write-off, and nothing changes.
    m.h.advance(10);
    m.h.refresh_prices();
    m.h.set_fallback_price(BTC, 0.01);
    let before = m.h.snapshot_users(&[&m.borrower, &m.liquidator]).await;
    let result =
        m.h.realize_bad_debt(&m.liquidator, &m.borrower.obligation)
            .await;
    m.h.assert_rejected(
        result,
        BallastError::NotInsolvent,
        &[&m.borrower, &m.liquidator],
        &before,
    )
    .await;

    // Both at cents: insolvent by either, written off.
    m.h.set_price(BTC, 0.01);
    m.h.realize_bad_debt(&m.liquidator, &m.borrower.obligation)
        .await
        .expect("insolvent by both sources");
    assert!(!m.h.obligation(&m.borrower.obligation).await.has_debt());
    m.h.check_invariants(&m.everyone).await;
}

#[tokio::test]
async fn the_fallback_account_cannot_be_withheld_or_swapped() {
    let mut m = market().await;
    // Pyth silent past the liquidation policy, Switchboard at the crash: liquidatable only
    // through the fallback.
    advance_with_pyth_btc_silent(&mut m.h, 400);
    m.h.set_fallback_price(BTC, 45_000.0);
    let obligation = m.h.obligation(&m.borrower.obligation).await;
    let canonical = m.h.remaining(&obligation, true);
    let fallback = m.h.assets[BTC].keys.fallback_oracle.expect("a fallback");
    let at = canonical
        .iter()
        .position(|meta| meta.pubkey == fallback)
        .expect("the fallback is listed");
    let primary = m.h.assets[BTC].keys.oracle;
    let mut withheld = canonical.clone();
    withheld.remove(at);
    let mut swapped = canonical.clone();
    swapped[at].pubkey = primary;
    for (remaining, error) in [
        (withheld, BallastError::OracleWrongAccount),
        (swapped, BallastError::OracleWrongAccount),
        (
            canonical[..at].to_vec(),
            BallastError::InvalidRemainingAccounts,
        ),
    ] {
        let before = m.h.snapshot_users(&[&m.borrower, &m.liquidator]).await;
        let result =
            m.h.liquidate_with(
                &m.liquidator,
                &m.borrower.obligation,
                USDC,
                BTC,
                MAX,
                remaining,
            )
            .await;
        m.h.assert_rejected(result, error, &[&m.borrower, &m.liquidator], &before)
            .await;
    }
    // The canonical list liquidates.
    liquidates_as_quoted(&mut m, PriceSource::Fallback, 45_000.0).await;
}
