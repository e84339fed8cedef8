//! Switchboard On-Demand pull feeds (`PullFeedAccountData`), laid out by the
//! `switchboard-on-demand` crate.
//!
//! Only the account's layout comes from the crate: the discriminator, and the offsets of the
//! fields read (`feed_hash`, `last_update_timestamp`, `result`). The crate's own readers
//! (`value(clock_slot)`, `parse`) are not used: the staleness helper subtracts slots without
//! saturation, and `parse` needs the data 16-byte aligned, which an account buffer need not be.
//! Every rule (age, future, sign, spread, responses) is applied in `oracle::apply_policy`.

use core::mem::{offset_of, size_of};

use anchor_lang::prelude::*;
use switchboard_on_demand::{CurrentResult, PullFeedAccountData};

use super::RawPrice;
use crate::errors::BallastError;

/// Decimal places of every Switchboard On-Demand value.
pub const SWITCHBOARD_DECIMALS: u32 = 18;

/// The largest mantissa a converted value keeps (10^18 < 2^63: room for the confidence band).
const MAX_MANTISSA: u128 = 1_000_000_000_000_000_000;

/// A Switchboard feed's current result as read from the account, before any policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchboardResult {
    /// Median of the responses, 18 decimals.
    pub value: i128,
    /// Standard deviation of the responses, 18 decimals.
    pub std_dev: i128,
    /// Responses aggregated.
    pub num_samples: u8,
    /// Unix time of the feed's last update.
    pub last_update_timestamp: i64,
}

/// Reads a pull feed after checking address, owner, discriminator, size and feed hash.
pub fn read(
    oracle: &AccountInfo,
    configured: &Pubkey,
    feed_hash: &[u8; 32],
    trusted_program: &Pubkey,
) -> Result<RawPrice> {
    super::check_account(oracle, configured, trusted_program)?;
    let data = oracle.try_borrow_data()?;
    let (hash, result) = parse(&data).ok_or(BallastError::OracleUnparsable)?;
    require!(hash == *feed_hash, BallastError::OracleFeedMismatch);
    to_raw(&result).ok_or_else(|| error!(BallastError::OracleUnparsable))
}

/// The feed hash and current result of a pull-feed account's bytes; `None` when the bytes are
/// not a pull feed (discriminator or size).
pub fn parse(data: &[u8]) -> Option<([u8; 32], SwitchboardResult)> {
    let discriminator =
        <PullFeedAccountData as switchboard_on_demand::Discriminator>::DISCRIMINATOR;
    if data.get(..8)? != discriminator || data.len() < 8 + size_of::<PullFeedAccountData>() {
        return None;
    }
    let body = &data[8..];
    let field = |offset: usize, len: usize| body.get(offset..offset + len);
    let hash: [u8; 32] = field(offset_of!(PullFeedAccountData, feed_hash), 32)?
        .try_into()
        .ok()?;
    let timestamp = i64::from_le_bytes(
        field(offset_of!(PullFeedAccountData, last_update_timestamp), 8)?
            .try_into()
            .ok()?,
    );
    let result = offset_of!(PullFeedAccountData, result);
    let i128_at = |offset: usize| -> Option<i128> {
        Some(i128::from_le_bytes(
            field(result + offset, 16)?.try_into().ok()?,
        ))
    };
    Some((
        hash,
        SwitchboardResult {
            value: i128_at(offset_of!(CurrentResult, value))?,
            std_dev: i128_at(offset_of!(CurrentResult, std_dev))?,
            num_samples: *field(result + offset_of!(CurrentResult, num_samples), 1)?.first()?,
            last_update_timestamp: timestamp,
        },
    ))
}

/// Converts a result to the program's price form: the value and its standard deviation at one
/// decimal exponent, `−18 + k` with the least `k` that brings the value to at most 10^18. The
/// value rounds down (its error is below one part in 10^17) and the deviation up, so the
/// confidence band is never narrower than the feed's. A value ≤ 0 keeps its sign for the policy
/// to refuse; a negative deviation is not a result (`None`).
pub fn to_raw(result: &SwitchboardResult) -> Option<RawPrice> {
    if result.std_dev < 0 {
        return None;
    }
    let mut shift = 0u32;
    while result.value > 0 && result.value.unsigned_abs() / 10u128.pow(shift) > MAX_MANTISSA {
        shift += 1;
    }
    let divisor = 10u128.pow(shift);
    let price = if result.value > 0 {
        i64::try_from(result.value.unsigned_abs() / divisor).ok()?
    } else {
        // Not a price: the policy refuses it as non-positive, whatever its size.
        i64::try_from(result.value.max(i128::from(i64::MIN))).ok()?
    };
    let conf = result.std_dev.unsigned_abs().div_ceil(divisor);
    Some(RawPrice {
        price,
        conf: u64::try_from(conf).unwrap_or(u64::MAX),
        // No moving average: the strict policy's band is taken around the median alone.
        ema_price: price,
        expo: i32::try_from(shift).ok()? - SWITCHBOARD_DECIMALS as i32,
        publish_time: result.last_update_timestamp,
        trading: true,
        responses: Some(result.num_samples),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(value: i128, std_dev: i128) -> SwitchboardResult {
        SwitchboardResult {
            value,
            std_dev,
            num_samples: 3,
            last_update_timestamp: 1_700_000_000,
        }
    }

    #[test]
    fn values_scale_to_at_most_eighteen_digits_rounding_for_the_protocol() {
        // $151.123456789012345678 with a deviation of 0.000000000000000001 (1 unit).
        let raw = to_raw(&result(151_123_456_789_012_345_678, 1)).unwrap();
        assert_eq!((raw.price, raw.expo), (151_123_456_789_012_345, -15));
        assert_eq!(
            raw.conf, 1,
            "a deviation below one unit rounds up, never to 0"
        );
        assert_eq!(raw.ema_price, raw.price);
        // $1 fits at 18 decimals unchanged; $0.00002 too.
        let one = to_raw(&result(1_000_000_000_000_000_000, 0)).unwrap();
        assert_eq!(
            (one.price, one.expo, one.conf),
            (1_000_000_000_000_000_000, -18, 0)
        );
        let bonk = to_raw(&result(20_000_000_000_000, 0)).unwrap();
        assert_eq!((bonk.price, bonk.expo), (20_000_000_000_000, -18));
        // The largest i128 still converts (expo within the program's range).
        let max = to_raw(&result(i128::MAX, i128::MAX)).unwrap();
        assert!(max.price as u128 <= MAX_MANTISSA && max.expo <= 6);
    }

    #[test]
    fn non_positive_values_stay_non_positive_and_negative_deviation_is_no_result() {
        assert_eq!(to_raw(&result(0, 0)).unwrap().price, 0);
        assert!(to_raw(&result(-5, 0)).unwrap().price < 0);
        assert!(to_raw(&result(i128::MIN, 0)).unwrap().price < 0);
        assert_eq!(to_raw(&result(100, -1)), None);
    }

    #[test]
    fn parse_refuses_other_bytes() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&[0; 4000]), None);
        let mut short = vec![0u8; 100];
        short[..8].copy_from_slice(
            <PullFeedAccountData as switchboard_on_demand::Discriminator>::DISCRIMINATOR,
        );
        assert_eq!(parse(&short), None);
    }
}
