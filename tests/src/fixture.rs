//! The one fixture every test uses: a bank running Ballast, a market with reserves on real
//! SPL mints (6, 8 and 9 decimals), simulated Pyth feeds, funded users and a controlled clock.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::solana_program::rent::Rent;
use anchor_lang::solana_program::system_instruction;
use anchor_lang::{AccountDeserialize, AnchorSerialize};
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use ballast::errors::BallastError;
use ballast::instructions::{InitMarketArgs, LiquidateArgs, MarketUpdate, ReserveUpdate};
use ballast::math::WAD;
use ballast::state::{
    LiquidationConfig, Market, Obligation, OracleConfig, PricePolicy, RateModel, Reserve,
    ReserveConfig, ORACLE_SOURCE_PYTH_LEGACY, ORACLE_SOURCE_PYTH_PULL, ORACLE_SOURCE_SWITCHBOARD,
};
use solana_program_test::ProgramTestContext;
use solana_sdk::account::Account;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;

use ballast_bank::pyth::{self, Feed};
use ballast_client::{self as client, LiquidationAccounts, OracleKeys, ReserveKeys};

/// The clock every test starts at (2026-01-01T00:00:00Z).
pub const START_TIME: i64 = 1_767_225_600;
/// Asset index of USDC in the default fixture (6 decimals, $1, legacy Pyth).
pub const USDC: usize = 0;
/// Asset index of BTC in the default fixture (8 decimals, $60 000, legacy Pyth).
pub const BTC: usize = 1;
/// Asset index of SOL in the default fixture (9 decimals, $150, Pyth pull).
pub const SOL: usize = 2;

pub use crate::backend::{use_validator, Backend, TxResult};

/// One asset to list.
#[derive(Debug, Clone, Copy)]
pub struct AssetSpec {
    pub symbol: &'static str,
    pub decimals: u8,
    /// Starting price in USD.
    pub price: f64,
    /// Priced by a Pyth pull update instead of a legacy price account.
    pub pull_oracle: bool,
    /// Mint owned by Token-2022 instead of SPL Token.
    pub token_2022: bool,
}

/// USDC, BTC and SOL (pull oracle).
pub fn default_assets() -> Vec<AssetSpec> {
    vec![
        AssetSpec {
            symbol: "USDC",
            decimals: 6,
            price: 1.0,
            pull_oracle: false,
            token_2022: false,
        },
        AssetSpec {
            symbol: "BTC",
            decimals: 8,
            price: 60_000.0,
            pull_oracle: false,
            token_2022: false,
        },
        AssetSpec {
            symbol: "SOL",
            decimals: 9,
            price: 150.0,
            pull_oracle: true,
            token_2022: false,
        },
    ]
}

/// The feed id the fixture gives asset `index`.
pub fn feed_id(index: usize) -> [u8; 32] {
    [index as u8 + 1; 32]
}

/// The feed id (Switchboard: feed hash) the fixture gives asset `index`'s fallback source.
pub fn fallback_feed_id(index: usize) -> [u8; 32] {
    [index as u8 + 101; 32]
}

/// The kind of account a reserve's price source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OracleKind {
    /// A legacy Pyth push price account.
    PythLegacy,
    /// A Pyth pull `PriceUpdateV2` price-feed account.
    PythPull,
    /// A Switchboard On-Demand pull feed.
    Switchboard,
}

impl OracleKind {
    /// Every kind, in the order the suites list them.
    pub const ALL: [OracleKind; 3] = [
        OracleKind::PythLegacy,
        OracleKind::PythPull,
        OracleKind::Switchboard,
    ];

    /// The program that owns this kind's accounts (as the fixture's market trusts it).
    pub fn owner(self) -> Pubkey {
        match self {
            OracleKind::PythLegacy => pyth::PYTH_LEGACY_PROGRAM,
            OracleKind::PythPull => pyth::PYTH_RECEIVER_PROGRAM,
            OracleKind::Switchboard => pyth::SWITCHBOARD_PROGRAM,
        }
    }

    /// The program's `ORACLE_SOURCE_*`.
    pub fn source(self) -> u8 {
        match self {
            OracleKind::PythLegacy => ORACLE_SOURCE_PYTH_LEGACY,
            OracleKind::PythPull => ORACLE_SOURCE_PYTH_PULL,
            OracleKind::Switchboard => ORACLE_SOURCE_SWITCHBOARD,
        }
    }

    /// Bytes of this kind's account publishing `feed`.
    pub fn data(self, feed: &Feed) -> Vec<u8> {
        pyth::feed_account_data(&self.owner(), feed)
    }

    /// A short name, for test labels and the oracle matrix.
    pub fn label(self) -> &'static str {
        match self {
            OracleKind::PythLegacy => "Pyth legacy",
            OracleKind::PythPull => "Pyth pull",
            OracleKind::Switchboard => "Switchboard",
        }
    }
}

/// Fewest responses the fixture's Switchboard sources require (its feeds publish 3).
pub const SWITCHBOARD_MIN_RESPONSES: u8 = 2;

/// Deviation the fixture tolerates between a primary and a fallback price: 1 %.
pub const FALLBACK_DEVIATION_BPS: u16 = 100;

/// A source of `kind` at `oracle_account` pinned to `feed` (legacy accounts pin nothing), with
/// the default policies: strict 60 s / 2 %, liquidation 300 s / 10 %, one interval of haircut.
pub fn oracle_config(kind: OracleKind, oracle_account: Pubkey, feed: [u8; 32]) -> OracleConfig {
    OracleConfig {
        source: kind.source(),
        oracle_account,
        feed_id: if kind == OracleKind::PythLegacy {
            [0; 32]
        } else {
            feed
        },
        strict: PricePolicy {
            max_age_secs: 60,
            max_confidence_bps: 200,
        },
        liquidation: PricePolicy {
            max_age_secs: 300,
            max_confidence_bps: 1_000,
        },
        confidence_multiplier_bps: 10_000,
        min_responses: if kind == OracleKind::Switchboard {
            SWITCHBOARD_MIN_RESPONSES
        } else {
            0
        },
    }
}

