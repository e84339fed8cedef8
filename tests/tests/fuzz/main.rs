//! Stateful invariant fuzzing of the whole program (TESTING.md layer 4).
//!
//! Seeded sequences of actions by lenders, borrowers, a liquidator and an attacker with two
//! wallets, interleaved with price walks, crashes, spikes, confidence widening, outages,
//! clock jumps, donations, config changes and pauses, run against the real program on the
//! bank. After every step every invariant of TESTING.md is checked on the bank's accounts;
//! every sequence ends with a liveness wind-down (repay all with no oracle, sweep, withdraw
//! all). A failure is shrunk to a minimal script and printed.
//!
//! Modes (see docs/fuzzing.md):
//! - quick (default, inside `cargo test`): the committed regressions plus a fixed set of seeds;
//! - long: `BALLAST_FUZZ_MINUTES=30` (runs until the time is up) or `BALLAST_FUZZ_CASES=N`;
//!   `BALLAST_FUZZ_SEED=S` picks the first seed, `BALLAST_FUZZ_STEPS=K` the sequence length,
//!   `BALLAST_FUZZ_MAX_FAILURES=F` stops after F failures (5), `BALLAST_FUZZ_SHRINK_SECS=T`
//!   bounds the shrinking of each (600 s long, 90 s quick).

#![allow(deprecated)]

mod actions;
mod promises;
mod regressions;
mod world;

use std::time::{Duration, Instant};

use actions::{sequence, Action};
use world::{Tally, Violation, World};

/// Quick mode: sequences and steps per sequence.
const QUICK_CASES: u64 = 16;
const QUICK_STEPS: usize = 120;
const DEFAULT_SEED: u64 = 0xba11_a570;

/// How one run of a sequence ended.
struct Run {
    tally: Tally,
    /// `(step index, violation)`; the wind-down is step `actions.len()`.
    failure: Option<(usize, Violation)>,
    attacker_rounding_gain: i128,
}

/// Runs `actions` from a fresh bank on its own thread (a panic anywhere is a failure too).
fn run(actions: &[Action]) -> Run {
    let owned = actions.to_vec();
    let handle = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mut world = World::new().await;
                let mut snap = world.snapshot().await;
                for (index, action) in owned.iter().enumerate() {
                    match world.step(action, &snap).await {
                        Ok(next) => snap = next,
                        Err(violation) => {
                            return Run {
                                tally: world.tally,
                                failure: Some((index, violation)),
                                attacker_rounding_gain: world.attacker_rounding_gain,
                            };
                        }
                    }
                }
                let failure = world.wind_down().await.err().map(|v| (owned.len(), v));
                if world.beyond_u64 {
                    world.tally.beyond_u64 += 1;
                }
                Run {
                    tally: world.tally,
                    failure,
                    attacker_rounding_gain: world.attacker_rounding_gain,
                }
            })
        })
        .expect("thread");
    match handle.join() {
        Ok(run) => run,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Run {
                tally: Tally::default(),
                failure: Some((
                    actions.len(),
                    Violation {
                        kind: "harness-panic",
                        details: message,
                    },
                )),
                attacker_rounding_gain: 0,
            }
        }
    }
}

/// Delta debugging over the action list: drop chunks while the same kind of failure remains.
fn shrink(actions: &[Action], kind: &str, budget: Duration) -> (Vec<Action>, Violation) {
    let deadline = Instant::now() + budget;
    let first = run(actions).failure.expect("the sequence fails");
    let mut current: Vec<Action> = actions[..(first.0 + 1).min(actions.len())].to_vec();
    let mut last = first.1;
    let mut chunk = (current.len() / 2).max(1);
    loop {
        let mut removed = false;
        let mut start = 0;
        while start < current.len() && Instant::now() < deadline {
            let end = (start + chunk).min(current.len());
            let candidate: Vec<Action> = current[..start]
                .iter()
                .chain(&current[end..])
                .cloned()
                .collect();
            match run(&candidate).failure {
                Some((step, violation)) if violation.kind == kind => {
                    current = candidate[..(step + 1).min(candidate.len())].to_vec();
                    last = violation;
                    removed = true;
                }
                _ => start += chunk,
            }
        }
        if Instant::now() >= deadline || (chunk == 1 && !removed) {
            break;
        }
        if !removed {
            chunk = (chunk / 2).max(1);
        }
    }
    (current, last)
}

fn script(actions: &[Action]) -> String {
    actions
        .iter()
        .enumerate()
        .map(|(i, action)| format!("  {:>3}. {action}\n", i + 1))
        .collect()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|value| {
        let value = value.trim();
        value.strip_prefix("0x").map_or_else(
            || value.parse().ok(),
            |hex| u64::from_str_radix(hex, 16).ok(),
        )
    })
}

#[derive(Default)]
struct Totals {
    sequences: u64,
    passed: u64,
    failed: u64,
    tally: Tally,
    attacker_rounding_gain: i128,
}

impl Totals {
    fn add(&mut self, run: &Run) {
        self.sequences += 1;
        self.tally.add(&run.tally);
        self.attacker_rounding_gain += run.attacker_rounding_gain;
        if run.failure.is_some() {
            self.failed += 1;
        } else {
            self.passed += 1;
        }
    }

    fn line(&self, started: Instant) -> String {
        format!(
            "{} sequences, {} steps ({} instructions, {} succeeded), {} invariant checks, attacker rounding gain {} WAD-USD, {:.1}s",
            self.sequences,
            self.tally.steps,
            self.tally.instructions,
            self.tally.succeeded,
            self.tally.checks,
            self.attacker_rounding_gain,
            started.elapsed().as_secs_f64()
        )
    }
}

