//! Wallet commands: market and reserve read-outs, obligations, deposit / withdraw / borrow /
//! repay, and the health read-out. Each returns a serializable report (for `--output json`)
//! with a human rendering; the transactions are built with the shared client builders.

use anchor_lang::prelude::Pubkey;
use anyhow::Context as _;
use ballast::math::interest::{borrow_rate_wad_ceil, utilization_wad_floor};
use ballast::math::{BPS, VIRTUAL_SHARES, WAD};
use ballast::oracle::PricePolicyKind;
use ballast::state::{Obligation, Reserve, RESERVE_FROZEN};
use ballast_client::{self as client, plans, ReserveKeys};
use serde::Serialize;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signature, Signer};

use crate::format::{amount, amount_short, table, usd, wad_percent, wad_ratio};
use ballast_client::chain::Chain;
use ballast_client::view::{decode, liquidation_prices, price_f64, MarketView};

/// `withdraw` / `repay` amount meaning "all of it" (the program's own convention).
pub const ALL: u64 = u64::MAX;

/// A symbol for `mint`: from the shipped market files, else a short address.
pub fn symbol(mint: &Pubkey) -> String {
    crate::migrate::known_symbols()
        .get(mint)
        .cloned()
        .unwrap_or_else(|| crate::format::short(mint))
}

/// Finds the reserve for `asset`: a symbol from the shipped market files or a mint address.
pub fn find_reserve(view: &MarketView, asset: &str) -> anyhow::Result<(Pubkey, Reserve)> {
    let by_symbol = crate::migrate::known_symbols()
        .iter()
        .filter(|(_, s)| s.eq_ignore_ascii_case(asset))
        .find_map(|(mint, _)| view.reserve_by_mint(mint));
    let entry = match by_symbol {
        Some(entry) => Some(entry),
        None => asset.parse::<Pubkey>().ok().and_then(|key| {
            view.reserve_by_mint(&key)
                .or_else(|| view.reserves.get(&key))
        }),
    };
    let entry = entry.with_context(|| format!("no reserve for {asset:?} in this market"))?;
    Ok((entry.key, entry.reserve.clone()))
}

/// Reads an obligation.
pub async fn read_obligation<C: Chain>(chain: &mut C, key: &Pubkey) -> anyhow::Result<Obligation> {
    let account = chain.account(key).await?.with_context(|| {
        format!("no obligation at {key} (create it with `ballast obligation create`)")
    })?;
    decode(&account)
}

/// Opens obligation `index` for `owner`.
pub async fn create_obligation<C: Chain>(
    chain: &mut C,
    market: &Pubkey,
    owner: &Keypair,
    index: u8,
) -> anyhow::Result<Pubkey> {
    chain
        .send(
            &[client::init_obligation(&owner.pubkey(), market, index)],
            &[owner],
        )
        .await?;
    Ok(client::obligation_address(market, &owner.pubkey(), index))
}

/// Reads `obligation`, plans with `plan` on `reserve` and sends it signed by `signer`.
async fn send_plan<C: Chain>(
    chain: &mut C,
    view: &MarketView,
    signer: &Keypair,
    obligation: &Pubkey,
    reserve: &Pubkey,
    plan: impl FnOnce(plans::Position) -> Vec<Instruction>,
) -> anyhow::Result<Signature> {
    let keys = keys_of(view, reserve)?;
    let state = read_obligation(chain, obligation).await?;
    let instructions = plan(plans::Position {
        market: &view.key,
        reserve: &keys,
        obligation,
        state: &state,
    });
    Ok(chain.send(&instructions, &[signer]).await?)
}

/// Deposits `amount` base units from `owner`'s associated token account (and enables it as
/// collateral when a borrower opens a new slot: `plans::deposit`).
pub async fn deposit<C: Chain>(
    chain: &mut C,
    view: &MarketView,
    owner: &Keypair,
    obligation: &Pubkey,
    reserve: &Pubkey,
    amount: u64,
) -> anyhow::Result<Signature> {
    send_plan(chain, view, owner, obligation, reserve, |p| {
        plans::deposit(&owner.pubkey(), p, amount, |r| view.oracle_for(r))
    })
    .await
}