/// An e-mode category for stablecoin suites: LTV 90 %, LT 93 %, bonus 1–4 %.
pub const STABLE_EMODE_CATEGORY: ballast::state::EmodeCategory = ballast::state::EmodeCategory {
    ltv_bps: 9_000,
    liquidation_threshold_bps: 9_300,
    min_liquidation_bonus_bps: 100,
    max_liquidation_bonus_bps: 400,
};

/// A defensible default: LTV 75 %, LT 80 %, bonus 2–10 % with 20 % of it to the fund, reserve
/// factor 10 %, insurance 5 %, kinked curve 1 % / 4 % to 80 % / +75 % above, strict oracle
/// 60 s / 2 %, liquidation oracle 300 s / 10 %, one confidence interval of haircut.
pub fn default_reserve_config(oracle_account: Pubkey, pull: bool, feed: [u8; 32]) -> ReserveConfig {
    let kind = if pull {
        OracleKind::PythPull
    } else {
        OracleKind::PythLegacy
    };
    ReserveConfig {
        oracle: oracle_config(kind, oracle_account, feed),
        fallback_oracle: OracleConfig::default(),
        max_oracle_deviation_bps: 0,
        ltv_bps: 7_500,
        liquidation_threshold_bps: 8_000,
        min_liquidation_bonus_bps: 200,
        max_liquidation_bonus_bps: 1_000,
        protocol_liquidation_fee_bps: 2_000,
        reserve_factor_bps: 1_000,
        insurance_factor_bps: 500,
        rate_model: RateModel {
            base_rate_bps: 100,
            optimal_utilization_bps: 8_000,
            slope1_bps: 400,
            slope2_bps: 7_500,
        },
        supply_cap: u64::MAX / 4,
        borrow_cap: u64::MAX / 8,
        flash_loan_fee_bps: 9,
        isolated: false,
        borrowable_in_isolation: false,
        emode_category: 0,
        debt_ceiling: 0,
    }
}

/// Close factor 50 % above HF 0.95 and $100 of debt; dust $1; negligible value (bad debt below
/// it, and a position that cannot block a liquidation) $0.10.
pub fn default_liquidation_config() -> LiquidationConfig {
    LiquidationConfig {
        close_factor_bps: 5_000,
        full_liquidation_health_bps: 9_500,
        full_liquidation_debt_value: 100 * WAD,
        dust_value: WAD,
        bad_debt_collateral_dust_value: WAD / 10,
    }
}

/// A listed asset.
#[derive(Debug, Clone)]
pub struct Asset {
    pub spec: AssetSpec,
    pub keys: ReserveKeys,
    /// What the simulated oracle currently publishes.
    pub feed: Feed,
    /// The kind of the primary source.
    pub kind: OracleKind,
    /// The fallback source, when the reserve has one.
    pub fallback: Option<FallbackSource>,
}

/// A reserve's fallback source as the fixture simulates it.
#[derive(Debug, Clone, Copy)]
pub struct FallbackSource {
    pub kind: OracleKind,
    pub address: Pubkey,
    /// What it currently publishes.
    pub feed: Feed,
}

/// A funded wallet with one token account per asset and an obligation (index 0).
#[derive(Debug)]
pub struct User {
    pub keypair: Keypair,
    pub tokens: Vec<Pubkey>,
    pub obligation: Pubkey,
}

impl User {
    pub fn pubkey(&self) -> Pubkey {
        self.keypair.pubkey()
    }
}

/// The fixture.
pub struct Harness {
    /// The embedded bank, or a local validator (`backend::use_validator`).
    pub backend: Backend,
    /// Pays every transaction's fee.
    pub payer: Keypair,
    /// The clock when the fixture was built: `START_TIME` on the bank, the validator's time on
    /// a validator (whose clock only moves forward).
    pub start_time: i64,
    pub market: Pubkey,
    pub admin: Keypair,
    pub risk_authority: Keypair,
    pub fee_receiver: Keypair,
    /// The fee receiver's token account per asset.
    pub treasuries: Vec<Pubkey>,
    pub mint_authority: Keypair,
    pub assets: Vec<Asset>,
    /// The bank's clock (unix seconds).
    pub now: i64,
    nonce: u32,
}

impl Harness {
    /// The default market: USDC, BTC, SOL with default configs.
    pub async fn new() -> Harness {
        Harness::with_assets(&default_assets(), |_, _| {}).await
    }

    /// The default market on a bank whose clock starts at `start` (unix seconds), for accounts
    /// captured at a known time (a validator keeps its own clock).
    pub async fn starting_at(start: i64) -> Harness {
        Harness::build(start, &default_assets(), |_, _| {}).await
    }

    /// A market listing `specs`, each config adjusted by `tune(index, config)` before listing.
    pub async fn with_assets(
        specs: &[AssetSpec],
        tune: impl FnMut(usize, &mut ReserveConfig),
    ) -> Harness {
        Harness::build(START_TIME, specs, tune).await
    }

