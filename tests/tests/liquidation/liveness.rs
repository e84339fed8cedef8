//! No position escapes, no solvent position is written off (PROTOCOL.md §11, issue 9): each
//! state the review found outside "healthy, liquidatable or realizable" is rebuilt here and
//! must now be impossible or clearable, and a solvent obligation is never written off.

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast::instructions::{LiquidateArgs, ReserveUpdate};
use ballast::math::health::HEALTH_INFINITE;
use ballast::math::WAD;
use ballast::state::{RateModel, PAUSE_LIQUIDATE};
use ballast_client as client;
use ballast_tests::fixture::*;

use super::common::*;

/// Issue 9, item 1. The review's first road into a stuck state: deposit 1 SOL and 10 000 USDC,
/// borrow 45 SOL; after SOL doubles, a liquidation takes all the USDC and leaves SOL collateral
/// against SOL debt, which `liquidate` (repay and collateral reserves differ) and
/// `realize_bad_debt` (collateral of value remains) could not clear. The second road, 1 000
/// USDC supplied against 740 USDC borrowed and pushed under water by a socialized USDC loss,
/// needed no liquidation. Now an obligation never holds one reserve as both a deposit and a
/// debt, so neither position can be opened, and everything else still works.
#[tokio::test]
async fn one_reserve_is_never_both_a_deposit_and_a_debt_of_an_obligation() {
    let mut h = Harness::new().await;
    let _sol_lender = h.lender(SOL, 1_000 * SOL_UNIT).await;
    let _usdc_lender = h.lender(USDC, 100_000 * USDC_UNIT).await;

    // The first road: 1 SOL and 10 000 USDC deposited, 45 SOL borrowed.
    let borrower = h.funded_user(SOL, SOL_UNIT).await;
    h.mint_to(USDC, &borrower.tokens[USDC], 10_000 * USDC_UNIT)
        .await;
    h.deposit(&borrower, SOL, SOL_UNIT).await.unwrap();
    h.deposit(&borrower, USDC, 10_000 * USDC_UNIT)
        .await
        .unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, SOL, 45 * SOL_UNIT).await;
    h.assert_rejected(
        result,
        BallastError::SameReserveDepositAndBorrow,
        &[&borrower],
        &before,
    )
    .await;
    // Against the USDC alone the same SOL loan is fine once the SOL deposit has left.
    h.withdraw(&borrower, SOL, u64::MAX).await.unwrap();
    h.borrow(&borrower, SOL, 45 * SOL_UNIT).await.unwrap();
    // Depositing into a reserve one owes is refused too: repaying is what that money does.
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.deposit(&borrower, SOL, SOL_UNIT).await;
    h.assert_rejected(
        result,
        BallastError::SameReserveDepositAndBorrow,
        &[&borrower],
        &before,
    )
    .await;
    h.repay(&borrower, &borrower.obligation, SOL, SOL_UNIT)
        .await
        .unwrap();

    // The second road: 1 000 USDC supplied, 740 USDC borrowed against it.
    let saver = h.lender(USDC, 1_000 * USDC_UNIT).await;
    let before = h.snapshot_users(&[&saver]).await;
    let result = h.borrow(&saver, USDC, 740 * USDC_UNIT).await;
    h.assert_rejected(
        result,
        BallastError::SameReserveDepositAndBorrow,
        &[&saver],
        &before,
    )
    .await;

    // A liquidator taking shares into an obligation that owes the seized asset is refused;
    // tokens it may take. The borrower's SOL loan against USDC goes under water as SOL rises.
    let liquidator = h.funded_user(SOL, 100 * SOL_UNIT).await;
    h.mint_to(BTC, &liquidator.tokens[BTC], BTC_UNIT).await;
    h.deposit(&liquidator, BTC, BTC_UNIT).await.unwrap();
    h.borrow(&liquidator, USDC, 1_000 * USDC_UNIT)
        .await
        .unwrap();
    h.set_price(SOL, 200.0);
    assert!(health(&mut h, &borrower.obligation).await < WAD);
    let shares = LiquidateArgs {
        max_repay: u64::MAX,
        min_collateral_out: 0,
        receive_shares: true,
    };
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h.liquidate(&liquidator, &borrower, SOL, USDC, shares).await;
    h.assert_rejected(
        result,
        BallastError::SameReserveDepositAndBorrow,
        &users,
        &before,
    )
    .await;
    h.liquidate(&liquidator, &borrower, SOL, USDC, args(u64::MAX))
        .await
        .unwrap();

    // And the same reserve on both sides of `liquidate` is Anchor's duplicate-account check.
    let obligation = h.obligation(&borrower.obligation).await;
    let remaining = h.remaining(&obligation, true);
    let result = h
        .liquidate_with(
            &liquidator,
            &borrower.obligation,
            SOL,
            SOL,
            args(u64::MAX),
            remaining,
        )
        .await;
    assert_eq!(
        result,
        Err(anchor_error(
            anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount
        ))
    );
}

