//! Off-chain throughput of the program's own money math, printed for docs/performance.md and
//! never asserted (timings depend on the machine and its load). This bench needs no bank: it
//! builds in the time of the program and this crate (`cargo bench -p ballast-client --bench
//! valuation`); the bank's transaction throughput is `cargo bench -p ballast-tests --bench
//! throughput`.
//!
//! - (a) health computations per second: the keeper's hot path, valuing an obligation of
//!   `MAX_POSITIONS` positions from decoded `Reserve` and `Obligation` accounts
//!   (`Reserve::projected`, `ballast::math::value`, `HealthTotals`);
//! - (b) `size_liquidation` calls per second.
//!
//! The market is built in memory: 5 collateral and 3 debt reserves at the program's default
//! parameters, last accrued an hour before the valuation, and one obligation holding all 8.
//! Each figure: a warm-up, then `ROUNDS` rounds of a fixed iteration count; the median and the
//! best round are printed.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, AccountSerialize, Space};
use ballast::math::health::HealthTotals;
use ballast::math::liquidation::{size_liquidation, LiquidationRequest, PositionQuote};
use ballast::math::shares::scaled_debt_for_borrow_ceil;
use ballast::math::value::{value_wad_ceil, value_wad_floor, Price};
use ballast::math::WAD;
use ballast::state::{
    LiquidationConfig, Obligation, ObligationBorrow, ObligationDeposit, RateModel, Reserve,
    MAX_BORROWS, MAX_DEPOSITS, MAX_POSITIONS,
};

/// Rounds per figure; the median and the best are reported.
const ROUNDS: usize = 5;
/// When the reserves were last accrued, and an hour later, when they are valued.
const LAST_ACCRUAL: i64 = 1_790_000_000;
const SINCE_LAST_ACCRUAL_SECS: i64 = 3_600;

/// Median and best of `ROUNDS` rounds of `iterations` calls of `f`, after a warm-up of a
/// tenth as many.
fn rounds<R>(iterations: u32, mut f: impl FnMut() -> R) -> (Duration, Duration) {
    for _ in 0..iterations / 10 {
        black_box(f());
    }
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(f());
            }
            start.elapsed() / iterations
        })
        .collect();
    times.sort();
    (times[ROUNDS / 2], times[0])
}

fn report(label: &str, (median, best): (Duration, Duration)) {
    println!(
        "{label:<62} {:>12.0} /s  (median {:>9.2} µs, best {:>9.2} µs)",
        1.0 / median.as_secs_f64(),
        median.as_secs_f64() * 1e6,
        best.as_secs_f64() * 1e6,
    );
}

/// One reserve as a keeper holds it: address, decoded account, liquidation (spot) price.
struct PricedReserve {
    key: Pubkey,
    reserve: Reserve,
    price: Price,
}

/// A reserve with the program's default parameters and busy books: `decimals`, 40 % borrowed.
fn reserve(index: u8, decimals: u8) -> Reserve {
    let zeroes = vec![0u8; 8 + Reserve::INIT_SPACE];
    let mut reserve = Reserve::try_deserialize_unchecked(&mut &zeroes[..]).expect("zeroed");
    reserve.mint = Pubkey::new_from_array([index + 1; 32]);
    reserve.decimals = decimals;
    let config = &mut reserve.config;
    config.ltv_bps = 7_500;
    config.liquidation_threshold_bps = 8_000;
    config.min_liquidation_bonus_bps = 200;
    config.max_liquidation_bonus_bps = 1_000;
    config.protocol_liquidation_fee_bps = 2_000;
    config.reserve_factor_bps = 1_000;
    config.insurance_factor_bps = 500;
    config.rate_model = RateModel {
        base_rate_bps: 100,
        optimal_utilization_bps: 8_000,
        slope1_bps: 400,
        slope2_bps: 7_500,
    };
    config.supply_cap = u64::MAX / 4;
    config.borrow_cap = u64::MAX / 8;
    let unit = 10u64.pow(u32::from(decimals));
    reserve.available_liquidity = 600_000 * unit;
    reserve.borrow_index = WAD + WAD / 50;
    reserve.total_scaled_debt =
        scaled_debt_for_borrow_ceil(400_000 * unit, reserve.borrow_index).expect("scaled");
    reserve.total_shares = u128::from(1_000_000 * unit) * 1_000_000;
    reserve.last_accrual_ts = LAST_ACCRUAL;
    reserve
}

