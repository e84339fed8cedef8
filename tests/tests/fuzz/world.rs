//! Runs a sequence of actions against the real program on the bank and checks every invariant
//! of TESTING.md after every step, on the accounts as the bank holds them.

// Users, assets and snapshots are parallel arrays indexed by the same number.
#![allow(clippy::needless_range_loop)]

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::error::InstructionError;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::AccountDeserialize;
use anchor_spl::token::spl_token;
use ballast::errors::BallastError;
use ballast::instructions::{LiquidateArgs, MarketUpdate, ReserveUpdate};
use ballast::math::health::HealthTotals;
use ballast::math::liquidation::max_repay_value;
use ballast::math::value::{value_wad_ceil, value_wad_floor, Price};
use ballast::math::{BPS, VIRTUAL_ASSETS, VIRTUAL_SHARES, WAD};
use ballast::state::{
    CollateralParams, EmodeCategory, LiquidationConfig, Market, Obligation, Reserve, RESERVE_FROZEN,
};
use ballast_bank::pyth::{self, Feed};
use ballast_client::{self as client, OracleKeys};
use ballast_tests::fixture::{
    default_liquidation_config, isolation_inconsistency, Harness, OracleKind, TxResult, User, BTC,
    SOL, USDC,
};
use num_bigint::BigInt;
use solana_sdk::account::Account;
use solana_sdk::signature::Signer;
use solana_sdk::transaction::TransactionError;

use crate::actions::{Action, Amount, ACTORS, ATTACKERS};

/// Tokens each actor starts with, per asset (USDC, BTC, SOL).
/// The fuzz market's e-mode categories (1: USDC + SOL, 2: listed, no reserve — BTC is isolated).
pub const FUZZ_EMODE: [EmodeCategory; 4] = [
    EmodeCategory {
        ltv_bps: 8_500,
        liquidation_threshold_bps: 8_800,
        min_liquidation_bonus_bps: 200,
        max_liquidation_bonus_bps: 800,
    },
    EmodeCategory {
        ltv_bps: 8_000,
        liquidation_threshold_bps: 8_500,
        min_liquidation_bonus_bps: 200,
        max_liquidation_bonus_bps: 1_000,
    },
    UNLISTED,
    UNLISTED,
];
/// A category slot the market has not listed.
const UNLISTED: EmodeCategory = EmodeCategory {
    ltv_bps: 0,
    liquidation_threshold_bps: 0,
    min_liquidation_bonus_bps: 0,
    max_liquidation_bonus_bps: 0,
};
/// BTC's debt ceiling in the fuzz market ($1 000 000: it binds now and then).
const BTC_DEBT_CEILING: u128 = 1_000_000 * WAD;

/// Collateral parameters of `obligation`'s deposit in a reserve configured `config`.
fn params(obligation: &Obligation, config: &ballast::state::ReserveConfig) -> CollateralParams {
    CollateralParams::of(&FUZZ_EMODE, obligation.emode_category, config)
}

const ENDOWMENT: [u64; 3] = [2_000_000_000_000, 10_000_000_000, 20_000_000_000_000];

/// An invariant violation or a liveness failure: `(kind, details)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: &'static str,
    pub details: String,
}

pub type Check = Result<(), Violation>;

pub fn violation(kind: &'static str, details: String) -> Violation {
    Violation { kind, details }
}

/// Every account the program or the actors can change, decoded.
#[derive(Clone)]
pub struct Snapshot {
    pub raw: Vec<Option<Account>>,
    pub market: Market,
    pub reserves: Vec<Reserve>,
    pub vaults: Vec<u64>,
    pub fund_vaults: Vec<u64>,
    pub obligations: Vec<Obligation>,
    /// `[user][asset]`.
    pub tokens: Vec<Vec<u64>>,
    pub now: i64,
}

/// What one sequence did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub steps: u64,
    pub instructions: u64,
    pub succeeded: u64,
    pub checks: u64,
    /// Successful instructions per kind (`Action::KINDS`).
    pub succeeded_by_kind: [u64; crate::actions::KINDS.len()],
    /// Bad-debt write-offs (fund coverage or socialization) observed.
    pub write_offs: u64,
    /// Sequences whose books outgrew u64 base units.
    pub beyond_u64: u64,
    /// Liveness verdicts on obligations with debt, one per obligation and step (PROTOCOL.md
    /// §11): healthy, cleared by a simulated liquidation, cleared by a simulated write-off, or
    /// waiting for a genuinely invalid price or a pause.
    pub live_healthy: u64,
    pub live_liquidatable: u64,
    pub live_realizable: u64,
    pub live_waiting_for_price: u64,
    pub live_paused: u64,
    /// Simulated write-offs refused for a solvent obligation (the second promise, asserted).
    pub solvent_refused: u64,
}

impl Tally {
    /// Adds another sequence's counts.
    pub fn add(&mut self, other: &Tally) {
        self.steps += other.steps;
        self.instructions += other.instructions;
        self.succeeded += other.succeeded;
        self.checks += other.checks;
        self.write_offs += other.write_offs;
        self.beyond_u64 += other.beyond_u64;
        for (total, count) in self
            .succeeded_by_kind
            .iter_mut()
            .zip(other.succeeded_by_kind)
        {
            *total += count;
        }
        self.live_healthy += other.live_healthy;
        self.live_liquidatable += other.live_liquidatable;
        self.live_realizable += other.live_realizable;
        self.live_waiting_for_price += other.live_waiting_for_price;
        self.live_paused += other.live_paused;
        self.solvent_refused += other.solvent_refused;
    }
}

pub struct World {
    pub h: Harness,
    pub users: Vec<User>,
    /// The simulated liquidator of the liveness check: not an actor, never in a snapshot, its
    /// transactions only ever simulated.
    pub(crate) keeper: User,
    donated_vault: [u64; 3],
    donated_fund: [u64; 3],
    pub tally: Tally,
    /// Σ of the attacker's per-step gains (WAD USD) within rounding tolerance, for the report.
    pub attacker_rounding_gain: i128,
    /// The sequence grew a reserve's books past u64 base units (the wind-down is skipped).
    pub beyond_u64: bool,
    /// Per asset, whether its primary and its fallback source are down (an outage: the last
    /// update ages in place until `RestoreOracles`).
    down: [[bool; 2]; 3],
}

/// Which assets the fuzz market gives a Switchboard fallback: BTC (legacy Pyth primary) and SOL
/// (Pyth pull primary); USDC keeps one source.
pub const HAS_FALLBACK: [bool; 3] = [false, true, true];

fn decode<T: AccountDeserialize>(account: &Option<Account>) -> T {
    let account = account.as_ref().expect("account exists");
    T::try_deserialize(&mut &account.data[..]).expect("account decodes")
}

fn token_amount(account: &Option<Account>) -> u64 {
    account
        .as_ref()
        .and_then(|a| {
            spl_token::state::Account::unpack_from_slice(&a.data[..spl_token::state::Account::LEN])
                .ok()
        })
        .map(|state| state.amount)
        .unwrap_or(0)
}

fn spot(feed: &Feed) -> Option<Price> {
    (feed.price > 0).then_some(Price {
        mantissa: feed.price as u64,
        expo: feed.expo,
    })
}

/// Whether an error is a clean program error (never a panic or an aborted program).
fn clean_error(error: &TransactionError) -> bool {
    !matches!(
        error,
        TransactionError::InstructionError(_, InstructionError::ProgramFailedToComplete)
            | TransactionError::InstructionError(_, InstructionError::GenericError)
    )
}

fn is_error(result: &TxResult, expected: BallastError) -> bool {
    matches!(result, Err(TransactionError::InstructionError(1, InstructionError::Custom(code))) if *code == u32::from(expected))
}

