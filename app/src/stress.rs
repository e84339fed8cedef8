//! The stress test: shock asset prices, then run the reference keeper's liquidation cascade on
//! a copy of the market, with the program's own valuation ([`Valuation::totals`]), sizing
//! ([`plan_liquidation`] → `size_liquidation`) and state transitions
//! ([`apply_liquidation`], [`write_off_positions`]), so that what it reports is what the keeper
//! would do and the program would write if the same prices were published now.
//!
//! The shock republishes every feed at the view's clock: shocked assets at `price × (1 + move)`
//! (confidence and EMA scaled alike), the others unchanged. The keeper is assumed to hold
//! enough of every debt token (its repayments are never clipped by inventory).

use std::collections::BTreeMap;

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anyhow::Context as _;
use ballast::errors::BallastError;
use ballast::instructions::{
    apply_liquidation, write_off_positions, LiquidateArgs, ReserveSet, WrittenOff,
};
use ballast::math::health::HealthTotals;
use ballast::math::value::{value_wad_floor, Price};
use ballast::math::{BPS, WAD};
use ballast::oracle::{read_price, OracleAccounts, PolicyPrice, PricePolicyKind};
use ballast::state::{
    Market, Obligation, ObligationBorrow, ObligationDeposit, Reserve, MAX_BORROWS, MAX_DEPOSITS,
    PAUSE_LIQUIDATE,
};
use ballast::valuation::{Valuation, ValuedReserve};
use ballast_bank::pyth::{decode_feed, feed_account_data};
use ballast_client::chain::Chain;
use ballast_client::view::{decode, oracle_of, MarketView, OBLIGATION_LEN};
use serde::Serialize;
use solana_sdk::account::Account;

use crate::keeper::plan_liquidation;

/// Largest drop a shock may apply (−95 %).
pub const MIN_MOVE_BPS: i64 = -9_500;
/// Largest rise a shock may apply (+200 %).
pub const MAX_MOVE_BPS: i64 = 20_000;

/// A market and all its obligations at one moment: what the dashboard and the stress test read.
#[derive(Clone)]
pub struct MarketState {
    pub view: MarketView,
    /// Every obligation of the market, by address.
    pub obligations: Vec<(Pubkey, Obligation)>,
}

impl MarketState {
    /// Loads the market, its reserves, oracles, clock and every obligation.
    pub async fn load<C: Chain>(chain: &mut C, market: &Pubkey) -> anyhow::Result<MarketState> {
        let view = MarketView::load(chain, market).await?;
        let mut obligations = vec![];
        for (key, account) in chain.program_accounts(OBLIGATION_LEN, market).await? {
            obligations.push((key, decode::<Obligation>(&account)?));
        }
        obligations.sort_by_key(|(key, _)| *key);
        Ok(MarketState { view, obligations })
    }
}

/// Price moves per reserve, in bps (−9 500 = −95 %).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Shock {
    pub moves: BTreeMap<Pubkey, i64>,
}

impl Shock {
    /// The same move for every reserve in `reserves`.
    pub fn uniform(reserves: &[Pubkey], move_bps: i64) -> anyhow::Result<Shock> {
        anyhow::ensure!(
            (MIN_MOVE_BPS..=MAX_MOVE_BPS).contains(&move_bps),
            "a price move must be between {}% and +{}%, not {}%",
            MIN_MOVE_BPS / 100,
            MAX_MOVE_BPS / 100,
            move_bps as f64 / 100.0
        );
        Ok(Shock {
            moves: reserves.iter().map(|r| (*r, move_bps)).collect(),
        })
    }
}

fn scale(value: i64, move_bps: i64) -> i64 {
    let scaled = i128::from(value) * i128::from(i64::try_from(BPS).unwrap_or(10_000) + move_bps)
        / i128::from(BPS);
    i64::try_from(scaled).unwrap_or(i64::MAX)
}