/// The top of the rate curve (500 % a year) for `asset`.
async fn highest_rate(h: &mut Harness, asset: usize) {
    let mut config = h.reserve(asset).await.config;
    config.rate_model = RateModel {
        base_rate_bps: 20_000,
        optimal_utilization_bps: 5_000,
        slope1_bps: 10_000,
        slope2_bps: 20_000,
    };
    let admin = h.admin.insecure_clone();
    h.update_reserve(&admin, asset, ReserveUpdate::Config(config))
        .await
        .unwrap();
}

/// Issue 9, item 2: after years at a high rate a debt exceeds `u64::MAX` base units. Valuing
/// it narrowed to `u64` and failed with `MathOverflow`, so neither `liquidate` nor
/// `realize_bad_debt` could ever clear it, and "repay all" quietly repaid part of it.
#[tokio::test]
async fn a_debt_beyond_u64_base_units_is_liquidated_written_off_and_never_half_repaid() {
    let mut h = Harness::new().await;
    highest_rate(&mut h, USDC).await;
    let lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let mut borrowers = vec![];
    for _ in 0..2 {
        let borrower = h.borrower(BTC, BTC_UNIT, USDC, 40_000 * USDC_UNIT).await;
        borrowers.push(borrower);
    }
    let liquidator = h.funded_user(USDC, 100_000 * USDC_UNIT).await;
    // Twelve idle years at up to 500 % a year.
    h.advance_with_fresh_prices(12 * 31_536_000);
    let owed = debt_owed(&mut h, &borrowers[0].obligation).await;
    assert!(owed > u128::from(u64::MAX), "{owed}");

    // "Repay all" is refused by name rather than taken as a partial amount; a part repays.
    let users = [&borrowers[0], &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h
        .repay(&liquidator, &borrowers[0].obligation, USDC, u64::MAX)
        .await;
    h.assert_rejected(
        result,
        BallastError::RepayAllExceedsOneTransfer,
        &users,
        &before,
    )
    .await;
    h.repay(&liquidator, &borrowers[0].obligation, USDC, USDC_UNIT)
        .await
        .unwrap();

    // The liquidation takes all of the collateral and writes off the rest in one instruction.
    let paid_before = h.balance(&liquidator.tokens[USDC]).await;
    h.liquidate(&liquidator, &borrowers[0], USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    assert!(h.obligation(&borrowers[0].obligation).await.is_empty());
    // 1 BTC at $60 000 for ⌈60 000 / 1.02⌉ USDC.
    assert_eq!(
        paid_before - h.balance(&liquidator.tokens[USDC]).await,
        58_823_529_412
    );

    // The other one is written off by `realize_bad_debt` once its collateral is worthless.
    set_price_mantissa(&mut h, BTC, 1);
    let written_before = written_off(&h.reserve(USDC).await);
    h.realize_bad_debt(&liquidator, &borrowers[1].obligation)
        .await
        .unwrap();
    assert!(h.obligation(&borrowers[1].obligation).await.is_empty());
    let usdc = h.reserve(USDC).await;
    assert!(written_off(&usdc) - written_before > u128::from(u64::MAX) * WAD);
    assert_eq!(usdc.total_scaled_debt, 0);
    // A century more changes nothing and breaks nothing: there is no debt left to accrue.
    h.advance_with_fresh_prices(100 * 31_536_000);
    h.collect_fees(USDC).await.unwrap();
    h.check_invariants(&[
        lender.obligation,
        borrowers[0].obligation,
        borrowers[1].obligation,
        liquidator.obligation,
    ])
    .await;
}

fn written_off(reserve: &ballast::state::Reserve) -> u128 {
    reserve.cumulative_fund_covered_wad + reserve.cumulative_socialized_wad
}

/// USDC `obligation` owes now, in base units (not narrowed).
async fn debt_owed(h: &mut Harness, obligation: &Pubkey) -> u128 {
    let key = h.assets[USDC].keys.reserve;
    let state = h.obligation(obligation).await;
    let reserve = h.reserve(USDC).await.projected(h.now).unwrap();
    reserve
        .owed_tokens(state.borrow(&key).unwrap().scaled_debt)
        .unwrap()
}

/// A reserve left idle for a century at the highest rate stops accruing at its ceiling rather
/// than failing every instruction, so its borrowers can still be liquidated and written off.
#[tokio::test]
async fn a_century_at_the_highest_rate_leaves_every_instruction_working() {
    let mut h = Harness::new().await;
    highest_rate(&mut h, USDC).await;
    let _lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let borrower = h.borrower(BTC, BTC_UNIT, USDC, 40_000 * USDC_UNIT).await;
    let liquidator = h.funded_user(USDC, 100_000 * USDC_UNIT).await;
    h.advance_with_fresh_prices(100 * 31_536_000);
    h.collect_fees(USDC).await.unwrap();
    let usdc = h.reserve(USDC).await;
    assert_eq!(
        usdc.borrow_index,
        ballast::math::interest::ceiling_index(usdc.total_scaled_debt)
    );
    h.advance_with_fresh_prices(31_536_000);
    h.collect_fees(USDC).await.unwrap();
    assert_eq!(h.reserve(USDC).await.borrow_index, usdc.borrow_index);
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    assert!(h.obligation(&borrower.obligation).await.is_empty());
}

/// Issue 9, item 3: a deposit reads no price and opened its slot enabled, so a borrower whose
/// chosen feed was stale could deposit one base unit there and block every liquidation of the
/// obligation until the feed recovered. Now a slot opened in debt starts disabled, enabling
/// reads a strict price, and a negligible position whose price fails cannot block.
#[tokio::test]
async fn a_dust_deposit_into_a_reserve_with_a_broken_feed_cannot_block_a_liquidation() {
    let Loan {
        mut h,
        lender: _,
        borrower,
        liquidator,
    } = loan(
        SOL,
        100 * SOL_UNIT,
        USDC,
        100_000 * USDC_UNIT,
        11_000 * USDC_UNIT,
    )
    .await;
    // The BTC feed stops; the borrower deposits one satoshi of BTC.
    let mut halted = h.assets[BTC].feed;
    halted.status = 2;
    h.publish(BTC, halted);
    h.mint_to(BTC, &borrower.tokens[BTC], 1_000).await;
    h.deposit(&borrower, BTC, 1).await.unwrap();
    let btc = h.assets[BTC].keys.reserve;
    let obligation = h.obligation(&borrower.obligation).await;
    assert!(!obligation.deposit(&btc).unwrap().collateral_enabled);
    // It cannot be enabled while its price is not good.
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.set_collateral(&borrower, BTC, true).await;
    h.assert_rejected(
        result,
        BallastError::OracleNotTrading,
        &[&borrower],
        &before,
    )
    .await;
    // SOL falls: the liquidation goes through, the disabled satoshi is not even priced.
    h.set_price(SOL, 125.0);
    assert!(health(&mut h, &borrower.obligation).await < WAD);
    h.liquidate(&liquidator, &borrower, USDC, SOL, args(u64::MAX))
        .await
        .unwrap();

    // The patient version: dust enabled while the feed was good (before borrowing, which read
    // its strict price), then the feed halts. 1 000 sat are $0.60 at the feed's last price:
    // more than the $0.10 negligible value, a position of value whose price is genuinely
    // invalid, so the liquidation waits for the feed (named, nothing changes).
    let (mut h, borrower, liquidator) = sol_borrower_with_btc_dust(1_000).await;
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h
        .liquidate(&liquidator, &borrower, USDC, SOL, args(u64::MAX))
        .await;
    h.assert_rejected(result, BallastError::OracleNotTrading, &users, &before)
        .await;
    // 166 sat ($0.0996) are negligible at that price: they cannot block the liquidation.
    let (mut h, borrower, liquidator) = sol_borrower_with_btc_dust(166).await;
    h.liquidate(&liquidator, &borrower, USDC, SOL, args(u64::MAX))
        .await
        .unwrap();
    assert!(!h.obligation(&borrower.obligation).await.has_debt());
}

/// A borrower with 100 SOL and `sats` of BTC enabled as collateral, owing 11 000 USDC; then the
/// BTC feed halts and SOL falls to $125 (HF 0.91).
async fn sol_borrower_with_btc_dust(sats: u64) -> (Harness, User, User) {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let borrower = h.funded_user(SOL, 100 * SOL_UNIT).await;
    h.mint_to(BTC, &borrower.tokens[BTC], sats).await;
    h.deposit(&borrower, SOL, 100 * SOL_UNIT).await.unwrap();
    h.deposit(&borrower, BTC, sats).await.unwrap();
    h.borrow(&borrower, USDC, 11_000 * USDC_UNIT).await.unwrap();
    let liquidator = h.funded_user(USDC, 100_000 * USDC_UNIT).await;
    let mut halted = h.assets[BTC].feed;
    halted.status = 2;
    h.publish(BTC, halted);
    h.set_price(SOL, 125.0);
    assert!(health(&mut h, &borrower.obligation).await < WAD);
    (h, borrower, liquidator)
}

/// Issue 9, item 5: the write-off checked only "collateral at most the dust value", never that
/// collateral is worth less than debt, so with a large dust value anyone could write off a
/// healthy obligation (its owner losing the difference). Only an insolvent obligation is
/// written off now; the boundary is exact.
#[tokio::test]
async fn only_an_insolvent_obligation_is_written_off_and_the_boundary_is_exact() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 1_000 * USDC_UNIT).await;
    // $0.09 of SOL (600 000 lamports at $150) against $0.05 of USDC: HF 1.44, solvent.
    let borrower = h.borrower(SOL, 600_000, USDC, 50_000).await;
    let caller = h.user().await;
    let totals = liquidation_totals(&mut h, &borrower.obligation).await;
    assert!(totals.collateral_value <= WAD / 10 && totals.collateral_value > totals.debt_value);
    let before = h.snapshot_users(&[&borrower, &caller]).await;
    let result = h.realize_bad_debt(&caller, &borrower.obligation).await;
    h.assert_rejected(
        result,
        BallastError::NotInsolvent,
        &[&borrower, &caller],
        &before,
    )
    .await;
    // Collateral exactly worth the debt ($0.05: SOL at $83.333…): still not insolvent.
    set_price_mantissa(&mut h, SOL, 8_333_333_334);
    let totals = liquidation_totals(&mut h, &borrower.obligation).await;
    assert!(totals.collateral_value >= totals.debt_value);
    let result = h.realize_bad_debt(&caller, &borrower.obligation).await;
    assert_eq!(result, Err(custom_error(BallastError::NotInsolvent)));
    // One step below: written off.
    set_price_mantissa(&mut h, SOL, 8_333_333_332);
    let totals = liquidation_totals(&mut h, &borrower.obligation).await;
    assert!(totals.collateral_value < totals.debt_value);
    h.realize_bad_debt(&caller, &borrower.obligation)
        .await
        .unwrap();
    assert!(h.obligation(&borrower.obligation).await.is_empty());
}

