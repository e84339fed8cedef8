//! Isolated collateral with a debt ceiling, and efficiency mode (issue 14): the worked examples
//! of docs/risk-model.md, reproduced to the unit on a market of USDC, USDT, SOL, a SOL staking
//! token (JSOL) and a long-tail token (WIF). Change a number here and the doc changes with it.

use ballast::errors::BallastError;
use ballast::instructions::{LiquidateArgs, MarketUpdate, ReserveUpdate};
use ballast::math::liquidation::size_liquidation;
use ballast::math::WAD;
use ballast::oracle::PricePolicyKind;
use ballast::state::{EmodeCategory, Obligation};
use ballast_tests::fixture::*;

use super::common::*;

pub const M_USDC: usize = 0;
pub const M_USDT: usize = 1;
pub const M_SOL: usize = 2;
pub const M_JSOL: usize = 3;
pub const M_WIF: usize = 4;
/// One whole WIF (6 decimals).
const WIF_UNIT: u64 = 1_000_000;

/// Category 1, stablecoins: LTV 92 %, LT 95 %, bonus 1–4 % (0.95 × 1.04 = 0.988 < 1).
pub const STABLES: EmodeCategory = EmodeCategory {
    ltv_bps: 9_200,
    liquidation_threshold_bps: 9_500,
    min_liquidation_bonus_bps: 100,
    max_liquidation_bonus_bps: 400,
};
/// Category 2, SOL and its staking token: LTV 88 %, LT 91 %, bonus 2–6 %.
pub const SOL_PAIR: EmodeCategory = EmodeCategory {
    ltv_bps: 8_800,
    liquidation_threshold_bps: 9_100,
    min_liquidation_bonus_bps: 200,
    max_liquidation_bonus_bps: 600,
};
/// WIF's debt ceiling: $5 000 of debt across every obligation isolated on it.
pub const WIF_CEILING: u128 = 5_000 * WAD;

fn spec(symbol: &'static str, decimals: u8, price: f64, pull_oracle: bool) -> AssetSpec {
    AssetSpec {
        symbol,
        decimals,
        price,
        pull_oracle,
        token_2022: false,
    }
}

/// The market of the issue: reserves at the fixture's defaults (LTV 75 %, LT 80 %, bonus
/// 2–10 %), then the two categories listed and the reserves put in them, WIF isolated (LTV 40 %,
/// LT 50 %, bonus 5–15 %) with its ceiling, USDC and USDT borrowable in isolation.
pub async fn modes_market() -> Harness {
    let specs = [
        spec("USDC", 6, 1.0, false),
        spec("USDT", 6, 1.0, false),
        spec("SOL", 9, 150.0, true),
        spec("JSOL", 9, 180.0, true),
        spec("WIF", 6, 2.0, false),
    ];
    let mut h = Harness::with_assets(&specs, |_, _| {}).await;
    let admin = h.admin.insecure_clone();
    for (id, category) in [(1, STABLES), (2, SOL_PAIR)] {
        h.update_market(&admin, MarketUpdate::SetEmodeCategory { id, category })
            .await
            .expect("category listed");
    }
    for index in 0..specs.len() {
        let mut config = h.reserve(index).await.config;
        match index {
            M_USDC | M_USDT => {
                config.emode_category = 1;
                config.borrowable_in_isolation = true;
            }
            M_SOL | M_JSOL => config.emode_category = 2,
            _ => {
                config.isolated = true;
                config.debt_ceiling = WIF_CEILING;
                config.ltv_bps = 4_000;
                config.liquidation_threshold_bps = 5_000;
                config.min_liquidation_bonus_bps = 500;
                config.max_liquidation_bonus_bps = 1_500;
            }
        }
        h.update_reserve(&admin, index, ReserveUpdate::Config(config))
            .await
            .expect("reserve tuned");
    }
    h
}

fn no_floor(max_repay: u64) -> LiquidateArgs {
    LiquidateArgs {
        max_repay,
        min_collateral_out: 0,
        receive_shares: false,
    }
}

/// Every obligation of the scenario, for the invariants (Σ records = each reserve's counter).
fn all(users: &[&User]) -> Vec<anchor_lang::prelude::Pubkey> {
    users.iter().map(|u| u.obligation).collect()
}

