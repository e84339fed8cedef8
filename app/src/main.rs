//! `ballast`: the demo, the reference keeper, wallet commands and market migrations.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anyhow::Context as _;
use ballast_app::dashboard;
use ballast_app::demo::Out as _;
use ballast_app::format::parse_amount;
use ballast_app::keeper::{self, KeeperConfig};
use ballast_app::migrate::{self, MarketFile};
use ballast_app::wallet::{self, ALL};
use ballast_client as client;
use ballast_client::chain::Chain;
use ballast_client::rpc::{self, RpcChain};
use ballast_client::view::MarketView;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use solana_sdk::signature::Signer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

#[derive(Parser)]
#[command(
    name = "ballast",
    version,
    about = "Ballast lending: demo, keeper, wallet and migrations"
)]
struct Cli {
    /// RPC URL or moniker: mainnet-beta, devnet, testnet, localhost (default: the Solana CLI config).
    #[arg(short = 'u', long = "url", global = true)]
    url: Option<String>,
    /// Keypair file (default: the Solana CLI config's keypair_path).
    #[arg(short = 'k', long = "keypair", global = true)]
    keypair: Option<String>,
    /// Solana CLI config file to read defaults from.
    #[arg(long, global = true)]
    cli_config: Option<PathBuf>,
    /// The market address (or use --config to derive it from a market file).
    #[arg(long, global = true, env = "BALLAST_MARKET")]
    market: Option<Pubkey>,
    /// Commitment to read at and to wait for after sending (`processed` on a local validator that
    /// makes a slot per transaction).
    #[arg(long, global = true, value_enum, default_value_t = Commitment::Confirmed)]
    commitment: Commitment,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Output::Human)]
    output: Output,
    /// Log level for the tracing logs (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Commitment {
    Processed,
    Confirmed,
    Finalized,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// The whole story on an embedded bank (no network needed).
    Demo {
        /// Also show the program's own log lines (`msg!`), which natively go to stdout.
        #[arg(long)]
        program_logs: bool,
        /// Then keep serving the story on the dashboard, its steps on a time slider.
        #[arg(long)]
        dashboard: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// A local web app over the market: reserves, every position's distance to liquidation,
    /// what-if prices and stress tests (reads only).
    Dashboard {
        #[command(flatten)]
        serve: ServeArgs,
        /// Re-read the chain when the last read is older than this (seconds).
        #[arg(long, default_value_t = 5)]
        refresh_secs: u64,
    },
    /// The liquidation bot.
    Keeper(KeeperArgs),
    /// Create or update a market from a TOML file (plan, then apply).
    Migrate {
        /// The market file (see migrations/).
        #[arg(long)]
        config: PathBuf,
        /// Print the plan, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Market settings.
    Market {
        #[command(subcommand)]
        command: MarketCommand,
    },
    /// Reserves.
    Reserve {
        #[command(subcommand)]
        command: ReserveCommand,
    },
    /// Obligations.
    Obligation {
        #[command(subcommand)]
        command: ObligationCommand,
    },
    /// Supply tokens (amount in token units, e.g. 12.5).
    Deposit(AmountArgs),
    /// Take supplied tokens back.
    Withdraw(AmountOrAllArgs),
    /// Borrow against the obligation's collateral.
    Borrow(AmountArgs),
    /// Repay debt (your own, or another obligation's with --obligation).
    Repay {
        #[command(flatten)]
        amount: AmountOrAllArgs,
        /// Repay on behalf of this obligation.
        #[arg(long)]
        obligation: Option<Pubkey>,
    },
    /// Use a deposit as collateral, or stop (`on` / `off`).
    Collateral(CollateralArgs),
    /// Enter an efficiency-mode category (1 … 4), or leave e-mode (`0`).
    Emode(EmodeArgs),
    /// Each position, the health factor, the borrow limit and liquidation prices.
    Health(OwnerArgs),
    /// What a crash would cost: move prices, run the keeper's cascade on a copy of the market
    /// (sends nothing).
    Stress(StressArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (loopback by default: the dashboard has no authentication).
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8040)]
    port: u16,
}

impl ServeArgs {
    /// Binds the listener.
    async fn listen(&self) -> anyhow::Result<tokio::net::TcpListener> {
        tokio::net::TcpListener::bind((self.bind, self.port))
            .await
            .with_context(|| format!("listening on {}:{}", self.bind, self.port))
    }
}

