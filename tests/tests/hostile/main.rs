//! Hostile input for every instruction: random and adversarial instruction data, and account
//! lists with each account in turn swapped for a wrong one. Every case must fail with an error
//! (never a panic, never `ProgramFailedToComplete`) and leave every account byte-identical.
//!
//! Each instruction has a *baseline*: a valid instruction that succeeds in the fixture's
//! state. Every mutation of it is sent against the same state; at the end every baseline is
//! sent unmutated and must succeed, which shows that each case failed because of its
//! mutation and not because the baseline was already invalid.

#![allow(deprecated)]

use std::collections::BTreeSet;
use std::time::Instant;

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::error::InstructionError;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData};
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use ballast::instructions::{InitMarketArgs, LiquidateArgs, MarketUpdate, ReserveUpdate};
use ballast::math::WAD;
use ballast::state::{LiquidationConfig, ReserveConfig};
use ballast_bank::pyth;
use ballast_client::{self as client, LiquidationAccounts, ReserveKeys};
use ballast_tests::fixture::{
    default_liquidation_config, default_reserve_config, feed_id, Harness, User, BTC, SOL,
    STABLE_EMODE_CATEGORY, USDC,
};
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};

/// A small seeded generator for random bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// One instruction to attack: a valid baseline and what its positions mean.
struct Target {
    name: &'static str,
    baseline: Instruction,
    /// Data variants with extreme or invalid values, each of which must fail.
    extreme_data: Vec<(String, Vec<u8>)>,
    /// Signer positions anyone may fill (another signer there is legitimate, so only the
    /// unsigned variant is a hostile case).
    permissionless_signers: Vec<usize>,
    /// Destination token accounts the signer chooses freely (another same-mint token account
    /// there is legitimate).
    free_destinations: Vec<usize>,
    /// Start of the remaining accounts (`[reserve, oracle]` pairs), if any.
    remaining_from: Option<usize>,
    /// Accounts created by the instruction (`init`), and their payer. Natively their read-only
    /// variant is skipped: Anchor's `init` creates them by a CPI to the system program (before
    /// the payer's `mut` constraint is checked), the runtime then
    /// rejects the read-only account with `PrivilegeEscalation`, and solana-program-test's
    /// native CPI stub `unwrap`s that error (a panic in the test bank) where an SBF build
    /// returns it as a clean error. Run with `BALLAST_SBF=1` to include them.
    created: Vec<usize>,
    /// Instructions sent unmutated before and after the attacked one in the same transaction
    /// (a flash loan's other end).
    around: (Vec<Instruction>, Vec<Instruction>),
}

struct Scene {
    h: Harness,
    a: User,
    b: User,
    e: User,
    t: User,
    u: User,
    q: User,
    creator: Keypair,
    new_mint: Pubkey,
    m2: Pubkey,
    m2_admin: Keypair,
    r2: ReserveKeys,
    a_obligation_m2: Pubkey,
    system_account: Pubkey,
    nonce: u32,
}

/// Keys of every wallet the scene can sign for.
fn keypairs(scene: &Scene) -> Vec<Keypair> {
    let mut keys = vec![
        scene.h.admin.insecure_clone(),
        scene.h.risk_authority.insecure_clone(),
        scene.creator.insecure_clone(),
        scene.m2_admin.insecure_clone(),
    ];
    for user in [&scene.a, &scene.b, &scene.e, &scene.t, &scene.u, &scene.q] {
        keys.push(user.keypair.insecure_clone());
    }
    keys
}

async fn setup() -> Scene {
    let mut h = Harness::new().await;
    // E-mode category 1 holds USDC (what `a` borrows), so `a` may enter it.
    h.list_emode_category(1, STABLE_EMODE_CATEGORY, &[USDC])
        .await;
    let lender = h.funded_user(USDC, 10_000_000_000_000).await;
    h.deposit(&lender, USDC, 5_000_000_000_000).await.unwrap();
    // a: BTC and SOL collateral, a USDC borrow (and USDC in the wallet to repay with).
    let a = h.funded_user(BTC, 1_000_000_000).await;
    h.mint_to(USDC, &a.tokens[USDC], 1_000_000_000).await;
    h.mint_to(SOL, &a.tokens[SOL], 1_000_000_000).await;
    h.deposit(&a, BTC, 100_000_000).await.unwrap();
    h.deposit(&a, SOL, 100_000_000).await.unwrap();
    h.borrow(&a, USDC, 10_000_000_000).await.unwrap();
    // b and e: other wallets with tokens and empty obligations.
    let b = h.funded_user(USDC, 1_000_000_000).await;
    for asset in [BTC, SOL] {
        h.mint_to(asset, &b.tokens[asset], 1_000_000_000).await;
    }
    let e = h.user().await;
    // t: SOL collateral, about to be liquidatable; u: a dust position that will be insolvent.
    let t = h.borrower(SOL, 10_000_000_000, USDC, 900_000_000).await;
    let u = h.borrower(SOL, 1_000_000, USDC, 110_000).await;
    h.set_price(SOL, 100.0);
    // q: the liquidator.
    let q = h.funded_user(USDC, 1_000_000_000_000).await;
    // A second market with a reserve on the same USDC mint, and a's obligation there.
    let m2_admin = Keypair::new();
    h.airdrop(&m2_admin.pubkey(), 10_000_000_000).await;
    let args = InitMarketArgs {
        index: 0,
        risk_authority: m2_admin.pubkey(),
        fee_receiver: m2_admin.pubkey(),
        pyth_program: pyth::PYTH_LEGACY_PROGRAM,
        pyth_receiver_program: pyth::PYTH_RECEIVER_PROGRAM,
        switchboard_program: pyth::SWITCHBOARD_PROGRAM,
        liquidation: default_liquidation_config(),
    };
    h.send(
        &[client::init_market(&m2_admin.pubkey(), args)],
        &[&m2_admin],
    )
    .await
    .unwrap();
    let m2 = client::market_address(&m2_admin.pubkey(), 0);
    let usdc = h.assets[USDC].keys;
    let r2 = ReserveKeys::derive(&m2, &usdc.mint, &usdc.token_program, &usdc.oracle);
    let config = default_reserve_config(usdc.oracle, false, feed_id(USDC));
    h.send(
        &[client::init_reserve(&m2_admin.pubkey(), &m2, &r2, config)],
        &[&m2_admin],
    )
    .await
    .unwrap();
    h.send(
        &[client::init_obligation(&a.pubkey(), &m2, 0)],
        &[&a.keypair],
    )
    .await
    .unwrap();
    let a_obligation_m2 = client::obligation_address(&m2, &a.pubkey(), 0);
    let creator = Keypair::new();
    h.airdrop(&creator.pubkey(), 10_000_000_000).await;
    let new_mint = h.create_mint(6, &spl_token::ID).await;
    let system_account = Keypair::new().pubkey();
    h.airdrop(&system_account, 1_000_000_000).await;
    Scene {
        h,
        a,
        b,
        e,
        t,
        u,
        q,
        creator,
        new_mint,
        m2,
        m2_admin,
        r2,
        a_obligation_m2,
        system_account,
        nonce: 0,
    }
}