#[tokio::test]
async fn an_emode_borrower_reaches_the_category_ltv_and_is_liquidated_with_its_threshold_and_bonus()
{
    let mut h = modes_market().await;
    let lender = h.lender(M_SOL, 1_000 * SOL_UNIT).await;
    let borrower = h.lender(M_JSOL, 10 * SOL_UNIT).await;
    // Strict prices: JSOL 180 × 0.999 = 179.82, SOL 150 × 1.001 = 150.15. Ten JSOL are worth
    // 1 798.20 to the borrow limit: 75 % of it (1 348.65) outside e-mode, 88 % (1 582.416) in it.
    // 10.5 SOL owe 1 576.575: beyond the reserve's LTV, within the category's.
    let borrow = 10 * SOL_UNIT + SOL_UNIT / 2;
    let before = h.snapshot_users(&[&borrower]).await;
    let refused = h.borrow(&borrower, M_SOL, borrow).await;
    h.assert_rejected(
        refused,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
    h.set_emode(&borrower, 2).await.unwrap();
    assert_eq!(h.obligation(&borrower.obligation).await.emode_category, 2);
    h.borrow(&borrower, M_SOL, borrow).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[M_SOL]).await, borrow);
    // The next 0.04 SOL would owe 1 582.581 > 1 582.416.
    let before = h.snapshot_users(&[&borrower]).await;
    let refused = h.borrow(&borrower, M_SOL, SOL_UNIT / 25).await;
    h.assert_rejected(
        refused,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
    // In category 2 only SOL and JSOL are borrowed; leaving e-mode would put the debt beyond
    // the reserve's LTV; a category none of whose reserves it borrows is refused.
    let usdc_lender = h.lender(M_USDC, 10_000 * USDC_UNIT).await;
    for (result, error) in [
        (
            h.borrow(&borrower, M_USDC, USDC_UNIT).await,
            BallastError::EmodeBorrowNotInCategory,
        ),
        (
            h.set_emode(&borrower, 0).await,
            BallastError::BorrowLimitExceeded,
        ),
        (
            h.set_emode(&borrower, 1).await,
            BallastError::BorrowLimitExceeded,
        ),
        (
            h.set_emode(&borrower, 3).await,
            BallastError::EmodeCategoryNotListed,
        ),
    ] {
        assert_eq!(result, Err(custom_error(error)), "{error:?}");
    }
    assert_eq!(h.obligation(&borrower.obligation).await.emode_category, 2);

    // SOL rises to $160: debt 10.5 × 160 = 1 680, weighted collateral 0.91 × 1 800 = 1 638,
    // HF 0.975 exactly (outside e-mode it would be 0.8 × 1 800 / 1 680 = 0.857).
    set_price_mantissa(&mut h, M_SOL, 16_000_000_000);
    h.refresh_prices();
    let view = h.view().await;
    let state = h.obligation(&borrower.obligation).await;
    let (valuation, totals) = view.valuate(&state, PricePolicyKind::Liquidation).unwrap();
    assert_eq!(totals.liquidation_weighted_collateral, 1_638 * WAD);
    assert_eq!(totals.debt_value, 1_680 * WAD);
    assert_eq!(totals.health_factor_wad().unwrap(), 975 * WAD / 1_000);

    // Close factor 50 %: 5.25 SOL. Bonus from the category: 2 % + (1 − 0.975) = 4.5 %, under its
    // 6 % maximum and its buffer (0.975 / 0.91 − 1 = 7.1 %); the reserve's own curve would pay
    // 10 %. Seized: 840 × 1.045 / 180 = 4.876 666 666 JSOL, a fifth of the bonus to the fund.
    let request = valuation
        .liquidation_request(
            &state,
            &totals,
            &h.assets[M_SOL].keys.reserve,
            &h.assets[M_JSOL].keys.reserve,
            u64::MAX,
        )
        .unwrap();
    assert_eq!(request.collateral_liquidation_threshold_bps, 9_100);
    let outcome =
        size_liquidation(&h.market_state().await.liquidation.settings(), &request).unwrap();
    assert_eq!(outcome.bonus_bps, 450);
    assert_eq!(outcome.repay_tokens, 5_250_000_000);
    assert_eq!(outcome.seize_tokens, 4_876_666_666);
    let liquidator = h.funded_user(M_SOL, 6 * SOL_UNIT).await;
    let jsol_fund_before = h.reserve(M_JSOL).await.total_shares;
    h.liquidate(&liquidator, &borrower, M_SOL, M_JSOL, no_floor(u64::MAX))
        .await
        .unwrap();
    assert_eq!(
        h.balance(&liquidator.tokens[M_SOL]).await,
        6 * SOL_UNIT - 5_250_000_000,
        "the liquidator paid exactly the close factor"
    );
    let received = h.balance(&liquidator.tokens[M_JSOL]).await;
    assert_eq!(
        u128::from(received),
        outcome.seize_tokens - outcome.fee_tokens,
        "the liquidator received the seizure less the fund's fee"
    );
    assert_eq!(
        outcome.fee_tokens, 42_000_000,
        "a fifth of the 37.80 bonus at $180"
    );
    assert_eq!(
        debt_of(&mut h, &borrower.obligation, M_SOL).await,
        5_250_000_000
    );
    assert!(h.reserve(M_JSOL).await.total_shares < jsol_fund_before);
    let after = view_health(&mut h, &borrower.obligation).await;
    assert!(after > 975 * WAD / 1_000, "health improved: {after}");
    h.check_invariants(&all(&[&lender, &usdc_lender, &borrower, &liquidator]))
        .await;
}