    async fn build(
        start: i64,
        specs: &[AssetSpec],
        mut tune: impl FnMut(usize, &mut ReserveConfig),
    ) -> Harness {
        let (backend, payer, start_time) = Backend::start(start).await;
        let admin = Keypair::new();
        let mut harness = Harness {
            backend,
            payer,
            start_time,
            market: client::market_address(&admin.pubkey(), 0),
            admin,
            risk_authority: Keypair::new(),
            fee_receiver: Keypair::new(),
            treasuries: vec![],
            mint_authority: Keypair::new(),
            assets: vec![],
            now: start_time,
            nonce: 0,
        };
        let admin_key = harness.admin.pubkey();
        harness.airdrop(&admin_key, 100_000_000_000).await;
        let args = InitMarketArgs {
            index: 0,
            risk_authority: harness.risk_authority.pubkey(),
            fee_receiver: harness.fee_receiver.pubkey(),
            pyth_program: pyth::PYTH_LEGACY_PROGRAM,
            pyth_receiver_program: pyth::PYTH_RECEIVER_PROGRAM,
            switchboard_program: pyth::SWITCHBOARD_PROGRAM,
            liquidation: default_liquidation_config(),
        };
        let admin = harness.admin.insecure_clone();
        harness
            .send(&[client::init_market(&admin_key, args)], &[&admin])
            .await
            .expect("init_market");
        for (index, spec) in specs.iter().enumerate() {
            let token_program = if spec.token_2022 {
                spl_token_2022::ID
            } else {
                spl_token::ID
            };
            let mint = harness.create_mint(spec.decimals, &token_program).await;
            let oracle = Keypair::new().pubkey();
            let keys = ReserveKeys::derive(&harness.market, &mint, &token_program, &oracle);
            let feed = Feed::at(spec.price, harness.now, feed_id(index));
            harness.assets.push(Asset {
                spec: *spec,
                keys,
                feed,
                kind: if spec.pull_oracle {
                    OracleKind::PythPull
                } else {
                    OracleKind::PythLegacy
                },
                fallback: None,
            });
            harness.publish(index, feed);
            let mut config = default_reserve_config(oracle, spec.pull_oracle, feed_id(index));
            tune(index, &mut config);
            let market = harness.market;
            harness
                .send(
                    &[client::init_reserve(&admin_key, &market, &keys, config)],
                    &[&admin],
                )
                .await
                .expect("init_reserve");
            let owner = harness.fee_receiver.pubkey();
            let treasury = harness.create_token_account(&owner, index).await;
            harness.treasuries.push(treasury);
        }
        harness
    }

    // ----- transactions ---------------------------------------------------------------------

    /// Signs and processes `instructions` (the bank's payer pays fees). Each transaction gets a
    /// distinct compute-unit limit so that identical instructions are never deduplicated.
    pub async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> TxResult {
        self.nonce += 1;
        let mut all = vec![
            solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(
                1_400_000 - self.nonce,
            ),
        ];
        all.extend_from_slice(instructions);
        let payer = self.payer.insecure_clone();
        self.backend.send(&all, &payer, signers).await
    }

    /// Runs `instructions` as `send` would, on the current state, without committing anything
    /// (the bank's simulation): what would happen now, for checks that must not change the run.
    pub async fn simulate(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> TxResult {
        let mut all = vec![
            solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(
                1_400_000,
            ),
        ];
        all.extend_from_slice(instructions);
        let payer = self.payer.insecure_clone();
        self.backend.simulate(&all, &payer, signers).await
    }

    /// Sets the clock to `unix_timestamp` (on a validator, forward only).
    pub fn set_clock(&mut self, unix_timestamp: i64) {
        self.backend.set_clock(unix_timestamp);
        self.now = unix_timestamp;
    }

    /// Moves the clock forward by `seconds` (feeds keep their old publish time).
    pub fn advance(&mut self, seconds: i64) {
        self.set_clock(self.now + seconds);
    }

    /// Moves the clock forward and republishes every feed's current price at the new time.
    pub fn advance_with_fresh_prices(&mut self, seconds: i64) {
        self.advance(seconds);
        self.refresh_prices();
    }

    // ----- oracles --------------------------------------------------------------------------

    /// Writes `feed` as asset `index`'s primary oracle account (of the asset's kind).
    pub fn publish(&mut self, index: usize, feed: Feed) {
        self.assets[index].feed = feed;
        let asset = &self.assets[index];
        let (oracle, owner, data) = (
            asset.keys.oracle,
            asset.kind.owner(),
            asset.kind.data(&feed),
        );
        self.write_account(&oracle, &owner, data);
    }

    /// Writes `feed` as asset `index`'s fallback oracle account (the asset has one).
    pub fn publish_fallback(&mut self, index: usize, feed: Feed) {
        let fallback = self.assets[index]
            .fallback
            .as_mut()
            .expect("the asset has a fallback source");
        fallback.feed = feed;
        let (address, kind) = (fallback.address, fallback.kind);
        self.write_account(&address, &kind.owner(), kind.data(&feed));
    }

    /// Publishes `price_usd` on asset `index`'s fallback now (0.1 % confidence, 3 responses).
    pub fn set_fallback_price(&mut self, index: usize, price_usd: f64) {
        let feed = Feed::at(price_usd, self.now, fallback_feed_id(index));
        self.publish_fallback(index, feed);
    }

    /// The admin gives asset `index` a primary source of kind `primary` (same account, same
    /// feed) and a fallback of kind `fallback` (a new account, pinned to `fallback_feed_id`),
    /// tolerating `FALLBACK_DEVIATION_BPS` between them; both publish the asset's current price
    /// now. `None` removes the fallback.
    pub async fn set_oracle_sources(
        &mut self,
        index: usize,
        primary: OracleKind,
        fallback: Option<OracleKind>,
    ) {
        let mut config = self.reserve(index).await.config;
        let oracle = self.assets[index].keys.oracle;
        config.oracle = oracle_config(primary, oracle, feed_id(index));
        self.assets[index].kind = primary;
        let mut feed = self.assets[index].feed;
        feed.publish_time = self.now;
        self.publish(index, feed);
        match fallback {
            Some(kind) => {
                let address = Keypair::new().pubkey();
                config.fallback_oracle = oracle_config(kind, address, fallback_feed_id(index));
                config.max_oracle_deviation_bps = FALLBACK_DEVIATION_BPS;
                let fallback_feed = Feed {
                    feed_id: fallback_feed_id(index),
                    ..feed
                };
                self.assets[index].fallback = Some(FallbackSource {
                    kind,
                    address,
                    feed: fallback_feed,
                });
                self.assets[index].keys.fallback_oracle = Some(address);
                self.publish_fallback(index, fallback_feed);
            }
            None => {
                config.fallback_oracle = OracleConfig::default();
                config.max_oracle_deviation_bps = 0;
                self.assets[index].fallback = None;
                self.assets[index].keys.fallback_oracle = None;
            }
        }
        let admin = self.admin.insecure_clone();
        self.update_reserve(&admin, index, ReserveUpdate::Config(config))
            .await
            .expect("oracle sources set");
    }

    /// Publishes `price_usd` for asset `index` now (EMA equal, 0.1 % confidence), on its
    /// fallback too when it has one.
    pub fn set_price(&mut self, index: usize, price_usd: f64) {
        let feed = Feed::at(price_usd, self.now, feed_id(index));
        self.publish(index, feed);
        // The market moves every source alike.
        if self.assets[index].fallback.is_some() {
            self.set_fallback_price(index, price_usd);
        }
    }

    /// Republishes every asset's current feeds (primary and fallback) with `publish_time = now`.
    pub fn refresh_prices(&mut self) {
        for index in 0..self.assets.len() {
            let mut feed = self.assets[index].feed;
            feed.publish_time = self.now;
            self.publish(index, feed);
            if let Some(fallback) = self.assets[index].fallback {
                self.publish_fallback(
                    index,
                    Feed {
                        publish_time: self.now,
                        ..fallback.feed
                    },
                );
            }
        }
    }

    /// Overwrites any account (oracle corruption, wrong owners, donations of lamports…).
    pub fn write_account(&mut self, address: &Pubkey, owner: &Pubkey, data: Vec<u8>) {
        let account = Account {
            lamports: 1_000_000_000,
            data,
            owner: *owner,
            executable: false,
            rent_epoch: 0,
        };
        self.backend.write_account(address, account);
    }

    /// The embedded bank itself, for tests that drive it directly (panics on a validator).
    pub fn bank(&mut self) -> &mut ProgramTestContext {
        self.backend.bank()
    }

    // ----- setup helpers --------------------------------------------------------------------

    /// Gives `to` lamports (from the payer on the bank, the faucet on a validator).
    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) {
        let payer = self.payer.insecure_clone();
        self.backend.airdrop(to, lamports, &payer).await;
    }