/// Every reserve's oracle account republished at `view.now` with `shock` applied: the bytes a
/// feed would hold (and the agreement test writes into the bank). A reserve whose oracle is
/// missing or unreadable keeps no account (it cannot be priced).
pub fn shocked_oracles(view: &MarketView, shock: &Shock) -> BTreeMap<Pubkey, Account> {
    let mut out = BTreeMap::new();
    for (key, entry) in &view.reserves {
        let oracles = oracle_of(&entry.reserve);
        // A crash moves every source of the reserve alike.
        for oracle in std::iter::once(oracles.primary).chain(oracles.fallback) {
            let Some(account) = view.oracles.get(&oracle) else {
                continue;
            };
            let Some(mut feed) = decode_feed(&account.owner, &account.data) else {
                continue;
            };
            let move_bps = shock.moves.get(key).copied().unwrap_or(0);
            feed.price = scale(feed.price, move_bps);
            feed.ema_price = scale(feed.ema_price, move_bps);
            feed.conf = u64::try_from(scale(feed.conf as i64, move_bps)).unwrap_or(0);
            feed.ema_conf = u64::try_from(scale(feed.ema_conf as i64, move_bps)).unwrap_or(0);
            feed.publish_time = view.now;
            feed.status = 1;
            out.insert(
                oracle,
                Account {
                    data: feed_account_data(&account.owner, &feed),
                    ..account.clone()
                },
            );
        }
    }
    out
}

/// `reserve`'s price from `oracles` under `kind` at the view's clock, read by the program's
/// adapters and rules (`read_price`); the program's error when it fails the policy.
pub fn oracle_price(
    view: &MarketView,
    reserve: &Reserve,
    oracles: &BTreeMap<Pubkey, Account>,
    kind: PricePolicyKind,
) -> anchor_lang::Result<PolicyPrice> {
    let keys = oracle_of(reserve);
    let mut owned = vec![];
    for key in std::iter::once(keys.primary).chain(keys.fallback) {
        let account = oracles.get(&key).ok_or(BallastError::OracleWrongAccount)?;
        owned.push((key, account.lamports, account.data.clone(), account.owner));
    }
    let infos: Vec<AccountInfo> = owned
        .iter_mut()
        .map(|(key, lamports, data, owner)| {
            AccountInfo::new(key, false, false, lamports, data, owner, false)
        })
        .collect();
    let accounts = OracleAccounts {
        primary: &infos[0],
        fallback: infos.get(1),
    };
    read_price(&view.market, reserve, accounts, kind, view.now)
}

/// The market's books as the program would see them now: each reserve with interest projected
/// to the clock, and its price under one policy read by the program's adapters and rules.
#[derive(Clone)]
pub struct Books {
    pub market: Market,
    pub now: i64,
    pub reserves: BTreeMap<Pubkey, Reserve>,
    /// `None` where the price fails the policy or the oracle is missing.
    pub prices: BTreeMap<Pubkey, Option<PolicyPrice>>,
}

impl Books {
    /// The books of `view`, priced from `oracles` (the view's own, or shocked ones) under `kind`.
    pub fn new(
        view: &MarketView,
        oracles: &BTreeMap<Pubkey, Account>,
        kind: PricePolicyKind,
    ) -> Books {
        let mut reserves = BTreeMap::new();
        let mut prices = BTreeMap::new();
        for (key, entry) in &view.reserves {
            let Ok(reserve) = entry.reserve.projected(view.now) else {
                continue;
            };
            let price = oracle_price(view, &reserve, oracles, kind).ok();
            prices.insert(*key, price);
            reserves.insert(*key, reserve);
        }
        Books {
            market: view.market.clone(),
            now: view.now,
            reserves,
            prices,
        }
    }

