//! The market of `migrations/localnet.toml` on a chain one controls (the embedded bank, or a
//! local validator through surfpool's cheatcodes), with its mints and simulated Pyth feeds under
//! control: what the demo, the app's tests and `ballast-localnet` drive.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anyhow::Context as _;
use ballast_bank::pyth::{self, Feed};
use ballast_client as client;
use solana_sdk::signature::{Keypair, Signer};

use crate::format::amount_short;
use crate::migrate::{self, MarketFile, Step};
use crate::wallet;
use ballast_bank::chain::BankChain;
use ballast_client::chain::{
    ata, create_mint_at, mint_to, token_amount, write_account, LocalChain,
};
use ballast_client::view::MarketView;

/// Index of USDC in `localnet.toml`.
pub const USDC: usize = 0;
/// Index of BTC in `localnet.toml`.
pub const BTC: usize = 1;
/// Index of SOL in `localnet.toml`.
pub const SOL: usize = 2;

/// One listed asset.
#[derive(Debug, Clone)]
pub struct LocalAsset {
    pub symbol: String,
    pub mint: Pubkey,
    pub decimals: u8,
    pub reserve: Pubkey,
    pub oracle: Pubkey,
    pub pull: bool,
    pub feed_id: [u8; 32],
    /// What the simulated feed publishes.
    pub price: f64,
    pub publish_time: i64,
}

/// The chain, the market and everything needed to move prices, time and tokens.
pub struct LocalMarket<C: LocalChain = BankChain> {
    pub chain: C,
    /// The market's creator and admin (the chain's wallet).
    pub admin: Keypair,
    pub mint_authority: Keypair,
    pub market: Pubkey,
    pub assets: Vec<LocalAsset>,
    /// Tokens minted to each wallet, per asset.
    pub minted: BTreeMap<(Pubkey, usize), u64>,
    pub now: i64,
    /// The steps the migration applied.
    pub migration: Vec<Step>,
}

impl<C: LocalChain> LocalMarket<C> {
    /// On `chain` (acting as `admin`), moves the clock to `start_time`, creates the file's mints
    /// and feeds at their fixed addresses, and applies the file with `ballast migrate`'s plan.
    pub async fn start(
        mut chain: C,
        file: &MarketFile,
        admin: Keypair,
        mint_authority: Keypair,
        start_time: i64,
    ) -> anyhow::Result<LocalMarket<C>> {
        chain.set_clock(start_time).await?;
        let market = file.market_address(&admin.pubkey())?;
        let mut local = LocalMarket {
            chain,
            admin,
            mint_authority,
            market,
            assets: vec![],
            minted: BTreeMap::new(),
            now: start_time,
            migration: vec![],
        };
        let authority = local.mint_authority.pubkey();
        for spec in &file.reserves {
            let mint = spec.mint()?;
            let config = spec.config()?;
            create_mint_at(&mut local.chain, &mint, spec.decimals, &authority).await?;
            local.assets.push(LocalAsset {
                symbol: spec.symbol.clone(),
                mint,
                decimals: spec.decimals,
                reserve: client::reserve_address(&market, &mint),
                oracle: config.oracle.oracle_account,
                pull: config.oracle.source == ballast::state::ORACLE_SOURCE_PYTH_PULL,
                feed_id: config.oracle.feed_id,
                price: 0.0,
                publish_time: 0,
            });
            let index = local.assets.len() - 1;
            local
                .publish(index, spec.localnet.map(|l| l.price_usd).unwrap_or(1.0))
                .await?;
        }
        let steps = migrate::plan(&mut local.chain, file).await?;
        migrate::apply(&mut local.chain, &steps).await?;
        local.migration = steps;
        Ok(local)
    }

    /// A funded wallet with obligation 0.
    pub async fn user(&mut self, keypair: &Keypair) -> anyhow::Result<Pubkey> {
        self.chain.airdrop(&keypair.pubkey(), 1_000_000_000).await?;
        let market = self.market;
        wallet::create_obligation(&mut self.chain, &market, keypair, 0).await
    }

    pub fn tokens(&self, asset: usize, whole: f64) -> u64 {
        (whole * 10f64.powi(i32::from(self.assets[asset].decimals))).round() as u64
    }

    pub fn show(&self, asset: usize, units: u128) -> String {
        format!(
            "{} {}",
            amount_short(units, self.assets[asset].decimals),
            self.assets[asset].symbol
        )
    }

    /// Publishes `price` for `asset` now on its simulated feed.
    pub async fn publish(&mut self, asset: usize, price: f64) -> anyhow::Result<()> {
        let now = self.now;
        let a = &mut self.assets[asset];
        a.price = price;
        a.publish_time = now;
        let feed = Feed::at(price, now, a.feed_id);
        let (owner, data) = if a.pull {
            (
                pyth::PYTH_RECEIVER_PROGRAM,
                pyth::pull_price_update_data(&feed),
            )
        } else {
            (
                pyth::PYTH_LEGACY_PROGRAM,
                pyth::legacy_price_account_data(&feed),
            )
        };
        let oracle = a.oracle;
        write_account(&mut self.chain, &oracle, &owner, data).await?;
        Ok(())
    }

    /// Moves the clock `seconds` forward and republishes every feed but `silent` at the new time.
    pub async fn advance(&mut self, seconds: i64, silent: &[usize]) -> anyhow::Result<()> {
        self.now += seconds;
        self.chain.set_clock(self.now).await?;
        for asset in 0..self.assets.len() {
            if !silent.contains(&asset) {
                let price = self.assets[asset].price;
                self.publish(asset, price).await?;
            }
        }
        Ok(())
    }

    pub async fn view(&mut self) -> anyhow::Result<MarketView> {
        MarketView::load(&mut self.chain, &self.market).await
    }

    pub async fn mint(&mut self, owner: &Pubkey, asset: usize, units: u64) -> anyhow::Result<()> {
        let mint = self.assets[asset].mint;
        let authority = self.mint_authority.insecure_clone();
        mint_to(&mut self.chain, &mint, &authority, owner, units).await?;
        *self.minted.entry((*owner, asset)).or_default() += units;
        Ok(())
    }

    pub async fn balance(&mut self, owner: &Pubkey, asset: usize) -> anyhow::Result<u64> {
        let account = ata(owner, &self.assets[asset].mint, &anchor_spl::token::ID);
        Ok(token_amount(self.chain.account(&account).await?.as_ref()))
    }

    pub async fn token_balance(&mut self, account: &Pubkey) -> anyhow::Result<u64> {
        Ok(token_amount(self.chain.account(account).await?.as_ref()))
    }

    pub fn asset_of(&self, reserve: &Pubkey) -> anyhow::Result<usize> {
        self.assets
            .iter()
            .position(|a| a.reserve == *reserve)
            .context("unknown reserve")
    }
}

impl LocalMarket<BankChain> {
    /// The shipped `migrations/localnet.toml` on a new embedded bank.
    pub async fn localnet(seed: u8, start_time: i64) -> anyhow::Result<LocalMarket> {
        let file = MarketFile::parse(migrate::LOCALNET).context("migrations/localnet.toml")?;
        let admin = Keypair::new_from_array([seed; 32]);
        let chain = BankChain::start(admin.insecure_clone(), start_time).await;
        LocalMarket::start(
            chain,
            &file,
            admin,
            Keypair::new_from_array([seed.wrapping_add(1); 32]),
            start_time,
        )
        .await
    }
}
