//! The `ballast` binary over JSON-RPC against a local validator (surfpool, started by the test,
//! offline on 127.0.0.1), told the same story as the embedded bank: every output and every
//! Ballast account must come out the same on both.
//!
//! The validator makes a slot per transaction and moves its clock only when told
//! (`SurfnetOptions::deterministic`), and the bank starts at the validator's second, so both
//! chains run the story at the same timestamps and interest accrues identically (not at all,
//! within one second).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anchor_lang::prelude::Pubkey;
use ballast_app::keeper::{self, KeeperConfig, PassSummary};
use ballast_app::localnet::{LocalMarket, BTC, SOL, USDC};
use ballast_app::migrate::{self, MarketFile};
use ballast_app::wallet;
use ballast_bank::chain::BankChain;
use ballast_client::chain::{Chain, LocalChain};
use ballast_client::rpc::{CommitmentConfig, RpcChain};
use ballast_client::view::{MarketView, OBLIGATION_LEN, RESERVE_LEN};
use ballast_surfnet::SurfnetOptions;
use serde_json::Value;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

const LAMPORTS: u64 = 100 * 1_000_000_000;

fn localnet_toml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/localnet.toml")
}

/// The same market on a local validator and on an embedded bank, with the same wallets.
struct Twin {
    url: String,
    dir: PathBuf,
    validator: LocalMarket<RpcChain>,
    bank: LocalMarket<BankChain>,
    lender: Keypair,
    borrower: Keypair,
    keeper: Keypair,
    /// The validator (stopped when the twin is dropped, after everything else).
    _net: ballast_surfnet::Surfnet,
}

/// One `ballast` run: its exit status, stdout and stderr.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn json(&self) -> Value {
        assert!(self.ok, "ballast failed:\n{}", self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", self.stdout))
    }

    fn human(&self) -> &str {
        assert!(self.ok, "ballast failed:\n{}", self.stderr);
        &self.stdout
    }

    /// The one-line message a failed command printed.
    fn error(&self) -> &str {
        assert!(!self.ok, "ballast should have failed:\n{}", self.stdout);
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "a panic, not a message:\n{}",
            self.stderr
        );
        self.stderr
            .lines()
            .rev()
            .find(|line| line.starts_with("error: "))
            .unwrap_or_else(|| panic!("no error line:\n{}", self.stderr))
    }
}

/// Runs the real binary against `url` as `keypair` (a file in `dir`).
fn ballast(url: &str, dir: &Path, keypair: &str, market: Option<&Pubkey>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ballast"));
    command
        .args(["--url", url, "--commitment", "processed", "--log", "warn"])
        .args([
            "--keypair",
            &dir.join(format!("{keypair}.json")).to_string_lossy(),
        ])
        // No Solana CLI config of the machine's: only what the test says.
        .args(["--cli-config", &dir.join("none.yml").to_string_lossy()])
        .env_remove("BALLAST_MARKET");
    if let Some(market) = market {
        command.args(["--market", &market.to_string()]);
    }
    Run::from(
        command
            .args(args)
            .output()
            .expect("the ballast binary runs"),
    )
}

