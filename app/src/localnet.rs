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
        let mut local = LocalMarket::attach(chain, file, admin, mint_authority, start_time)?;
        local.create_assets(file).await?;
        local.migrate(file).await?;
        Ok(local)
    }

    /// The file's market as seen from `chain`, writing nothing: the addresses of its mints,
    /// reserves and feeds (to move a price on a running localnet, say). Prices read as 0 until
    /// published or [`LocalMarket::refresh`]ed.
    pub fn attach(
        chain: C,
        file: &MarketFile,
        admin: Keypair,
        mint_authority: Keypair,
        now: i64,
    ) -> anyhow::Result<LocalMarket<C>> {
        let market = file.market_address(&admin.pubkey())?;
        let mut assets = vec![];
        for spec in &file.reserves {
            let mint = spec.mint()?;
            let config = spec.config()?;
            assets.push(LocalAsset {
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
        }
        Ok(LocalMarket {
            chain,
            admin,
            mint_authority,
            market,
            assets,
            minted: BTreeMap::new(),
            now,
            migration: vec![],
        })
    }

    /// Writes the file's mints (authority: the mint authority) and a feed for each at its
    /// `[reserve.localnet]` price.
    pub async fn create_assets(&mut self, file: &MarketFile) -> anyhow::Result<()> {
        let authority = self.mint_authority.pubkey();
        for (index, spec) in file.reserves.iter().enumerate() {
            let mint = self.assets[index].mint;
            create_mint_at(&mut self.chain, &mint, spec.decimals, &authority).await?;
            self.publish(index, spec.localnet.map(|l| l.price_usd).unwrap_or(1.0))
                .await?;
        }
        Ok(())
    }

    /// Applies the file with `ballast migrate`'s plan, as the admin.
    pub async fn migrate(&mut self, file: &MarketFile) -> anyhow::Result<()> {
        let steps = migrate::plan(&mut self.chain, file).await?;
        migrate::apply(&mut self.chain, &steps).await?;
        self.migration = steps;
        Ok(())
    }

    /// Reads the chain's clock into `now` (a running validator's clock moves on its own).
    pub async fn sync_clock(&mut self) -> anyhow::Result<i64> {
        self.now = self.chain.now().await?;
        Ok(self.now)
    }

    /// Republishes every feed at the chain's current time, with the price, confidence and EMA
    /// it holds now (so a price someone moved stays moved); a missing or undecodable feed is
    /// written anew at the last price this process published. Returns the prices.
    pub async fn refresh(&mut self) -> anyhow::Result<Vec<f64>> {
        let now = self.sync_clock().await?;
        let oracles: Vec<Pubkey> = self.assets.iter().map(|a| a.oracle).collect();
        let accounts = self.chain.accounts(&oracles).await?;
        for (index, account) in accounts.into_iter().enumerate() {
            let held = account.and_then(|a| pyth::decode_feed(&a.owner, &a.data));
            match held {
                Some(mut feed) => {
                    feed.publish_time = now;
                    let a = &mut self.assets[index];
                    a.price = feed.price as f64 * 10f64.powi(feed.expo);
                    a.publish_time = now;
                    feed.feed_id = a.feed_id;
                    let (oracle, owner, data) =
                        (a.oracle, feed_owner(a.pull), feed_data(a.pull, &feed));
                    write_account(&mut self.chain, &oracle, &owner, data).await?;
                }
                None => {
                    let price = self.assets[index].price;
                    self.publish(index, price).await?;
                }
            }
        }
        Ok(self.assets.iter().map(|a| a.price).collect())
    }

    /// The index of the asset called `symbol` (any case).
    pub fn asset_named(&self, symbol: &str) -> anyhow::Result<usize> {
        self.assets
            .iter()
            .position(|a| a.symbol.eq_ignore_ascii_case(symbol))
            .with_context(|| {
                let known: Vec<&str> = self.assets.iter().map(|a| a.symbol.as_str()).collect();
                format!(
                    "no asset {symbol} in the market (known: {})",
                    known.join(", ")
                )
            })
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
        let (oracle, owner, data) = (a.oracle, feed_owner(a.pull), feed_data(a.pull, &feed));
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

fn feed_owner(pull: bool) -> Pubkey {
    if pull {
        pyth::PYTH_RECEIVER_PROGRAM
    } else {
        pyth::PYTH_LEGACY_PROGRAM
    }
}

fn feed_data(pull: bool, feed: &Feed) -> Vec<u8> {
    if pull {
        pyth::pull_price_update_data(feed)
    } else {
        pyth::legacy_price_account_data(feed)
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