/// Health under liquidation prices as the program values it (e-mode parameters included).
async fn view_health(h: &mut Harness, obligation: &anchor_lang::prelude::Pubkey) -> u128 {
    let view = h.view().await;
    let state: Obligation = h.obligation(obligation).await;
    let (_, totals) = view.valuate(&state, PricePolicyKind::Liquidation).unwrap();
    totals.health_factor_wad().unwrap()
}

#[tokio::test]
async fn the_isolated_ceiling_refuses_the_next_borrow_and_every_release_is_exact() {
    let mut h = modes_market().await;
    let usdc_lender = h.lender(M_USDC, 100_000 * USDC_UNIT).await;
    let sol_lender = h.lender(M_SOL, 100 * SOL_UNIT).await;
    // 20 000 WIF at $2: strict value 39 960, borrow limit 40 % of it, 15 984: the ceiling binds
    // long before the borrow limit.
    let borrower = h.lender(M_WIF, 20_000 * WIF_UNIT).await;
    let state = h.obligation(&borrower.obligation).await;
    let wif = h.assets[M_WIF].keys.reserve;
    assert_eq!(
        state.isolated_collateral, wif,
        "the WIF deposit is isolated"
    );
    // 4 000 USDC at the strict debt price 1.001: 4 004 counted against the ceiling.
    h.borrow(&borrower, M_USDC, 4_000 * USDC_UNIT)
        .await
        .unwrap();
    assert_eq!(h.reserve(M_WIF).await.isolated_debt, 4_004 * WAD);
    assert_eq!(
        h.obligation(&borrower.obligation).await.isolated_debt(),
        4_004 * WAD
    );
    // The next 1 000 USDC (1 001) would lift it to 5 005 > 5 000.
    let before = h.snapshot_users(&[&borrower]).await;
    let refused = h.borrow(&borrower, M_USDC, 1_000 * USDC_UNIT).await;
    h.assert_rejected(
        refused,
        BallastError::DebtCeilingExceeded,
        &[&borrower],
        &before,
    )
    .await;
    // SOL is not borrowable in isolation; nothing else can be enabled beside WIF.
    let refused = h.borrow(&borrower, M_SOL, SOL_UNIT).await;
    assert_eq!(
        refused,
        Err(custom_error(BallastError::NotBorrowableInIsolation))
    );
    h.mint_to(M_SOL, &borrower.tokens[M_SOL], SOL_UNIT).await;
    h.deposit(&borrower, M_SOL, SOL_UNIT).await.unwrap();
    let state = h.obligation(&borrower.obligation).await;
    assert!(
        !state
            .deposit(&h.assets[M_SOL].keys.reserve)
            .unwrap()
            .collateral_enabled,
        "a deposit beside isolated collateral opens disabled"
    );
    assert_eq!(
        h.set_collateral(&borrower, M_SOL, true).await,
        Err(custom_error(BallastError::IsolatedCollateralMustBeAlone))
    );
    // The ceiling is shared: a second isolated borrower gets what is left, 996 at most.
    let second = h.lender(M_WIF, 20_000 * WIF_UNIT).await;
    assert_eq!(
        h.borrow(&second, M_USDC, 996 * USDC_UNIT).await,
        Err(custom_error(BallastError::DebtCeilingExceeded))
    );
    h.borrow(&second, M_USDC, 995 * USDC_UNIT).await.unwrap();
    assert_eq!(
        h.reserve(M_WIF).await.isolated_debt,
        4_999_995 * WAD / 1_000
    );

    // Repaying half releases half of the record, exactly: 2 002.
    h.repay(&borrower, &borrower.obligation, M_USDC, 2_000 * USDC_UNIT)
        .await
        .unwrap();
    assert_eq!(
        h.obligation(&borrower.obligation).await.isolated_debt(),
        2_002 * WAD
    );
    assert_eq!(
        h.reserve(M_WIF).await.isolated_debt,
        2_002 * WAD + 995_995 * WAD / 1_000
    );
    // Someone else repays the second borrower's whole debt: its whole record goes.
    h.mint_to(M_USDC, &usdc_lender.tokens[M_USDC], 1_000 * USDC_UNIT)
        .await;
    h.repay(&usdc_lender, &second.obligation, M_USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(h.obligation(&second.obligation).await.isolated_debt(), 0);
    assert_eq!(h.reserve(M_WIF).await.isolated_debt, 2_002 * WAD);
    // Repaying without the isolated reserve is refused by name and changes nothing.
    let keys = h.assets[M_USDC].keys;
    let ix = ballast_client::repay(
        &borrower.pubkey(),
        &h.market,
        &keys,
        &borrower.obligation,
        &borrower.tokens[M_USDC],
        USDC_UNIT,
        None,
    );
    let before = h.snapshot_users(&[&borrower]).await;
    let refused = h.send(&[ix], &[&borrower.keypair]).await;
    h.assert_rejected(
        refused,
        BallastError::WrongIsolatedReserve,
        &[&borrower],
        &before,
    )
    .await;
    h.check_invariants(&all(&[&usdc_lender, &sol_lender, &borrower, &second]))
        .await;
}

#[tokio::test]
async fn an_isolated_obligation_is_liquidated_and_written_off_and_its_record_goes_with_it() {
    let mut h = modes_market().await;
    let usdc_lender = h.lender(M_USDC, 100_000 * USDC_UNIT).await;
    let contributor = h.funded_user(M_USDC, 1_000 * USDC_UNIT).await;
    h.fund_reserve(&contributor, M_USDC, 1_000 * USDC_UNIT)
        .await
        .unwrap();
    let borrower = h.lender(M_WIF, 20_000 * WIF_UNIT).await;
    h.borrow(&borrower, M_USDC, 4_000 * USDC_UNIT)
        .await
        .unwrap();
    assert_eq!(h.reserve(M_WIF).await.isolated_debt, 4_004 * WAD);
    // WIF falls to $0.38: collateral 7 600, weighted 50 % = 3 800, debt 4 000: HF 0.95, the
    // close factor still applies: 2 000 USDC repaid, half the record (2 002) released.
    set_price_mantissa(&mut h, M_WIF, 38_000_000);
    h.refresh_prices();
    let liquidator = h.funded_user(M_USDC, 10_000 * USDC_UNIT).await;
    h.liquidate(&liquidator, &borrower, M_USDC, M_WIF, no_floor(u64::MAX))
        .await
        .unwrap();
    assert_eq!(
        h.balance(&liquidator.tokens[M_USDC]).await,
        8_000 * USDC_UNIT,
        "2 000 USDC repaid"
    );
    assert_eq!(
        debt_of(&mut h, &borrower.obligation, M_USDC).await,
        2_000 * USDC_UNIT
    );
    assert_eq!(h.reserve(M_WIF).await.isolated_debt, 2_002 * WAD);
    assert_eq!(
        h.obligation(&borrower.obligation).await.isolated_debt(),
        2_002 * WAD
    );
    h.check_invariants(&all(&[&usdc_lender, &borrower, &liquidator]))
        .await;

    // WIF collapses to $0.01: what is left (about 14 000 WIF, $140) is taken whole, the rest of
    // the debt is written off (the USDC fund first), and the record leaves with the collateral.
    set_price_mantissa(&mut h, M_WIF, 1_000_000);
    h.refresh_prices();
    let wif_left = deposit_tokens_of(&mut h, &borrower.obligation, M_WIF).await;
    let wif_before = h.balance(&liquidator.tokens[M_WIF]).await;
    h.liquidate(&liquidator, &borrower, M_USDC, M_WIF, no_floor(u64::MAX))
        .await
        .unwrap();
    let state = h.obligation(&borrower.obligation).await;
    assert!(state.is_empty(), "nothing is left: {state:?}");
    assert_eq!(state.isolated_collateral, Default::default());
    assert_eq!(h.reserve(M_WIF).await.isolated_debt, 0);
    let received = h.balance(&liquidator.tokens[M_WIF]).await - wif_before;
    assert!(
        received > 0 && received <= wif_left,
        "{received} of {wif_left}"
    );
    let usdc = h.reserve(M_USDC).await;
    assert!(usdc.cumulative_fund_covered_wad > 0, "the fund paid first");
    h.check_invariants(&all(&[&usdc_lender, &borrower, &liquidator, &contributor]))
        .await;
}