    /// Creates a mint owned by `token_program` with the fixture's mint authority.
    pub async fn create_mint(&mut self, decimals: u8, token_program: &Pubkey) -> Pubkey {
        let mint = Keypair::new();
        let rent = Rent::default();
        let len = spl_token::state::Mint::LEN;
        let payer = self.payer.pubkey();
        let authority = self.mint_authority.pubkey();
        let instructions = [
            system_instruction::create_account(
                &payer,
                &mint.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                token_program,
            ),
            spl_token_2022::instruction::initialize_mint2(
                token_program,
                &mint.pubkey(),
                &authority,
                None,
                decimals,
            )
            .expect("mint instruction"),
        ];
        self.send(&instructions, &[&mint])
            .await
            .expect("create mint");
        mint.pubkey()
    }

    /// Creates a token account for asset `index` owned by `owner`.
    pub async fn create_token_account(&mut self, owner: &Pubkey, index: usize) -> Pubkey {
        let keys = self.assets[index].keys;
        let account = Keypair::new();
        let rent = Rent::default();
        let len = spl_token::state::Account::LEN;
        let payer = self.payer.pubkey();
        let instructions = [
            system_instruction::create_account(
                &payer,
                &account.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &keys.token_program,
            ),
            spl_token_2022::instruction::initialize_account3(
                &keys.token_program,
                &account.pubkey(),
                &keys.mint,
                owner,
            )
            .expect("account instruction"),
        ];
        self.send(&instructions, &[&account])
            .await
            .expect("create token account");
        account.pubkey()
    }

    /// Mints `amount` of asset `index` into `token_account`.
    pub async fn mint_to(&mut self, index: usize, token_account: &Pubkey, amount: u64) {
        let keys = self.assets[index].keys;
        let authority = self.mint_authority.insecure_clone();
        let instruction = spl_token_2022::instruction::mint_to(
            &keys.token_program,
            &keys.mint,
            token_account,
            &authority.pubkey(),
            &[],
            amount,
        )
        .expect("mint_to instruction");
        self.send(&[instruction], &[&authority])
            .await
            .expect("mint_to");
    }

    /// A new wallet with SOL for fees, a token account per asset and an empty obligation.
    pub async fn user(&mut self) -> User {
        let keypair = Keypair::new();
        let owner = keypair.pubkey();
        self.airdrop(&owner, 10_000_000_000).await;
        let mut tokens = vec![];
        for index in 0..self.assets.len() {
            tokens.push(self.create_token_account(&owner, index).await);
        }
        let market = self.market;
        self.send(&[client::init_obligation(&owner, &market, 0)], &[&keypair])
            .await
            .expect("init_obligation");
        User {
            keypair,
            tokens,
            obligation: client::obligation_address(&market, &owner, 0),
        }
    }

