//! The stress test on a generated market of 10 000 obligations over 8 reserves, timed for
//! docs/performance.md and never asserted (`cargo bench -p ballast-app --bench stress`).
//!
//! The market: the localnet market (`migrations/localnet.toml`) is created in an embedded bank
//! for its market account, reserve templates and price feeds; in memory, its three reserves
//! become eight (each a copy with its own address, mint and feed, caps raised), a lender supplies
//! each deeply, and 10 000 obligations deposit into 1–3 reserves and borrow from 1–2 others at
//! 30–99 % of their borrow limit. Every deposit and borrow is booked with the program's own
//! `Reserve::deposit` / `Reserve::borrow`, so the books are consistent. Figures, each the median
//! and best of 5 runs after a warm-up:
//! - value the market: the books (`Books::new`) and every obligation's health;
//! - render the dashboard's positions view: every obligation's health read-out (what
//!   `ballast health` prints), the HF histogram, sorting by HF and the HTML of the first page;
//! - one stress test (all non-stable assets −30 %) with its whole cascade;
//! - a sweep of 10 shock levels (−10 % … −95 %) over every core.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use ballast::oracle::PricePolicyKind;
use ballast::state::{ObligationBorrow, ObligationDeposit};
use ballast_app::dashboard::{html, pages};
use ballast_app::localnet::LocalMarket;
use ballast_app::stress::{self, Books, MarketState, Shock, SimConfig};
use ballast_client::view::{oracle_of, price_f64, ReserveEntry};
use rand::{Rng, SeedableRng};

const OBLIGATIONS: usize = 10_000;
const RESERVES: usize = 8;
const RUNS: usize = 5;

fn timed<R>(label: &str, mut f: impl FnMut() -> R) -> R {
    black_box(f());
    let mut times: Vec<Duration> = vec![];
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        last = Some(black_box(f()));
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "{label:<58} median {:>8.1} ms, best {:>8.1} ms",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
    last.expect("ran")
}

