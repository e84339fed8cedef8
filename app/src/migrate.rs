//! Declarative markets: a TOML file describes the market (authorities, oracle programs,
//! liquidation settings) and each reserve (mint, oracle, every risk, rate, fund and cap
//! parameter). `ballast migrate` compares it with the chain, prints the plan and applies it;
//! applying a plan that is already in effect does nothing.

use std::collections::BTreeMap;
use std::str::FromStr;

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context as _};
use ballast::instructions::{InitMarketArgs, MarketUpdate, ReserveUpdate};
use ballast::state::{
    EmodeCategory, LiquidationConfig, Market, OracleConfig, PricePolicy, RateModel, Reserve,
    ReserveConfig, ORACLE_SOURCE_PYTH_LEGACY, ORACLE_SOURCE_PYTH_PULL, ORACLE_SOURCE_SWITCHBOARD,
};
use ballast_client::{self as client, ReserveKeys};
use serde::Deserialize;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::Signer;

use crate::format::{amount, parse_units};
use ballast_client::chain::Chain;
use ballast_client::view::decode;

/// A market file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketFile {
    pub market: MarketSpec,
    #[serde(default, rename = "reserve")]
    pub reserves: Vec<ReserveSpec>,
}

/// `[market]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSpec {
    /// Index among the creator's markets (part of the market's address).
    pub index: u16,
    /// Who created the market (part of its address); default: the signing wallet.
    pub creator: Option<String>,
    /// The admin; default: the creator. A different admin is proposed (two-step transfer).
    pub admin: Option<String>,
    /// Default: the admin.
    pub risk_authority: Option<String>,
    /// Default: the admin.
    pub fee_receiver: Option<String>,
    pub pyth_program: String,
    pub pyth_receiver_program: String,
    /// Owner of trusted Switchboard On-Demand pull feeds; default: its mainnet program.
    pub switchboard_program: Option<String>,
    pub liquidation: LiquidationSpec,
    /// `[[market.emode]]`: efficiency-mode categories.
    #[serde(default)]
    pub emode: Vec<EmodeSpec>,
}

/// `[[market.emode]]`: one e-mode category (ids 1 ..= 4; a listed category stays listed).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmodeSpec {
    pub id: u8,
    /// For humans (the chain keeps only the id).
    pub name: String,
    pub ltv_bps: u16,
    pub liquidation_threshold_bps: u16,
    pub min_liquidation_bonus_bps: u16,
    pub max_liquidation_bonus_bps: u16,
}

impl EmodeSpec {
    /// The category this spec describes.
    pub fn category(&self) -> EmodeCategory {
        EmodeCategory {
            ltv_bps: self.ltv_bps,
            liquidation_threshold_bps: self.liquidation_threshold_bps,
            min_liquidation_bonus_bps: self.min_liquidation_bonus_bps,
            max_liquidation_bonus_bps: self.max_liquidation_bonus_bps,
        }
    }
}

/// `[market.liquidation]`; USD figures as decimal strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidationSpec {
    pub close_factor_bps: u16,
    pub full_liquidation_health_bps: u16,
    pub full_liquidation_debt_usd: String,
    pub dust_usd: String,
    pub bad_debt_collateral_dust_usd: String,
}