    /// A new wallet holding `amount` of asset `index`.
    pub async fn funded_user(&mut self, index: usize, amount: u64) -> User {
        let user = self.user().await;
        self.mint_to(index, &user.tokens[index], amount).await;
        user
    }

    /// A lender: a new wallet that deposits `amount` of asset `index`, all it holds.
    pub async fn lender(&mut self, index: usize, amount: u64) -> User {
        let user = self.funded_user(index, amount).await;
        self.deposit(&user, index, amount)
            .await
            .expect("the lender deposits");
        user
    }

    /// A borrower: a new wallet that deposits `collateral` of asset `collateral_index` (all it
    /// holds) and borrows `debt` of asset `debt_index` against it.
    pub async fn borrower(
        &mut self,
        collateral_index: usize,
        collateral: u64,
        debt_index: usize,
        debt: u64,
    ) -> User {
        let user = self.lender(collateral_index, collateral).await;
        self.borrow(&user, debt_index, debt)
            .await
            .expect("the borrower borrows");
        user
    }

    /// Lists asset `index`'s mint in a second market (another creator, same oracle) and
    /// returns that reserve's keys.
    pub async fn list_in_another_market(&mut self, index: usize) -> ReserveKeys {
        let creator = Keypair::new();
        self.airdrop(&creator.pubkey(), 10_000_000_000).await;
        let args = InitMarketArgs {
            index: 0,
            risk_authority: creator.pubkey(),
            fee_receiver: creator.pubkey(),
            pyth_program: pyth::PYTH_LEGACY_PROGRAM,
            pyth_receiver_program: pyth::PYTH_RECEIVER_PROGRAM,
            switchboard_program: pyth::SWITCHBOARD_PROGRAM,
            liquidation: default_liquidation_config(),
        };
        let market = client::market_address(&creator.pubkey(), 0);
        self.send(&[client::init_market(&creator.pubkey(), args)], &[&creator])
            .await
            .expect("second market");
        let asset = self.assets[index].clone();
        let keys = ReserveKeys::derive(
            &market,
            &asset.keys.mint,
            &asset.keys.token_program,
            &asset.keys.oracle,
        );
        let config =
            default_reserve_config(asset.keys.oracle, asset.spec.pull_oracle, feed_id(index));
        self.send(
            &[client::init_reserve(
                &creator.pubkey(),
                &market,
                &keys,
                config,
            )],
            &[&creator],
        )
        .await
        .expect("listing in the second market");
        keys
    }

    // ----- reads ----------------------------------------------------------------------------

    /// Raw account, if it exists.
    pub async fn account(&mut self, address: &Pubkey) -> Option<Account> {
        self.backend.account(address).await
    }

    /// Deserializes an Anchor account.
    pub async fn anchor_account<T: AccountDeserialize>(&mut self, address: &Pubkey) -> T {
        let account = self
            .account(address)
            .await
            .unwrap_or_else(|| panic!("account {address} exists"));
        T::try_deserialize(&mut &account.data[..]).expect("account deserializes")
    }

    pub async fn reserve(&mut self, index: usize) -> Reserve {
        let address = self.assets[index].keys.reserve;
        self.anchor_account(&address).await
    }

    pub async fn obligation(&mut self, address: &Pubkey) -> Obligation {
        self.anchor_account(address).await
    }

    pub async fn market_state(&mut self) -> Market {
        let market = self.market;
        self.anchor_account(&market).await
    }

    /// Token balance of a token account (0 if it does not exist).
    pub async fn balance(&mut self, token_account: &Pubkey) -> u64 {
        match self.account(token_account).await {
            Some(account) => spl_token::state::Account::unpack_from_slice(
                &account.data[..spl_token::state::Account::LEN],
            )
            .map(|state| state.amount)
            .unwrap_or(0),
            None => 0,
        }
    }

    /// Snapshot of several accounts, to prove a failed instruction changed nothing.
    pub async fn snapshot(&mut self, addresses: &[Pubkey]) -> Vec<Option<Account>> {
        let mut accounts = vec![];
        for address in addresses {
            accounts.push(self.account(address).await);
        }
        accounts
    }

    /// Every account a user-facing instruction on `user` could touch: market, reserves,
    /// vaults, the user's token accounts and obligation, the treasuries.
    pub fn touched_accounts(&self, users: &[&User]) -> Vec<Pubkey> {
        let mut addresses = vec![self.market];
        for asset in &self.assets {
            addresses.extend([
                asset.keys.reserve,
                asset.keys.liquidity_vault,
                asset.keys.fund_vault,
            ]);
        }
        addresses.extend(self.treasuries.iter().copied());
        for user in users {
            addresses.extend(user.tokens.iter().copied());
            addresses.push(user.obligation);
        }
        addresses
    }

    /// Asserts that `result` failed with `expected`, and that none of `users`' accounts, the
    /// market, reserves or vaults changed compared with `before` (taken with `touched_accounts`).
    pub async fn assert_rejected(
        &mut self,
        result: TxResult,
        expected: BallastError,
        users: &[&User],
        before: &[Option<Account>],
    ) {
        assert_eq!(result, Err(custom_error(expected)), "expected {expected:?}");
        let addresses = self.touched_accounts(users);
        let after = self.snapshot(&addresses).await;
        assert_eq!(
            before,
            &after[..],
            "a rejected instruction changed an account"
        );
    }

    /// Snapshot of `touched_accounts(users)`.
    pub async fn snapshot_users(&mut self, users: &[&User]) -> Vec<Option<Account>> {
        let addresses = self.touched_accounts(users);
        self.snapshot(&addresses).await
    }

    // ----- instructions on users ------------------------------------------------------------

