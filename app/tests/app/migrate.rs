//! `ballast migrate`: idempotent, and one changed parameter is one update.

use ballast_app::localnet::LocalMarket;
use ballast_app::migrate::{self, MarketFile};

use crate::support::START;

#[tokio::test]
async fn migrating_twice_changes_nothing_the_second_time() {
    let mut m = LocalMarket::localnet(40, START).await.unwrap();
    assert_eq!(m.migration.len(), 4, "create market + three reserves");
    let file = MarketFile::parse(migrate::LOCALNET).unwrap();
    let again = migrate::plan(&mut m.chain, &file).await.unwrap();
    assert!(again.is_empty(), "{:?}", migrate::describe(&again));
}

#[tokio::test]
async fn one_changed_parameter_is_exactly_one_update() {
    let mut m = LocalMarket::localnet(41, START).await.unwrap();
    let text = migrate::LOCALNET.replacen("ltv_bps = 8000", "ltv_bps = 7800", 1);
    let file = MarketFile::parse(&text).unwrap();
    let steps = migrate::plan(&mut m.chain, &file).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(
        steps[0].description,
        ["change USDC.ltv_bps from 8000 to 7800"]
    );
    migrate::apply(&mut m.chain, &steps).await.unwrap();
    assert!(migrate::plan(&mut m.chain, &file).await.unwrap().is_empty());

    // A market-level change is one update too.
    let text = text.replace("dust_usd = \"1\"", "dust_usd = \"2\"");
    let file = MarketFile::parse(&text).unwrap();
    let steps = migrate::plan(&mut m.chain, &file).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(
        steps[0].description,
        ["change market.liquidation.dust_usd from 1.000000000000000000 to 2.000000000000000000"]
    );
}

#[tokio::test]
async fn a_file_out_of_bounds_is_refused_by_the_program_with_its_named_error() {
    let mut m = LocalMarket::localnet(42, START).await.unwrap();
    // LT 95 % with an 8 % bonus breaks LT · (1 + bonus) < 1.
    let text = migrate::LOCALNET.replacen(
        "liquidation_threshold_bps = 7700",
        "liquidation_threshold_bps = 9500",
        1,
    );
    let file = MarketFile::parse(&text).unwrap();
    let steps = migrate::plan(&mut m.chain, &file).await.unwrap();
    assert_eq!(steps.len(), 1);
    let error = migrate::apply(&mut m.chain, &steps).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("InvalidConfig: reserve config out of bounds"),
        "{error:#}"
    );
}

#[test]
fn the_example_mainnet_file_is_valid_and_names_the_sponsored_pyth_feeds() {
    let file = MarketFile::parse(migrate::EXAMPLE_MAINNET).unwrap();
    assert_eq!(file.reserves.len(), 3);
    for spec in &file.reserves {
        let config = spec.config().unwrap();
        config.validate().unwrap();
        // The pinned account is the Pyth push-oracle feed account of the feed id (shard 0),
        // which is also what a market file that names no account gets.
        assert_eq!(
            ballast_client::view::sponsored_feed_account(&config.oracle.feed_id),
            config.oracle.oracle_account,
            "{}",
            spec.symbol
        );
    }
    let unpinned = migrate::EXAMPLE_MAINNET.replace(
        "account = \"Dpw1EAVrSB1ibxiDQyTAW6Zip3J4Btk2x4SgApQCeFbX\"",
        "",
    );
    let file = MarketFile::parse(&unpinned).unwrap();
    assert_eq!(
        file.reserves[0].config().unwrap().oracle.oracle_account,
        anchor_lang::prelude::pubkey!("Dpw1EAVrSB1ibxiDQyTAW6Zip3J4Btk2x4SgApQCeFbX")
    );
}
