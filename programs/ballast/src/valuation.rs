//! Valuing an obligation: checks the canonical `remaining_accounts`, reads each price under a
//! policy, projects interest to now, and sums the obligation's health with `math::health`.

use anchor_lang::prelude::*;

use crate::errors::{BallastError, MathResultExt};
use crate::math::health::HealthTotals;
use crate::math::value::{value_wad_ceil, value_wad_floor};
use crate::oracle::{read_price, PolicyPrice, PricePolicyKind};
use crate::state::{Market, Obligation, Reserve};

/// One reserve of an obligation, as valued.
pub struct ValuedReserve {
    /// Reserve address.
    pub key: Pubkey,
    /// Index of the reserve's account in `remaining_accounts`.
    pub account_index: usize,
    /// Reserve with interest projected to now (a copy; live reserves are passed separately).
    pub reserve: Reserve,
    /// Price under the policy, or `None` when no position in it needs one.
    pub price: Option<PolicyPrice>,
}

/// Prices and reserves of every position of one obligation.
pub struct Valuation {
    /// One entry per distinct reserve, canonical order.
    pub reserves: Vec<ValuedReserve>,
}

/// Reserves already loaded (and accrued) as named accounts: used instead of the copies in
/// `remaining_accounts`, so a reserve written by the instruction is valued as written.
pub type LiveReserves<'a> = &'a [(Pubkey, &'a Reserve)];

impl Valuation {
    /// Checks `remaining` is exactly `[reserve, oracle]` for each of `obligation`'s reserves
    /// (canonical order, each once) and reads every needed price under `kind`.
    pub fn load(
        market_key: &Pubkey,
        market: &Market,
        obligation: &Obligation,
        remaining: &[AccountInfo],
        live: LiveReserves,
        kind: PricePolicyKind,
        now: i64,
    ) -> Result<Valuation> {
        let keys = obligation.position_reserves();
        require!(
            remaining.len() == keys.len() * 2,
            BallastError::InvalidRemainingAccounts
        );
        let mut reserves = Vec::with_capacity(keys.len());
        for (position, key) in keys.iter().enumerate() {
            let account = &remaining[position * 2];
            let oracle = &remaining[position * 2 + 1];
            require_keys_eq!(*account.key, *key, BallastError::InvalidRemainingAccounts);
            let reserve = match live.iter().find(|(live_key, _)| live_key == key) {
                Some((_, reserve)) => (*reserve).clone(),
                None => load_reserve(account)?.projected(now)?,
            };
            require_keys_eq!(reserve.market, *market_key, BallastError::WrongMarket);
            let needs_price = obligation.borrow(key).is_some()
                || obligation
                    .deposit(key)
                    .is_some_and(|deposit| deposit.collateral_enabled);
            let price = if needs_price {
                Some(read_price(market, &reserve, oracle, kind, now)?)
            } else {
                None
            };
            reserves.push(ValuedReserve {
                key: *key,
                account_index: position * 2,
                reserve,
                price,
            });
        }
        Ok(Valuation { reserves })
    }

    /// The valued entry for `key`.
    pub fn get(&self, key: &Pubkey) -> Result<&ValuedReserve> {
        self.reserves
            .iter()
            .find(|entry| entry.key == *key)
            .ok_or_else(|| error!(BallastError::InvalidRemainingAccounts))
    }

    /// Replaces the reserve copy for `key` (after the instruction changed it).
    pub fn refresh(&mut self, key: &Pubkey, reserve: &Reserve) {
        if let Some(entry) = self.reserves.iter_mut().find(|entry| entry.key == *key) {
            entry.reserve = reserve.clone();
        }
    }

    /// Health totals of `obligation` at these prices. Collateral values round down, debt up.
    pub fn totals(&self, obligation: &Obligation) -> Result<HealthTotals> {
        let mut totals = HealthTotals::default();
        for deposit in obligation
            .active_deposits()
            .filter(|deposit| deposit.collateral_enabled)
        {
            let entry = self.get(&deposit.reserve)?;
            let price = entry
                .price
                .ok_or_else(|| error!(BallastError::InvalidRemainingAccounts))?;
            let tokens = entry.reserve.tokens_for_shares(deposit.shares)?;
            let value =
                value_wad_floor(u128::from(tokens), entry.reserve.decimals, price.collateral)
                    .or_err()?;
            let config = &entry.reserve.config;
            totals
                .add_collateral(
                    value,
                    u64::from(config.ltv_bps),
                    u64::from(config.liquidation_threshold_bps),
                )
                .or_err()?;
        }
        for borrow in obligation.active_borrows() {
            let entry = self.get(&borrow.reserve)?;
            let price = entry
                .price
                .ok_or_else(|| error!(BallastError::InvalidRemainingAccounts))?;
            let owed = entry.reserve.owed_tokens(borrow.scaled_debt)?;
            totals
                .add_debt(
                    value_wad_ceil(u128::from(owed), entry.reserve.decimals, price.debt)
                        .or_err()?,
                )
                .or_err()?;
        }
        Ok(totals)
    }
}

/// Deserializes a reserve from an account after checking it is owned by this program.
pub fn load_reserve(account: &AccountInfo) -> Result<Reserve> {
    require_keys_eq!(
        *account.owner,
        crate::ID,
        BallastError::InvalidRemainingAccounts
    );
    let data = account.try_borrow_data()?;
    Reserve::try_deserialize(&mut &data[..])
}

/// Writes a reserve back into its account; the account must be writable.
pub fn store_reserve(account: &AccountInfo, reserve: &Reserve) -> Result<()> {
    require!(account.is_writable, BallastError::ReserveNotWritable);
    let mut data = account.try_borrow_mut_data()?;
    reserve.try_serialize(&mut &mut data[..])
}

/// Ends an instruction that lowered health: the obligation must stay within its borrow limit
/// under strict prices.
pub fn require_within_borrow_limit(
    market_key: &Pubkey,
    market: &Market,
    obligation: &Obligation,
    remaining: &[AccountInfo],
    live: LiveReserves,
    now: i64,
) -> Result<(Valuation, HealthTotals)> {
    require_within_borrow_limit_listed(
        market_key, market, obligation, obligation, remaining, live, now,
    )
}

/// The same check when `remaining` lists the positions of `listed` (the obligation as the
/// client read it, before the instruction closed a slot) while health is that of `obligation`.
pub fn require_within_borrow_limit_listed(
    market_key: &Pubkey,
    market: &Market,
    listed: &Obligation,
    obligation: &Obligation,
    remaining: &[AccountInfo],
    live: LiveReserves,
    now: i64,
) -> Result<(Valuation, HealthTotals)> {
    let valuation = Valuation::load(
        market_key,
        market,
        listed,
        remaining,
        live,
        PricePolicyKind::Strict,
        now,
    )?;
    let totals = valuation.totals(obligation)?;
    require!(
        totals.is_within_borrow_limit(),
        BallastError::BorrowLimitExceeded
    );
    Ok((valuation, totals))
}

impl Valuation {
    /// The publish time of the price used for `key`, if one was read.
    pub fn publish_time(&self, key: &Pubkey) -> Option<i64> {
        self.reserves
            .iter()
            .find(|entry| entry.key == *key)
            .and_then(|entry| entry.price)
            .map(|p| p.publish_time)
    }
}