/// PROTOCOL.md §6 asked health to improve or the obligation to be cleared; below
/// `LT · (1 + bonus)` a partial liquidation lowered it (the review saw 0.764 → 0.720 in one
/// liquidation, falling at every step of the same repayment split in 50). Below the buffer a
/// liquidation now closes a position: a small request is refused by name, a full one takes the
/// collateral and realizes the rest in the same instruction.
#[tokio::test]
async fn below_the_buffer_a_liquidation_closes_a_position_instead_of_bleeding_health() {
    let Loan {
        mut h,
        lender: _,
        borrower,
        liquidator,
    } = loan(BTC, BTC_UNIT, USDC, 100_000 * USDC_UNIT, 40_000 * USDC_UNIT).await;
    // HF 0.764: $38 200 of BTC against $40 000.
    h.set_price(BTC, 38_200.0);
    assert_eq!(
        health(&mut h, &borrower.obligation).await,
        764 * WAD / 1_000
    );
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let result = h
        .liquidate(&liquidator, &borrower, USDC, BTC, args(800 * USDC_UNIT))
        .await;
    h.assert_rejected(
        result,
        BallastError::LiquidationMustClosePosition,
        &users,
        &before,
    )
    .await;
    let paid_before = h.balance(&liquidator.tokens[USDC]).await;
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    // ⌈38 200 / 1.02⌉ for the whole BTC; the remaining $2 549.02 is realized at once.
    assert_eq!(
        paid_before - h.balance(&liquidator.tokens[USDC]).await,
        37_450_980_393
    );
    assert!(h.obligation(&borrower.obligation).await.is_empty());
    assert_eq!(health(&mut h, &borrower.obligation).await, HEALTH_INFINITE);
    let usdc = h.reserve(USDC).await;
    assert_eq!(
        written_off(&usdc),
        u128::from(40_000 * USDC_UNIT - 37_450_980_393) * WAD
    );
}

