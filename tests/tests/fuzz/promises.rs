//! The two promises of PROTOCOL.md §11, asserted after every step on the state as it is, by
//! simulation: nothing is committed, so the sequence runs exactly as it would without them.
//!
//! 1. No position escapes: every obligation with debt is healthy, or a liquidation of it
//!    succeeds (the keeper's way: every repay/collateral pair, `max_repay = u64::MAX`, tokens,
//!    or shares where the collateral reserve has no free liquidity), or `realize_bad_debt`
//!    succeeds. A failure is accepted only for a reason that is genuinely outside the
//!    obligation: a price it needs fails the liquidation policy (a named reserve's, or a
//!    position worth more than the negligible value at its feed's last price, or a feed with no
//!    readable price at all), or liquidations are paused where it needs them. Any other failure
//!    is the violation `stuck`.
//! 2. No solvent position is written off: a simulated `realize_bad_debt` succeeds only where
//!    the enabled collateral is worth less than the debt at the liquidation prices.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::error::InstructionError;
use ballast::errors::BallastError;
use ballast::instructions::LiquidateArgs;
use ballast::math::value::{value_wad_ceil, value_wad_floor, Price};
use ballast::oracle::{apply_policy, PricePolicyKind, RawPrice};
use ballast::state::{Obligation, Reserve, PAUSE_LIQUIDATE};
use ballast_client as client;
use solana_sdk::transaction::TransactionError;

use crate::world::{violation, Check, Snapshot, World};

/// One simulated attempt and how it ended.
struct Attempt {
    what: String,
    result: Result<(), TransactionError>,
    /// Reserves the instruction names, whose prices must be valid.
    named: Vec<Pubkey>,
}

fn program_error(result: &Result<(), TransactionError>) -> Option<u32> {
    match result {
        Err(TransactionError::InstructionError(1, InstructionError::Custom(code))) => Some(*code),
        _ => None,
    }
}

fn is(result: &Result<(), TransactionError>, error: BallastError) -> bool {
    program_error(result) == Some(u32::from(error))
}

/// Whether a Ballast error is an oracle rejection.
fn oracle_error(code: u32) -> bool {
    let oracle =
        u32::from(BallastError::OracleStale)..=u32::from(BallastError::OracleOlderThanLastUsed);
    oracle.contains(&code)
        || code == u32::from(BallastError::UnknownOracleSource)
        || code == u32::from(BallastError::OracleTooFewResponses)
}

impl World {
    pub async fn check_promises(&mut self, snap: &Snapshot) -> Check {
        let Some(reserves) = World::projected(snap) else {
            return Ok(());
        };
        for user in 0..self.users.len() {
            let obligation = snap.obligations[user].clone();
            if !obligation.has_debt() {
                continue;
            }
            self.count(2);
            let realize = self.simulate_realize(user, &obligation).await;
            // Promise 2.
            let totals = self.health(&reserves, &obligation);
            if let Some(totals) = totals {
                if realize.result.is_ok() && !totals.is_insolvent() {
                    return Err(violation(
                        "solvent-written-off",
                        format!(
                            "{} could be written off with collateral {} ≥ debt {}",
                            crate::actions::ACTORS[user],
                            totals.collateral_value,
                            totals.debt_value
                        ),
                    ));
                }
                if realize.result.is_err() && !totals.is_insolvent() {
                    self.tally.solvent_refused += 1;
                }
            }
            // Promise 1.
            let mut attempts = vec![];
            match self
                .simulate_liquidations(user, &obligation, &mut attempts)
                .await
            {
                Some(true) => {
                    self.tally.live_liquidatable += 1;
                    continue;
                }
                Some(false) => {
                    self.tally.live_healthy += 1;
                    continue;
                }
                None => {}
            }
            if realize.result.is_ok() {
                self.tally.live_realizable += 1;
                continue;
            }
            // A write-off refused as `NotInsolvent` is only the wrong route, unless the obligation
            // holds no collateral of value (then it must go through).
            let due =
                totals.is_some_and(|t| snap.market.liquidation.holds_no_collateral_of_value(&t));
            if !is(&realize.result, BallastError::NotInsolvent) || due {
                attempts.push(realize);
            }
            if attempts.is_empty() {
                // No collateral to seize and a debt worth nothing at these prices: healthy.
                self.tally.live_healthy += 1;
                continue;
            }
            let mut waiting_for_price = false;
            let mut paused = false;
            for attempt in &attempts {
                match program_error(&attempt.result) {
                    Some(code) if oracle_error(code) => {
                        if self
                            .invalid_price(snap, &reserves, &obligation, &attempt.named)
                            .is_none()
                        {
                            return Err(violation(
                                "stuck",
                                format!(
                                    "{}: {} failed with oracle error {code} while every price it needs is valid or negligible",
                                    crate::actions::ACTORS[user],
                                    attempt.what
                                ),
                            ));
                        }
                        waiting_for_price = true;
                    }
                    Some(code) if code == u32::from(BallastError::ActionPaused) => {
                        if !self.liquidation_paused(snap, &obligation, &attempt.named) {
                            return Err(violation(
                                "stuck",
                                format!(
                                    "{}: {} failed as paused while nothing it needs is paused",
                                    crate::actions::ACTORS[user],
                                    attempt.what
                                ),
                            ));
                        }
                        paused = true;
                    }
                    _ => {
                        return Err(violation(
                            "stuck",
                            format!(
                                "{} can be neither liquidated nor written off: {} failed with {:?} (all attempts: {})",
                                crate::actions::ACTORS[user],
                                attempt.what,
                                attempt.result,
                                attempts
                                    .iter()
                                    .map(|a| format!("{} -> {:?}", a.what, a.result))
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ),
                        ));
                    }
                }
            }
            if paused {
                self.tally.live_paused += 1;
            } else if waiting_for_price {
                self.tally.live_waiting_for_price += 1;
            }
        }
        Ok(())
    }