/// Uses (`enabled`) or stops using `owner`'s deposit in `reserve` as collateral.
pub async fn set_collateral<C: Chain>(
    chain: &mut C,
    view: &MarketView,
    owner: &Keypair,
    obligation: &Pubkey,
    reserve: &Pubkey,
    enabled: bool,
) -> anyhow::Result<Signature> {
    send_plan(chain, view, owner, obligation, reserve, |p| {
        vec![plans::set_collateral(&owner.pubkey(), p, enabled, |r| {
            view.oracle_for(r)
        })]
    })
    .await
}

/// Puts `owner`'s obligation in e-mode category `category` (0: leaves e-mode).
pub async fn set_emode<C: Chain>(
    chain: &mut C,
    view: &MarketView,
    owner: &Keypair,
    obligation: &Pubkey,
    category: u8,
) -> anyhow::Result<Signature> {
    let state = read_obligation(chain, obligation).await?;
    let instruction = ballast_client::set_emode(
        &owner.pubkey(),
        &view.key,
        obligation,
        &state,
        category,
        |r| view.oracle_for(r),
    );
    Ok(chain.send(&[instruction], &[owner]).await?)
}

/// Withdraws `amount` base units (`ALL`: the whole deposit) to `owner`'s token account.
pub async fn withdraw<C: Chain>(
    chain: &mut C,
    view: &MarketView,
    owner: &Keypair,
    obligation: &Pubkey,
    reserve: &Pubkey,
    amount: u64,
) -> anyhow::Result<Signature> {
    send_plan(chain, view, owner, obligation, reserve, |p| {
        plans::withdraw(&owner.pubkey(), p, amount, |r| view.oracle_for(r))
    })
    .await
}

/// Borrows `amount` base units to `owner`'s token account.
pub async fn borrow<C: Chain>(
    chain: &mut C,
    view: &MarketView,
    owner: &Keypair,
    obligation: &Pubkey,
    reserve: &Pubkey,
    amount: u64,
) -> anyhow::Result<Signature> {
    send_plan(chain, view, owner, obligation, reserve, |p| {
        plans::borrow(&owner.pubkey(), p, amount, |r| view.oracle_for(r))
    })
    .await
}

/// `payer` repays `amount` base units (`ALL`: exactly the debt) of `obligation`'s borrow.
pub async fn repay<C: Chain>(
    chain: &mut C,
    view: &MarketView,
    payer: &Keypair,
    obligation: &Pubkey,
    reserve: &Pubkey,
    amount: u64,
) -> anyhow::Result<Signature> {
    send_plan(chain, view, payer, obligation, reserve, |p| {
        plans::repay(&payer.pubkey(), p, amount)
    })
    .await
}

/// The keys of `reserve` in `view`, or a message naming it.
pub fn keys_of(view: &MarketView, reserve: &Pubkey) -> anyhow::Result<ReserveKeys> {
    view.keys(reserve)
        .with_context(|| format!("unknown reserve {reserve}"))
}

// ----- read-outs ---------------------------------------------------------------------------

/// One reserve's figures, interest projected to now.
#[derive(Debug, Clone, Serialize)]
pub struct ReserveRow {
    pub symbol: String,
    pub reserve: String,
    pub mint: String,
    pub decimals: u8,
    pub status: &'static str,
    /// Depositors' assets (tokens).
    pub deposits: String,
    /// Borrowed (tokens).
    pub borrows: String,
    pub available: String,
    pub utilization: String,
    pub borrow_apr: String,
    pub supply_apr: String,
    pub supply_cap: String,
    pub borrow_cap: String,
    /// Fund balance (tokens), pending insurance included.
    pub fund: String,
    pub fund_covered: String,
    pub socialized: String,
    /// Protocol fees accrued and not yet collected (tokens).
    pub protocol_fees: String,
    /// Protocol fees accrued since listing (tokens).
    pub protocol_fees_total: String,
    /// Flash-loan fee rate, and the fees paid since listing (tokens).
    pub flash_loan_fee: String,
    pub flash_loan_fees_total: String,
    /// Value of the shares one token bought at listing (1.000000 at listing).
    pub share_value: String,
    pub ltv: String,
    pub liquidation_threshold: String,
    #[serde(skip)]
    pub raw: RawReserveFigures,
}

