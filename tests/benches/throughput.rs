//! Throughput of what can be measured without the SBF toolchain, printed for
//! docs/performance.md and never asserted (timings depend on the machine and its load):
//!
//! - (a) off-chain health computations per second with the program's own math: the keeper's
//!   hot path, valuing an obligation of `MAX_POSITIONS` positions from decoded `Reserve` and
//!   `Obligation` accounts (`Reserve::projected`, `ballast::math::value`, `HealthTotals`);
//! - (b) `size_liquidation` calls per second;
//! - (c) instructions per second through the embedded native bank (deposit / borrow / repay);
//! - (d) the latency of one liquidation transaction of the fullest obligation (bad debt
//!   realized over every borrow) through the native bank.
//!
//! (a) and (b): a warm-up, then `ROUNDS` rounds of a fixed iteration count; the median and the
//! best round are printed. (c) and (d): warm-up transactions, then a fixed number of timed ones;
//! the median, best (and worst) transaction are printed, each for two ways of submitting.
//! Run with `cargo bench -p ballast-tests --bench throughput`; with `BALLAST_SBF=1` (and
//! `BPF_OUT_DIR`) the bank runs the SBF build instead (docs/performance.md).

// solana-program-test 3.x marks its whole API (the context's client included) as "unstable"
// with deprecation warnings; it is the bank this bench drives.
#![allow(deprecated)]

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::AccountDeserialize;
use ballast::instructions::LiquidateArgs;
use ballast::math::health::HealthTotals;
use ballast::math::liquidation::{size_liquidation, LiquidationRequest, PositionQuote};
use ballast::math::value::{value_wad_ceil, value_wad_floor, Price};
use ballast::math::WAD;
use ballast::state::{Obligation, Reserve, MAX_POSITIONS};
use ballast_client::{self as client, LiquidationAccounts};
use ballast_tests::fixture::*;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::transaction::Transaction;

/// Rounds per figure; the median and the best are reported.
const ROUNDS: usize = 5;
/// One whole token of the 6-decimal assets.
const TOKEN: u64 = 1_000_000;
/// Interest left to project: the reserves were last accrued this long before the valuation.
const SINCE_LAST_ACCRUAL_SECS: i64 = 3_600;

/// Appends one line to the report. The program's `msg!` prints to stdout natively, thousands of
/// lines in (c) and (d), so the figures are collected and printed together at the end.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

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

fn per_second(per_call: Duration) -> f64 {
    1.0 / per_call.as_secs_f64()
}

fn report(out: &mut String, label: &str, (median, best): (Duration, Duration)) {
    say!(
        out,
        "{label:<62} {:>12.0} /s  (median {:>9.2} µs, best {:>9.2} µs)",
        per_second(median),
        micros(median),
        micros(best),
    );
}

/// One reserve as a keeper holds it: address, decoded account, liquidation (spot) price.
struct PricedReserve {
    key: Pubkey,
    reserve: Reserve,
    price: Price,
}

/// Decoded accounts of the fullest obligation and its reserves, and their raw bytes.
struct Snapshot {
    obligation: Obligation,
    obligation_data: Vec<u8>,
    reserves: Vec<PricedReserve>,
    now: i64,
}

/// A market of `full_obligation_assets`, a lender on every debt asset and one full borrower,
/// read back from the bank; the valuation happens `SINCE_LAST_ACCRUAL_SECS` later.
async fn snapshot() -> Snapshot {
    let mut h = Harness::with_assets(&full_obligation_assets(), |_, _| {}).await;
    supply_debt_assets(&mut h).await;
    let borrower = h.full_borrower(10_000 * TOKEN).await;
    let obligation_data = h
        .account(&borrower.obligation)
        .await
        .expect("obligation")
        .data;
    let mut reserves = vec![];
    for index in 0..h.assets.len() {
        let feed = h.assets[index].feed;
        reserves.push(PricedReserve {
            key: h.assets[index].keys.reserve,
            reserve: h.reserve(index).await,
            price: Price {
                mantissa: feed.price as u64,
                expo: feed.expo,
            },
        });
    }
    Snapshot {
        obligation: Obligation::try_deserialize(&mut &obligation_data[..]).expect("obligation"),
        obligation_data,
        reserves,
        now: h.now + SINCE_LAST_ACCRUAL_SECS,
    }
}