    /// The program's `Valuation` of `obligation` on these books (what `Valuation::load` builds
    /// from the same accounts when every needed price passes the policy); `None` when a reserve
    /// is unknown or a needed price is missing.
    pub fn valuation(&self, obligation: &Obligation) -> Option<Valuation> {
        let mut reserves = Vec::with_capacity(8);
        for (position, key) in obligation.position_reserves().into_iter().enumerate() {
            let reserve = self.reserves.get(&key)?;
            let needs_price = obligation.borrow(&key).is_some()
                || obligation
                    .deposit(&key)
                    .is_some_and(|d| d.collateral_enabled);
            let price = if needs_price {
                Some((*self.prices.get(&key)?)?)
            } else {
                None
            };
            reserves.push(ValuedReserve {
                key,
                account_index: position * 2,
                reserve: reserve.clone(),
                price,
                negligible: false,
            });
        }
        Some(Valuation {
            reserves,
            emode_categories: self.market.emode_categories,
        })
    }

    /// The valuation and health totals of `obligation`.
    pub fn totals(&self, obligation: &Obligation) -> Option<(Valuation, HealthTotals)> {
        let valuation = self.valuation(obligation)?;
        let totals = valuation.totals(obligation).ok()?;
        Some((valuation, totals))
    }

    /// USD value (WAD, rounded down) of `units` tokens of `reserve` at this price.
    pub fn usd_wad(&self, reserve: &Pubkey, units: u128) -> u128 {
        let (Some(entry), Some(Some(price))) =
            (self.reserves.get(reserve), self.prices.get(reserve))
        else {
            return 0;
        };
        value_wad_floor(units, entry.decimals, price.collateral).unwrap_or(u128::MAX)
    }
}

impl ReserveSet for Books {
    fn update<T>(
        &mut self,
        key: &Pubkey,
        change: impl FnOnce(&mut Reserve) -> anchor_lang::Result<T>,
    ) -> anchor_lang::Result<T> {
        let reserve = self
            .reserves
            .get_mut(key)
            .ok_or(BallastError::InvalidRemainingAccounts)?;
        change(reserve)
    }
}

/// How the simulated keeper behaves (the reference keeper's defaults).
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The keeper's wallet: it never liquidates its own obligation and takes shares into its
    /// obligation 0 when a reserve's liquidity cannot pay the collateral out.
    pub liquidator: Pubkey,
    pub max_rounds: usize,
    pub slippage_bps: u64,
    /// Passes before giving up (each pass rescans, as the keeper does).
    pub max_passes: usize,
}

impl SimConfig {
    pub fn new(liquidator: Pubkey) -> SimConfig {
        let keeper = crate::keeper::KeeperConfig::new(Pubkey::default());
        SimConfig {
            liquidator,
            max_rounds: keeper.max_rounds,
            slippage_bps: keeper.slippage_bps,
            max_passes: 64,
        }
    }
}

/// One simulated liquidation.
#[derive(Debug, Clone, Serialize)]
pub struct SimLiquidation {
    pub obligation: String,
    pub repay_reserve: String,
    pub collateral_reserve: String,
    pub repaid: u64,
    pub collateral_out: u64,
    pub bonus_bps: u64,
    pub as_shares: bool,
}

/// Per-reserve figures of a stress run (tokens in base units; USD as WAD at the shocked price).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReserveStress {
    pub reserve: String,
    pub symbol: String,
    pub decimals: u8,
    pub move_bps: i64,
    /// Obligations with at least one liquidation repaying this reserve.
    pub obligations_liquidated: usize,
    pub liquidations: usize,
    #[serde(serialize_with = "decimal")]
    pub debt_repaid: u128,
    #[serde(serialize_with = "decimal")]
    pub collateral_seized: u128,
    /// Bad debt written off (token units × WAD), the part the fund covered and the part
    /// socialized across depositors.
    #[serde(serialize_with = "decimal")]
    pub bad_debt_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub covered_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub socialized_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub bad_debt_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub covered_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub socialized_usd_wad: u128,
    /// Fund (tokens, pending insurance included) before and after.
    #[serde(serialize_with = "decimal")]
    pub fund_before: u128,
    #[serde(serialize_with = "decimal")]
    pub fund_after: u128,
    #[serde(serialize_with = "decimal")]
    pub fund_before_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub share_value_before_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub share_value_after_wad: u128,
    pub frozen_after: bool,
}

