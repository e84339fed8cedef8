//! The fuzzer's vocabulary: actors, amounts, actions, and a seeded generator of sequences.
//!
//! Actions describe intent, not resolved numbers ("half of what the user holds", "all"), so a
//! sequence stays meaningful when the shrinker deletes earlier steps, and prints as a script.

use std::fmt;

/// Lenders, borrowers, a liquidator and an attacker holding two wallets.
pub const ACTORS: [&str; 7] = [
    "lender0",
    "lender1",
    "borrower0",
    "borrower1",
    "liquidator",
    "attacker0",
    "attacker1",
];
pub const LENDERS: [usize; 2] = [0, 1];
pub const BORROWERS: [usize; 2] = [2, 3];
pub const LIQUIDATOR: usize = 4;
pub const ATTACKERS: [usize; 2] = [5, 6];
pub const ASSET_NAMES: [&str; 3] = ["USDC", "BTC", "SOL"];

/// A small, fast, seeded generator (SplitMix64): the same seed gives the same sequence.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// An amount, resolved against the state when the action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    Zero,
    One,
    /// `u64::MAX`: the instruction's "all" (or an impossible amount where there is none).
    All,
    /// A fraction (bps) of the natural base: balance held, position, debt, borrowing headroom.
    Fraction(u32),
    /// A raw number of base units.
    Raw(u64),
}

impl Amount {
    /// The amount given `base`, the natural maximum for the action.
    pub fn resolve(self, base: u64) -> u64 {
        match self {
            Amount::Zero => 0,
            Amount::One => 1,
            Amount::All => u64::MAX,
            Amount::Fraction(bps) => (u128::from(base) * u128::from(bps) / 10_000) as u64,
            Amount::Raw(units) => units,
        }
    }

    fn random(rng: &mut Rng, base_hint: u64) -> Amount {
        match rng.below(20) {
            0 => Amount::Zero,
            1 => Amount::One,
            2 | 3 => Amount::All,
            4 => Amount::Raw(rng.below(base_hint.saturating_mul(2).max(2))),
            5 => Amount::Fraction(10_000),
            _ => Amount::Fraction(
                rng.pick(&[1, 10, 100, 1_000, 2_500, 5_000, 7_500, 9_000, 9_900, 9_999]) as u32
                    + rng.below(10) as u32,
            ),
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Zero => write!(f, "0"),
            Amount::One => write!(f, "1 unit"),
            Amount::All => write!(f, "u64::MAX"),
            Amount::Fraction(bps) => write!(f, "{}.{:02}% of base", bps / 100, bps % 100),
            Amount::Raw(units) => write!(f, "{units} units"),
        }
    }
}

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Deposit {
        user: usize,
        asset: usize,
        amount: Amount,
    },
    Withdraw {
        user: usize,
        asset: usize,
        amount: Amount,
    },
    Borrow {
        user: usize,
        asset: usize,
        amount: Amount,
    },
    Repay {
        payer: usize,
        target: usize,
        asset: usize,
        amount: Amount,
    },
    SetCollateral {
        user: usize,
        asset: usize,
        enabled: bool,
    },
    /// Enter e-mode `category` (0 leaves; 3 is not listed).
    SetEmode {
        user: usize,
        category: u8,
    },
    FundReserve {
        user: usize,
        asset: usize,
        amount: Amount,
    },
    CollectFees {
        asset: usize,
    },
    Liquidate {
        liquidator: usize,
        target: usize,
        repay: usize,
        collateral: usize,
        max_repay: Amount,
        /// Slippage floor in bps of the collateral the liquidator would fairly expect (0: none).
        min_out_bps: u32,
        receive_shares: bool,
    },
    RealizeBadDebt {
        caller: usize,
        target: usize,
    },
    /// Tokens sent straight to a vault: by a user (`Some`) or minted from outside (`None`).
    Donate {
        from: Option<usize>,
        asset: usize,
        to_fund: bool,
        amount: Amount,
    },
    /// Spot and EMA move to `bps` of the current spot (random walk, crash, rally).
    MovePrice {
        asset: usize,
        bps: u32,
    },
    /// One update moves spot to `bps` of the current spot; the EMA stays flat.
    Spike {
        asset: usize,
        bps: u32,
    },
    /// Confidence becomes `bps` of the price.
    WidenConfidence {
        asset: usize,
        bps: u32,
    },
    /// One source of an asset goes down (its primary, or its fallback where it has one): a
    /// legacy feed stops trading, and the source stops updating (its last update ages in place
    /// until the oracles are restored), while the asset's other source goes on.
    Outage {
        asset: usize,
        fallback: bool,
    },
    /// Every source is back up and republishes now, trading, with a 0.1 % confidence.
    RestoreOracles,
    /// The clock moves forward; feeds republish at the new time when `fresh`.
    Advance {
        seconds: i64,
        fresh: bool,
    },
    /// The admin replaces a reserve's config with a preset (always within bounds).
    ConfigPreset {
        asset: usize,
        preset: u8,
    },
    /// The admin replaces the market's liquidation settings with a preset.
    LiquidationPreset {
        preset: u8,
    },
    /// Self-test only (never generated): the harness writes +1 into a reserve's available
    /// liquidity behind the program's back, as a bookkeeping bug would.
    CorruptBooks {
        asset: usize,
    },
    /// Pause flags on the market (`None`) or a reserve, set by the admin or the risk authority.
    Pause {
        asset: Option<usize>,
        flags: u8,
        by_admin: bool,
    },
    /// One base unit deposited into `asset`, whatever its feed is doing (a position a
    /// liquidation would have to price).
    DustDeposit {
        user: usize,
        asset: usize,
    },
    /// In one transaction `user` deposits `cents` of `collateral` and borrows `borrow_bps` of
    /// the headroom that gives in `debt`: loans small enough for the negligible value.
    DustLoan {
        user: usize,
        collateral: usize,
        debt: usize,
        cents: u32,
        borrow_bps: u32,
    },
    /// `attacker` posts a fully verified SOL pull update, `age` seconds old at `bps` of the
    /// spot, to an account of its own, and liquidates `target` passing it as SOL's price.
    OlderPullUpdate {
        attacker: usize,
        target: usize,
        repay: usize,
        collateral: usize,
        bps: u32,
        age: i64,
    },
    /// `user` flash-borrows `amount` of `asset` and wraps `FLASH_MOVES[inner]` in the loan:
    /// one transaction of `flash_borrow`, the move, `flash_repay`. The malformed ones (no
    /// repay, a unit short) must be refused; every other must leave the books true.
    Flash {
        user: usize,
        asset: usize,
        amount: Amount,
        inner: u8,
        /// The obligation a "liquidate with it" move liquidates.
        target: usize,
    },
    /// `user` names a reserve vault of `asset` (its fund vault, or its liquidity vault where
    /// that is not a named account already) as its own token account in `instruction`
    /// (`VAULT_INSTRUCTIONS`).
    VaultAsAccount {
        user: usize,
        asset: usize,
        fund: bool,
        instruction: u8,
    },
}

