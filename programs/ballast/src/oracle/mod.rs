//! Prices: the three adapters, the price policies and the choice between a reserve's primary
//! and fallback sources (PROTOCOL.md §4, docs/oracles.md).
//!
//! Each adapter only turns an account into a [`RawPrice`] after checking that the account is
//! the configured one, owned by the trusted program, and parses. Every other rule (status,
//! exponent, sign, time, responses, confidence) is applied once, here, for every source; then
//! [`select_price`] decides which source prices the reserve and enforces monotonicity.

pub mod pyth_legacy;
pub mod pyth_pull;
pub mod switchboard;

use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::math::value::{max_price, min_price, within_deviation, Price};
use crate::math::BPS;
use crate::state::{
    Market, OracleConfig, Reserve, ORACLE_SOURCE_PYTH_LEGACY, ORACLE_SOURCE_PYTH_PULL,
    ORACLE_SOURCE_SWITCHBOARD,
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
    /// Switchboard: oracle responses the result aggregates (`None` for Pyth, whose publishers
    /// are aggregated by Pyth itself).
    pub responses: Option<u8>,
}

/// Which of a reserve's sources a price came from (recorded on the reserve as `u8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PriceSource {
    /// The primary source.
    Primary = 1,
    /// The fallback, because the primary failed the policy.
    Fallback = 2,
    /// Both, disagreeing, in a liquidation: the lower collateral and the higher debt price.
    Both = 3,
}

impl PriceSource {
    /// The source a reserve recorded (`Reserve::last_price_source`); `None` for 0, no price yet.
    pub fn from_recorded(value: u8) -> Option<PriceSource> {
        match value {
            1 => Some(PriceSource::Primary),
            2 => Some(PriceSource::Fallback),
            3 => Some(PriceSource::Both),
            _ => None,
        }
    }
}

/// Prices an obligation is valued at: collateral and debt differ under the strict policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyPrice {
    /// Price for collateral (never above the truth the policy believes).
    pub collateral: Price,
    /// Price for debt (never below it).
    pub debt: Price,
    /// The spot price the source published (what the two sources are compared by).
    pub spot: Price,
    /// Publish time of the update used (the newer of the two for `PriceSource::Both`).
    pub publish_time: i64,
    /// The source it came from.
    pub source: PriceSource,
    /// What a write-off values collateral and debt at: the same as `collateral` and `debt`,
    /// except for two disagreeing sources (`PriceSource::Both`), where they are the other
    /// source's (the higher collateral and the lower debt price). A liquidation takes the
    /// conservative price; writing debt off needs the obligation insolvent by both sources.
    pub write_off_collateral: Price,
    pub write_off_debt: Price,
}

impl PolicyPrice {
    /// One source's prices (the primary's until `select_price` says otherwise).
    pub fn single(collateral: Price, debt: Price, spot: Price, publish_time: i64) -> PolicyPrice {
        PolicyPrice {
            collateral,
            debt,
            spot,
            publish_time,
            source: PriceSource::Primary,
            write_off_collateral: collateral,
            write_off_debt: debt,
        }
    }
}

/// The price accounts listed for one reserve: its primary's, and its fallback's when it has one.
#[derive(Clone, Copy)]
pub struct OracleAccounts<'a, 'info> {
    pub primary: &'a AccountInfo<'info>,
    pub fallback: Option<&'a AccountInfo<'info>>,
}

/// The first checks of every adapter: the account is the configured one and the trusted
/// program owns it.
fn check_account(
    oracle: &AccountInfo,
    configured: &Pubkey,
    trusted_program: &Pubkey,
) -> Result<()> {
    require_keys_eq!(*oracle.key, *configured, BallastError::OracleWrongAccount);
    require_keys_eq!(
        *oracle.owner,
        *trusted_program,
        BallastError::OracleWrongOwner
    );
    Ok(())
}

/// Reads one configured source's account through its adapter, before any policy.
fn read_raw(market: &Market, config: &OracleConfig, oracle: &AccountInfo) -> Result<RawPrice> {
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
        ORACLE_SOURCE_SWITCHBOARD => switchboard::read(
            oracle,
            &config.oracle_account,
            &config.feed_id,
            &market.switchboard_program,
        ),
        _ => err!(BallastError::UnknownOracleSource),
    }
}

