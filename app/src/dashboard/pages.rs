//! What each dashboard view shows, computed from one [`MarketState`] with the program's own
//! valuation, sizing and transition (through `wallet`, `keeper` and `stress`). The HTML views and
//! the `/api` JSON are two renderings of these structs, so they cannot disagree.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use ballast::math::interest::{borrow_rate_wad_ceil, RateCurve};
use ballast::math::{BPS, WAD};
use ballast::oracle::PricePolicyKind;
use ballast::state::Obligation;
use ballast_client::view::{price_f64, MarketView};
use serde::Serialize;

use super::DashError;
use crate::format::{amount_short, usd};
use crate::keeper::plan_liquidation;
use crate::stress::{self, MarketState, Shock, SimConfig, StressOutcome, SweepPoint};
use crate::wallet::{self, HealthReport, ReserveRow};

/// Obligations per page of the positions view.
pub const PER_PAGE: usize = 50;
/// The stress view's chart: these uniform moves (bps) of the chosen assets.
pub const SWEEP_BPS: [i64; 10] = [
    -500, -1_000, -2_000, -3_000, -4_000, -5_000, -6_000, -7_000, -8_000, -9_500,
];

fn anchor_error_name(error: &anchor_lang::error::Error) -> String {
    match error {
        anchor_lang::error::Error::AnchorError(e) => e.error_name.clone(),
        anchor_lang::error::Error::ProgramError(e) => e.program_error.to_string(),
    }
}

// ----- market --------------------------------------------------------------------------------

/// One point of a reserve's rate curve.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CurvePoint {
    pub utilization_pct: f64,
    pub borrow_apr_pct: f64,
}

