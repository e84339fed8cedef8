//! The Switchboard adapter on real bytes: a mainnet SOL/USD On-Demand pull feed
//! (`BSzfJs4d1tAkSDqkepnfzEVcx2WtDVnwwXa2giy9PLeP`), as captured in marginfi-v2's public test
//! fixtures (`test-utils/data/swb_pull_sol_price.bin`, added in mrgnlabs/marginfi-v2@9bd878fe,
//! read at 3031ba3b; SOL at about $153). tests/fixtures/mainnet/README.md says more.

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast::instructions::ReserveUpdate;
use ballast::oracle::{switchboard, PricePolicyKind};
use ballast_bank::pyth::SWITCHBOARD_PROGRAM;
use ballast_client::view::price_f64;
use ballast_tests::fixture::*;
use switchboard_on_demand::PullFeedAccountData;

const CAPTURED: &[u8] = include_bytes!("../../fixtures/mainnet/switchboard-pull-sol-usd.bin");
const ADDRESS: Pubkey =
    anchor_lang::prelude::pubkey!("BSzfJs4d1tAkSDqkepnfzEVcx2WtDVnwwXa2giy9PLeP");

/// The crate's own view of the bytes: its struct, from an aligned copy.
fn crate_view() -> PullFeedAccountData {
    let body = &CAPTURED[8..];
    bytemuck::pod_read_unaligned(&body[..size_of::<PullFeedAccountData>()])
}

#[test]
fn the_captured_feed_parses_as_the_crate_lays_it_out_and_converts_rounding_for_the_protocol() {
    let (hash, result) = switchboard::parse(CAPTURED).expect("a pull feed");
    let feed = crate_view();
    // Every field read at our offsets is the crate's.
    assert_eq!(hash, feed.feed_hash);
    assert_eq!(result.value, feed.result.value);
    assert_eq!(result.std_dev, feed.result.std_dev);
    assert_eq!(result.num_samples, feed.result.num_samples);
    assert_eq!(result.last_update_timestamp, feed.last_update_timestamp);
    assert!(result.num_samples >= 1);

    // About $153, 18 decimals, converted to at most 18 digits: the value rounds down, the
    // deviation up.
    let usd = result.value as f64 / 1e18;
    assert!((140.0..170.0).contains(&usd), "SOL at ${usd}");
    let raw = switchboard::to_raw(&result).expect("a price");
    let scale = 10i128.pow(u32::try_from(18 + raw.expo).expect("expo ≥ −18"));
    assert_eq!(i128::from(raw.price), result.value / scale);
    assert_eq!(
        i128::from(raw.conf),
        (result.std_dev + scale - 1) / scale,
        "the deviation rounds up"
    );
    assert_eq!(raw.publish_time, feed.last_update_timestamp);
    assert_eq!(raw.responses, Some(feed.result.num_samples));

    // One byte off the discriminator, or the account cut short, is no feed.
    let mut other = CAPTURED.to_vec();
    other[0] ^= 1;
    assert_eq!(switchboard::parse(&other), None);
    assert_eq!(switchboard::parse(&CAPTURED[..CAPTURED.len() - 1]), None);
}

#[tokio::test]
async fn a_reserve_priced_by_the_captured_feed_lends_against_it_until_it_is_stale() {
    let (hash, result) = switchboard::parse(CAPTURED).expect("a pull feed");
    let published = result.last_update_timestamp;
    // The bank starts 20 s after the capture's update.
    let mut h = Harness::starting_at(published + 20).await;
    h.write_account(&ADDRESS, &SWITCHBOARD_PROGRAM, CAPTURED.to_vec());
    let mut config = h.reserve(SOL).await.config;
    config.oracle = oracle_config(OracleKind::Switchboard, ADDRESS, hash);
    config.oracle.min_responses = result.num_samples;
    let admin = h.admin.insecure_clone();
    h.update_reserve(&admin, SOL, ReserveUpdate::Config(config))
        .await
        .expect("the captured feed is a valid source");
    // The fixture lists the captured account for SOL from now on (and no longer simulates it).
    h.assets[SOL].keys.oracle = ADDRESS;
    h.assets[SOL].kind = OracleKind::Switchboard;

    let _lender = h.lender(USDC, 1_000_000_000_000).await;
    let borrower = h.lender(SOL, 10_000_000_000).await; // 10 SOL
    let view = h.view().await;
    let obligation = h.obligation(&borrower.obligation).await;
    let (valuation, _) = view
        .valuate(&obligation, PricePolicyKind::Strict)
        .expect("valued at the captured price");
    let price = valuation
        .get(&h.assets[SOL].keys.reserve)
        .expect("SOL")
        .price
        .expect("a price");
    let median = result.value as f64 / 1e18;
    let collateral = price_f64(price.collateral);
    assert!(
        collateral <= median && collateral > median * 0.99,
        "{collateral} vs {median}"
    );
    // 10 SOL, about $1 530, at the fixture's 75 % LTV: $1 000 is well inside the limit.
    h.borrow(&borrower, USDC, 1_000_000_000)
        .await
        .expect("lends against the captured price");

    // 41 s later the update is 61 s old: past the strict policy's 60 s, new risk stops.
    h.advance(41);
    h.set_price(USDC, 1.0);
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1_000_000).await;
    h.assert_rejected(result, BallastError::OracleStale, &[&borrower], &before)
        .await;
}