    /// Canonical `[reserve, oracle, fallback oracle?]` lists for `obligation`.
    pub fn remaining(&self, obligation: &Obligation, writable: bool) -> Vec<AccountMeta> {
        client::remaining_accounts(obligation, |reserve| self.oracle_of(reserve), writable)
    }

    /// The oracle accounts the fixture passes for `reserve` (primary, fallback).
    pub fn oracle_of(&self, reserve: &Pubkey) -> OracleKeys {
        self.assets
            .iter()
            .find(|asset| asset.keys.reserve == *reserve)
            .map(|asset| OracleKeys {
                primary: asset.keys.oracle,
                fallback: asset.keys.fallback_oracle,
            })
            .unwrap_or_default()
    }

    pub async fn deposit(&mut self, user: &User, index: usize, amount: u64) -> TxResult {
        let ix = client::deposit(
            &user.pubkey(),
            &self.market,
            &self.assets[index].keys,
            &user.obligation,
            &user.tokens[index],
            amount,
        );
        self.send(&[ix], &[&user.keypair]).await
    }

    pub async fn withdraw(&mut self, user: &User, index: usize, amount: u64) -> TxResult {
        let obligation = self.obligation(&user.obligation).await;
        let remaining = if obligation.has_debt() {
            self.remaining(&obligation, false)
        } else {
            vec![]
        };
        self.withdraw_with(user, index, amount, remaining).await
    }

    pub async fn withdraw_with(
        &mut self,
        user: &User,
        index: usize,
        amount: u64,
        remaining: Vec<AccountMeta>,
    ) -> TxResult {
        let ix = client::withdraw(
            &user.pubkey(),
            &self.market,
            &self.assets[index].keys,
            &user.obligation,
            &user.tokens[index],
            amount,
            remaining,
        );
        self.send(&[ix], &[&user.keypair]).await
    }

    pub async fn borrow(&mut self, user: &User, index: usize, amount: u64) -> TxResult {
        let obligation = self.obligation(&user.obligation).await;
        let after = client::after_borrow(&obligation, &self.assets[index].keys.reserve);
        let remaining = self.remaining(&after, false);
        self.borrow_with(user, index, amount, remaining).await
    }

    pub async fn borrow_with(
        &mut self,
        user: &User,
        index: usize,
        amount: u64,
        remaining: Vec<AccountMeta>,
    ) -> TxResult {
        let ix = client::borrow(
            &user.pubkey(),
            &self.market,
            &self.assets[index].keys,
            &user.obligation,
            &user.tokens[index],
            amount,
            remaining,
        );
        self.send(&[ix], &[&user.keypair]).await
    }

    /// `payer` repays `amount` of asset `index` on `obligation` (its own or another's).
    pub async fn repay(
        &mut self,
        payer: &User,
        obligation: &Pubkey,
        index: usize,
        amount: u64,
    ) -> TxResult {
        let state = self.obligation(obligation).await;
        let ix = client::repay(
            &payer.pubkey(),
            &self.market,
            &self.assets[index].keys,
            obligation,
            &payer.tokens[index],
            amount,
            ballast_client::plans::isolated_reserve(&state),
        );
        self.send(&[ix], &[&payer.keypair]).await
    }

    pub async fn set_collateral(&mut self, user: &User, index: usize, enabled: bool) -> TxResult {
        let obligation = self.obligation(&user.obligation).await;
        let reserve = self.assets[index].keys.reserve;
        let remaining =
            client::set_collateral_remaining(&obligation, &reserve, enabled, |r| self.oracle_of(r));
        let ix = client::set_collateral(
            &user.pubkey(),
            &self.market,
            &user.obligation,
            &reserve,
            enabled,
            remaining,
        );
        self.send(&[ix], &[&user.keypair]).await
    }

    /// The admin lists e-mode category `id` with `category` and puts the reserves of `assets`
    /// in it.
    pub async fn list_emode_category(
        &mut self,
        id: u8,
        category: ballast::state::EmodeCategory,
        assets: &[usize],
    ) {
        let admin = self.admin.insecure_clone();
        self.update_market(&admin, MarketUpdate::SetEmodeCategory { id, category })
            .await
            .expect("category listed");
        for &asset in assets {
            let mut config = self.reserve(asset).await.config;
            config.emode_category = id;
            self.update_reserve(&admin, asset, ReserveUpdate::Config(config))
                .await
                .expect("reserve in the category");
        }
    }

    /// The market as a client reads it (`MarketView`): market, reserves, oracles, the clock.
    pub async fn view(&mut self) -> ballast_client::view::MarketView {
        let market_key = self.market;
        let market = self.market_state().await;
        let mut reserves = std::collections::BTreeMap::new();
        let mut oracles = std::collections::BTreeMap::new();
        for index in 0..self.assets.len() {
            let keys = self.assets[index].keys;
            let account = self.account(&keys.reserve).await.expect("reserve account");
            let reserve = self.reserve(index).await;
            reserves.insert(
                keys.reserve,
                ballast_client::view::ReserveEntry {
                    key: keys.reserve,
                    reserve,
                    account,
                },
            );
            for oracle in std::iter::once(keys.oracle).chain(keys.fallback_oracle) {
                if let Some(account) = self.account(&oracle).await {
                    oracles.insert(oracle, account);
                }
            }
        }
        ballast_client::view::MarketView {
            key: market_key,
            market,
            reserves,
            oracles,
            now: self.now,
        }
    }

    /// `user` puts its obligation in e-mode `category` (0: leaves it).
    pub async fn set_emode(&mut self, user: &User, category: u8) -> TxResult {
        let state = self.obligation(&user.obligation).await;
        let ix = client::set_emode(
            &user.pubkey(),
            &self.market,
            &user.obligation,
            &state,
            category,
            |reserve| self.oracle_of(reserve),
        );
        self.send(&[ix], &[&user.keypair]).await
    }

