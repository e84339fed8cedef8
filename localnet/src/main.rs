//! `ballast-localnet`: a local Solana validator (surfpool, offline, on 127.0.0.1) with Ballast
//! registered natively, the market of `migrations/localnet.toml` applied by `ballast migrate`
//! over JSON-RPC, simulated Pyth feeds kept fresh, and funded wallets for a lender, a borrower
//! and a keeper. `ballast-localnet price SOL 90` moves a price on the running network.
//!
//! A crate of its own so that the demo (`cargo run -p ballast-app -- demo`) does not build
//! surfpool's ~280 crates.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use ballast_app::format::amount_short;
use ballast_app::localnet::LocalMarket;
use ballast_app::migrate::{self, MarketFile};
use ballast_app::wallet;
use ballast_client::chain::{Chain, LocalChain};
use ballast_client::rpc::{CommitmentConfig, RpcChain};
use ballast_surfnet::SurfnetOptions;
use clap::{Args, Parser, Subcommand};
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

#[derive(Parser)]
#[command(
    name = "ballast-localnet",
    version,
    about = "A local validator with the Ballast localnet market, fresh simulated prices and funded wallets",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    start: StartArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Start the network and keep it running until interrupted (the default).
    Start(StartArgs),
    /// Move a simulated price on a running localnet (USD per whole token).
    Price {
        /// USDC, BTC or SOL.
        asset: String,
        /// The new price in USD, e.g. 90 or 0.98.
        usd: f64,
        /// The localnet's RPC URL.
        #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899")]
        url: String,
    },
}

#[derive(Args, Clone)]
struct StartArgs {
    /// JSON-RPC port on 127.0.0.1.
    #[arg(long, default_value_t = 8899)]
    rpc_port: u16,
    /// Websocket port on 127.0.0.1.
    #[arg(long, default_value_t = 8900)]
    ws_port: u16,
    /// Where the wallets' keypair files are written.
    #[arg(long, default_value = ".localnet")]
    dir: PathBuf,
    /// Seconds between feed refreshes (the strict price policy accepts prices up to 60 s old).
    #[arg(long, default_value_t = 10)]
    refresh_secs: u64,
    /// Print every transaction the network processes (to stderr).
    #[arg(long)]
    log_transactions: bool,
    /// Also show the program's own log lines (`msg!`), which a native program prints to stdout.
    #[arg(long)]
    program_logs: bool,
    /// Set everything up, refresh the feeds once, print the block and exit (for scripts and
    /// the offline check).
    #[arg(long)]
    exit_after_setup: bool,
}

/// The localnet's keys. Fixed (and therefore public): the market address stays the same from
/// one start to the next, and nothing here guards anything but a throwaway local network.
fn keypair(seed: u8) -> Keypair {
    Keypair::new_from_array([seed; 32])
}
const ADMIN_SEED: u8 = 0xa1;
const MINT_AUTHORITY_SEED: u8 = 0xa2;
const LENDER_SEED: u8 = 0xb1;
const BORROWER_SEED: u8 = 0xb2;
const KEEPER_SEED: u8 = 0xb3;

/// SOL (lamports) each wallet is given for fees and rent.
const WALLET_LAMPORTS: u64 = 100 * 1_000_000_000;

/// What each wallet holds at the start, in whole tokens of USDC, BTC, SOL.
const FUNDING: [(&str, u8, [f64; 3]); 3] = [
    ("lender", LENDER_SEED, [1_000_000.0, 10.0, 5_000.0]),
    ("borrower", BORROWER_SEED, [1_000.0, 2.0, 100.0]),
    ("keeper", KEEPER_SEED, [250_000.0, 2.0, 1_000.0]),
];