impl World {
    pub async fn new() -> World {
        let mut h = Harness::new().await;
        // E-mode: category 1 holds USDC and SOL, category 2 BTC; BTC is isolated collateral
        // with a $1 000 000 ceiling and USDC borrowable against it.
        h.list_emode_category(1, FUZZ_EMODE[0], &[USDC, SOL]).await;
        h.list_emode_category(2, FUZZ_EMODE[1], &[]).await;
        let admin = h.admin.insecure_clone();
        let mut config = h.reserve(BTC).await.config;
        config.isolated = true;
        config.debt_ceiling = BTC_DEBT_CEILING;
        h.update_reserve(&admin, BTC, ReserveUpdate::Config(config))
            .await
            .expect("BTC isolated");
        let mut config = h.reserve(USDC).await.config;
        config.borrowable_in_isolation = true;
        h.update_reserve(&admin, USDC, ReserveUpdate::Config(config))
            .await
            .expect("USDC borrowable in isolation");
        // Two sources for BTC and SOL: their outages hit one source at a time.
        h.set_oracle_sources(BTC, OracleKind::PythLegacy, Some(OracleKind::Switchboard))
            .await;
        h.set_oracle_sources(SOL, OracleKind::PythPull, Some(OracleKind::Switchboard))
            .await;
        debug_assert!((0..3).all(|a| h.assets[a].fallback.is_some() == HAS_FALLBACK[a]));
        let mut users = vec![];
        for _ in ACTORS {
            let user = h.user().await;
            for (asset, amount) in ENDOWMENT.iter().enumerate() {
                h.mint_to(asset, &user.tokens[asset], *amount).await;
            }
            users.push(user);
        }
        let keeper = h.user().await;
        for asset in 0..ENDOWMENT.len() {
            h.mint_to(asset, &keeper.tokens[asset], u64::MAX / 16).await;
        }
        World {
            h,
            users,
            keeper,
            donated_vault: [0; 3],
            donated_fund: [0; 3],
            tally: Tally::default(),
            attacker_rounding_gain: 0,
            beyond_u64: false,
            down: [[false; 2]; 3],
        }
    }

    /// Republishes what the down sources held before `change` (which may refresh every feed):
    /// a source that is down keeps ageing in place.
    fn keep_down(&mut self, held: &[(usize, bool, Feed)]) {
        for &(asset, fallback, feed) in held {
            if fallback {
                self.h.publish_fallback(asset, feed);
            } else {
                self.h.publish(asset, feed);
            }
        }
    }

    /// The feeds of the sources that are down now.
    fn down_feeds(&self) -> Vec<(usize, bool, Feed)> {
        let mut held = vec![];
        for asset in 0..self.h.assets.len() {
            if self.down[asset][0] {
                held.push((asset, false, self.h.assets[asset].feed));
            }
            if let (true, Some(fallback)) = (self.down[asset][1], self.h.assets[asset].fallback) {
                held.push((asset, true, fallback.feed));
            }
        }
        held
    }

    fn addresses(&self) -> Vec<Pubkey> {
        let mut addresses = vec![self.h.market];
        for asset in &self.h.assets {
            addresses.extend([
                asset.keys.reserve,
                asset.keys.liquidity_vault,
                asset.keys.fund_vault,
            ]);
        }
        addresses.extend(self.h.treasuries.iter().copied());
        for user in &self.users {
            addresses.extend(user.tokens.iter().copied());
            addresses.push(user.obligation);
        }
        addresses
    }

    /// The bank registers new blockhashes as wall time passes; a transaction signed with one
    /// more than ~150 hashes old makes solana-program-test 3.1 panic (`bank.rs`: subtract with
    /// overflow in `get_blockhash_last_valid_block_height`) instead of failing. Long sequences
    /// therefore re-read the latest blockhash before every step.
    async fn fresh_blockhash(&mut self) {
        if let Ok(hash) = self.h.bank().banks_client.get_latest_blockhash().await {
            self.h.bank().last_blockhash = hash;
        }
    }

    pub async fn snapshot(&mut self) -> Snapshot {
        let addresses = self.addresses();
        let raw = self.h.snapshot(&addresses).await;
        let assets = self.h.assets.len();
        let mut reserves = vec![];
        let mut vaults = vec![];
        let mut fund_vaults = vec![];
        for asset in 0..assets {
            reserves.push(decode::<Reserve>(&raw[1 + asset * 3]));
            vaults.push(token_amount(&raw[2 + asset * 3]));
            fund_vaults.push(token_amount(&raw[3 + asset * 3]));
        }
        let base = 1 + assets * 3 + self.h.treasuries.len();
        let mut tokens = vec![];
        let mut obligations = vec![];
        for user in 0..self.users.len() {
            let at = base + user * (assets + 1);
            tokens.push(
                (0..assets)
                    .map(|asset| token_amount(&raw[at + asset]))
                    .collect(),
            );
            obligations.push(decode::<Obligation>(&raw[at + assets]));
        }
        Snapshot {
            market: decode(&raw[0]),
            raw,
            reserves,
            vaults,
            fund_vaults,
            obligations,
            tokens,
            now: self.h.now,
        }
    }

    /// The price each asset is at, by the model: its primary's feed, or its fallback's while the
    /// primary is down and the fallback up (the source that still hears the market).
    fn feeds(&self) -> Vec<Feed> {
        self.h
            .assets
            .iter()
            .enumerate()
            .map(|(index, asset)| match asset.fallback {
                Some(fallback) if self.down[index][0] && !self.down[index][1] => fallback.feed,
                _ => asset.feed,
            })
            .collect()
    }

    pub(crate) fn reserve_index(&self, key: &Pubkey) -> usize {
        self.h
            .assets
            .iter()
            .position(|asset| asset.keys.reserve == *key)
            .expect("a known reserve")
    }

    /// Reserves with interest projected to the snapshot's time (read-only, as health checks do).
    pub(crate) fn projected(snap: &Snapshot) -> Option<Vec<Reserve>> {
        snap.reserves
            .iter()
            .map(|reserve| reserve.projected(snap.now).ok())
            .collect()
    }

    /// Health of `obligation` at spot prices (the liquidation policy's price), projected reserves.
    pub(crate) fn health(
        &self,
        reserves: &[Reserve],
        obligation: &Obligation,
    ) -> Option<HealthTotals> {
        let feeds = self.feeds();
        let mut totals = HealthTotals::default();
        for deposit in obligation
            .active_deposits()
            .filter(|d| d.collateral_enabled)
        {
            let index = self.reserve_index(&deposit.reserve);
            let reserve = &reserves[index];
            let tokens = reserve.tokens_for_shares(deposit.shares).ok()?;
            let value =
                value_wad_floor(u128::from(tokens), reserve.decimals, spot(&feeds[index])?).ok()?;
            let params = params(obligation, &reserve.config);
            totals
                .add_collateral(
                    value,
                    u64::from(params.ltv_bps),
                    u64::from(params.liquidation_threshold_bps),
                )
                .ok()?;
        }
        for borrow in obligation.active_borrows() {
            let index = self.reserve_index(&borrow.reserve);
            let reserve = &reserves[index];
            let owed = reserve.owed_tokens(borrow.scaled_debt).ok()?;
            totals
                .add_debt(value_wad_ceil(owed, reserve.decimals, spot(&feeds[index])?).ok()?)
                .ok()?;
        }
        Some(totals)
    }

    /// Net value (USD WAD, spot) of the attacker's two wallets: tokens + deposits − debt.
    fn attacker_value(&self, snap: &Snapshot, reserves: &[Reserve]) -> Option<i128> {
        let feeds = self.feeds();
        let mut total: i128 = 0;
        for user in ATTACKERS {
            for (asset, reserve) in reserves.iter().enumerate() {
                let price = spot(&feeds[asset])?;
                let held = u128::from(snap.tokens[user][asset]);
                total = total.checked_add(
                    i128::try_from(value_wad_floor(held, reserve.decimals, price).ok()?).ok()?,
                )?;
            }
            let obligation = &snap.obligations[user];
            for deposit in obligation.active_deposits() {
                let index = self.reserve_index(&deposit.reserve);
                let reserve = &reserves[index];
                let tokens = reserve.tokens_for_shares(deposit.shares).ok()?;
                let value =
                    value_wad_floor(u128::from(tokens), reserve.decimals, spot(&feeds[index])?)
                        .ok()?;
                total = total.checked_add(i128::try_from(value).ok()?)?;
            }
            for borrow in obligation.active_borrows() {
                let index = self.reserve_index(&borrow.reserve);
                let reserve = &reserves[index];
                let owed = reserve.owed_tokens(borrow.scaled_debt).ok()?;
                let value = value_wad_ceil(owed, reserve.decimals, spot(&feeds[index])?).ok()?;
                total = total.checked_sub(i128::try_from(value).ok()?)?;
            }
        }
        Some(total)
    }

    fn unit_value(&self, asset: usize, units: u128) -> u128 {
        let reserve_decimals = self.h.assets[asset].spec.decimals;
        spot(&self.h.assets[asset].feed)
            .and_then(|price| value_wad_ceil(units, reserve_decimals, price).ok())
            .unwrap_or(0)
    }

    // ----- executing ------------------------------------------------------------------------