/// One reserve in the market view.
#[derive(Debug, Clone, Serialize)]
pub struct ReserveCard {
    #[serde(flatten)]
    pub row: ReserveRow,
    /// Spot price under the liquidation policy, or why there is none.
    pub price: Option<String>,
    pub price_error: Option<String>,
    /// Seconds since the last publish of the update that prices it (by the view's clock); the
    /// primary's when there is no price.
    pub oracle_age_secs: Option<i64>,
    /// Which source prices it now, as the program selects (`None` without a price).
    pub price_source: Option<String>,
    pub utilization_pct: f64,
    pub borrow_apr_pct: f64,
    pub optimal_utilization_pct: f64,
    /// Borrow APR at 0, 5, … 100 % utilization, by the program's `borrow_rate_wad_ceil`.
    pub curve: Vec<CurvePoint>,
    /// The fund's balance in USD at the spot price.
    pub fund_usd: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MarketPage {
    pub market: String,
    pub now: i64,
    pub obligations: usize,
    pub reserves: Vec<ReserveCard>,
}

fn rate_pct(wad: u128) -> f64 {
    wad as f64 / WAD as f64 * 100.0
}

fn curve_points(curve: &RateCurve) -> Vec<CurvePoint> {
    (0..=20u128)
        .map(|step| {
            let utilization = WAD * step / 20;
            CurvePoint {
                utilization_pct: rate_pct(utilization),
                borrow_apr_pct: rate_pct(borrow_rate_wad_ceil(curve, utilization).unwrap_or(0)),
            }
        })
        .collect()
}

pub fn market_page(state: &MarketState) -> Result<MarketPage, DashError> {
    let view = &state.view;
    let mut reserves = vec![];
    for row in wallet::reserve_list(view).map_err(DashError::internal)? {
        let key: Pubkey = row.reserve.parse().map_err(DashError::internal)?;
        let entry = &view.reserves[&key];
        let reserve = &entry.reserve;
        let price =
            stress::oracle_price(view, reserve, &view.oracles, PricePolicyKind::Liquidation);
        let publish_time = match &price {
            Ok(price) => Some(price.publish_time),
            Err(_) => view
                .oracles
                .get(&view.oracle_for(&key).primary)
                .and_then(|a| ballast_bank::pyth::decode_feed(&a.owner, &a.data))
                .map(|feed| feed.publish_time),
        };
        let fund_usd = price.as_ref().ok().and_then(|p| {
            ballast::math::value::value_wad_floor(row.raw.fund, reserve.decimals, p.collateral)
                .ok()
                .map(usd)
        });
        reserves.push(ReserveCard {
            price: price
                .as_ref()
                .ok()
                .map(|p| format!("${:.4}", price_f64(p.collateral))),
            price_error: price.as_ref().err().map(anchor_error_name),
            oracle_age_secs: publish_time.map(|t| view.now - t),
            price_source: price
                .as_ref()
                .ok()
                .map(|p| crate::format::source_label(&reserve.config, p.source)),
            utilization_pct: rate_pct(row.raw.utilization_wad),
            borrow_apr_pct: rate_pct(row.raw.borrow_rate_wad),
            optimal_utilization_pct: f64::from(reserve.config.rate_model.optimal_utilization_bps)
                / 100.0,
            curve: curve_points(&reserve.config.rate_model.curve()),
            fund_usd,
            row,
        });
    }
    Ok(MarketPage {
        market: view.key.to_string(),
        now: view.now,
        obligations: state.obligations.len(),
        reserves,
    })
}

// ----- positions -----------------------------------------------------------------------------

/// One collateral's liquidation price in the positions list.
#[derive(Debug, Clone, Serialize)]
pub struct LiquidationPoint {
    pub asset: String,
    pub price: String,
    pub liquidation_price: Option<String>,
    pub move_to_liquidation: Option<String>,
}

/// One obligation in the positions view.
#[derive(Debug, Clone, Serialize)]
pub struct PositionSummary {
    pub obligation: String,
    pub owner: String,
    pub collateral_usd: String,
    pub debt_usd: String,
    pub health_factor: String,
    /// Debt over the strict borrow limit.
    pub borrow_limit_used: Option<String>,
    pub liquidatable: bool,
    pub liquidation: Vec<LiquidationPoint>,
    /// Every asset it holds or owes.
    pub assets: Vec<String>,
    /// Why it cannot be valued (a price fails the policy), if so.
    pub error: Option<String>,
    #[serde(skip)]
    pub health_wad: u128,
    #[serde(skip)]
    pub collateral_wad: u128,
    #[serde(skip)]
    pub debt_wad: u128,
    #[serde(skip)]
    pub used_bps: Option<u128>,
}

fn used_bps(report: &HealthReport) -> Option<u128> {
    (report.strict_borrow_limit_wad > 0)
        .then(|| report.debt_wad.saturating_mul(u128::from(BPS)) / report.strict_borrow_limit_wad)
        .or((report.debt_wad == 0).then_some(0))
}

fn bps_percent(bps: u128) -> String {
    format!("{:.1}%", bps as f64 / 100.0)
}

fn symbols_of(view: &MarketView, obligation: &Obligation) -> Vec<String> {
    let mut out: Vec<String> = obligation
        .position_reserves()
        .iter()
        .filter_map(|key| view.reserves.get(key))
        .map(|e| wallet::symbol(&e.reserve.mint))
        .collect();
    out.dedup();
    out
}

/// The summary of one obligation (health by `wallet::health_report`, what `ballast health`
/// prints).
pub fn summarize(view: &MarketView, key: &Pubkey, obligation: &Obligation) -> PositionSummary {
    let assets = symbols_of(view, obligation);
    match wallet::health_report(view, key, obligation) {
        Ok(report) => {
            let used = used_bps(&report);
            PositionSummary {
                obligation: report.obligation.clone(),
                owner: report.owner.clone(),
                collateral_usd: report.collateral_usd.clone(),
                debt_usd: report.debt_usd.clone(),
                health_factor: report.health_factor.clone(),
                borrow_limit_used: used.map(bps_percent),
                liquidatable: report.liquidatable,
                liquidation: report
                    .positions
                    .iter()
                    .filter(|p| p.kind == "deposit" && p.collateral)
                    .map(|p| LiquidationPoint {
                        asset: p.asset.clone(),
                        price: p.price.clone(),
                        liquidation_price: p.liquidation_price.clone(),
                        move_to_liquidation: p.move_to_liquidation.clone(),
                    })
                    .collect(),
                assets,
                error: None,
                health_wad: report.health_wad,
                collateral_wad: report.collateral_wad,
                debt_wad: report.debt_wad,
                used_bps: used,
            }
        }
        Err(error) => PositionSummary {
            obligation: key.to_string(),
            owner: obligation.owner.to_string(),
            collateral_usd: String::new(),
            debt_usd: String::new(),
            health_factor: String::new(),
            borrow_limit_used: None,
            liquidatable: false,
            liquidation: vec![],
            assets,
            error: Some(format!("{error:#}")),
            health_wad: 0,
            collateral_wad: 0,
            debt_wad: 0,
            used_bps: None,
        },
    }
}

/// How the positions list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    #[default]
    Health,
    Debt,
    Collateral,
    Used,
    Address,
}

