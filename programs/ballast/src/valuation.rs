//! Valuing an obligation: checks the canonical `remaining_accounts`, reads each price under a
//! policy, projects interest to now, and sums the obligation's health with `math::health`.

use anchor_lang::prelude::*;

use crate::errors::{BallastError, MathResultExt};
use crate::math::health::HealthTotals;
use crate::math::liquidation::{LiquidationRequest, PositionQuote};
use crate::math::value::{value_wad_ceil, value_wad_floor, Price};
use crate::oracle::{
    read_last_price, read_price, OracleAccounts, PolicyPrice, PricePolicyKind, PriceSource,
};
use crate::state::{
    CollateralParams, EmodeCategory, Market, Obligation, Reserve, EMODE_CATEGORIES,
};

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
    /// The price failed the liquidation policy and is the feed's last published price, used
    /// because the obligation's positions in this reserve are negligible at it.
    pub negligible: bool,
}

/// Prices and reserves of every position of one obligation.
pub struct Valuation {
    /// One entry per distinct reserve, canonical order.
    pub reserves: Vec<ValuedReserve>,
    /// The market's e-mode categories (an obligation in one values its collateral of the
    /// category with the category's parameters).
    pub emode_categories: [EmodeCategory; EMODE_CATEGORIES],
}

/// Reserves already loaded (and accrued) as named accounts: used instead of the copies in
/// `remaining_accounts`, so a reserve written by the instruction is valued as written.
pub type LiveReserves<'a> = &'a [(Pubkey, &'a Reserve)];

impl Valuation {
    /// Checks `remaining` is exactly `[reserve, oracle, fallback oracle?]` for each of
    /// `obligation`'s reserves (canonical order, each once; the fallback's account only for a
    /// reserve that has one) and reads every needed price under `kind`.
    ///
    /// Under the liquidation policy, a reserve other than the instruction's named (`live`)
    /// reserves whose price fails the policy is still valued if the obligation's positions in it
    /// are worth at most the market's negligible value at the feed's last published price: a
    /// dust position (a deposit reads no price) must not block a liquidation or a write-off.
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
        let mut reserves = Vec::with_capacity(keys.len());
        let mut cursor = 0;
        for key in &keys {
            let account_index = cursor;
            let account = remaining
                .get(cursor)
                .ok_or(BallastError::InvalidRemainingAccounts)?;
            require_keys_eq!(*account.key, *key, BallastError::InvalidRemainingAccounts);
            let named = live.iter().find(|(live_key, _)| live_key == key);
            let reserve = match named {
                Some((_, reserve)) => (*reserve).clone(),
                None => load_reserve(account)?.projected(now)?,
            };
            require_keys_eq!(reserve.market, *market_key, BallastError::WrongMarket);
            let oracles = listed_oracles(&reserve, remaining, cursor + 1)?;
            cursor += 2 + usize::from(oracles.fallback.is_some());
            let needs_price = obligation.borrow(key).is_some()
                || obligation
                    .deposit(key)
                    .is_some_and(|deposit| deposit.collateral_enabled);
            let mut negligible = false;
            let price = if !needs_price {
                None
            } else {
                match read_price(market, &reserve, oracles, kind, now) {
                    Ok(price) => Some(price),
                    Err(error) if kind == PricePolicyKind::Liquidation && named.is_none() => {
                        let Ok(last) = read_last_price(market, &reserve, oracles) else {
                            return Err(error);
                        };
                        let value = position_value(obligation, key, &reserve, last)?;
                        if value > market.liquidation.bad_debt_collateral_dust_value {
                            return Err(error);
                        }
                        negligible = true;
                        Some(PolicyPrice::single(last, last, last, 0))
                    }
                    Err(error) => return Err(error),
                }
            };
            reserves.push(ValuedReserve {
                key: *key,
                account_index,
                reserve,
                price,
                negligible,
            });
        }
        require!(
            cursor == remaining.len(),
            BallastError::InvalidRemainingAccounts
        );
        Ok(Valuation {
            reserves,
            emode_categories: market.emode_categories,
        })
    }

    /// The parameters `obligation`'s collateral in `reserve` is valued and liquidated with.
    pub fn collateral_params(
        &self,
        obligation: &Obligation,
        reserve: &Reserve,
    ) -> CollateralParams {
        CollateralParams::of(
            &self.emode_categories,
            obligation.emode_category,
            &reserve.config,
        )
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
        self.totals_at(obligation, |price| (price.collateral, price.debt))
    }

    /// The totals a write-off is decided by: as [`Valuation::totals`], except that a reserve
    /// whose two sources disagree is valued at the higher collateral and the lower debt price
    /// (`PolicyPrice::write_off_collateral`, `write_off_debt`), so that no obligation solvent by
    /// either source is written off. (A liquidation still takes the conservative price.)
    pub fn write_off_totals(&self, obligation: &Obligation) -> Result<HealthTotals> {
        self.totals_at(obligation, |price| {
            (price.write_off_collateral, price.write_off_debt)
        })
    }

    /// Whether `obligation` is to be written off: it holds debt and no collateral of value
    /// under `liquidation`'s rule, valued at [`Valuation::write_off_totals`]. What
    /// `realize_bad_debt` requires and a liquidation's write-off checks; the keeper and the
    /// stress test ask the same.
    pub fn holds_no_collateral_of_value(
        &self,
        obligation: &Obligation,
        liquidation: &crate::state::LiquidationConfig,
    ) -> Result<bool> {
        Ok(obligation.has_debt()
            && liquidation.holds_no_collateral_of_value(&self.write_off_totals(obligation)?))
    }

    fn totals_at(
        &self,
        obligation: &Obligation,
        prices: impl Fn(&PolicyPrice) -> (Price, Price),
    ) -> Result<HealthTotals> {
        let mut totals = HealthTotals::default();
        for deposit in obligation
            .active_deposits()
            .filter(|deposit| deposit.collateral_enabled)
        {
            let entry = self.get(&deposit.reserve)?;
            let price = entry
                .price
                .ok_or_else(|| error!(BallastError::InvalidRemainingAccounts))?;
            let tokens = entry.reserve.collateral_tokens(deposit.shares)?;
            let value = collateral_value(tokens, &entry.reserve, prices(&price).0);
            let params = self.collateral_params(obligation, &entry.reserve);
            totals
                .add_collateral(
                    value,
                    u64::from(params.ltv_bps),
                    u64::from(params.liquidation_threshold_bps),
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
                .add_debt(debt_value(owed, &entry.reserve, prices(&price).1))
                .or_err()?;
        }
        Ok(totals)
    }

    /// What `size_liquidation` needs to size repaying `repay` and seizing `collateral` of
    /// `obligation`, valued with `totals` (these prices): the one place the program and the
    /// keeper build it.
    pub fn liquidation_request(
        &self,
        obligation: &Obligation,
        totals: &HealthTotals,
        repay: &Pubkey,
        collateral: &Pubkey,
        max_repay: u64,
    ) -> Result<LiquidationRequest> {
        let borrow = obligation
            .borrow(repay)
            .ok_or(BallastError::NoBorrowInReserve)?;
        let deposit = obligation
            .deposit(collateral)
            .filter(|deposit| deposit.collateral_enabled)
            .ok_or(BallastError::NoDepositInReserve)?;
        let debt = self.get(repay)?;
        let seized = self.get(collateral)?;
        let debt_price = debt.price.ok_or(BallastError::NoBorrowInReserve)?;
        let collateral_price = seized.price.ok_or(BallastError::NoDepositInReserve)?;
        let config = &seized.reserve.config;
        let params = self.collateral_params(obligation, &seized.reserve);
        Ok(LiquidationRequest {
            health_wad: totals.health_factor_wad().or_err()?,
            total_debt_value: totals.debt_value,
            total_collateral_value: totals.collateral_value,
            debt: PositionQuote {
                tokens: debt.reserve.owed_tokens(borrow.scaled_debt)?,
                decimals: debt.reserve.decimals,
                price: debt_price.debt,
            },
            collateral: PositionQuote {
                tokens: seized.reserve.collateral_tokens(deposit.shares)?,
                decimals: seized.reserve.decimals,
                price: collateral_price.collateral,
            },
            collateral_share_value_wad: seized.reserve.share_value_wad()?,
            collateral_liquidation_threshold_bps: u64::from(params.liquidation_threshold_bps),
            min_bonus_bps: u64::from(params.min_liquidation_bonus_bps),
            max_bonus_bps: u64::from(params.max_liquidation_bonus_bps),
            protocol_fee_bps: u64::from(config.protocol_liquidation_fee_bps),
            max_repay,
        })
    }

    /// Whether liquidations are paused on any reserve of the obligation: a write-off, which
    /// changes every one of them, then waits for `realize_bad_debt` after the pause.
    pub fn any_liquidation_paused(&self) -> bool {
        self.reserves
            .iter()
            .any(|entry| entry.reserve.pause_flags & crate::state::PAUSE_LIQUIDATE != 0)
    }
}

/// Value (USD WAD, rounded down) of `tokens` of collateral; saturates at `u128::MAX`, which
/// only understates it.
fn collateral_value(tokens: u128, reserve: &Reserve, price: Price) -> u128 {
    value_wad_floor(tokens, reserve.decimals, price).unwrap_or(u128::MAX)
}

/// Value (USD WAD, rounded up) of `owed` debt tokens; a debt too large for a `u128` value is
/// worth `u128::MAX` (≈ $3.4 × 10²⁰), more than any collateral.
fn debt_value(owed: u128, reserve: &Reserve, price: Price) -> u128 {
    value_wad_ceil(owed, reserve.decimals, price).unwrap_or(u128::MAX)
}

/// Value of `obligation`'s positions in `key` at `price`: enabled collateral plus debt.
fn position_value(
    obligation: &Obligation,
    key: &Pubkey,
    reserve: &Reserve,
    price: Price,
) -> Result<u128> {
    let mut value = 0u128;
    if let Some(deposit) = obligation
        .deposit(key)
        .filter(|deposit| deposit.collateral_enabled)
    {
        let tokens = reserve.collateral_tokens(deposit.shares)?;
        value = value.saturating_add(collateral_value(tokens, reserve, price));
    }
    if let Some(borrow) = obligation.borrow(key) {
        let owed = reserve.owed_tokens(borrow.scaled_debt)?;
        value = value.saturating_add(debt_value(owed, reserve, price));
    }
    Ok(value)
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
    valuation.emit_sources();
    Ok((valuation, totals))
}

impl Valuation {
    /// The publish time of the price used for `key`, if one was read.
    pub fn publish_time(&self, key: &Pubkey) -> Option<i64> {
        self.price(key).map(|p| p.publish_time)
    }

    fn price(&self, key: &Pubkey) -> Option<PolicyPrice> {
        self.reserves
            .iter()
            .find(|entry| entry.key == *key)
            .and_then(|entry| entry.price)
    }

    /// Records on `reserve` (the instruction's named reserve at `key`, written back) the publish
    /// time and source of the price it was valued at, so that no source may price it with an
    /// older update. A negligible position's last price is never recorded.
    pub fn record_price(&self, key: &Pubkey, reserve: &mut Reserve) {
        if let Some(price) = self.price(key).filter(|p| p.publish_time > 0) {
            reserve.last_oracle_publish_time = price.publish_time;
            reserve.last_price_source = price.source as u8;
        }
    }

    /// Emits `OracleSourceUsed` for every reserve valued at a price other than its primary's:
    /// the instruction's record of its fallbacks (nothing is logged in the common case).
    pub fn emit_sources(&self) {
        for entry in &self.reserves {
            if let Some(price) = entry.price.filter(|p| p.source != PriceSource::Primary) {
                emit!(crate::events::OracleSourceUsed {
                    reserve: entry.key,
                    source: price.source as u8,
                    publish_time: price.publish_time,
                    collateral_price: price.collateral.mantissa,
                    collateral_expo: price.collateral.expo,
                    debt_price: price.debt.mantissa,
                    debt_expo: price.debt.expo,
                });
            }
        }
    }
}

/// The oracle accounts listed for `reserve` from `remaining[at]`: its primary's, then its
/// fallback's if it has one, each the one its config names (the list has one meaning, read or
/// not); the fallback's missing is `InvalidRemainingAccounts`.
pub fn listed_oracles<'a, 'info>(
    reserve: &Reserve,
    remaining: &'a [AccountInfo<'info>],
    at: usize,
) -> Result<OracleAccounts<'a, 'info>> {
    let config = &reserve.config;
    let primary = remaining
        .get(at)
        .ok_or(BallastError::InvalidRemainingAccounts)?;
    require_keys_eq!(
        *primary.key,
        config.oracle.oracle_account,
        BallastError::OracleWrongAccount
    );
    let fallback = if config.fallback_oracle.is_set() {
        let fallback = remaining
            .get(at + 1)
            .ok_or(BallastError::InvalidRemainingAccounts)?;
        require_keys_eq!(
            *fallback.key,
            config.fallback_oracle.oracle_account,
            BallastError::OracleWrongAccount
        );
        Some(fallback)
    } else {
        None
    };
    Ok(OracleAccounts { primary, fallback })
}
