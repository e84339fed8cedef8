//! Shared steps for the app's tests, on the market of `migrations/localnet.toml`.

use anchor_lang::prelude::Pubkey;
use ballast_app::localnet::LocalMarket;
use ballast_app::wallet;
use ballast_client::chain::Chain;
use ballast_client::view::MarketView;
use solana_sdk::signature::{Keypair, Signer};

/// 2026-01-01T00:00:00Z.
pub const START: i64 = 1_767_225_600;

/// A borrower: its wallet and obligation.
pub struct Borrower {
    pub keypair: Keypair,
    pub obligation: Pubkey,
}

/// A market with a lender supplying every asset deeply, and the admin (the chain's wallet,
/// also the keeper in these tests) holding an inventory of every asset.
pub async fn market(seed: u8) -> LocalMarket {
    let mut m = LocalMarket::localnet(seed, START)
        .await
        .expect("localnet market");
    let lender = Keypair::new_from_array([seed.wrapping_add(100); 32]);
    let obligation = m.user(&lender).await.expect("lender");
    for (asset, whole) in [(0, 5_000_000.0), (1, 100.0), (2, 100_000.0)] {
        let units = m.tokens(asset, whole);
        m.mint(&lender.pubkey(), asset, units).await.expect("mint");
        let view = m.view().await.expect("view");
        let reserve = m.assets[asset].reserve;
        wallet::deposit(&mut m.chain, &view, &lender, &obligation, &reserve, units)
            .await
            .expect("lender deposit");
    }
    let admin = m.admin.pubkey();
    for (asset, whole) in [(0, 10_000_000.0), (1, 100.0), (2, 100_000.0)] {
        let units = m.tokens(asset, whole);
        m.mint(&admin, asset, units).await.expect("inventory");
    }
    m
}

/// A borrower depositing `collateral` (asset, whole tokens) and borrowing `fill` of its strict
/// borrow limit in asset `debt`.
pub async fn borrower(
    m: &mut LocalMarket,
    seed: [u8; 32],
    collateral: &[(usize, f64)],
    debt: usize,
    fill: f64,
) -> Borrower {
    let keypair = Keypair::new_from_array(seed);
    let obligation = m.user(&keypair).await.expect("user");
    for (asset, whole) in collateral {
        let units = m.tokens(*asset, *whole);
        m.mint(&keypair.pubkey(), *asset, units)
            .await
            .expect("mint");
        let view = m.view().await.expect("view");
        let reserve = m.assets[*asset].reserve;
        wallet::deposit(&mut m.chain, &view, &keypair, &obligation, &reserve, units)
            .await
            .expect("deposit");
    }
    if fill > 0.0 {
        let units = borrowable(m, &obligation, debt, fill).await;
        borrow(m, &keypair, &obligation, debt, units)
            .await
            .expect("borrow");
    }
    Borrower {
        keypair,
        obligation,
    }
}

/// `keypair` borrows `units` of `asset` on `obligation` with the wallet command.
pub async fn borrow(
    m: &mut LocalMarket,
    keypair: &Keypair,
    obligation: &Pubkey,
    asset: usize,
    units: u64,
) -> anyhow::Result<solana_sdk::signature::Signature> {
    let view = m.view().await.expect("view");
    let reserve = m.assets[asset].reserve;
    wallet::borrow(&mut m.chain, &view, keypair, obligation, &reserve, units).await
}

/// Tokens of `asset` within `fill` of the obligation's remaining strict borrow limit.
pub async fn borrowable(m: &mut LocalMarket, obligation: &Pubkey, asset: usize, fill: f64) -> u64 {
    let view = m.view().await.expect("view");
    let state = wallet::read_obligation(&mut m.chain, obligation)
        .await
        .expect("obligation");
    let (_, totals) = view
        .valuate(&state, ballast::oracle::PricePolicyKind::Strict)
        .expect("valuation");
    let headroom = totals.borrow_limit.saturating_sub(totals.debt_value) as f64 / 1e18;
    m.tokens(asset, headroom * fill / (m.assets[asset].price * 1.001))
}

/// The raw bytes of an account.
pub async fn bytes(m: &mut LocalMarket, key: &Pubkey) -> Vec<u8> {
    m.chain
        .account(key)
        .await
        .expect("account")
        .map(|a| a.data)
        .unwrap_or_default()
}

/// Liquidation-policy health factor of an obligation as the keeper sees it.
pub async fn is_liquidatable(m: &mut LocalMarket, obligation: &Pubkey) -> bool {
    let view: MarketView = m.view().await.expect("view");
    let state = wallet::read_obligation(&mut m.chain, obligation)
        .await
        .expect("obligation");
    view.valuate(&state, ballast::oracle::PricePolicyKind::Liquidation)
        .map(|(_, t)| t.is_liquidatable())
        .unwrap_or(false)
}

/// A maximal liquidation of `obligation` (its state `state`) by the admin, repaying `repay` and
/// seizing `collateral` (asset indices) as tokens, with the view's remaining accounts.
pub fn liquidate_ix(
    m: &LocalMarket,
    view: &MarketView,
    obligation: &Pubkey,
    state: &ballast::state::Obligation,
    repay: usize,
    collateral: usize,
) -> solana_sdk::instruction::Instruction {
    use ballast_client::chain::ata;
    let admin = m.admin.pubkey();
    let repay = view
        .keys(&m.assets[repay].reserve)
        .expect("a reserve of the view");
    let collateral = view
        .keys(&m.assets[collateral].reserve)
        .expect("a reserve of the view");
    ballast_client::liquidate(
        &ballast_client::LiquidationAccounts {
            liquidator: admin,
            market: m.market,
            obligation: *obligation,
            repay_source: ata(&admin, &repay.mint, &repay.token_program),
            collateral_destination: Some(ata(&admin, &collateral.mint, &collateral.token_program)),
            liquidator_obligation: None,
        },
        &repay,
        &collateral,
        ballast::instructions::LiquidateArgs {
            max_repay: u64::MAX,
            min_collateral_out: 0,
            receive_shares: false,
        },
        view.remaining_accounts(state, true),
    )
}