/// The fullest obligation: 5 collateral deposits and 3 borrows, health about 1.2.
fn market() -> (Obligation, Vec<u8>, Vec<PricedReserve>) {
    let assets: [(u8, u64, i32); MAX_POSITIONS] = [
        (6, 1, -6),      // a dollar stablecoin
        (9, 150, -8),    // SOL
        (8, 60_000, -8), // BTC
        (9, 3_000, -8),  // ETH
        (6, 20, -8),     // a mid-cap
        (6, 1, -6),      // debt: a dollar stablecoin
        (9, 150, -8),    // debt: SOL
        (6, 1, -6),      // debt: another stablecoin
    ];
    let reserves: Vec<PricedReserve> = assets
        .iter()
        .enumerate()
        .map(|(i, &(decimals, usd, expo))| PricedReserve {
            key: Pubkey::new_from_array([0xb0 + i as u8; 32]),
            reserve: reserve(i as u8, decimals),
            price: Price {
                mantissa: usd * 10u64.pow(expo.unsigned_abs()),
                expo,
            },
        })
        .collect();
    let zeroes = vec![0u8; 8 + Obligation::INIT_SPACE];
    let mut obligation = Obligation::try_deserialize_unchecked(&mut &zeroes[..]).expect("zeroed");
    // $2 000 of collateral in each of 5 deposits, $2 700 of debt in each of 3 borrows:
    // HF = 0.8 × 10 000 / 8 100 ≈ 0.99 before interest (liquidatable: the keeper's case).
    for (slot, priced) in reserves[..MAX_DEPOSITS].iter().enumerate() {
        let usd_per_token = priced.price.mantissa as f64 * 10f64.powi(priced.price.expo);
        let tokens =
            (2_000.0 / usd_per_token * 10f64.powi(i32::from(priced.reserve.decimals))) as u128;
        obligation.deposits[slot] = ObligationDeposit {
            reserve: priced.key,
            shares: tokens * 1_000_000,
            collateral_enabled: true,
            isolated: false,
        };
    }
    for (slot, priced) in reserves[MAX_DEPOSITS..].iter().enumerate() {
        let usd_per_token = priced.price.mantissa as f64 * 10f64.powi(priced.price.expo);
        let tokens =
            (2_700.0 / usd_per_token * 10f64.powi(i32::from(priced.reserve.decimals))) as u128;
        obligation.borrows[slot] = ObligationBorrow {
            reserve: priced.key,
            scaled_debt: scaled_debt_for_borrow_ceil(tokens as u64, priced.reserve.borrow_index)
                .expect("scaled"),
            isolated_debt: 0,
        };
    }
    assert_eq!(MAX_DEPOSITS + MAX_BORROWS, MAX_POSITIONS);
    let mut data = vec![];
    obligation.try_serialize(&mut data).expect("serializes");
    (obligation, data, reserves)
}

/// Health totals of `obligation` under liquidation (spot) prices, the way the program sums
/// them: collateral rounded down, debt rounded up. `project` maps a stored reserve to the one
/// valued: a copy with interest projected to now, or the reserve itself when the scan has
/// already projected it.
fn health_totals<'a>(
    obligation: &Obligation,
    reserves: &'a [PricedReserve],
    project: impl Fn(&'a Reserve) -> Cow<'a, Reserve>,
) -> HealthTotals {
    let find = |key: &Pubkey| {
        reserves
            .iter()
            .find(|priced| priced.key == *key)
            .expect("a reserve per position")
    };
    let mut totals = HealthTotals::default();
    for deposit in obligation
        .active_deposits()
        .filter(|d| d.collateral_enabled)
    {
        let priced = find(&deposit.reserve);
        let reserve = project(&priced.reserve);
        let tokens = reserve.collateral_tokens(deposit.shares).expect("tokens");
        let value = value_wad_floor(tokens, reserve.decimals, priced.price).unwrap();
        totals
            .add_collateral(
                value,
                u64::from(reserve.config.ltv_bps),
                u64::from(reserve.config.liquidation_threshold_bps),
            )
            .unwrap();
    }
    for borrow in obligation.active_borrows() {
        let priced = find(&borrow.reserve);
        let reserve = project(&priced.reserve);
        let owed = reserve.owed_tokens(borrow.scaled_debt).expect("owed");
        totals
            .add_debt(value_wad_ceil(owed, reserve.decimals, priced.price).unwrap())
            .unwrap();
    }
    totals
}