/// Eight reserves from the localnet's three, a deep lender in each, and `OBLIGATIONS` borrowers.
fn generate(base: &MarketState) -> (MarketState, Vec<Pubkey>) {
    let templates: Vec<ReserveEntry> = base.view.reserves.values().cloned().collect();
    let mut view = base.view.clone();
    view.reserves.clear();
    view.oracles.clear();
    let books = Books::new(&base.view, &base.view.oracles, PricePolicyKind::Liquidation);
    let mut prices = vec![];
    let mut risky = vec![];
    for i in 0..RESERVES {
        let template = &templates[i % templates.len()];
        let key = Pubkey::new_from_array([0xa0 + i as u8; 32]);
        let oracle = Pubkey::new_from_array([0xc0 + i as u8; 32]);
        let mut reserve = template.reserve.clone();
        reserve.mint = Pubkey::new_from_array([0xe0 + i as u8; 32]);
        reserve.config.oracle.oracle_account = oracle;
        reserve.config.supply_cap = u64::MAX / 4;
        reserve.config.borrow_cap = u64::MAX / 8;
        let unit = 10u64.pow(u32::from(reserve.decimals));
        reserve.deposit(1_000_000_000 * unit).expect("lender");
        let oracle_account = base.view.oracles[&oracle_of(&template.reserve).primary].clone();
        let price = books.prices[&template.key].expect("a price").collateral;
        prices.push(price_f64(price));
        if price_f64(price) > 2.0 {
            risky.push(key);
        }
        view.oracles.insert(oracle, oracle_account);
        view.reserves.insert(
            key,
            ReserveEntry {
                key,
                reserve,
                account: template.account.clone(),
            },
        );
    }
    let keys: Vec<Pubkey> = view.reserves.keys().copied().collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let mut obligations = vec![];
    for n in 0..OBLIGATIONS {
        let mut obligation =
            ballast_app::stress::fresh_obligation(&view.key, &Pubkey::new_unique());
        let mut order: Vec<usize> = (0..RESERVES).collect();
        for i in 0..RESERVES {
            order.swap(i, rng.gen_range(i..RESERVES));
        }
        let deposits = rng.gen_range(1..=3);
        let borrows = rng.gen_range(1..=2);
        let mut limit_usd = 0.0;
        for (slot, &i) in order[..deposits].iter().enumerate() {
            let usd = rng.gen_range(1_000.0..100_000.0);
            let entry = view.reserves.get_mut(&keys[i]).expect("reserve");
            let units = usd / prices[i] * 10f64.powi(i32::from(entry.reserve.decimals));
            let shares = entry.reserve.deposit(units as u64).expect("deposit");
            obligation.deposits[slot] = ObligationDeposit {
                reserve: keys[i],
                shares,
                collateral_enabled: true,
                isolated: false,
            };
            limit_usd += usd * f64::from(entry.reserve.config.ltv_bps) / 10_000.0;
        }
        let fill = rng.gen_range(0.30..0.99);
        for (slot, &i) in order[deposits..deposits + borrows].iter().enumerate() {
            let usd = limit_usd * fill / borrows as f64;
            let entry = view.reserves.get_mut(&keys[i]).expect("reserve");
            let units = usd / prices[i] * 10f64.powi(i32::from(entry.reserve.decimals));
            let scaled_debt = entry.reserve.borrow(units as u64).expect("borrow");
            obligation.borrows[slot] = ObligationBorrow {
                reserve: keys[i],
                scaled_debt,
                isolated_debt: 0,
            };
        }
        let key = Pubkey::new_from_array({
            let mut bytes = [0u8; 32];
            bytes[..8].copy_from_slice(&(n as u64).to_le_bytes());
            bytes[31] = 0xee;
            bytes
        });
        obligations.push((key, obligation));
    }
    obligations.sort_by_key(|(key, _)| *key);
    (MarketState { view, obligations }, risky)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let base = runtime.block_on(async {
        let mut m = LocalMarket::localnet(3, 1_767_225_600)
            .await
            .expect("localnet");
        MarketState::load(&mut m.chain, &m.market)
            .await
            .expect("state")
    });
    let (state, risky) = generate(&base);
    println!(
        "market: {} obligations over {} reserves ({} shocked), {} core(s)",
        state.obligations.len(),
        state.view.reserves.len(),
        risky.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let config = SimConfig::new(Pubkey::new_unique());
    timed(
        "value the market (books + every obligation's health)",
        || {
            let books = Books::new(
                &state.view,
                &state.view.oracles,
                PricePolicyKind::Liquidation,
            );
            let mut liquidatable = 0;
            for (_, obligation) in &state.obligations {
                let (_, totals) = books.totals(obligation).expect("priced");
                liquidatable += usize::from(totals.is_liquidatable());
            }
            liquidatable
        },
    );
    let html = timed(
        "render the positions view (10 000 health read-outs, sort, HTML)",
        || {
            let page = pages::positions_page(
                &state,
                pages::summaries(&state),
                pages::PositionsQuery::default(),
            );
            html::positions(&page, &None).into_string()
        },
    );
    println!("  first page: {} bytes of HTML", html.len());
    let page = timed(
        "render the stress view (one test + 10-level sweep, HTML)",
        || {
            let page = pages::stress_page(
                &state,
                &pages::StressQuery {
                    assets: None,
                    shock: Some(-30.0),
                },
            )
            .expect("stress page");
            html::stress(&page, &None).into_string()
        },
    );
    println!("  stress page: {} bytes of HTML", page.len());
    let shock = Shock::uniform(&risky, -3_000).expect("shock");
    let outcome = timed("one stress test, −30 % on every non-stable asset", || {
        stress::simulate(&state, &shock, &config)
    });
    println!(
        "  −30 %: {} liquidations, {} written off, bad debt ${:.0}, {} passes, {} still liquidatable",
        outcome.liquidations.len(),
        outcome.written_off_obligations,
        outcome.bad_debt_usd_wad as f64 / 1e18,
        outcome.passes,
        outcome.still_liquidatable
    );
    let moves: Vec<i64> = [
        -1_000, -2_000, -3_000, -4_000, -5_000, -6_000, -7_000, -8_000, -9_000, -9_500,
    ]
    .to_vec();
    let points = timed("a sweep of 10 shock levels (every core)", || {
        stress::sweep(&state, &risky, &moves, &config).expect("sweep")
    });
    let by_move: BTreeMap<i64, (usize, f64)> = points
        .iter()
        .map(|p| {
            (
                p.move_bps,
                (p.liquidations, p.bad_debt_usd_wad as f64 / 1e18),
            )
        })
        .collect();
    for (m, (liquidations, bad_debt)) in by_move.iter().rev() {
        println!(
            "  {:>4} %: {liquidations:>6} liquidations, bad debt ${bad_debt:>14.0}",
            m / 100
        );
    }
}
