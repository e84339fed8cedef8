//! Each wallet command's happy path and its main error, on the embedded bank.

use ballast_app::format::parse_amount;
use ballast_app::localnet::{BTC, SOL, USDC};
use ballast_app::wallet::{self, ALL};
use ballast_client::chain::LocalChain;
use solana_sdk::signature::{Keypair, Signer};

use crate::support;

/// The error text a command would print.
fn message(result: anyhow::Result<impl std::fmt::Debug>) -> String {
    format!("{:#}", result.expect_err("the command should fail"))
}

#[tokio::test]
async fn market_show_and_reserve_list_read_the_market() {
    let mut m = support::market(20).await;
    let view = m.view().await.unwrap();
    let report = wallet::market_report(&view);
    assert_eq!(report.admin, m.admin.pubkey().to_string());
    assert_eq!(report.reserves.len(), 6);
    assert_eq!(
        report.emode_categories,
        [
            "1: LTV 92%, LT 95%, bonus 1%–4% (USDC, USDT)",
            "2: LTV 88%, LT 91%, bonus 2%–6% (JSOL, SOL)"
        ]
    );
    let rows = wallet::reserve_list(&view).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.symbol.as_str()).collect::<Vec<_>>(),
        ["BTC", "JSOL", "SOL", "USDC", "USDT", "WIF"]
    );
    let usdc = rows.iter().find(|r| r.symbol == "USDC").unwrap();
    assert_eq!(usdc.deposits, "5,000,000.00");
    assert_eq!(usdc.share_value, "1.000000");
    assert!(wallet::reserve_table(&rows).contains("share value"));
    let json = serde_json::to_value(&rows).unwrap();
    assert_eq!(json[3]["symbol"], "USDC");
    assert_eq!(json[3]["utilization"], "0.00%");
    // Main error: a market that is not there.
    let nowhere = anchor_lang::prelude::Pubkey::new_unique();
    let missing = ballast_client::view::MarketView::load(&mut m.chain, &nowhere).await;
    assert!(message(missing.map(|_| ())).contains("no market at"));
    let not_a_market =
        ballast_client::view::MarketView::load(&mut m.chain, &m.admin.pubkey()).await;
    assert!(message(not_a_market.map(|_| ())).contains("not a Ballast account"));
}