fn invalid_configs(base: ReserveConfig) -> Vec<(String, ReserveConfig)> {
    let mut out = vec![];
    let mut push = |label: &str, f: &dyn Fn(&mut ReserveConfig)| {
        let mut config = base;
        f(&mut config);
        out.push((format!("config {label}"), config));
    };
    push("ltv 0", &|c| c.ltv_bps = 0);
    push("ltv = lt", &|c| c.ltv_bps = c.liquidation_threshold_bps);
    push("lt 100%", &|c| c.liquidation_threshold_bps = 10_000);
    push("lt max", &|c| c.liquidation_threshold_bps = u16::MAX);
    push("bonus above max", &|c| {
        c.max_liquidation_bonus_bps = u16::MAX
    });
    push("min bonus > max", &|c| {
        c.min_liquidation_bonus_bps = c.max_liquidation_bonus_bps + 1
    });
    push("lt·(1+bonus) ≥ 1", &|c| {
        c.liquidation_threshold_bps = 9_500;
        c.ltv_bps = 9_000;
        c.max_liquidation_bonus_bps = 600;
    });
    push("fee share > 100%", &|c| {
        c.protocol_liquidation_fee_bps = 10_001
    });
    push("factors sum to 1", &|c| {
        c.reserve_factor_bps = 5_000;
        c.insurance_factor_bps = 5_000;
    });
    push("optimal 0", &|c| c.rate_model.optimal_utilization_bps = 0);
    push("optimal > 1", &|c| {
        c.rate_model.optimal_utilization_bps = 10_001
    });
    push("slope1 > slope2", &|c| {
        c.rate_model.slope1_bps = 5_000;
        c.rate_model.slope2_bps = 4_000;
    });
    push("rate above max", &|c| c.rate_model.slope2_bps = u16::MAX);
    push("supply cap 0", &|c| c.supply_cap = 0);
    push("borrow cap > supply cap", &|c| {
        c.borrow_cap = c.supply_cap + 1
    });
    push("strict age 0", &|c| c.oracle.strict.max_age_secs = 0);
    push("strict conf 0", &|c| c.oracle.strict.max_confidence_bps = 0);
    push("liquidation age < strict", &|c| {
        c.oracle.liquidation.max_age_secs = c.oracle.strict.max_age_secs - 1
    });
    push("liquidation conf < strict", &|c| {
        c.oracle.liquidation.max_confidence_bps = c.oracle.strict.max_confidence_bps - 1
    });
    push("liquidation age huge", &|c| {
        c.oracle.liquidation.max_age_secs = u32::MAX
    });
    push("liquidation conf huge", &|c| {
        c.oracle.liquidation.max_confidence_bps = u16::MAX
    });
    push("conf multiplier huge", &|c| {
        c.oracle.confidence_multiplier_bps = u16::MAX
    });
    push("unknown source", &|c| c.oracle.source = 9);
    push("legacy without account", &|c| {
        c.oracle.source = ballast::state::ORACLE_SOURCE_PYTH_LEGACY;
        c.oracle.oracle_account = Pubkey::default();
    });
    push("pull without feed id", &|c| {
        c.oracle.source = ballast::state::ORACLE_SOURCE_PYTH_PULL;
        c.oracle.feed_id = [0; 32];
    });
    out
}

fn invalid_liquidation_configs() -> Vec<(String, LiquidationConfig)> {
    let base = default_liquidation_config();
    let mut out = vec![];
    let mut push = |label: &str, f: &dyn Fn(&mut LiquidationConfig)| {
        let mut config = base;
        f(&mut config);
        out.push((format!("liquidation {label}"), config));
    };
    push("close factor 0", &|c| c.close_factor_bps = 0);
    push("close factor > 1", &|c| c.close_factor_bps = 10_001);
    push("full health 0", &|c| c.full_liquidation_health_bps = 0);
    push("full health > 1", &|c| {
        c.full_liquidation_health_bps = u16::MAX
    });
    push("dust huge", &|c| c.dust_value = u128::MAX);
    push("bad-debt dust huge", &|c| {
        c.bad_debt_collateral_dust_value = 1_001 * WAD
    });
    push("full debt value huge", &|c| {
        c.full_liquidation_debt_value = u128::MAX
    });
    out
}