/// `[[reserve]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveSpec {
    pub symbol: String,
    pub mint: String,
    /// Checked against the mint.
    pub decimals: u8,
    pub ltv_bps: u16,
    pub liquidation_threshold_bps: u16,
    pub min_liquidation_bonus_bps: u16,
    pub max_liquidation_bonus_bps: u16,
    pub protocol_liquidation_fee_bps: u16,
    pub reserve_factor_bps: u16,
    pub insurance_factor_bps: u16,
    /// Flash-loan fee (bps); 0 when absent.
    #[serde(default)]
    pub flash_loan_fee_bps: u16,
    /// The e-mode category the reserve belongs to (`[[market.emode]]` id); 0 when absent.
    #[serde(default)]
    pub emode_category: u8,
    /// Present: the reserve is isolated collateral, with this debt ceiling (USD, decimal).
    pub debt_ceiling_usd: Option<String>,
    /// May be borrowed against isolated collateral; false when absent.
    #[serde(default)]
    pub borrowable_in_isolation: bool,
    /// Whole tokens (decimal string).
    pub supply_cap: String,
    /// Whole tokens (decimal string).
    pub borrow_cap: String,
    pub rate_model: RateSpec,
    pub oracle: OracleSpec,
    /// A second source, used only when `oracle` fails the policy in use.
    pub fallback_oracle: Option<OracleSpec>,
    /// With a fallback: the most its price and the primary's may differ (bps of the lower).
    pub max_oracle_deviation_bps: Option<u16>,
    /// Embedded bank only: the demo creates the mint and a simulated feed at this price.
    pub localnet: Option<LocalnetSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateSpec {
    pub base_rate_bps: u16,
    pub optimal_utilization_bps: u16,
    pub slope1_bps: u16,
    pub slope2_bps: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleSpec {
    /// `pyth-legacy`, `pyth-pull` or `switchboard`.
    pub source: String,
    /// The price account (legacy), the pinned `PriceUpdateV2` account (pull, optional: the
    /// sponsored feed account by default) or the pull-feed account (Switchboard).
    pub account: Option<String>,
    /// Pyth pull feeds: the Pyth feed id (hex). Switchboard: the feed hash (hex), pinned.
    pub feed_id: Option<String>,
    /// Switchboard: fewest oracle responses a result must aggregate.
    pub min_responses: Option<u8>,
    pub confidence_multiplier_bps: u16,
    pub strict: PolicySpec,
    pub liquidation: PolicySpec,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub max_age_secs: u32,
    pub max_confidence_bps: u16,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalnetSpec {
    pub price_usd: f64,
}

fn pubkey(text: &str, what: &str) -> anyhow::Result<Pubkey> {
    Pubkey::from_str(text.trim()).with_context(|| format!("{what}: not an address: {text}"))
}

fn usd_wad(text: &str, what: &str) -> anyhow::Result<u128> {
    parse_units(text, 18).with_context(|| format!("{what}: not a USD amount: {text}"))
}

/// Parses a 32-byte hex feed id (`0x` optional).
pub fn feed_id(text: &str) -> anyhow::Result<[u8; 32]> {
    let hex = text.trim().trim_start_matches("0x");
    anyhow::ensure!(hex.len() == 64, "feed id must be 32 bytes of hex: {text}");
    let mut id = [0u8; 32];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .with_context(|| format!("feed id: bad hex {text}"))?;
    }
    Ok(id)
}

impl MarketFile {
    /// Reads and parses a market file.
    pub fn read(path: &std::path::Path) -> anyhow::Result<MarketFile> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        MarketFile::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses a market file's text.
    pub fn parse(text: &str) -> anyhow::Result<MarketFile> {
        Ok(toml::from_str(text)?)
    }

    /// The creator: the file's, or the signing wallet.
    pub fn creator(&self, wallet: &Pubkey) -> anyhow::Result<Pubkey> {
        match &self.market.creator {
            Some(text) => pubkey(text, "market.creator"),
            None => Ok(*wallet),
        }
    }

    /// The market's address.
    pub fn market_address(&self, wallet: &Pubkey) -> anyhow::Result<Pubkey> {
        Ok(client::market_address(
            &self.creator(wallet)?,
            self.market.index,
        ))
    }

    /// What the market should hold: (admin, risk authority, fee receiver, pyth, receiver, liquidation).
    pub fn desired_market(&self, wallet: &Pubkey) -> anyhow::Result<DesiredMarket> {
        let spec = &self.market;
        let creator = self.creator(wallet)?;
        let admin = match &spec.admin {
            Some(text) => pubkey(text, "market.admin")?,
            None => creator,
        };
        let or_admin = |value: &Option<String>, what: &str| -> anyhow::Result<Pubkey> {
            match value {
                Some(text) => pubkey(text, what),
                None => Ok(admin),
            }
        };
        let l = &spec.liquidation;
        Ok(DesiredMarket {
            index: spec.index,
            admin,
            risk_authority: or_admin(&spec.risk_authority, "market.risk_authority")?,
            fee_receiver: or_admin(&spec.fee_receiver, "market.fee_receiver")?,
            pyth_program: pubkey(&spec.pyth_program, "market.pyth_program")?,
            pyth_receiver_program: pubkey(
                &spec.pyth_receiver_program,
                "market.pyth_receiver_program",
            )?,
            switchboard_program: match &spec.switchboard_program {
                Some(text) => pubkey(text, "market.switchboard_program")?,
                None => ballast_bank::pyth::SWITCHBOARD_PROGRAM,
            },
            liquidation: LiquidationConfig {
                close_factor_bps: l.close_factor_bps,
                full_liquidation_health_bps: l.full_liquidation_health_bps,
                full_liquidation_debt_value: usd_wad(
                    &l.full_liquidation_debt_usd,
                    "full_liquidation_debt_usd",
                )?,
                dust_value: usd_wad(&l.dust_usd, "dust_usd")?,
                bad_debt_collateral_dust_value: usd_wad(
                    &l.bad_debt_collateral_dust_usd,
                    "bad_debt_collateral_dust_usd",
                )?,
            },
        })
    }
}

impl ReserveSpec {
    /// The mint address.
    pub fn mint(&self) -> anyhow::Result<Pubkey> {
        pubkey(&self.mint, &format!("{}.mint", self.symbol))
    }

    /// The reserve configuration this spec describes.
    pub fn config(&self) -> anyhow::Result<ReserveConfig> {
        let symbol = &self.symbol;
        let oracle = self.oracle.config(symbol, "oracle")?;
        let (fallback_oracle, max_oracle_deviation_bps) = match &self.fallback_oracle {
            Some(spec) => (
                spec.config(symbol, "fallback_oracle")?,
                self.max_oracle_deviation_bps.with_context(|| {
                    format!("{symbol}: a fallback oracle needs max_oracle_deviation_bps")
                })?,
            ),
            None => {
                anyhow::ensure!(
                    self.max_oracle_deviation_bps.is_none(),
                    "{symbol}: max_oracle_deviation_bps without a fallback_oracle"
                );
                (OracleConfig::default(), 0)
            }
        };
        let cap = |text: &str, what: &str| -> anyhow::Result<u64> {
            let units = parse_units(text, self.decimals)
                .with_context(|| format!("{symbol}.{what}: {text}"))?;
            u64::try_from(units).with_context(|| format!("{symbol}.{what} too large"))
        };
        Ok(ReserveConfig {
            oracle,
            fallback_oracle,
            max_oracle_deviation_bps,
            ltv_bps: self.ltv_bps,
            liquidation_threshold_bps: self.liquidation_threshold_bps,
            min_liquidation_bonus_bps: self.min_liquidation_bonus_bps,
            max_liquidation_bonus_bps: self.max_liquidation_bonus_bps,
            protocol_liquidation_fee_bps: self.protocol_liquidation_fee_bps,
            reserve_factor_bps: self.reserve_factor_bps,
            insurance_factor_bps: self.insurance_factor_bps,
            rate_model: RateModel {
                base_rate_bps: self.rate_model.base_rate_bps,
                optimal_utilization_bps: self.rate_model.optimal_utilization_bps,
                slope1_bps: self.rate_model.slope1_bps,
                slope2_bps: self.rate_model.slope2_bps,
            },
            supply_cap: cap(&self.supply_cap, "supply_cap")?,
            borrow_cap: cap(&self.borrow_cap, "borrow_cap")?,
            flash_loan_fee_bps: self.flash_loan_fee_bps,
            isolated: self.debt_ceiling_usd.is_some(),
            borrowable_in_isolation: self.borrowable_in_isolation,
            emode_category: self.emode_category,
            debt_ceiling: match &self.debt_ceiling_usd {
                Some(text) => usd_wad(text, &format!("{symbol}.debt_ceiling_usd"))?,
                None => 0,
            },
        })
    }
}

impl OracleSpec {
    /// The source this spec describes (`what` names it in errors: `oracle`, `fallback_oracle`).
    pub fn config(&self, symbol: &str, what: &str) -> anyhow::Result<OracleConfig> {
        let hex = |kind: &str| -> anyhow::Result<[u8; 32]> {
            feed_id(
                self.feed_id
                    .as_deref()
                    .with_context(|| format!("{symbol}.{what}: a {kind} source needs feed_id"))?,
            )
        };
        let (source, feed) = match self.source.as_str() {
            "pyth-legacy" => (ORACLE_SOURCE_PYTH_LEGACY, [0u8; 32]),
            "pyth-pull" => (ORACLE_SOURCE_PYTH_PULL, hex("pull")?),
            "switchboard" => (ORACLE_SOURCE_SWITCHBOARD, hex("switchboard")?),
            other => bail!(
                "{symbol}.{what}: unknown oracle source {other:?} (pyth-legacy | pyth-pull | switchboard)"
            ),
        };
        let account = match &self.account {
            Some(text) => pubkey(text, &format!("{symbol}.{what}.account"))?,
            None if source == ORACLE_SOURCE_PYTH_PULL => {
                ballast_client::view::sponsored_feed_account(&feed)
            }
            None => bail!(
                "{symbol}.{what}: a {} source needs its account",
                self.source
            ),
        };
        let min_responses = match (source, self.min_responses) {
            (ORACLE_SOURCE_SWITCHBOARD, Some(n)) => n,
            (ORACLE_SOURCE_SWITCHBOARD, None) => {
                bail!("{symbol}.{what}: a switchboard source needs min_responses")
            }
            (_, Some(_)) => bail!("{symbol}.{what}: min_responses is for switchboard sources"),
            (_, None) => 0,
        };
        let policy = |p: PolicySpec| PricePolicy {
            max_age_secs: p.max_age_secs,
            max_confidence_bps: p.max_confidence_bps,
        };
        Ok(OracleConfig {
            source,
            oracle_account: account,
            feed_id: feed,
            strict: policy(self.strict),
            liquidation: policy(self.liquidation),
            confidence_multiplier_bps: self.confidence_multiplier_bps,
            min_responses,
        })
    }
}

/// The market settings a file asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredMarket {
    pub index: u16,
    pub admin: Pubkey,
    pub risk_authority: Pubkey,
    pub fee_receiver: Pubkey,
    pub pyth_program: Pubkey,
    pub pyth_receiver_program: Pubkey,
    pub switchboard_program: Pubkey,
    pub liquidation: LiquidationConfig,
}