    pub async fn fund_reserve(
        &mut self,
        contributor: &User,
        index: usize,
        amount: u64,
    ) -> TxResult {
        let ix = client::fund_reserve(
            &contributor.pubkey(),
            &self.market,
            &self.assets[index].keys,
            &contributor.tokens[index],
            amount,
        );
        self.send(&[ix], &[&contributor.keypair]).await
    }

    /// Sweeps fees and fund flows of asset `index` (signed by the bank's payer).
    pub async fn collect_fees(&mut self, index: usize) -> TxResult {
        let payer = self.payer.pubkey();
        let ix = client::collect_fees(
            &payer,
            &self.market,
            &self.assets[index].keys,
            &self.treasuries[index],
        );
        self.send(&[ix], &[]).await
    }

    /// `liquidator` liquidates `target`: repays asset `repay`, seizes asset `collateral`.
    pub async fn liquidate(
        &mut self,
        liquidator: &User,
        target: &User,
        repay: usize,
        collateral: usize,
        args: LiquidateArgs,
    ) -> TxResult {
        let obligation = self.obligation(&target.obligation).await;
        let remaining = self.remaining(&obligation, true);
        self.liquidate_with(
            liquidator,
            &target.obligation,
            repay,
            collateral,
            args,
            remaining,
        )
        .await
    }

    pub async fn liquidate_with(
        &mut self,
        liquidator: &User,
        obligation: &Pubkey,
        repay: usize,
        collateral: usize,
        args: LiquidateArgs,
        remaining: Vec<AccountMeta>,
    ) -> TxResult {
        let ix =
            self.liquidate_instruction(liquidator, obligation, repay, collateral, args, remaining);
        self.send(&[ix], &[&liquidator.keypair]).await
    }

    /// The `liquidate` instruction `liquidate_with` sends.
    pub fn liquidate_instruction(
        &self,
        liquidator: &User,
        obligation: &Pubkey,
        repay: usize,
        collateral: usize,
        args: LiquidateArgs,
        remaining: Vec<AccountMeta>,
    ) -> Instruction {
        let accounts = LiquidationAccounts {
            liquidator: liquidator.pubkey(),
            market: self.market,
            obligation: *obligation,
            repay_source: liquidator.tokens[repay],
            collateral_destination: Some(liquidator.tokens[collateral]),
            liquidator_obligation: if args.receive_shares {
                Some(liquidator.obligation)
            } else {
                None
            },
        };
        client::liquidate(
            &accounts,
            &self.assets[repay].keys,
            &self.assets[collateral].keys,
            args,
            remaining,
        )
    }

    pub async fn realize_bad_debt(&mut self, caller: &User, target: &Pubkey) -> TxResult {
        let obligation = self.obligation(target).await;
        let remaining = self.remaining(&obligation, true);
        let ix = client::realize_bad_debt(&caller.pubkey(), &self.market, target, remaining);
        self.send(&[ix], &[&caller.keypair]).await
    }

    /// Admin (or `signer`) update of a reserve.
    pub async fn update_reserve(
        &mut self,
        signer: &Keypair,
        index: usize,
        update: ReserveUpdate,
    ) -> TxResult {
        let ix = client::update_reserve_config(
            &signer.pubkey(),
            &self.market,
            &self.assets[index].keys.reserve,
            update,
        );
        self.send(&[ix], &[signer]).await
    }

    /// Admin (or `signer`) update of the market.
    pub async fn update_market(&mut self, signer: &Keypair, update: MarketUpdate) -> TxResult {
        let ix = client::update_market(&signer.pubkey(), &self.market, update);
        self.send(&[ix], &[signer]).await
    }

    // ----- invariants -----------------------------------------------------------------------

    /// Conservation for every reserve, and the sums over `obligations`:
    /// vault ≥ available liquidity; fund vault ≥ fund balance + receivable; Σ scaled debt and
    /// Σ shares of the obligations equal the reserve's totals (when `obligations` is all of them).
    pub async fn check_invariants(&mut self, obligations: &[Pubkey]) {
        let mut states = vec![];
        for address in obligations {
            states.push(self.obligation(address).await);
        }
        for index in 0..self.assets.len() {
            let keys = self.assets[index].keys;
            let reserve = self.reserve(index).await;
            let vault = self.balance(&keys.liquidity_vault).await;
            let fund_vault = self.balance(&keys.fund_vault).await;
            assert!(
                vault >= reserve.available_liquidity,
                "{}: vault {vault} < available {}",
                self.assets[index].spec.symbol,
                reserve.available_liquidity
            );
            assert!(
                fund_vault >= reserve.fund_balance + reserve.fund_receivable,
                "fund vault below the fund's books"
            );
            assert!(reserve.last_accrual_ts <= self.now && reserve.borrow_index >= WAD);
            let scaled: u128 = states
                .iter()
                .filter_map(|o| o.borrow(&keys.reserve))
                .map(|b| b.scaled_debt)
                .sum();
            let shares: u128 = states
                .iter()
                .filter_map(|o| o.deposit(&keys.reserve))
                .map(|d| d.shares)
                .sum();
            assert_eq!(
                scaled, reserve.total_scaled_debt,
                "Σ scaled debt of {}",
                self.assets[index].spec.symbol
            );
            assert_eq!(
                shares, reserve.total_shares,
                "Σ shares of {}",
                self.assets[index].spec.symbol
            );
            let isolated: u128 = states
                .iter()
                .filter(|o| o.isolated_collateral == keys.reserve)
                .map(|o| o.isolated_debt())
                .sum();
            assert_eq!(
                isolated, reserve.isolated_debt,
                "Σ isolated-debt records against {}",
                self.assets[index].spec.symbol
            );
        }
        for state in &states {
            assert_isolation_consistent(state);
        }
    }
}

