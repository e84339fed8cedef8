//! Throughput of the embedded bank, printed for docs/performance.md and never asserted (timings
//! depend on the machine and its load). The off-chain math (health computations and
//! `size_liquidation` per second) is `cargo bench -p ballast-client --bench valuation`, which
//! needs no bank and builds in minutes; this one needs an optimized build of the whole bank.
//!
//! - (c) instructions per second through the embedded native bank (deposit / borrow / repay);
//! - (d) the latency of one liquidation transaction of the fullest obligation (bad debt
//!   realized over every borrow) through the native bank.
//!
//! Warm-up transactions, then a fixed number of timed ones;
//! the median, best (and worst) transaction are printed, each for two ways of submitting.
//! Run with `cargo bench -p ballast-tests --bench throughput`; with `BALLAST_SBF=1` (and
//! `BPF_OUT_DIR`) the bank runs the SBF build instead (docs/performance.md).

// solana-program-test 3.x marks its whole API (the context's client included) as "unstable"
// with deprecation warnings; it is the bank this bench drives.
#![allow(deprecated)]

use std::time::{Duration, Instant};

use anchor_lang::solana_program::instruction::Instruction;
use ballast::instructions::LiquidateArgs;
use ballast::state::MAX_POSITIONS;
use ballast_client::{self as client, LiquidationAccounts};
use ballast_tests::fixture::*;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::transaction::Transaction;

/// One whole token of the 6-decimal assets.
const TOKEN: u64 = 1_000_000;

/// Appends one line to the report. The program's `msg!` prints to stdout natively, thousands of
/// lines in (c) and (d), so the figures are collected and printed together at the end.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
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
    let _lender = h.lender(USDC, 1_000_000 * TOKEN).await;
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
        None,
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
    runtime.block_on(bank_throughput(&mut out));
    runtime.block_on(liquidation_latency(&mut out));
    print!("{header}\n{out}");
    println!("\ntotal {:.1} s", started.elapsed().as_secs_f64());
}