async fn targets(scene: &mut Scene) -> Vec<Target> {
    let state_a = scene.h.obligation(&scene.a.obligation).await;
    let remaining_a = scene.h.remaining(&state_a, false);
    let remaining_a_borrow = {
        let obligation = scene.h.obligation(&scene.a.obligation).await;
        let usdc = scene.h.assets[USDC].keys.reserve;
        scene
            .h
            .remaining(&client::after_borrow(&obligation, &usdc), false)
    };
    let remaining_t = {
        let obligation = scene.h.obligation(&scene.t.obligation).await;
        scene.h.remaining(&obligation, true)
    };
    let remaining_u = {
        let obligation = scene.h.obligation(&scene.u.obligation).await;
        scene.h.remaining(&obligation, true)
    };
    let h = &scene.h;
    let market = h.market;
    let usdc = h.assets[USDC].keys;
    let btc = h.assets[BTC].keys;
    let sol = h.assets[SOL].keys;
    let (a, b, e, t, u, q) = (&scene.a, &scene.b, &scene.e, &scene.t, &scene.u, &scene.q);
    let admin = h.admin.pubkey();
    let mut targets = vec![];
    let amounts =
        |label: &str, make: &dyn Fn(u64) -> Vec<u8>, values: &[u64]| -> Vec<(String, Vec<u8>)> {
            values
                .iter()
                .map(|v| (format!("{label} {v}"), make(*v)))
                .collect()
        };

    // init_market: a fresh creator's second market.
    let liquidation = default_liquidation_config();
    let args = |liquidation: LiquidationConfig, index: u16| InitMarketArgs {
        index,
        risk_authority: admin,
        fee_receiver: admin,
        pyth_program: pyth::PYTH_LEGACY_PROGRAM,
        pyth_receiver_program: pyth::PYTH_RECEIVER_PROGRAM,
        switchboard_program: pyth::SWITCHBOARD_PROGRAM,
        liquidation,
    };
    let mut extreme: Vec<(String, Vec<u8>)> = invalid_liquidation_configs()
        .into_iter()
        .map(|(label, config)| {
            (
                label,
                ballast::instruction::InitMarket {
                    args: args(config, 0),
                }
                .data(),
            )
        })
        .collect();
    extreme.push((
        "index mismatching the address".into(),
        ballast::instruction::InitMarket {
            args: args(liquidation, 7),
        }
        .data(),
    ));
    targets.push(Target {
        name: "init_market",
        created: vec![0, 1],
        around: (vec![], vec![]),
        baseline: client::init_market(&scene.creator.pubkey(), args(liquidation, 0)),
        extreme_data: extreme,
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
    });

    // update_market: the admin rewrites the pause flags to what they are.
    let mut extreme: Vec<(String, Vec<u8>)> = invalid_liquidation_configs()
        .into_iter()
        .map(|(label, config)| {
            (
                label,
                ballast::instruction::UpdateMarket {
                    update: MarketUpdate::SetLiquidationConfig { config },
                }
                .data(),
            )
        })
        .collect();
    extreme.push((
        "pause flags 0xff".into(),
        ballast::instruction::UpdateMarket {
            update: MarketUpdate::SetPauseFlags { pause_flags: 0xff },
        }
        .data(),
    ));
    extreme.push((
        "accept admin with no pending admin".into(),
        ballast::instruction::UpdateMarket {
            update: MarketUpdate::AcceptAdmin,
        }
        .data(),
    ));
    let mut bad_variant = ballast::instruction::UpdateMarket {
        update: MarketUpdate::AcceptAdmin,
    }
    .data();
    bad_variant[8] = 200;
    extreme.push(("enum variant 200".into(), bad_variant));
    targets.push(Target {
        name: "update_market",
        baseline: client::update_market(
            &admin,
            &market,
            MarketUpdate::SetPauseFlags { pause_flags: 0 },
        ),
        extreme_data: extreme,
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
        created: vec![],
        around: (vec![], vec![]),
    });

    // init_reserve: list a new mint.
    let new_oracle = Keypair::new().pubkey();
    let new_keys = ReserveKeys::derive(&market, &scene.new_mint, &spl_token::ID, &new_oracle);
    let base_config = default_reserve_config(new_oracle, false, [0; 32]);
    let extreme: Vec<(String, Vec<u8>)> = invalid_configs(base_config)
        .into_iter()
        .map(|(label, config)| (label, ballast::instruction::InitReserve { config }.data()))
        .collect();
    targets.push(Target {
        name: "init_reserve",
        created: vec![0, 3, 4, 5],
        around: (vec![], vec![]),
        baseline: client::init_reserve(&admin, &market, &new_keys, base_config),
        extreme_data: extreme,
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
    });

    // update_reserve_config: the admin rewrites USDC's pause flags to what they are.
    let usdc_config = default_reserve_config(usdc.oracle, false, feed_id(USDC));
    let mut extreme: Vec<(String, Vec<u8>)> = invalid_configs(usdc_config)
        .into_iter()
        .map(|(label, config)| {
            (
                label,
                ballast::instruction::UpdateReserveConfig {
                    update: ReserveUpdate::Config(config),
                }
                .data(),
            )
        })
        .collect();
    extreme.push((
        "pause flags 0xf0".into(),
        ballast::instruction::UpdateReserveConfig {
            update: ReserveUpdate::PauseFlags(0xf0),
        }
        .data(),
    ));
    targets.push(Target {
        name: "update_reserve_config",
        baseline: client::update_reserve_config(
            &admin,
            &market,
            &usdc.reserve,
            ReserveUpdate::PauseFlags(0),
        ),
        extreme_data: extreme,
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
        created: vec![],
        around: (vec![], vec![]),
    });

    // init_obligation: b opens index 1.
    targets.push(Target {
        name: "init_obligation",
        created: vec![0, 2],
        around: (vec![], vec![]),
        baseline: client::init_obligation(&b.pubkey(), &market, 1),
        extreme_data: [0u8, 2, 255]
            .iter()
            .map(|index| {
                (
                    format!("index {index}"),
                    ballast::instruction::InitObligation { index: *index }.data(),
                )
            })
            .collect(),
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
    });

    // close_obligation: e's empty obligation.
    targets.push(Target {
        name: "close_obligation",
        baseline: client::close_obligation(&e.pubkey(), &e.obligation),
        extreme_data: vec![],
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
        created: vec![],
        around: (vec![], vec![]),
    });

    // deposit: a deposits SOL (it owes USDC, so USDC it may only repay).
    targets.push(Target {
        name: "deposit",
        baseline: client::deposit(
            &a.pubkey(),
            &market,
            &sol,
            &a.obligation,
            &a.tokens[SOL],
            1_000_000,
        ),
        extreme_data: amounts(
            "amount",
            &|v| ballast::instruction::Deposit { amount: v }.data(),
            &[0, u64::MAX, u64::MAX / 2, 1 << 63],
        ),
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
        created: vec![],
        around: (vec![], vec![]),
    });

    // withdraw: a withdraws a little BTC while in debt (health-checked).
    let n = |ix: &Instruction| ix.accounts.len();
    let ix = client::withdraw(
        &a.pubkey(),
        &market,
        &btc,
        &a.obligation,
        &a.tokens[BTC],
        1_000,
        remaining_a.clone(),
    );
    let from = n(&ix) - remaining_a.len();
    targets.push(Target {
        name: "withdraw",
        baseline: ix,
        extreme_data: amounts(
            "amount",
            &|v| ballast::instruction::Withdraw { amount: v }.data(),
            &[0, u64::MAX - 1, 1 << 63],
        ),
        permissionless_signers: vec![],
        free_destinations: vec![6],
        remaining_from: Some(from),
        created: vec![],
        around: (vec![], vec![]),
    });

    // borrow: a borrows a little more USDC.
    let ix = client::borrow(
        &a.pubkey(),
        &market,
        &usdc,
        &a.obligation,
        &a.tokens[USDC],
        1_000,
        remaining_a_borrow.clone(),
    );
    let from = n(&ix) - remaining_a_borrow.len();
    targets.push(Target {
        name: "borrow",
        baseline: ix,
        extreme_data: amounts(
            "amount",
            &|v| ballast::instruction::Borrow { amount: v }.data(),
            &[0, u64::MAX, u64::MAX - 1, 1 << 63],
        ),
        permissionless_signers: vec![],
        free_destinations: vec![6],
        remaining_from: Some(from),
        created: vec![],
        around: (vec![], vec![]),
    });

    // repay: a repays part of its USDC debt.
    targets.push(Target {
        name: "repay",
        baseline: client::repay(
            &a.pubkey(),
            &market,
            &usdc,
            &a.obligation,
            &a.tokens[USDC],
            1_000,
            None,
        ),
        extreme_data: amounts(
            "amount",
            &|v| ballast::instruction::Repay { amount: v }.data(),
            &[0],
        ),
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
        created: vec![],
        around: (vec![], vec![]),
    });

    // set_collateral: a disables its SOL deposit as collateral (health-checked).
    let ix = client::set_collateral(
        &a.pubkey(),
        &market,
        &a.obligation,
        &sol.reserve,
        false,
        remaining_a.clone(),
    );
    let from = n(&ix) - remaining_a.len();
    let mut extreme = vec![];
    for (label, reserve) in [
        ("reserve unknown", Keypair::new().pubkey()),
        ("reserve of another market", scene.r2.reserve),
        ("reserve without deposit", usdc.reserve),
    ] {
        extreme.push((
            label.to_string(),
            ballast::instruction::SetCollateral {
                reserve,
                enabled: false,
            }
            .data(),
        ));
    }
    let mut bad_bool = ballast::instruction::SetCollateral {
        reserve: sol.reserve,
        enabled: false,
    }
    .data();
    *bad_bool.last_mut().expect("a bool") = 2;
    extreme.push(("bool byte 2".into(), bad_bool));
    targets.push(Target {
        name: "set_collateral",
        baseline: ix,
        extreme_data: extreme,
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: Some(from),
        created: vec![],
        around: (vec![], vec![]),
    });

    // set_emode: a enters category 1 (its USDC borrow is of it; health-checked).
    let ix = client::set_emode(&a.pubkey(), &market, &a.obligation, &state_a, 1, |r| {
        h.oracle_of(r)
    });
    let from = n(&ix) - remaining_a.len();
    let extreme = [0u8, 2, 4, 5, 255]
        .into_iter()
        .filter(|category| *category != 0)
        .map(|category| {
            (
                format!("category {category} (not listed)"),
                ballast::instruction::SetEmode { category }.data(),
            )
        })
        .collect();
    targets.push(Target {
        name: "set_emode",
        baseline: ix,
        extreme_data: extreme,
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: Some(from),
        created: vec![],
        around: (vec![], vec![]),
    });

    // collect_fees: anyone sweeps USDC.
    let payer = h.payer.pubkey();
    targets.push(Target {
        name: "collect_fees",
        baseline: client::collect_fees(&b.pubkey(), &market, &usdc, &h.treasuries[USDC]),
        extreme_data: vec![],
        permissionless_signers: vec![0],
        free_destinations: vec![],
        remaining_from: None,
        created: vec![],
        around: (vec![], vec![]),
    });
    let _ = payer;

    // fund_reserve: b adds USDC to the fund.
    targets.push(Target {
        name: "fund_reserve",
        baseline: client::fund_reserve(&b.pubkey(), &market, &usdc, &b.tokens[USDC], 1_000),
        extreme_data: amounts(
            "amount",
            &|v| ballast::instruction::FundReserve { amount: v }.data(),
            &[0, u64::MAX],
        ),
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
        created: vec![],
        around: (vec![], vec![]),
    });

    // flash_borrow: b flash-borrows USDC, its repay follows in the same transaction.
    let flash_amount = 1_000_000;
    let flash_due = client::flash_repay_amount(&usdc_config, flash_amount).expect("a fee");
    let flash_borrow =
        client::flash_borrow(&b.pubkey(), &market, &usdc, &b.tokens[USDC], flash_amount);
    let flash_repay = client::flash_repay(&b.pubkey(), &market, &usdc, &b.tokens[USDC], flash_due);
    targets.push(Target {
        name: "flash_borrow",
        baseline: flash_borrow.clone(),
        extreme_data: amounts(
            "amount",
            &|v| ballast::instruction::FlashBorrow { amount: v }.data(),
            &[0, u64::MAX, flash_amount - 1, flash_amount + 1],
        ),
        // Anyone may borrow, into any account of the mint; the repay is b's either way.
        permissionless_signers: vec![0],
        free_destinations: vec![5],
        remaining_from: None,
        created: vec![],
        around: (vec![], vec![flash_repay.clone()]),
    });
    // flash_repay: the repay of that loan, its borrow first in the same transaction.
    targets.push(Target {
        name: "flash_repay",
        baseline: flash_repay,
        extreme_data: amounts(
            "amount",
            &|v| ballast::instruction::FlashRepay { amount: v }.data(),
            &[0, u64::MAX, flash_due - 1, flash_due + 1, flash_amount],
        ),
        permissionless_signers: vec![],
        free_destinations: vec![],
        remaining_from: None,
        created: vec![],
        around: (vec![flash_borrow], vec![]),
    });

    // liquidate: q liquidates t (repays USDC, seizes SOL).
    let accounts = LiquidationAccounts {
        liquidator: q.pubkey(),
        market,
        obligation: t.obligation,
        repay_source: q.tokens[USDC],
        collateral_destination: Some(q.tokens[SOL]),
        liquidator_obligation: None,
    };
    let args = LiquidateArgs {
        max_repay: 100_000_000,
        min_collateral_out: 0,
        receive_shares: false,
    };
    let ix = client::liquidate(&accounts, &usdc, &sol, args, remaining_t.clone());
    let from = n(&ix) - remaining_t.len();
    let liquidate_data = |max_repay, min_collateral_out, receive_shares| {
        ballast::instruction::Liquidate {
            args: LiquidateArgs {
                max_repay,
                min_collateral_out,
                receive_shares,
            },
        }
        .data()
    };
    targets.push(Target {
        name: "liquidate",
        baseline: ix,
        extreme_data: vec![
            ("max_repay 0".into(), liquidate_data(0, 0, false)),
            (
                "min_collateral_out u64::MAX".into(),
                liquidate_data(100_000_000, u64::MAX, false),
            ),
            (
                "min_collateral_out 2^63".into(),
                liquidate_data(u64::MAX, 1 << 63, false),
            ),
            (
                "receive_shares without an obligation".into(),
                liquidate_data(100_000_000, 0, true),
            ),
        ],
        permissionless_signers: vec![],
        free_destinations: vec![10],
        remaining_from: Some(from),
        created: vec![],
        around: (vec![], vec![]),
    });

    // realize_bad_debt: anyone writes off u's insolvent dust position.
    let ix = client::realize_bad_debt(&q.pubkey(), &market, &u.obligation, remaining_u.clone());
    let from = n(&ix) - remaining_u.len();
    targets.push(Target {
        name: "realize_bad_debt",
        baseline: ix,
        extreme_data: vec![],
        permissionless_signers: vec![0],
        free_destinations: vec![],
        remaining_from: Some(from),
        created: vec![],
        around: (vec![], vec![]),
    });
    let _ = (btc, t);
    targets
}