/// The isolation rule as obligation state: a record only while isolated; isolated means the
/// isolated reserve is an enabled deposit marked isolated, and no other collateral is enabled.
/// `None` when it holds, else what is wrong.
pub fn isolation_inconsistency(obligation: &Obligation) -> Option<&'static str> {
    let isolated = obligation.isolated_collateral;
    let enabled = obligation
        .active_deposits()
        .filter(|d| d.collateral_enabled)
        .count();
    if isolated == Pubkey::default() {
        if obligation.isolated_debt() != 0 {
            return Some("an isolated-debt record without isolation");
        }
        if obligation
            .active_deposits()
            .any(|d| d.collateral_enabled && d.isolated)
        {
            return Some("an enabled isolated deposit outside isolation");
        }
        return None;
    }
    match obligation.deposit(&isolated) {
        Some(d) if d.collateral_enabled && d.isolated => {}
        _ => return Some("isolated on a reserve that is not an enabled isolated deposit"),
    }
    (enabled != 1).then_some("isolated collateral beside other enabled collateral")
}

/// Panics unless the isolation rule holds for `obligation` (`isolation_inconsistency`).
pub fn assert_isolation_consistent(obligation: &Obligation) {
    if let Some(problem) = isolation_inconsistency(obligation) {
        panic!("{problem}: {obligation:?}");
    }
}

/// The transaction error a Ballast error becomes (the compute-budget instruction is index 0,
/// so the program's instruction is index 1).
pub fn custom_error(error: BallastError) -> TransactionError {
    TransactionError::InstructionError(
        1,
        anchor_lang::solana_program::instruction::error::InstructionError::Custom(error.into()),
    )
}

/// The Anchor framework error a transaction failed with (e.g. `ConstraintSeeds`).
pub fn anchor_error(error: anchor_lang::error::ErrorCode) -> TransactionError {
    TransactionError::InstructionError(
        1,
        anchor_lang::solana_program::instruction::error::InstructionError::Custom(error.into()),
    )
}

/// Serializes any Anchor type (for hand-built instruction data in hostile-input tests).
pub fn borsh_bytes<T: AnchorSerialize>(value: &T) -> Vec<u8> {
    let mut bytes = vec![];
    value.serialize(&mut bytes).expect("serializes");
    bytes
}

// ----- the fullest obligation ---------------------------------------------------------------

/// Asset indices of the collateral assets of `full_obligation_assets`.
pub fn full_obligation_collateral() -> std::ops::Range<usize> {
    0..ballast::state::MAX_DEPOSITS
}

/// Asset indices of the debt assets of `full_obligation_assets`.
pub fn full_obligation_debts() -> std::ops::Range<usize> {
    let deposits = ballast::state::MAX_DEPOSITS;
    deposits..deposits + ballast::state::MAX_BORROWS
}

/// `MAX_DEPOSITS` collateral assets (`C0`…) then `MAX_BORROWS` debt assets (`D0`…), all at $1
/// with 6 decimals, oracles alternating legacy / pull. `C0` is a Token-2022 mint, so that a
/// liquidation seizing it names two token programs (the largest account list).
pub fn full_obligation_assets() -> Vec<AssetSpec> {
    const COLLATERAL: [&str; 8] = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"];
    const DEBT: [&str; 8] = ["D0", "D1", "D2", "D3", "D4", "D5", "D6", "D7"];
    let collateral = full_obligation_collateral().map(|i| AssetSpec {
        symbol: COLLATERAL[i],
        decimals: 6,
        price: 1.0,
        pull_oracle: i % 2 == 1,
        token_2022: i == 0,
    });
    let debt = (0..ballast::state::MAX_BORROWS).map(|i| AssetSpec {
        symbol: DEBT[i],
        decimals: 6,
        price: 1.0,
        pull_oracle: i % 2 == 1,
        token_2022: false,
    });
    collateral.chain(debt).collect()
}

impl Harness {
    /// Takes a recent blockhash for the next transactions. The test bank registers a new one
    /// every few milliseconds of wall time and keeps 150 valid, so a long setup on a loaded
    /// machine can outlive the one the context started with.
    pub async fn refresh_blockhash(&mut self) {
        if let Backend::Bank(ctx) = &mut self.backend {
            ctx.last_blockhash = ctx
                .banks_client
                .get_latest_blockhash()
                .await
                .expect("a blockhash");
        }
    }

    /// On a market of `full_obligation_assets` (debt assets already supplied by a lender): a
    /// user whose obligation uses every slot, each in its own reserve — `first_collateral` base
    /// units of `C0`, 10 000 tokens of every other collateral, 1 000 tokens borrowed from every
    /// debt asset.
    pub async fn full_borrower(&mut self, first_collateral: u64) -> User {
        const TOKEN: u64 = 1_000_000;
        self.refresh_blockhash().await;
        let borrower = self.user().await;
        self.refresh_blockhash().await;
        for asset in full_obligation_collateral() {
            let amount = if asset == 0 {
                first_collateral
            } else {
                10_000 * TOKEN
            };
            self.mint_to(asset, &borrower.tokens[asset], amount).await;
            self.deposit(&borrower, asset, amount)
                .await
                .expect("deposit");
        }
        for asset in full_obligation_debts() {
            self.borrow(&borrower, asset, 1_000 * TOKEN)
                .await
                .expect("borrow");
        }
        let positions = self
            .obligation(&borrower.obligation)
            .await
            .position_reserves()
            .len();
        assert_eq!(
            positions,
            ballast::state::MAX_POSITIONS,
            "every slot used, one reserve each"
        );
        borrower
    }
}