    /// Simulates the keeper's liquidations of `user`'s obligation: `Some(true)` when one
    /// succeeds, `Some(false)` when the program finds the obligation healthy, `None` when every
    /// attempt failed otherwise (each recorded in `attempts`).
    async fn simulate_liquidations(
        &mut self,
        user: usize,
        obligation: &Obligation,
        attempts: &mut Vec<Attempt>,
    ) -> Option<bool> {
        let target = self.users[user].obligation;
        let remaining = self.h.remaining(obligation, true);
        let borrows: Vec<Pubkey> = obligation.active_borrows().map(|b| b.reserve).collect();
        let collateral: Vec<Pubkey> = obligation
            .active_deposits()
            .filter(|d| d.collateral_enabled)
            .map(|d| d.reserve)
            .collect();
        for repay in &borrows {
            for seized in &collateral {
                let (j, k) = (self.reserve_index(repay), self.reserve_index(seized));
                for receive_shares in [false, true] {
                    let args = LiquidateArgs {
                        max_repay: u64::MAX,
                        min_collateral_out: 0,
                        receive_shares,
                    };
                    let ix = self.h.liquidate_instruction(
                        &self.keeper,
                        &target,
                        j,
                        k,
                        args,
                        remaining.clone(),
                    );
                    let signer = self.keeper.keypair.insecure_clone();
                    let result = self.h.simulate(&[ix], &[&signer]).await;
                    if result.is_ok() {
                        return Some(true);
                    }
                    if is(&result, BallastError::ObligationHealthy) {
                        return Some(false);
                    }
                    if !receive_shares && is(&result, BallastError::InsufficientLiquidity) {
                        continue;
                    }
                    attempts.push(Attempt {
                        what: format!(
                            "liquidate(repay {}, seize {}{})",
                            crate::actions::ASSET_NAMES[j],
                            crate::actions::ASSET_NAMES[k],
                            if receive_shares { ", shares" } else { "" }
                        ),
                        result,
                        named: vec![*repay, *seized],
                    });
                    break;
                }
            }
        }
        // Nothing seizable (or every attempt failed): only a write-off can clear it.
        None
    }

    async fn simulate_realize(&mut self, user: usize, obligation: &Obligation) -> Attempt {
        let target = self.users[user].obligation;
        let remaining = self.h.remaining(obligation, true);
        let ix =
            client::realize_bad_debt(&self.keeper.pubkey(), &self.h.market, &target, remaining);
        let signer = self.keeper.keypair.insecure_clone();
        Attempt {
            what: "realize_bad_debt".into(),
            result: self.h.simulate(&[ix], &[&signer]).await,
            named: vec![],
        }
    }