/// Which obligations the positions list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    #[default]
    All,
    /// HF below 1.
    Liquidatable,
    /// HF below 1.25.
    Risk,
    /// A price fails the policy.
    Unpriceable,
    /// With debt.
    Borrowing,
}

/// The positions view's controls (query string).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PositionsQuery {
    pub sort: SortKey,
    /// Descending.
    pub desc: bool,
    pub status: StatusFilter,
    /// Only obligations holding or owing this asset (symbol).
    pub asset: Option<String>,
    /// Address or owner containing this text.
    pub q: Option<String>,
    /// 1-based.
    pub page: usize,
}

/// One bar of the HF histogram.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub label: &'static str,
    /// Lower bound (WAD) of the bucket.
    #[serde(skip)]
    pub from_wad: u128,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PositionsPage {
    pub query: PositionsQuery,
    pub total: usize,
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    /// HF of every obligation with debt (unfiltered).
    pub histogram: Vec<Bucket>,
    pub without_debt: usize,
    pub unpriceable: usize,
    pub assets: Vec<String>,
    pub rows: Vec<PositionSummary>,
}

const BUCKETS: [(&str, u128); 8] = [
    ("< 1.00", 0),
    ("1.00–1.05", WAD),
    ("1.05–1.10", WAD * 105 / 100),
    ("1.10–1.25", WAD * 110 / 100),
    ("1.25–1.50", WAD * 125 / 100),
    ("1.50–2.00", WAD * 150 / 100),
    ("2.00–3.00", WAD * 2),
    ("≥ 3.00", WAD * 3),
];

/// Every obligation summarized (the expensive part of the positions view), on every core.
pub fn summaries(state: &MarketState) -> Vec<PositionSummary> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = state.obligations.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = state
            .obligations
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(key, obligation)| summarize(&state.view, key, obligation))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().expect("a summary thread"))
            .collect()
    })
}

pub fn positions_page(
    state: &MarketState,
    all: Vec<PositionSummary>,
    query: PositionsQuery,
) -> PositionsPage {
    let mut histogram: Vec<Bucket> = BUCKETS
        .iter()
        .map(|(label, from_wad)| Bucket {
            label,
            from_wad: *from_wad,
            count: 0,
        })
        .collect();
    let mut without_debt = 0;
    let mut unpriceable = 0;
    for row in &all {
        if row.error.is_some() {
            unpriceable += 1;
        } else if row.debt_wad == 0 {
            without_debt += 1;
        } else if let Some(bucket) = histogram
            .iter_mut()
            .rev()
            .find(|b| row.health_wad >= b.from_wad)
        {
            bucket.count += 1;
        }
    }
    let total = all.len();
    let needle = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let asset = query.asset.as_deref().filter(|a| !a.is_empty());
    let mut rows: Vec<PositionSummary> = all
        .into_iter()
        .filter(|row| match query.status {
            StatusFilter::All => true,
            StatusFilter::Liquidatable => row.liquidatable,
            StatusFilter::Risk => {
                row.error.is_none() && row.debt_wad > 0 && row.health_wad < WAD * 125 / 100
            }
            StatusFilter::Unpriceable => row.error.is_some(),
            StatusFilter::Borrowing => row.debt_wad > 0,
        })
        .filter(|row| asset.is_none_or(|a| row.assets.iter().any(|s| s.eq_ignore_ascii_case(a))))
        .filter(|row| needle.is_none_or(|q| row.obligation.contains(q) || row.owner.contains(q)))
        .collect();
    // Unpriceable ones first when sorting by health: they are the ones nobody can act on.
    let health_key = |r: &PositionSummary| (r.error.is_none(), r.health_wad);
    match query.sort {
        SortKey::Health => rows.sort_by_key(health_key),
        SortKey::Debt => rows.sort_by_key(|r| r.debt_wad),
        SortKey::Collateral => rows.sort_by_key(|r| r.collateral_wad),
        SortKey::Used => rows.sort_by_key(|r| r.used_bps),
        SortKey::Address => rows.sort_by(|a, b| a.obligation.cmp(&b.obligation)),
    }
    if query.desc {
        rows.reverse();
    }
    let matching = rows.len();
    let pages = matching.div_ceil(PER_PAGE).max(1);
    let page = query.page.clamp(1, pages);
    let rows = rows
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    let mut assets: Vec<String> = state
        .view
        .reserves
        .values()
        .map(|e| wallet::symbol(&e.reserve.mint))
        .collect();
    assets.sort();
    PositionsPage {
        query,
        total,
        matching,
        page,
        pages,
        histogram,
        without_debt,
        unpriceable,
        assets,
        rows,
    }
}