/// What `Action::Flash` does with the borrowed tokens before repaying.
pub const FLASH_MOVES: [&str; 7] = [
    "nothing",
    "deposit it",
    "donate it to the vault",
    "liquidate with it",
    "borrow more of the reserve",
    "repay a unit short",
    "not repay",
];

/// The `FLASH_MOVES` that are malformed loans: the program must refuse them.
pub const MALFORMED_FLASH_MOVES: [u8; 2] = [5, 6];

/// What `Action::VaultAsAccount` misuses a vault in: borrow and withdraw destinations, deposit
/// and repay sources, a liquidator's collateral destination.
pub const VAULT_INSTRUCTIONS: [&str; 5] = [
    "borrow into",
    "withdraw into",
    "deposit from",
    "repay from",
    "liquidate into",
];

fn who(user: usize) -> &'static str {
    ACTORS[user]
}

fn asset(index: usize) -> &'static str {
    ASSET_NAMES[index]
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Deposit {
                user,
                asset: a,
                amount,
            } => write!(f, "{} deposits {} {}", who(user), amount, asset(a)),
            Action::Withdraw {
                user,
                asset: a,
                amount,
            } => write!(f, "{} withdraws {} {}", who(user), amount, asset(a)),
            Action::Borrow {
                user,
                asset: a,
                amount,
            } => write!(
                f,
                "{} borrows {} {} (base: headroom)",
                who(user),
                amount,
                asset(a)
            ),
            Action::Repay {
                payer,
                target,
                asset: a,
                amount,
            } => {
                write!(
                    f,
                    "{} repays {} {} of {}'s debt",
                    who(payer),
                    amount,
                    asset(a),
                    who(target)
                )
            }
            Action::SetCollateral {
                user,
                asset: a,
                enabled,
            } => {
                write!(
                    f,
                    "{} sets {} collateral {}",
                    who(user),
                    asset(a),
                    if enabled { "on" } else { "off" }
                )
            }
            Action::FundReserve {
                user,
                asset: a,
                amount,
            } => write!(
                f,
                "{} funds the {} fund with {}",
                who(user),
                asset(a),
                amount
            ),
            Action::SetEmode { user, category } => {
                write!(f, "{} sets e-mode {category}", ACTORS[user])
            }
            Action::CollectFees { asset: a } => write!(f, "anyone collects {} fees", asset(a)),
            Action::Liquidate {
                liquidator,
                target,
                repay,
                collateral,
                max_repay,
                min_out_bps,
                receive_shares,
            } => write!(
                f,
                "{} liquidates {}: repays {} {}, seizes {}{}{}",
                who(liquidator),
                who(target),
                max_repay,
                asset(repay),
                asset(collateral),
                if min_out_bps > 0 {
                    format!(", min out {min_out_bps} bps of fair")
                } else {
                    String::new()
                },
                if receive_shares { ", as shares" } else { "" }
            ),
            Action::RealizeBadDebt { caller, target } => {
                write!(f, "{} realizes {}'s bad debt", who(caller), who(target))
            }
            Action::Donate {
                from,
                asset: a,
                to_fund,
                amount,
            } => write!(
                f,
                "{} donates {} {} to the {} vault",
                from.map(who).unwrap_or("outsider"),
                amount,
                asset(a),
                if to_fund { "fund" } else { "liquidity" }
            ),
            Action::MovePrice { asset: a, bps } => write!(
                f,
                "{} price moves to {}.{:02}%",
                asset(a),
                bps / 100,
                bps % 100
            ),
            Action::Spike { asset: a, bps } => write!(
                f,
                "{} spot spikes to {}.{:02}% (EMA flat)",
                asset(a),
                bps / 100,
                bps % 100
            ),
            Action::WidenConfidence { asset: a, bps } => {
                write!(f, "{} confidence widens to {} bps", asset(a), bps)
            }
            Action::Outage { asset: a, fallback } => write!(
                f,
                "{} {} oracle outage",
                asset(a),
                if fallback { "fallback" } else { "primary" }
            ),
            Action::RestoreOracles => write!(f, "oracles restored"),
            Action::Advance { seconds, fresh } => {
                write!(
                    f,
                    "clock +{seconds}s{}",
                    if fresh {
                        " (fresh prices)"
                    } else {
                        " (prices go stale)"
                    }
                )
            }
            Action::ConfigPreset { asset: a, preset } => {
                write!(f, "admin sets {} config preset {}", asset(a), preset)
            }
            Action::LiquidationPreset { preset } => {
                write!(f, "admin sets liquidation preset {preset}")
            }
            Action::CorruptBooks { asset: a } => {
                write!(
                    f,
                    "(self-test) {}'s books are corrupted behind the program",
                    asset(a)
                )
            }
            Action::Pause {
                asset: a,
                flags,
                by_admin,
            } => write!(
                f,
                "{} sets pause flags {:#06b} on {}",
                if by_admin { "admin" } else { "risk authority" },
                flags,
                a.map(asset).unwrap_or("the market")
            ),
            Action::DustDeposit { user, asset: a } => {
                write!(f, "{} deposits one base unit of {}", who(user), asset(a))
            }
            Action::DustLoan {
                user,
                collateral,
                debt,
                cents,
                borrow_bps,
            } => write!(
                f,
                "{} deposits ${}.{:02} of {} and borrows {}.{:02}% of that headroom in {}",
                who(user),
                cents / 100,
                cents % 100,
                asset(collateral),
                borrow_bps / 100,
                borrow_bps % 100,
                asset(debt)
            ),
            Action::OlderPullUpdate {
                attacker,
                target,
                repay,
                collateral,
                bps,
                age,
            } => write!(
                f,
                "{} posts a SOL update {age}s old at {}.{:02}% of spot to its own account and liquidates {} with it (repays {}, seizes {})",
                who(attacker),
                bps / 100,
                bps % 100,
                who(target),
                asset(repay),
                asset(collateral)
            ),
            Action::Flash {
                user,
                asset: a,
                amount,
                inner,
                target,
            } => write!(
                f,
                "{} flash-borrows {} {} and {}{} before repaying",
                who(user),
                amount,
                asset(a),
                FLASH_MOVES[usize::from(inner)],
                if inner == 3 {
                    format!(" ({})", who(target))
                } else {
                    String::new()
                }
            ),
            Action::VaultAsAccount {
                user,
                asset: a,
                fund,
                instruction,
            } => write!(
                f,
                "{} tries to {} the {} {} vault",
                who(user),
                VAULT_INSTRUCTIONS[usize::from(instruction) % VAULT_INSTRUCTIONS.len()],
                asset(a),
                if fund { "fund" } else { "liquidity" }
            ),
        }
    }
}

