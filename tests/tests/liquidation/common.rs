//! Scenario helpers shared by this binary's modules: unit constants, exact prices, an
//! off-chain health read-out under liquidation prices, and the standard loan.

use anchor_lang::prelude::Pubkey;
use ballast::instructions::LiquidateArgs;
use ballast::math::fixed::mul_div_floor;
use ballast::math::health::HealthTotals;
use ballast::math::value::{value_wad_ceil, value_wad_floor, Price};
use ballast::math::{VIRTUAL_ASSETS, VIRTUAL_SHARES, WAD};
use ballast::state::Reserve;
use ballast_tests::fixture::*;

/// One whole USDC, BTC and SOL in base units.
pub const USDC_UNIT: u64 = 1_000_000;
pub const BTC_UNIT: u64 = 100_000_000;
pub const SOL_UNIT: u64 = 1_000_000_000;

/// A liquidation in tokens with no slippage floor.
pub fn args(max_repay: u64) -> LiquidateArgs {
    LiquidateArgs {
        max_repay,
        min_collateral_out: 0,
        receive_shares: false,
    }
}

/// Publishes an exact price mantissa (exponent −8, EMA equal, 0.1 % confidence) now, so that a
/// boundary is not blurred by a float.
pub fn set_price_mantissa(h: &mut Harness, index: usize, mantissa: i64) {
    let mut feed = h.assets[index].feed;
    feed.price = mantissa;
    feed.ema_price = mantissa;
    feed.conf = (mantissa / 1_000) as u64;
    feed.ema_conf = feed.conf;
    feed.expo = -8;
    feed.publish_time = h.now;
    h.publish(index, feed);
}

/// The spot price the liquidation policy uses for asset `index`.
pub fn spot(h: &Harness, index: usize) -> Price {
    let feed = h.assets[index].feed;
    Price {
        mantissa: feed.price as u64,
        expo: feed.expo,
    }
}

/// Health totals of `obligation` under liquidation (spot) prices, computed off-chain from the
/// accounts and feeds the way a liquidation bot would: interest projected to now, collateral
/// values rounded down, debt values rounded up.
pub async fn liquidation_totals(h: &mut Harness, obligation: &Pubkey) -> HealthTotals {
    let state = h.obligation(obligation).await;
    let mut totals = HealthTotals::default();
    for index in 0..h.assets.len() {
        let key = h.assets[index].keys.reserve;
        let reserve = h.reserve(index).await.projected(h.now).expect("projects");
        let price = spot(h, index);
        if let Some(deposit) = state.deposit(&key).filter(|d| d.collateral_enabled) {
            let tokens = reserve.tokens_for_shares(deposit.shares).expect("tokens");
            let value = value_wad_floor(u128::from(tokens), reserve.decimals, price).unwrap();
            totals
                .add_collateral(
                    value,
                    u64::from(reserve.config.ltv_bps),
                    u64::from(reserve.config.liquidation_threshold_bps),
                )
                .unwrap();
        }
        if let Some(borrow) = state.borrow(&key) {
            let owed = reserve.owed_tokens(borrow.scaled_debt).expect("owed");
            totals
                .add_debt(value_wad_ceil(owed, reserve.decimals, price).unwrap())
                .unwrap();
        }
    }
    totals
}

/// Health factor (WAD) of `obligation` under liquidation prices.
pub async fn health(h: &mut Harness, obligation: &Pubkey) -> u128 {
    liquidation_totals(h, obligation)
        .await
        .health_factor_wad()
        .unwrap()
}

/// Tokens `obligation` owes to asset `index` now (interest projected, rounded up), 0 without
/// a borrow.
pub async fn debt_of(h: &mut Harness, obligation: &Pubkey, index: usize) -> u64 {
    let key = h.assets[index].keys.reserve;
    let state = h.obligation(obligation).await;
    let reserve = h.reserve(index).await.projected(h.now).unwrap();
    state
        .borrow(&key)
        .map(|b| u64::try_from(reserve.owed_tokens(b.scaled_debt).unwrap()).unwrap())
        .unwrap_or(0)
}

/// Supply shares `obligation` holds in asset `index`.
pub async fn shares_of(h: &mut Harness, obligation: &Pubkey, index: usize) -> u128 {
    let key = h.assets[index].keys.reserve;
    let state = h.obligation(obligation).await;
    state.deposit(&key).map(|d| d.shares).unwrap_or(0)
}

/// Tokens `obligation`'s supply shares in asset `index` redeem for (rounded down).
pub async fn deposit_tokens_of(h: &mut Harness, obligation: &Pubkey, index: usize) -> u64 {
    let shares = shares_of(h, obligation, index).await;
    h.reserve(index).await.tokens_for_shares(shares).unwrap()
}

/// Share value (token units × WAD per share) a reserve would have with `assets_wad` of
/// depositors' assets: the reference formula, virtual offsets included, rounded down.
pub fn share_value_with(assets_wad: u128, total_shares: u128) -> u128 {
    (assets_wad + VIRTUAL_ASSETS * WAD) / (total_shares + VIRTUAL_SHARES)
}

/// Tokens `shares` redeem for when depositors hold `assets_wad`: reference formula.
pub fn redeem_with(shares: u128, assets_wad: u128, total_shares: u128) -> u64 {
    let value = mul_div_floor(
        shares,
        assets_wad + VIRTUAL_ASSETS * WAD,
        total_shares + VIRTUAL_SHARES,
    )
    .unwrap();
    (value / WAD) as u64
}

/// Depositors' assets of a reserve as the program books them.
pub fn supply_assets(reserve: &Reserve) -> u128 {
    reserve.supply_assets_wad().unwrap()
}

/// Everyone the standard scenarios need.
pub struct Loan {
    pub h: Harness,
    pub lender: User,
    pub borrower: User,
    pub liquidator: User,
}

/// The standard loan: a lender supplies `supply` of `debt_asset`; the borrower deposits
/// `collateral` of `collateral_asset` and borrows `debt` of `debt_asset`; a liquidator holds
/// `10 × debt` of the debt asset. No time passes, so the borrow index stays exactly 1.
pub async fn loan(
    collateral_asset: usize,
    collateral: u64,
    debt_asset: usize,
    supply: u64,
    debt: u64,
) -> Loan {
    let mut h = Harness::new().await;
    let lender = h.lender(debt_asset, supply).await;
    let borrower = h
        .borrower(collateral_asset, collateral, debt_asset, debt)
        .await;
    let liquidator = h.funded_user(debt_asset, debt * 10).await;
    Loan {
        h,
        lender,
        borrower,
        liquidator,
    }
}
