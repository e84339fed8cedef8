//! Simulated oracle feeds: Pyth legacy price accounts, Pyth pull `PriceUpdateV2` accounts and
//! Switchboard On-Demand pull feeds (`PullFeedAccountData`), written byte for byte as the real
//! programs lay them out.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountSerialize;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use switchboard_on_demand::PullFeedAccountData;

/// The legacy Pyth oracle program on mainnet (owner of push price accounts).
pub const PYTH_LEGACY_PROGRAM: Pubkey =
    anchor_lang::pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");
/// The Pyth receiver program (owner of pull `PriceUpdateV2` accounts).
pub const PYTH_RECEIVER_PROGRAM: Pubkey = pyth_solana_receiver_sdk::ID;

/// The Switchboard On-Demand program on mainnet (owner of pull-feed accounts).
pub const SWITCHBOARD_PROGRAM: Pubkey =
    anchor_lang::pubkey!("SBondMDrcV3K4kxZR1HNVT7osZxAHVHgYXL5Ze1oMUv");

/// The program that owns accounts of the program's oracle `source` (`ORACLE_SOURCE_*`), as
/// the simulated feeds write them; `None` for no source.
pub fn owner_of_source(source: u8) -> Option<Pubkey> {
    match source {
        ballast::state::ORACLE_SOURCE_PYTH_LEGACY => Some(PYTH_LEGACY_PROGRAM),
        ballast::state::ORACLE_SOURCE_PYTH_PULL => Some(PYTH_RECEIVER_PROGRAM),
        ballast::state::ORACLE_SOURCE_SWITCHBOARD => Some(SWITCHBOARD_PROGRAM),
        _ => None,
    }
}

/// Size of a Switchboard pull-feed account (discriminator and `PullFeedAccountData`).
pub const SWITCHBOARD_FEED_LEN: usize = 8 + std::mem::size_of::<PullFeedAccountData>();

/// Size of a legacy price account.
pub const LEGACY_PRICE_ACCOUNT_LEN: usize = 3_312;

/// Everything a simulated feed publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feed {
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    pub ema_price: i64,
    pub ema_conf: u64,
    pub publish_time: i64,
    /// Legacy status: 1 = trading (0 unknown, 2 halted, 3 auction).
    pub status: u32,
    /// Pull: `None` = full verification, `Some(n)` = partial with n signatures.
    pub partial_signatures: Option<u8>,
    /// Pull: the feed id the update carries (Switchboard: the feed hash).
    pub feed_id: [u8; 32],
    /// Switchboard: oracle responses in the result.
    pub responses: u8,
}

impl Feed {
    /// A trading feed at `price` (whole USD as a float, exponent −8), EMA equal to the price and
    /// a 0.1 % confidence interval, published at `now`.
    pub fn at(price_usd: f64, now: i64, feed_id: [u8; 32]) -> Feed {
        let price = (price_usd * 1e8).round() as i64;
        Feed {
            price,
            conf: (price / 1_000) as u64,
            expo: -8,
            ema_price: price,
            ema_conf: (price / 1_000) as u64,
            publish_time: now,
            status: 1,
            partial_signatures: None,
            feed_id,
            responses: 3,
        }
    }
}

/// Scale of a Switchboard value against a feed's mantissa at `expo`: `10^(18 + expo)`.
fn switchboard_scale(expo: i32) -> i128 {
    10i128.pow((18 + expo).clamp(0, 36) as u32)
}

/// Bytes of a Switchboard pull-feed account publishing `feed`: the median (`price`) and
/// standard deviation (`conf`) at 18 decimals, `responses` samples (each submission at the
/// median), updated at `publish_time`, with `feed_id` as its feed hash. The status, EMA and
/// verification fields have no Switchboard counterpart and are not written.
pub fn switchboard_feed_data(feed: &Feed) -> Vec<u8> {
    let scale = switchboard_scale(feed.expo);
    let value = i128::from(feed.price) * scale;
    let mut account: PullFeedAccountData = bytemuck::Zeroable::zeroed();
    account.feed_hash = feed.feed_id;
    account.min_responses = 1;
    account.min_sample_size = 1;
    account.max_staleness = 250;
    account.last_update_timestamp = feed.publish_time;
    for (index, submission) in account
        .submissions
        .iter_mut()
        .take(usize::from(feed.responses))
        .enumerate()
    {
        submission.oracle = [index as u8 + 1; 32].into();
        submission.slot = 1;
        submission.landed_at = 1;
        submission.value = value;
    }
    let result = &mut account.result;
    result.value = value;
    result.std_dev = i128::from(feed.conf) * scale;
    result.mean = value;
    result.min_value = value;
    result.max_value = value;
    result.num_samples = feed.responses;
    result.slot = 1;
    result.min_slot = 1;
    result.max_slot = 1;
    let discriminator =
        <PullFeedAccountData as switchboard_on_demand::Discriminator>::DISCRIMINATOR;
    let mut data = Vec::with_capacity(SWITCHBOARD_FEED_LEN);
    data.extend_from_slice(discriminator);
    data.extend_from_slice(bytemuck::bytes_of(&account));
    data
}