/// Instruction kinds, for the report.
pub const KINDS: [&str; 14] = [
    "deposit",
    "withdraw",
    "borrow",
    "repay",
    "set_collateral",
    "set_emode",
    "fund_reserve",
    "collect_fees",
    "liquidate",
    "realize_bad_debt",
    "update_reserve_config",
    "update_market",
    "flash_loan",
    "other",
];

impl Action {
    /// Index of the instruction in `KINDS`.
    pub fn kind(&self) -> usize {
        match self {
            Action::Deposit { .. } | Action::DustDeposit { .. } | Action::DustLoan { .. } => 0,
            Action::Withdraw { .. } => 1,
            Action::Borrow { .. } => 2,
            Action::Repay { .. } => 3,
            Action::SetCollateral { .. } => 4,
            Action::SetEmode { .. } => 5,
            Action::FundReserve { .. } => 6,
            Action::CollectFees { .. } => 7,
            Action::Liquidate { .. } | Action::OlderPullUpdate { .. } => 8,
            Action::RealizeBadDebt { .. } => 9,
            Action::ConfigPreset { .. } => 10,
            Action::Pause { asset: Some(_), .. } => 10,
            Action::LiquidationPreset { .. } | Action::Pause { asset: None, .. } => 11,
            Action::Flash { .. } => 12,
            _ => 13,
        }
    }

