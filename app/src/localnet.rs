//! The market of `migrations/localnet.toml` on a chain one controls (the embedded bank, or a
//! local validator through surfpool's cheatcodes), with its mints and simulated oracle feeds under
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
    /// The primary source's simulated feed.
    pub oracle: Pubkey,
    /// The program owning it (which layout its bytes take).
    pub owner: Pubkey,
    pub feed_id: [u8; 32],
    /// What the simulated primary feed publishes.
    pub price: f64,
    pub publish_time: i64,
    /// The fallback source's simulated feed, when the reserve has one.
    pub fallback: Option<LocalFeed>,
}

/// A simulated feed other than an asset's primary.
#[derive(Debug, Clone, Copy)]
pub struct LocalFeed {
    pub oracle: Pubkey,
    pub owner: Pubkey,
    pub feed_id: [u8; 32],
    pub price: f64,
    pub publish_time: i64,
}

impl LocalFeed {
    fn of(config: &ballast::state::OracleConfig) -> anyhow::Result<LocalFeed> {
        Ok(LocalFeed {
            oracle: config.oracle_account,
            owner: pyth::owner_of_source(config.source).context("no oracle source")?,
            feed_id: config.feed_id,
            price: 0.0,
            publish_time: 0,
        })
    }

    /// Writes `price` published at `now`.
    async fn publish<C: LocalChain>(
        &mut self,
        chain: &mut C,
        price: f64,
        now: i64,
    ) -> anyhow::Result<()> {
        self.price = price;
        self.publish_time = now;
        let feed = Feed::at(price, now, self.feed_id);
        let data = pyth::feed_account_data(&self.owner, &feed);
        write_account(chain, &self.oracle, &self.owner, data).await?;
        Ok(())
    }

    /// Republishes what the account holds now at `now` (a price someone moved stays moved);
    /// an account missing or unreadable is written anew at the last price published here.
    async fn refresh<C: LocalChain>(&mut self, chain: &mut C, now: i64) -> anyhow::Result<()> {
        let held = chain
            .account(&self.oracle)
            .await?
            .and_then(|a| pyth::decode_feed(&a.owner, &a.data));
        match held {
            Some(mut feed) => {
                feed.publish_time = now;
                feed.feed_id = self.feed_id;
                self.price = feed.price as f64 * 10f64.powi(feed.expo);
                self.publish_time = now;
                let data = pyth::feed_account_data(&self.owner, &feed);
                write_account(chain, &self.oracle, &self.owner, data).await?;
                Ok(())
            }
            None => {
                let price = self.price;
                self.publish(chain, price, now).await
            }
        }
    }
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
            let primary = LocalFeed::of(&config.oracle)?;
            assets.push(LocalAsset {
                symbol: spec.symbol.clone(),
                mint,
                decimals: spec.decimals,
                reserve: client::reserve_address(&market, &mint),
                oracle: primary.oracle,
                owner: primary.owner,
                feed_id: primary.feed_id,
                price: 0.0,
                publish_time: 0,
                fallback: match config.fallback_oracle.is_set() {
                    true => Some(LocalFeed::of(&config.fallback_oracle)?),
                    false => None,
                },
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

    /// Republishes every feed (primaries and fallbacks) at the chain's current time, with the
    /// price, confidence and EMA it holds now (so a price someone moved stays moved); a missing
    /// or undecodable feed is written anew at the last price this process published. Returns
    /// the primaries' prices.
    pub async fn refresh(&mut self) -> anyhow::Result<Vec<f64>> {
        let now = self.sync_clock().await?;
        for index in 0..self.assets.len() {
            let mut primary = self.primary_feed(index);
            primary.refresh(&mut self.chain, now).await?;
            self.set_primary_feed(index, primary);
            if let Some(mut fallback) = self.assets[index].fallback {
                fallback.refresh(&mut self.chain, now).await?;
                self.assets[index].fallback = Some(fallback);
            }
        }
        Ok(self.assets.iter().map(|a| a.price).collect())
    }

    fn primary_feed(&self, asset: usize) -> LocalFeed {
        let a = &self.assets[asset];
        LocalFeed {
            oracle: a.oracle,
            owner: a.owner,
            feed_id: a.feed_id,
            price: a.price,
            publish_time: a.publish_time,
        }
    }

    fn set_primary_feed(&mut self, asset: usize, feed: LocalFeed) {
        let a = &mut self.assets[asset];
        a.price = feed.price;
        a.publish_time = feed.publish_time;
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

    /// Publishes `price` for `asset` now on its simulated feeds: the primary's and, when the
    /// reserve has one, the fallback's (the market moves every source alike).
    pub async fn publish(&mut self, asset: usize, price: f64) -> anyhow::Result<()> {
        self.publish_primary(asset, price).await?;
        if self.assets[asset].fallback.is_some() {
            self.publish_fallback(asset, price).await?;
        }
        Ok(())
    }

    /// Publishes `price` for `asset` now on its primary feed alone.
    pub async fn publish_primary(&mut self, asset: usize, price: f64) -> anyhow::Result<()> {
        self.publish_primary_at(asset, price, self.now).await
    }

    /// Publishes `price` for `asset` on its primary feed alone, dated `publish_time`.
    pub async fn publish_primary_at(
        &mut self,
        asset: usize,
        price: f64,
        publish_time: i64,
    ) -> anyhow::Result<()> {
        let mut feed = self.primary_feed(asset);
        feed.publish(&mut self.chain, price, publish_time).await?;
        self.set_primary_feed(asset, feed);
        Ok(())
    }

    /// Publishes `price` for `asset` now on its fallback feed alone (the reserve has one).
    pub async fn publish_fallback(&mut self, asset: usize, price: f64) -> anyhow::Result<()> {
        self.publish_fallback_at(asset, price, self.now).await
    }

    /// Publishes `price` for `asset` on its fallback feed alone, dated `publish_time`.
    pub async fn publish_fallback_at(
        &mut self,
        asset: usize,
        price: f64,
        publish_time: i64,
    ) -> anyhow::Result<()> {
        let mut feed = self.assets[asset]
            .fallback
            .with_context(|| format!("{} has no fallback oracle", self.assets[asset].symbol))?;
        feed.publish(&mut self.chain, price, publish_time).await?;
        self.assets[asset].fallback = Some(feed);
        Ok(())
    }

    /// Moves the clock `seconds` forward and republishes every feed but `silent`'s (both its
    /// sources) at the new time.
    pub async fn advance(&mut self, seconds: i64, silent: &[usize]) -> anyhow::Result<()> {
        self.advance_with_silent_primaries(seconds, silent, &[])
            .await
    }

    /// [`LocalMarket::advance`], where the assets of `silent_primaries` lose only their primary
    /// source: their fallbacks go on publishing.
    pub async fn advance_with_silent_primaries(
        &mut self,
        seconds: i64,
        silent: &[usize],
        silent_primaries: &[usize],
    ) -> anyhow::Result<()> {
        self.now += seconds;
        self.chain.set_clock(self.now).await?;
        for asset in 0..self.assets.len() {
            if silent.contains(&asset) {
                continue;
            }
            if !silent_primaries.contains(&asset) {
                let price = self.assets[asset].price;
                self.publish_primary(asset, price).await?;
            }
            if let Some(fallback) = self.assets[asset].fallback {
                self.publish_fallback(asset, fallback.price).await?;
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