/// Bytes of the oracle account owned by `owner` publishing `feed`: the inverse of
/// [`decode_feed`] (a legacy price account for any owner but the pull and Switchboard programs).
pub fn feed_account_data(owner: &Pubkey, feed: &Feed) -> Vec<u8> {
    if *owner == PYTH_RECEIVER_PROGRAM {
        pull_price_update_data(feed)
    } else if *owner == SWITCHBOARD_PROGRAM {
        switchboard_feed_data(feed)
    } else {
        legacy_price_account_data(feed)
    }
}

/// Bytes of a legacy Pyth price account publishing `feed`.
pub fn legacy_price_account_data(feed: &Feed) -> Vec<u8> {
    let mut data = vec![0u8; LEGACY_PRICE_ACCOUNT_LEN];
    let mut put =
        |offset: usize, bytes: &[u8]| data[offset..offset + bytes.len()].copy_from_slice(bytes);
    put(0, &0xa1b2c3d4u32.to_le_bytes()); // magic
    put(4, &2u32.to_le_bytes()); // version
    put(8, &3u32.to_le_bytes()); // account type: price
    put(12, &(LEGACY_PRICE_ACCOUNT_LEN as u32).to_le_bytes());
    put(16, &1u32.to_le_bytes()); // price type: price
    put(20, &feed.expo.to_le_bytes());
    put(48, &feed.ema_price.to_le_bytes());
    put(72, &(feed.ema_conf as i64).to_le_bytes());
    put(96, &feed.publish_time.to_le_bytes());
    put(208, &feed.price.to_le_bytes());
    put(216, &feed.conf.to_le_bytes());
    put(224, &feed.status.to_le_bytes());
    put(232, &1u64.to_le_bytes()); // publish slot
    data
}

/// Bytes of a pull `PriceUpdateV2` account publishing `feed`.
pub fn pull_price_update_data(feed: &Feed) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority: Pubkey::new_from_array([7; 32]),
        verification_level: match feed.partial_signatures {
            None => VerificationLevel::Full,
            Some(num_signatures) => VerificationLevel::Partial { num_signatures },
        },
        price_message: PriceFeedMessage {
            feed_id: feed.feed_id,
            price: feed.price,
            conf: feed.conf,
            exponent: feed.expo,
            publish_time: feed.publish_time,
            prev_publish_time: feed.publish_time - 1,
            ema_price: feed.ema_price,
            ema_conf: feed.ema_conf,
        },
        posted_slot: 1,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    update
        .try_serialize(&mut data)
        .expect("a PriceUpdateV2 serializes");
    data
}

