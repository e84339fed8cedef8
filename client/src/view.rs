//! A read-only view of one market as the program sees it: the market, its reserves, their
//! oracle accounts and the clock. Health is computed by the program's own
//! [`ballast::valuation::Valuation`] over `AccountInfo`s built from the same bytes, so off-chain
//! health is the on-chain check, not a re-implementation of it.

use std::collections::BTreeMap;

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::{AccountDeserialize, Space};
use anyhow::Context as _;
use ballast::math::health::HealthTotals;
use ballast::math::value::Price;
use ballast::math::WAD;
use ballast::oracle::PricePolicyKind;
use ballast::state::{Market, Obligation, Reserve};
use ballast::valuation::Valuation;
use solana_sdk::account::Account;

use crate::chain::Chain;

/// Size of a reserve account.
pub const RESERVE_LEN: usize = 8 + Reserve::INIT_SPACE;
/// Size of an obligation account.
pub const OBLIGATION_LEN: usize = 8 + Obligation::INIT_SPACE;

/// The Pyth push-oracle program: owner of the sponsored, continuously updated `PriceUpdateV2`
/// accounts of pull feeds.
pub const PYTH_PUSH_ORACLE: Pubkey =
    anchor_lang::pubkey!("pythWSnswVUd12oZpeFP8e9CVaEqJg25g1Vtc2biRsT");

/// The Pyth push-oracle's sponsored price-feed account (shard 0) for `feed_id`: where a pull
/// feed's newest update lives, and the default oracle account of a pull reserve in a market file.
pub fn sponsored_feed_account(feed_id: &[u8; 32]) -> Pubkey {
    Pubkey::find_program_address(&[&0u16.to_le_bytes(), feed_id], &PYTH_PUSH_ORACLE).0
}

/// The accounts a client passes as `reserve`'s oracles: the ones its config names, primary then
/// fallback (the program accepts no others).
pub fn oracle_of(reserve: &Reserve) -> crate::OracleKeys {
    crate::OracleKeys::of(&reserve.config)
}