/// The result of one hostile case.
enum Verdict {
    Rejected,
    Accepted,
    Panicked(String),
    Changed(Vec<Pubkey>),
}

struct Runner {
    scene: Scene,
    /// The current target's unmutated companions (`Target::around`).
    around: (Vec<Instruction>, Vec<Instruction>),
    keys: Vec<Keypair>,
    /// Accounts compared before and after every case.
    watched: Vec<Pubkey>,
    cases: u64,
    /// Cases accepted with exactly the baseline's effect (trailing instruction data).
    same_as_baseline: u64,
    by_instruction: Vec<(&'static str, u64)>,
    failures: Vec<String>,
}

impl Runner {
    async fn send(
        &mut self,
        ix: &Instruction,
        extra_signer: Option<&Keypair>,
    ) -> Result<(), TransactionError> {
        self.scene.nonce += 1;
        // The bank registers blockhashes as wall time passes; an old one makes
        // solana-program-test 3.1 panic instead of failing, so every case takes the latest.
        if let Ok(hash) = self
            .scene
            .h
            .bank()
            .banks_client
            .get_latest_blockhash()
            .await
        {
            self.scene.h.bank().last_blockhash = hash;
        }
        let budget =
            solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(
                1_400_000 - self.scene.nonce,
            );
        let payer = self.scene.h.payer.insecure_clone();
        let mut signers: Vec<&Keypair> = vec![&payer];
        let required: BTreeSet<Pubkey> = self
            .around
            .0
            .iter()
            .chain(std::iter::once(ix))
            .chain(&self.around.1)
            .flat_map(|i| &i.accounts)
            .filter(|m| m.is_signer)
            .map(|m| m.pubkey)
            .collect();
        for key in self.keys.iter().chain(extra_signer) {
            if required.contains(&key.pubkey())
                && signers.iter().all(|s| s.pubkey() != key.pubkey())
            {
                signers.push(key);
            }
        }
        let present: BTreeSet<Pubkey> = signers.iter().map(|s| s.pubkey()).collect();
        if !required.is_subset(&present) {
            return Err(TransactionError::SignatureFailure);
        }
        let mut instructions = vec![budget];
        instructions.extend(self.around.0.iter().cloned());
        instructions.push(ix.clone());
        instructions.extend(self.around.1.iter().cloned());
        let tx = Transaction::new_signed_with_payer(
            &instructions,
            Some(&payer.pubkey()),
            &signers,
            self.scene.h.bank().last_blockhash,
        );
        match self
            .scene
            .h
            .bank()
            .banks_client
            .process_transaction(tx)
            .await
        {
            Ok(()) => Ok(()),
            Err(solana_program_test::BanksClientError::TransactionError(error))
            | Err(solana_program_test::BanksClientError::SimulationError { err: error, .. }) => {
                Err(error)
            }
            Err(other) => Err(TransactionError::InstructionError(
                1,
                InstructionError::Custom(u32::MAX - 1),
            )
            .tap(other)),
        }
    }