/// The last price the reserve's feed published, whatever its age, status or confidence: only to
/// tell that a position is negligible (worth at most the market's negligible value) when its
/// price fails the policy, so that such a position cannot block a liquidation or a write-off
/// (docs/oracles.md, "Negligible positions"). The primary's when it parses, else the fallback's.
/// The account, owner, verification and feed id are checked as always; the price must be
/// positive with a supported exponent.
pub fn read_last_price(
    market: &Market,
    reserve: &Reserve,
    oracles: OracleAccounts,
) -> Result<Price> {
    let config = &reserve.config;
    let last = |source: &OracleConfig, oracle: &AccountInfo| -> Result<Price> {
        let raw = read_raw(market, source, oracle)?;
        require!(
            (MIN_EXPONENT..=MAX_EXPONENT).contains(&raw.expo),
            BallastError::OracleExponentOutOfRange
        );
        require!(raw.price > 0, BallastError::OracleNonPositive);
        Ok(Price {
            mantissa: raw.price as u64,
            expo: raw.expo,
        })
    };
    let primary = last(&config.oracle, oracles.primary);
    match (primary, oracles.fallback) {
        (Err(error), Some(fallback)) if config.fallback_oracle.is_set() => {
            last(&config.fallback_oracle, fallback).map_err(|_| error)
        }
        (primary, _) => primary,
    }
}

/// Reads the reserve's price from its sources and applies `kind`'s policy at `now`: each source
/// is read and checked on its own, then [`select_price`] picks.
pub fn read_price(
    market: &Market,
    reserve: &Reserve,
    oracles: OracleAccounts,
    kind: PricePolicyKind,
    now: i64,
) -> Result<PolicyPrice> {
    let config = &reserve.config;
    let read = |source: &OracleConfig, oracle: &AccountInfo| {
        read_raw(market, source, oracle).and_then(|raw| apply_policy(&raw, source, kind, now))
    };
    let primary = read(&config.oracle, oracles.primary);
    let fallback = config
        .fallback_oracle
        .is_set()
        .then(|| match oracles.fallback {
            Some(oracle) => read(&config.fallback_oracle, oracle),
            None => err!(BallastError::InvalidRemainingAccounts),
        });
    select_price(
        primary,
        fallback,
        config.max_oracle_deviation_bps,
        kind,
        reserve.last_oracle_publish_time,
    )
}

/// Chooses between a reserve's sources, each already checked against its policy (`Err` when it
/// failed). A source whose update is older than `last_publish_time` (the newest any source of
/// the reserve has priced it with) fails too, with `OracleOlderThanLastUsed`: no price the
/// reserve uses, alone or as one of two, goes back in time. Then:
///
/// 1. both pass and their spot prices differ by more than `max_deviation_bps` of the lower:
///    new risk is refused (`OracleSourcesDisagree`); a liquidation values collateral at the
///    lower and debt at the higher of the two (`PriceSource::Both`);
/// 2. otherwise the primary, if it passes;
/// 3. otherwise the fallback, if it passes;
/// 4. otherwise the primary's error.
pub fn select_price(
    primary: Result<PolicyPrice>,
    fallback: Option<Result<PolicyPrice>>,
    max_deviation_bps: u16,
    kind: PricePolicyKind,
    last_publish_time: i64,
) -> Result<PolicyPrice> {
    let not_older = |price: PolicyPrice| -> Result<PolicyPrice> {
        require!(
            price.publish_time >= last_publish_time,
            BallastError::OracleOlderThanLastUsed
        );
        Ok(price)
    };
    let primary = primary.and_then(not_older);
    let Some(fallback) = fallback else {
        return primary;
    };
    match (primary, fallback.and_then(not_older)) {
        (Ok(p), Ok(f)) if !within_deviation(p.spot, f.spot, max_deviation_bps) => {
            require!(
                kind == PricePolicyKind::Liquidation,
                BallastError::OracleSourcesDisagree
            );
            Ok(PolicyPrice {
                collateral: min_price(p.collateral, f.collateral),
                debt: max_price(p.debt, f.debt),
                spot: p.spot,
                publish_time: p.publish_time.max(f.publish_time),
                source: PriceSource::Both,
                write_off_collateral: max_price(p.collateral, f.collateral),
                write_off_debt: min_price(p.debt, f.debt),
            })
        }
        (Ok(p), _) => Ok(p),
        (Err(_), Ok(f)) => Ok(PolicyPrice {
            source: PriceSource::Fallback,
            ..f
        }),
        (Err(error), Err(_)) => Err(error),
    }
}

