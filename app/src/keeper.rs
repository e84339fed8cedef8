//! The reference liquidation keeper.
//!
//! One pass: load the market, its reserves and every obligation; value each with the program's
//! own code under the liquidation price policy, interest projected to now; for each unhealthy
//! one (worst first), re-read it, choose the repay/collateral pair that recovers the most, size
//! it with the program's own sizing (close factor, bonus, dust rule) capped by the keeper's
//! inventory, set the slippage floor from the prices used, simulate, send, and repeat until the
//! obligation is healthy or cleared. An obligation left with debt and no collateral of value
//! has its bad debt realized. Healthy obligations are never touched; an obligation that failed
//! is skipped for a growing number of passes.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anyhow::Context as _;
use ballast::errors::BallastError;
use ballast::instructions::LiquidateArgs;
use ballast::math::health::HealthTotals;
use ballast::math::liquidation::size_liquidation;
use ballast::math::value::value_wad_floor;
use ballast::math::BPS;
use ballast::oracle::PricePolicyKind;
use ballast::state::Obligation;
use ballast::valuation::Valuation;
use ballast_client::{self as client, plans, ReserveKeys};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::Signer;

use ballast_client::chain::{ata, token_amount, AddressLookupTableAccount, Chain, ChainError};
use ballast_client::view::{decode, MarketView, OBLIGATION_LEN};

/// How the keeper behaves.
#[derive(Debug, Clone)]
pub struct KeeperConfig {
    pub market: Pubkey,
    /// Plan and log, send nothing.
    pub dry_run: bool,
    /// Priority fee (micro-lamports per compute unit).
    pub priority_fee_micro_lamports: u64,
    /// Compute-unit limit requested per transaction.
    pub compute_unit_limit: u32,
    /// Tolerance below the expected collateral for `min_collateral_out` (interest and rounding
    /// between the read and the execution).
    pub slippage_bps: u64,
    /// Most liquidations of one obligation per pass.
    pub max_rounds: usize,
    /// Show a progress bar while scanning.
    pub progress: bool,
    /// Liquidate with flash loans (no inventory of the debt token needed): see
    /// `plans::flash_liquidation`.
    pub flash: bool,
    /// When flash liquidations go through the keeper's lookup table (v0 transactions).
    pub lookup_table: LookupTables,
}

/// When the keeper sends v0 transactions through its lookup table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LookupTables {
    /// Only for transactions that do not fit a legacy one (1 232 bytes, 64 accounts): the
    /// others go out as legacy transactions, simulated first.
    #[default]
    WhenNeeded,
    /// Every flash liquidation (the table is created on the first).
    Always,
}

impl KeeperConfig {
    /// Defaults for `market`.
    pub fn new(market: Pubkey) -> KeeperConfig {
        KeeperConfig {
            market,
            dry_run: false,
            priority_fee_micro_lamports: 10_000,
            compute_unit_limit: 400_000,
            slippage_bps: 50,
            max_rounds: 8,
            progress: false,
            flash: false,
            lookup_table: LookupTables::WhenNeeded,
        }
    }
}

/// What the keeper did to one obligation.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// One liquidation transaction.
    Liquidated {
        obligation: String,
        repay_reserve: String,
        collateral_reserve: String,
        repaid: u64,
        seized: u64,
        bonus_bps: u64,
        as_shares: bool,
        health_before: f64,
        health_after: f64,
        /// The liquidation took the last collateral and the program realized the bad debt.
        bad_debt_realized: bool,
    },
    /// `realize_bad_debt` on an obligation with debt and no collateral of value.
    BadDebtRealized { obligation: String, debt_usd: f64 },
    /// Dry run: what would be sent.
    WouldLiquidate {
        obligation: String,
        repay_reserve: String,
        collateral_reserve: String,
        max_repay: u64,
        min_collateral_out: u64,
        health: f64,
    },
    /// Dry run: bad debt that would be realized.
    WouldRealizeBadDebt { obligation: String, debt_usd: f64 },
    /// Unhealthy when scanned, healthy (or cleared) when re-read or simulated: left alone.
    SkippedHealthy { obligation: String },
    /// `--flash`: the loop cannot close in the keeper's obligation (it holds the debt reserve as
    /// a deposit or the collateral reserve as a debt, which one obligation may not mix): left
    /// to a keeper with inventory.
    SkippedFlash { obligation: String, reason: String },
    /// A failure; the obligation backs off.
    Failed { obligation: String, error: String },
}

