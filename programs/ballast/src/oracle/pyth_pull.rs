//! Pyth pull oracle `PriceUpdateV2` accounts, via `pyth-solana-receiver-sdk`.

use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

use super::RawPrice;
use crate::errors::BallastError;

/// Reads a pull update after checking address, owner, verification and feed id. The address is
/// always the reserve's configured price-feed account (a sponsored feed account, updated in
/// place with publish times that only move forward): a caller who could pass any verified
/// update for the feed could choose an older one (issue 9, item 4).
pub fn read(
    oracle: &AccountInfo,
    configured: &Pubkey,
    feed_id: &[u8; 32],
    trusted_program: &Pubkey,
) -> Result<RawPrice> {
    super::check_account(oracle, configured, trusted_program)?;
    let data = oracle.try_borrow_data()?;
    let update = PriceUpdateV2::try_deserialize(&mut &data[..])
        .map_err(|_| error!(BallastError::OracleUnparsable))?;
    require!(
        update.verification_level == VerificationLevel::Full,
        BallastError::OracleInsufficientVerification
    );
    let message = &update.price_message;
    require!(
        message.feed_id == *feed_id,
        BallastError::OracleFeedMismatch
    );
    Ok(RawPrice {
        price: message.price,
        conf: message.conf,
        ema_price: message.ema_price,
        expo: message.exponent,
        publish_time: message.publish_time,
        trading: true,
        responses: None,
    })
}