// ----- one position --------------------------------------------------------------------------

/// The what-if control: move one asset's price.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct WhatIfQuery {
    /// Symbol or mint.
    pub asset: Option<String>,
    /// Percent, −95 … +200.
    #[serde(rename = "move")]
    pub move_pct: Option<f64>,
}

/// A liquidation as the program would size it at the what-if price.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIfLiquidation {
    pub repay_asset: String,
    pub repay: String,
    pub repay_usd: String,
    pub seize_asset: String,
    /// What the liquidator receives (after the protocol's fee).
    pub seize: String,
    pub seize_usd: String,
    pub bonus: String,
    pub as_shares: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    pub asset: String,
    pub move_bps: i64,
    pub price_before: String,
    pub price_after: String,
    /// The obligation's health with that price (every feed republished now).
    pub report: Option<HealthReport>,
    pub error: Option<String>,
    pub liquidation: Option<WhatIfLiquidation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PositionPage {
    pub report: Option<HealthReport>,
    pub error: Option<String>,
    pub borrow_limit_used: Option<String>,
    /// The assets the what-if control offers (the obligation's own).
    pub assets: Vec<String>,
    pub what_if: Option<WhatIf>,
}

/// Parses a percent move for the what-if and stress controls; outside −95 … +200 is refused.
pub fn move_bps(percent: f64) -> Result<i64, DashError> {
    let bps = (percent * 100.0).round();
    if !bps.is_finite()
        || !(stress::MIN_MOVE_BPS as f64..=stress::MAX_MOVE_BPS as f64).contains(&bps)
    {
        return Err(DashError::bad_request(format!(
            "a price move must be between {}% and +{}%, not {percent}%",
            stress::MIN_MOVE_BPS / 100,
            stress::MAX_MOVE_BPS / 100
        )));
    }
    Ok(bps as i64)
}

pub fn find_obligation<'s>(
    state: &'s MarketState,
    address: &str,
) -> Result<(Pubkey, &'s Obligation), DashError> {
    let key: Pubkey = address
        .parse()
        .map_err(|_| DashError::bad_request(format!("{address:?} is not an address")))?;
    state
        .obligations
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(k, o)| (*k, o))
        .ok_or_else(|| {
            DashError::not_found(format!("no obligation {key} in market {}", state.view.key))
        })
}