/// Issue 9, item 9: `LT · (1 + bonus)` was rounded down to whole basis points, which opened
/// a window of health (LT 82.5 %, minimum bonus 2.5 %: HF in [0.8456, 0.845625)) in which every
/// liquidation reverted with `HealthNotImproved`.
#[tokio::test]
async fn no_health_factor_makes_an_unhealthy_obligation_unliquidatable() {
    let mut h = Harness::with_assets(&default_assets(), |index, config| {
        if index == BTC {
            config.liquidation_threshold_bps = 8_250;
            config.min_liquidation_bonus_bps = 250;
        }
    })
    .await;
    let _lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let borrower = h.borrower(BTC, BTC_UNIT, USDC, 40_000 * USDC_UNIT).await;
    let liquidator = h.funded_user(USDC, 100_000 * USDC_UNIT).await;
    // $40 999.50 of BTC: HF 0.825 × 40 999.5 / 40 000 = 0.8456146875.
    set_price_mantissa(&mut h, BTC, 4_099_950_000_000);
    let hf = health(&mut h, &borrower.obligation).await;
    assert!(
        (845_600_000_000_000_000..845_625_000_000_000_000).contains(&hf),
        "{hf}"
    );
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    // Below the buffer it closed a position: the whole borrow is repaid, and the bonus is what
    // the borrower's $999.50 of surplus pays (249 bps), so the rest of the BTC stays theirs.
    let state = h.obligation(&borrower.obligation).await;
    assert!(!state.has_debt());
    let left = deposit_tokens_of(&mut h, &borrower.obligation, BTC).await;
    // 40 000 × 1.0249 / 40 999.5 BTC seized.
    assert_eq!(left, BTC_UNIT - 99_991_463);
}