/// The same figures unrounded, for the demo's reconciliation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawReserveFigures {
    pub deposits: u128,
    pub borrows: u128,
    pub fund: u128,
    pub covered: u128,
    pub socialized: u128,
    pub share_value_wad: u128,
    pub protocol_fees: u128,
    pub utilization_wad: u128,
    pub borrow_rate_wad: u128,
    pub supply_rate_wad: u128,
}

/// The reserve's current figures.
pub fn reserve_row(key: &Pubkey, stored: &Reserve, now: i64) -> anyhow::Result<ReserveRow> {
    let reserve = stored.projected(now).map_err(|e| anyhow::anyhow!("{e}"))?;
    let err = |e: anchor_lang::error::Error| anyhow::anyhow!("{e}");
    let d = reserve.decimals;
    let debt_wad = reserve.debt_wad().map_err(err)?;
    let available_wad = u128::from(reserve.available_liquidity) * WAD;
    let utilization = utilization_wad_floor(available_wad, debt_wad).unwrap_or(0);
    let rate = borrow_rate_wad_ceil(&reserve.config.rate_model.curve(), utilization).unwrap_or(0);
    let kept = u128::from(BPS)
        - u128::from(reserve.config.reserve_factor_bps)
        - u128::from(reserve.config.insurance_factor_bps);
    let supply_rate = rate * utilization / WAD * kept / u128::from(BPS);
    let assets = reserve.supply_assets_wad().map_err(err)? / WAD;
    let fund = u128::from(reserve.fund_balance) + reserve.pending_insurance_wad / WAD;
    let share_value_wad = reserve.share_value_wad().map_err(err)? * VIRTUAL_SHARES;
    let raw = RawReserveFigures {
        deposits: assets,
        borrows: debt_wad / WAD,
        fund,
        covered: reserve.cumulative_fund_covered_wad / WAD,
        socialized: reserve.cumulative_socialized_wad / WAD,
        share_value_wad,
        protocol_fees: reserve.protocol_fees_wad / WAD,
        utilization_wad: utilization,
        borrow_rate_wad: rate,
        supply_rate_wad: supply_rate,
    };
    Ok(ReserveRow {
        symbol: symbol(&reserve.mint),
        reserve: key.to_string(),
        mint: reserve.mint.to_string(),
        decimals: d,
        status: if reserve.status == RESERVE_FROZEN {
            "frozen"
        } else {
            "active"
        },
        deposits: amount_short(assets, d),
        borrows: amount_short(debt_wad / WAD, d),
        available: amount_short(u128::from(reserve.available_liquidity), d),
        utilization: wad_percent(utilization),
        borrow_apr: wad_percent(rate),
        supply_apr: wad_percent(supply_rate),
        supply_cap: amount_short(u128::from(reserve.config.supply_cap), d),
        borrow_cap: amount_short(u128::from(reserve.config.borrow_cap), d),
        fund: amount_short(fund, d),
        fund_covered: amount_short(raw.covered, d),
        socialized: amount_short(raw.socialized, d),
        protocol_fees: amount_short(raw.protocol_fees, d),
        protocol_fees_total: amount_short(reserve.cumulative_protocol_fees_wad / WAD, d),
        flash_loan_fee: crate::format::bps(u64::from(reserve.config.flash_loan_fee_bps)),
        flash_loan_fees_total: amount_short(u128::from(reserve.cumulative_flash_loan_fees), d),
        share_value: format!("{:.6}", share_value_wad as f64 / WAD as f64),
        ltv: crate::format::bps(u64::from(reserve.config.ltv_bps)),
        liquidation_threshold: crate::format::bps(u64::from(
            reserve.config.liquidation_threshold_bps,
        )),
        raw,
    })
}