    /// Runs one action; `Some(result)` when it was an instruction.
    async fn execute(&mut self, action: &Action, snap: &Snapshot) -> Option<TxResult> {
        let h = &mut self.h;
        let users = &self.users;
        let projected = Self::projected(snap);
        match *action {
            Action::Deposit {
                user,
                asset,
                amount,
            } => {
                let amount = amount.resolve(snap.tokens[user][asset]);
                Some(h.deposit(&users[user], asset, amount).await)
            }
            Action::Withdraw {
                user,
                asset,
                amount,
            } => {
                let reserve_key = h.assets[asset].keys.reserve;
                let held = snap.obligations[user]
                    .deposit(&reserve_key)
                    .and_then(|d| {
                        projected
                            .as_ref()
                            .and_then(|r| r[asset].tokens_for_shares(d.shares).ok())
                    })
                    .unwrap_or(0);
                Some(h.withdraw(&users[user], asset, amount.resolve(held)).await)
            }
            Action::Borrow {
                user,
                asset,
                amount,
            } => {
                let headroom = projected
                    .as_ref()
                    .and_then(|reserves| {
                        let totals = self_health(h, reserves, &snap.obligations[user])?;
                        let room = totals.borrow_limit.saturating_sub(totals.debt_value);
                        let price = spot(&h.assets[asset].feed)?;
                        ballast::math::value::tokens_for_value_floor(
                            room,
                            h.assets[asset].spec.decimals,
                            price,
                        )
                        .ok()
                    })
                    .unwrap_or(0)
                    .min(u128::from(u64::MAX)) as u64;
                Some(
                    h.borrow(&users[user], asset, amount.resolve(headroom))
                        .await,
                )
            }
            Action::Repay {
                payer,
                target,
                asset,
                amount,
            } => {
                let reserve_key = h.assets[asset].keys.reserve;
                let owed = snap.obligations[target]
                    .borrow(&reserve_key)
                    .and_then(|b| {
                        projected
                            .as_ref()
                            .and_then(|r| r[asset].owed_tokens(b.scaled_debt).ok())
                    })
                    .map_or(0, saturate_u64);
                let obligation = users[target].obligation;
                Some(
                    h.repay(&users[payer], &obligation, asset, amount.resolve(owed))
                        .await,
                )
            }
            Action::SetCollateral {
                user,
                asset,
                enabled,
            } => Some(h.set_collateral(&users[user], asset, enabled).await),
            Action::SetEmode { user, category } => Some(h.set_emode(&users[user], category).await),
            Action::FundReserve {
                user,
                asset,
                amount,
            } => Some(
                h.fund_reserve(
                    &users[user],
                    asset,
                    amount.resolve(snap.tokens[user][asset]),
                )
                .await,
            ),
            Action::CollectFees { asset } => Some(h.collect_fees(asset).await),
            Action::Liquidate {
                liquidator,
                target,
                repay,
                collateral,
                max_repay,
                min_out_bps,
                receive_shares,
            } => {
                let reserve_key = h.assets[repay].keys.reserve;
                let owed = snap.obligations[target]
                    .borrow(&reserve_key)
                    .and_then(|b| {
                        projected
                            .as_ref()
                            .and_then(|r| r[repay].owed_tokens(b.scaled_debt).ok())
                    })
                    .map_or(0, saturate_u64);
                let max_repay = max_repay.resolve(owed);
                let min_collateral_out = if min_out_bps == 0 {
                    0
                } else {
                    // The fair collateral for the request at spot, before any clipping.
                    let repay_value = spot(&h.assets[repay].feed).and_then(|p| {
                        value_wad_floor(
                            u128::from(max_repay.min(owed)),
                            h.assets[repay].spec.decimals,
                            p,
                        )
                        .ok()
                    });
                    let tokens = repay_value.and_then(|v| {
                        ballast::math::value::tokens_for_value_floor(
                            v,
                            h.assets[collateral].spec.decimals,
                            spot(&h.assets[collateral].feed)?,
                        )
                        .ok()
                    });
                    tokens
                        .map(|t| {
                            (t * u128::from(min_out_bps) / 10_000).min(u128::from(u64::MAX)) as u64
                        })
                        .unwrap_or(0)
                };
                let args = LiquidateArgs {
                    max_repay,
                    min_collateral_out,
                    receive_shares,
                };
                Some(
                    h.liquidate(&users[liquidator], &users[target], repay, collateral, args)
                        .await,
                )
            }
            Action::RealizeBadDebt { caller, target } => {
                let obligation = users[target].obligation;
                Some(h.realize_bad_debt(&users[caller], &obligation).await)
            }
            Action::Donate {
                from,
                asset,
                to_fund,
                amount,
            } => {
                let keys = h.assets[asset].keys;
                let vault = if to_fund {
                    keys.fund_vault
                } else {
                    keys.liquidity_vault
                };
                let result = match from {
                    None => {
                        let amount = amount.resolve(1_000_000_000).min(1 << 50);
                        if amount > 0 {
                            h.mint_to(asset, &vault, amount).await;
                        }
                        Ok(amount)
                    }
                    Some(user) => {
                        let amount = amount.resolve(snap.tokens[user][asset]);
                        let owner = users[user].keypair.insecure_clone();
                        let ix = spl_token::instruction::transfer(
                            &keys.token_program,
                            &users[user].tokens[asset],
                            &vault,
                            &owner.pubkey(),
                            &[],
                            amount,
                        )
                        .expect("transfer instruction");
                        h.send(&[ix], &[&owner]).await.map(|()| amount)
                    }
                };
                if let Ok(amount) = result {
                    if to_fund {
                        self.donated_fund[asset] += amount;
                    } else {
                        self.donated_vault[asset] += amount;
                    }
                }
                None
            }
            Action::Flash {
                user,
                asset,
                amount,
                inner,
                target,
            } => {
                let reserve = projected.as_ref().map(|r| r[asset].clone());
                let base = reserve.as_ref().map_or(0, |r| r.available_liquidity);
                let amount = amount.resolve(base);
                let due = reserve
                    .as_ref()
                    .and_then(|r| client::flash_repay_amount(&r.config, amount))
                    .unwrap_or(u64::MAX);
                let keys = h.assets[asset].keys;
                let who = &users[user];
                let token = who.tokens[asset];
                let mut instructions = vec![client::flash_borrow(
                    &who.pubkey(),
                    &h.market,
                    &keys,
                    &token,
                    amount,
                )];
                match inner {
                    1 => instructions.push(client::deposit(
                        &who.pubkey(),
                        &h.market,
                        &keys,
                        &who.obligation,
                        &token,
                        amount,
                    )),
                    2 => instructions.push(
                        spl_token::instruction::transfer(
                            &keys.token_program,
                            &token,
                            &keys.liquidity_vault,
                            &who.pubkey(),
                            &[],
                            amount,
                        )
                        .expect("transfer instruction"),
                    ),
                    3 => {
                        let state = &snap.obligations[target];
                        let collateral = (0..h.assets.len())
                            .find(|i| {
                                state
                                    .deposit(&h.assets[*i].keys.reserve)
                                    .is_some_and(|d| d.collateral_enabled)
                            })
                            .unwrap_or((asset + 1) % h.assets.len());
                        let args = LiquidateArgs {
                            max_repay: amount,
                            min_collateral_out: 0,
                            receive_shares: false,
                        };
                        instructions.push(h.liquidate_instruction(
                            who,
                            &users[target].obligation,
                            asset,
                            collateral,
                            args,
                            h.remaining(state, true),
                        ));
                    }
                    4 => {
                        let after = client::after_borrow(&snap.obligations[user], &keys.reserve);
                        instructions.push(client::borrow(
                            &who.pubkey(),
                            &h.market,
                            &keys,
                            &who.obligation,
                            &token,
                            amount,
                            h.remaining(&after, false),
                        ));
                    }
                    _ => {}
                }
                // A unit short, none at all, or exactly what is due.
                let repaid = match inner {
                    5 => Some(due.saturating_sub(1)),
                    6 => None,
                    _ => Some(due),
                };
                if let Some(repaid) = repaid {
                    instructions.push(client::flash_repay(
                        &who.pubkey(),
                        &h.market,
                        &keys,
                        &token,
                        repaid,
                    ));
                }
                let result = h.send(&instructions, &[&who.keypair]).await;
                assert!(
                    !(crate::actions::MALFORMED_FLASH_MOVES.contains(&inner) && result.is_ok()),
                    "a malformed flash loan was accepted: {action}"
                );
                if inner == 2 && result.is_ok() {
                    self.donated_vault[asset] += amount;
                }
                Some(result)
            }
            Action::MovePrice { asset, bps } => {
                // The market moves every source alike; a source that is down does not hear it.
                let now = h.now;
                let moved = |feed: &mut Feed| {
                    let price = scale_price(feed.price, bps);
                    feed.ema_price = (feed.ema_price + price) / 2;
                    feed.price = price;
                    feed.conf = (price / 1_000) as u64;
                    feed.ema_conf = (feed.ema_price / 1_000).max(0) as u64;
                    feed.publish_time = now;
                };
                if !self.down[asset][0] {
                    let mut feed = h.assets[asset].feed;
                    moved(&mut feed);
                    h.publish(asset, feed);
                }
                if let (false, Some(fallback)) = (self.down[asset][1], h.assets[asset].fallback) {
                    let mut feed = fallback.feed;
                    moved(&mut feed);
                    h.publish_fallback(asset, feed);
                }
                None
            }
            Action::Spike { asset, bps } => {
                // One update of the primary alone: a fallback then disagrees.
                let mut feed = h.assets[asset].feed;
                feed.price = scale_price(feed.price, bps);
                feed.conf = (feed.price / 1_000) as u64;
                feed.publish_time = h.now;
                h.publish(asset, feed);
                self.down[asset][0] = false;
                None
            }
            Action::WidenConfidence { asset, bps } => {
                let mut feed = h.assets[asset].feed;
                feed.conf = (i128::from(feed.price) * i128::from(bps) / 10_000) as u64;
                feed.publish_time = h.now;
                h.publish(asset, feed);
                self.down[asset][0] = false;
                None
            }
            Action::Outage { asset, fallback } => {
                if fallback {
                    // A Switchboard feed has no status: it stops updating.
                    self.down[asset][1] = h.assets[asset].fallback.is_some();
                } else {
                    let mut feed = h.assets[asset].feed;
                    if !h.assets[asset].spec.pull_oracle {
                        feed.status = 2;
                    }
                    h.publish(asset, feed);
                    self.down[asset][0] = true;
                }
                None
            }
            Action::RestoreOracles => {
                self.down = [[false; 2]; 3];
                for asset in 0..h.assets.len() {
                    let mut feed = h.assets[asset].feed;
                    feed.status = 1;
                    feed.conf = (feed.price / 1_000) as u64;
                    feed.publish_time = h.now;
                    h.publish(asset, feed);
                    if let Some(fallback) = h.assets[asset].fallback {
                        let mut feed = fallback.feed;
                        feed.conf = (feed.price / 1_000) as u64;
                        feed.publish_time = h.now;
                        h.publish_fallback(asset, feed);
                    }
                }
                None
            }
            Action::Advance { seconds, fresh } => {
                if fresh {
                    let held = self.down_feeds();
                    self.h.advance_with_fresh_prices(seconds);
                    self.keep_down(&held);
                } else {
                    self.h.advance(seconds);
                }
                None
            }
            Action::ConfigPreset { asset, preset } => {
                let config =
                    config_preset(&snap.reserves[asset], preset, &snap.reserves[asset].config);
                let admin = h.admin.insecure_clone();
                Some(
                    h.update_reserve(&admin, asset, ReserveUpdate::Config(config))
                        .await,
                )
            }
            Action::LiquidationPreset { preset } => {
                let admin = h.admin.insecure_clone();
                Some(
                    h.update_market(
                        &admin,
                        MarketUpdate::SetLiquidationConfig {
                            config: liquidation_preset(preset),
                        },
                    )
                    .await,
                )
            }
            Action::CorruptBooks { asset } => {
                let address = h.assets[asset].keys.reserve;
                let mut reserve = snap.reserves[asset].clone();
                reserve.available_liquidity += 1;
                let mut data = vec![];
                anchor_lang::AccountSerialize::try_serialize(&reserve, &mut data)
                    .expect("serializes");
                h.write_account(&address, &ballast::ID, data);
                None
            }
            Action::DustDeposit { user, asset } => Some(h.deposit(&users[user], asset, 1).await),
            Action::DustLoan {
                user,
                collateral,
                debt,
                cents,
                borrow_bps,
            } => {
                let (Some(collateral_price), Some(debt_price)) =
                    (spot(&h.assets[collateral].feed), spot(&h.assets[debt].feed))
                else {
                    return None;
                };
                let value = u128::from(cents) * WAD / 100;
                let decimals = |asset: usize| h.assets[asset].spec.decimals;
                let deposit_units = ballast::math::value::tokens_for_value_floor(
                    value,
                    decimals(collateral),
                    collateral_price,
                )
                .unwrap_or(0)
                .min(u128::from(snap.tokens[user][collateral]))
                    as u64;
                let ltv = u128::from(snap.reserves[collateral].config.ltv_bps);
                let room = value * ltv / u128::from(BPS) * u128::from(borrow_bps) / u128::from(BPS);
                let borrow_units =
                    ballast::math::value::tokens_for_value_floor(room, decimals(debt), debt_price)
                        .unwrap_or(0)
                        .min(u128::from(u64::MAX)) as u64;
                let actor = &users[user];
                let keys = |asset: usize| h.assets[asset].keys;
                let mut listed = snap.obligations[user].clone();
                if listed
                    .add_shares(keys(collateral).reserve, 1, false)
                    .is_err()
                {
                    listed = snap.obligations[user].clone();
                }
                let after = client::after_borrow(&listed, &keys(debt).reserve);
                let instructions = [
                    client::deposit(
                        &actor.pubkey(),
                        &h.market,
                        &keys(collateral),
                        &actor.obligation,
                        &actor.tokens[collateral],
                        deposit_units,
                    ),
                    client::borrow(
                        &actor.pubkey(),
                        &h.market,
                        &keys(debt),
                        &actor.obligation,
                        &actor.tokens[debt],
                        borrow_units,
                        h.remaining(&after, false),
                    ),
                ];
                let signer = actor.keypair.insecure_clone();
                Some(h.send(&instructions, &[&signer]).await)
            }
            Action::OlderPullUpdate {
                attacker,
                target,
                repay,
                collateral,
                bps,
                age,
            } => {
                let obligation = &snap.obligations[target];
                let sol = h.assets[SOL].keys.reserve;
                if !obligation.position_reserves().contains(&sol) {
                    return None;
                }
                let mut feed = h.assets[SOL].feed;
                feed.price = scale_price(feed.price, bps);
                feed.ema_price = feed.price;
                feed.conf = (feed.price / 1_000) as u64;
                feed.publish_time = h.now - age;
                let posted = Pubkey::new_unique();
                h.write_account(
                    &posted,
                    &pyth::PYTH_RECEIVER_PROGRAM,
                    pyth::pull_price_update_data(&feed),
                );
                let remaining = client::remaining_accounts(
                    obligation,
                    |reserve| {
                        let listed = h.oracle_of(reserve);
                        if *reserve == sol {
                            OracleKeys {
                                primary: posted,
                                ..listed
                            }
                        } else {
                            listed
                        }
                    },
                    true,
                );
                let args = LiquidateArgs {
                    max_repay: u64::MAX,
                    min_collateral_out: 0,
                    receive_shares: false,
                };
                let target = users[target].obligation;
                Some(
                    h.liquidate_with(
                        &users[attacker],
                        &target,
                        repay,
                        collateral,
                        args,
                        remaining,
                    )
                    .await,
                )
            }
            Action::VaultAsAccount {
                user,
                asset,
                fund,
                instruction,
            } => {
                let keys = h.assets[asset].keys;
                let vault = if fund {
                    keys.fund_vault
                } else {
                    keys.liquidity_vault
                };
                let actor = &users[user];
                let obligation = &snap.obligations[user];
                let priced = |o: &Obligation| {
                    if o.has_debt() {
                        h.remaining(o, false)
                    } else {
                        vec![]
                    }
                };
                let (market, owner) = (h.market, actor.pubkey());
                let ix = match usize::from(instruction) % crate::actions::VAULT_INSTRUCTIONS.len() {
                    0 => client::borrow(
                        &owner,
                        &market,
                        &keys,
                        &actor.obligation,
                        &vault,
                        1,
                        h.remaining(&client::after_borrow(obligation, &keys.reserve), false),
                    ),
                    1 => client::withdraw(
                        &owner,
                        &market,
                        &keys,
                        &actor.obligation,
                        &vault,
                        1,
                        priced(obligation),
                    ),
                    2 => client::deposit(&owner, &market, &keys, &actor.obligation, &vault, 1),
                    3 => client::repay(&owner, &market, &keys, &actor.obligation, &vault, 1, None),
                    _ => {
                        let target = crate::actions::BORROWERS[0];
                        let accounts = client::LiquidationAccounts {
                            liquidator: owner,
                            market,
                            obligation: users[target].obligation,
                            repay_source: actor.tokens[USDC],
                            collateral_destination: Some(vault),
                            liquidator_obligation: None,
                        };
                        let args = LiquidateArgs {
                            max_repay: u64::MAX,
                            min_collateral_out: 0,
                            receive_shares: false,
                        };
                        client::liquidate(
                            &accounts,
                            &h.assets[USDC].keys,
                            &keys,
                            args,
                            h.remaining(&snap.obligations[target], true),
                        )
                    }
                };
                let signer = actor.keypair.insecure_clone();
                Some(h.send(&[ix], &[&signer]).await)
            }
            Action::Pause {
                asset,
                flags,
                by_admin,
            } => {
                let signer = if by_admin {
                    h.admin.insecure_clone()
                } else {
                    h.risk_authority.insecure_clone()
                };
                Some(match asset {
                    None => {
                        h.update_market(&signer, MarketUpdate::SetPauseFlags { pause_flags: flags })
                            .await
                    }
                    Some(asset) => {
                        h.update_reserve(&signer, asset, ReserveUpdate::PauseFlags(flags))
                            .await
                    }
                })
            }
        }
    }