    /// The user who signs the action, if any.
    pub fn signer(&self) -> Option<usize> {
        match *self {
            Action::Deposit { user, .. }
            | Action::Withdraw { user, .. }
            | Action::Borrow { user, .. }
            | Action::SetCollateral { user, .. }
            | Action::SetEmode { user, .. }
            | Action::FundReserve { user, .. }
            | Action::DustDeposit { user, .. }
            | Action::DustLoan { user, .. }
            | Action::VaultAsAccount { user, .. }
            | Action::Flash { user, .. } => Some(user),
            Action::OlderPullUpdate { attacker, .. } => Some(attacker),
            Action::Repay { payer, .. } => Some(payer),
            Action::Liquidate { liquidator, .. } => Some(liquidator),
            Action::RealizeBadDebt { caller, .. } => Some(caller),
            Action::Donate { from, .. } => from,
            _ => None,
        }
    }

    /// Whether this step moves prices, time or the risk configuration (health may then change).
    pub fn moves_the_world(&self) -> bool {
        matches!(
            self,
            Action::MovePrice { .. }
                | Action::Spike { .. }
                | Action::WidenConfidence { .. }
                | Action::Outage { .. }
                | Action::RestoreOracles
                | Action::Advance { .. }
                | Action::ConfigPreset { .. }
                | Action::LiquidationPreset { .. }
        )
    }
}

fn any_user(rng: &mut Rng) -> usize {
    rng.below(ACTORS.len() as u64) as usize
}