/// The policy rules for one source, in the order they are checked, each with its own error.
/// Monotonicity across the reserve's sources is [`select_price`]'s.
pub fn apply_policy(
    raw: &RawPrice,
    config: &OracleConfig,
    kind: PricePolicyKind,
    now: i64,
) -> Result<PolicyPrice> {
    let policy = match kind {
        PricePolicyKind::Strict => config.strict,
        PricePolicyKind::Liquidation => config.liquidation,
    };
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
        raw.responses.unwrap_or(u8::MAX) >= config.min_responses,
        BallastError::OracleTooFewResponses
    );
    let spot = raw.price as u64;
    require!(
        u128::from(raw.conf) * u128::from(BPS)
            <= u128::from(spot) * u128::from(policy.max_confidence_bps),
        BallastError::OracleConfidence
    );
    let expo = raw.expo;
    let spot_price = Price {
        mantissa: spot,
        expo,
    };
    if kind == PricePolicyKind::Liquidation {
        return Ok(PolicyPrice::single(
            spot_price,
            spot_price,
            spot_price,
            raw.publish_time,
        ));
    }
    require!(raw.ema_price > 0, BallastError::OracleNonPositive);
    let ema = raw.ema_price as u64;
    let band = u64::try_from(
        (u128::from(raw.conf) * u128::from(config.confidence_multiplier_bps))
            .div_ceil(u128::from(BPS)),
    )
    .map_err(|_| BallastError::MathOverflow)?;
    let collateral = Price {
        mantissa: spot.min(ema).saturating_sub(band),
        expo,
    };
    let debt = Price {
        mantissa: spot
            .max(ema)
            .checked_add(band)
            .ok_or(BallastError::MathOverflow)?,
        expo,
    };
    Ok(PolicyPrice::single(
        collateral,
        debt,
        spot_price,
        raw.publish_time,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(mantissa: u64, publish_time: i64) -> PolicyPrice {
        let price = Price { mantissa, expo: -2 };
        PolicyPrice::single(price, price, price, publish_time)
    }

    fn failing() -> Result<PolicyPrice> {
        err!(BallastError::OracleStale)
    }

    fn code(result: Result<PolicyPrice>) -> u32 {
        match result {
            Err(anchor_lang::error::Error::AnchorError(error)) => error.error_code_number,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    const STRICT: PricePolicyKind = PricePolicyKind::Strict;
    const LIQUIDATION: PricePolicyKind = PricePolicyKind::Liquidation;

    fn number(error: BallastError) -> u32 {
        6000 + error as u32
    }

    #[test]
    fn a_recorded_source_reads_back() {
        for source in [
            PriceSource::Primary,
            PriceSource::Fallback,
            PriceSource::Both,
        ] {
            assert_eq!(PriceSource::from_recorded(source as u8), Some(source));
        }
        assert_eq!(PriceSource::from_recorded(0), None);
        assert_eq!(PriceSource::from_recorded(4), None);
    }

    #[test]
    fn without_a_fallback_the_primary_decides() {
        assert_eq!(
            select_price(Ok(at(100, 10)), None, 0, STRICT, 10),
            Ok(at(100, 10))
        );
        assert_eq!(
            code(select_price(failing(), None, 0, STRICT, 0)),
            number(BallastError::OracleStale)
        );
        assert_eq!(
            code(select_price(Ok(at(100, 9)), None, 0, STRICT, 10)),
            number(BallastError::OracleOlderThanLastUsed)
        );
    }

    #[test]
    fn the_fallback_prices_only_when_the_primary_fails() {
        let agreeing = select_price(Ok(at(100, 10)), Some(Ok(at(101, 10))), 100, STRICT, 0);
        assert_eq!(agreeing.unwrap().source, PriceSource::Primary);
        // The fallback failing changes nothing while the primary passes.
        assert_eq!(
            select_price(Ok(at(100, 10)), Some(failing()), 100, STRICT, 0),
            Ok(at(100, 10))
        );
        let fallback = select_price(failing(), Some(Ok(at(120, 10))), 100, STRICT, 0).unwrap();
        assert_eq!(
            (fallback.spot.mantissa, fallback.source),
            (120, PriceSource::Fallback)
        );
        // Both failing: the primary's reason.
        let both = select_price(
            failing(),
            Some(err!(BallastError::OracleConfidence)),
            100,
            LIQUIDATION,
            0,
        );
        assert_eq!(code(both), number(BallastError::OracleStale));
    }

    #[test]
    fn no_source_prices_with_an_update_older_than_the_last_used() {
        // The primary is older than the fallback's last use: the fallback prices.
        let fallback =
            select_price(Ok(at(100, 9)), Some(Ok(at(100, 12))), 100, STRICT, 10).unwrap();
        assert_eq!(fallback.source, PriceSource::Fallback);
        // The primary failed and the fallback is older than the last used: refused.
        assert_eq!(
            code(select_price(
                failing(),
                Some(Ok(at(100, 9))),
                100,
                LIQUIDATION,
                10
            )),
            number(BallastError::OracleStale)
        );
        assert_eq!(
            code(select_price(
                Ok(at(100, 8)),
                Some(Ok(at(100, 9))),
                100,
                STRICT,
                10
            )),
            number(BallastError::OracleOlderThanLastUsed)
        );
    }

    #[test]
    fn disagreeing_sources_refuse_new_risk_and_liquidate_conservatively() {
        // 100 vs 102: 200 bps apart, 100 tolerated.
        assert_eq!(
            code(select_price(
                Ok(at(100, 10)),
                Some(Ok(at(102, 11))),
                100,
                STRICT,
                0
            )),
            number(BallastError::OracleSourcesDisagree)
        );
        let both =
            select_price(Ok(at(102, 10)), Some(Ok(at(100, 11))), 100, LIQUIDATION, 0).unwrap();
        assert_eq!(both.source, PriceSource::Both);
        assert_eq!((both.collateral.mantissa, both.debt.mantissa), (100, 102));
        // A write-off needs the obligation insolvent by both: the other source's prices.
        assert_eq!(
            (
                both.write_off_collateral.mantissa,
                both.write_off_debt.mantissa
            ),
            (102, 100)
        );
        assert_eq!(both.publish_time, 11);
        // Exactly at the tolerance they agree.
        assert!(select_price(Ok(at(100, 10)), Some(Ok(at(101, 10))), 100, STRICT, 0).is_ok());
        // An update older than the last used is no source, even as the conservative one of
        // two: the primary older (and higher), the fallback prices alone...
        let fallback =
            select_price(Ok(at(102, 8)), Some(Ok(at(100, 11))), 100, LIQUIDATION, 10).unwrap();
        assert_eq!(fallback.source, PriceSource::Fallback);
        assert_eq!(
            (fallback.collateral.mantissa, fallback.debt.mantissa),
            (100, 100)
        );
        // ...the fallback older (and lower), the primary prices alone, new risk included.
        let primary = select_price(Ok(at(100, 11)), Some(Ok(at(98, 8))), 100, STRICT, 10).unwrap();
        assert_eq!(primary.source, PriceSource::Primary);
        assert_eq!(primary.collateral.mantissa, 100);
        // Disagreeing and both older than the last used: refused even to liquidate.
        assert_eq!(
            code(select_price(
                Ok(at(102, 8)),
                Some(Ok(at(100, 9))),
                100,
                LIQUIDATION,
                10
            )),
            number(BallastError::OracleOlderThanLastUsed)
        );
    }
}
