//! The real `ballast-localnet` binary: the newcomer's story over JSON-RPC (deposit, borrow,
//! health, a price move, the keeper's liquidation), fresh feeds, a clean stop on Ctrl-C, and no
//! networking beyond loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use ballast_app::keeper::{self, KeeperConfig};
use ballast_app::wallet;
use ballast_bank::pyth;
use ballast_client::chain::Chain;
use ballast_client::rpc::{self, RpcChain};
use ballast_client::view::{oracle_of, MarketView};

const BIN: &str = env!("CARGO_BIN_EXE_ballast-localnet");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ballast-localnet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `ballast-localnet` and what its block told the user.
struct Localnet {
    child: Child,
    url: String,
    market: Pubkey,
    dir: PathBuf,
    block: String,
}

impl Localnet {
    /// Starts the binary with `extra` arguments and reads stdout up to the end of its block.
    fn start(name: &str, extra: &[&str]) -> Localnet {
        let dir = temp_dir(name);
        let (rpc_port, ws_port) = (free_port(), free_port());
        let mut child = Command::new(BIN)
            .args(["--rpc-port", &rpc_port.to_string()])
            .args(["--ws-port", &ws_port.to_string()])
            .args(["--dir", &dir.to_string_lossy()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ballast-localnet starts");
        let block = read_block(&mut child);
        let field = |label: &str| {
            block
                .lines()
                .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
                .unwrap_or_else(|| panic!("no {label} in the block:\n{block}"))
        };
        let url = field("RPC URL");
        let market = field("market").parse().expect("a market address");
        assert_eq!(url, format!("http://127.0.0.1:{rpc_port}"));
        Localnet {
            child,
            url,
            market,
            dir,
            block,
        }
    }

    fn chain(&self, wallet: &str) -> RpcChain {
        let keypair = rpc::load_keypair(&self.dir.join(format!("{wallet}.json")).to_string_lossy())
            .expect("the localnet wrote the wallet's keypair");
        RpcChain::new(&self.url, keypair)
    }

    /// Ctrl-C: the process stops on its own, successfully.
    fn interrupt(mut self) {
        // SAFETY: a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "Ctrl-C ends the localnet cleanly: {status}"
                );
                return;
            }
            assert!(Instant::now() < deadline, "the localnet ignored Ctrl-C");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines up to and including the last command of the printed block.
fn read_block(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut block = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader.read_line(&mut line).expect("stdout reads");
        if read == 0 {
            let mut stderr = String::new();
            if let Some(mut err) = child.stderr.take() {
                use std::io::Read as _;
                let _ = err.read_to_string(&mut stderr);
            }
            panic!("ballast-localnet ended before its block:\n{block}\nstderr:\n{stderr}");
        }
        block.push_str(&line);
        if line.contains("price BTC") {
            // One more line (the last health command), then the block is complete.
            line.clear();
            reader.read_line(&mut line).expect("stdout reads");
            block.push_str(&line);
            // Keep draining stdout so the process never blocks on a full pipe.
            std::thread::spawn(move || for _ in reader.lines() {});
            return block;
        }
    }
}

async fn feed_time(chain: &mut RpcChain, oracle: &Pubkey) -> (i64, f64) {
    let account = chain.account(oracle).await.unwrap().expect("a feed");
    let feed = pyth::decode_feed(&account.owner, &account.data).expect("a readable feed");
    (feed.publish_time, feed.price as f64 * 10f64.powi(feed.expo))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newcomer_deposits_borrows_and_watches_the_keeper_liquidate_over_json_rpc() {
    let net = Localnet::start("story", &["--refresh-secs", "1"]);
    for wallet in ["lender", "borrower", "keeper"] {
        assert!(
            net.block.contains(&format!("{wallet}.json")),
            "{}",
            net.block
        );
    }
    assert!(net.block.contains("ballast --keypair"), "{}", net.block);

    let mut lender = net.chain("lender");
    let view = MarketView::load(&mut lender, &net.market).await.unwrap();
    let usdc = wallet::find_reserve(&view, "USDC").unwrap().0;
    let btc = wallet::find_reserve(&view, "BTC").unwrap().0;
    let lender_key = lender.wallet().insecure_clone();
    let own = ballast_client::obligation_address(
        &net.market,
        &solana_sdk::signer::Signer::pubkey(&lender_key),
        0,
    );
    wallet::deposit(
        &mut lender,
        &view,
        &lender_key,
        &own,
        &usdc,
        100_000_000_000,
    )
    .await
    .expect("the lender deposits 100 000 USDC");

    let mut borrower = net.chain("borrower");
    let borrower_key = borrower.wallet().insecure_clone();
    let obligation = ballast_client::obligation_address(
        &net.market,
        &solana_sdk::signer::Signer::pubkey(&borrower_key),
        0,
    );
    wallet::deposit(
        &mut borrower,
        &view,
        &borrower_key,
        &obligation,
        &btc,
        100_000_000,
    )
    .await
    .expect("the borrower deposits 1 BTC");
    wallet::borrow(
        &mut borrower,
        &view,
        &borrower_key,
        &obligation,
        &usdc,
        40_000_000_000,
    )
    .await
    .expect("the borrower borrows 40 000 USDC");
    let health =
        |view: &MarketView, state| wallet::health_report(view, &obligation, state).unwrap();
    let state = wallet::read_obligation(&mut borrower, &obligation)
        .await
        .unwrap();
    let before = health(
        &MarketView::load(&mut borrower, &net.market).await.unwrap(),
        &state,
    );
    assert!(!before.liquidatable, "{before:?}");

    // The feeds are kept fresh: a second later every one is newer.
    let oracles: Vec<Pubkey> = view
        .reserves
        .values()
        .map(|e| oracle_of(&e.reserve).primary)
        .collect();
    let mut times = vec![];
    for oracle in &oracles {
        times.push(feed_time(&mut borrower, oracle).await.0);
    }
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    for (oracle, before) in oracles.iter().zip(times) {
        let (after, _) = feed_time(&mut borrower, oracle).await;
        assert!(
            after > before,
            "the feed {oracle} is refreshed: {before} -> {after}"
        );
    }

    // The price command moves BTC, and the refresher keeps it moved.
    let moved = Command::new(BIN)
        .args(["price", "BTC", "50000", "--url", &net.url])
        .output()
        .unwrap();
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    assert!(String::from_utf8_lossy(&moved.stdout).contains("-> $50000"));
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let btc_oracle = oracle_of(&view.reserves[&btc].reserve).primary;
    assert_eq!(feed_time(&mut borrower, &btc_oracle).await.1, 50_000.0);
    let state = wallet::read_obligation(&mut borrower, &obligation)
        .await
        .unwrap();
    let crashed = health(
        &MarketView::load(&mut borrower, &net.market).await.unwrap(),
        &state,
    );
    assert!(crashed.liquidatable, "{crashed:?}");

    // The keeper's one pass liquidates it, and the obligation is healthier for it.
    let mut keeper_chain = net.chain("keeper");
    let summary = keeper::run(
        &mut keeper_chain,
        KeeperConfig::new(net.market),
        true,
        Duration::ZERO,
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.unhealthy, summary.liquidated, summary.failed),
        (1, 1, 0),
        "{summary:#?}"
    );
    let state = wallet::read_obligation(&mut borrower, &obligation)
        .await
        .unwrap();
    let after = health(
        &MarketView::load(&mut borrower, &net.market).await.unwrap(),
        &state,
    );
    assert!(
        !after.liquidatable && after.debt_wad < crashed.debt_wad,
        "{after:?}"
    );

    // A wrong asset name is a clean error naming the known ones.
    let wrong = Command::new(BIN)
        .args(["price", "DOGE", "1", "--url", &net.url])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert_eq!(
        String::from_utf8_lossy(&wrong.stderr).trim(),
        "error: no asset DOGE in the market (known: USDC, BTC, SOL, USDT, JSOL, WIF)"
    );
    net.interrupt();
}

/// Every socket the process holds, from /proc: `(protocol, local, remote)` in the kernel's hex.
fn sockets_of(pid: u32) -> Vec<(String, String, String)> {
    let mut inodes = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        if let Ok(target) = std::fs::read_link(entry.path()) {
            let target = target.to_string_lossy().into_owned();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
            {
                inodes.insert(inode.to_string());
            }
        }
    }
    let mut sockets = vec![];
    for protocol in ["tcp", "tcp6", "udp", "udp6"] {
        let table =
            std::fs::read_to_string(format!("/proc/{pid}/net/{protocol}")).unwrap_or_default();
        for line in table.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() > 9 && inodes.contains(fields[9]) {
                sockets.push((
                    protocol.to_string(),
                    fields[1].to_string(),
                    fields[2].to_string(),
                ));
            }
        }
    }
    sockets
}