/// What a shock does to the market.
#[derive(Clone, Default, Serialize)]
pub struct StressOutcome {
    pub reserves: Vec<ReserveStress>,
    pub liquidations: Vec<SimLiquidation>,
    /// Obligations whose bad debt was written off (by a liquidation or `realize_bad_debt`).
    pub written_off_obligations: usize,
    #[serde(serialize_with = "decimal")]
    pub bad_debt_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub covered_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub socialized_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub fund_before_usd_wad: u128,
    /// Obligations the keeper failed on, with the program's error.
    pub failed: Vec<(String, String)>,
    /// Obligations with debt that cannot be priced after the shock.
    pub unpriceable: usize,
    /// Obligations still liquidatable when the cascade stopped.
    pub still_liquidatable: usize,
    pub passes: usize,
    /// The market after the cascade.
    #[serde(skip)]
    pub books: Option<Books>,
    #[serde(skip)]
    pub obligations: Vec<(Pubkey, Obligation)>,
}

/// A `u128` as a decimal string in JSON: amounts in token units × WAD pass 2^53 (what a
/// JavaScript number holds exactly) and 2^64 (what `serde_json` numbers hold).
fn decimal<S: serde::Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn fund_tokens(reserve: &Reserve) -> u128 {
    u128::from(reserve.fund_balance) + reserve.pending_insurance_wad / WAD
}

/// An empty obligation of `owner` (what `init_obligation` writes, bump aside).
pub fn fresh_obligation(market: &Pubkey, owner: &Pubkey) -> Obligation {
    Obligation {
        market: *market,
        owner: *owner,
        index: 0,
        bump: 0,
        deposits: [ObligationDeposit::default(); MAX_DEPOSITS],
        borrows: [ObligationBorrow::default(); MAX_BORROWS],
        emode_category: 0,
        isolated_collateral: Pubkey::default(),
        reserved: [0; 32],
    }
}

enum Step {
    Healthy,
    Liquidated { written_off: Vec<WrittenOff> },
    WrittenOff { written_off: Vec<WrittenOff> },
}