#[derive(Args)]
struct StressArgs {
    /// A price move, `ASSET=PERCENT` (symbol or mint; −95 … +200), e.g. `--move SOL=-40`;
    /// repeat for several assets.
    #[arg(long = "move", value_name = "ASSET=PERCENT", required = true)]
    moves: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Args)]
struct CollateralArgs {
    /// Symbol (USDC, SOL, …) or mint address of the deposit.
    asset: String,
    /// `on`: count it as collateral (with debt, reads a strict price); `off`: stop.
    state: Switch,
    /// Obligation index.
    #[arg(long, default_value_t = 0)]
    index: u8,
}

#[derive(Args)]
struct EmodeArgs {
    /// The category id (`market show` lists them); 0 leaves e-mode.
    category: u8,
    /// Obligation index.
    #[arg(long, default_value_t = 0)]
    index: u8,
}

#[derive(Subcommand)]
enum MarketCommand {
    Show,
}

#[derive(Subcommand)]
enum ReserveCommand {
    List,
}

#[derive(Subcommand)]
enum ObligationCommand {
    /// Open an obligation for the wallet.
    Create {
        #[arg(long, default_value_t = 0)]
        index: u8,
    },
    /// Show an obligation (the wallet's by default).
    Show(OwnerArgs),
}

#[derive(Args)]
struct OwnerArgs {
    /// Owner of the obligation (default: the wallet).
    #[arg(long)]
    owner: Option<Pubkey>,
    /// Obligation index.
    #[arg(long, default_value_t = 0)]
    index: u8,
    /// The obligation's address (instead of owner + index).
    #[arg(long)]
    address: Option<Pubkey>,
}

#[derive(Args)]
struct AmountArgs {
    /// Symbol (USDC, SOL, …) or mint address.
    asset: String,
    /// Amount in token units.
    amount: String,
    /// Obligation index.
    #[arg(long, default_value_t = 0)]
    index: u8,
}

#[derive(Args)]
struct AmountOrAllArgs {
    /// Symbol (USDC, SOL, …) or mint address.
    asset: String,
    /// Amount in token units (or --all).
    #[arg(required_unless_present = "all")]
    amount: Option<String>,
    /// The whole position.
    #[arg(long, conflicts_with = "amount")]
    all: bool,
    /// Obligation index.
    #[arg(long, default_value_t = 0)]
    index: u8,
}