impl Twin {
    /// A validator with the localnet mints and feeds but no market yet, a bank at the validator's
    /// second with the same, and funded wallets (keypair files for the binary) on both.
    async fn start(seed: u8) -> Twin {
        let net = ballast_surfnet::start(&SurfnetOptions::deterministic()).expect("surfnet");
        let file = MarketFile::parse(migrate::LOCALNET).unwrap();
        let key = |n: u8| Keypair::new_from_array([seed.wrapping_add(n); 32]);
        let mut chain = RpcChain::with_commitment(&net.url, key(0), CommitmentConfig::processed());
        chain.airdrop(&key(0).pubkey(), LAMPORTS).await.unwrap();
        let now = chain.now().await.unwrap() + 1;
        chain.set_clock(now).await.unwrap();
        let mut validator = LocalMarket::attach(chain, &file, key(0), key(1), now).unwrap();
        validator.create_assets(&file).await.unwrap();
        let bank_chain = BankChain::start(key(0), now).await;
        let mut bank = LocalMarket::attach(bank_chain, &file, key(0), key(1), now).unwrap();
        bank.create_assets(&file).await.unwrap();

        let dir = std::env::temp_dir().join(format!("ballast-rpc-{}-{seed}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let twin = Twin {
            url: net.url.clone(),
            dir,
            validator,
            bank,
            lender: key(2),
            borrower: key(3),
            keeper: key(4),
            _net: net,
        };
        for (name, keypair) in [
            ("admin", &twin.validator.admin),
            ("lender", &twin.lender),
            ("borrower", &twin.borrower),
            ("keeper", &twin.keeper),
        ] {
            write_keypair_file(keypair, twin.dir.join(format!("{name}.json"))).unwrap();
        }
        twin
    }

    fn run(&self, keypair: &str, args: &[&str]) -> Run {
        ballast(
            &self.url,
            &self.dir,
            keypair,
            Some(&self.validator.market),
            args,
        )
    }

    fn keypair(&self, name: &str) -> Keypair {
        match name {
            "lender" => self.lender.insecure_clone(),
            "borrower" => self.borrower.insecure_clone(),
            "keeper" => self.keeper.insecure_clone(),
            _ => self.validator.admin.insecure_clone(),
        }
    }

    /// Gives `name` SOL and `whole` tokens of each asset on both chains.
    async fn fund(&mut self, name: &str, whole: [f64; 3]) {
        let owner = self.keypair(name).pubkey();
        self.validator
            .chain
            .airdrop(&owner, LAMPORTS)
            .await
            .unwrap();
        self.bank.chain.airdrop(&owner, LAMPORTS).await.unwrap();
        for (asset, whole) in whole.iter().enumerate() {
            let units = self.validator.tokens(asset, *whole);
            self.validator.mint(&owner, asset, units).await.unwrap();
            self.bank.mint(&owner, asset, units).await.unwrap();
        }
    }

    /// Publishes `price` for `asset` on both feeds.
    async fn publish(&mut self, asset: usize, price: f64) {
        self.validator.publish(asset, price).await.unwrap();
        self.bank.publish(asset, price).await.unwrap();
    }

    /// Every Ballast account of the market on both chains, byte for byte.
    async fn assert_same_accounts(&mut self, context: &str) {
        let market = self.validator.market;
        let on_validator = self.validator.chain.account(&market).await.unwrap();
        let on_bank = self.bank.chain.account(&market).await.unwrap();
        assert_eq!(
            on_validator.map(|a| (a.lamports, a.data)),
            on_bank.map(|a| (a.lamports, a.data)),
            "{context}: the market"
        );
        for size in [RESERVE_LEN, OBLIGATION_LEN] {
            let mut on_validator = self
                .validator
                .chain
                .program_accounts(size, &market)
                .await
                .unwrap();
            let mut on_bank = self
                .bank
                .chain
                .program_accounts(size, &market)
                .await
                .unwrap();
            on_validator.sort_by_key(|(key, _)| *key);
            on_bank.sort_by_key(|(key, _)| *key);
            let keys: Vec<Pubkey> = on_validator.iter().map(|(key, _)| *key).collect();
            assert_eq!(
                keys,
                on_bank.iter().map(|(key, _)| *key).collect::<Vec<_>>(),
                "{context}: the same accounts of {size} bytes"
            );
            for ((key, v), (_, b)) in on_validator.iter().zip(&on_bank) {
                assert_eq!(v.data, b.data, "{context}: {key} differs");
                assert_eq!(v.lamports, b.lamports, "{context}: {key} lamports differ");
            }
        }
    }

    async fn bank_view(&mut self) -> MarketView {
        self.bank.view().await.unwrap()
    }

    /// `health --output json` and the human table from the binary equal the library's on
    /// the bank.
    async fn assert_same_health(&mut self, name: &str) {
        let owner = self.keypair(name).pubkey();
        let obligation = ballast_client::obligation_address(&self.validator.market, &owner, 0);
        let view = self.bank_view().await;
        let state = wallet::read_obligation(&mut self.bank.chain, &obligation)
            .await
            .unwrap();
        let report = wallet::health_report(&view, &obligation, &state).unwrap();
        assert_eq!(
            self.run(name, &["health", "--output", "json"]).json(),
            serde_json::to_value(&report).unwrap(),
            "health of {name}"
        );
        assert_eq!(
            self.run(name, &["obligation", "show", "--output", "json"])
                .json(),
            serde_json::to_value(&report).unwrap(),
            "obligation show of {name}"
        );
        assert_eq!(
            self.run(name, &["health"]).human(),
            wallet::health_text(&report),
            "health of {name}, human"
        );
    }
}

/// A transaction command's report without its signature (the chains sign different blockhashes).
fn without_signature(mut report: Value) -> Value {
    let signature = report
        .as_object_mut()
        .and_then(|o| o.remove("signature"))
        .expect("a signature");
    assert!(
        signature.as_str().map(str::len).unwrap_or(0) >= 64,
        "a base-58 signature: {signature}"
    );
    report
}

/// A keeper summary without its timing.
fn without_timing(summary: &PassSummary) -> Value {
    let mut value = serde_json::to_value(summary).unwrap();
    value["elapsed_ms"] = Value::from(0);
    value
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wallet_commands_migrate_and_the_keeper_tell_the_same_story_over_rpc() {
    let mut t = Twin::start(60).await;
    let file = MarketFile::parse(migrate::LOCALNET).unwrap();
    let config = localnet_toml();
    let config = config.to_string_lossy();

    // migrate: the plan (human and JSON) is the bank's plan; apply; the re-plan is empty.
    let plan = migrate::plan(&mut t.bank.chain, &file).await.unwrap();
    let lines = migrate::describe(&plan);
    assert_eq!(
        plan.len(),
        9,
        "create market + two e-mode categories + six reserves"
    );
    let dry = ballast(
        &t.url,
        &t.dir,
        "admin",
        None,
        &["migrate", "--config", &config, "--dry-run"],
    );
    assert_eq!(
        dry.human(),
        lines.iter().map(|l| format!("{l}\n")).collect::<String>()
    );
    let dry_json = ballast(
        &t.url,
        &t.dir,
        "admin",
        None,
        &[
            "migrate",
            "--config",
            &config,
            "--dry-run",
            "--output",
            "json",
        ],
    );
    assert_eq!(dry_json.json(), serde_json::to_value(&lines).unwrap());
    let applied = ballast(
        &t.url,
        &t.dir,
        "admin",
        None,
        &["migrate", "--config", &config],
    );
    assert!(
        applied.human().ends_with("applied 9 steps\n"),
        "{}",
        applied.stdout
    );
    migrate::apply(&mut t.bank.chain, &plan).await.unwrap();
    let again = ballast(
        &t.url,
        &t.dir,
        "admin",
        None,
        &["migrate", "--config", &config],
    );
    assert_eq!(again.human(), "nothing to do: the chain matches the file\n");
    t.assert_same_accounts("after migrate").await;

    // market show and reserve list, JSON and human.
    let view = t.bank_view().await;
    let report = wallet::market_report(&view);
    assert_eq!(
        t.run("admin", &["market", "show", "--output", "json"])
            .json(),
        serde_json::to_value(&report).unwrap()
    );
    assert_eq!(
        t.run("admin", &["market", "show"]).human(),
        wallet::market_text(&report)
    );

    // Wallets, obligations (created by the binary), and the story.
    t.fund("lender", [1_000_000.0, 10.0, 5_000.0]).await;
    t.fund("borrower", [1_000.0, 2.0, 100.0]).await;
    t.fund("keeper", [250_000.0, 2.0, 1_000.0]).await;
    let market = t.validator.market;
    for name in ["lender", "borrower"] {
        let created = t
            .run(name, &["obligation", "create", "--output", "json"])
            .json();
        let keypair = t.keypair(name);
        t.bank.chain.set_wallet(keypair.insecure_clone());
        let on_bank = wallet::create_obligation(&mut t.bank.chain, &market, &keypair, 0)
            .await
            .unwrap();
        assert_eq!(created, Value::from(on_bank.to_string()));
    }
    let steps: [(&str, &str, &str, &str); 6] = [
        ("lender", "deposit", "USDC", "100000"),
        ("lender", "deposit", "SOL", "1000"),
        ("borrower", "deposit", "BTC", "1"),
        ("borrower", "borrow", "USDC", "40000"),
        ("borrower", "repay", "USDC", "500"),
        ("borrower", "withdraw", "BTC", "0.01"),
    ];
    for (name, verb, asset, amount) in steps {
        let report = t
            .run(name, &[verb, asset, amount, "--output", "json"])
            .json();
        let keypair = t.keypair(name);
        let view = t.bank_view().await;
        let (reserve, state) = wallet::find_reserve(&view, asset).unwrap();
        let units = ballast_app::format::parse_amount(amount, state.decimals).unwrap();
        let obligation = ballast_client::obligation_address(&market, &keypair.pubkey(), 0);
        let chain = &mut t.bank.chain;
        chain.set_wallet(keypair.insecure_clone());
        match verb {
            "deposit" => {
                wallet::deposit(chain, &view, &keypair, &obligation, &reserve, units).await
            }
            "borrow" => wallet::borrow(chain, &view, &keypair, &obligation, &reserve, units).await,
            "repay" => wallet::repay(chain, &view, &keypair, &obligation, &reserve, units).await,
            _ => wallet::withdraw(chain, &view, &keypair, &obligation, &reserve, units).await,
        }
        .unwrap();
        let past = match verb {
            "deposit" => "deposited",
            "borrow" => "borrowed",
            "repay" => "repaid",
            _ => "withdrew",
        };
        assert_eq!(
            without_signature(report),
            serde_json::json!({
                "action": format!("{past} {amount} {asset}"),
                "obligation": obligation.to_string(),
            })
        );
        t.assert_same_accounts(&format!("after {name} {verb} {amount} {asset}"))
            .await;
    }
    t.assert_same_health("borrower").await;
    t.assert_same_health("lender").await;
    let rows = wallet::reserve_list(&t.bank_view().await).unwrap();
    assert_eq!(
        t.run("lender", &["reserve", "list", "--output", "json"])
            .json(),
        serde_json::to_value(&rows).unwrap()
    );
    assert_eq!(
        t.run("lender", &["reserve", "list"]).human(),
        wallet::reserve_table(&rows)
    );
    // The tokens moved for real on the validator: the borrower holds 1 000 + 40 000 − 500 USDC.
    let borrower = t.borrower.pubkey();
    assert_eq!(
        t.validator.balance(&borrower, USDC).await.unwrap(),
        40_500_000_000
    );
    assert_eq!(
        t.validator.balance(&borrower, BTC).await.unwrap(),
        101_000_000
    );

    // BTC falls 1/6: the borrower is liquidatable. The keeper's dry run plans, its real run
    // liquidates, on both chains alike.
    t.publish(BTC, 50_000.0).await;
    // What a further −50 % would cost, by the binary over RPC and in process on the bank.
    let state = ballast_app::stress::MarketState::load(&mut t.bank.chain, &market)
        .await
        .unwrap();
    let shock = ballast_app::stress::Shock {
        moves: [(t.bank.assets[BTC].reserve, -5_000)].into(),
    };
    let simulated = ballast_app::stress::simulate(
        &state,
        &shock,
        &ballast_app::stress::SimConfig::new(t.keeper.pubkey()),
    );
    assert!(!simulated.liquidations.is_empty());
    assert_eq!(
        t.run(
            "keeper",
            &["stress", "--move", "BTC=-50", "--output", "json"]
        )
        .json(),
        serde_json::to_value(&simulated).unwrap()
    );
    assert_eq!(
        t.run("keeper", &["stress", "--move", "BTC=-50"]).human(),
        ballast_app::stress::outcome_text(&simulated)
    );
    let refused = t.run("keeper", &["stress", "--move", "BTC=-99"]);
    assert!(
        refused.error().contains("between -95% and +200%"),
        "{}",
        refused.stderr
    );
    t.assert_same_accounts("after the stress test (it sends nothing)")
        .await;
    // The dashboard binary over RPC: one position's page is `ballast health`, its stress test
    // is `ballast stress`, and it changes nothing.
    let mut dashboard = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args([
            "--url",
            &t.url,
            "--commitment",
            "processed",
            "--log",
            "warn",
        ])
        .args(["--cli-config", &t.dir.join("none.yml").to_string_lossy()])
        .args(["--market", &market.to_string()])
        .args(["dashboard", "--port", "0", "--refresh-secs", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = crate::demo::printed_url(dashboard.stdout.take().unwrap()).await;
    let borrower_obligation = ballast_client::obligation_address(&market, &t.borrower.pubkey(), 0);
    let page: Value = reqwest::get(format!("{base}api/positions/{borrower_obligation}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["report"],
        t.run("borrower", &["health", "--output", "json"]).json()
    );
    let page: Value = reqwest::get(format!("{base}api/stress?assets=BTC&shock=-50"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["outcome"]["reserves"],
        serde_json::to_value(&simulated).unwrap()["reserves"]
    );
    let refused = reqwest::get(format!("{base}stress?assets=BTC&shock=-99"))
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    dashboard.kill().unwrap();
    let _ = dashboard.wait();
    t.assert_same_accounts("after the dashboard (it sends nothing)")
        .await;
    let mut config = KeeperConfig::new(market);
    config.dry_run = true;
    t.bank.chain.set_wallet(t.keeper.insecure_clone());
    let planned = keeper::run(&mut t.bank.chain, config.clone(), true, Default::default())
        .await
        .unwrap();
    assert_eq!(
        (planned.unhealthy, planned.liquidations),
        (1, 0),
        "{planned:#?}"
    );
    let mut dry = t
        .run(
            "keeper",
            &["keeper", "--once", "--dry-run", "--output", "json"],
        )
        .json();
    dry["elapsed_ms"] = Value::from(0);
    assert_eq!(dry, without_timing(&planned));
    t.assert_same_accounts("after the dry run").await;

    config.dry_run = false;
    let done = keeper::run(&mut t.bank.chain, config, true, Default::default())
        .await
        .unwrap();
    assert_eq!((done.liquidated, done.failed), (1, 0), "{done:#?}");
    let mut real = t
        .run("keeper", &["keeper", "--once", "--output", "json"])
        .json();
    real["elapsed_ms"] = Value::from(0);
    assert_eq!(real, without_timing(&done));
    t.assert_same_accounts("after the liquidation").await;
    t.assert_same_health("borrower").await;
    let keeper = t.keeper.pubkey();
    for asset in [USDC, BTC, SOL] {
        assert_eq!(
            t.validator.balance(&keeper, asset).await.unwrap(),
            t.bank.balance(&keeper, asset).await.unwrap(),
            "the keeper's {} balance",
            t.validator.assets[asset].symbol
        );
    }
    assert!(t.validator.balance(&keeper, BTC).await.unwrap() > 200_000_000);
    // The second pass finds nothing.
    let after = t
        .run("keeper", &["keeper", "--once", "--output", "json"])
        .json();
    assert_eq!(after["unhealthy"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_over_rpc_gets_the_banks_named_errors() {
    let mut t = Twin::start(70).await;
    let file = MarketFile::parse(migrate::LOCALNET).unwrap();
    t.validator.migrate(&file).await.unwrap();
    t.bank.migrate(&file).await.unwrap();
    t.fund("borrower", [1_000.0, 2.0, 100.0]).await;
    let market = t.validator.market;
    let borrower = t.borrower.insecure_clone();
    wallet::create_obligation(&mut t.validator.chain, &market, &borrower, 0)
        .await
        .unwrap();
    wallet::create_obligation(&mut t.bank.chain, &market, &borrower, 0)
        .await
        .unwrap();

    // A market address that is not a Ballast market (a mint; nothing at all).
    let mint = t.validator.assets[USDC].mint;
    let on_bank = MarketView::load(&mut t.bank.chain, &mint)
        .await
        .err()
        .unwrap();
    let run = ballast(&t.url, &t.dir, "borrower", Some(&mint), &["market", "show"]);
    assert_eq!(run.error(), format!("error: {on_bank:#}"));
    assert!(
        run.error().contains("not a Ballast account"),
        "{}",
        run.error()
    );
    let nowhere = Pubkey::new_unique();
    let on_bank = MarketView::load(&mut t.bank.chain, &nowhere)
        .await
        .err()
        .unwrap();
    let run = ballast(
        &t.url,
        &t.dir,
        "borrower",
        Some(&nowhere),
        &["reserve", "list"],
    );
    assert_eq!(run.error(), format!("error: {on_bank:#}"));

    // A wallet with no SOL cannot pay the fee: the same message on both.
    let broke = Keypair::new();
    write_keypair_file(&broke, t.dir.join("broke.json")).unwrap();
    let obligation = ballast_client::obligation_address(&market, &broke.pubkey(), 0);
    t.bank.chain.set_wallet(broke.insecure_clone());
    let on_bank = wallet::create_obligation(&mut t.bank.chain, &market, &broke, 0)
        .await
        .err()
        .unwrap();
    let run = t.run("broke", &["obligation", "create"]);
    assert_eq!(run.error(), format!("error: {on_bank:#}"));
    assert!(t
        .validator
        .chain
        .account(&obligation)
        .await
        .unwrap()
        .is_none());
    t.bank.chain.set_wallet(t.bank.admin.insecure_clone());

    // A stale feed: two minutes without a BTC update (the strict policy allows 60 s). With
    // USDC to lend, the borrower's BTC deposit needs no price; the borrow against it does, and
    // is refused by name.
    t.fund("lender", [10_000.0, 0.0, 0.0]).await;
    let lender = t.lender.insecure_clone();
    t.validator.lend(&lender, 10_000_000_000).await;
    t.bank.lend(&lender, 10_000_000_000).await;
    let run = t.run("borrower", &["deposit", "BTC", "1"]);
    assert!(run.ok, "{}", run.stderr);
    let view = t.bank_view().await;
    let (btc, _) = wallet::find_reserve(&view, "BTC").unwrap();
    let (usdc, _) = wallet::find_reserve(&view, "USDC").unwrap();
    let own = ballast_client::obligation_address(&market, &borrower.pubkey(), 0);
    t.bank.chain.set_wallet(borrower.insecure_clone());
    wallet::deposit(&mut t.bank.chain, &view, &borrower, &own, &btc, 100_000_000)
        .await
        .unwrap();
    t.validator.advance(120, &[BTC]).await.unwrap();
    t.bank.advance(120, &[BTC]).await.unwrap();
    let before = t.validator.balance(&borrower.pubkey(), USDC).await.unwrap();
    let on_bank = wallet::borrow(&mut t.bank.chain, &view, &borrower, &own, &usdc, 1_000_000)
        .await
        .err()
        .unwrap();
    let run = t.run("borrower", &["borrow", "USDC", "1"]);
    assert_eq!(run.error(), format!("error: borrow 1 USDC: {on_bank:#}"));
    assert!(run.error().contains("OracleStale"), "{}", run.error());
    assert_eq!(
        t.validator.balance(&borrower.pubkey(), USDC).await.unwrap(),
        before,
        "nothing moved"
    );
    t.assert_same_accounts("after the refused borrow").await;
}

/// A lender's USDC deposit, on either chain.
#[allow(async_fn_in_trait)]
trait Lend {
    async fn lend(&mut self, lender: &Keypair, units: u64);
}

impl<C: LocalChain> Lend for LocalMarket<C> {
    async fn lend(&mut self, lender: &Keypair, units: u64) {
        let market = self.market;
        let obligation = wallet::create_obligation(&mut self.chain, &market, lender, 0)
            .await
            .unwrap();
        let view = self.view().await.unwrap();
        let usdc = self.assets[USDC].reserve;
        wallet::deposit(&mut self.chain, &view, lender, &obligation, &usdc, units)
            .await
            .unwrap();
    }
}

/// A TCP relay to the validator that can be cut: the validator "going away" mid-run, with
/// every open connection dropped.
struct Relay {
    url: String,
    accept: tokio::task::JoinHandle<()>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn to(url: &str) -> Relay {
        let target = url.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let list = connections.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                list.lock().unwrap().push(task.abort_handle());
            }
        });
        Relay {
            url: format!("http://127.0.0.1:{port}"),
            accept,
            connections,
        }
    }

    /// Stops listening and drops every connection.
    fn cut(self) {
        self.accept.abort();
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_validator_going_away_is_a_clean_message_and_the_keeper_keeps_trying() {
    let mut t = Twin::start(80).await;
    let file = MarketFile::parse(migrate::LOCALNET).unwrap();
    t.validator.migrate(&file).await.unwrap();
    let relay = Relay::to(&t.url).await;
    let market = t.validator.market;
    let mut keeper = std::process::Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(["--url", &relay.url, "--commitment", "processed"])
        .args(["--keypair", &t.dir.join("keeper.json").to_string_lossy()])
        .args(["--cli-config", &t.dir.join("none.yml").to_string_lossy()])
        .args(["--market", &market.to_string()])
        .args(["keeper", "--interval-secs", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let it make a pass or two, then take the validator away.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    relay.cut();
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    assert!(
        keeper.try_wait().unwrap().is_none(),
        "the keeper keeps running without its validator"
    );
    keeper.kill().unwrap();
    let output = keeper.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pass done"),
        "it ran while the validator was there:\n{stderr}"
    );
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("pass failed, retrying: rpc:"))
        .collect();
    assert!(
        failed.len() >= 2,
        "each pass reports the failure:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A wallet command against a validator that is gone: one clean line, exit status 1.
    let gone = ballast(
        &relay_url_gone(),
        &t.dir,
        "borrower",
        Some(&market),
        &["health"],
    );
    assert!(gone.error().starts_with("error: rpc: "), "{}", gone.error());
    assert_eq!(
        gone.stderr.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "{}",
        gone.stderr
    );
}

/// A loopback URL nobody listens on.
fn relay_url_gone() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// `ballast keeper --flash`, the real binary over JSON-RPC: a keeper holding no USDC (only SOL
/// deposited in its obligation) liquidates a USDC debt in one v0 transaction through the lookup
/// table it creates on the validator.
#[tokio::test]
async fn the_flash_keeper_binary_liquidates_over_rpc_through_its_lookup_table() {
    let mut t = Twin::start(90).await;
    let config = localnet_toml();
    let config = config.to_string_lossy();
    let applied = ballast(
        &t.url,
        &t.dir,
        "admin",
        None,
        &["migrate", "--config", &config],
    );
    assert!(
        applied.human().ends_with("applied 9 steps\n"),
        "{}",
        applied.stdout
    );
    t.fund("lender", [1_000_000.0, 0.0, 0.0]).await;
    t.fund("borrower", [0.0, 2.0, 0.0]).await;
    t.fund("keeper", [0.0, 0.0, 200.0]).await;
    for name in ["lender", "borrower", "keeper"] {
        t.run(name, &["obligation", "create"]).human();
    }
    for (name, verb, asset, amount) in [
        ("lender", "deposit", "USDC", "100000"),
        ("borrower", "deposit", "BTC", "1"),
        ("borrower", "borrow", "USDC", "40000"),
        ("keeper", "deposit", "SOL", "200"),
    ] {
        t.run(name, &[verb, asset, amount, "--output", "json"])
            .json();
    }
    let keeper = t.keeper.pubkey();
    assert_eq!(t.validator.balance(&keeper, USDC).await.unwrap(), 0);
    t.validator.publish(BTC, 50_000.0).await.unwrap();
    let health = t.run("borrower", &["health", "--output", "json"]).json();
    assert_eq!(health["liquidatable"], true, "{health}");

    let pass = t
        .run(
            "keeper",
            &[
                "keeper",
                "--once",
                "--flash",
                "--lookup-table",
                "always",
                "--output",
                "json",
            ],
        )
        .json();
    assert_eq!(pass["failed"], 0, "{pass}");
    assert!(pass["liquidations"].as_u64().unwrap() >= 1, "{pass}");
    let largest = &pass["largest_flash_transaction"];
    assert!(largest[0].as_u64().unwrap() <= 1_232, "{pass}");
    assert!(
        largest[2].as_u64().unwrap() > 0,
        "keys through the table: {pass}"
    );
    let health = t.run("borrower", &["health", "--output", "json"]).json();
    assert_eq!(health["liquidatable"], false, "{health}");
    // The keeper still holds (almost) no USDC, owes USDC against SOL and the seized BTC.
    assert!(t.validator.balance(&keeper, USDC).await.unwrap() < 1_000);
    let own = t.run("keeper", &["health", "--output", "json"]).json();
    assert_eq!(own["liquidatable"], false, "{own}");
    let assets: Vec<&str> = own["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["asset"].as_str().unwrap())
        .collect();
    assert!(assets.contains(&"BTC") && assets.contains(&"USDC"), "{own}");
}