/// Runs the keeper's cascade on a copy of `state` after `shock`.
pub fn simulate(state: &MarketState, shock: &Shock, config: &SimConfig) -> StressOutcome {
    let view = &state.view;
    let oracles = shocked_oracles(view, shock);
    let mut books = Books::new(view, &oracles, PricePolicyKind::Liquidation);
    let before = books.clone();
    let mut obligations = state.obligations.clone();
    let keeper_key = ballast_client::obligation_address(&view.key, &config.liquidator, 0);
    let mut keeper_obligation = match obligations.iter().position(|(k, _)| *k == keeper_key) {
        Some(index) => obligations.remove(index).1,
        None => fresh_obligation(&view.key, &config.liquidator),
    };
    let mut outcome = StressOutcome::default();
    let mut per_reserve: BTreeMap<Pubkey, ReserveStress> = BTreeMap::new();
    let mut liquidated: BTreeMap<Pubkey, std::collections::BTreeSet<Pubkey>> = BTreeMap::new();
    let mut failed: std::collections::BTreeSet<Pubkey> = Default::default();
    let mut written_off_total: Vec<WrittenOff> = vec![];

    for _ in 0..config.max_passes {
        outcome.passes += 1;
        // Scan: the keeper's candidates, worst first.
        let mut candidates: Vec<(u128, Pubkey, usize)> = vec![];
        for (index, (key, obligation)) in obligations.iter().enumerate() {
            if !obligation.has_debt() || failed.contains(key) {
                continue;
            }
            if let Some((_, totals)) = books.totals(obligation) {
                if totals.is_liquidatable() {
                    candidates.push((totals.health_factor_wad().unwrap_or(0), *key, index));
                }
            }
        }
        candidates.sort();
        let mut acted = false;
        for (_, key, index) in candidates {
            for _ in 0..config.max_rounds {
                let saved = (books.reserves.clone(), obligations[index].1.clone());
                let saved_keeper = keeper_obligation.clone();
                let step = work(
                    view,
                    &mut books,
                    &key,
                    &mut obligations[index].1,
                    &mut keeper_obligation,
                    config,
                    &mut outcome.liquidations,
                );
                match step {
                    Ok(Step::Healthy) => break,
                    Ok(Step::Liquidated { written_off }) => {
                        acted = true;
                        let last = outcome.liquidations.last().expect("recorded");
                        let repay: Pubkey = last.repay_reserve.parse().expect("a key");
                        let collateral: Pubkey = last.collateral_reserve.parse().expect("a key");
                        let (repaid, out) = (last.repaid, last.collateral_out);
                        let entry = per_reserve.entry(repay).or_default();
                        entry.liquidations += 1;
                        entry.debt_repaid += u128::from(repaid);
                        liquidated.entry(repay).or_default().insert(key);
                        per_reserve.entry(collateral).or_default().collateral_seized +=
                            u128::from(out);
                        if !written_off.is_empty() {
                            outcome.written_off_obligations += 1;
                            written_off_total.extend(written_off);
                            break;
                        }
                    }
                    Ok(Step::WrittenOff { written_off }) => {
                        acted = true;
                        outcome.written_off_obligations += 1;
                        written_off_total.extend(written_off);
                        break;
                    }
                    Err(error) => {
                        (books.reserves, obligations[index].1) = saved;
                        keeper_obligation = saved_keeper;
                        outcome.failed.push((key.to_string(), error));
                        failed.insert(key);
                        break;
                    }
                }
            }
        }
        if !acted {
            break;
        }
    }

    for record in &written_off_total {
        let usd = |wad: u128| books.usd_wad(&record.reserve, wad / WAD);
        let entry = per_reserve.entry(record.reserve).or_default();
        entry.bad_debt_wad += record.debt_wad;
        entry.covered_wad += record.covered_wad;
        entry.socialized_wad += record.socialized_wad;
        entry.bad_debt_usd_wad += usd(record.debt_wad);
        entry.covered_usd_wad += usd(record.covered_wad);
        entry.socialized_usd_wad += usd(record.socialized_wad);
    }
    for (key, reserve) in &books.reserves {
        let entry = per_reserve.entry(*key).or_default();
        let start = &before.reserves[key];
        entry.reserve = key.to_string();
        entry.symbol = crate::wallet::symbol(&reserve.mint);
        entry.decimals = reserve.decimals;
        entry.move_bps = shock.moves.get(key).copied().unwrap_or(0);
        entry.obligations_liquidated = liquidated.get(key).map_or(0, |s| s.len());
        entry.fund_before = fund_tokens(start);
        entry.fund_after = fund_tokens(reserve);
        entry.fund_before_usd_wad = books.usd_wad(key, entry.fund_before);
        entry.share_value_before_wad = start.share_value_wad().unwrap_or(0);
        entry.share_value_after_wad = reserve.share_value_wad().unwrap_or(0);
        entry.frozen_after = reserve.status == ballast::state::RESERVE_FROZEN;
        outcome.bad_debt_usd_wad += entry.bad_debt_usd_wad;
        outcome.covered_usd_wad += entry.covered_usd_wad;
        outcome.socialized_usd_wad += entry.socialized_usd_wad;
        outcome.fund_before_usd_wad += entry.fund_before_usd_wad;
    }
    outcome.reserves = per_reserve
        .into_values()
        .filter(|r| !r.reserve.is_empty())
        .collect();
    for (_, obligation) in &obligations {
        if !obligation.has_debt() {
            continue;
        }
        match books.totals(obligation) {
            None => outcome.unpriceable += 1,
            Some((_, totals)) if totals.is_liquidatable() => outcome.still_liquidatable += 1,
            Some(_) => {}
        }
    }
    if keeper_obligation.active_deposits().next().is_some() {
        obligations.push((keeper_key, keeper_obligation));
        obligations.sort_by_key(|(key, _)| *key);
    }
    outcome.books = Some(books);
    outcome.obligations = obligations;
    outcome
}

