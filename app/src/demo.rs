//! `ballast demo`: the whole story on the embedded bank, from the market in
//! `migrations/localnet.toml`. Deterministic: a fixed clock, seeded keys and amounts.
//!
//! Act 1 walks one loan (deposit, borrow, interest, a falling price and health, repay and
//! exit). Act 2 runs a crowd of positions through a crash in steps and an oracle outage with the
//! reference keeper liquidating; bad debt is absorbed by a fund or socialized; everyone leaves
//! and the books are reconciled to the token unit.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anyhow::Context as _;
use ballast::math::WAD;
use ballast::oracle::PricePolicyKind;
use ballast_client as client;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use solana_sdk::signature::{Keypair, Signer};

use crate::format::{amount_short, table, usd};
use crate::keeper::{Action, Keeper, KeeperConfig, PassSummary};
use crate::localnet::{LocalMarket, BTC, SOL, USDC};
use crate::migrate::{self, MarketFile};
use crate::wallet::{self, ALL};
use ballast_client::chain::{ata, Chain, LocalChain};

/// The demo's clock starts here (2026-01-01T00:00:00Z).
pub const START_TIME: i64 = 1_767_225_600;
/// Seed of every key and amount in the demo.
pub const SEED: u64 = 20_260_101;
const DAY: i64 = 86_400;
/// The assets the demo's story moves (the market file lists more; they stay untouched and
/// reconcile trivially).
const STORY_ASSETS: [usize; 3] = [USDC, BTC, SOL];

/// Where the demo writes its lines.
pub trait Out {
    fn line(&mut self, text: &str);
}

/// Writes lines to any writer (the real stdout in `ballast demo`).
pub struct Writer<W: std::io::Write>(pub W);

impl<W: std::io::Write> Out for Writer<W> {
    fn line(&mut self, text: &str) {
        let _ = writeln!(self.0, "{text}");
        let _ = self.0.flush();
    }
}

/// Collects the lines (tests).
impl Out for Vec<String> {
    fn line(&mut self, text: &str) {
        self.push(text.to_string());
    }
}

/// What the demo ends with, for tests.
#[derive(Debug, Default, Clone)]
pub struct DemoOutcome {
    pub liquidations: usize,
    pub bad_debt_obligations: usize,
    /// Per symbol: (fund covered, socialized) in tokens.
    pub written_off: BTreeMap<String, (u128, u128)>,
    /// Every reconciliation check held.
    pub reconciled: bool,
    /// The market at each step of the story, when recorded (`ballast demo --dashboard`).
    pub snapshots: Vec<crate::dashboard::Snapshot>,
}

/// One kind of borrower in the crowd.
struct Group {
    collateral: usize,
    debts: &'static [usize],
    count: usize,
    /// Collateral range, whole tokens.
    whole: (f64, f64),
    /// Range of the fill of the borrow limit.
    fill: (f64, f64),
}

struct Person {
    name: String,
    keypair: Keypair,
    obligation: Pubkey,
    role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Lender,
    Borrower,
}

struct Demo<'o> {
    out: &'o mut dyn Out,
    m: LocalMarket,
    keeper_wallet: Keypair,
    keeper: Keeper,
    /// A second keeper with no inventory of the debt tokens (`keeper --flash`), and who it is.
    flash_keeper: Keeper,
    flash_who: Option<usize>,
    people: Vec<Person>,
    rng: StdRng,
    outcome: DemoOutcome,
    record: bool,
}

/// Runs the demo, writing its lines to `out`.
pub async fn run(out: &mut dyn Out) -> anyhow::Result<DemoOutcome> {
    run_recorded(out, false).await
}

/// Runs the demo; with `record`, keeps the market's state at each step of the story in
/// [`DemoOutcome::snapshots`] for the dashboard's time slider.
pub async fn run_recorded(out: &mut dyn Out, record: bool) -> anyhow::Result<DemoOutcome> {
    let file = MarketFile::parse(migrate::LOCALNET).context("migrations/localnet.toml")?;
    let mut rng = StdRng::seed_from_u64(SEED);
    let admin = keypair(&mut rng);
    let mint_authority = keypair(&mut rng);
    let keeper_wallet = keypair(&mut rng);
    let chain = ballast_bank::chain::BankChain::start(admin.insecure_clone(), START_TIME).await;
    let m = LocalMarket::start(chain, &file, admin, mint_authority, START_TIME).await?;
    let market = m.market;
    let mut demo = Demo {
        out,
        m,
        keeper_wallet,
        keeper: Keeper::new(KeeperConfig::new(market)),
        // It goes through its lookup table even where a legacy transaction would fit, to show it.
        flash_keeper: Keeper::new(KeeperConfig {
            flash: true,
            lookup_table: crate::keeper::LookupTables::Always,
            ..KeeperConfig::new(market)
        }),
        flash_who: None,
        people: vec![],
        rng,
        outcome: DemoOutcome::default(),
        record,
    };
    demo.setup(&file).await?;
    demo.act_one().await?;
    demo.act_two().await?;
    Ok(demo.outcome)
}

/// "accepted", or "rejected, " and the root cause of the refusal.
fn verdict(result: &anyhow::Result<()>) -> String {
    match result {
        Ok(()) => "accepted".to_string(),
        Err(error) => format!("rejected, {}", error.root_cause()),
    }
}

fn keypair(rng: &mut StdRng) -> Keypair {
    Keypair::new_from_array(rng.gen())
}