fn user_action(rng: &mut Rng, user: usize) -> Action {
    let role_assets: &[usize] = if BORROWERS.contains(&user) {
        &[1, 2, 1, 2, 0]
    } else {
        &[0, 2, 0, 1]
    };
    let asset = rng.pick(role_assets);
    let amount = Amount::random(rng, 1_000_000);
    let kind = if LENDERS.contains(&user) {
        rng.pick(&[0, 0, 0, 1, 1, 3, 5])
    } else if BORROWERS.contains(&user) {
        rng.pick(&[0, 0, 2, 2, 2, 3, 3, 4, 1, 6, 7])
    } else {
        rng.below(10)
    };
    match kind {
        0 => Action::Deposit {
            user,
            asset,
            amount,
        },
        1 => Action::Withdraw {
            user,
            asset,
            amount,
        },
        2 => {
            // Borrowing what one deposits is a move of its own: it must be refused.
            let borrow_asset = if BORROWERS.contains(&user) {
                rng.pick(&[0, 0, 0, 2, 2, 1, asset])
            } else {
                asset
            };
            Action::Borrow {
                user,
                asset: borrow_asset,
                amount,
            }
        }
        3 => {
            let target = if rng.chance(80) { user } else { any_user(rng) };
            Action::Repay {
                payer: user,
                target,
                asset: rng.below(3) as usize,
                amount,
            }
        }
        4 => Action::SetCollateral {
            user,
            asset,
            enabled: rng.chance(50),
        },
        5 => Action::FundReserve {
            user,
            asset,
            amount,
        },
        6 if !LENDERS.contains(&user) && rng.chance(60) => Action::DustDeposit {
            user,
            asset: rng.below(3) as usize,
        },
        6 => Action::VaultAsAccount {
            user,
            asset: rng.below(3) as usize,
            fund: rng.chance(60),
            instruction: rng.below(VAULT_INSTRUCTIONS.len() as u64) as u8,
        },
        7 if BORROWERS.contains(&user) || rng.chance(40) => Action::SetEmode {
            user,
            category: rng.pick(&[0, 1, 1, 2, 3]),
        },
        // The attacker and the liquidator wrap their moves in flash loans.
        8 | 9 => Action::Flash {
            user,
            asset: rng.below(3) as usize,
            amount: Amount::random(rng, 1_000_000),
            inner: rng.below(FLASH_MOVES.len() as u64) as u8,
            target: rng.pick(&BORROWERS),
        },
        _ => {
            if rng.chance(50) {
                Action::Donate {
                    from: Some(user),
                    asset,
                    to_fund: rng.chance(30),
                    amount,
                }
            } else {
                Action::Withdraw {
                    user,
                    asset,
                    amount: Amount::All,
                }
            }
        }
    }
}

