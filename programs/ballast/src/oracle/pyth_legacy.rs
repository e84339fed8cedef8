//! Legacy Pyth push price accounts, parsed with `pyth-sdk-solana`.
//!
//! Only `load_price_account` is used: the crate's slot-based staleness helper panics early in
//! a chain's life and its feed conversion silently falls back to the previous price when the
//! status is not trading, so every rule is applied in `oracle::apply_policy` instead.

use anchor_lang::prelude::*;
use pyth_sdk_solana::state::{load_price_account, PriceStatus};

use super::RawPrice;
use crate::errors::BallastError;

/// Reads a legacy price account after checking its address and owner.
pub fn read(
    oracle: &AccountInfo,
    configured: &Pubkey,
    trusted_program: &Pubkey,
) -> Result<RawPrice> {
    super::check_account(oracle, configured, trusted_program)?;
    let data = oracle.try_borrow_data()?;
    let account =
        load_price_account::<32, ()>(&data).map_err(|_| error!(BallastError::OracleUnparsable))?;
    Ok(RawPrice {
        price: account.agg.price,
        conf: account.agg.conf,
        ema_price: account.ema_price.val,
        expo: account.expo,
        publish_time: account.timestamp,
        trading: account.agg.status == PriceStatus::Trading,
        responses: None,
    })
}
