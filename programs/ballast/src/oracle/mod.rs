//! Prices: the two Pyth adapters and the price policies (PROTOCOL.md §4).
//!
//! Each adapter only turns an account into a [`RawPrice`] after checking that the account is
//! the configured one, owned by the trusted program, and parses. Every other rule (status,
//! exponent, sign, time, monotonicity, confidence) is applied once, here, for both sources.

pub mod pyth_legacy;
pub mod pyth_pull;

use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::math::value::Price;
use crate::math::BPS;
use crate::state::{
    Market, PricePolicy, Reserve, ORACLE_SOURCE_PYTH_LEGACY, ORACLE_SOURCE_PYTH_PULL,
};

/// Smallest accepted price exponent.
pub const MIN_EXPONENT: i32 = -18;
/// Largest accepted price exponent.
pub const MAX_EXPONENT: i32 = 6;

/// Which policy governs a price read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricePolicyKind {
    /// New risk: short max age, tight confidence, conservative valuation.
    Strict,
    /// Liquidation and bad-debt realization: looser limits, spot price.
    Liquidation,
}

/// A price as an adapter read it, before any policy check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPrice {
    /// Aggregate price mantissa.
    pub price: i64,
    /// Confidence interval, same exponent.
    pub conf: u64,
    /// EMA price mantissa, same exponent.
    pub ema_price: i64,
    /// Decimal exponent.
    pub expo: i32,
    /// Unix time the price was published.
    pub publish_time: i64,
    /// Whether the feed says it is trading (always true for pull updates).
    pub trading: bool,
}

/// Prices an obligation is valued at: collateral and debt differ under the strict policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyPrice {
    /// Price for collateral (never above the truth the policy believes).
    pub collateral: Price,
    /// Price for debt (never below it).
    pub debt: Price,
    /// Publish time of the update used.
    pub publish_time: i64,
}

/// Reads the reserve's configured oracle account through its adapter, before any policy.
fn read_raw(market: &Market, reserve: &Reserve, oracle: &AccountInfo) -> Result<RawPrice> {
    let config = &reserve.config.oracle;
    match config.source {
        ORACLE_SOURCE_PYTH_LEGACY => {
            pyth_legacy::read(oracle, &config.oracle_account, &market.pyth_program)
        }
        ORACLE_SOURCE_PYTH_PULL => pyth_pull::read(
            oracle,
            &config.oracle_account,
            &config.feed_id,
            &market.pyth_receiver_program,
        ),
        _ => err!(BallastError::UnknownOracleSource),
    }
}

/// The last price the reserve's configured feed published, whatever its age, status or
/// confidence: only to tell that a position is negligible (worth at most the market's
/// negligible value) when its price fails the policy, so that such a position cannot block a
/// liquidation or a write-off (docs/oracles.md, "Negligible positions"). The account, owner,
/// verification and feed id are checked as always; the price must be positive with a
/// supported exponent.
pub fn read_last_price(market: &Market, reserve: &Reserve, oracle: &AccountInfo) -> Result<Price> {
    let raw = read_raw(market, reserve, oracle)?;
    require!(
        (MIN_EXPONENT..=MAX_EXPONENT).contains(&raw.expo),
        BallastError::OracleExponentOutOfRange
    );
    require!(raw.price > 0, BallastError::OracleNonPositive);
    Ok(Price {
        mantissa: raw.price as u64,
        expo: raw.expo,
    })
}

/// Reads the reserve's price from `oracle` and applies `kind`'s policy at `now`.
pub fn read_price(
    market: &Market,
    reserve: &Reserve,
    oracle: &AccountInfo,
    kind: PricePolicyKind,
    now: i64,
) -> Result<PolicyPrice> {
    let config = &reserve.config.oracle;
    let raw = read_raw(market, reserve, oracle)?;
    let policy = match kind {
        PricePolicyKind::Strict => config.strict,
        PricePolicyKind::Liquidation => config.liquidation,
    };
    apply_policy(
        &raw,
        &policy,
        kind,
        config.confidence_multiplier_bps,
        reserve.last_oracle_publish_time,
        now,
    )
}

/// The policy rules, in the order they are checked, each with its own error.
pub fn apply_policy(
    raw: &RawPrice,
    policy: &PricePolicy,
    kind: PricePolicyKind,
    confidence_multiplier_bps: u16,
    last_publish_time: i64,
    now: i64,
) -> Result<PolicyPrice> {
    require!(raw.trading, BallastError::OracleNotTrading);
    require!(
        (MIN_EXPONENT..=MAX_EXPONENT).contains(&raw.expo),
        BallastError::OracleExponentOutOfRange
    );
    require!(raw.price > 0, BallastError::OracleNonPositive);
    require!(raw.publish_time <= now, BallastError::OracleFuture);
    // Saturating: an update dated near `i64::MIN` is stale, not an overflow.
    require!(
        now.saturating_sub(raw.publish_time) <= i64::from(policy.max_age_secs),
        BallastError::OracleStale
    );
    require!(
        raw.publish_time >= last_publish_time,
        BallastError::OracleOlderThanLastUsed
    );
    let spot = raw.price as u64;
    require!(
        u128::from(raw.conf) * u128::from(BPS)
            <= u128::from(spot) * u128::from(policy.max_confidence_bps),
        BallastError::OracleConfidence
    );
    let expo = raw.expo;
    if kind == PricePolicyKind::Liquidation {
        let price = Price {
            mantissa: spot,
            expo,
        };
        return Ok(PolicyPrice {
            collateral: price,
            debt: price,
            publish_time: raw.publish_time,
        });
    }
    require!(raw.ema_price > 0, BallastError::OracleNonPositive);
    let ema = raw.ema_price as u64;
    let band = u64::try_from(
        (u128::from(raw.conf) * u128::from(confidence_multiplier_bps)).div_ceil(u128::from(BPS)),
    )
    .map_err(|_| BallastError::MathOverflow)?;
    Ok(PolicyPrice {
        collateral: Price {
            mantissa: spot.min(ema).saturating_sub(band),
            expo,
        },
        debt: Price {
            mantissa: spot
                .max(ema)
                .checked_add(band)
                .ok_or(BallastError::MathOverflow)?,
            expo,
        },
        publish_time: raw.publish_time,
    })
}