    /// Simulates `ix` (nothing is committed); `Err` with the error and the program's logs.
    async fn simulate(&mut self, ix: &Instruction) -> Result<(), String> {
        if let Ok(hash) = self
            .scene
            .h
            .bank()
            .banks_client
            .get_latest_blockhash()
            .await
        {
            self.scene.h.bank().last_blockhash = hash;
        }
        let payer = self.scene.h.payer.insecure_clone();
        let mut signers: Vec<&Keypair> = vec![&payer];
        for key in &self.keys {
            if self
                .around
                .0
                .iter()
                .chain(std::iter::once(ix))
                .chain(&self.around.1)
                .flat_map(|i| &i.accounts)
                .any(|m| m.is_signer && m.pubkey == key.pubkey())
            {
                signers.push(key);
            }
        }
        let mut instructions = self.around.0.clone();
        instructions.push(ix.clone());
        instructions.extend(self.around.1.iter().cloned());
        let tx = Transaction::new_signed_with_payer(
            &instructions,
            Some(&payer.pubkey()),
            &signers,
            self.scene.h.bank().last_blockhash,
        );
        let outcome = self
            .scene
            .h
            .bank()
            .banks_client
            .simulate_transaction(tx)
            .await
            .map_err(|e| format!("{e:?}"))?;
        match outcome.result {
            Some(Ok(())) => Ok(()),
            other => Err(format!(
                "{other:?} {:?}",
                outcome.simulation_details.map(|d| d.logs)
            )),
        }
    }