/// `ballast reserve list`.
pub fn reserve_list(view: &MarketView) -> anyhow::Result<Vec<ReserveRow>> {
    let mut rows = view
        .reserves
        .values()
        .map(|e| reserve_row(&e.key, &e.reserve, view.now))
        .collect::<anyhow::Result<Vec<_>>>()?;
    rows.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    Ok(rows)
}

/// The human table of `reserve list`.
pub fn reserve_table(rows: &[ReserveRow]) -> String {
    table(
        &[
            "asset",
            "deposits",
            "borrows",
            "util",
            "borrow APR",
            "supply APR",
            "supply cap",
            "borrow cap",
            "fund",
            "covered",
            "socialized",
            "share value",
        ],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.symbol.clone(),
                    r.deposits.clone(),
                    r.borrows.clone(),
                    r.utilization.clone(),
                    r.borrow_apr.clone(),
                    r.supply_apr.clone(),
                    r.supply_cap.clone(),
                    r.borrow_cap.clone(),
                    r.fund.clone(),
                    r.fund_covered.clone(),
                    r.socialized.clone(),
                    r.share_value.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

/// `ballast market show`.
#[derive(Debug, Clone, Serialize)]
pub struct MarketReport {
    pub market: String,
    pub admin: String,
    pub pending_admin: Option<String>,
    pub risk_authority: String,
    pub fee_receiver: String,
    pub pyth_program: String,
    pub pyth_receiver_program: String,
    pub switchboard_program: String,
    pub pause_flags: u8,
    pub close_factor: String,
    pub full_liquidation_below_health: String,
    pub full_liquidation_debt_usd: String,
    pub dust_usd: String,
    pub bad_debt_collateral_dust_usd: String,
    pub reserves: Vec<String>,
    /// Listed e-mode categories: `id: parameters (member reserves)`.
    pub emode_categories: Vec<String>,
}

pub fn market_report(view: &MarketView) -> MarketReport {
    let m = &view.market;
    let l = &m.liquidation;
    MarketReport {
        market: view.key.to_string(),
        admin: m.admin.to_string(),
        pending_admin: (m.pending_admin != Pubkey::default()).then(|| m.pending_admin.to_string()),
        risk_authority: m.risk_authority.to_string(),
        fee_receiver: m.fee_receiver.to_string(),
        pyth_program: m.pyth_program.to_string(),
        pyth_receiver_program: m.pyth_receiver_program.to_string(),
        switchboard_program: m.switchboard_program.to_string(),
        pause_flags: m.pause_flags,
        close_factor: crate::format::bps(u64::from(l.close_factor_bps)),
        full_liquidation_below_health: crate::format::bps(u64::from(l.full_liquidation_health_bps)),
        full_liquidation_debt_usd: usd(l.full_liquidation_debt_value),
        dust_usd: usd(l.dust_value),
        bad_debt_collateral_dust_usd: usd(l.bad_debt_collateral_dust_value),
        reserves: view
            .reserves
            .values()
            .map(|e| format!("{} {}", symbol(&e.reserve.mint), e.key))
            .collect(),
        emode_categories: (1..=m.emode_categories.len() as u8)
            .filter_map(|id| {
                let category = m.emode_category(id).ok()?;
                let mut members: Vec<String> = view
                    .reserves
                    .values()
                    .filter(|e| e.reserve.config.emode_category == id)
                    .map(|e| symbol(&e.reserve.mint))
                    .collect();
                members.sort();
                Some(format!(
                    "{id}: {} ({})",
                    category_text(category),
                    members.join(", ")
                ))
            })
            .collect(),
    }
}

/// An e-mode category's parameters in words.
fn category_text(category: &ballast::state::EmodeCategory) -> String {
    let bps = |v: u16| format!("{}%", f64::from(v) / 100.0);
    format!(
        "LTV {}, LT {}, bonus {}–{}",
        bps(category.ltv_bps),
        bps(category.liquidation_threshold_bps),
        bps(category.min_liquidation_bonus_bps),
        bps(category.max_liquidation_bonus_bps)
    )
}

/// `ballast market show` for a person: one `key value` line per field.
pub fn market_text(report: &MarketReport) -> String {
    serde_json::to_value(report)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k:<30} {}\n", v.to_string().trim_matches('"')))
                .collect()
        })
        .unwrap_or_default()
}