    /// Runs `action` and checks every invariant; returns the first violation.
    pub async fn step(
        &mut self,
        action: &Action,
        before: &Snapshot,
    ) -> Result<Snapshot, Violation> {
        if std::env::var_os("BALLAST_FUZZ_TRACE").is_some() {
            println!("fuzz step {}: {action}", self.tally.steps + 1);
        }
        self.fresh_blockhash().await;
        let result = self.execute(action, before).await;
        if std::env::var_os("BALLAST_FUZZ_TRACE").is_some() {
            println!("    -> {result:?}");
        }
        let after = self.snapshot().await;
        self.tally.steps += 1;
        if let Some(result) = &result {
            self.tally.instructions += 1;
            if result.is_ok() {
                self.tally.succeeded += 1;
                self.tally.succeeded_by_kind[action.kind()] += 1;
            }
        }
        self.check_step(action, &result, before, &after)?;
        self.check_promises(&after).await?;
        Ok(after)
    }

    pub(crate) fn count(&mut self, n: u64) {
        self.tally.checks += n;
    }

    fn check_step(
        &mut self,
        action: &Action,
        result: &Option<TxResult>,
        before: &Snapshot,
        after: &Snapshot,
    ) -> Check {
        // A failed instruction fails cleanly and changes nothing.
        if let Some(Err(error)) = result {
            self.count(2);
            if !clean_error(error) {
                return Err(violation("panic", format!("{action}: {error:?}")));
            }
            if before.raw != after.raw {
                let changed: Vec<usize> = (0..before.raw.len())
                    .filter(|&i| before.raw[i] != after.raw[i])
                    .collect();
                return Err(violation(
                    "failed-changed",
                    format!("{action}: {error:?} changed accounts {changed:?}"),
                ));
            }
        }
        self.check_books(after)?;
        self.check_transition(action, result, before, after)?;
        Ok(())
    }