    async fn case(
        &mut self,
        target: &'static str,
        label: String,
        ix: Instruction,
        extra_signer: Option<&Keypair>,
    ) {
        self.case_like(target, label, ix, extra_signer, None).await;
    }

    /// Puts every account in `addresses` back as it was (a case that must not succeed did,
    /// or the baseline ran for comparison), so that no case leaks into the next.
    fn restore(&mut self, addresses: &[Pubkey], before: &[Option<solana_sdk::account::Account>]) {
        for (address, account) in addresses.iter().zip(before) {
            let shared = match account {
                Some(account) => solana_sdk::account::AccountSharedData::from(account.clone()),
                None => solana_sdk::account::AccountSharedData::default(),
            };
            self.scene.h.bank().set_account(address, &shared);
        }
    }

    /// A case that may succeed only with exactly the effect of `baseline` (trailing data:
    /// Anchor decodes the arguments from a prefix and ignores the rest).
    async fn case_like(
        &mut self,
        target: &'static str,
        label: String,
        ix: Instruction,
        extra_signer: Option<&Keypair>,
        baseline: Option<&Instruction>,
    ) {
        let mut addresses = self.watched.clone();
        addresses.extend(ix.accounts.iter().map(|m| m.pubkey));
        let before = self.scene.h.snapshot(&addresses).await;
        if std::env::var_os("BALLAST_HOSTILE_TRACE").is_some() {
            println!("hostile case: {target}: {label}");
        }
        let result = self.send(&ix, extra_signer).await;
        let after = self.scene.h.snapshot(&addresses).await;
        self.cases += 1;
        if let Some(entry) = self
            .by_instruction
            .iter_mut()
            .find(|(name, _)| *name == target)
        {
            entry.1 += 1;
        } else {
            self.by_instruction.push((target, 1));
        }
        let verdict = match &result {
            Ok(()) => Verdict::Accepted,
            Err(TransactionError::InstructionError(
                _,
                InstructionError::ProgramFailedToComplete,
            ))
            | Err(TransactionError::InstructionError(_, InstructionError::GenericError)) => {
                Verdict::Panicked(format!("{result:?}"))
            }
            Err(TransactionError::InstructionError(_, InstructionError::Custom(code)))
                if *code == u32::MAX - 1 =>
            {
                Verdict::Panicked("the bank failed (a panic in the program?)".into())
            }
            Err(_) => {
                let changed: Vec<Pubkey> = addresses
                    .iter()
                    .zip(before.iter().zip(&after))
                    .filter(|(_, (b, a))| b != a)
                    .map(|(k, _)| *k)
                    .collect();
                if changed.is_empty() {
                    Verdict::Rejected
                } else {
                    Verdict::Changed(changed)
                }
            }
        };
        if !matches!(verdict, Verdict::Rejected) {
            self.restore(&addresses, &before);
        }
        if let (Verdict::Accepted, Some(baseline)) = (&verdict, baseline) {
            let mut all = addresses.clone();
            all.extend(baseline.accounts.iter().map(|m| m.pubkey));
            let before_all = self.scene.h.snapshot(&all).await;
            let baseline_result = self.send(baseline, None).await;
            let after_baseline = self.scene.h.snapshot(&addresses).await;
            self.restore(&all, &before_all);
            if baseline_result.is_ok() && after_baseline == after {
                self.same_as_baseline += 1;
                return;
            }
        }
        match verdict {
            Verdict::Rejected => {}
            Verdict::Accepted => self.failures.push(format!("{target}: {label}: accepted")),
            Verdict::Panicked(why) => self.failures.push(format!("{target}: {label}: {why}")),
            Verdict::Changed(keys) => self.failures.push(format!(
                "{target}: {label}: failed but changed {keys:?} ({result:?})"
            )),
        }
    }
}

trait Tap {
    fn tap<T: std::fmt::Debug>(self, other: T) -> Self;
}

impl Tap for TransactionError {
    fn tap<T: std::fmt::Debug>(self, other: T) -> Self {
        eprintln!("bank error: {other:?}");
        self
    }
}

/// Accounts to put where another was expected, with a label.
fn pool(scene: &Scene) -> Vec<(String, Pubkey)> {
    let h = &scene.h;
    let mut pool = vec![
        ("another user's obligation".to_string(), scene.b.obligation),
        (
            "an obligation in another market".to_string(),
            scene.a_obligation_m2,
        ),
        ("another market".to_string(), scene.m2),
        ("another market's reserve".to_string(), scene.r2.reserve),
        (
            "another market's vault".to_string(),
            scene.r2.liquidity_vault,
        ),
        (
            "another market's fund vault".to_string(),
            scene.r2.fund_vault,
        ),
        ("a system account".to_string(), scene.system_account),
        ("a missing account".to_string(), Pubkey::new_unique()),
        ("the system program".to_string(), system_program::ID),
        ("the token program".to_string(), spl_token::ID),
        ("the token-2022 program".to_string(), spl_token_2022::ID),
        ("the ballast program".to_string(), ballast::ID),
        (
            "a pyth price account".to_string(),
            h.assets[USDC].keys.oracle,
        ),
        ("a pull price update".to_string(), h.assets[SOL].keys.oracle),
        ("the treasury".to_string(), h.treasuries[USDC]),
        ("the market".to_string(), h.market),
    ];
    for (index, asset) in h.assets.iter().enumerate() {
        let name = asset.spec.symbol;
        pool.push((format!("{name} reserve"), asset.keys.reserve));
        pool.push((format!("{name} vault"), asset.keys.liquidity_vault));
        pool.push((format!("{name} fund vault"), asset.keys.fund_vault));
        pool.push((format!("{name} mint"), asset.keys.mint));
        pool.push((
            format!("another user's {name} account"),
            scene.b.tokens[index],
        ));
    }
    pool
}

/// Token accounts (and vaults) by the asset they hold.
fn token_asset(scene: &Scene, key: &Pubkey) -> Option<usize> {
    let h = &scene.h;
    (0..h.assets.len()).find(|&i| {
        let k = h.assets[i].keys;
        [k.liquidity_vault, k.fund_vault, h.treasuries[i]].contains(key)
            || (i == USDC && [scene.r2.liquidity_vault, scene.r2.fund_vault].contains(key))
            || [&scene.a, &scene.b, &scene.e, &scene.t, &scene.u, &scene.q]
                .iter()
                .any(|u| u.tokens[i] == *key)
    })
}

#[tokio::test]
async fn hostile() {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let started = Instant::now();
    let mut scene = setup().await;
    let targets = targets(&mut scene).await;
    let keys = keypairs(&scene);
    let mut watched = vec![scene.h.market, scene.m2, scene.r2.reserve];
    for asset in &scene.h.assets {
        watched.extend([
            asset.keys.reserve,
            asset.keys.liquidity_vault,
            asset.keys.fund_vault,
            asset.keys.oracle,
        ]);
    }
    for user in [&scene.a, &scene.b, &scene.e, &scene.t, &scene.u, &scene.q] {
        watched.push(user.obligation);
        watched.extend(user.tokens.iter().copied());
    }
    let pool = pool(&scene);
    let mut runner = Runner {
        around: (vec![], vec![]),
        scene,
        keys,
        watched,
        cases: 0,
        same_as_baseline: 0,
        by_instruction: vec![],
        failures: vec![],
    };
    let mut rng = Rng(0x4057_11e5);
    let discriminators: Vec<Vec<u8>> = targets
        .iter()
        .map(|t| t.baseline.data[..8].to_vec())
        .collect();
    // Another wallet that signs: a fresh one, never the instruction's own signer.
    let other_signer = Keypair::new();

    for target in &targets {
        runner.around = target.around.clone();
        if let Err(error) = runner.simulate(&target.baseline).await {
            panic!(
                "the {} baseline must succeed before the cases: {error}",
                target.name
            );
        }
    }
    for target in &targets {
        runner.around = target.around.clone();
        let base = &target.baseline;
        let name = target.name;
        let with_data = |data: Vec<u8>| Instruction {
            data,
            ..base.clone()
        };
        // ----- data -----
        runner
            .case(name, "empty data".into(), with_data(vec![]), None)
            .await;
        let len = base.data.len();
        let mut cuts: BTreeSet<usize> = [1, 4, 7, 8, 9, len.saturating_sub(1)]
            .into_iter()
            .filter(|&c| c < len)
            .collect();
        for _ in 0..6 {
            cuts.insert((rng.next() as usize) % len.max(1));
        }
        for cut in cuts {
            if cut < len {
                runner
                    .case(
                        name,
                        format!("data truncated to {cut} bytes"),
                        with_data(base.data[..cut].to_vec()),
                        None,
                    )
                    .await;
            }
        }
        for extra in [1usize, 8, 64, 1_000] {
            let mut data = base.data.clone();
            data.extend(rng.bytes(extra));
            runner
                .case_like(
                    name,
                    format!("data with {extra} trailing bytes"),
                    with_data(data),
                    None,
                    Some(base),
                )
                .await;
        }
        for _ in 0..8 {
            let mut data = rng.bytes(8);
            data.extend_from_slice(&base.data[8.min(len)..]);
            runner
                .case(name, "random discriminator".into(), with_data(data), None)
                .await;
        }
        for (other, discriminator) in targets.iter().zip(&discriminators) {
            // An instruction with the same fixed accounts (deposit/repay, withdraw/borrow…)
            // under another discriminator is simply that other, valid, instruction.
            let fixed = |t: &Target| t.remaining_from.unwrap_or(t.baseline.accounts.len());
            if other.name == name || fixed(other) == fixed(target) {
                continue;
            }
            let mut data = discriminator.clone();
            data.extend_from_slice(&base.data[8.min(len)..]);
            runner
                .case(
                    name,
                    format!("{}'s discriminator", other.name),
                    with_data(data),
                    None,
                )
                .await;
        }
        for _ in 0..8 {
            let length = (rng.next() % 300) as usize;
            runner
                .case(
                    name,
                    format!("{length} random bytes"),
                    with_data(rng.bytes(length)),
                    None,
                )
                .await;
        }
        // u64::MAX means "all" for repay and withdraw, and is clipped for liquidate.
        let max_is_valid = ["repay", "withdraw", "liquidate"].contains(&name);
        // Every argument byte 0xff: amounts of u64::MAX, invalid bools and enum tags.
        let mut data = base.data.clone();
        data.iter_mut().skip(8).for_each(|byte| *byte = 0xff);
        if !max_is_valid && data.len() > 8 {
            runner
                .case(
                    name,
                    "every argument byte 0xff".into(),
                    with_data(data),
                    None,
                )
                .await;
        }
        for (label, data) in &target.extreme_data {
            runner
                .case(name, label.clone(), with_data(data.clone()), None)
                .await;
        }

        // ----- accounts -----
        for position in 0..base.accounts.len() {
            let original = base.accounts[position].clone();
            let signer = original.is_signer;
            let is_free_destination = target.free_destinations.contains(&position);
            let original_asset = token_asset(&runner.scene, &original.pubkey);
            let mut substitutes: Vec<(String, Pubkey)> = pool
                .iter()
                .filter(|(_, key)| *key != original.pubkey)
                .cloned()
                .collect();
            for (other, meta) in base.accounts.iter().enumerate() {
                if other != position && meta.pubkey != original.pubkey {
                    substitutes
                        .push((format!("the same account as position {other}"), meta.pubkey));
                }
            }
            // The same bytes at another address, owned by another program.
            if let Some(account) = runner.scene.h.account(&original.pubkey).await {
                if !account.data.is_empty() && !account.executable {
                    for owner in [system_program::ID, spl_token::ID, ballast::ID] {
                        if owner == account.owner {
                            continue;
                        }
                        let clone = Pubkey::new_unique();
                        runner
                            .scene
                            .h
                            .write_account(&clone, &owner, account.data.clone());
                        substitutes.push((format!("a copy owned by {owner}"), clone));
                    }
                }
            }
            for (label, key) in substitutes {
                let any_reserve_of_market =
                    runner.scene.h.assets.iter().any(|a| a.keys.reserve == key);
                if name == "update_reserve_config" && position == 2 && any_reserve_of_market {
                    continue; // The admin may update any reserve of its market.
                }
                if is_free_destination
                    && original_asset.is_some()
                    && token_asset(&runner.scene, &key) == original_asset
                {
                    continue; // Paying out to another account of the same mint is the signer's choice.
                }
                let mut ix = base.clone();
                ix.accounts[position].pubkey = key;
                ix.accounts[position].is_signer =
                    signer && runner.keys.iter().any(|k| k.pubkey() == key);
                if signer
                    && target.permissionless_signers.contains(&position)
                    && ix.accounts[position].is_signer
                {
                    continue;
                }
                runner
                    .case(name, format!("account {position} := {label}"), ix, None)
                    .await;
            }
            // Privileges are the message's: a key a companion instruction (a flash loan's other
            // end) signs or writes keeps that privilege whatever this instruction's meta says.
            let companions = || target.around.0.iter().chain(&target.around.1);
            let signed_elsewhere = companions()
                .flat_map(|i| &i.accounts)
                .any(|meta| meta.pubkey == original.pubkey && meta.is_signer);
            if signer && !signed_elsewhere {
                let mut ix = base.clone();
                ix.accounts[position].is_signer = false;
                runner
                    .case(name, format!("account {position} not signed"), ix, None)
                    .await;
            }
            if signer && !target.permissionless_signers.contains(&position) {
                let mut ix = base.clone();
                ix.accounts[position].pubkey = other_signer.pubkey();
                runner
                    .case(
                        name,
                        format!("account {position} := another signer"),
                        ix,
                        Some(&other_signer),
                    )
                    .await;
            }
            let native_panic = target.created.contains(&position) && !ballast_bank::use_sbf();
            // A key listed twice takes the union of its flags in the message: demoting one
            // copy while another stays writable changes nothing.
            let writable_elsewhere = base.accounts.iter().enumerate().any(|(other, meta)| {
                other != position && meta.pubkey == original.pubkey && meta.is_writable
            }) || companions()
                .flat_map(|i| &i.accounts)
                .any(|meta| meta.pubkey == original.pubkey && meta.is_writable);
            if original.is_writable && !native_panic && !writable_elsewhere {
                let mut ix = base.clone();
                ix.accounts[position].is_writable = false;
                runner
                    .case(name, format!("account {position} read-only"), ix, None)
                    .await;
            }
            let mut ix = base.clone();
            ix.accounts.remove(position);
            if target.remaining_from.is_none_or(|from| position < from) {
                runner
                    .case(name, format!("account {position} missing"), ix, None)
                    .await;
            }
        }
        if let Some(from) = target.remaining_from {
            let pairs = (base.accounts.len() - from) / 2;
            let mut variants: Vec<(String, Vec<AccountMeta>)> = vec![];
            let head = base.accounts[..from].to_vec();
            let rest = base.accounts[from..].to_vec();
            variants.push(("no remaining accounts".into(), head.clone()));
            let mut v = base.accounts.clone();
            v.truncate(v.len() - 2);
            variants.push(("last position missing".into(), v));
            let mut v = base.accounts.clone();
            v.extend_from_slice(&rest[..2]);
            variants.push(("first position twice".into(), v));
            let mut v = base.accounts.clone();
            v.extend([
                AccountMeta::new_readonly(runner.scene.h.assets[BTC].keys.reserve, false),
                AccountMeta::new_readonly(runner.scene.h.assets[BTC].keys.oracle, false),
            ]);
            variants.push(("an extra position".into(), v));
            if pairs >= 2 {
                let mut v = head.clone();
                v.extend_from_slice(&rest[2..4]);
                v.extend_from_slice(&rest[..2]);
                v.extend_from_slice(&rest[4..]);
                variants.push(("positions out of order".into(), v));
            }
            for pair in 0..pairs {
                for other in 0..runner.scene.h.assets.len() {
                    let oracle = runner.scene.h.assets[other].keys.oracle;
                    if rest[pair * 2 + 1].pubkey != oracle {
                        let mut v = base.accounts.clone();
                        v[from + pair * 2 + 1].pubkey = oracle;
                        variants.push((
                            format!("position {pair} priced by another asset's oracle"),
                            v,
                        ));
                    }
                }
                let mut v = base.accounts.clone();
                v[from + pair * 2].pubkey = runner.scene.r2.reserve;
                variants.push((format!("position {pair}: another market's reserve"), v));
                let mut v = base.accounts.clone();
                v.swap(from + pair * 2, from + pair * 2 + 1);
                variants.push((format!("position {pair}: reserve and oracle swapped"), v));
                if base.accounts[from + pair * 2].is_writable && (name == "realize_bad_debt") {
                    let mut v = base.accounts.clone();
                    v[from + pair * 2].is_writable = false;
                    variants.push((format!("position {pair}: reserve read-only"), v));
                }
            }
            for (label, accounts) in variants {
                let ix = Instruction {
                    accounts,
                    ..base.clone()
                };
                runner
                    .case(name, format!("remaining: {label}"), ix, None)
                    .await;
            }
        }
    }

    // Every baseline is valid in the state the cases left unchanged.
    for target in &targets {
        runner.around = target.around.clone();
        if let Err(error) = runner.simulate(&target.baseline).await {
            runner.failures.push(format!(
                "{}: the baseline must succeed at the end: {error}",
                target.name
            ));
        }
    }

    let per: Vec<String> = runner
        .by_instruction
        .iter()
        .map(|(name, count)| format!("{name} {count}"))
        .collect();
    println!(
        "hostile: {} cases over {} instructions ({}) in {:.1}s",
        runner.cases,
        targets.len(),
        per.join(", "),
        started.elapsed().as_secs_f64()
    );
    println!(
        "hostile: {} trailing-data cases accepted with exactly the baseline's effect (Anchor ignores trailing bytes)",
        runner.same_as_baseline
    );
    println!(
        "hostile: {} rejected cleanly, {} failed",
        runner.cases - runner.failures.len() as u64 - runner.same_as_baseline,
        runner.failures.len()
    );
    assert!(
        runner.failures.is_empty(),
        "{} hostile cases were not rejected cleanly:\n{}",
        runner.failures.len(),
        runner.failures.join("\n")
    );
}