/// The names of one source's fields in a market file, under `oracle.` or `fallback_oracle.`.
type OracleFieldNames = [&'static str; 8];

const ORACLE_FIELDS: OracleFieldNames = [
    "oracle.source",
    "oracle.account",
    "oracle.feed_id",
    "oracle.min_responses",
    "oracle.strict.max_age_secs",
    "oracle.strict.max_confidence_bps",
    "oracle.liquidation.max_age_secs",
    "oracle.liquidation.max_confidence_bps",
];

const FALLBACK_FIELDS: OracleFieldNames = [
    "fallback_oracle.source",
    "fallback_oracle.account",
    "fallback_oracle.feed_id",
    "fallback_oracle.min_responses",
    "fallback_oracle.strict.max_age_secs",
    "fallback_oracle.strict.max_confidence_bps",
    "fallback_oracle.liquidation.max_age_secs",
    "fallback_oracle.liquidation.max_confidence_bps",
];

/// One source's parameters as `(name, value)`.
fn oracle_fields(o: &OracleConfig, names: OracleFieldNames) -> Vec<(&'static str, String)> {
    let source = match o.source {
        ORACLE_SOURCE_PYTH_LEGACY => "pyth-legacy".to_string(),
        ORACLE_SOURCE_PYTH_PULL => "pyth-pull".to_string(),
        ORACLE_SOURCE_SWITCHBOARD => "switchboard".to_string(),
        other => other.to_string(),
    };
    let feed: String = o.feed_id.iter().map(|b| format!("{b:02x}")).collect();
    let mut fields = vec![
        (names[0], source),
        (names[1], o.oracle_account.to_string()),
        (names[2], feed),
    ];
    if o.source == ORACLE_SOURCE_SWITCHBOARD {
        fields.push((names[3], o.min_responses.to_string()));
    }
    fields.extend([
        (names[4], o.strict.max_age_secs.to_string()),
        (names[5], o.strict.max_confidence_bps.to_string()),
        (names[6], o.liquidation.max_age_secs.to_string()),
        (names[7], o.liquidation.max_confidence_bps.to_string()),
    ]);
    fields
}

/// Every parameter of a reserve config as `(name, value)`, caps in token units.
pub fn config_fields(config: &ReserveConfig, decimals: u8) -> Vec<(&'static str, String)> {
    let r = &config.rate_model;
    let multiplier = |o: &OracleConfig| o.confidence_multiplier_bps.to_string();
    let mut fields = oracle_fields(&config.oracle, ORACLE_FIELDS);
    fields.push((
        "oracle.confidence_multiplier_bps",
        multiplier(&config.oracle),
    ));
    if config.fallback_oracle.is_set() {
        fields.extend(oracle_fields(&config.fallback_oracle, FALLBACK_FIELDS));
        fields.push((
            "fallback_oracle.confidence_multiplier_bps",
            multiplier(&config.fallback_oracle),
        ));
        fields.push((
            "max_oracle_deviation_bps",
            config.max_oracle_deviation_bps.to_string(),
        ));
    }
    fields.extend(vec![
        ("ltv_bps", config.ltv_bps.to_string()),
        (
            "liquidation_threshold_bps",
            config.liquidation_threshold_bps.to_string(),
        ),
        (
            "min_liquidation_bonus_bps",
            config.min_liquidation_bonus_bps.to_string(),
        ),
        (
            "max_liquidation_bonus_bps",
            config.max_liquidation_bonus_bps.to_string(),
        ),
        (
            "protocol_liquidation_fee_bps",
            config.protocol_liquidation_fee_bps.to_string(),
        ),
        ("reserve_factor_bps", config.reserve_factor_bps.to_string()),
        (
            "insurance_factor_bps",
            config.insurance_factor_bps.to_string(),
        ),
        ("flash_loan_fee_bps", config.flash_loan_fee_bps.to_string()),
        ("emode_category", config.emode_category.to_string()),
        ("isolated", config.isolated.to_string()),
        ("debt_ceiling_usd", amount(config.debt_ceiling, 18)),
        (
            "borrowable_in_isolation",
            config.borrowable_in_isolation.to_string(),
        ),
        ("rate_model.base_rate_bps", r.base_rate_bps.to_string()),
        (
            "rate_model.optimal_utilization_bps",
            r.optimal_utilization_bps.to_string(),
        ),
        ("rate_model.slope1_bps", r.slope1_bps.to_string()),
        ("rate_model.slope2_bps", r.slope2_bps.to_string()),
        (
            "supply_cap",
            amount(u128::from(config.supply_cap), decimals),
        ),
        (
            "borrow_cap",
            amount(u128::from(config.borrow_cap), decimals),
        ),
    ]);
    fields
}

fn emode_fields(category: &EmodeCategory) -> Vec<(&'static str, String)> {
    vec![
        ("ltv_bps", category.ltv_bps.to_string()),
        (
            "liquidation_threshold_bps",
            category.liquidation_threshold_bps.to_string(),
        ),
        (
            "min_liquidation_bonus_bps",
            category.min_liquidation_bonus_bps.to_string(),
        ),
        (
            "max_liquidation_bonus_bps",
            category.max_liquidation_bonus_bps.to_string(),
        ),
    ]
}

fn liquidation_fields(config: &LiquidationConfig) -> Vec<(&'static str, String)> {
    vec![
        ("close_factor_bps", config.close_factor_bps.to_string()),
        (
            "full_liquidation_health_bps",
            config.full_liquidation_health_bps.to_string(),
        ),
        (
            "full_liquidation_debt_usd",
            amount(config.full_liquidation_debt_value, 18),
        ),
        ("dust_usd", amount(config.dust_value, 18)),
        (
            "bad_debt_collateral_dust_usd",
            amount(config.bad_debt_collateral_dust_value, 18),
        ),
    ]
}

fn diff(
    prefix: &str,
    before: &[(&'static str, String)],
    after: &[(&'static str, String)],
) -> Vec<String> {
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b.1 != a.1)
        .map(|((name, from), (_, to))| format!("change {prefix}{name} from {from} to {to}"))
        .collect()
}

/// One step of a plan: what it does, in words, and the instruction that does it.
#[derive(Debug, Clone)]
pub struct Step {
    pub description: Vec<String>,
    pub instruction: Instruction,
}

/// Compares `file` with the chain (as `wallet`, who must be the creator / admin to apply).
pub async fn plan<C: Chain>(chain: &mut C, file: &MarketFile) -> anyhow::Result<Vec<Step>> {
    let wallet = chain.wallet().pubkey();
    let desired = file.desired_market(&wallet)?;
    let creator = file.creator(&wallet)?;
    let market_key = file.market_address(&wallet)?;
    let mut steps = vec![];
    let market: Option<Market> = match chain.account(&market_key).await? {
        Some(account) => Some(decode(&account)?),
        None => None,
    };
    // The admin acting now: the creator for a new market.
    let admin_now = market.as_ref().map(|m| m.admin).unwrap_or(creator);
    match &market {
        None => {
            anyhow::ensure!(
                creator == wallet,
                "the market does not exist; only its creator {creator} can create it"
            );
            steps.push(Step {
                description: vec![format!(
                    "create market {market_key} (creator {creator}, index {})",
                    desired.index
                )],
                instruction: client::init_market(
                    &creator,
                    InitMarketArgs {
                        index: desired.index,
                        risk_authority: desired.risk_authority,
                        fee_receiver: desired.fee_receiver,
                        pyth_program: desired.pyth_program,
                        pyth_receiver_program: desired.pyth_receiver_program,
                        switchboard_program: desired.switchboard_program,
                        liquidation: desired.liquidation,
                    },
                ),
            });
        }
        Some(current) => {
            let mut update = |description: String, update: MarketUpdate| {
                steps.push(Step {
                    description: vec![description],
                    instruction: client::update_market(&admin_now, &market_key, update),
                })
            };
            if current.risk_authority != desired.risk_authority {
                update(
                    format!(
                        "change market.risk_authority from {} to {}",
                        current.risk_authority, desired.risk_authority
                    ),
                    MarketUpdate::SetRiskAuthority {
                        risk_authority: desired.risk_authority,
                    },
                );
            }
            if current.fee_receiver != desired.fee_receiver {
                update(
                    format!(
                        "change market.fee_receiver from {} to {}",
                        current.fee_receiver, desired.fee_receiver
                    ),
                    MarketUpdate::SetFeeReceiver {
                        fee_receiver: desired.fee_receiver,
                    },
                );
            }
            let programs = |m: (&Pubkey, &Pubkey, &Pubkey)| format!("({}, {}, {})", m.0, m.1, m.2);
            let current_programs = (
                &current.pyth_program,
                &current.pyth_receiver_program,
                &current.switchboard_program,
            );
            let desired_programs = (
                &desired.pyth_program,
                &desired.pyth_receiver_program,
                &desired.switchboard_program,
            );
            if current_programs != desired_programs {
                update(
                    format!(
                        "change market oracle programs from {} to {}",
                        programs(current_programs),
                        programs(desired_programs)
                    ),
                    MarketUpdate::SetOraclePrograms {
                        pyth_program: desired.pyth_program,
                        pyth_receiver_program: desired.pyth_receiver_program,
                        switchboard_program: desired.switchboard_program,
                    },
                );
            }
            if current.liquidation != desired.liquidation {
                steps.push(Step {
                    description: diff(
                        "market.liquidation.",
                        &liquidation_fields(&current.liquidation),
                        &liquidation_fields(&desired.liquidation),
                    ),
                    instruction: client::update_market(
                        &admin_now,
                        &market_key,
                        MarketUpdate::SetLiquidationConfig {
                            config: desired.liquidation,
                        },
                    ),
                });
            }
        }
    }

    // Categories before the reserves that join them.
    for spec in &file.market.emode {
        let desired = spec.category();
        let current = market
            .as_ref()
            .and_then(|m| m.emode_categories.get(usize::from(spec.id).wrapping_sub(1)))
            .copied()
            .unwrap_or_default();
        if current != desired {
            let mut description = vec![format!("set e-mode category {} ({})", spec.id, spec.name)];
            if current.is_listed() {
                description = diff(
                    &format!("emode.{}.", spec.id),
                    &emode_fields(&current),
                    &emode_fields(&desired),
                );
            }
            steps.push(Step {
                description,
                instruction: client::update_market(
                    &admin_now,
                    &market_key,
                    MarketUpdate::SetEmodeCategory {
                        id: spec.id,
                        category: desired,
                    },
                ),
            });
        }
    }

    let mut listed: BTreeMap<Pubkey, (Pubkey, Reserve)> = BTreeMap::new();
    if market.is_some() {
        for (key, account) in chain
            .program_accounts(ballast_client::view::RESERVE_LEN, &market_key)
            .await?
        {
            let reserve: Reserve = decode(&account)?;
            listed.insert(reserve.mint, (key, reserve));
        }
    }
    for spec in &file.reserves {
        let mint = spec.mint()?;
        let config = spec.config()?;
        match listed.remove(&mint) {
            None => {
                let mint_account = chain
                    .account(&mint)
                    .await?
                    .with_context(|| format!("{}: mint {mint} does not exist", spec.symbol))?;
                let decimals = *mint_account
                    .data
                    .get(44)
                    .with_context(|| format!("{}: {mint} is not a mint", spec.symbol))?;
                anyhow::ensure!(
                    decimals == spec.decimals,
                    "{}: the mint has {decimals} decimals, the file says {}",
                    spec.symbol,
                    spec.decimals
                );
                let keys = ReserveKeys::derive(
                    &market_key,
                    &mint,
                    &mint_account.owner,
                    &config.oracle.oracle_account,
                );
                steps.push(Step {
                    description: vec![format!(
                        "create reserve {} (mint {mint}, reserve {})",
                        spec.symbol, keys.reserve
                    )],
                    instruction: client::init_reserve(&admin_now, &market_key, &keys, config),
                });
            }
            Some((key, reserve)) => {
                anyhow::ensure!(
                    reserve.decimals == spec.decimals,
                    "{}: the reserve has {} decimals, the file says {}",
                    spec.symbol,
                    reserve.decimals,
                    spec.decimals
                );
                if reserve.config != config {
                    steps.push(Step {
                        description: diff(
                            &format!("{}.", spec.symbol),
                            &config_fields(&reserve.config, reserve.decimals),
                            &config_fields(&config, reserve.decimals),
                        ),
                        instruction: client::update_reserve_config(
                            &admin_now,
                            &market_key,
                            &key,
                            ReserveUpdate::Config(config),
                        ),
                    });
                }
            }
        }
    }
    if let Some(desired_admin) = Some(desired.admin).filter(|admin| *admin != admin_now) {
        let pending = market.as_ref().map(|m| m.pending_admin);
        if pending != Some(desired_admin) {
            steps.push(Step {
                description: vec![format!(
                    "propose {desired_admin} as admin (it must accept with its own signature)"
                )],
                instruction: client::update_market(
                    &admin_now,
                    &market_key,
                    MarketUpdate::ProposeAdmin {
                        new_admin: desired_admin,
                    },
                ),
            });
        }
    }
    for (mint, (key, _)) in listed {
        tracing::warn!("reserve {key} (mint {mint}) is listed but not in the file; left as is");
    }
    Ok(steps)
}

/// Applies `steps` in order, one transaction each, signed by the wallet.
pub async fn apply<C: Chain>(chain: &mut C, steps: &[Step]) -> anyhow::Result<()> {
    let wallet = chain.wallet().insecure_clone();
    for step in steps {
        chain
            .send(std::slice::from_ref(&step.instruction), &[&wallet])
            .await
            .with_context(|| step.description.join("; "))?;
    }
    Ok(())
}

/// The plan as text lines.
pub fn describe(steps: &[Step]) -> Vec<String> {
    if steps.is_empty() {
        return vec!["nothing to do: the chain matches the file".into()];
    }
    steps
        .iter()
        .enumerate()
        .flat_map(|(i, step)| {
            step.description.iter().enumerate().map(move |(j, line)| {
                if j == 0 {
                    format!("{:>2}. {line}", i + 1)
                } else {
                    format!("    {line}")
                }
            })
        })
        .collect()
}

/// The market file shipped for the embedded bank and `solana-test-validator`.
pub const LOCALNET: &str = include_str!("../../migrations/localnet.toml");
/// The example mainnet market file.
pub const EXAMPLE_MAINNET: &str = include_str!("../../migrations/example-mainnet.toml");

/// Symbols of the mints named in the shipped market files (parsed once per process: every
/// read-out names its assets, the dashboard 10 000 times per page).
pub fn known_symbols() -> &'static BTreeMap<Pubkey, String> {
    static SYMBOLS: std::sync::OnceLock<BTreeMap<Pubkey, String>> = std::sync::OnceLock::new();
    SYMBOLS.get_or_init(|| {
        let mut symbols = BTreeMap::new();
        for text in [LOCALNET, EXAMPLE_MAINNET] {
            if let Ok(file) = MarketFile::parse(text) {
                for spec in file.reserves {
                    if let Ok(mint) = spec.mint() {
                        symbols.insert(mint, spec.symbol.clone());
                    }
                }
            }
        }
        symbols
    })
}