/// One round of the keeper on one obligation: what `Keeper::work_obligation` sends, applied
/// with the program's own transition.
fn work(
    view: &MarketView,
    books: &mut Books,
    key: &Pubkey,
    obligation: &mut Obligation,
    keeper_obligation: &mut Obligation,
    config: &SimConfig,
    liquidations: &mut Vec<SimLiquidation>,
) -> Result<Step, String> {
    let err = |e: anchor_lang::error::Error| e.to_string();
    let (mut valuation, totals) = books
        .totals(obligation)
        .ok_or_else(|| "cannot be priced".to_string())?;
    if !obligation.has_debt() || !totals.is_liquidatable() {
        return Ok(Step::Healthy);
    }
    let market = books.market.clone();
    if valuation
        .holds_no_collateral_of_value(obligation, &market.liquidation)
        .map_err(err)?
    {
        // `realize_bad_debt`, insolvent by both sources where two disagree.
        if market.pause_flags & PAUSE_LIQUIDATE != 0 || valuation.any_liquidation_paused() {
            return Err(BallastError::ActionPaused.to_string());
        }
        let written_off = write_off_positions(obligation, books).map_err(err)?;
        return Ok(Step::WrittenOff { written_off });
    }
    if obligation.owner == config.liquidator {
        return Err("the keeper's own obligation".into());
    }
    let plan = plan_liquidation(
        view,
        &valuation,
        &totals,
        obligation,
        None,
        config.slippage_bps,
    )
    .ok_or_else(|| "no liquidation fits the keeper's inventory".to_string())?;
    for reserve in [plan.repay_reserve, plan.collateral_reserve] {
        books.reserves[&reserve]
            .require_not_paused(market.pause_flags, PAUSE_LIQUIDATE)
            .map_err(err)?;
    }
    let args = LiquidateArgs {
        max_repay: plan.max_repay,
        min_collateral_out: plan.min_collateral_out,
        receive_shares: plan.receive_shares,
    };
    let effect = match apply_liquidation(
        &market,
        obligation,
        &mut valuation,
        &plan.repay_reserve,
        &plan.collateral_reserve,
        books,
        args,
        plan.receive_shares.then_some(keeper_obligation),
    ) {
        Ok(effect) => effect,
        // The keeper's simulation answers `ObligationHealthy`: it leaves the obligation alone.
        Err(error) if error == BallastError::ObligationHealthy.into() => return Ok(Step::Healthy),
        Err(error) => return Err(error.to_string()),
    };
    liquidations.push(SimLiquidation {
        obligation: key.to_string(),
        repay_reserve: plan.repay_reserve.to_string(),
        collateral_reserve: plan.collateral_reserve.to_string(),
        repaid: effect.repaid,
        collateral_out: effect.collateral_out,
        bonus_bps: effect.outcome.bonus_bps,
        as_shares: plan.receive_shares,
    });
    Ok(Step::Liquidated {
        written_off: effect.written_off,
    })
}

/// One point of the shock sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    pub move_bps: i64,
    #[serde(serialize_with = "decimal")]
    pub bad_debt_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub covered_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub socialized_usd_wad: u128,
    #[serde(serialize_with = "decimal")]
    pub fund_before_usd_wad: u128,
    pub liquidations: usize,
}