impl Demo<'_> {
    fn say(&mut self, text: impl AsRef<str>) {
        self.out.line(text.as_ref());
    }

    /// Records the market as it is now, labelled with the clock and `label`.
    async fn snapshot(&mut self, label: &str) -> anyhow::Result<()> {
        if !self.record {
            return Ok(());
        }
        let state = crate::stress::MarketState::load(&mut self.m.chain, &self.m.market).await?;
        self.outcome.snapshots.push(crate::dashboard::Snapshot {
            label: format!("{} {label}", self.clock()),
            state: std::sync::Arc::new(state),
        });
        Ok(())
    }

    fn heading(&mut self, text: &str) {
        self.say("");
        self.say(format!("== {text}"));
    }

    fn clock(&self) -> String {
        let elapsed = self.m.now - START_TIME;
        format!(
            "[day {:>2} {:02}:{:02}]",
            elapsed / DAY,
            (elapsed % DAY) / 3_600,
            (elapsed % 3_600) / 60
        )
    }

    // ----- people ---------------------------------------------------------------------------

    async fn person(&mut self, name: &str, role: Role) -> anyhow::Result<usize> {
        let keypair = keypair(&mut self.rng);
        self.m
            .chain
            .airdrop(&keypair.pubkey(), 1_000_000_000)
            .await?;
        let market = self.m.market;
        let obligation = wallet::create_obligation(&mut self.m.chain, &market, &keypair, 0).await?;
        self.people.push(Person {
            name: name.to_string(),
            keypair,
            obligation,
            role,
        });
        Ok(self.people.len() - 1)
    }

    async fn deposit(&mut self, who: usize, asset: usize, units: u64) -> anyhow::Result<()> {
        self.wallet_action(WalletAction::Deposit, who, asset, units)
            .await
    }

    async fn borrow(&mut self, who: usize, asset: usize, units: u64) -> anyhow::Result<()> {
        self.wallet_action(WalletAction::Borrow, who, asset, units)
            .await
    }

    async fn repay(&mut self, who: usize, asset: usize, units: u64) -> anyhow::Result<()> {
        self.wallet_action(WalletAction::Repay, who, asset, units)
            .await
    }

    async fn withdraw(&mut self, who: usize, asset: usize, units: u64) -> anyhow::Result<()> {
        self.wallet_action(WalletAction::Withdraw, who, asset, units)
            .await
    }

    /// One wallet command by person `who` on asset `asset`, on their own obligation.
    async fn wallet_action(
        &mut self,
        action: WalletAction,
        who: usize,
        asset: usize,
        units: u64,
    ) -> anyhow::Result<()> {
        let view = self.m.view().await?;
        let owner = self.people[who].keypair.insecure_clone();
        let obligation = self.people[who].obligation;
        let reserve = self.m.assets[asset].reserve;
        let chain = &mut self.m.chain;
        match action {
            WalletAction::Deposit => {
                wallet::deposit(chain, &view, &owner, &obligation, &reserve, units).await?
            }
            WalletAction::Borrow => {
                wallet::borrow(chain, &view, &owner, &obligation, &reserve, units).await?
            }
            WalletAction::Repay => {
                wallet::repay(chain, &view, &owner, &obligation, &reserve, units).await?
            }
            WalletAction::Withdraw => {
                wallet::withdraw(chain, &view, &owner, &obligation, &reserve, units).await?
            }
        };
        Ok(())
    }

    async fn health(&mut self, who: usize) -> anyhow::Result<wallet::HealthReport> {
        let view = self.m.view().await?;
        let key = self.people[who].obligation;
        let obligation = wallet::read_obligation(&mut self.m.chain, &key).await?;
        wallet::health_report(&view, &key, &obligation)
    }

    /// Tokens of `asset` that `who` can still borrow at `fill` of the strict borrow limit.
    async fn borrowable(&mut self, who: usize, asset: usize, fill: f64) -> anyhow::Result<u64> {
        let view = self.m.view().await?;
        let key = self.people[who].obligation;
        let obligation = wallet::read_obligation(&mut self.m.chain, &key).await?;
        let (_, totals) = view
            .valuate(&obligation, PricePolicyKind::Strict)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let headroom = totals.borrow_limit.saturating_sub(totals.debt_value) as f64 / WAD as f64;
        // The strict debt price is the spot plus one confidence interval (0.1 %).
        let price = self.m.assets[asset].price * 1.001;
        Ok(self.m.tokens(asset, headroom * fill / price))
    }

    // ----- the keeper -----------------------------------------------------------------------

    async fn keeper_pass(&mut self) -> anyhow::Result<PassSummary> {
        self.pass_of(false).await
    }

    /// A pass of the reference keeper (`flash`: the second keeper, with flash loans).
    async fn pass_of(&mut self, flash: bool) -> anyhow::Result<PassSummary> {
        let before = self.written_off().await?;
        let admin = self.m.admin.insecure_clone();
        let (wallet, keeper) = match (flash, self.flash_who) {
            (true, Some(who)) => (
                self.people[who].keypair.insecure_clone(),
                &mut self.flash_keeper,
            ),
            _ => (self.keeper_wallet.insecure_clone(), &mut self.keeper),
        };
        self.m.chain.set_wallet(wallet);
        let summary = keeper.pass(&mut self.m.chain).await;
        self.m.chain.set_wallet(admin);
        let summary = summary?;
        let names: BTreeMap<String, String> = self
            .people
            .iter()
            .map(|p| (p.obligation.to_string(), p.name.clone()))
            .collect();
        let symbols: BTreeMap<String, usize> = self
            .m
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.reserve.to_string(), i))
            .collect();
        let mut lines = vec![format!(
            "{} {}: {} obligations scanned, {} unhealthy, {} liquidated in {} tx, {} bad debt realized{}",
            self.clock(),
            if flash { "flash keeper" } else { "keeper" },
            summary.scanned,
            summary.unhealthy,
            summary.liquidated,
            summary.liquidations,
            summary.bad_debt_realized,
            if summary.unpriceable > 0 {
                format!(", {} cannot be priced (oracle rejected)", summary.unpriceable)
            } else {
                String::new()
            }
        )];
        for action in &summary.actions {
            match action {
                Action::Liquidated {
                    obligation,
                    repay_reserve,
                    collateral_reserve,
                    repaid,
                    seized,
                    bonus_bps,
                    health_before,
                    health_after,
                    bad_debt_realized,
                    as_shares,
                } => {
                    let repay = symbols[repay_reserve];
                    let collateral = symbols[collateral_reserve];
                    let after = if *bad_debt_realized {
                        "no collateral left: bad debt realized".to_string()
                    } else if health_after.is_infinite() {
                        "debt cleared".to_string()
                    } else {
                        format!("HF {health_after:.3}")
                    };
                    lines.push(format!(
                        "    {:<14} HF {health_before:.3}: repaid {}, seized {}{} (bonus {:.1}%) → {after}",
                        names.get(obligation).cloned().unwrap_or_default(),
                        self.m.show(repay, u128::from(*repaid)),
                        self.m.show(collateral, u128::from(*seized)),
                        if *as_shares { " as shares" } else { "" },
                        *bonus_bps as f64 / 100.0,
                    ));
                }
                Action::BadDebtRealized {
                    obligation,
                    debt_usd,
                } => lines.push(format!(
                    "    {:<14} no collateral of value, {} of debt: bad debt realized",
                    names.get(obligation).cloned().unwrap_or_default(),
                    usd((debt_usd * WAD as f64) as u128)
                )),
                Action::SkippedHealthy { obligation } => lines.push(format!(
                    "    {:<14} healthy again when re-read: left alone",
                    names.get(obligation).cloned().unwrap_or_default()
                )),
                Action::SkippedFlash { obligation, reason } => lines.push(format!(
                    "    {:<14} left to the other keeper: {reason}",
                    names.get(obligation).cloned().unwrap_or_default()
                )),
                Action::Failed { obligation, error } => lines.push(format!(
                    "    {:<14} failed: {error}",
                    names.get(obligation).cloned().unwrap_or_default()
                )),
                _ => {}
            }
        }
        for line in lines {
            self.say(line);
        }
        let after = self.written_off().await?;
        for (asset, ((covered0, social0), (covered1, social1))) in
            before.iter().zip(after.iter()).enumerate()
        {
            if covered1 > covered0 || social1 > social0 {
                let fund = self.m.view().await?.reserves[&self.m.assets[asset].reserve]
                    .reserve
                    .fund_balance;
                let line = format!(
                    "    {} bad debt {}: the fund covered {}, depositors absorb {} (fund now {})",
                    self.m.assets[asset].symbol,
                    self.m.show(asset, covered1 + social1 - covered0 - social0),
                    self.m.show(asset, covered1 - covered0),
                    self.m.show(asset, social1 - social0),
                    self.m.show(asset, u128::from(fund)),
                );
                self.say(line);
            }
        }
        self.outcome.liquidations += summary.liquidations;
        self.outcome.bad_debt_obligations += summary.bad_debt_realized;
        Ok(summary)
    }

    /// The flash keeper's pass on the first step of the crash, and what it ends holding.
    async fn flash_act(&mut self) -> anyhow::Result<()> {
        let summary = self.pass_of(true).await?;
        let who = self.flash_who.context("the flash keeper")?;
        let owner = self.people[who].keypair.pubkey();
        let usdc = self.m.balance(&owner, USDC).await?;
        let report = self.health(who).await?;
        if let Some((bytes, keys, from_table)) = summary.largest_flash_transaction {
            self.say(format!(
                "    each in one v0 transaction: flash-borrow the debt token, liquidate into its \
                 obligation, borrow against the seized SOL, flash-repay; the largest {bytes} bytes, \
                 {keys} accounts ({from_table} through its lookup table)"
            ));
        }
        let line = format!(
            "    the flash keeper now holds {} in its wallet and owes {} against {} of collateral, HF {}",
            self.m.show(USDC, u128::from(usdc)),
            report.debt_usd,
            report.collateral_usd,
            report.health_factor
        );
        self.say(line);
        Ok(())
    }

    /// (fund covered, socialized) per asset, in tokens.
    async fn written_off(&mut self) -> anyhow::Result<Vec<(u128, u128)>> {
        let view = self.m.view().await?;
        Ok(self
            .m
            .assets
            .iter()
            .map(|a| {
                let r = &view.reserves[&a.reserve].reserve;
                (
                    r.cumulative_fund_covered_wad / WAD,
                    r.cumulative_socialized_wad / WAD,
                )
            })
            .collect())
    }

    // ----- the story ------------------------------------------------------------------------

    async fn setup(&mut self, file: &MarketFile) -> anyhow::Result<()> {
        self.say("Ballast demo: an embedded bank runs the program natively; prices come from");
        self.say("simulated Pyth feeds; the clock starts at 2026-01-01 00:00 UTC.");
        self.heading("Market: migrations/localnet.toml");
        anyhow::ensure!(
            self.m
                .assets
                .iter()
                .map(|a| a.symbol.as_str())
                .take(3)
                .collect::<Vec<_>>()
                == ["USDC", "BTC", "SOL"],
            "the demo expects USDC, BTC and SOL first in migrations/localnet.toml"
        );
        for line in migrate::describe(&self.m.migration) {
            self.say(format!("  plan {line}"));
        }
        let again = migrate::plan(&mut self.m.chain, file).await?;
        self.say(format!(
            "  applied {} steps; planning again: {}",
            self.m.migration.len(),
            migrate::describe(&again).join("; ")
        ));
        self.snapshot("market listed").await?;
        Ok(())
    }

    async fn act_one(&mut self) -> anyhow::Result<()> {
        self.heading("Act 1: one loan");
        let alice = self.person("Alice", Role::Lender).await?;
        let bob = self.person("Bob", Role::Lender).await?;
        let carol = self.person("Carol", Role::Lender).await?;
        let dan = self.person("Dan", Role::Lender).await?;
        let lenders = [
            (alice, USDC, 2_000_000.0),
            (bob, BTC, 40.0),
            (carol, SOL, 30_000.0),
            (dan, USDC, 500_000.0),
            (dan, BTC, 10.0),
        ];
        for (who, asset, whole) in lenders {
            let units = self.m.tokens(asset, whole);
            let owner = self.people[who].keypair.pubkey();
            self.m.mint(&owner, asset, units).await?;
            self.deposit(who, asset, units).await?;
            let line = format!(
                "{} {} deposits {}",
                self.clock(),
                self.people[who].name,
                self.m.show(asset, u128::from(units))
            );
            self.say(line);
        }

        let erin = self.person("Erin", Role::Borrower).await?;
        let erin_key = self.people[erin].keypair.pubkey();
        let collateral = self.m.tokens(SOL, 100.0);
        self.m.mint(&erin_key, SOL, collateral).await?;
        self.m
            .mint(&erin_key, USDC, self.m.tokens(USDC, 200.0))
            .await?;
        self.deposit(erin, SOL, collateral).await?;
        let loan = self.m.tokens(USDC, 9_000.0);
        self.borrow(erin, USDC, loan).await?;
        let report = self.health(erin).await?;
        let line = format!(
            "{} Erin deposits 100 SOL ($150 each) and borrows 9,000 USDC: borrow limit {}, HF {}",
            self.clock(),
            report.borrow_limit_usd,
            report.health_factor
        );
        self.say(line);

        self.m.advance(30 * DAY, &[]).await?;
        let report = self.health(erin).await?;
        let view = self.m.view().await?;
        let usdc = wallet::reserve_row(
            &self.m.assets[USDC].reserve,
            &view.reserves[&self.m.assets[USDC].reserve].reserve,
            view.now,
        )?;
        let line = format!(
            "{} 30 days later Erin owes {} (USDC borrow APR {}, utilization {}); HF {}",
            self.clock(),
            report.debt_usd,
            usdc.borrow_apr,
            usdc.utilization,
            report.health_factor
        );
        self.say(line);
        for price in [135.0, 125.0, 118.0] {
            self.m.advance(3_600, &[]).await?;
            self.m.publish(SOL, price).await?;
            let report = self.health(erin).await?;
            let line = format!(
                "{} SOL ${price:.0}: Erin's collateral {}, HF {}, liquidation price {}",
                self.clock(),
                report.positions[0].value_usd,
                report.health_factor,
                report.positions[0]
                    .liquidation_price
                    .clone()
                    .unwrap_or_default()
            );
            self.say(line);
        }
        self.m.publish(SOL, 150.0).await?;
        let usdc_before = self.m.balance(&erin_key, USDC).await?;
        self.repay(erin, USDC, ALL).await?;
        let usdc_after = self.m.balance(&erin_key, USDC).await?;
        self.withdraw(erin, SOL, ALL).await?;
        let sol = self.m.balance(&erin_key, SOL).await?;
        let line = format!(
            "{} SOL back at $150. Erin repays everything ({}: 9,000 borrowed + {} interest) and withdraws {}",
            self.clock(),
            self.m.show(USDC, u128::from(usdc_before - usdc_after)),
            self.m.show(USDC, u128::from(usdc_before - usdc_after - loan)),
            self.m.show(SOL, u128::from(sol))
        );
        self.say(line);
        self.snapshot("act 1 over: Erin repaid and left").await?;
        Ok(())
    }

    async fn act_two(&mut self) -> anyhow::Result<()> {
        self.heading("Act 2: a crowd, a crash, an outage");
        // The protocol seeds the bad-debt funds: generously for USDC, thinly for BTC.
        let admin = self.m.admin.pubkey();
        let seeds = [(USDC, 200_000.0), (BTC, 0.05), (SOL, 50.0)];
        for (asset, whole) in seeds {
            let units = self.m.tokens(asset, whole);
            self.m.mint(&admin, asset, units).await?;
            let view = self.m.view().await?;
            let keys = view
                .keys(&self.m.assets[asset].reserve)
                .expect("a reserve of the view");
            let source = ata(&admin, &keys.mint, &keys.token_program);
            let ix = client::fund_reserve(&admin, &self.m.market, &keys, &source, units);
            let signer = self.m.admin.insecure_clone();
            self.m.chain.send(&[ix], &[&signer]).await?;
        }
        self.say(format!(
            "{} the protocol seeds the bad-debt funds: 200,000 USDC, 0.05 BTC, 50 SOL",
            self.clock()
        ));
        // The treasury account for fees.
        self.m.mint(&admin, USDC, 0).await?;
        self.m.mint(&admin, BTC, 0).await?;
        self.m.mint(&admin, SOL, 0).await?;

        // The keeper's inventory.
        let keeper = self.keeper_wallet.pubkey();
        self.m.chain.airdrop(&keeper, 10_000_000_000).await?;
        for (asset, whole) in [(USDC, 3_000_000.0), (BTC, 20.0), (SOL, 20_000.0)] {
            let units = self.m.tokens(asset, whole);
            self.m.mint(&keeper, asset, units).await?;
        }
        // A second keeper holds no USDC and no SOL: only 2 BTC, deposited in its obligation.
        let flash = self.person("Flash keeper", Role::Borrower).await?;
        let flash_key = self.people[flash].keypair.pubkey();
        self.m.chain.airdrop(&flash_key, 5_000_000_000).await?;
        let equity = self.m.tokens(BTC, 2.0);
        self.m.mint(&flash_key, BTC, equity).await?;
        self.deposit(flash, BTC, equity).await?;
        self.flash_who = Some(flash);
        self.say(format!(
            "{} a second keeper starts with no USDC and no SOL: 2 BTC deposited in its obligation",
            self.clock()
        ));

        let groups = [
            Group {
                collateral: SOL,
                debts: &[USDC],
                count: 22,
                whole: (40.0, 400.0),
                fill: (0.55, 0.97),
            },
            Group {
                collateral: SOL,
                debts: &[BTC],
                count: 10,
                whole: (40.0, 300.0),
                fill: (0.60, 0.97),
            },
            Group {
                collateral: BTC,
                debts: &[USDC, SOL],
                count: 6,
                whole: (0.5, 3.0),
                fill: (0.30, 0.70),
            },
            Group {
                collateral: USDC,
                debts: &[BTC],
                count: 4,
                whole: (20_000.0, 100_000.0),
                fill: (0.30, 0.60),
            },
        ];
        let mut borrowed = [0u128; 3];
        let mut count = 0;
        for group in groups {
            let Group {
                collateral,
                debts,
                count: n,
                whole: (low, high),
                fill: (fill_low, fill_high),
            } = group;
            for _ in 0..n {
                count += 1;
                let name = format!(
                    "{}→{} #{count:02}",
                    self.m.assets[collateral].symbol,
                    debts
                        .iter()
                        .map(|d| self.m.assets[*d].symbol.clone())
                        .collect::<Vec<_>>()
                        .join("+")
                );
                let who = self.person(&name, Role::Borrower).await?;
                let owner = self.people[who].keypair.pubkey();
                let whole = self.rng.gen_range(low..high);
                let units = self.m.tokens(collateral, whole);
                self.m.mint(&owner, collateral, units).await?;
                self.deposit(who, collateral, units).await?;
                let fill = self.rng.gen_range(fill_low..fill_high);
                for (i, debt) in debts.iter().enumerate() {
                    // Split the fill over the debts; the last takes what is left.
                    let share = if i + 1 == debts.len() { 1.0 } else { 0.5 };
                    let amount = self.borrowable(who, *debt, fill * share).await?;
                    self.borrow(who, *debt, amount).await?;
                    borrowed[*debt] += u128::from(amount);
                }
            }
        }
        let view = self.m.view().await?;
        let mut healths = vec![];
        for who in 0..self.people.len() {
            if self.people[who].role == Role::Borrower && self.people[who].name != "Erin" {
                let key = self.people[who].obligation;
                let obligation = wallet::read_obligation(&mut self.m.chain, &key).await?;
                healths.push(wallet::health_report(&view, &key, &obligation)?.health_wad);
            }
        }
        healths.sort();
        self.say(format!(
            "{} {count} borrowers open positions: {}, {}, {} borrowed; HF from {} to {}",
            self.clock(),
            self.m.show(USDC, borrowed[USDC]),
            self.m.show(BTC, borrowed[BTC]),
            self.m.show(SOL, borrowed[SOL]),
            crate::format::wad_ratio(healths[0]),
            crate::format::wad_ratio(healths[healths.len() - 1]),
        ));
        self.keeper_pass().await?;
        self.snapshot(&format!("{count} borrowers open positions"))
            .await?;

        for _ in 0..3 {
            self.m.advance(15 * DAY, &[]).await?;
            self.keeper_pass().await?;
        }
        let view = self.m.view().await?;
        let rows = wallet::reserve_list(&view)?;
        let mut interest = vec![];
        for asset in STORY_ASSETS {
            let a = &self.m.assets[asset];
            let r = view.projected(&a.reserve).context("reserve")?;
            interest.push(format!(
                "{} {} (APR {})",
                amount_short(r.cumulative_interest_wad / WAD, a.decimals),
                a.symbol,
                rows.iter()
                    .find(|row| row.symbol == a.symbol)
                    .map(|row| row.borrow_apr.clone())
                    .unwrap_or_default()
            ));
        }
        self.say(format!(
            "{} 45 days later; interest charged since listing: {}",
            self.clock(),
            interest.join(", ")
        ));
        self.snapshot("45 days of interest").await?;

        self.heading("SOL crashes in steps; the keeper liquidates");
        for price in [135.0, 120.0, 108.0, 98.0] {
            self.m.advance(300, &[]).await?;
            self.m.publish(SOL, price).await?;
            self.say(format!("{} SOL ${price:.0}", self.clock()));
            if price == 120.0 {
                self.flash_act().await?;
            }
            self.keeper_pass().await?;
            self.snapshot(&format!("SOL ${price:.0}, after the keeper"))
                .await?;
        }

        self.heading("The SOL feed goes quiet while SOL keeps falling");
        let stuck = self.m.assets[SOL].price;
        for minute in 1..=8 {
            self.m.advance(60, &[SOL]).await?;
            if minute == 2 {
                // New risk is blocked first (strict policy, 60 s) …
                let dan = self
                    .people
                    .iter()
                    .position(|p| p.name == "Dan")
                    .context("Dan")?;
                let units = self.m.tokens(SOL, 10.0);
                let result = self.borrow(dan, SOL, units).await;
                let line = format!(
                    "{} Dan tries to borrow 10 SOL: {}",
                    self.clock(),
                    verdict(&result)
                );
                self.say(line);
                // … while repaying never needs a price.
                let who = self
                    .people
                    .iter()
                    .position(|p| p.name.starts_with("SOL→USDC"))
                    .context("a borrower")?;
                let units = self.m.tokens(USDC, 100.0);
                let result = self.repay(who, USDC, units).await;
                let line = format!(
                    "{} {} repays 100 USDC with the feed silent: {}",
                    self.clock(),
                    self.people[who].name,
                    if result.is_ok() {
                        "accepted"
                    } else {
                        "rejected"
                    }
                );
                self.say(line);
            }
            if minute % 3 == 0 || minute == 8 {
                let age = self.m.now - self.m.assets[SOL].publish_time;
                self.say(format!(
                    "{} last SOL price ${stuck:.0} is {age} s old",
                    self.clock()
                ));
                self.keeper_pass().await?;
                self.snapshot(&format!("SOL feed silent, last price {age} s old"))
                    .await?;
            }
        }
        self.m.advance(60, &[]).await?;
        self.m.publish(SOL, 60.0).await?;
        self.say(format!(
            "{} the feed is back: SOL $60 (−39% in one print)",
            self.clock()
        ));
        self.snapshot("the feed is back: SOL $60, before the keeper")
            .await?;
        let first = self.keeper_pass().await?;
        self.snapshot("SOL $60, after the keeper: bad debt written off")
            .await?;
        let second = self.keeper_pass().await?;
        anyhow::ensure!(
            second.liquidations == 0 && second.bad_debt_realized == 0,
            "a second keeper pass should find nothing to do"
        );
        let _ = first;

        self.second_provider_act().await?;

        self.heading("Everyone leaves");
        self.m.advance(DAY, &[]).await?;
        self.exit_borrowers().await?;
        self.collect_fees().await?;
        let view = self.m.view().await?;
        let rows = wallet::reserve_list(&view)?;
        self.snapshot("after the storm: borrowers gone").await?;
        self.say("After the storm, borrowers gone, before the lenders leave:");
        let table_text = table(
            &[
                "asset",
                "deposits",
                "borrows",
                "fund",
                "covered",
                "socialized",
                "share value",
            ],
            &rows
                .iter()
                .map(|r| {
                    vec![
                        r.symbol.clone(),
                        r.deposits.clone(),
                        r.borrows.clone(),
                        r.fund.clone(),
                        r.fund_covered.clone(),
                        r.socialized.clone(),
                        r.share_value.clone(),
                    ]
                })
                .collect::<Vec<_>>(),
        );
        for line in table_text.lines() {
            self.say(format!("  {line}"));
        }
        for row in &rows {
            self.outcome
                .written_off
                .insert(row.symbol.clone(), (row.raw.covered, row.raw.socialized));
        }
        self.exit_lenders().await?;
        self.reconcile().await?;
        self.snapshot("everyone left; books reconciled").await?;
        Ok(())
    }

    /// BTC's Pyth feed goes quiet while BTC falls; its Switchboard fallback carries the
    /// liquidations through; Pyth comes back at a price 10 % off, and new risk on BTC stops
    /// until the two agree again.
    async fn second_provider_act(&mut self) -> anyhow::Result<()> {
        self.heading("BTC's Pyth feed goes quiet; its Switchboard fallback carries on");
        let stuck = self.m.assets[BTC].price;
        let mut liquidated = 0;
        for (step, price) in [48_000.0, 34_000.0, 22_000.0].into_iter().enumerate() {
            self.m
                .advance_with_silent_primaries(150, &[], &[BTC])
                .await?;
            self.m.publish_fallback(BTC, price).await?;
            let age = self.m.now - self.m.assets[BTC].publish_time;
            self.say(format!(
                "{} Switchboard BTC ${price:.0}; Pyth still ${stuck:.0}, {age} s old",
                self.clock()
            ));
            let summary = self.keeper_pass().await?;
            liquidated += summary.liquidations;
            if summary.liquidations > 0 {
                let source = self.price_source(BTC).await?;
                self.say(format!("    the liquidations priced BTC by {source}"));
            }
            self.snapshot(&format!(
                "Pyth BTC silent {age} s, Switchboard ${price:.0}, after the keeper ({})",
                step + 1
            ))
            .await?;
        }
        anyhow::ensure!(
            liquidated > 0,
            "the fallback should have carried liquidations through the Pyth outage"
        );

        // The BTC borrower with the most room left (priced by the fallback alone now).
        let mut who = None;
        let mut room = 0;
        for index in 0..self.people.len() {
            if self.people[index].name.starts_with("BTC→") {
                let left = self.borrowable(index, USDC, 1.0).await?;
                if left > room {
                    (who, room) = (Some(index), left);
                }
            }
        }
        let who = who.context("a BTC borrower with room to borrow")?;

        // Pyth returns 10 % above Switchboard: new risk on BTC stops, repaying does not.
        self.m.advance(30, &[]).await?;
        self.m.publish_primary(BTC, 24_200.0).await?;
        let units = self.m.tokens(USDC, 100.0);
        let refused = self.borrow(who, USDC, units).await;
        let line = format!(
            "{} Pyth is back at $24200, Switchboard says $22000: {} tries to borrow 100 USDC: {}",
            self.clock(),
            self.people[who].name,
            verdict(&refused)
        );
        self.say(line);
        anyhow::ensure!(
            refused
                .as_ref()
                .is_err_and(|e| format!("{e:#}").contains("OracleSourcesDisagree")),
            "disagreeing sources must block new risk: {refused:?}"
        );
        let repaid = self.repay(who, SOL, self.m.tokens(SOL, 0.1)).await;
        let line = format!(
            "{} {} repays 0.1 SOL meanwhile: {}",
            self.clock(),
            self.people[who].name,
            verdict(&repaid)
        );
        self.say(line);

        // The two agree again (within 1 %): borrowing resumes at the primary's price.
        self.m.advance(30, &[]).await?;
        self.m.publish(BTC, 22_100.0).await?;
        let accepted = self.borrow(who, USDC, units).await;
        let line = format!(
            "{} both at $22100: the same borrow is {}",
            self.clock(),
            verdict(&accepted)
        );
        self.say(line);
        accepted?;
        self.keeper_pass().await?;
        self.snapshot("BTC sources agree again").await?;
        Ok(())
    }

    /// Which source last priced `asset`'s reserve on chain (`Reserve::last_price_source`).
    async fn price_source(&mut self, asset: usize) -> anyhow::Result<String> {
        let view = self.m.view().await?;
        let reserve = &view.reserves[&self.m.assets[asset].reserve].reserve;
        let source = ballast::oracle::PriceSource::from_recorded(reserve.last_price_source)
            .with_context(|| format!("{} has no price yet", self.m.assets[asset].symbol))?;
        Ok(crate::format::source_label(&reserve.config, source))
    }

    async fn exit_borrowers(&mut self) -> anyhow::Result<()> {
        let mut repaid = 0;
        let mut topped_up = 0;
        for who in 0..self.people.len() {
            if self.people[who].role != Role::Borrower {
                continue;
            }
            let key = self.people[who].obligation;
            let owner = self.people[who].keypair.pubkey();
            let obligation = wallet::read_obligation(&mut self.m.chain, &key).await?;
            let view = self.m.view().await?;
            for borrow in obligation.active_borrows() {
                let asset = self.m.asset_of(&borrow.reserve)?;
                let owed = view
                    .projected(&borrow.reserve)
                    .context("reserve")?
                    .owed_tokens(borrow.scaled_debt)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let owed = u64::try_from(owed).context("a debt beyond one transfer")?;
                let held = self.m.balance(&owner, asset).await?;
                if held < owed {
                    self.m.mint(&owner, asset, owed - held).await?;
                    topped_up += 1;
                }
                self.repay(who, asset, ALL).await?;
                repaid += 1;
            }
            for deposit in obligation.active_deposits() {
                let asset = self.m.asset_of(&deposit.reserve)?;
                self.withdraw(who, asset, ALL).await?;
            }
        }
        // The keeper redeems any collateral it took as shares.
        let keeper = self.keeper_wallet.insecure_clone();
        let keeper_obligation = client::obligation_address(&self.m.market, &keeper.pubkey(), 0);
        if let Some(account) = self.m.chain.account(&keeper_obligation).await? {
            let obligation: ballast::state::Obligation = ballast_client::view::decode(&account)?;
            let view = self.m.view().await?;
            for deposit in obligation.active_deposits() {
                wallet::withdraw(
                    &mut self.m.chain,
                    &view,
                    &keeper,
                    &keeper_obligation,
                    &deposit.reserve,
                    ALL,
                )
                .await?;
            }
        }
        self.say(format!(
            "{} remaining borrowers repay {repaid} loans in full ({topped_up} top up their wallets for interest) and withdraw their collateral",
            self.clock()
        ));
        Ok(())
    }

    async fn collect_fees(&mut self) -> anyhow::Result<()> {
        let admin = self.m.admin.insecure_clone();
        let view = self.m.view().await?;
        let mut swept = vec![];
        for asset in STORY_ASSETS {
            let reserve = self.m.assets[asset].reserve;
            let keys = view.keys(&reserve).expect("a reserve of the view");
            let treasury = ata(&admin.pubkey(), &keys.mint, &keys.token_program);
            let before = self.m.token_balance(&treasury).await?;
            let ix = client::collect_fees(&admin.pubkey(), &self.m.market, &keys, &treasury);
            self.m.chain.send(&[ix], &[&admin]).await?;
            let after = self.m.token_balance(&treasury).await?;
            swept.push(self.m.show(asset, u128::from(after - before)));
        }
        self.say(format!(
            "{} protocol fees collected to the treasury: {}",
            self.clock(),
            swept.join(", ")
        ));
        Ok(())
    }

    async fn exit_lenders(&mut self) -> anyhow::Result<()> {
        for who in 0..self.people.len() {
            if self.people[who].role != Role::Lender {
                continue;
            }
            let key = self.people[who].obligation;
            let owner = self.people[who].keypair.pubkey();
            let obligation = wallet::read_obligation(&mut self.m.chain, &key).await?;
            let mut parts = vec![];
            for deposit in obligation.active_deposits() {
                let asset = self.m.asset_of(&deposit.reserve)?;
                let before = self.m.balance(&owner, asset).await?;
                self.withdraw(who, asset, ALL).await?;
                let got = self.m.balance(&owner, asset).await? - before;
                let put = self.m.minted.get(&(owner, asset)).copied().unwrap_or(0);
                let (sign, diff) = if got >= put {
                    ("+", got - put)
                } else {
                    ("−", put - got)
                };
                parts.push(format!(
                    "{} ({sign}{})",
                    self.m.show(asset, u128::from(got)),
                    amount_short(u128::from(diff), self.m.assets[asset].decimals)
                ));
            }
            let line = format!(
                "{} {} withdraws {}",
                self.clock(),
                self.people[who].name,
                parts.join(", ")
            );
            self.say(line);
        }
        Ok(())
    }

    /// Vault balances against the books, and every token accounted for.
    async fn reconcile(&mut self) -> anyhow::Result<()> {
        self.heading("Reconciliation, to the token unit");
        let view = self.m.view().await?;
        let mut all_ok = true;
        let wallets: Vec<(Pubkey, Option<Role>)> = self
            .people
            .iter()
            .map(|p| (p.keypair.pubkey(), Some(p.role)))
            .chain([
                (self.keeper_wallet.pubkey(), None),
                (self.m.admin.pubkey(), None),
            ])
            .collect();
        for asset in STORY_ASSETS {
            let reserve = view.reserves[&self.m.assets[asset].reserve].reserve.clone();
            let vault = self.m.token_balance(&reserve.liquidity_vault).await?;
            let fund_vault = self.m.token_balance(&reserve.fund_vault).await?;
            let mut minted_total: u128 = 0;
            let mut held_total: u128 = 0;
            let mut deltas = [0i128; 4]; // lenders, borrowers, keeper, treasury/fund seeder
            for (owner, role) in &wallets {
                let minted = u128::from(self.m.minted.get(&(*owner, asset)).copied().unwrap_or(0));
                let held = u128::from(self.m.balance(owner, asset).await?);
                minted_total += minted;
                held_total += held;
                let slot = match role {
                    Some(Role::Lender) => 0,
                    Some(Role::Borrower) => 1,
                    None if *owner == self.keeper_wallet.pubkey() => 2,
                    None => 3,
                };
                deltas[slot] += held as i128 - minted as i128;
            }
            let symbol = self.m.assets[asset].symbol.clone();
            let d = self.m.assets[asset].decimals;
            let vault_ok = u128::from(vault) == u128::from(reserve.available_liquidity);
            let fund_ok = u128::from(fund_vault)
                == u128::from(reserve.fund_balance) + u128::from(reserve.fund_receivable);
            let conserved = minted_total == held_total + u128::from(vault) + u128::from(fund_vault);
            let flows_ok =
                deltas.iter().sum::<i128>() + i128::from(vault) + i128::from(fund_vault) == 0;
            all_ok &= vault_ok && fund_ok && conserved && flows_ok;
            let mark = |ok: bool| if ok { "✓" } else { "✗" };
            let signed = |v: i128| {
                let text = crate::format::amount(v.unsigned_abs(), d);
                if v < 0 {
                    format!("−{text}")
                } else {
                    format!("+{text}")
                }
            };
            let interest = reserve.cumulative_interest_wad / WAD;
            let fees = reserve.cumulative_protocol_fees_wad / WAD;
            let insurance = reserve.cumulative_insurance_wad / WAD;
            let lines = [
                format!("{symbol}:"),
                format!(
                    "  liquidity vault {} = available liquidity {} {}",
                    crate::format::amount(u128::from(vault), d),
                    crate::format::amount(u128::from(reserve.available_liquidity), d),
                    mark(vault_ok)
                ),
                format!(
                    "  fund vault {} = fund balance {} + receivable {} {}",
                    crate::format::amount(u128::from(fund_vault), d),
                    crate::format::amount(u128::from(reserve.fund_balance), d),
                    crate::format::amount(u128::from(reserve.fund_receivable), d),
                    mark(fund_ok)
                ),
                format!(
                    "  minted {} = wallets {} + vault + fund vault {}",
                    crate::format::amount(minted_total, d),
                    crate::format::amount(held_total, d),
                    mark(conserved)
                ),
                format!(
                    "  wallet deltas: lenders {}, borrowers {}, keeper {}, protocol (fees − fund seed) {}; Σ + vaults = 0 {}",
                    signed(deltas[0]),
                    signed(deltas[1]),
                    signed(deltas[2]),
                    signed(deltas[3]),
                    mark(flows_ok)
                ),
                format!(
                    "  interest charged {} = depositors {} + protocol fees {} + fund {}",
                    crate::format::amount(interest, d),
                    crate::format::amount(interest.saturating_sub(fees + insurance), d),
                    crate::format::amount(fees, d),
                    crate::format::amount(insurance, d),
                ),
            ];
            for line in lines {
                self.say(line);
            }
        }
        self.outcome.reconciled = all_ok;
        self.say(if all_ok {
            "Every token is accounted for."
        } else {
            "RECONCILIATION FAILED"
        });
        anyhow::ensure!(all_ok, "reconciliation failed");
        Ok(())
    }
}

/// The wallet commands the demo's people use.
#[derive(Debug, Clone, Copy)]
enum WalletAction {
    Deposit,
    Borrow,
    Repay,
    Withdraw,
}