/// Figures of one pass.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PassSummary {
    pub scanned: usize,
    pub with_debt: usize,
    pub unhealthy: usize,
    /// Obligations with at least one liquidation sent.
    pub liquidated: usize,
    /// Liquidation transactions sent.
    pub liquidations: usize,
    /// Obligations whose bad debt was realized (by `realize_bad_debt` or by the liquidation
    /// that took their last collateral).
    pub bad_debt_realized: usize,
    pub skipped_healthy: usize,
    /// Obligations whose prices the liquidation policy rejects (stale, wide, …) right now.
    pub unpriceable: usize,
    pub failed: usize,
    pub backed_off: usize,
    /// The largest flash-liquidation transaction sent: (bytes, account keys in its message,
    /// of which resolved through the lookup table).
    pub largest_flash_transaction: Option<(usize, usize, usize)>,
    pub elapsed_ms: u128,
    pub actions: Vec<Action>,
}

/// An unhealthy obligation found by a scan.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub key: Pubkey,
    pub health_wad: u128,
}

/// A sized liquidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationPlan {
    pub repay_reserve: Pubkey,
    pub collateral_reserve: Pubkey,
    pub max_repay: u64,
    pub min_collateral_out: u64,
    pub receive_shares: bool,
    pub expected_repay: u64,
    pub expected_collateral_out: u64,
    pub bonus_bps: u64,
    pub health_wad: u128,
}

/// Chooses the liquidation of `obligation` that repays the most debt value, sized exactly as
/// the program sizes it. `inventory` maps mints to the tokens the liquidator can pay (`None`:
/// unlimited, for dry runs).
pub fn plan_liquidation(
    view: &MarketView,
    valuation: &Valuation,
    totals: &HealthTotals,
    obligation: &Obligation,
    inventory: Option<&BTreeMap<Pubkey, u64>>,
    slippage_bps: u64,
) -> Option<LiquidationPlan> {
    let health_wad = totals.health_factor_wad().ok()?;
    let settings = view.market.liquidation.settings();
    let mut best: Option<(u128, LiquidationPlan)> = None;
    for borrow in obligation.active_borrows() {
        let debt = valuation.get(&borrow.reserve).ok()?;
        let debt_price = debt.price?;
        let max_repay = match inventory {
            Some(inventory) => *inventory.get(&debt.reserve.mint).unwrap_or(&0),
            None => u64::MAX,
        };
        if max_repay == 0 {
            continue;
        }
        for deposit in obligation
            .active_deposits()
            .filter(|d| d.collateral_enabled)
        {
            let Ok(request) = valuation.liquidation_request(
                obligation,
                totals,
                &borrow.reserve,
                &deposit.reserve,
                max_repay,
            ) else {
                continue;
            };
            let collateral = valuation.get(&deposit.reserve).ok()?;
            let Ok(outcome) = size_liquidation(&settings, &request) else {
                continue;
            };
            let recovered = value_wad_floor(
                u128::from(outcome.repay_tokens),
                debt.reserve.decimals,
                debt_price.debt,
            )
            .ok()?;
            // What the liquidator ends with; a seizure beyond one token transfer can only be
            // taken as shares, which the program values (saturating) at `u64::MAX` tokens.
            let out = outcome.seize_tokens - outcome.fee_tokens;
            let out_u64 = u64::try_from(out).unwrap_or(u64::MAX);
            let plan = LiquidationPlan {
                repay_reserve: borrow.reserve,
                collateral_reserve: deposit.reserve,
                max_repay,
                min_collateral_out: u64::try_from(
                    u128::from(out_u64) * u128::from(BPS.saturating_sub(slippage_bps))
                        / u128::from(BPS),
                )
                .ok()?,
                receive_shares: u128::from(collateral.reserve.available_liquidity) < out,
                expected_repay: outcome.repay_tokens,
                expected_collateral_out: out_u64,
                bonus_bps: outcome.bonus_bps,
                health_wad,
            };
            if best.as_ref().is_none_or(|(score, _)| recovered > *score) {
                best = Some((recovered, plan));
            }
        }
    }
    best.map(|(_, plan)| plan)
}