/// The stress test at each move in `moves` applied to `reserves`, run on every core.
pub fn sweep(
    state: &MarketState,
    reserves: &[Pubkey],
    moves: &[i64],
    config: &SimConfig,
) -> anyhow::Result<Vec<SweepPoint>> {
    let shocks = moves
        .iter()
        .map(|m| Shock::uniform(reserves, *m))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(shocks.len().max(1));
    let chunk = shocks.len().div_ceil(threads.max(1)).max(1);
    let mut points: Vec<SweepPoint> = std::thread::scope(|scope| {
        let handles: Vec<_> = shocks
            .chunks(chunk)
            .map(|shocks| {
                scope.spawn(move || {
                    shocks
                        .iter()
                        .map(|shock| {
                            let outcome = simulate(state, shock, config);
                            SweepPoint {
                                move_bps: shock.moves.values().next().copied().unwrap_or(0),
                                bad_debt_usd_wad: outcome.bad_debt_usd_wad,
                                covered_usd_wad: outcome.covered_usd_wad,
                                socialized_usd_wad: outcome.socialized_usd_wad,
                                fund_before_usd_wad: outcome.fund_before_usd_wad,
                                liquidations: outcome.liquidations.len(),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a stress thread"))
            .collect()
    });
    points.sort_by_key(|p| std::cmp::Reverse(p.move_bps));
    Ok(points)
}

/// The price of `reserve` in `books`, for display.
pub fn price_usd(books: &Books, reserve: &Pubkey) -> Option<f64> {
    let price: Price = (*books.prices.get(reserve)?)?.collateral;
    Some(ballast_client::view::price_f64(price))
}

/// Checks a move given in percent (`-40`, `-12.5`) and returns it in bps.
pub fn parse_move_percent(text: &str) -> anyhow::Result<i64> {
    let percent: f64 = text
        .trim()
        .trim_end_matches('%')
        .parse()
        .with_context(|| format!("not a percentage: {text:?}"))?;
    let bps = (percent * 100.0).round();
    anyhow::ensure!(
        bps.is_finite() && (MIN_MOVE_BPS as f64..=MAX_MOVE_BPS as f64).contains(&bps),
        "a price move must be between {}% and +{}%, not {text}",
        MIN_MOVE_BPS / 100,
        MAX_MOVE_BPS / 100
    );
    Ok(bps as i64)
}

/// The human rendering of a stress run (`ballast stress`).
pub fn outcome_text(outcome: &StressOutcome) -> String {
    use crate::format::{amount_short, table, usd};
    let rows: Vec<Vec<String>> = outcome
        .reserves
        .iter()
        .map(|r| {
            vec![
                r.symbol.clone(),
                format!("{:+.2}%", r.move_bps as f64 / 100.0),
                r.obligations_liquidated.to_string(),
                amount_short(r.debt_repaid, r.decimals),
                amount_short(r.bad_debt_wad / WAD, r.decimals),
                amount_short(r.covered_wad / WAD, r.decimals),
                amount_short(r.socialized_wad / WAD, r.decimals),
                format!(
                    "{} → {}",
                    amount_short(r.fund_before, r.decimals),
                    amount_short(r.fund_after, r.decimals)
                ),
                format!(
                    "{:.6} → {:.6}{}",
                    (r.share_value_before_wad * ballast::math::VIRTUAL_SHARES) as f64 / WAD as f64,
                    (r.share_value_after_wad * ballast::math::VIRTUAL_SHARES) as f64 / WAD as f64,
                    if r.frozen_after { " (frozen)" } else { "" }
                ),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "asset",
            "move",
            "liquidated",
            "debt repaid",
            "bad debt",
            "fund covers",
            "socialized",
            "fund",
            "share value",
        ],
        &rows,
    );
    out += &format!(
        "{} liquidations, {} obligations written off: bad debt {}, the funds cover {}, depositors lose {}\n",
        outcome.liquidations.len(),
        outcome.written_off_obligations,
        usd(outcome.bad_debt_usd_wad),
        usd(outcome.covered_usd_wad),
        usd(outcome.socialized_usd_wad),
    );
    if outcome.still_liquidatable > 0 || !outcome.failed.is_empty() || outcome.unpriceable > 0 {
        out += &format!(
            "left: {} still liquidatable, {} failed, {} unpriceable\n",
            outcome.still_liquidatable,
            outcome.failed.len(),
            outcome.unpriceable
        );
    }
    out
}