/// A lender supplies 1 000 000 tokens of every debt asset.
async fn supply_debt_assets(h: &mut Harness) -> User {
    h.refresh_blockhash().await;
    let lender = h.user().await;
    for asset in full_obligation_debts() {
        h.mint_to(asset, &lender.tokens[asset], 1_000_000 * TOKEN)
            .await;
        h.deposit(&lender, asset, 1_000_000 * TOKEN)
            .await
            .expect("lend");
    }
    lender
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
        let tokens = reserve.tokens_for_shares(deposit.shares).expect("tokens");
        let value = value_wad_floor(u128::from(tokens), reserve.decimals, priced.price).unwrap();
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
fn health_throughput(snapshot: &Snapshot, out: &mut String) {
    let now = snapshot.now;
    assert_eq!(
        snapshot.obligation.position_reserves().len(),
        MAX_POSITIONS,
        "the fullest obligation"
    );
    let health = health_totals(&snapshot.obligation, &snapshot.reserves, |r| {
        Cow::Owned(r.projected(now).expect("projects"))
    })
    .health_factor_wad()
    .unwrap();
    say!(
        out,
        "(a) health of an obligation of {MAX_POSITIONS} positions (HF {:.4}, interest projected \
         over {SINCE_LAST_ACCRUAL_SECS} s)",
        health as f64 / WAD as f64
    );
    report(
        out,
        "    projecting each position's reserve every time",
        rounds(50_000, || {
            health_totals(&snapshot.obligation, &snapshot.reserves, |r| {
                Cow::Owned(r.projected(now).expect("projects"))
            })
            .health_factor_wad()
        }),
    );
    // A scan projects each reserve once and values every obligation against the copies.
    let projected: Vec<PricedReserve> = snapshot
        .reserves
        .iter()
        .map(|priced| PricedReserve {
            key: priced.key,
            reserve: priced.reserve.projected(now).expect("projects"),
            price: priced.price,
        })
        .collect();
    report(
        out,
        "    reserves projected once per scan",
        rounds(200_000, || {
            health_totals(&snapshot.obligation, &projected, Cow::Borrowed).health_factor_wad()
        }),
    );
    report(
        out,
        "    reserves projected once per scan, obligation decoded (495 B)",
        rounds(200_000, || {
            let obligation =
                Obligation::try_deserialize(&mut &snapshot.obligation_data[..]).expect("decodes");
            health_totals(&obligation, &projected, Cow::Borrowed).health_factor_wad()
        }),
    );
}

/// (b) Sizing one liquidation of the snapshot's obligation: repay its first borrow, seize its
/// first collateral, at a health where the close factor and the bonus curve both apply.
fn sizing_throughput(snapshot: &Snapshot, out: &mut String) {
    let settings = default_liquidation_config().settings();
    let debt = &snapshot.reserves[full_obligation_debts().start];
    let collateral = &snapshot.reserves[full_obligation_collateral().start];
    let scaled_debt = snapshot
        .obligation
        .borrow(&debt.key)
        .expect("a borrow")
        .scaled_debt;
    let shares = snapshot
        .obligation
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
            tokens: collateral.reserve.tokens_for_shares(shares).unwrap().into(),
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
    say!(
        out,
        "(b) size_liquidation (HF 0.97, close factor 50 % of the debt value, max_repay \
         u64::MAX: repays {} of {} debt base units)",
        outcome.repay_tokens,
        request.debt.tokens
    );
    report(
        out,
        "    calls",
        rounds(500_000, || size_liquidation(&settings, black_box(&request))),
    );
}

/// How a transaction goes through the bank.
#[derive(Debug, Clone, Copy)]
enum Submission {
    /// `process_transaction`: queued to the bank, then its status polled until it is committed
    /// (what every test sees; the poll sleeps between checks).
    Confirmed,
    /// `process_transaction_with_metadata`: the bank loads, executes and commits it within the
    /// call (the bank's own work, no poll).
    Executed,
}

impl Submission {
    const ALL: [Submission; 2] = [Submission::Confirmed, Submission::Executed];

    fn label(self) -> &'static str {
        match self {
            Submission::Confirmed => "process_transaction (queued, status polled)",
            Submission::Executed => "process_transaction_with_metadata (executed in the call)",
        }
    }

    /// Signs `instructions` with `signer` as the only signer and fee payer, and submits them.
    async fn submit(
        self,
        h: &mut Harness,
        instructions: &[Instruction],
        signer: &solana_sdk::signature::Keypair,
    ) -> Result<(), String> {
        let transaction = Transaction::new_signed_with_payer(
            instructions,
            Some(&solana_sdk::signature::Signer::pubkey(signer)),
            &[signer],
            h.bank().last_blockhash,
        );
        let client = &mut h.bank().banks_client;
        match self {
            Submission::Confirmed => client
                .process_transaction(transaction)
                .await
                .map_err(|error| format!("{error:?}")),
            Submission::Executed => {
                match client.process_transaction_with_metadata(transaction).await {
                    Ok(processed) => processed.result.map_err(|error| format!("{error:?}")),
                    Err(error) => Err(format!("{error:?}")),
                }
            }
        }
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// (c) Deposit, borrow and repay through the native bank, one instruction per transaction (a
/// compute-budget instruction, then the instruction; the user signs and pays), each signed and
/// processed end to end.
async fn bank_throughput(out: &mut String) {
    const ITERATIONS: usize = 200;
    const WARM_UP: usize = 20;
    let mut h = Harness::new().await;
    let lender = h.funded_user(USDC, 1_000_000 * TOKEN).await;
    h.deposit(&lender, USDC, 1_000_000 * TOKEN).await.unwrap();
    let borrower = h.funded_user(SOL, 1_000 * 1_000_000_000).await;
    h.deposit(&borrower, SOL, 500 * 1_000_000_000)
        .await
        .unwrap();
    h.borrow(&borrower, USDC, 1_000 * TOKEN).await.unwrap();
    let state = h.obligation(&borrower.obligation).await;
    let remaining = h.remaining(&state, false);
    let (market, owner) = (h.market, borrower.pubkey());
    let deposit = client::deposit(
        &owner,
        &market,
        &h.assets[SOL].keys,
        &borrower.obligation,
        &borrower.tokens[SOL],
        1_000_000,
    );
    let borrow = client::borrow(
        &owner,
        &market,
        &h.assets[USDC].keys,
        &borrower.obligation,
        &borrower.tokens[USDC],
        TOKEN,
        remaining,
    );
    let repay = client::repay(
        &owner,
        &market,
        &h.assets[USDC].keys,
        &borrower.obligation,
        &borrower.tokens[USDC],
        TOKEN,
    );
    let cycle = [("deposit", deposit), ("borrow", borrow), ("repay", repay)];
    say!(
        out,
        "(c) native bank, {ITERATIONS} × (deposit, borrow with a health check, repay) per path, \
         one instruction per transaction (compute-unit limit, the instruction; the user signs \
         and pays), signed and submitted"
    );
    // A distinct limit per transaction, so that no two are the same transaction.
    let mut compute_unit_limit = 1_400_000;
    for submission in Submission::ALL {
        let mut latencies: Vec<Vec<Duration>> = vec![vec![]; cycle.len()];
        let mut total = Duration::ZERO;
        for iteration in 0..WARM_UP + ITERATIONS {
            if iteration % 10 == 0 {
                h.refresh_blockhash().await;
            }
            for (kind, (name, instruction)) in cycle.iter().enumerate() {
                compute_unit_limit -= 1;
                let instructions = [
                    ComputeBudgetInstruction::set_compute_unit_limit(compute_unit_limit),
                    instruction.clone(),
                ];
                let start = Instant::now();
                submission
                    .submit(&mut h, &instructions, &borrower.keypair)
                    .await
                    .unwrap_or_else(|error| panic!("{name}: {error}"));
                let elapsed = start.elapsed();
                if iteration >= WARM_UP {
                    latencies[kind].push(elapsed);
                    total += elapsed;
                }
            }
        }
        let count = ITERATIONS * cycle.len();
        say!(
            out,
            "    {:<58} {:>12.0} /s  (mean {:>9.2} µs)",
            submission.label(),
            count as f64 / total.as_secs_f64(),
            micros(total) / count as f64
        );
        for ((name, _), samples) in cycle.iter().zip(&mut latencies) {
            samples.sort();
            say!(
                out,
                "      {name:<56} median {:>9.2} µs, best {:>9.2} µs",
                micros(samples[samples.len() / 2]),
                micros(samples[0])
            );
        }
    }
}

/// (d) The largest transaction the program has: the fullest obligation liquidated, its last
/// collateral of value taken and bad debt realized over every borrow (as in
/// `liquidation::transaction_size`), signed and processed end to end.
async fn liquidation_latency(out: &mut String) {
    const SAMPLES: usize = 9;
    const WARM_UP: usize = 2;
    let mut h = Harness::with_assets(&full_obligation_assets(), |_, _| {}).await;
    supply_debt_assets(&mut h).await;
    let per_path = WARM_UP + SAMPLES;
    let mut borrowers = vec![];
    for _ in 0..per_path * Submission::ALL.len() {
        borrowers.push(h.full_borrower(500 * TOKEN).await);
    }
    let (repay, seize) = (
        full_obligation_debts().start,
        full_obligation_collateral().start,
    );
    h.refresh_blockhash().await;
    let liquidator = h.user().await;
    h.mint_to(repay, &liquidator.tokens[repay], 1_000_000 * TOKEN)
        .await;
    for asset in full_obligation_collateral().skip(1) {
        h.set_price(asset, 1e-8);
    }
    say!(
        out,
        "(d) liquidation of the fullest obligation ({MAX_POSITIONS} positions), its \
         last collateral taken and bad debt realized over every borrow, signed and submitted, \
         {SAMPLES} samples per path"
    );
    for (path, submission) in Submission::ALL.into_iter().enumerate() {
        let mut samples = vec![];
        for (number, borrower) in borrowers[path * per_path..(path + 1) * per_path]
            .iter()
            .enumerate()
        {
            h.refresh_blockhash().await;
            let state = h.obligation(&borrower.obligation).await;
            let accounts = LiquidationAccounts {
                liquidator: liquidator.pubkey(),
                market: h.market,
                obligation: borrower.obligation,
                repay_source: liquidator.tokens[repay],
                collateral_destination: Some(liquidator.tokens[seize]),
                liquidator_obligation: None,
            };
            let liquidate = client::liquidate(
                &accounts,
                &h.assets[repay].keys,
                &h.assets[seize].keys,
                LiquidateArgs {
                    max_repay: u64::MAX,
                    min_collateral_out: 0,
                    receive_shares: false,
                },
                h.remaining(&state, true),
            );
            let instructions = [
                ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
                liquidate,
            ];
            let start = Instant::now();
            submission
                .submit(&mut h, &instructions, &liquidator.keypair)
                .await
                .expect("the liquidation succeeds");
            let elapsed = start.elapsed();
            assert!(!h.obligation(&borrower.obligation).await.has_debt());
            if number >= WARM_UP {
                samples.push(elapsed);
            }
        }
        samples.sort();
        say!(
            out,
            "    {:<58} median {:>9.2} µs, best {:>9.2} µs, worst {:>9.2} µs",
            submission.label(),
            micros(samples[SAMPLES / 2]),
            micros(samples[0]),
            micros(samples[SAMPLES - 1])
        );
    }
}

fn main() {
    let started = Instant::now();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let header = format!(
        "Ballast throughput ({} build, {cores} cores visible; timings depend on the machine's \
         load)\n",
        if ballast_bank::use_sbf() {
            "SBF program in the bank"
        } else {
            "native"
        }
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut out = String::new();
    let snapshot = runtime.block_on(snapshot());
    health_throughput(&snapshot, &mut out);
    sizing_throughput(&snapshot, &mut out);
    runtime.block_on(bank_throughput(&mut out));
    runtime.block_on(liquidation_latency(&mut out));
    print!("{header}\n{out}");
    println!("\ntotal {:.1} s", started.elapsed().as_secs_f64());
}