/// Decodes a Ballast account of type `T` (discriminator checked).
pub fn decode<T: AccountDeserialize>(account: &Account) -> anyhow::Result<T> {
    anyhow::ensure!(account.owner == ballast::ID, "not a Ballast account");
    T::try_deserialize(&mut account.data.as_slice()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// A price as a float, for display.
pub fn price_f64(price: Price) -> f64 {
    price.mantissa as f64 * 10f64.powi(price.expo)
}

/// One reserve as stored.
#[derive(Clone)]
pub struct ReserveEntry {
    pub key: Pubkey,
    pub reserve: Reserve,
    pub account: Account,
}

/// The market, its reserves and their oracles at one moment.
#[derive(Clone)]
pub struct MarketView {
    pub key: Pubkey,
    pub market: Market,
    /// By reserve address.
    pub reserves: BTreeMap<Pubkey, ReserveEntry>,
    /// By oracle address (absent when the account does not exist).
    pub oracles: BTreeMap<Pubkey, Account>,
    /// The chain's clock when loaded.
    pub now: i64,
}

impl MarketView {
    /// Loads the market, all its reserves (`getProgramAccounts`), their oracles and the clock.
    pub async fn load<C: Chain>(chain: &mut C, market_key: &Pubkey) -> anyhow::Result<MarketView> {
        let account = chain
            .account(market_key)
            .await?
            .with_context(|| format!("no market at {market_key}"))?;
        let market: Market = decode(&account).context("decoding the market")?;
        let mut view = MarketView {
            key: *market_key,
            market,
            reserves: BTreeMap::new(),
            oracles: BTreeMap::new(),
            now: 0,
        };
        for (key, account) in chain.program_accounts(RESERVE_LEN, market_key).await? {
            let reserve: Reserve = decode(&account)?;
            view.reserves.insert(
                key,
                ReserveEntry {
                    key,
                    reserve,
                    account,
                },
            );
        }
        view.refresh_oracles(chain).await?;
        Ok(view)
    }

    /// Re-reads every oracle account and the clock.
    pub async fn refresh_oracles<C: Chain>(&mut self, chain: &mut C) -> anyhow::Result<()> {
        let keys: Vec<Pubkey> = self
            .reserves
            .values()
            .flat_map(|e| {
                let oracles = oracle_of(&e.reserve);
                std::iter::once(oracles.primary).chain(oracles.fallback)
            })
            .collect();
        let accounts = chain.accounts(&keys).await?;
        self.oracles = keys
            .into_iter()
            .zip(accounts)
            .filter_map(|(key, account)| Some((key, account?)))
            .collect();
        self.now = chain.now().await?;
        Ok(())
    }

    /// Re-reads the reserves in `keys`, every oracle and the clock.
    pub async fn refresh_reserves<C: Chain>(
        &mut self,
        chain: &mut C,
        keys: &[Pubkey],
    ) -> anyhow::Result<()> {
        let accounts = chain.accounts(keys).await?;
        for (key, account) in keys.iter().zip(accounts) {
            if let Some(account) = account {
                let reserve: Reserve = decode(&account)?;
                self.reserves.insert(
                    *key,
                    ReserveEntry {
                        key: *key,
                        reserve,
                        account,
                    },
                );
            }
        }
        self.refresh_oracles(chain).await
    }

    /// The reserve for `mint`.
    pub fn reserve_by_mint(&self, mint: &Pubkey) -> Option<&ReserveEntry> {
        self.reserves.values().find(|e| e.reserve.mint == *mint)
    }

    /// `reserve` with interest projected to the view's clock.
    pub fn projected(&self, reserve: &Pubkey) -> Option<Reserve> {
        let entry = self.reserves.get(reserve)?;
        entry.reserve.projected(self.now).ok()
    }

    /// The price accounts passed for `reserve` in health checks (the default key for a reserve
    /// not in the view, which the program then refuses by name).
    pub fn oracle_for(&self, reserve: &Pubkey) -> crate::OracleKeys {
        self.reserves
            .get(reserve)
            .map(|e| oracle_of(&e.reserve))
            .unwrap_or_default()
    }

    /// The addresses of `reserve`, from its state in the view.
    pub fn keys(&self, reserve: &Pubkey) -> Option<crate::ReserveKeys> {
        let entry = self.reserves.get(reserve)?;
        Some(crate::ReserveKeys::of(reserve, &entry.reserve))
    }

    /// The canonical remaining accounts for `obligation` (reserves writable when `writable`).
    pub fn remaining_accounts(
        &self,
        obligation: &Obligation,
        writable: bool,
    ) -> Vec<anchor_lang::prelude::AccountMeta> {
        crate::instructions::remaining_accounts(obligation, |r| self.oracle_for(r), writable)
    }

    /// Values `obligation` exactly as the program does: `Valuation::load` over its canonical
    /// `[reserve, oracle, fallback oracle?]` accounts under `kind`'s price policy at the view's clock.
    pub fn valuate(
        &self,
        obligation: &Obligation,
        kind: PricePolicyKind,
    ) -> Result<(Valuation, HealthTotals), anchor_lang::error::Error> {
        let mut owned: Vec<(Pubkey, u64, Vec<u8>, Pubkey)> = vec![];
        for reserve_key in obligation.position_reserves() {
            let (reserve_account, oracles) = match self.reserves.get(&reserve_key) {
                Some(entry) => (entry.account.clone(), oracle_of(&entry.reserve)),
                None => (Account::default(), crate::OracleKeys::default()),
            };
            let mut push = |key: Pubkey, account: Account| {
                owned.push((key, account.lamports, account.data, account.owner));
            };
            push(reserve_key, reserve_account);
            for key in std::iter::once(oracles.primary).chain(oracles.fallback) {
                push(key, self.oracles.get(&key).cloned().unwrap_or_default());
            }
        }
        let infos: Vec<AccountInfo> = owned
            .iter_mut()
            .map(|(key, lamports, data, owner)| {
                AccountInfo::new(key, false, false, lamports, data, owner, false)
            })
            .collect();
        let valuation = Valuation::load(
            &self.key,
            &self.market,
            obligation,
            &infos,
            &[],
            kind,
            self.now,
        )?;
        let totals = valuation.totals(obligation)?;
        Ok((valuation, totals))
    }

    /// Whether `obligation` holds debt and no collateral of value under liquidation prices, by
    /// both sources where two disagree (`Valuation::write_off_totals`): what `realize_bad_debt`
    /// accepts.
    pub fn is_insolvent(&self, obligation: &Obligation, valuation: &Valuation) -> bool {
        valuation
            .holds_no_collateral_of_value(obligation, &self.market.liquidation)
            .unwrap_or(false)
    }
}

/// One collateral's price at which the obligation becomes liquidatable, other prices fixed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationPrice {
    pub reserve: Pubkey,
    /// Price now (liquidation policy, spot).
    pub price_now: f64,
    /// Price at which HF reaches 1; `None` when other collateral alone covers the debt.
    pub liquidation_price: Option<f64>,
}

/// For each enabled collateral of `obligation`, the price at which HF = 1 (liquidation prices).
pub fn liquidation_prices(
    valuation: &Valuation,
    totals: &HealthTotals,
    obligation: &Obligation,
) -> Vec<LiquidationPrice> {
    let mut out = vec![];
    for deposit in obligation
        .active_deposits()
        .filter(|d| d.collateral_enabled)
    {
        let Ok(entry) = valuation.get(&deposit.reserve) else {
            continue;
        };
        let Some(price) = entry.price else { continue };
        let Ok(tokens) = entry.reserve.tokens_for_shares(deposit.shares) else {
            continue;
        };
        let value = ballast::math::value::value_wad_floor(
            u128::from(tokens),
            entry.reserve.decimals,
            price.collateral,
        )
        .unwrap_or(0);
        let weighted = ballast::math::health::weighted_floor(
            value,
            u64::from(
                valuation
                    .collateral_params(obligation, &entry.reserve)
                    .liquidation_threshold_bps,
            ),
        )
        .unwrap_or(0);
        let others = totals
            .liquidation_weighted_collateral
            .saturating_sub(weighted);
        let price_now = price_f64(price.collateral);
        let liquidation_price =
            if totals.debt_value == 0 || weighted == 0 || others >= totals.debt_value {
                None
            } else {
                let needed = (totals.debt_value - others) as f64 / WAD as f64;
                Some(price_now * needed / (weighted as f64 / WAD as f64))
            };
        out.push(LiquidationPrice {
            reserve: deposit.reserve,
            price_now,
            liquidation_price,
        });
    }
    out
}