fn report_failure(
    label: &str,
    actions: &[Action],
    failure: &(usize, Violation),
    shrink_budget: Duration,
) -> String {
    let (step, violation) = failure;
    let (minimal, last) = shrink(actions, violation.kind, shrink_budget);
    format!(
        "FAIL {label}: [{}] at step {} of {}: {}\nminimal script ({} steps, then the wind-down) -> [{}] {}:\n{}",
        violation.kind,
        step + 1,
        actions.len(),
        violation.details,
        minimal.len(),
        last.kind,
        last.details,
        script(&minimal)
    )
}

#[test]
fn fuzz() {
    if std::env::var_os("RUST_LOG").is_none() {
        // The bank logs every instruction at debug level by default; that is most of its time.
        std::env::set_var("RUST_LOG", "error");
    }
    let started = Instant::now();
    let minutes = std::env::var("BALLAST_FUZZ_MINUTES")
        .ok()
        .and_then(|m| m.parse::<f64>().ok());
    let cases = env_u64("BALLAST_FUZZ_CASES");
    let long = minutes.is_some() || cases.is_some();
    let steps = env_u64("BALLAST_FUZZ_STEPS").map_or(QUICK_STEPS, |s| s as usize);
    let seed = env_u64("BALLAST_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let deadline = minutes.map(|m| started + Duration::from_secs_f64(m * 60.0));
    let cases = cases.unwrap_or(if minutes.is_some() {
        u64::MAX
    } else {
        QUICK_CASES
    });
    let shrink_budget =
        Duration::from_secs(env_u64("BALLAST_FUZZ_SHRINK_SECS").unwrap_or(if long {
            600
        } else {
            90
        }));
    let max_failures = env_u64("BALLAST_FUZZ_MAX_FAILURES").unwrap_or(5) as usize;
    println!(
        "fuzz: {} mode, first seed {seed:#x}, {steps} steps per sequence",
        if long { "long" } else { "quick" }
    );

    let mut totals = Totals::default();
    let mut failures = vec![];

    // The committed regressions always run first.
    for (name, actions) in regressions::scripts() {
        let run = run(&actions);
        totals.add(&run);
        if let Some(failure) = &run.failure {
            failures.push(report_failure(name, &actions, failure, shrink_budget));
        }
    }
    for &(regression_seed, regression_steps) in regressions::SEEDS {
        let actions = sequence(regression_seed, regression_steps);
        let run = run(&actions);
        totals.add(&run);
        if let Some(failure) = &run.failure {
            failures.push(report_failure(
                &format!("regression seed {regression_seed:#x}"),
                &actions,
                failure,
                shrink_budget,
            ));
        }
    }

    let mut case = 0;
    while case < cases && deadline.is_none_or(|d| Instant::now() < d) {
        let case_seed = seed.wrapping_add(case);
        let actions = sequence(case_seed, steps);
        let run = run(&actions);
        totals.add(&run);
        if let Some(failure) = &run.failure {
            let report = report_failure(
                &format!("seed {case_seed:#x} ({steps} steps)"),
                &actions,
                failure,
                shrink_budget,
            );
            println!("{report}");
            failures.push(report);
            if long && failures.len() >= max_failures {
                break;
            }
        }
        case += 1;
        if long && case % 25 == 0 {
            println!("fuzz progress: {}", totals.line(started));
        }
    }

    println!("fuzz: {}", totals.line(started));
    let kinds: Vec<String> = actions::KINDS
        .iter()
        .zip(totals.tally.succeeded_by_kind)
        .filter(|(_, count)| *count > 0)
        .map(|(kind, count)| format!("{kind} {count}"))
        .collect();
    println!(
        "fuzz: {} sequences grew books past u64 base units (wind-down skipped, see docs/fuzzing.md)",
        totals.tally.beyond_u64
    );
    println!(
        "fuzz: successful instructions by kind: {}; bad-debt write-offs {}",
        kinds.join(", "),
        totals.tally.write_offs
    );
    let t = &totals.tally;
    println!(
        "fuzz: liveness verdicts on indebted obligations after every step: {} healthy, {} liquidatable, {} realizable, {} waiting for an invalid price, {} paused; {} simulated write-offs of solvent obligations refused",
        t.live_healthy, t.live_liquidatable, t.live_realizable, t.live_waiting_for_price, t.live_paused, t.solvent_refused
    );
    println!("fuzz: {} passed, {} failed", totals.passed, totals.failed);
    if !failures.is_empty() {
        panic!(
            "{} failing sequences:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// The checker and the shrinker themselves: a sequence with a bookkeeping corruption slipped
/// in must fail on conservation and shrink to the corruption alone.
#[test]
fn a_broken_book_is_caught_and_shrunk_to_its_cause() {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let mut actions = sequence(DEFAULT_SEED ^ 0x5e1f, 12);
    actions.insert(10, Action::CorruptBooks { asset: 2 });
    let failure = run(&actions).failure.expect("the corruption is caught");
    assert_eq!(failure.1.kind, "conservation", "{:?}", failure.1);
    assert_eq!(failure.0, 10, "caught at the step that broke the books");
    let (minimal, violation) = shrink(&actions, "conservation", Duration::from_secs(120));
    println!("shrunk to:\n{}", script(&minimal));
    assert_eq!(violation.kind, "conservation");
    assert_eq!(minimal, vec![Action::CorruptBooks { asset: 2 }]);
}