/// Σ (covered + socialized) bad debt of `reserves`, as stored in the view.
fn written_off(view: &MarketView, reserves: &[Pubkey]) -> u128 {
    reserves
        .iter()
        .filter_map(|key| view.reserves.get(key))
        .map(|e| e.reserve.cumulative_fund_covered_wad + e.reserve.cumulative_socialized_wad)
        .sum()
}

fn health_f64(health_wad: u128) -> f64 {
    if health_wad == u128::MAX {
        f64::INFINITY
    } else {
        health_wad as f64 / ballast::math::WAD as f64
    }
}

struct Backoff {
    failures: u32,
    until_pass: u64,
}

/// The keeper: configuration and per-obligation backoff across passes.
pub struct Keeper {
    pub config: KeeperConfig,
    backoff: HashMap<Pubkey, Backoff>,
    pass: u64,
    /// The lookup table of the market's accounts (flash liquidations), once created.
    lookup_table: Option<AddressLookupTableAccount>,
}

impl Keeper {
    pub fn new(config: KeeperConfig) -> Keeper {
        Keeper {
            config,
            backoff: HashMap::new(),
            pass: 0,
            lookup_table: None,
        }
    }

    /// Loads everything and returns the unhealthy obligations, worst first.
    pub async fn scan<C: Chain>(
        &mut self,
        chain: &mut C,
        summary: &mut PassSummary,
    ) -> anyhow::Result<(MarketView, Vec<Candidate>)> {
        let view = MarketView::load(chain, &self.config.market).await?;
        let accounts = chain
            .program_accounts(OBLIGATION_LEN, &self.config.market)
            .await?;
        let bar = if self.config.progress {
            let bar = ProgressBar::new(accounts.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("scanning {bar:30} {pos}/{len} obligations")
                    .expect("template"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        let mut candidates = vec![];
        for (key, account) in accounts {
            bar.inc(1);
            summary.scanned += 1;
            let Ok(obligation) = decode::<Obligation>(&account) else {
                continue;
            };
            if !obligation.has_debt() {
                continue;
            }
            summary.with_debt += 1;
            match view.valuate(&obligation, PricePolicyKind::Liquidation) {
                Ok((_, totals)) if totals.is_liquidatable() => {
                    summary.unhealthy += 1;
                    if self
                        .backoff
                        .get(&key)
                        .is_some_and(|b| b.until_pass > self.pass)
                    {
                        summary.backed_off += 1;
                        continue;
                    }
                    candidates.push(Candidate {
                        key,
                        health_wad: totals.health_factor_wad().unwrap_or(0),
                    });
                }
                Ok(_) => {}
                Err(error) => {
                    summary.unpriceable += 1;
                    tracing::debug!(obligation = %key, "cannot be priced: {error}");
                }
            }
        }
        bar.finish_and_clear();
        candidates.sort_by_key(|c| (c.health_wad, c.key));
        Ok((view, candidates))
    }

    /// One pass: scan, then act on every unhealthy obligation.
    pub async fn pass<C: Chain>(&mut self, chain: &mut C) -> anyhow::Result<PassSummary> {
        let started = Instant::now();
        self.pass += 1;
        let mut summary = PassSummary::default();
        let (mut view, candidates) = self.scan(chain, &mut summary).await?;
        self.execute(chain, &mut view, &candidates, &mut summary)
            .await?;
        summary.elapsed_ms = started.elapsed().as_millis();
        tracing::info!(
            scanned = summary.scanned,
            unhealthy = summary.unhealthy,
            liquidated = summary.liquidated,
            liquidations = summary.liquidations,
            bad_debt_realized = summary.bad_debt_realized,
            unpriceable = summary.unpriceable,
            failed = summary.failed,
            ms = summary.elapsed_ms as u64,
            "pass done"
        );
        Ok(summary)
    }

    /// Acts on `candidates` (re-reading each before acting).
    pub async fn execute<C: Chain>(
        &mut self,
        chain: &mut C,
        view: &mut MarketView,
        candidates: &[Candidate],
        summary: &mut PassSummary,
    ) -> anyhow::Result<()> {
        for candidate in candidates {
            match self
                .work_obligation(chain, view, candidate.key, summary)
                .await
            {
                Ok(()) => {
                    self.backoff.remove(&candidate.key);
                }
                Err(error) => {
                    summary.failed += 1;
                    let message = format!("{error:#}");
                    tracing::warn!(obligation = %candidate.key, "failed: {message}");
                    summary.actions.push(Action::Failed {
                        obligation: candidate.key.to_string(),
                        error: message,
                    });
                    let entry = self.backoff.entry(candidate.key).or_insert(Backoff {
                        failures: 0,
                        until_pass: 0,
                    });
                    entry.failures += 1;
                    entry.until_pass = self.pass + (1u64 << entry.failures.min(6));
                }
            }
        }
        Ok(())
    }

    async fn inventory<C: Chain>(
        &self,
        chain: &mut C,
        view: &MarketView,
    ) -> anyhow::Result<BTreeMap<Pubkey, u64>> {
        let owner = chain.wallet().pubkey();
        let mints: Vec<(Pubkey, Pubkey)> = view
            .reserves
            .values()
            .map(|e| {
                (
                    e.reserve.mint,
                    ata(&owner, &e.reserve.mint, &e.reserve.token_program),
                )
            })
            .collect();
        let accounts = chain
            .accounts(&mints.iter().map(|(_, a)| *a).collect::<Vec<_>>())
            .await?;
        Ok(mints
            .iter()
            .zip(accounts)
            .map(|((mint, _), account)| (*mint, token_amount(account.as_ref())))
            .collect())
    }

    fn compute_budget(&self) -> Vec<Instruction> {
        vec![
            ComputeBudgetInstruction::set_compute_unit_limit(self.config.compute_unit_limit),
            ComputeBudgetInstruction::set_compute_unit_price(
                self.config.priority_fee_micro_lamports,
            ),
        ]
    }

    async fn work_obligation<C: Chain>(
        &mut self,
        chain: &mut C,
        view: &mut MarketView,
        key: Pubkey,
        summary: &mut PassSummary,
    ) -> anyhow::Result<()> {
        let keeper = chain.wallet().insecure_clone();
        let mut liquidated_once = false;
        for round in 0..self.config.max_rounds {
            // Re-read: the obligation, its reserves, the oracles and the clock.
            let Some(account) = chain.account(&key).await? else {
                return Ok(());
            };
            let obligation: Obligation = decode(&account)?;
            view.refresh_reserves(chain, &obligation.position_reserves())
                .await?;
            let (valuation, totals) = view
                .valuate(&obligation, PricePolicyKind::Liquidation)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if !obligation.has_debt() || !totals.is_liquidatable() {
                if round == 0 {
                    summary.skipped_healthy += 1;
                    summary.actions.push(Action::SkippedHealthy {
                        obligation: key.to_string(),
                    });
                }
                return Ok(());
            }
            let remaining = view.remaining_accounts(&obligation, true);
            if view.is_insolvent(&obligation, &valuation) {
                let debt_usd = totals.debt_value as f64 / ballast::math::WAD as f64;
                if self.config.dry_run {
                    summary.actions.push(Action::WouldRealizeBadDebt {
                        obligation: key.to_string(),
                        debt_usd,
                    });
                    return Ok(());
                }
                let mut instructions = self.compute_budget();
                instructions.push(client::realize_bad_debt(
                    &keeper.pubkey(),
                    &view.key,
                    &key,
                    remaining,
                ));
                chain
                    .simulate(&instructions, &[&keeper])
                    .await
                    .context("simulating realize_bad_debt")?;
                chain
                    .send(&instructions, &[&keeper])
                    .await
                    .context("realize_bad_debt")?;
                tracing::info!(obligation = %key, debt_usd, "bad debt realized");
                summary.bad_debt_realized += 1;
                summary.actions.push(Action::BadDebtRealized {
                    obligation: key.to_string(),
                    debt_usd,
                });
                return Ok(());
            }
            anyhow::ensure!(
                obligation.owner != keeper.pubkey(),
                "the keeper's own obligation"
            );
            // Flash liquidations need no inventory: the repayment is borrowed in the transaction.
            let inventory = if self.config.dry_run || self.config.flash {
                None
            } else {
                Some(self.inventory(chain, view).await?)
            };
            let plan = plan_liquidation(
                view,
                &valuation,
                &totals,
                &obligation,
                inventory.as_ref(),
                self.config.slippage_bps,
            )
            .context("no liquidation fits the keeper's inventory")?;
            if self.config.dry_run {
                summary.actions.push(Action::WouldLiquidate {
                    obligation: key.to_string(),
                    repay_reserve: plan.repay_reserve.to_string(),
                    collateral_reserve: plan.collateral_reserve.to_string(),
                    max_repay: plan.expected_repay,
                    min_collateral_out: plan.min_collateral_out,
                    health: health_f64(plan.health_wad),
                });
                return Ok(());
            }
            let plan = if self.config.flash {
                LiquidationPlan {
                    max_repay: plan.expected_repay,
                    receive_shares: true,
                    ..plan
                }
            } else {
                plan
            };
            let sent = if self.config.flash {
                self.flash_liquidate(chain, view, key, &obligation, &plan, summary)
                    .await?
            } else {
                self.liquidate(chain, view, key, &obligation, &plan).await?
            };
            match sent {
                Sent::Liquidated => {}
                Sent::Healthy => {
                    summary.skipped_healthy += 1;
                    summary.actions.push(Action::SkippedHealthy {
                        obligation: key.to_string(),
                    });
                    return Ok(());
                }
                Sent::Skipped(reason) => {
                    tracing::info!(obligation = %key, "flash liquidation skipped: {reason}");
                    summary.actions.push(Action::SkippedFlash {
                        obligation: key.to_string(),
                        reason,
                    });
                    return Ok(());
                }
            }
            summary.liquidations += 1;
            if !liquidated_once {
                summary.liquidated += 1;
                liquidated_once = true;
            }
            // The outcome, read back. Bad debt was realized in the same instruction when the
            // write-off totals of the obligation's reserves moved.
            let Some(account) = chain.account(&key).await? else {
                return Ok(());
            };
            let after: Obligation = decode(&account)?;
            let reserves = obligation.position_reserves();
            let written_off_before = written_off(view, &reserves);
            view.refresh_reserves(chain, &reserves).await?;
            let bad_debt_realized = written_off(view, &reserves) != written_off_before;
            let health_after = view
                .valuate(&after, PricePolicyKind::Liquidation)
                .ok()
                .and_then(|(_, t)| t.health_factor_wad().ok())
                .unwrap_or(u128::MAX);
            if bad_debt_realized {
                summary.bad_debt_realized += 1;
            }
            tracing::info!(
                obligation = %key,
                repay_reserve = %plan.repay_reserve,
                collateral_reserve = %plan.collateral_reserve,
                repaid = plan.expected_repay,
                seized = plan.expected_collateral_out,
                flash = self.config.flash,
                health_before = health_f64(plan.health_wad),
                health_after = health_f64(health_after),
                "liquidated"
            );
            summary.actions.push(Action::Liquidated {
                obligation: key.to_string(),
                repay_reserve: plan.repay_reserve.to_string(),
                collateral_reserve: plan.collateral_reserve.to_string(),
                repaid: plan.expected_repay,
                seized: plan.expected_collateral_out,
                bonus_bps: plan.bonus_bps,
                as_shares: plan.receive_shares,
                health_before: health_f64(plan.health_wad),
                health_after: health_f64(health_after),
                bad_debt_realized,
            });
            if bad_debt_realized {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Sends one liquidation paid from the keeper's inventory (simulated first).
    async fn liquidate<C: Chain>(
        &mut self,
        chain: &mut C,
        view: &MarketView,
        key: Pubkey,
        obligation: &Obligation,
        plan: &LiquidationPlan,
    ) -> anyhow::Result<Sent> {
        let keeper = chain.wallet().insecure_clone();
        let instructions = self
            .liquidation_instructions(chain, view, key, obligation, plan)
            .await?;
        if !fits_legacy(&instructions, &keeper.pubkey()).1 {
            // Too large for a legacy transaction (an obligation of many positions whose
            // reserves list fallback oracles): through the keeper's lookup table, so that no
            // obligation is out of reach for its size.
            let table = self.lookup_table(chain, view).await?;
            return match chain.send_v0(&instructions, &[&keeper], &[table]).await {
                Err(error) if error.is(BallastError::ObligationHealthy) => Ok(Sent::Healthy),
                Err(error) => Err(anyhow::Error::new(error).context("liquidate (v0)")),
                Ok(_) => Ok(Sent::Liquidated),
            };
        }
        match chain.simulate(&instructions, &[&keeper]).await {
            Err(error) if error.is(BallastError::ObligationHealthy) => return Ok(Sent::Healthy),
            Err(error) => return Err(anyhow::Error::new(error).context("simulating liquidate")),
            Ok(()) => {}
        }
        chain
            .send(&instructions, &[&keeper])
            .await
            .context("liquidate")?;
        Ok(Sent::Liquidated)
    }

    /// Sends one flash liquidation (`plans::flash_liquidation`) as a v0 transaction through
    /// the keeper's lookup table, creating the table first when there is none.
    async fn flash_liquidate<C: Chain>(
        &mut self,
        chain: &mut C,
        view: &MarketView,
        key: Pubkey,
        obligation: &Obligation,
        plan: &LiquidationPlan,
        summary: &mut PassSummary,
    ) -> anyhow::Result<Sent> {
        let keeper = chain.wallet().insecure_clone();
        let repay = crate::wallet::keys_of(view, &plan.repay_reserve)?;
        let collateral = crate::wallet::keys_of(view, &plan.collateral_reserve)?;
        let config = view.reserves[&plan.repay_reserve].reserve.config;
        let due = client::flash_repay_amount(&config, plan.expected_repay)
            .context("the flash loan's fee overflows")?;
        let own = client::obligation_address(&view.key, &keeper.pubkey(), 0);
        let (own_state, open) = match chain.account(&own).await? {
            Some(account) => (decode::<Obligation>(&account)?, false),
            None => (
                crate::stress::fresh_obligation(&view.key, &keeper.pubkey()),
                true,
            ),
        };
        if let Some(reason) = flash_conflict(view, &own_state, plan) {
            return Ok(Sent::Skipped(reason));
        }
        let mut instructions = self.compute_budget();
        instructions.extend(plans::flash_liquidation(
            &keeper.pubkey(),
            &view.key,
            &key,
            obligation,
            &repay,
            &collateral,
            LiquidateArgs {
                max_repay: plan.max_repay,
                min_collateral_out: plan.min_collateral_out,
                receive_shares: true,
            },
            plan.expected_repay,
            due,
            &own_state,
            open,
            |reserve| view.oracle_for(reserve),
        ));
        // The legacy path where the transaction fits one; the lookup table where it does not.
        let ((bytes, keys), fits) = fits_legacy(&instructions, &keeper.pubkey());
        let result = if fits && self.config.lookup_table == LookupTables::WhenNeeded {
            record_largest(summary, (bytes, keys, 0));
            match chain.simulate(&instructions, &[&keeper]).await {
                Ok(()) => chain.send(&instructions, &[&keeper]).await.map(|_| ()),
                Err(error) => Err(error),
            }
        } else {
            let table = self.lookup_table(chain, view).await?;
            let size = ballast_client::chain::v0_transaction_size(
                &instructions,
                &keeper.pubkey(),
                std::slice::from_ref(&table),
            )?;
            record_largest(summary, size);
            chain
                .send_v0(&instructions, &[&keeper], &[table])
                .await
                .map(|_| ())
        };
        match result {
            Err(error) if error.is(BallastError::ObligationHealthy) => Ok(Sent::Healthy),
            Err(error) => Err(anyhow::Error::new(error).context("flash liquidation")),
            Ok(()) => Ok(Sent::Liquidated),
        }
    }

    /// The keeper's lookup table holding the market's accounts: the market, every reserve,
    /// mint, vault, oracle and token program, the instructions sysvar, and the keeper's
    /// obligation and token accounts. Created and extended on first use.
    async fn lookup_table<C: Chain>(
        &mut self,
        chain: &mut C,
        view: &MarketView,
    ) -> anyhow::Result<AddressLookupTableAccount> {
        if let Some(table) = &self.lookup_table {
            return Ok(table.clone());
        }
        let keeper = chain.wallet().insecure_clone();
        let owner = keeper.pubkey();
        let reserves: Vec<ReserveKeys> = view
            .reserves
            .keys()
            .filter_map(|reserve| view.keys(reserve))
            .collect();
        let addresses = plans::lookup_table_addresses(&view.key, &owner, &reserves);
        let slot = ballast_client::chain::recent_slot(chain).await?;
        let (create, table) =
            ballast_client::address_lookup_table::instruction::create_lookup_table(
                owner, owner, slot,
            );
        chain
            .send(&[create], &[&keeper])
            .await
            .context("creating the lookup table")?;
        // At most 20 addresses per extension keeps each transaction well under the size limit.
        for chunk in addresses.chunks(20) {
            let extend = ballast_client::address_lookup_table::instruction::extend_lookup_table(
                table,
                owner,
                Some(owner),
                chunk.to_vec(),
            );
            chain
                .send(&[extend], &[&keeper])
                .await
                .context("extending the lookup table")?;
        }
        let account = ballast_client::chain::lookup_table(chain, &table)
            .await?
            .context("the lookup table just created")?;
        tracing::info!(table = %table, addresses = account.addresses.len(), "lookup table ready");
        self.lookup_table = Some(account.clone());
        Ok(account)
    }

    async fn liquidation_instructions<C: Chain>(
        &self,
        chain: &mut C,
        view: &MarketView,
        obligation: Pubkey,
        state: &Obligation,
        plan: &LiquidationPlan,
    ) -> anyhow::Result<Vec<Instruction>> {
        let keeper = chain.wallet().pubkey();
        let repay = crate::wallet::keys_of(view, &plan.repay_reserve)?;
        let collateral = crate::wallet::keys_of(view, &plan.collateral_reserve)?;
        let liquidator_obligation = client::obligation_address(&view.key, &keeper, 0);
        let open_liquidator_obligation =
            plan.receive_shares && chain.account(&liquidator_obligation).await?.is_none();
        let mut instructions = self.compute_budget();
        instructions.extend(plans::liquidation(
            &keeper,
            &view.key,
            &obligation,
            state,
            &repay,
            &collateral,
            LiquidateArgs {
                max_repay: plan.max_repay,
                min_collateral_out: plan.min_collateral_out,
                receive_shares: plan.receive_shares,
            },
            open_liquidator_obligation,
            |reserve| view.oracle_for(reserve),
        ));
        Ok(instructions)
    }
}

/// Runs passes until stopped (`once`: one pass). A failed pass (RPC down, …) is logged and
/// retried at the next interval.
pub async fn run<C: Chain>(
    chain: &mut C,
    config: KeeperConfig,
    once: bool,
    interval: Duration,
) -> anyhow::Result<PassSummary> {
    let mut keeper = Keeper::new(config);
    loop {
        match keeper.pass(chain).await {
            Ok(summary) if once => return Ok(summary),
            Ok(_) => {}
            Err(error) if once => return Err(error),
            Err(error) => tracing::warn!("pass failed, retrying: {error:#}"),
        }
        keeper.config.progress = false;
        tokio::time::sleep(interval).await;
    }
}

/// The transaction size limit (bytes) and account limit of one transaction.
const MAX_TRANSACTION_BYTES: usize = 1_232;
const MAX_TRANSACTION_ACCOUNTS: usize = 64;

/// The size of `instructions` as a legacy transaction paid by `payer` (bytes, account keys),
/// and whether one holds it (1 232 bytes, 64 accounts).
fn fits_legacy(instructions: &[Instruction], payer: &Pubkey) -> ((usize, usize), bool) {
    let (bytes, keys) = ballast_client::chain::legacy_transaction_size(instructions, payer);
    (
        (bytes, keys),
        bytes <= MAX_TRANSACTION_BYTES && keys <= MAX_TRANSACTION_ACCOUNTS,
    )
}

/// Keeps the largest flash transaction of the pass: (bytes, keys, of which from the table).
fn record_largest(summary: &mut PassSummary, size: (usize, usize, usize)) {
    if summary
        .largest_flash_transaction
        .is_none_or(|(bytes, _, _)| size.0 > bytes)
    {
        summary.largest_flash_transaction = Some(size);
    }
}

/// What sending one liquidation came to.
enum Sent {
    Liquidated,
    /// The program found the obligation healthy (`ObligationHealthy`): left alone.
    Healthy,
    /// `--flash`: not sent, for this reason.
    Skipped(String),
}

/// Why a flash liquidation of `plan` cannot close in the keeper's obligation `own`, if it
/// cannot: one obligation may not both deposit into and borrow from one reserve.
fn flash_conflict(view: &MarketView, own: &Obligation, plan: &LiquidationPlan) -> Option<String> {
    let name = |reserve: &Pubkey| {
        view.reserves
            .get(reserve)
            .map(|e| crate::wallet::symbol(&e.reserve.mint))
            .unwrap_or_else(|| reserve.to_string())
    };
    if own.deposit(&plan.repay_reserve).is_some() {
        Some(format!(
            "the keeper's obligation holds {} as a deposit and cannot borrow it",
            name(&plan.repay_reserve)
        ))
    } else if own.borrow(&plan.collateral_reserve).is_some() {
        Some(format!(
            "the keeper's obligation owes {} and cannot take it as collateral",
            name(&plan.collateral_reserve)
        ))
    } else {
        None
    }
}

/// Whether a failure is the chain being unreachable rather than the transaction failing.
pub fn is_transport(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<ChainError>()
        .is_some_and(|e| matches!(e, ChainError::Transport(_)))
}