#[tokio::test]
async fn obligations_are_created_and_shown() {
    let mut m = support::market(21).await;
    let owner = Keypair::new_from_array([221; 32]);
    m.chain
        .airdrop(&owner.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    let market = m.market;
    // Main error: showing one that does not exist yet.
    let key = ballast_client::obligation_address(&market, &owner.pubkey(), 3);
    assert!(message(wallet::read_obligation(&mut m.chain, &key).await)
        .contains("ballast obligation create"));
    let created = wallet::create_obligation(&mut m.chain, &market, &owner, 3)
        .await
        .unwrap();
    assert_eq!(created, key);
    let state = wallet::read_obligation(&mut m.chain, &key).await.unwrap();
    assert!(state.is_empty());
    let view = m.view().await.unwrap();
    let report = wallet::health_report(&view, &key, &state).unwrap();
    assert_eq!(report.health_factor, "∞");
    assert!(wallet::health_text(&report).contains("health factor ∞"));
}

#[tokio::test]
async fn deposit_borrow_repay_withdraw_and_their_named_errors() {
    let mut m = support::market(22).await;
    let b = support::borrower(&mut m, [222; 32], &[(SOL, 10.0)], USDC, 0.0).await;
    let view = m.view().await.unwrap();
    let usdc = m.assets[USDC].reserve;
    let sol = m.assets[SOL].reserve;
    let owner = b.keypair.pubkey();

    // deposit: happy path moved the tokens; main error: zero.
    assert_eq!(m.balance(&owner, SOL).await.unwrap(), 0);
    assert_eq!(
        message(wallet::deposit(&mut m.chain, &view, &b.keypair, &b.obligation, &sol, 0).await),
        "ZeroAmount: amount must be greater than zero"
    );

    // borrow: 700 USDC fits $1,500 × 70 %; main error: the limit.
    let amount = parse_amount("700", 6).unwrap();
    wallet::borrow(
        &mut m.chain,
        &view,
        &b.keypair,
        &b.obligation,
        &usdc,
        amount,
    )
    .await
    .unwrap();
    assert_eq!(m.balance(&owner, USDC).await.unwrap(), amount);
    assert_eq!(
        message(
            wallet::borrow(
                &mut m.chain,
                &view,
                &b.keypair,
                &b.obligation,
                &usdc,
                amount
            )
            .await
        ),
        "BorrowLimitExceeded: borrow limit exceeded"
    );

    // health: one deposit, one borrow, a liquidation price below the SOL price.
    let state = wallet::read_obligation(&mut m.chain, &b.obligation)
        .await
        .unwrap();
    let report = wallet::health_report(&m.view().await.unwrap(), &b.obligation, &state).unwrap();
    assert_eq!(report.positions.len(), 2);
    assert_eq!(report.health_factor, "1.6500");
    let liquidation_price: f64 = report.positions[0]
        .liquidation_price
        .as_ref()
        .unwrap()
        .trim_start_matches('$')
        .parse()
        .unwrap();
    assert!(
        (liquidation_price - 90.909).abs() < 0.01,
        "{liquidation_price}"
    );

    // withdraw while in debt: main error is the limit.
    assert_eq!(
        message(wallet::withdraw(&mut m.chain, &view, &b.keypair, &b.obligation, &sol, ALL).await),
        "BorrowLimitExceeded: borrow limit exceeded"
    );

    // repay --all after interest (the wallet tops up), then nothing is owed.
    m.advance(30 * 86_400, &[]).await.unwrap();
    m.mint(&owner, USDC, 10_000_000).await.unwrap();
    wallet::repay(&mut m.chain, &view, &b.keypair, &b.obligation, &usdc, ALL)
        .await
        .unwrap();
    let state = wallet::read_obligation(&mut m.chain, &b.obligation)
        .await
        .unwrap();
    assert!(!state.has_debt());
    assert!(m.balance(&owner, USDC).await.unwrap() < 10_000_000);
    // Main error of repay: nothing to repay.
    assert_eq!(
        message(wallet::repay(&mut m.chain, &view, &b.keypair, &b.obligation, &usdc, ALL).await),
        "NoBorrowInReserve: no borrow in this reserve"
    );

    // withdraw --all: the whole deposit comes back; main error: nothing left.
    wallet::withdraw(&mut m.chain, &view, &b.keypair, &b.obligation, &sol, ALL)
        .await
        .unwrap();
    assert_eq!(m.balance(&owner, SOL).await.unwrap(), m.tokens(SOL, 10.0));
    assert_eq!(
        message(wallet::withdraw(&mut m.chain, &view, &b.keypair, &b.obligation, &sol, 1).await),
        "NoDepositInReserve: no deposit in this reserve"
    );
}

#[tokio::test]
async fn a_borrower_tops_up_with_a_new_asset_and_it_counts_at_once() {
    let mut m = support::market(24).await;
    let b = support::borrower(&mut m, [224; 32], &[(SOL, 10.0)], USDC, 0.8).await;
    let btc = m.assets[BTC].reserve;
    let owner = b.keypair.pubkey();
    let view = m.view().await.unwrap();
    let state = wallet::read_obligation(&mut m.chain, &b.obligation)
        .await
        .unwrap();
    let before = wallet::health_report(&view, &b.obligation, &state).unwrap();
    // The program opens a slot disabled while in debt; `ballast deposit` enables it in the same
    // transaction, so a rescue is one command.
    let units = m.tokens(BTC, 0.01);
    m.mint(&owner, BTC, units).await.unwrap();
    wallet::deposit(&mut m.chain, &view, &b.keypair, &b.obligation, &btc, units)
        .await
        .unwrap();
    let state = wallet::read_obligation(&mut m.chain, &b.obligation)
        .await
        .unwrap();
    assert!(state.deposit(&btc).unwrap().collateral_enabled);
    let after = wallet::health_report(&m.view().await.unwrap(), &b.obligation, &state).unwrap();
    assert_ne!(after.health_factor, before.health_factor);
    // `ballast collateral BTC off` and `on` again; main error: a deposit it does not hold.
    let view = m.view().await.unwrap();
    wallet::set_collateral(&mut m.chain, &view, &b.keypair, &b.obligation, &btc, false)
        .await
        .unwrap();
    let state = wallet::read_obligation(&mut m.chain, &b.obligation)
        .await
        .unwrap();
    assert!(!state.deposit(&btc).unwrap().collateral_enabled);
    wallet::set_collateral(&mut m.chain, &view, &b.keypair, &b.obligation, &btc, true)
        .await
        .unwrap();
    let usdc = m.assets[USDC].reserve;
    assert_eq!(
        message(
            wallet::set_collateral(&mut m.chain, &view, &b.keypair, &b.obligation, &usdc, true)
                .await
        ),
        "NoDepositInReserve: no deposit in this reserve"
    );
}

#[tokio::test]
async fn assets_resolve_by_symbol_or_mint() {
    let mut m = support::market(23).await;
    let view = m.view().await.unwrap();
    assert_eq!(
        wallet::find_reserve(&view, "usdc").unwrap().0,
        m.assets[USDC].reserve
    );
    let mint = m.assets[SOL].mint.to_string();
    assert_eq!(
        wallet::find_reserve(&view, &mint).unwrap().0,
        m.assets[SOL].reserve
    );
    assert!(message(wallet::find_reserve(&view, "DOGE")).contains("no reserve for"));
}