/// Issue 9, item 10: a write-off inside a liquidation changed reserves whose liquidations were
/// paused (only the two named reserves were checked) while `realize_bad_debt` refused. Now
/// neither path writes off a reserve with liquidations paused: the liquidation proceeds and the
/// write-off waits for `realize_bad_debt` after the pause.
#[tokio::test]
async fn a_write_off_never_touches_a_reserve_whose_liquidations_are_paused() {
    let mut h = Harness::new().await;
    let _usdc_lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let _sol_lender = h.lender(SOL, 1_000 * SOL_UNIT).await;
    let borrower = h.borrower(BTC, BTC_UNIT, USDC, 20_000 * USDC_UNIT).await;
    h.borrow(&borrower, SOL, 100 * SOL_UNIT).await.unwrap();
    let liquidator = h.funded_user(USDC, 100_000 * USDC_UNIT).await;
    let risk = h.risk_authority.insecure_clone();
    h.update_reserve(&risk, SOL, ReserveUpdate::PauseFlags(PAUSE_LIQUIDATE))
        .await
        .unwrap();
    // $20 000 of BTC against $35 000: the liquidation takes all of it.
    h.set_price(BTC, 20_000.0);
    let sol_before = h.reserve(SOL).await;
    h.liquidate(&liquidator, &borrower, USDC, BTC, args(u64::MAX))
        .await
        .unwrap();
    let state = h.obligation(&borrower.obligation).await;
    assert!(state.active_deposits().next().is_none() && state.has_debt());
    let sol_after = h.reserve(SOL).await;
    assert_eq!(sol_after.total_scaled_debt, sol_before.total_scaled_debt);
    assert_eq!(written_off(&sol_after), 0);
    let caller = h.user().await;
    let before = h.snapshot_users(&[&borrower, &caller]).await;
    let result = h.realize_bad_debt(&caller, &borrower.obligation).await;
    h.assert_rejected(
        result,
        BallastError::ActionPaused,
        &[&borrower, &caller],
        &before,
    )
    .await;
    let admin = h.admin.insecure_clone();
    h.update_reserve(&admin, SOL, ReserveUpdate::PauseFlags(0))
        .await
        .unwrap();
    h.realize_bad_debt(&caller, &borrower.obligation)
        .await
        .unwrap();
    assert!(h.obligation(&borrower.obligation).await.is_empty());
    assert!(written_off(&h.reserve(SOL).await) > 0);
}