/// One position of an obligation.
#[derive(Debug, Clone, Serialize)]
pub struct PositionRow {
    pub asset: String,
    pub kind: &'static str,
    pub amount: String,
    pub value_usd: String,
    pub collateral: bool,
    /// Collateral: the price at which the obligation becomes liquidatable.
    pub liquidation_price: Option<String>,
    /// Collateral: the move from the price now that reaches the liquidation price.
    pub move_to_liquidation: Option<String>,
    pub price: String,
}

/// `ballast health` / `obligation show`.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    pub obligation: String,
    pub owner: String,
    pub positions: Vec<PositionRow>,
    pub collateral_usd: String,
    pub debt_usd: String,
    pub borrow_limit_usd: String,
    /// Health factor under liquidation (spot) prices: below 1 it can be liquidated.
    pub health_factor: String,
    /// The same under the strict prices borrowing and withdrawing use.
    pub strict_health_factor: Option<String>,
    /// The obligation's mode: `standard`, `e-mode N (…)` with the category's parameters, and
    /// `isolated on ASSET (…)` with the debt ceiling's use.
    pub mode: String,
    pub liquidatable: bool,
    #[serde(skip)]
    pub health_wad: u128,
    #[serde(skip)]
    pub strict_borrow_limit_wad: u128,
    #[serde(skip)]
    pub debt_wad: u128,
    #[serde(skip)]
    pub collateral_wad: u128,
}

/// The health read-out of `obligation` (`key`).
pub fn health_report(
    view: &MarketView,
    key: &Pubkey,
    obligation: &Obligation,
) -> anyhow::Result<HealthReport> {
    let (valuation, totals) = view
        .valuate(obligation, PricePolicyKind::Liquidation)
        .map_err(|e| anyhow::anyhow!("valuing the obligation: {e}"))?;
    let strict = view.valuate(obligation, PricePolicyKind::Strict).ok();
    let prices = liquidation_prices(&valuation, &totals, obligation);
    let mut positions = vec![];
    for deposit in obligation.active_deposits() {
        let entry = valuation
            .get(&deposit.reserve)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let tokens = entry.reserve.tokens_for_shares(deposit.shares).unwrap_or(0);
        let price = entry.price.map(|p| p.collateral);
        let value = price
            .and_then(|p| {
                ballast::math::value::value_wad_floor(u128::from(tokens), entry.reserve.decimals, p)
                    .ok()
            })
            .unwrap_or(0);
        let at = prices
            .iter()
            .find(|p| p.reserve == deposit.reserve)
            .and_then(|p| Some((p.price_now, p.liquidation_price?)));
        let liquidation_price = at.map(|(_, p)| format!("${p:.4}"));
        let move_to_liquidation = at
            .filter(|(now, _)| *now > 0.0)
            .map(|(now, p)| format!("{:+.1}%", (p / now - 1.0) * 100.0));
        positions.push(PositionRow {
            asset: symbol(&entry.reserve.mint),
            kind: "deposit",
            amount: amount(u128::from(tokens), entry.reserve.decimals),
            value_usd: usd(value),
            collateral: deposit.collateral_enabled,
            liquidation_price,
            move_to_liquidation,
            price: price
                .map(|p| format!("${:.4}", price_f64(p)))
                .unwrap_or_default(),
        });
    }
    for borrow in obligation.active_borrows() {
        let entry = valuation
            .get(&borrow.reserve)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let owed = entry.reserve.owed_tokens(borrow.scaled_debt).unwrap_or(0);
        let price = entry.price.map(|p| p.debt);
        let value = price
            .and_then(|p| {
                ballast::math::value::value_wad_ceil(owed, entry.reserve.decimals, p).ok()
            })
            .unwrap_or(0);
        positions.push(PositionRow {
            asset: symbol(&entry.reserve.mint),
            kind: "borrow",
            amount: amount(owed, entry.reserve.decimals),
            value_usd: usd(value),
            collateral: false,
            liquidation_price: None,
            move_to_liquidation: None,
            price: price
                .map(|p| format!("${:.4}", price_f64(p)))
                .unwrap_or_default(),
        });
    }
    let health_wad = totals.health_factor_wad().unwrap_or(0);
    let mode = mode_text(view, obligation);
    let strict_limit = strict.as_ref().map(|(_, t)| t.borrow_limit).unwrap_or(0);
    Ok(HealthReport {
        obligation: key.to_string(),
        owner: obligation.owner.to_string(),
        positions,
        collateral_usd: usd(totals.collateral_value),
        debt_usd: usd(totals.debt_value),
        borrow_limit_usd: usd(strict_limit),
        health_factor: wad_ratio(health_wad),
        strict_health_factor: strict
            .as_ref()
            .and_then(|(_, t)| t.health_factor_wad().ok())
            .map(wad_ratio),
        mode,
        liquidatable: totals.is_liquidatable(),
        health_wad,
        strict_borrow_limit_wad: strict_limit,
        debt_wad: totals.debt_value,
        collateral_wad: totals.collateral_value,
    })
}