    /// Invariants of one state: conservation to the unit and the sums.
    fn check_books(&mut self, snap: &Snapshot) -> Check {
        for (user, obligation) in snap.obligations.iter().enumerate() {
            self.count(1);
            if let Some(problem) = isolation_inconsistency(obligation) {
                return Err(violation(
                    "isolation",
                    format!("{}: {problem}", crate::actions::ACTORS[user]),
                ));
            }
        }
        for (asset, reserve) in snap.reserves.iter().enumerate() {
            let name = crate::actions::ASSET_NAMES[asset];
            self.count(7);
            if u128::from(snap.vaults[asset])
                != u128::from(reserve.available_liquidity) + u128::from(self.donated_vault[asset])
            {
                return Err(violation(
                    "conservation",
                    format!(
                        "{name}: vault {} != available {} + donated {}",
                        snap.vaults[asset], reserve.available_liquidity, self.donated_vault[asset]
                    ),
                ));
            }
            let fund_books = u128::from(reserve.fund_balance)
                + u128::from(reserve.fund_receivable)
                + u128::from(self.donated_fund[asset]);
            if u128::from(snap.fund_vaults[asset]) != fund_books {
                return Err(violation(
                    "conservation",
                    format!(
                        "{name}: fund vault {} != fund {} + receivable {} + donated {}",
                        snap.fund_vaults[asset],
                        reserve.fund_balance,
                        reserve.fund_receivable,
                        self.donated_fund[asset]
                    ),
                ));
            }
            let key = self.h.assets[asset].keys.reserve;
            let scaled: u128 = snap
                .obligations
                .iter()
                .filter_map(|o| o.borrow(&key))
                .map(|b| b.scaled_debt)
                .sum();
            let shares: u128 = snap
                .obligations
                .iter()
                .filter_map(|o| o.deposit(&key))
                .map(|d| d.shares)
                .sum();
            if scaled != reserve.total_scaled_debt || shares != reserve.total_shares {
                return Err(violation(
                    "sums",
                    format!(
                        "{name}: Σ scaled {scaled} vs {}, Σ shares {shares} vs {}",
                        reserve.total_scaled_debt, reserve.total_shares
                    ),
                ));
            }
            // The isolated-debt counter is exactly the sum of the records against it.
            let records: u128 = snap
                .obligations
                .iter()
                .filter(|o| o.isolated_collateral == key)
                .map(|o| o.isolated_debt())
                .sum();
            if records != reserve.isolated_debt
                || reserve.isolated_debt > reserve.config.debt_ceiling
            {
                return Err(violation(
                    "isolation",
                    format!(
                        "{name}: Σ isolated records {records} vs counter {} (ceiling {})",
                        reserve.isolated_debt, reserve.config.debt_ceiling
                    ),
                ));
            }
            if reserve.last_accrual_ts > snap.now || reserve.borrow_index < WAD {
                return Err(violation(
                    "time",
                    format!(
                        "{name}: accrual {} now {}",
                        reserve.last_accrual_ts, snap.now
                    ),
                ));
            }
            // Borrowers owe at least what the books claim, and the books at least Σ floors.
            // (Big integers: after years of interest the sums may leave u128.)
            let big = |x: u128| BigInt::from(x);
            let owed_ceil: BigInt = snap
                .obligations
                .iter()
                .filter_map(|o| o.borrow(&key))
                .map(|b| {
                    let exact = big(b.scaled_debt) * big(reserve.borrow_index);
                    let unit = big(WAD) * big(WAD);
                    ((exact + &unit - 1) / unit) * big(WAD)
                })
                .sum();
            let floors: BigInt = snap
                .obligations
                .iter()
                .filter_map(|o| o.borrow(&key))
                .map(|b| big(b.scaled_debt) * big(reserve.borrow_index) / big(WAD))
                .sum();
            let books_exact = big(reserve.total_scaled_debt) * big(reserve.borrow_index) / big(WAD);
            let books = reserve.debt_wad().unwrap_or(u128::MAX);
            if big(books) != books_exact {
                return Err(violation(
                    "debt-rounding",
                    format!("{name}: books {books} != floor {books_exact}"),
                ));
            }
            if !(floors <= books_exact && books_exact <= owed_ceil) {
                return Err(violation(
                    "debt-rounding",
                    format!("{name}: Σ floors {floors} ≤ books {books} ≤ Σ owed {owed_ceil} fails"),
                ));
            }
            // The books stay solvent: what fees and the fund are owed is inside the assets,
            // unless the reserve is frozen after a loss beyond its deposits.
            let gross = big(u128::from(reserve.available_liquidity)) * big(WAD)
                + big(books)
                + big(u128::from(reserve.fund_receivable)) * big(WAD);
            if reserve.status != RESERVE_FROZEN
                && gross < big(reserve.protocol_fees_wad) + big(reserve.pending_insurance_wad)
            {
                return Err(violation(
                    "books",
                    format!(
                        "{name}: gross {gross} < fees {} + pending insurance {}",
                        reserve.protocol_fees_wad, reserve.pending_insurance_wad
                    ),
                ));
            }
            if reserve.cumulative_protocol_fees_wad + reserve.cumulative_insurance_wad
                > reserve.cumulative_interest_wad
            {
                return Err(violation(
                    "interest-split",
                    format!("{name}: fees + insurance exceed interest"),
                ));
            }
        }
        Ok(())
    }