/// (a) The keeper's hot path, three ways.
fn health_throughput(obligation: &Obligation, data: &[u8], reserves: &[PricedReserve]) {
    let now = LAST_ACCRUAL + SINCE_LAST_ACCRUAL_SECS;
    let project = |r: &Reserve| Cow::Owned(r.projected(now).expect("projects"));
    let health = health_totals(obligation, reserves, project)
        .health_factor_wad()
        .unwrap();
    println!(
        "(a) health of an obligation of {MAX_POSITIONS} positions (HF {:.4}, interest projected \
         over {SINCE_LAST_ACCRUAL_SECS} s)",
        health as f64 / WAD as f64
    );
    report(
        "    projecting each position's reserve every time",
        rounds(50_000, || {
            health_totals(obligation, reserves, project).health_factor_wad()
        }),
    );
    // A scan projects each reserve once and values every obligation against the copies.
    let projected: Vec<PricedReserve> = reserves
        .iter()
        .map(|priced| PricedReserve {
            key: priced.key,
            reserve: priced.reserve.projected(now).expect("projects"),
            price: priced.price,
        })
        .collect();
    report(
        "    reserves projected once per scan",
        rounds(200_000, || {
            health_totals(obligation, &projected, Cow::Borrowed).health_factor_wad()
        }),
    );
    report(
        &format!(
            "    reserves projected once per scan, obligation decoded ({} B)",
            data.len()
        ),
        rounds(200_000, || {
            let obligation = Obligation::try_deserialize(&mut &data[..]).expect("decodes");
            health_totals(&obligation, &projected, Cow::Borrowed).health_factor_wad()
        }),
    );
}

/// (b) Sizing one liquidation: repay the first borrow, seize the first collateral, at a health
/// where the close factor and the bonus curve both apply.
fn sizing_throughput(obligation: &Obligation, reserves: &[PricedReserve]) {
    let settings = LiquidationConfig {
        close_factor_bps: 5_000,
        full_liquidation_health_bps: 9_500,
        full_liquidation_debt_value: 100 * WAD,
        dust_value: WAD,
        bad_debt_collateral_dust_value: WAD / 10,
    }
    .settings();
    let debt = &reserves[MAX_DEPOSITS];
    let collateral = &reserves[0];
    let scaled_debt = obligation.borrow(&debt.key).expect("a borrow").scaled_debt;
    let shares = obligation
        .deposit(&collateral.key)
        .expect("a deposit")
        .shares;
    let config = &collateral.reserve.config;
    let request = LiquidationRequest {
        health_wad: WAD * 97 / 100,
        total_debt_value: 3_000 * WAD,
        total_collateral_value: 40_000 * WAD,
        debt: PositionQuote {
            tokens: debt.reserve.owed_tokens(scaled_debt).unwrap(),
            decimals: debt.reserve.decimals,
            price: debt.price,
        },
        collateral: PositionQuote {
            tokens: collateral.reserve.collateral_tokens(shares).unwrap(),
            decimals: collateral.reserve.decimals,
            price: collateral.price,
        },
        collateral_share_value_wad: collateral.reserve.share_value_wad().unwrap(),
        collateral_liquidation_threshold_bps: u64::from(config.liquidation_threshold_bps),
        min_bonus_bps: u64::from(config.min_liquidation_bonus_bps),
        max_bonus_bps: u64::from(config.max_liquidation_bonus_bps),
        protocol_fee_bps: u64::from(config.protocol_liquidation_fee_bps),
        max_repay: u64::MAX,
    };
    let outcome = size_liquidation(&settings, &request).expect("sizes");
    println!(
        "(b) size_liquidation (HF 0.97, close factor 50 % of the debt value, max_repay \
         u64::MAX: repays {} of {} debt base units)",
        outcome.repay_tokens, request.debt.tokens
    );
    report(
        "    calls",
        rounds(500_000, || size_liquidation(&settings, black_box(&request))),
    );
}

fn main() {
    let started = Instant::now();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "Ballast off-chain valuation throughput ({cores} cores visible; timings depend on the \
         machine's load)\n"
    );
    let (obligation, data, reserves) = market();
    health_throughput(&obligation, &data, &reserves);
    sizing_throughput(&obligation, &reserves);
    println!("\ntotal {:.1} s", started.elapsed().as_secs_f64());
}