/// Whether a /proc/net address (`HEXADDR:PORT`) is on loopback, or unbound on the remote side.
fn loopback_or_unset(address: &str, remote: bool) -> bool {
    let host = address.split(':').next().unwrap_or_default();
    let loopback = [
        "0100007F",                         // 127.0.0.1
        "00000000000000000000000001000000", // ::1
        "0000000000000000FFFF00000100007F", // ::ffff:127.0.0.1
    ];
    loopback.contains(&host) || (remote && host.chars().all(|c| c == '0'))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_localnet_listens_and_talks_on_loopback_only() {
    let net = Localnet::start("sockets", &[]);
    // Some traffic first, so that every connection the network makes is open.
    let mut chain = net.chain("lender");
    MarketView::load(&mut chain, &net.market).await.unwrap();
    let sockets = sockets_of(net.child.id());
    assert!(!sockets.is_empty(), "the RPC server's socket is there");
    let outside: Vec<_> = sockets
        .iter()
        .filter(|(_, local, remote)| {
            !loopback_or_unset(local, false) || !loopback_or_unset(remote, true)
        })
        .collect();
    assert!(
        outside.is_empty(),
        "sockets beyond loopback: {outside:?} (all: {sockets:?})"
    );
    net.interrupt();
}

/// Whether this machine lets us give a process a network namespace of its own (root or user
/// namespaces) with a loopback interface we can bring up.
fn isolated_network_available() -> bool {
    Command::new("unshare")
        .args(["--net", "--map-root-user", "ip", "link", "set", "lo", "up"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn the_localnet_sets_up_with_no_network_but_loopback() {
    if !isolated_network_available() {
        // Without namespaces the socket audit above is the proof; say so rather than pass silently.
        eprintln!(
            "note: unshare --net is not permitted here (or `ip` is missing); \
             the_localnet_listens_and_talks_on_loopback_only covers this machine"
        );
        return;
    }
    let dir = temp_dir("offline");
    let script = format!(
        "ip link set lo up && exec {BIN} --rpc-port {} --ws-port {} --dir {} --exit-after-setup",
        free_port(),
        free_port(),
        dir.display()
    );
    let output = Command::new("unshare")
        .args(["--net", "--map-root-user", "sh", "-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "in a namespace with only loopback the localnet sets up:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Ballast localnet is running"), "{stdout}");
    assert!(Path::new(&dir.join("borrower.json")).exists());
}

// ----- the TypeScript client (clients/js) -------------------------------------------------

/// `clients/js`, installed from its lockfile (`npm ci`, when `node_modules` is missing or older
/// than the lockfile) and built (`tsc`), once per test process.
fn typescript_client() -> PathBuf {
    static READY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../clients/js");
            let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
            let installed = modified(&dir.join("node_modules/.package-lock.json"));
            if installed.is_none() || installed < modified(&dir.join("package-lock.json")) {
                run_in(&dir, "npm", &["ci", "--no-audit", "--no-fund"]);
            }
            run_in(&dir, "npm", &["run", "--silent", "build"]);
            dir
        })
        .clone()
}

/// Runs `program args` in `dir`, failing the test with its output if it fails.
fn run_in(dir: &Path, program: &str, args: &[&str]) -> String {
    run_with(dir, program, args, &[])
}

fn run_with(dir: &Path, program: &str, args: &[&str], env: &[(&str, String)]) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("`{program}` runs (node and npm are needed): {e}"));
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "`{program} {}` in {} failed:\n{text}",
        args.join(" "),
        dir.display()
    );
    text
}

/// The number of passing tests `node --test` reports, and that none failed.
fn node_test_counts(output: &str) -> (u64, u64) {
    let count = |label: &str| {
        output
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(label)
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no `{label}` in node's report:\n{output}"))
    };
    (count("ℹ pass"), count("ℹ fail"))
}

#[test]
fn the_typescript_client_encodes_and_decodes_like_the_rust_one() {
    let dir = typescript_client();
    let output = run_in(
        &dir,
        "node",
        &["--test", "--test-reporter=spec", "dist/test/"],
    );
    let (pass, fail) = node_test_counts(&output);
    println!("clients/js: {pass} tests passed");
    assert_eq!(fail, 0, "{output}");
    assert!(pass >= 40, "every fixture is a test of its own:\n{output}");
}

#[test]
fn the_committed_typescript_client_is_generated_from_the_committed_idl() {
    let dir = typescript_client();
    run_in(&dir, "npm", &["run", "--silent", "generate:check"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_typescript_wallet_deposits_borrows_and_repays_over_json_rpc() {
    let dir = typescript_client();
    let net = Localnet::start("typescript", &[]);
    let mut chain = net.chain("borrower");
    let view = MarketView::load(&mut chain, &net.market).await.unwrap();
    let mint = |asset: &str| {
        wallet::find_reserve(&view, asset)
            .unwrap()
            .1
            .mint
            .to_string()
    };
    let env = [
        ("BALLAST_RPC_URL", net.url.clone()),
        ("BALLAST_MARKET", net.market.to_string()),
        ("BALLAST_WALLETS", net.dir.to_string_lossy().to_string()),
        ("BALLAST_USDC_MINT", mint("USDC")),
        ("BALLAST_BTC_MINT", mint("BTC")),
    ];
    let output = run_with(
        &dir,
        "node",
        &["--test", "--test-reporter=spec", "dist/test-localnet/"],
        &env,
    );
    let (pass, fail) = node_test_counts(&output);
    assert_eq!(fail, 0, "{output}");
    assert!(pass >= 1, "{output}");
    net.interrupt();
}

/// The README's "Use from TypeScript" example, run as a user would paste it (only the RPC port
/// differs: every test network has its own), against a fresh localnet: the lender's 100 USDC
/// leave its token account.
#[tokio::test(flavor = "multi_thread")]
async fn the_readme_typescript_example_deposits_on_the_localnet() {
    let dir = typescript_client();
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let section = readme
        .split("## Use from TypeScript")
        .nth(1)
        .expect("the README has a TypeScript section");
    let example = section
        .split("```ts\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a ts block");

    let net = Localnet::start("readme-ts", &[]);
    // Type-checked (strict) and compiled as a user's ES module inside the package, so that
    // `@ballast/client` resolves to the package itself.
    let folder = dir.join(format!("dist/readme-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let source = folder.join("example.mts");
    std::fs::write(&source, example.replace("http://127.0.0.1:8899", &net.url)).unwrap();
    let folder_arg = folder.to_string_lossy().to_string();
    run_in(
        &dir,
        "npx",
        &[
            "tsc",
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
            "--target",
            "es2022",
            "--strict",
            "--skipLibCheck",
            "--types",
            "node",
            "--rootDir",
            &folder_arg,
            "--outDir",
            &folder_arg,
            &source.to_string_lossy(),
        ],
    );
    let script = folder.join("example.mjs");
    let cwd = temp_dir("readme-ts-cwd");
    std::os::unix::fs::symlink(&net.dir, cwd.join(".localnet")).unwrap();

    let mut lender = net.chain("lender");
    let view = MarketView::load(&mut lender, &net.market).await.unwrap();
    let usdc = wallet::find_reserve(&view, "USDC").unwrap().1;
    let lender_key = solana_sdk::signer::Signer::pubkey(lender.wallet());
    let account = ballast_client::chain::ata(&lender_key, &usdc.mint, &usdc.token_program);
    let before =
        ballast_client::chain::token_amount(lender.account(&account).await.unwrap().as_ref());
    let output = run_with(
        &cwd,
        "node",
        &[&script.to_string_lossy()],
        &[("BALLAST_MARKET", net.market.to_string())],
    );
    let _ = std::fs::remove_dir_all(&folder);
    assert!(
        !output.trim().is_empty(),
        "the example prints its signature"
    );
    let after =
        ballast_client::chain::token_amount(lender.account(&account).await.unwrap().as_ref());
    assert_eq!(after, before - 100_000_000, "{output}");
    net.interrupt();
}