    fn check_transition(
        &mut self,
        action: &Action,
        result: &Option<TxResult>,
        before: &Snapshot,
        after: &Snapshot,
    ) -> Check {
        let succeeded = matches!(result, Some(Ok(())));
        // A vault is never a user's token account; the caller never chooses a price.
        if succeeded {
            match action {
                Action::VaultAsAccount { .. } => {
                    return Err(violation(
                        "vault-accepted",
                        format!("{action}: a reserve vault was accepted as a user's account"),
                    ));
                }
                Action::OlderPullUpdate { .. } => {
                    return Err(violation(
                        "chosen-price",
                        format!("{action}: a price update of the caller's choosing was used"),
                    ));
                }
                _ => {}
            }
        }
        let mut socialized_or_covered = false;
        for asset in 0..before.reserves.len() {
            let (b, a) = (&before.reserves[asset], &after.reserves[asset]);
            let name = crate::actions::ASSET_NAMES[asset];
            self.count(6);
            if a.borrow_index < b.borrow_index || a.last_accrual_ts < b.last_accrual_ts {
                return Err(violation(
                    "monotone-index",
                    format!(
                        "{action}: {name} index {} -> {}",
                        b.borrow_index, a.borrow_index
                    ),
                ));
            }
            for (x, y, what) in [
                (
                    b.cumulative_interest_wad,
                    a.cumulative_interest_wad,
                    "interest",
                ),
                (
                    b.cumulative_protocol_fees_wad,
                    a.cumulative_protocol_fees_wad,
                    "fees",
                ),
                (
                    b.cumulative_insurance_wad,
                    a.cumulative_insurance_wad,
                    "insurance",
                ),
                (
                    b.cumulative_socialized_wad,
                    a.cumulative_socialized_wad,
                    "socialized",
                ),
                (
                    b.cumulative_fund_covered_wad,
                    a.cumulative_fund_covered_wad,
                    "covered",
                ),
            ] {
                if y < x {
                    return Err(violation(
                        "monotone-cumulative",
                        format!("{action}: {name} cumulative {what} fell"),
                    ));
                }
            }
            // Interest splits exactly by the factors in force when it accrued.
            let interest = a.cumulative_interest_wad - b.cumulative_interest_wad;
            let fees = a.cumulative_protocol_fees_wad - b.cumulative_protocol_fees_wad;
            let insurance = a.cumulative_insurance_wad - b.cumulative_insurance_wad;
            let expected_fees = ballast::math::fixed::mul_div_floor(
                interest,
                u128::from(b.config.reserve_factor_bps),
                u128::from(BPS),
            )
            .unwrap_or(u128::MAX);
            let expected_insurance = ballast::math::fixed::mul_div_floor(
                interest,
                u128::from(b.config.insurance_factor_bps),
                u128::from(BPS),
            )
            .unwrap_or(u128::MAX);
            if fees != expected_fees || insurance != expected_insurance {
                return Err(violation(
                    "interest-split",
                    format!("{action}: {name} interest {interest}: fees {fees} (expected {expected_fees}), insurance {insurance} (expected {expected_insurance})"),
                ));
            }
            let socialized = a.cumulative_socialized_wad - b.cumulative_socialized_wad;
            let covered = a.cumulative_fund_covered_wad - b.cumulative_fund_covered_wad;
            if socialized > 0 || covered > 0 {
                socialized_or_covered = true;
                self.tally.write_offs += 1;
                // No write-off changes a reserve while liquidations are paused on it or on the
                // market, whichever path (liquidation or realize_bad_debt) it comes from.
                if (b.pause_flags | before.market.pause_flags) & ballast::state::PAUSE_LIQUIDATE
                    != 0
                {
                    return Err(violation(
                        "paused-write-off",
                        format!("{action}: {name} wrote off bad debt with liquidations paused"),
                    ));
                }
                // Socialization touches only a reserve whose debt was written off.
                if a.total_scaled_debt >= b.total_scaled_debt {
                    return Err(violation(
                        "socialization-scope",
                        format!("{action}: {name} lost {socialized} without a write-off"),
                    ));
                }
            }
            // The share value never falls, except by a socialized loss and then by at most it.
            let value = |r: &Reserve| {
                BigInt::from(r.supply_assets_wad().unwrap_or(0))
                    + BigInt::from(VIRTUAL_ASSETS * WAD)
            };
            let shares = |r: &Reserve| BigInt::from(r.total_shares) + BigInt::from(VIRTUAL_SHARES);
            let drop = value(b) * shares(a) - value(a) * shares(b);
            // The loss is spread over the shares left after the step: a liquidation that
            // realizes bad debt first burns the seized (and dust) shares at the pre-loss price,
            // so the bound per share is `socialized / min(shares before, shares after)`.
            let allowed = if socialized > 0 {
                BigInt::from(socialized + WAD) * shares(a).max(shares(b))
            } else {
                BigInt::from(0)
            };
            if drop > allowed {
                return Err(violation(
                    "share-value",
                    format!(
                        "{action}: {name} share value fell (socialized {socialized}): {} -> {}",
                        b.share_value_wad().unwrap_or(0),
                        a.share_value_wad().unwrap_or(0)
                    ),
                ));
            }
            // The fund moves only by insurance sweeps, contributions and bad-debt coverage.
            let fund_delta = i128::from(a.fund_balance) - i128::from(b.fund_balance);
            let contributions = a.cumulative_fund_contributions - b.cumulative_fund_contributions;
            let is_sweep = matches!(action, Action::CollectFees { asset: x } if *x == asset);
            let is_funding = matches!(action, Action::FundReserve { asset: x, .. } if *x == asset);
            if fund_delta > 0 && !is_sweep && !is_funding {
                return Err(violation(
                    "fund-flow",
                    format!("{action}: {name} fund grew by {fund_delta}"),
                ));
            }
            if fund_delta < 0 && covered == 0 {
                return Err(violation(
                    "fund-flow",
                    format!("{action}: {name} fund fell by {fund_delta} without covering bad debt"),
                ));
            }
            if is_funding
                && succeeded
                && (fund_delta != contributions as i128 || contributions == 0)
            {
                return Err(violation(
                    "fund-flow",
                    format!(
                        "{action}: {name} contribution {contributions} but fund moved {fund_delta}"
                    ),
                ));
            }
            // Written off == covered + socialized, exactly (realization: every reserve;
            // liquidation: every reserve but the repaid one, whose debt also moved by the repayment).
            let repaid_here = matches!(action, Action::Liquidate { repay, .. } if *repay == asset);
            if (socialized > 0 || covered > 0) && !repaid_here {
                let floor = |scaled: u128| {
                    ballast::math::shares::debt_wad_floor(scaled, a.borrow_index).unwrap_or(0)
                };
                let written_off = floor(b.total_scaled_debt) - floor(a.total_scaled_debt);
                if written_off != socialized + covered {
                    return Err(violation(
                        "bad-debt-split",
                        format!("{action}: {name} written off {written_off} != covered {covered} + socialized {socialized}"),
                    ));
                }
            }
        }

        // An action on one obligation changes no other obligation.
        let allowed: Vec<usize> = match *action {
            Action::Deposit { user, .. }
            | Action::Withdraw { user, .. }
            | Action::Borrow { user, .. }
            | Action::SetCollateral { user, .. }
            | Action::SetEmode { user, .. }
            | Action::DustDeposit { user, .. }
            | Action::DustLoan { user, .. } => vec![user],
            Action::Repay { target, .. } | Action::RealizeBadDebt { target, .. } => vec![target],
            // Inside a flash loan: a deposit or a borrow changes the borrower's obligation, a
            // liquidation (paid in tokens) its target's; nothing else changes any.
            Action::Flash {
                user, inner: 1 | 4, ..
            } => vec![user],
            Action::Flash {
                target, inner: 3, ..
            } => vec![target],
            Action::Liquidate {
                liquidator,
                target,
                receive_shares,
                ..
            } => {
                if receive_shares {
                    vec![target, liquidator]
                } else {
                    vec![target]
                }
            }
            _ => vec![],
        };
        for user in 0..self.users.len() {
            self.count(1);
            let changed = before.obligations[user].deposits != after.obligations[user].deposits
                || before.obligations[user].borrows != after.obligations[user].borrows;
            if changed && !allowed.contains(&user) {
                return Err(violation(
                    "other-obligation",
                    format!("{action}: changed {}'s obligation", ACTORS[user]),
                ));
            }
        }

        let (Some(reserves_before), Some(reserves_after)) =
            (Self::projected(before), Self::projected(after))
        else {
            return Ok(());
        };

        // With prices fixed and no time passing, healthy obligations stay healthy; deposit and
        // repay never lower health.
        if !action.moves_the_world()
            && !matches!(action, Action::Liquidate { .. })
            && !socialized_or_covered
        {
            for user in 0..self.users.len() {
                let (Some(hb), Some(ha)) = (
                    self.health(&reserves_before, &before.obligations[user]),
                    self.health(&reserves_after, &after.obligations[user]),
                ) else {
                    continue;
                };
                self.count(1);
                if !hb.is_liquidatable() && ha.is_liquidatable() {
                    return Err(violation(
                        "healthy-stays-healthy",
                        format!("{action}: {} became liquidatable", ACTORS[user]),
                    ));
                }
                let target = match *action {
                    Action::Deposit { user, .. } => Some(user),
                    Action::Repay { target, .. } => Some(target),
                    _ => None,
                };
                if target == Some(user) && succeeded {
                    self.count(1);
                    if ha.health_factor_wad().unwrap_or(0) < hb.health_factor_wad().unwrap_or(0) {
                        return Err(violation(
                            "deposit-repay-health",
                            format!("{action}: health fell"),
                        ));
                    }
                }
            }
        }

        if succeeded {
            match *action {
                Action::Liquidate {
                    liquidator,
                    target,
                    repay,
                    collateral,
                    receive_shares,
                    ..
                } => {
                    self.check_liquidation(
                        action,
                        before,
                        after,
                        &reserves_before,
                        &reserves_after,
                        (liquidator, target, repay, collateral, receive_shares),
                    )?;
                }
                Action::RealizeBadDebt { target, .. } => {
                    self.count(1);
                    let totals = self.health(&reserves_before, &before.obligations[target]);
                    if let Some(totals) = totals {
                        if !before
                            .market
                            .liquidation
                            .holds_no_collateral_of_value(&totals)
                        {
                            return Err(violation(
                                "realize-solvent",
                                format!(
                                    "{action}: realized with collateral {} against debt {}",
                                    totals.collateral_value, totals.debt_value
                                ),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }

        // The attacker's own instructions never gain it value at fixed prices and time, beyond
        // one unit of rounding per position (bad-debt realization and liquidating others are
        // the protocol working as designed, not gains from rounding).
        if let Some(signer) = action.signer() {
            let liquidates_other =
                matches!(action, Action::Liquidate { target, .. } if !ATTACKERS.contains(target));
            if ATTACKERS.contains(&signer) && !liquidates_other && !socialized_or_covered {
                if let (Some(vb), Some(va)) = (
                    self.attacker_value(before, &reserves_before),
                    self.attacker_value(after, &reserves_after),
                ) {
                    self.count(1);
                    let tolerance: u128 = (0..3).map(|asset| self.unit_value(asset, 4)).sum();
                    let gain = va - vb;
                    if gain > tolerance as i128 {
                        return Err(violation(
                            "attacker-profit",
                            format!("{action}: attacker gained {gain} (WAD USD)"),
                        ));
                    }
                    if gain > 0 {
                        self.attacker_rounding_gain += gain;
                    }
                }
            }
        }
        Ok(())
    }

    fn check_liquidation(
        &mut self,
        action: &Action,
        before: &Snapshot,
        after: &Snapshot,
        reserves_before: &[Reserve],
        reserves_after: &[Reserve],
        (liquidator, target, repay, collateral, receive_shares): (usize, usize, usize, usize, bool),
    ) -> Check {
        self.count(8);
        if liquidator == target {
            return Err(violation("self-liquidation", format!("{action}")));
        }
        let Some(hb) = self.health(reserves_before, &before.obligations[target]) else {
            return Ok(());
        };
        if !hb.is_liquidatable() {
            return Err(violation(
                "liquidated-healthy",
                format!("{action}: health {}", hb.health_factor_wad().unwrap_or(0)),
            ));
        }
        let repaid = before.tokens[liquidator][repay] - after.tokens[liquidator][repay];
        if after.vaults[repay] - before.vaults[repay] != repaid {
            return Err(violation(
                "liquidation-tokens",
                format!("{action}: repay vault moved differently from the liquidator"),
            ));
        }
        let out = if receive_shares {
            let key = self.h.assets[collateral].keys.reserve;
            let shares_before = before.obligations[liquidator]
                .deposit(&key)
                .map_or(0, |d| d.shares);
            let shares_after = after.obligations[liquidator]
                .deposit(&key)
                .map_or(0, |d| d.shares);
            reserves_after[collateral]
                .tokens_for_shares(shares_after - shares_before)
                .unwrap_or(0)
        } else {
            let out = after.tokens[liquidator][collateral] - before.tokens[liquidator][collateral];
            if before.vaults[collateral] - after.vaults[collateral] != out {
                return Err(violation(
                    "liquidation-tokens",
                    format!("{action}: collateral vault moved differently from the liquidator"),
                ));
            }
            out
        };
        let key = self.h.assets[collateral].keys.reserve;
        let removed_shares = before.obligations[target]
            .deposit(&key)
            .map_or(0, |d| d.shares)
            - after.obligations[target]
                .deposit(&key)
                .map_or(0, |d| d.shares);
        let seized = reserves_before[collateral]
            .tokens_for_shares(removed_shares)
            .unwrap_or(0);
        let price = |asset: usize| spot(&self.h.assets[asset].feed).expect("priced");
        let decimals = |asset: usize| self.h.assets[asset].spec.decimals;
        let repaid_value =
            value_wad_floor(u128::from(repaid), decimals(repay), price(repay)).unwrap_or(0);
        let out_value =
            value_wad_floor(u128::from(out), decimals(collateral), price(collateral)).unwrap_or(0);
        let seized_value =
            value_wad_floor(u128::from(seized), decimals(collateral), price(collateral))
                .unwrap_or(0);
        let unit_repay = self.unit_value(repay, 1);
        let unit_collateral = self.unit_value(collateral, 1);
        let config = &before.reserves[collateral].config;
        let max_bonus = u128::from(config.max_liquidation_bonus_bps);
        let bps = u128::from(BPS);
        let wrote_off = (0..3).any(|asset| {
            after.reserves[asset].cumulative_socialized_wad
                + after.reserves[asset].cumulative_fund_covered_wad
                > before.reserves[asset].cumulative_socialized_wad
                    + before.reserves[asset].cumulative_fund_covered_wad
        });
        // repaid value ≤ seized value ≤ repaid value × (1 + bonus) + one unit.
        if seized_value
            .saturating_add(unit_repay)
            .saturating_add(unit_collateral)
            < repaid_value
        {
            return Err(violation(
                "liquidation-value",
                format!("{action}: seized {seized_value} < repaid {repaid_value}"),
            ));
        }
        if BigInt::from(out_value) * bps
            > (BigInt::from(repaid_value) + unit_repay) * (bps + max_bonus)
                + BigInt::from(unit_collateral) * bps
        {
            return Err(violation(
                "liquidation-bonus",
                format!("{action}: liquidator got {out_value} for {repaid_value}"),
            ));
        }
        // The close factor, unless the dust rule took the whole position.
        let settings = before.market.liquidation.settings();
        let health_before = hb.health_factor_wad().unwrap_or(0);
        let cap = max_repay_value(&settings, health_before, hb.debt_value).unwrap_or(u128::MAX);
        let repay_key = self.h.assets[repay].keys.reserve;
        let closed = after.obligations[target].borrow(&repay_key).is_none()
            || after.obligations[target].deposit(&key).is_none();
        if repaid_value > cap + unit_repay && !closed {
            return Err(violation(
                "close-factor",
                format!("{action}: repaid {repaid_value} over the cap {cap}"),
            ));
        }
        // A liquidation that leaves both touched positions open raises health; one that closes
        // a position may lower it (below the buffer no liquidation can raise it).
        if !wrote_off && !closed {
            if let Some(ha) = self.health(reserves_after, &after.obligations[target]) {
                if ha.debt_value > 0 && ha.health_factor_wad().unwrap_or(0) < health_before {
                    return Err(violation(
                        "health-not-improved",
                        format!(
                            "{action}: {} -> {}",
                            health_before,
                            ha.health_factor_wad().unwrap_or(0)
                        ),
                    ));
                }
            }
        }
        // A solvent obligation is never pushed into bad debt: the bonus is paid out of the
        // borrower's surplus, never by depositors (a few base units of rounding aside).
        let tolerance: u128 = (0..3).map(|asset| self.unit_value(asset, 4)).sum();
        if wrote_off && hb.collateral_value >= hb.debt_value.saturating_add(tolerance) {
            return Err(violation(
                "solvent-written-off",
                format!(
                    "{action}: bad debt from a solvent obligation (collateral {} ≥ debt {})",
                    hb.collateral_value, hb.debt_value
                ),
            ));
        }
        Ok(())
    }

    /// Liveness at the end of a sequence: with every oracle broken and everything unpaused by
    /// the admin, every borrower repays in full, fees are swept, and every depositor withdraws
    /// all of it (solvency: the books must pay everyone once debt is back).
    pub async fn wind_down(&mut self) -> Check {
        let admin = self.h.admin.insecure_clone();
        let unpause = self
            .h
            .update_market(&admin, MarketUpdate::SetPauseFlags { pause_flags: 0 })
            .await;
        if let Err(error) = unpause {
            return Err(violation(
                "liveness",
                format!("admin unpause failed: {error:?}"),
            ));
        }
        for asset in 0..self.h.assets.len() {
            if let Err(error) = self
                .h
                .update_reserve(&admin, asset, ReserveUpdate::PauseFlags(0))
                .await
            {
                return Err(violation(
                    "liveness",
                    format!("admin unpause failed: {error:?}"),
                ));
            }
            let oracle = self.h.assets[asset].keys.oracle;
            self.h
                .write_account(&oracle, &anchor_lang::system_program::ID, vec![0xde; 16]);
        }
        for user in 0..self.users.len() {
            self.fresh_blockhash().await;
            let snap = self.snapshot().await;
            let reserves = Self::projected(&snap);
            let borrows: Vec<_> = snap.obligations[user].active_borrows().copied().collect();
            // Debt grown past what a token can even count (u64 base units, after years of
            // unliquidated interest) cannot be repaid in one transfer: a documented limit.
            let countable = reserves.as_ref().is_some_and(|r| {
                r.iter().all(|reserve| {
                    reserve.debt_wad().is_ok_and(|debt| debt / WAD < 1 << 61)
                        && reserve
                            .supply_assets_wad()
                            .is_ok_and(|assets| assets / WAD < 1 << 61)
                })
            });
            if !countable {
                self.beyond_u64 = true;
                return Ok(());
            }
            for borrow in borrows {
                let asset = self.reserve_index(&borrow.reserve);
                let owed = reserves
                    .as_ref()
                    .and_then(|r| r[asset].owed_tokens(borrow.scaled_debt).ok())
                    .map_or(1 << 60, saturate_u64);
                let account = self.users[user].tokens[asset];
                self.h
                    .mint_to(asset, &account, owed.saturating_add(10))
                    .await;
                let obligation = self.users[user].obligation;
                self.count(1);
                if let Err(error) = self
                    .h
                    .repay(&self.users[user], &obligation, asset, u64::MAX)
                    .await
                {
                    return Err(violation(
                        "liveness-repay",
                        format!(
                            "{} cannot repay {owed} {}: {error:?}",
                            ACTORS[user],
                            crate::actions::ASSET_NAMES[asset]
                        ),
                    ));
                }
            }
        }
        for asset in 0..self.h.assets.len() {
            self.count(1);
            if let Err(error) = self.h.collect_fees(asset).await {
                return Err(violation(
                    "liveness-sweep",
                    format!("collect_fees {asset}: {error:?}"),
                ));
            }
        }
        for user in 0..self.users.len() {
            self.fresh_blockhash().await;
            let snap = self.snapshot().await;
            let deposits: Vec<_> = snap.obligations[user].active_deposits().copied().collect();
            for deposit in deposits {
                let asset = self.reserve_index(&deposit.reserve);
                let worth = snap.reserves[asset]
                    .tokens_for_shares(deposit.shares)
                    .unwrap_or(0);
                self.count(1);
                let result = self.h.withdraw(&self.users[user], asset, u64::MAX).await;
                let fine =
                    result.is_ok() || (worth == 0 && is_error(&result, BallastError::ZeroAmount));
                if !fine {
                    return Err(violation(
                        "liveness-withdraw",
                        format!(
                            "{} cannot withdraw {worth} {} (available {}): {result:?}",
                            ACTORS[user],
                            crate::actions::ASSET_NAMES[asset],
                            snap.reserves[asset].available_liquidity
                        ),
                    ));
                }
            }
        }
        let snap = self.snapshot().await;
        self.check_books(&snap)
    }
}

fn self_health(h: &Harness, reserves: &[Reserve], obligation: &Obligation) -> Option<HealthTotals> {
    let mut totals = HealthTotals::default();
    let index = |key: &Pubkey| h.assets.iter().position(|a| a.keys.reserve == *key);
    for deposit in obligation
        .active_deposits()
        .filter(|d| d.collateral_enabled)
    {
        let i = index(&deposit.reserve)?;
        let tokens = reserves[i].tokens_for_shares(deposit.shares).ok()?;
        let value = value_wad_floor(
            u128::from(tokens),
            reserves[i].decimals,
            spot(&h.assets[i].feed)?,
        )
        .ok()?;
        let params = params(obligation, &reserves[i].config);
        totals
            .add_collateral(
                value,
                u64::from(params.ltv_bps),
                u64::from(params.liquidation_threshold_bps),
            )
            .ok()?;
    }
    for borrow in obligation.active_borrows() {
        let i = index(&borrow.reserve)?;
        let owed = reserves[i].owed_tokens(borrow.scaled_debt).ok()?;
        totals
            .add_debt(value_wad_ceil(owed, reserves[i].decimals, spot(&h.assets[i].feed)?).ok()?)
            .ok()?;
    }
    Some(totals)
}

/// `value` as a `u64` amount, `u64::MAX` beyond.
fn saturate_u64(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

fn scale_price(price: i64, bps: u32) -> i64 {
    (i128::from(price) * i128::from(bps) / 10_000).clamp(1, 1_000_000_000_000_000) as i64
}

/// Reserve configs within every bound of PROTOCOL.md §8 (the oracle config is kept).
pub fn config_preset(
    reserve: &Reserve,
    preset: u8,
    current: &ballast::state::ReserveConfig,
) -> ballast::state::ReserveConfig {
    let mut config = *current;
    let _ = reserve;
    match preset {
        0 => {
            config.ltv_bps = 7_500;
            config.liquidation_threshold_bps = 8_000;
            config.min_liquidation_bonus_bps = 200;
            config.max_liquidation_bonus_bps = 1_000;
            config.rate_model = ballast::state::RateModel {
                base_rate_bps: 100,
                optimal_utilization_bps: 8_000,
                slope1_bps: 400,
                slope2_bps: 7_500,
            };
            config.reserve_factor_bps = 1_000;
            config.insurance_factor_bps = 500;
            config.supply_cap = u64::MAX / 4;
            config.borrow_cap = u64::MAX / 8;
        }
        1 => {
            config.ltv_bps = 5_000;
            config.liquidation_threshold_bps = 6_000;
            config.min_liquidation_bonus_bps = 200;
            config.max_liquidation_bonus_bps = 1_500;
        }
        2 => {
            config.rate_model = ballast::state::RateModel {
                base_rate_bps: 1_000,
                optimal_utilization_bps: 9_000,
                slope1_bps: 5_000,
                slope2_bps: 30_000,
            };
        }
        3 => {
            config.rate_model = ballast::state::RateModel {
                base_rate_bps: 0,
                optimal_utilization_bps: 5_000,
                slope1_bps: 10_000,
                slope2_bps: 40_000,
            };
            config.reserve_factor_bps = 3_000;
            config.insurance_factor_bps = 2_000;
        }
        4 => {
            config.supply_cap = 1_000_000_000_000;
            config.borrow_cap = 100_000_000_000;
        }
        5 => {
            config.reserve_factor_bps = 0;
            config.insurance_factor_bps = 0;
            config.protocol_liquidation_fee_bps = 10_000;
        }
        6 => {
            // The top of the rate curve the bounds allow: 500 % a year.
            config.rate_model = ballast::state::RateModel {
                base_rate_bps: 20_000,
                optimal_utilization_bps: 5_000,
                slope1_bps: 10_000,
                slope2_bps: 20_000,
            };
        }
        _ => {
            config.ltv_bps = 8_000;
            config.liquidation_threshold_bps = 8_500;
            config.min_liquidation_bonus_bps = 500;
            config.max_liquidation_bonus_bps = 1_000;
            config.protocol_liquidation_fee_bps = 0;
        }
    }
    config
}

/// Liquidation settings within bounds.
pub fn liquidation_preset(preset: u8) -> LiquidationConfig {
    let mut config = default_liquidation_config();
    match preset {
        0 => {}
        1 => {
            // The smallest thresholds the bounds allow: 1 wei of USD each.
            config.close_factor_bps = 10_000;
            config.dust_value = 1;
            config.bad_debt_collateral_dust_value = 1;
        }
        2 => {
            config.close_factor_bps = 2_000;
            config.full_liquidation_health_bps = 9_000;
            config.dust_value = 10 * WAD;
            config.bad_debt_collateral_dust_value = WAD;
        }
        _ => {
            config.close_factor_bps = 1;
            config.full_liquidation_health_bps = 1;
            config.full_liquidation_debt_value = 0;
            config.dust_value = 1_000 * WAD;
            config.bad_debt_collateral_dust_value = ballast::state::MAX_NEGLIGIBLE_VALUE;
        }
    }
    config
}

/// Whether `amount` is what the script means by "all" (for printing only).
#[allow(dead_code)]
pub fn is_all(amount: Amount) -> bool {
    amount == Amount::All
}