fn main() {
    let cli = Cli::parse();
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::Price { asset, usd, url }) => price(&url, &asset, usd).await,
            Some(Command::Start(args)) => start(args).await,
            None => start(cli.start).await,
        }
    });
    if let Err(error) = result {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn localnet_file() -> anyhow::Result<MarketFile> {
    MarketFile::parse(migrate::LOCALNET).context("migrations/localnet.toml")
}

fn port_free(port: u16) -> anyhow::Result<()> {
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .with_context(|| {
            format!(
                "127.0.0.1:{port} is in use (another localnet or solana-test-validator?); \
                 stop it or pass --rpc-port / --ws-port"
            )
        })
}

async fn start(args: StartArgs) -> anyhow::Result<()> {
    let mut out: Box<dyn Write> = match (args.program_logs, ballast_app::stdio::quiet_stdout()) {
        (false, Some(file)) => Box::new(file),
        _ => Box::new(std::io::stdout()),
    };
    port_free(args.rpc_port)?;
    port_free(args.ws_port)?;
    let net = ballast_surfnet::start(&SurfnetOptions {
        rpc_port: args.rpc_port,
        ws_port: args.ws_port,
        log_transactions: args.log_transactions,
        ..SurfnetOptions::interactive()
    })?;
    let file = localnet_file()?;
    let admin = keypair(ADMIN_SEED);
    // The setup waits for each transaction to be processed, not confirmed: one slot (400 ms)
    // less per step.
    let mut chain = RpcChain::with_commitment(
        &net.url,
        admin.insecure_clone(),
        CommitmentConfig::processed(),
    );
    chain.airdrop(&admin.pubkey(), WALLET_LAMPORTS).await?;
    let now = chain.now().await?;
    let mut local =
        LocalMarket::start(chain, &file, admin, keypair(MINT_AUTHORITY_SEED), now).await?;

    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    write_key(&args.dir, "admin", &local.admin)?;
    let mut funded = vec![];
    for (name, seed, amounts) in FUNDING {
        let wallet = keypair(seed);
        local
            .chain
            .airdrop(&wallet.pubkey(), WALLET_LAMPORTS)
            .await?;
        for (asset, whole) in amounts.iter().enumerate() {
            let units = local.tokens(asset, *whole);
            local.mint(&wallet.pubkey(), asset, units).await?;
        }
        if name != "keeper" {
            let market = local.market;
            wallet::create_obligation(&mut local.chain, &market, &wallet, 0).await?;
        }
        let path = write_key(&args.dir, name, &wallet)?;
        funded.push((name, wallet.pubkey(), path, amounts));
    }
    local.refresh().await?;

    out.write_all(block(&net.url, &local, &args, &funded).as_bytes())?;
    out.flush()?;
    if args.exit_after_setup {
        return Ok(());
    }
    let mut ticker = tokio::time::interval(Duration::from_secs(args.refresh_secs.max(1)));
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopping the localnet");
                return Ok(());
            }
            _ = ticker.tick() => {
                if let Err(error) = local.refresh().await {
                    eprintln!("warning: refreshing the feeds failed: {error:#}");
                }
            }
        }
    }
}

fn write_key(dir: &Path, name: &str, keypair: &Keypair) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}.json"));
    write_keypair_file(keypair, &path)
        .map_err(|error| anyhow::anyhow!("writing {}: {error}", path.display()))?;
    Ok(path)
}

/// What the user reads once the network is ready.
fn block(
    url: &str,
    local: &LocalMarket<RpcChain>,
    args: &StartArgs,
    funded: &[(&str, solana_sdk::pubkey::Pubkey, PathBuf, [f64; 3])],
) -> String {
    let dir = args.dir.display();
    let mut out = String::new();
    out.push_str("\nBallast localnet is running (offline, 127.0.0.1; Ctrl-C stops it)\n\n");
    out.push_str(&format!("  RPC URL     {url}\n"));
    out.push_str(&format!("  market      {}\n", local.market));
    out.push_str(&format!("  program     {} (native builtin)\n", ballast::ID));
    let prices: Vec<String> = local
        .assets
        .iter()
        .map(|a| format!("{} ${}", a.symbol, a.price))
        .collect();
    out.push_str(&format!(
        "  prices      {} (refreshed every {} s)\n",
        prices.join(", "),
        args.refresh_secs
    ));
    out.push_str("\n  wallets\n");
    for (name, key, path, amounts) in funded {
        let holdings: Vec<String> = amounts
            .iter()
            .enumerate()
            .map(|(asset, whole)| {
                let units = u128::from(local.tokens(asset, *whole));
                format!(
                    "{} {}",
                    amount_short(units, local.assets[asset].decimals),
                    local.assets[asset].symbol
                )
            })
            .collect();
        out.push_str(&format!(
            "    {name:<9} {key}  {}  ({})\n",
            path.display(),
            holdings.join(", ")
        ));
    }
    out.push_str(&format!(
        "\nIn another terminal:\n\n  \
         export BALLAST_MARKET={market}\n  \
         alias ballast='cargo run -q -p ballast-app -- --url {url}'\n  \
         ballast --keypair {dir}/lender.json deposit USDC 100000\n  \
         ballast --keypair {dir}/borrower.json deposit BTC 1\n  \
         ballast --keypair {dir}/borrower.json borrow USDC 40000\n  \
         ballast --keypair {dir}/borrower.json health\n  \
         ballast --keypair {dir}/keeper.json keeper --interval-secs 5 &\n  \
         cargo run -q -p ballast-localnet -- price BTC 50000 --url {url}\n  \
         ballast --keypair {dir}/borrower.json health\n\n",
        market = local.market,
    ));
    out
}

async fn price(url: &str, asset: &str, usd: f64) -> anyhow::Result<()> {
    anyhow::ensure!(
        usd.is_finite() && usd > 0.0,
        "a price is a positive number of USD, not {usd}"
    );
    let file = localnet_file()?;
    let chain = RpcChain::with_commitment(url, keypair(ADMIN_SEED), CommitmentConfig::processed());
    let mut local = LocalMarket::attach(
        chain,
        &file,
        keypair(ADMIN_SEED),
        keypair(MINT_AUTHORITY_SEED),
        0,
    )?;
    let index = local.asset_named(asset)?;
    let now = local
        .sync_clock()
        .await
        .with_context(|| format!("is the localnet running at {url}?"))?;
    let before = local.refresh().await?[index];
    local.publish(index, usd).await?;
    println!(
        "{} ${before} -> ${usd} (published at {now})",
        local.assets[index].symbol
    );
    Ok(())
}
