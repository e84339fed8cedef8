//! Simulated Pyth feeds: legacy price accounts and pull `PriceUpdateV2` accounts, written
//! byte for byte as the real programs lay them out.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountSerialize;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

/// The legacy Pyth oracle program on mainnet (owner of push price accounts).
pub const PYTH_LEGACY_PROGRAM: Pubkey =
    anchor_lang::pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");
/// The Pyth receiver program (owner of pull `PriceUpdateV2` accounts).
pub const PYTH_RECEIVER_PROGRAM: Pubkey = pyth_solana_receiver_sdk::ID;

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
    /// Pull: the feed id the update carries.
    pub feed_id: [u8; 32],
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
        }
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