pub fn position_page(
    state: &MarketState,
    address: &str,
    query: &WhatIfQuery,
) -> Result<PositionPage, DashError> {
    let (key, obligation) = find_obligation(state, address)?;
    let view = &state.view;
    let assets = symbols_of(view, obligation);
    let (report, error) = match wallet::health_report(view, &key, obligation) {
        Ok(report) => (Some(report), None),
        Err(error) => (None, Some(format!("{error:#}"))),
    };
    let borrow_limit_used = report.as_ref().and_then(used_bps).map(bps_percent);
    // The control defaults to the first collateral, unmoved.
    let default_asset = obligation
        .active_deposits()
        .find(|d| d.collateral_enabled)
        .or(obligation.active_deposits().next())
        .and_then(|d| view.reserves.get(&d.reserve))
        .map(|e| wallet::symbol(&e.reserve.mint));
    let asset = query
        .asset
        .clone()
        .filter(|a| !a.is_empty())
        .or(default_asset);
    let what_if = match asset {
        Some(asset) => Some(what_if(
            view,
            &key,
            obligation,
            &asset,
            query.move_pct.unwrap_or(0.0),
        )?),
        None => None,
    };
    Ok(PositionPage {
        report,
        error,
        borrow_limit_used,
        assets,
        what_if,
    })
}

fn what_if(
    view: &MarketView,
    key: &Pubkey,
    obligation: &Obligation,
    asset: &str,
    move_pct: f64,
) -> Result<WhatIf, DashError> {
    let move_bps = move_bps(move_pct)?;
    let (reserve, stored) =
        wallet::find_reserve(view, asset).map_err(|e| DashError::bad_request(format!("{e:#}")))?;
    let shock = Shock {
        moves: BTreeMap::from([(reserve, move_bps)]),
    };
    let mut moved = view.clone();
    moved.oracles = stress::shocked_oracles(view, &shock);
    let price_of = |v: &MarketView| {
        stress::oracle_price(v, &stored, &v.oracles, PricePolicyKind::Liquidation)
            .map(|p| format!("${:.4}", price_f64(p.collateral)))
            .unwrap_or_else(|e| anchor_error_name(&e))
    };
    let symbol = wallet::symbol(&stored.mint);
    let (report, error) = match wallet::health_report(&moved, key, obligation) {
        Ok(report) => (Some(report), None),
        Err(error) => (None, Some(format!("{error:#}"))),
    };
    let liquidation = moved
        .valuate(obligation, PricePolicyKind::Liquidation)
        .ok()
        .filter(|(_, totals)| totals.is_liquidatable())
        .and_then(|(valuation, totals)| {
            let plan = plan_liquidation(&moved, &valuation, &totals, obligation, None, 0)?;
            let repay = valuation.get(&plan.repay_reserve).ok()?;
            let seize = valuation.get(&plan.collateral_reserve).ok()?;
            let value = |units: u128, entry: &ballast::valuation::ValuedReserve, debt: bool| {
                entry
                    .price
                    .and_then(|p| {
                        if debt {
                            ballast::math::value::value_wad_ceil(
                                units,
                                entry.reserve.decimals,
                                p.debt,
                            )
                        } else {
                            ballast::math::value::value_wad_floor(
                                units,
                                entry.reserve.decimals,
                                p.collateral,
                            )
                        }
                        .ok()
                    })
                    .map(usd)
                    .unwrap_or_default()
            };
            Some(WhatIfLiquidation {
                repay_asset: wallet::symbol(&repay.reserve.mint),
                repay: amount_short(u128::from(plan.expected_repay), repay.reserve.decimals),
                repay_usd: value(u128::from(plan.expected_repay), repay, true),
                seize_asset: wallet::symbol(&seize.reserve.mint),
                seize: amount_short(
                    u128::from(plan.expected_collateral_out),
                    seize.reserve.decimals,
                ),
                seize_usd: value(u128::from(plan.expected_collateral_out), seize, false),
                bonus: crate::format::bps(plan.bonus_bps),
                as_shares: plan.receive_shares,
            })
        });
    Ok(WhatIf {
        asset: symbol,
        move_bps,
        price_before: price_of(view),
        price_after: price_of(&moved),
        report,
        error,
        liquidation,
    })
}

// ----- stress --------------------------------------------------------------------------------

/// The stress view's controls.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct StressQuery {
    /// Comma-separated symbols (default: the largest collateral).
    pub assets: Option<String>,
    /// Percent (default −30).
    pub shock: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssetChoice {
    pub symbol: String,
    pub reserve: String,
    pub selected: bool,
}

