//! `ballast migrate`: idempotent, and one changed parameter is one update.

use ballast_app::localnet::LocalMarket;
use ballast_app::migrate::{self, MarketFile};

use crate::support::START;

use ballast::math::WAD;
use ballast::state::EmodeCategory;
use ballast_app::wallet;
use solana_sdk::signature::{Keypair, Signer};

/// The file's risk modes, applied by `migrate` on the embedded bank: WIF isolated with its
/// ceiling, the stablecoins and the SOL pair in their categories; a borrower in the SOL category
/// borrows beyond the reserves' LTV, within the category's, and `health` shows the mode.
#[tokio::test]
async fn the_localnet_file_lists_an_isolated_token_and_two_emode_categories() {
    let mut m = LocalMarket::localnet(43, START).await.unwrap();
    let view = m.view().await.unwrap();
    assert_eq!(
        view.market.emode_categories[..2],
        [
            EmodeCategory {
                ltv_bps: 9_200,
                liquidation_threshold_bps: 9_500,
                min_liquidation_bonus_bps: 100,
                max_liquidation_bonus_bps: 400,
            },
            EmodeCategory {
                ltv_bps: 8_800,
                liquidation_threshold_bps: 9_100,
                min_liquidation_bonus_bps: 200,
                max_liquidation_bonus_bps: 600,
            },
        ]
    );
    let config = |symbol: &str| wallet::find_reserve(&view, symbol).unwrap().1.config;
    for (symbol, category, borrowable) in [
        ("USDC", 1, true),
        ("USDT", 1, true),
        ("SOL", 2, false),
        ("JSOL", 2, false),
        ("BTC", 0, false),
        ("WIF", 0, false),
    ] {
        let c = config(symbol);
        assert_eq!(
            (c.emode_category, c.borrowable_in_isolation, c.isolated),
            (category, borrowable, symbol == "WIF"),
            "{symbol}"
        );
    }
    assert_eq!(config("WIF").debt_ceiling, 250_000 * WAD);

    // Ten JSOL at $165 (strict 164.835): borrow limit 1 071.43 at the reserve's 65 % LTV,
    // 1 450.55 in the SOL category at 88 %. Nine SOL at $150 owe 1 351.35 (strict).
    let sol = m.asset_named("SOL").unwrap();
    let jsol = m.asset_named("JSOL").unwrap();
    let lender = Keypair::new_from_array([143; 32]);
    let lender_obligation = m.user(&lender).await.unwrap();
    let units = m.tokens(sol, 1_000.0);
    m.mint(&lender.pubkey(), sol, units).await.unwrap();
    let (sol_reserve, jsol_reserve) = (m.assets[sol].reserve, m.assets[jsol].reserve);
    wallet::deposit(
        &mut m.chain,
        &view,
        &lender,
        &lender_obligation,
        &sol_reserve,
        units,
    )
    .await
    .unwrap();
    let owner = Keypair::new_from_array([144; 32]);
    let obligation = m.user(&owner).await.unwrap();
    let units = m.tokens(jsol, 10.0);
    m.mint(&owner.pubkey(), jsol, units).await.unwrap();
    wallet::deposit(
        &mut m.chain,
        &view,
        &owner,
        &obligation,
        &jsol_reserve,
        units,
    )
    .await
    .unwrap();
    let nine = m.tokens(sol, 9.0);
    let refused =
        wallet::borrow(&mut m.chain, &view, &owner, &obligation, &sol_reserve, nine).await;
    assert!(
        format!("{:#}", refused.unwrap_err()).contains("BorrowLimitExceeded"),
        "beyond the reserve's LTV"
    );
    wallet::set_emode(&mut m.chain, &view, &owner, &obligation, 2)
        .await
        .unwrap();
    wallet::borrow(&mut m.chain, &view, &owner, &obligation, &sol_reserve, nine)
        .await
        .unwrap();
    let view = m.view().await.unwrap();
    let state = wallet::read_obligation(&mut m.chain, &obligation)
        .await
        .unwrap();
    let report = wallet::health_report(&view, &obligation, &state).unwrap();
    assert_eq!(report.mode, "e-mode 2 (LTV 88%, LT 91%, bonus 2%–6%)");
    assert!(wallet::health_text(&report).contains("mode e-mode 2 (LTV 88%"));
}

#[tokio::test]
async fn migrating_twice_changes_nothing_the_second_time() {
    let mut m = LocalMarket::localnet(40, START).await.unwrap();
    assert_eq!(
        m.migration.len(),
        9,
        "create market + two e-mode categories + six reserves"
    );
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
fn the_example_mainnet_file_is_valid_and_names_the_sponsored_pyth_feeds_and_a_captured_fallback() {
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
    // SOL's Switchboard fallback is the captured mainnet feed account: the file's feed hash
    // and quorum are the ones its bytes hold.
    let sol = file.reserves.iter().find(|r| r.symbol == "SOL").unwrap();
    let fallback = sol.config().unwrap().fallback_oracle;
    assert_eq!(fallback.source, ballast::state::ORACLE_SOURCE_SWITCHBOARD);
    assert_eq!(
        fallback.oracle_account,
        anchor_lang::prelude::pubkey!("BSzfJs4d1tAkSDqkepnfzEVcx2WtDVnwwXa2giy9PLeP")
    );
    let captured: &[u8] =
        include_bytes!("../../../tests/fixtures/mainnet/switchboard-pull-sol-usd.bin");
    let (feed_hash, _) = ballast::oracle::switchboard::parse(captured).unwrap();
    assert_eq!(fallback.feed_id, feed_hash);
    // `min_responses`: 8 (discriminator) + its offset in `PullFeedAccountData`.
    let quorum = u32::from_le_bytes(captured[2176..2180].try_into().unwrap());
    assert_eq!(u32::from(fallback.min_responses), quorum);
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