    /// The reason a price `obligation` needs is genuinely invalid for an instruction naming
    /// `named`, by the program's own policy code on the published feeds: a named reserve's
    /// price fails, or an unnamed position's fails and is not negligible (or shows no price).
    fn invalid_price(
        &self,
        snap: &Snapshot,
        reserves: &[Reserve],
        obligation: &Obligation,
        named: &[Pubkey],
    ) -> Option<String> {
        let negligible = snap.market.liquidation.bad_debt_collateral_dust_value;
        for key in obligation.position_reserves() {
            let index = self.reserve_index(&key);
            let reserve = &reserves[index];
            let deposit = obligation.deposit(&key).filter(|d| d.collateral_enabled);
            let borrow = obligation.borrow(&key);
            if deposit.is_none() && borrow.is_none() {
                continue;
            }
            // The primary's update, then the fallback's where the reserve has one: the price is
            // valid when either passes the liquidation policy and is not older than the last
            // price the reserve used (a disagreement between the two still liquidates).
            let asset = &self.h.assets[index];
            let primary = (
                asset.feed,
                &reserve.config.oracle,
                asset.spec.pull_oracle || asset.feed.status == 1,
                None,
            );
            let fallback = asset.fallback.map(|f| {
                (
                    f.feed,
                    &reserve.config.fallback_oracle,
                    true,
                    Some(f.feed.responses),
                )
            });
            let valid = std::iter::once(primary).chain(fallback).any(
                |(feed, config, trading, responses)| {
                    let raw = RawPrice {
                        price: feed.price,
                        conf: feed.conf,
                        ema_price: feed.ema_price,
                        expo: feed.expo,
                        publish_time: feed.publish_time,
                        trading,
                        responses,
                    };
                    apply_policy(&raw, config, PricePolicyKind::Liquidation, snap.now)
                        .is_ok_and(|price| price.publish_time >= reserve.last_oracle_publish_time)
                },
            );
            if valid {
                continue;
            }
            let name = crate::actions::ASSET_NAMES[index];
            if named.contains(&key) {
                return Some(format!("{name}'s price, named by the instruction"));
            }
            // The last price that tells a position negligible: the primary's when usable, else
            // the fallback's (`oracle::read_last_price`).
            let usable = |feed: &ballast_bank::pyth::Feed| {
                feed.price > 0
                    && (ballast::oracle::MIN_EXPONENT..=ballast::oracle::MAX_EXPONENT)
                        .contains(&feed.expo)
            };
            let Some(feed) = std::iter::once(asset.feed)
                .chain(asset.fallback.map(|f| f.feed))
                .find(usable)
            else {
                return Some(format!("{name}'s feed shows no usable price"));
            };
            let price = Price {
                mantissa: feed.price as u64,
                expo: feed.expo,
            };
            let mut value = 0u128;
            if let Some(deposit) = deposit {
                let tokens = reserve
                    .tokens_for_shares(deposit.shares)
                    .unwrap_or(u64::MAX);
                value = value.saturating_add(
                    value_wad_floor(u128::from(tokens), reserve.decimals, price)
                        .unwrap_or(u128::MAX),
                );
            }
            if let Some(borrow) = borrow {
                let owed = reserve.owed_tokens(borrow.scaled_debt).unwrap_or(u128::MAX);
                value = value.saturating_add(
                    value_wad_ceil(owed, reserve.decimals, price).unwrap_or(u128::MAX),
                );
            }
            if value > negligible {
                return Some(format!("{name}'s price, for a position worth {value}"));
            }
        }
        None
    }

    /// Whether liquidations are paused where an instruction naming `named` needs them: the
    /// market, a named reserve, or (a write-off changes them all) any reserve of the obligation.
    fn liquidation_paused(
        &self,
        snap: &Snapshot,
        obligation: &Obligation,
        named: &[Pubkey],
    ) -> bool {
        if snap.market.pause_flags & PAUSE_LIQUIDATE != 0 {
            return true;
        }
        let paused = |key: &Pubkey| {
            snap.reserves[self.reserve_index(key)].pause_flags & PAUSE_LIQUIDATE != 0
        };
        if named.is_empty() {
            obligation.position_reserves().iter().any(paused)
        } else {
            named.iter().any(paused)
        }
    }
}