#[derive(Clone, Serialize)]
pub struct StressPage {
    pub assets: Vec<AssetChoice>,
    pub move_bps: i64,
    pub outcome: StressOutcome,
    /// The same assets moved by each of [`SWEEP_BPS`].
    pub sweep: Vec<SweepPoint>,
    /// The smallest swept move at which some depositors lose (socialized bad debt).
    pub depositors_lose_from_bps: Option<i64>,
    /// Debt-free fund: the total fund balance (USD) before any shock.
    pub fund_usd: String,
}

/// The reserve with the most value enabled as collateral behind debt (the stress view's
/// default: the price whose fall hurts most).
fn largest_collateral(state: &MarketState) -> Option<Pubkey> {
    let books = stress::Books::new(
        &state.view,
        &state.view.oracles,
        PricePolicyKind::Liquidation,
    );
    let mut value: BTreeMap<Pubkey, u128> = BTreeMap::new();
    for (_, obligation) in state.obligations.iter().filter(|(_, o)| o.has_debt()) {
        for deposit in obligation
            .active_deposits()
            .filter(|d| d.collateral_enabled)
        {
            let Some(reserve) = books.reserves.get(&deposit.reserve) else {
                continue;
            };
            let tokens = reserve.tokens_for_shares(deposit.shares).unwrap_or(0);
            *value.entry(deposit.reserve).or_default() +=
                books.usd_wad(&deposit.reserve, u128::from(tokens));
        }
    }
    value.into_iter().max_by_key(|(_, v)| *v).map(|(k, _)| k)
}

pub fn stress_page(state: &MarketState, query: &StressQuery) -> Result<StressPage, DashError> {
    let move_bps = move_bps(query.shock.unwrap_or(-30.0))?;
    let view = &state.view;
    let selected: Vec<Pubkey> = match query.assets.as_deref().map(str::trim) {
        Some(list) if !list.is_empty() => list
            .split(',')
            .map(|asset| {
                wallet::find_reserve(view, asset.trim())
                    .map(|(key, _)| key)
                    .map_err(|e| DashError::bad_request(format!("{e:#}")))
            })
            .collect::<Result<_, _>>()?,
        _ => largest_collateral(state).into_iter().collect(),
    };
    let mut assets: Vec<AssetChoice> = view
        .reserves
        .values()
        .map(|e| AssetChoice {
            symbol: wallet::symbol(&e.reserve.mint),
            reserve: e.key.to_string(),
            selected: selected.contains(&e.key),
        })
        .collect();
    assets.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    // Nobody's own obligation is skipped: the simulated keeper is no one.
    let config = SimConfig::new(Pubkey::default());
    let shock = Shock::uniform(&selected, move_bps)
        .map_err(|e| DashError::bad_request(format!("{e:#}")))?;
    let outcome = stress::simulate(state, &shock, &config);
    let sweep =
        stress::sweep(state, &selected, &SWEEP_BPS, &config).map_err(DashError::internal)?;
    let depositors_lose_from_bps = sweep
        .iter()
        .filter(|p| p.socialized_usd_wad > 0)
        .map(|p| p.move_bps)
        .max();
    let fund_usd = usd(outcome.fund_before_usd_wad);
    Ok(StressPage {
        assets,
        move_bps,
        outcome,
        sweep,
        depositors_lose_from_bps,
        fund_usd,
    })
}

/// The value of the shares one token bought at listing (as `ballast reserve list` prints it).
fn share_value(per_share_wad: u128) -> String {
    format!(
        "{:.6}",
        per_share_wad.saturating_mul(ballast::math::VIRTUAL_SHARES) as f64 / WAD as f64
    )
}

/// A stressed reserve's figures as the page shows them.
pub fn stress_cells(r: &stress::ReserveStress) -> [String; 8] {
    [
        r.obligations_liquidated.to_string(),
        amount_short(r.debt_repaid, r.decimals),
        amount_short(r.bad_debt_wad / WAD, r.decimals),
        amount_short(r.covered_wad / WAD, r.decimals),
        amount_short(r.socialized_wad / WAD, r.decimals),
        amount_short(r.fund_after, r.decimals),
        share_value(r.share_value_before_wad),
        share_value(r.share_value_after_wad),
    ]
}