/// Issue 9, item 8: in shares mode the floor was checked before a write-off in the same
/// instruction could lower the value of the shares just credited. A write-off only touches
/// reserves the obligation owes, never the seized one (no reserve is both), and the floor is
/// now checked on the value the liquidator ends with: exactly that value passes, one more fails.
#[tokio::test]
async fn the_shares_floor_is_checked_on_what_the_liquidator_ends_with() {
    let mut h = Harness::new().await;
    let _usdc_lender = h.lender(USDC, 100_000 * USDC_UNIT).await;
    let borrower = h.borrower(BTC, BTC_UNIT, USDC, 40_000 * USDC_UNIT).await;
    let liquidator = h.funded_user(USDC, 100_000 * USDC_UNIT).await;
    // Insolvent: all the BTC goes, the rest of the USDC debt is written off in the same step.
    h.set_price(BTC, 30_000.0);
    let exact = BTC_UNIT - 392_157; // the seizure less the protocol fee
    let users = [&borrower, &liquidator];
    let before = h.snapshot_users(&users).await;
    let too_much = LiquidateArgs {
        max_repay: u64::MAX,
        min_collateral_out: exact + 1,
        receive_shares: true,
    };
    let result = h
        .liquidate(&liquidator, &borrower, USDC, BTC, too_much)
        .await;
    h.assert_rejected(result, BallastError::SlippageExceeded, &users, &before)
        .await;
    let exactly = LiquidateArgs {
        min_collateral_out: exact,
        ..too_much
    };
    h.liquidate(&liquidator, &borrower, USDC, BTC, exactly)
        .await
        .unwrap();
    assert!(h.obligation(&borrower.obligation).await.is_empty());
    assert_eq!(
        deposit_tokens_of(&mut h, &liquidator.obligation, BTC).await,
        exact
    );
}

/// The keeper's client gives the program what it needs for a rescue: a deposit of a new asset
/// and its enabling in one transaction, priced only for that asset.
#[tokio::test]
async fn a_rescue_with_a_new_collateral_is_one_transaction() {
    let Loan {
        mut h,
        lender: _,
        borrower,
        liquidator: _,
    } = loan(
        SOL,
        100 * SOL_UNIT,
        USDC,
        100_000 * USDC_UNIT,
        11_000 * USDC_UNIT,
    )
    .await;
    h.set_price(SOL, 140.0);
    let before = health(&mut h, &borrower.obligation).await;
    h.mint_to(BTC, &borrower.tokens[BTC], BTC_UNIT / 10).await;
    let obligation = h.obligation(&borrower.obligation).await;
    let btc = h.assets[BTC].keys.reserve;
    let deposit = client::deposit(
        &borrower.pubkey(),
        &h.market,
        &h.assets[BTC].keys,
        &borrower.obligation,
        &borrower.tokens[BTC],
        BTC_UNIT / 10,
    );
    let enable = client::set_collateral(
        &borrower.pubkey(),
        &h.market,
        &borrower.obligation,
        &btc,
        true,
        client::set_collateral_remaining(&obligation, &btc, true, |r| h.oracle_of(r)),
    );
    h.send(&[deposit, enable], &[&borrower.keypair])
        .await
        .unwrap();
    assert!(health(&mut h, &borrower.obligation).await > before);
}