/// `obligation`'s risk mode in words: its e-mode category and parameters, its isolated
/// collateral with the ceiling's use (the obligation's record, the reserve's total, the ceiling).
pub fn mode_text(view: &MarketView, obligation: &Obligation) -> String {
    let mut parts = vec![];
    if let Ok(category) = view.market.emode_category(obligation.emode_category) {
        parts.push(format!(
            "e-mode {} ({})",
            obligation.emode_category,
            category_text(category)
        ));
    }
    let isolated = obligation.isolated_collateral;
    if isolated != Pubkey::default() {
        let reserve = view.projected(&isolated);
        let (total, ceiling) = reserve
            .as_ref()
            .map(|r| (r.isolated_debt, r.config.debt_ceiling))
            .unwrap_or_default();
        parts.push(format!(
            "isolated on {} (this obligation {} of the ceiling's {} used of {})",
            reserve
                .map(|r| symbol(&r.mint))
                .unwrap_or_else(|| isolated.to_string()),
            usd(obligation.isolated_debt()),
            usd(total),
            usd(ceiling)
        ));
    }
    if parts.is_empty() {
        "standard".to_string()
    } else {
        parts.join("; ")
    }
}

/// The human rendering of a health report.
pub fn health_text(report: &HealthReport) -> String {
    let mut out = format!(
        "obligation {} (owner {})\n",
        report.obligation, report.owner
    );
    out += &table(
        &[
            "asset",
            "position",
            "amount",
            "price",
            "value",
            "collateral",
            "liquidation price",
        ],
        &report
            .positions
            .iter()
            .map(|p| {
                vec![
                    p.asset.clone(),
                    p.kind.to_string(),
                    p.amount.clone(),
                    p.price.clone(),
                    p.value_usd.clone(),
                    if p.kind == "deposit" {
                        if p.collateral { "yes" } else { "no" }.to_string()
                    } else {
                        String::new()
                    },
                    p.liquidation_price.clone().unwrap_or_default(),
                ]
            })
            .collect::<Vec<_>>(),
    );
    out += &format!("mode {}\n", report.mode);
    out += &format!(
        "collateral {}  debt {}  borrow limit {}  health factor {}{}\n",
        report.collateral_usd,
        report.debt_usd,
        report.borrow_limit_usd,
        report.health_factor,
        if report.liquidatable {
            "  LIQUIDATABLE"
        } else {
            ""
        }
    );
    out
}