#[derive(Args)]
struct KeeperArgs {
    /// Plan and log, send nothing.
    #[arg(long)]
    dry_run: bool,
    /// One pass, then exit.
    #[arg(long)]
    once: bool,
    /// Seconds between passes.
    #[arg(long, default_value_t = 10)]
    interval_secs: u64,
    /// Priority fee in micro-lamports per compute unit.
    #[arg(long, default_value_t = 10_000)]
    priority_fee: u64,
    /// Compute-unit limit per transaction.
    #[arg(long, default_value_t = 400_000)]
    compute_unit_limit: u32,
    /// Accepted shortfall of seized collateral below the expected amount (bps).
    #[arg(long, default_value_t = 50)]
    slippage_bps: u64,
    /// A market file to take the market address from.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Liquidate with flash loans: no inventory of the debt token needed; the seized collateral
    /// goes into the keeper's obligation 0 as shares and the repayment is borrowed against it
    /// (v0 transactions through a lookup table the keeper creates). See docs/flash-loans.md.
    #[arg(long)]
    flash: bool,
    /// With --flash: send through the keeper's lookup table (v0) only when a transaction does
    /// not fit a legacy one, or always.
    #[arg(long, value_enum, default_value_t = LookupTableArg::WhenNeeded)]
    lookup_table: LookupTableArg,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LookupTableArg {
    WhenNeeded,
    Always,
}

fn main() {
    let cli = Cli::parse();
    // The embedded bank logs every transaction through `log` at debug unless told otherwise;
    // set before any thread starts.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let level = cli
        .log
        .parse::<tracing::Level>()
        .unwrap_or(tracing::Level::INFO);
    // Our logs at the chosen level; the libraries' (the bank's RPC layer is chatty) at warn.
    let filter = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target("tarpc", LevelFilter::ERROR)
        .with_target("ballast_app", level)
        .with_target("ballast", level);
    if !matches!(cli.command, Command::Demo { .. }) {
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .with(filter)
            .init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(error) = runtime.block_on(run(cli)) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

/// Whether the command signs anything (read-only commands run without a keypair file).
fn signs(command: &Command) -> bool {
    match command {
        Command::Market { .. }
        | Command::Dashboard { .. }
        | Command::Reserve { .. }
        | Command::Health(_)
        | Command::Stress(_) => false,
        Command::Obligation {
            command: ObligationCommand::Show(_),
        } => false,
        Command::Keeper(args) => !args.dry_run,
        Command::Migrate { dry_run, .. } => !dry_run,
        _ => true,
    }
}

fn connect(cli: &Cli) -> anyhow::Result<RpcChain> {
    let config_path = cli.cli_config.clone().or_else(rpc::default_cli_config_path);
    let config = config_path
        .as_deref()
        .map(rpc::read_cli_config)
        .unwrap_or_default();
    let url = cli
        .url
        .clone()
        .or(config.json_rpc_url)
        .unwrap_or_else(|| "mainnet-beta".into());
    let keypair_path = cli
        .keypair
        .clone()
        .or(config.keypair_path)
        .unwrap_or_else(|| "~/.config/solana/id.json".into());
    let keypair = match rpc::load_keypair(&keypair_path) {
        Ok(keypair) => keypair,
        // Reading needs no key; an unfunded throwaway identity simulates and reads.
        Err(error) if !signs(&cli.command) => {
            tracing::debug!("no keypair ({error:#}); read-only session");
            solana_sdk::signature::Keypair::new()
        }
        Err(error) => return Err(error),
    };
    let commitment = match cli.commitment {
        Commitment::Processed => rpc::CommitmentConfig::processed(),
        Commitment::Confirmed => rpc::CommitmentConfig::confirmed(),
        Commitment::Finalized => rpc::CommitmentConfig::finalized(),
    };
    let chain = RpcChain::with_commitment(&url, keypair, commitment);
    tracing::debug!(url = chain.url(), wallet = %chain.wallet().pubkey(), "connected");
    Ok(chain)
}

fn market_of(cli: &Cli, config: Option<&PathBuf>, wallet: &Pubkey) -> anyhow::Result<Pubkey> {
    if let Some(market) = cli.market {
        return Ok(market);
    }
    if let Some(path) = config {
        return MarketFile::read(path)?.market_address(wallet);
    }
    anyhow::bail!("which market? pass --market ADDRESS (or BALLAST_MARKET)")
}

fn print<T: Serialize>(output: Output, value: &T, human: impl FnOnce(&T) -> String) {
    match output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(value).expect("serializable")
        ),
        Output::Human => print!("{}", human(value)),
    }
}

#[derive(Serialize)]
struct TxReport {
    action: String,
    signature: String,
    obligation: String,
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Demo {
        program_logs,
        dashboard,
        serve,
    } = &cli.command
    {
        let started = std::time::Instant::now();
        let mut out = match (program_logs, ballast_app::stdio::quiet_stdout()) {
            (false, Some(file)) => ballast_app::demo::Writer(Box::new(file) as Box<dyn Write>),
            _ => ballast_app::demo::Writer(Box::new(std::io::stdout()) as Box<dyn Write>),
        };
        // Bind first: a busy port is reported before the story runs.
        let listener = match dashboard {
            true => Some(serve.listen().await?),
            false => None,
        };
        let outcome = ballast_app::demo::run_recorded(&mut out, *dashboard).await?;
        out.line(&format!(
            "\n(demo finished in {:.1} s)",
            started.elapsed().as_secs_f64()
        ));
        if let Some(listener) = listener {
            out.line(&format!(
                "dashboard: http://{}/ serves the story's {} steps (Ctrl-C to stop)",
                listener.local_addr()?,
                outcome.snapshots.len()
            ));
            let source = dashboard::Source::Recorded(std::sync::Arc::new(outcome.snapshots));
            dashboard::serve(listener, source).await?;
        }
        return Ok(());
    }
    let mut chain = connect(&cli)?;
    let wallet = chain.wallet().insecure_clone();
    match &cli.command {
        Command::Demo { .. } => unreachable!(),
        Command::Dashboard {
            serve,
            refresh_secs,
        } => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let listener = serve.listen().await?;
            println!(
                "dashboard: http://{}/ (market {market} on {}; Ctrl-C to stop)",
                listener.local_addr()?,
                chain.url()
            );
            let (live, requests) =
                dashboard::live(market, format!("{} · market {market}", chain.url()));
            let server = tokio::spawn(dashboard::serve(listener, dashboard::Source::Live(live)));
            // The loader reads the chain on this task; it ends when the server does.
            dashboard::loader(
                &mut chain,
                market,
                requests,
                Duration::from_secs(*refresh_secs),
            )
            .await;
            server.await??;
        }
        Command::Migrate { config, dry_run } => {
            let file = MarketFile::read(config)?;
            let steps = migrate::plan(&mut chain, &file).await?;
            let lines = migrate::describe(&steps);
            print(cli.output, &lines, |lines| {
                lines.iter().map(|l| format!("{l}\n")).collect()
            });
            if !dry_run && !steps.is_empty() {
                migrate::apply(&mut chain, &steps).await?;
                if cli.output == Output::Human {
                    println!("applied {} steps", steps.len());
                }
            }
        }
        Command::Keeper(args) => {
            let market = market_of(&cli, args.config.as_ref(), &wallet.pubkey())?;
            let mut config = KeeperConfig::new(market);
            config.dry_run = args.dry_run;
            config.priority_fee_micro_lamports = args.priority_fee;
            config.compute_unit_limit = args.compute_unit_limit;
            config.slippage_bps = args.slippage_bps;
            config.flash = args.flash;
            config.lookup_table = match args.lookup_table {
                LookupTableArg::WhenNeeded => keeper::LookupTables::WhenNeeded,
                LookupTableArg::Always => keeper::LookupTables::Always,
            };
            config.progress = cli.output == Output::Human;
            let summary = keeper::run(
                &mut chain,
                config,
                args.once,
                Duration::from_secs(args.interval_secs),
            )
            .await?;
            print(cli.output, &summary, |s| {
                format!(
                    "scanned {}, unhealthy {}, liquidated {} ({} tx), bad debt realized {}, unpriceable {}, failed {}, {} ms\n",
                    s.scanned, s.unhealthy, s.liquidated, s.liquidations, s.bad_debt_realized,
                    s.unpriceable, s.failed, s.elapsed_ms
                )
            });
        }
        Command::Market { .. } => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let view = MarketView::load(&mut chain, &market).await?;
            let report = wallet::market_report(&view);
            print(cli.output, &report, wallet::market_text);
        }
        Command::Reserve { .. } => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let view = MarketView::load(&mut chain, &market).await?;
            let rows = wallet::reserve_list(&view)?;
            print(cli.output, &rows, |rows| wallet::reserve_table(rows));
        }
        Command::Obligation {
            command: ObligationCommand::Create { index },
        } => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let address = wallet::create_obligation(&mut chain, &market, &wallet, *index).await?;
            print(cli.output, &address.to_string(), |a| {
                format!("created obligation {a}\n")
            });
        }
        Command::Obligation {
            command: ObligationCommand::Show(owner),
        }
        | Command::Health(owner) => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let view = MarketView::load(&mut chain, &market).await?;
            let key = owner.address.unwrap_or_else(|| {
                client::obligation_address(
                    &market,
                    &owner.owner.unwrap_or(wallet.pubkey()),
                    owner.index,
                )
            });
            let obligation = wallet::read_obligation(&mut chain, &key).await?;
            let report = wallet::health_report(&view, &key, &obligation)?;
            print(cli.output, &report, wallet::health_text);
        }
        Command::Stress(args) => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let state = ballast_app::stress::MarketState::load(&mut chain, &market).await?;
            let mut shock = ballast_app::stress::Shock::default();
            for text in &args.moves {
                let (asset, percent) = text
                    .split_once('=')
                    .with_context(|| format!("--move {text}: write ASSET=PERCENT"))?;
                let (reserve, _) = wallet::find_reserve(&state.view, asset)?;
                let bps = ballast_app::stress::parse_move_percent(percent)
                    .with_context(|| format!("--move {text}"))?;
                shock.moves.insert(reserve, bps);
            }
            let outcome = ballast_app::stress::simulate(
                &state,
                &shock,
                &ballast_app::stress::SimConfig::new(wallet.pubkey()),
            );
            print(cli.output, &outcome, ballast_app::stress::outcome_text);
        }
        Command::Deposit(args) | Command::Borrow(args) => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let view = MarketView::load(&mut chain, &market).await?;
            let (reserve, state) = wallet::find_reserve(&view, &args.asset)?;
            let units = parse_amount(&args.amount, state.decimals)?;
            let obligation = client::obligation_address(&market, &wallet.pubkey(), args.index);
            let is_deposit = matches!(cli.command, Command::Deposit(_));
            let signature = if is_deposit {
                wallet::deposit(&mut chain, &view, &wallet, &obligation, &reserve, units).await
            } else {
                wallet::borrow(&mut chain, &view, &wallet, &obligation, &reserve, units).await
            }
            .with_context(|| {
                format!(
                    "{} {} {}",
                    if is_deposit { "deposit" } else { "borrow" },
                    args.amount,
                    args.asset
                )
            })?;
            let report = TxReport {
                action: format!(
                    "{} {} {}",
                    if is_deposit { "deposited" } else { "borrowed" },
                    args.amount,
                    args.asset
                ),
                signature: signature.to_string(),
                obligation: obligation.to_string(),
            };
            print(cli.output, &report, |r| {
                format!("{} ({})\n", r.action, r.signature)
            });
        }
        Command::Withdraw(args)
        | Command::Repay {
            amount: args,
            obligation: _,
        } => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let view = MarketView::load(&mut chain, &market).await?;
            let (reserve, state) = wallet::find_reserve(&view, &args.asset)?;
            let units = match (&args.amount, args.all) {
                (_, true) => ALL,
                (Some(text), false) => parse_amount(text, state.decimals)?,
                (None, false) => anyhow::bail!("give an amount or --all"),
            };
            let own = client::obligation_address(&market, &wallet.pubkey(), args.index);
            let (verb, signature, obligation) = match &cli.command {
                Command::Repay { obligation, .. } => {
                    let target = obligation.unwrap_or(own);
                    let sig = wallet::repay(&mut chain, &view, &wallet, &target, &reserve, units)
                        .await
                        .context("repay")?;
                    ("repaid", sig, target)
                }
                _ => {
                    let sig = wallet::withdraw(&mut chain, &view, &wallet, &own, &reserve, units)
                        .await
                        .context("withdraw")?;
                    ("withdrew", sig, own)
                }
            };
            let what = args.amount.clone().unwrap_or_else(|| "all".into());
            let report = TxReport {
                action: format!("{verb} {what} {}", args.asset),
                signature: signature.to_string(),
                obligation: obligation.to_string(),
            };
            print(cli.output, &report, |r| {
                format!("{} ({})\n", r.action, r.signature)
            });
        }
        Command::Collateral(args) => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let view = MarketView::load(&mut chain, &market).await?;
            let (reserve, _) = wallet::find_reserve(&view, &args.asset)?;
            let obligation = client::obligation_address(&market, &wallet.pubkey(), args.index);
            let enabled = args.state == Switch::On;
            let signature =
                wallet::set_collateral(&mut chain, &view, &wallet, &obligation, &reserve, enabled)
                    .await
                    .with_context(|| {
                        format!(
                            "collateral {} {}",
                            args.asset,
                            if enabled { "on" } else { "off" }
                        )
                    })?;
            let report = TxReport {
                action: format!(
                    "{} {} as collateral",
                    if enabled { "using" } else { "no longer using" },
                    args.asset
                ),
                signature: signature.to_string(),
                obligation: obligation.to_string(),
            };
            print(cli.output, &report, |r| {
                format!("{} ({})\n", r.action, r.signature)
            });
        }
        Command::Emode(args) => {
            let market = market_of(&cli, None, &wallet.pubkey())?;
            let view = MarketView::load(&mut chain, &market).await?;
            let obligation = client::obligation_address(&market, &wallet.pubkey(), args.index);
            let signature =
                wallet::set_emode(&mut chain, &view, &wallet, &obligation, args.category)
                    .await
                    .with_context(|| format!("emode {}", args.category))?;
            let report = TxReport {
                action: match args.category {
                    0 => "left e-mode".to_string(),
                    id => format!("entered e-mode category {id}"),
                },
                signature: signature.to_string(),
                obligation: obligation.to_string(),
            };
            print(cli.output, &report, |r| {
                format!("{} ({})\n", r.action, r.signature)
            });
        }
    }
    Ok(())
}