/// The feed a simulated (or real) price account publishes: the inverse of
/// [`legacy_price_account_data`] and [`pull_price_update_data`], chosen by the account's owner.
/// `None` for anything else (wrong owner, too short, wrong magic or discriminator).
pub fn decode_feed(owner: &Pubkey, data: &[u8]) -> Option<Feed> {
    if *owner == SWITCHBOARD_PROGRAM {
        // The program's own reader; read back at exponent −8 (a Switchboard value has 18
        // decimals, of which the simulated feeds use 8).
        let (feed_id, result) = ballast::oracle::switchboard::parse(data)?;
        let scale = switchboard_scale(-8);
        return Some(Feed {
            price: i64::try_from(result.value / scale).ok()?,
            conf: u64::try_from(result.std_dev / scale).ok()?,
            expo: -8,
            ema_price: i64::try_from(result.value / scale).ok()?,
            ema_conf: u64::try_from(result.std_dev / scale).ok()?,
            publish_time: result.last_update_timestamp,
            status: 1,
            partial_signatures: None,
            feed_id,
            responses: result.num_samples,
        });
    }
    if *owner == PYTH_RECEIVER_PROGRAM {
        let mut bytes = data;
        let update =
            <PriceUpdateV2 as anchor_lang::AccountDeserialize>::try_deserialize(&mut bytes).ok()?;
        let message = update.price_message;
        return Some(Feed {
            price: message.price,
            conf: message.conf,
            expo: message.exponent,
            ema_price: message.ema_price,
            ema_conf: message.ema_conf,
            publish_time: message.publish_time,
            status: 1,
            partial_signatures: match update.verification_level {
                VerificationLevel::Full => None,
                VerificationLevel::Partial { num_signatures } => Some(num_signatures),
            },
            feed_id: message.feed_id,
            responses: 0,
        });
    }
    if *owner != PYTH_LEGACY_PROGRAM || data.len() < 240 {
        return None;
    }
    let u32_at = |offset: usize| u32::from_le_bytes(data[offset..offset + 4].try_into().unwrap());
    let i64_at = |offset: usize| i64::from_le_bytes(data[offset..offset + 8].try_into().unwrap());
    if u32_at(0) != 0xa1b2c3d4 || u32_at(8) != 3 {
        return None;
    }
    Some(Feed {
        price: i64_at(208),
        conf: i64_at(216) as u64,
        expo: u32_at(20) as i32,
        ema_price: i64_at(48),
        ema_conf: i64_at(72) as u64,
        publish_time: i64_at(96),
        status: u32_at(224),
        partial_signatures: None,
        feed_id: [0; 32],
        responses: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_feed_reads_back_as_written() {
        let mut feed = Feed::at(61_234.5, 1_800_000_000, [3; 32]);
        feed.conf = 77;
        feed.ema_price -= 5;
        let pull = decode_feed(&PYTH_RECEIVER_PROGRAM, &pull_price_update_data(&feed));
        assert_eq!(
            pull,
            Some(Feed {
                responses: 0,
                ..feed
            })
        );
        let switchboard = decode_feed(&SWITCHBOARD_PROGRAM, &switchboard_feed_data(&feed));
        assert_eq!(
            switchboard,
            Some(Feed {
                ema_price: feed.price,
                ema_conf: feed.conf,
                ..feed
            })
        );
        assert_eq!(switchboard_feed_data(&feed).len(), SWITCHBOARD_FEED_LEN);
        feed.status = 2;
        let legacy = decode_feed(&PYTH_LEGACY_PROGRAM, &legacy_price_account_data(&feed));
        assert_eq!(
            legacy,
            Some(Feed {
                feed_id: [0; 32],
                responses: 0,
                ..feed
            })
        );
        // Another owner, or bytes of the other layout, are no feed.
        assert_eq!(
            decode_feed(&Pubkey::default(), &legacy_price_account_data(&feed)),
            None
        );
        assert_eq!(
            decode_feed(&PYTH_LEGACY_PROGRAM, &pull_price_update_data(&feed)),
            None
        );
        assert_eq!(decode_feed(&PYTH_RECEIVER_PROGRAM, &[0; 16]), None);
        assert_eq!(
            decode_feed(&SWITCHBOARD_PROGRAM, &pull_price_update_data(&feed)),
            None
        );
    }

    #[test]
    fn the_program_reads_a_written_switchboard_feed_at_its_value() {
        let mut feed = Feed::at(151.5, 1_800_000_000, [9; 32]);
        feed.conf = 2_000_000; // $0.02
        let data = switchboard_feed_data(&feed);
        let (hash, result) = ballast::oracle::switchboard::parse(&data).expect("a pull feed");
        assert_eq!(hash, [9; 32]);
        let raw = ballast::oracle::switchboard::to_raw(&result).expect("a result");
        // $151.5 at 18 decimals is 1.515e20 > 10^18: three digits dropped, exponent −15.
        assert_eq!((raw.price, raw.expo), (151_500_000_000_000_000, -15));
        assert_eq!(raw.conf, 20_000_000_000_000);
        assert_eq!(raw.responses, Some(3));
        assert_eq!(raw.publish_time, 1_800_000_000);
    }
}