/// The next action of a sequence.
pub fn next_action(rng: &mut Rng) -> Action {
    match rng.below(100) {
        0..=39 => {
            let user = match rng.below(10) {
                0..=2 => rng.pick(&LENDERS),
                3..=6 => rng.pick(&BORROWERS),
                7 => LIQUIDATOR,
                _ => rng.pick(&ATTACKERS),
            };
            user_action(rng, user)
        }
        40..=56 => {
            let liquidator = if rng.chance(80) {
                LIQUIDATOR
            } else {
                any_user(rng)
            };
            let target = if rng.chance(80) {
                rng.pick(&BORROWERS)
            } else {
                any_user(rng)
            };
            let repay = rng.pick(&[0, 0, 0, 0, 1, 2]);
            let mut collateral = rng.pick(&[1, 2, 1, 2, 1, 2, 0]);
            if collateral == repay && rng.chance(90) {
                collateral = (repay + 1 + rng.below(2) as usize) % 3;
            }
            Action::Liquidate {
                liquidator,
                target,
                repay,
                collateral,
                max_repay: if rng.chance(40) {
                    Amount::All
                } else {
                    Amount::random(rng, 1_000_000)
                },
                min_out_bps: if rng.chance(80) {
                    0
                } else {
                    rng.pick(&[5_000, 9_000, 10_000, 10_500])
                },
                receive_shares: rng.chance(20),
            }
        }
        57..=58 => Action::RealizeBadDebt {
            caller: any_user(rng),
            target: any_user(rng),
        },
        59 => Action::OlderPullUpdate {
            attacker: rng.pick(&ATTACKERS),
            target: rng.pick(&BORROWERS),
            repay: rng.pick(&[0, 0, 1]),
            collateral: rng.pick(&[2, 2, 1]),
            bps: rng.pick(&[5_000, 8_000, 9_000, 9_500]),
            age: rng.pick(&[30, 120, 200, 299]),
        },
        60..=71 => {
            let asset = rng.pick(&[1, 2, 1, 2, 0]);
            match rng.below(10) {
                0 | 4 => Action::MovePrice {
                    asset,
                    bps: rng.pick(&[500, 2_000, 4_000, 6_000]) + rng.below(500) as u32,
                },
                1 => Action::Spike {
                    asset,
                    bps: rng.pick(&[3_000, 7_000, 13_000, 20_000]) + rng.below(500) as u32,
                },
                2 => Action::MovePrice {
                    asset,
                    bps: rng.pick(&[12_000, 15_000, 30_000]),
                },
                _ => Action::MovePrice {
                    asset,
                    bps: 9_000 + rng.below(2_001) as u32,
                },
            }
        }
        72..=74 => {
            let asset = rng.below(3) as usize;
            match rng.below(4) {
                0 => Action::Outage {
                    asset,
                    fallback: crate::world::HAS_FALLBACK[asset] && rng.below(2) == 1,
                },
                1 => Action::RestoreOracles,
                _ => Action::WidenConfidence {
                    asset,
                    bps: rng.pick(&[50, 150, 199, 200, 201, 500, 999, 1_000, 1_001, 3_000]),
                },
            }
        }
        75..=86 => {
            let seconds = match rng.below(20) {
                0..=5 => 1 + rng.below(10) as i64,
                6..=10 => 30 + rng.below(600) as i64,
                11..=14 => 3_600 * (1 + rng.below(48) as i64),
                15..=16 => 86_400 * (1 + rng.below(60) as i64),
                17..=18 => 31_536_000,
                19 if rng.chance(20) => 31_536_000 * (10 + rng.below(50) as i64),
                _ => 31_536_000 * (1 + rng.below(3) as i64),
            };
            Action::Advance {
                seconds,
                fresh: rng.chance(85),
            }
        }
        87..=89 => Action::Donate {
            from: if rng.chance(50) {
                None
            } else {
                Some(rng.pick(&ATTACKERS))
            },
            asset: rng.below(3) as usize,
            to_fund: rng.chance(40),
            amount: Amount::random(rng, 1_000_000),
        },
        90..=92 => {
            if rng.chance(75) {
                Action::ConfigPreset {
                    asset: rng.below(3) as usize,
                    preset: rng.below(8) as u8,
                }
            } else {
                Action::LiquidationPreset {
                    preset: rng.below(4) as u8,
                }
            }
        }
        93..=95 => Action::Pause {
            asset: if rng.chance(50) {
                None
            } else {
                Some(rng.below(3) as usize)
            },
            // Liquidation pauses weigh most: they decide where a write-off may happen.
            flags: if rng.chance(50) {
                0
            } else {
                rng.pick(&[1, 2, 4, 8, 8, 8])
            },
            by_admin: rng.chance(70),
        },
        96..=97 => Action::CollectFees {
            asset: rng.below(3) as usize,
        },
        98 => {
            let collateral = rng.pick(&[1, 2]);
            Action::DustLoan {
                user: rng.pick(&[BORROWERS[0], BORROWERS[1], ATTACKERS[0], ATTACKERS[1]]),
                collateral,
                debt: rng.pick(&[0, 0, 3 - collateral]),
                cents: rng.pick(&[2, 5, 9, 10, 11, 25, 60, 99, 150]),
                borrow_bps: rng.pick(&[3_000, 7_000, 9_000, 9_900]),
            }
        }
        _ => Action::FundReserve {
            user: any_user(rng),
            asset: rng.below(3) as usize,
            amount: Amount::random(rng, 1_000_000),
        },
    }
}

/// A whole sequence from a seed.
pub fn sequence(seed: u64, steps: usize) -> Vec<Action> {
    let mut rng = Rng::new(seed);
    let mut actions = Vec::with_capacity(steps + 8);
    // Every sequence opens with some liquidity and collateral so that borrowing can happen.
    for lender in LENDERS {
        actions.push(Action::Deposit {
            user: lender,
            asset: 0,
            amount: Amount::Fraction(2_000 + rng.below(6_000) as u32),
        });
        actions.push(Action::Deposit {
            user: lender,
            asset: 2,
            amount: Amount::Fraction(1_000 + rng.below(5_000) as u32),
        });
    }
    for borrower in BORROWERS {
        actions.push(Action::Deposit {
            user: borrower,
            asset: 1 + rng.below(2) as usize,
            amount: Amount::Fraction(500 + rng.below(3_000) as u32),
        });
        actions.push(Action::Borrow {
            user: borrower,
            asset: 0,
            amount: Amount::Fraction(8_500 + rng.below(1_500) as u32),
        });
    }
    // The second borrower also owes a second asset, so write-offs span several reserves.
    actions.push(Action::Deposit {
        user: BORROWERS[1],
        asset: 1,
        amount: Amount::Fraction(500 + rng.below(2_000) as u32),
    });
    actions.push(Action::Borrow {
        user: BORROWERS[1],
        asset: 2,
        amount: Amount::Fraction(3_000 + rng.below(6_000) as u32),
    });
    while actions.len() < steps {
        actions.push(next_action(&mut rng));
    }
    actions.truncate(steps.max(8));
    actions
}
