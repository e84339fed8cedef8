//! `remaining_accounts` of health checks: exactly `[reserve, oracle]` per position, each once,
//! deposits first then borrows, in slot order. Everything else is refused and changes nothing.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use ballast::errors::BallastError;
use ballast_bank::pyth::{self, Feed};
use ballast_client as client;
use ballast_tests::fixture::*;

use super::common::*;

/// A borrower with BTC and SOL deposits owing 1 000 USDC; the lender keeps 99 000 USDC free.
async fn setup() -> (Harness, User) {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, 10 * USDC_10K).await;
    let borrower = btc_holder(&mut h).await;
    h.mint_to(SOL, &borrower.tokens[SOL], 10 * ONE_SOL).await;
    h.deposit(&borrower, SOL, 10 * ONE_SOL).await.unwrap();
    h.borrow(&borrower, USDC, 1_000_000_000).await.unwrap();
    (h, borrower)
}

/// The canonical list: `[BTC, BTC oracle, SOL, SOL oracle, USDC, USDC oracle]`.
async fn canonical(h: &mut Harness, borrower: &User) -> Vec<AccountMeta> {
    let remaining = remaining_now(h, borrower).await;
    let order: Vec<Pubkey> = remaining.iter().map(|meta| meta.pubkey).collect();
    let keys = |i: usize| [h.assets[i].keys.reserve, h.assets[i].keys.oracle];
    assert_eq!(order, [keys(BTC), keys(SOL), keys(USDC)].concat());
    remaining
}

/// Borrowing and withdrawing with `remaining` are both refused with `error`; nothing changes.
async fn assert_health_check_refuses(
    h: &mut Harness,
    borrower: &User,
    remaining: Vec<AccountMeta>,
    error: BallastError,
) {
    let before = h.snapshot_users(&[borrower]).await;
    let result = h
        .borrow_with(borrower, USDC, 1_000_000_000, remaining.clone())
        .await;
    h.assert_rejected(result, error, &[borrower], &before).await;
    let result = h.withdraw_with(borrower, BTC, 1_000, remaining).await;
    h.assert_rejected(result, error, &[borrower], &before).await;
}

#[tokio::test]
async fn the_canonical_list_is_accepted_for_borrow_and_withdraw() {
    let (mut h, borrower) = setup().await;
    let remaining = canonical(&mut h, &borrower).await;
    h.borrow_with(&borrower, USDC, 1_000_000_000, remaining.clone())
        .await
        .unwrap();
    h.withdraw_with(&borrower, BTC, 1_000, remaining)
        .await
        .unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, 2_000_000_000);
    assert_eq!(h.balance(&borrower.tokens[BTC]).await, 1_000);
}

#[tokio::test]
async fn no_remaining_accounts_are_refused() {
    let (mut h, borrower) = setup().await;
    assert_health_check_refuses(
        &mut h,
        &borrower,
        vec![],
        BallastError::InvalidRemainingAccounts,
    )
    .await;
}

#[tokio::test]
async fn a_missing_position_or_a_missing_oracle_is_refused() {
    let (mut h, borrower) = setup().await;
    let full = canonical(&mut h, &borrower).await;
    for cut in [4, 5] {
        assert_health_check_refuses(
            &mut h,
            &borrower,
            full[..cut].to_vec(),
            BallastError::InvalidRemainingAccounts,
        )
        .await;
    }
}

#[tokio::test]
async fn an_extra_pair_is_refused() {
    let (mut h, borrower) = setup().await;
    let mut remaining = canonical(&mut h, &borrower).await;
    remaining.extend(pair(&h, USDC));
    assert_health_check_refuses(
        &mut h,
        &borrower,
        remaining,
        BallastError::InvalidRemainingAccounts,
    )
    .await;
}

#[tokio::test]
async fn a_duplicated_position_in_place_of_another_is_refused() {
    let (mut h, borrower) = setup().await;
    let mut remaining = canonical(&mut h, &borrower).await;
    // BTC listed twice, SOL not at all.
    remaining[2] = remaining[0].clone();
    remaining[3] = remaining[1].clone();
    assert_health_check_refuses(
        &mut h,
        &borrower,
        remaining,
        BallastError::InvalidRemainingAccounts,
    )
    .await;
}

#[tokio::test]
async fn positions_out_of_order_are_refused() {
    let (mut h, borrower) = setup().await;
    let canonical = canonical(&mut h, &borrower).await;
    // SOL before BTC.
    let mut swapped = canonical.clone();
    swapped.swap(0, 2);
    swapped.swap(1, 3);
    assert_health_check_refuses(
        &mut h,
        &borrower,
        swapped,
        BallastError::InvalidRemainingAccounts,
    )
    .await;
    // The borrow before the deposits.
    let borrows_first = [&canonical[4..], &canonical[..4]].concat();
    assert_health_check_refuses(
        &mut h,
        &borrower,
        borrows_first,
        BallastError::InvalidRemainingAccounts,
    )
    .await;
    // Oracle before its reserve.
    let mut inside_out = canonical;
    inside_out.swap(0, 1);
    assert_health_check_refuses(
        &mut h,
        &borrower,
        inside_out,
        BallastError::InvalidRemainingAccounts,
    )
    .await;
}

#[tokio::test]
async fn a_reserve_of_another_market_or_a_non_reserve_in_a_reserve_slot_is_refused() {
    let (mut h, borrower) = setup().await;
    let foreign = foreign_market(&mut h).await;
    let canonical = canonical(&mut h, &borrower).await;
    let mut remaining = canonical.clone();
    remaining[4].pubkey = foreign.usdc.reserve;
    assert_health_check_refuses(
        &mut h,
        &borrower,
        remaining,
        BallastError::InvalidRemainingAccounts,
    )
    .await;
    let mut remaining = canonical;
    remaining[4].pubkey = h.market;
    assert_health_check_refuses(
        &mut h,
        &borrower,
        remaining,
        BallastError::InvalidRemainingAccounts,
    )
    .await;
}

#[tokio::test]
async fn a_legacy_position_priced_by_another_feed_is_refused() {
    let (mut h, borrower) = setup().await;
    let mut remaining = canonical(&mut h, &borrower).await;
    // The USDC debt priced by the (much higher) BTC feed.
    remaining[5].pubkey = h.assets[BTC].keys.oracle;
    assert_health_check_refuses(
        &mut h,
        &borrower,
        remaining,
        BallastError::OracleWrongAccount,
    )
    .await;
}

#[tokio::test]
async fn a_pull_position_priced_by_anything_but_its_feed_account_is_refused() {
    let (mut h, borrower) = setup().await;
    let mut remaining = canonical(&mut h, &borrower).await;
    let sol_feed = h.assets[SOL].feed;
    // Regression (issue 9, item 4): a fully verified update of the same feed at another
    // address used to be accepted, so a caller could choose which update priced a position
    // (an older wick, say). Only the reserve's pinned price-feed account is read.
    let imposter = Pubkey::new_unique();
    h.write_account(
        &imposter,
        &pyth::PYTH_RECEIVER_PROGRAM,
        pyth::pull_price_update_data(&sol_feed),
    );
    remaining[3].pubkey = imposter;
    assert_health_check_refuses(
        &mut h,
        &borrower,
        remaining.clone(),
        BallastError::OracleWrongAccount,
    )
    .await;

    // The pinned account itself: another feed's update, another owner, legacy bytes.
    let pinned = h.assets[SOL].keys.oracle;
    remaining[3].pubkey = pinned;
    let other_feed = Feed::at(15_000.0, h.now, [0xcd; 32]);
    for (owner, data, error) in [
        (
            pyth::PYTH_RECEIVER_PROGRAM,
            pyth::pull_price_update_data(&other_feed),
            BallastError::OracleFeedMismatch,
        ),
        (
            Pubkey::new_unique(),
            pyth::pull_price_update_data(&sol_feed),
            BallastError::OracleWrongOwner,
        ),
        (
            pyth::PYTH_RECEIVER_PROGRAM,
            pyth::legacy_price_account_data(&sol_feed),
            BallastError::OracleUnparsable,
        ),
    ] {
        h.write_account(&pinned, &owner, data);
        assert_health_check_refuses(&mut h, &borrower, remaining.clone(), error).await;
    }

    h.publish(SOL, sol_feed);
    h.borrow_with(&borrower, USDC, 1_000_000_000, remaining)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_new_borrow_must_list_the_reserve_it_adds() {
    let (mut h, borrower) = setup().await;
    // Borrowing more from a reserve the obligation already owes adds no pair.
    let remaining = canonical(&mut h, &borrower).await;
    h.borrow_with(&borrower, USDC, 1_000_000, remaining)
        .await
        .unwrap();

    // A reserve the obligation does not hold at all must be appended after the borrows.
    let fresh = h.lender(BTC, ONE_BTC).await;
    let before_borrow = remaining_now(&mut h, &fresh).await;
    let before = h.snapshot_users(&[&fresh]).await;
    let result = h.borrow_with(&fresh, USDC, 1_000_000, before_borrow).await;
    h.assert_rejected(
        result,
        BallastError::InvalidRemainingAccounts,
        &[&fresh],
        &before,
    )
    .await;
    let after_borrow = remaining_for_borrow(&mut h, &fresh, USDC).await;
    h.borrow_with(&fresh, USDC, 1_000_000, after_borrow)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_reserves_own_vault_cannot_be_named_as_a_payout_destination() {
    let (mut h, borrower) = setup().await;
    let keys = h.assets[USDC].keys;
    let remaining = canonical(&mut h, &borrower).await;
    let duplicate = anchor_error(anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount);
    let before = h.snapshot_users(&[&borrower]).await;
    let ix = client::borrow(
        &borrower.pubkey(),
        &h.market,
        &keys,
        &borrower.obligation,
        &keys.liquidity_vault,
        1_000_000,
        remaining.clone(),
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    assert_refused(
        &mut h,
        result,
        duplicate.clone(),
        &[&borrower],
        &[],
        &before,
    )
    .await;
    let btc = h.assets[BTC].keys;
    let ix = client::withdraw(
        &borrower.pubkey(),
        &h.market,
        &btc,
        &borrower.obligation,
        &btc.liquidity_vault,
        1_000,
        remaining,
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    assert_refused(
        &mut h,
        result,
        duplicate.clone(),
        &[&borrower],
        &[],
        &before,
    )
    .await;
    // Nor can collect_fees be pointed at the liquidity vault as the fund vault.
    let ix = client::collect_fees(
        &borrower.pubkey(),
        &h.market,
        &client::ReserveKeys {
            fund_vault: keys.liquidity_vault,
            ..keys
        },
        &h.treasuries[USDC],
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    assert_refused(&mut h, result, duplicate, &[&borrower], &[], &before).await;
}

/// Issue 9, item 6: `withdraw`, `borrow` and `liquidate` checked only the destination's mint,
/// so the reserve's fund vault was accepted as a payout account: the tokens landed outside the
/// books (`fund vault ≠ fund balance`) where nothing can sweep them. No vault of any reserve, of
/// any market, nor any account the reserve owns, is a user's source or destination.
#[tokio::test]
async fn no_reserve_vault_of_any_market_is_accepted_as_a_users_token_account() {
    let (mut h, borrower) = setup().await;
    let remaining = canonical(&mut h, &borrower).await;
    let usdc = h.assets[USDC].keys;
    let btc = h.assets[BTC].keys;
    let foreign = h.list_in_another_market(USDC).await;
    // A plain token account whose authority is the USDC reserve itself.
    let owned_by_reserve = h.create_token_account(&usdc.reserve, USDC).await;
    let vault = BallastError::ProtocolVaultNotAllowed;
    let extra = [
        foreign.liquidity_vault,
        foreign.fund_vault,
        owned_by_reserve,
    ];
    let before = snapshot(&mut h, &[&borrower], &extra).await;
    for destination in [
        usdc.fund_vault,
        foreign.liquidity_vault,
        foreign.fund_vault,
        owned_by_reserve,
    ] {
        let ix = client::borrow(
            &borrower.pubkey(),
            &h.market,
            &usdc,
            &borrower.obligation,
            &destination,
            1_000_000,
            remaining.clone(),
        );
        let result = h.send(&[ix], &[&borrower.keypair]).await;
        assert_refused_with(&mut h, result, vault, &[&borrower], &extra, &before).await;
    }
    let ix = client::withdraw(
        &borrower.pubkey(),
        &h.market,
        &btc,
        &borrower.obligation,
        &btc.fund_vault,
        1_000,
        remaining.clone(),
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    assert_refused_with(&mut h, result, vault, &[&borrower], &extra, &before).await;
    // As a source: deposit, repay and fund contributions.
    let ix = client::deposit(
        &borrower.pubkey(),
        &h.market,
        &btc,
        &borrower.obligation,
        &btc.fund_vault,
        1_000,
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    assert_refused_with(&mut h, result, vault, &[&borrower], &extra, &before).await;
    let ix = client::repay(
        &borrower.pubkey(),
        &h.market,
        &usdc,
        &borrower.obligation,
        &usdc.fund_vault,
        1_000,
        None,
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    assert_refused_with(&mut h, result, vault, &[&borrower], &extra, &before).await;
    let ix = client::fund_reserve(
        &borrower.pubkey(),
        &h.market,
        &usdc,
        &foreign.liquidity_vault,
        1_000,
    );
    let result = h.send(&[ix], &[&borrower.keypair]).await;
    assert_refused_with(&mut h, result, vault, &[&borrower], &extra, &before).await;
    // A liquidator's collateral destination: the seized reserve's fund vault.
    h.set_price(BTC, 10_000.0);
    h.set_price(SOL, 10.0);
    let liquidator = h.funded_user(USDC, 10 * USDC_10K).await;
    let obligation = h.obligation(&borrower.obligation).await;
    let accounts = client::LiquidationAccounts {
        liquidator: liquidator.pubkey(),
        market: h.market,
        obligation: borrower.obligation,
        repay_source: liquidator.tokens[USDC],
        collateral_destination: Some(btc.fund_vault),
        liquidator_obligation: None,
    };
    let args = ballast::instructions::LiquidateArgs {
        max_repay: u64::MAX,
        min_collateral_out: 0,
        receive_shares: false,
    };
    let ix = client::liquidate(&accounts, &usdc, &btc, args, h.remaining(&obligation, true));
    let before = snapshot(&mut h, &[&borrower, &liquidator], &extra).await;
    let result = h.send(&[ix], &[&liquidator.keypair]).await;
    assert_refused_with(
        &mut h,
        result,
        vault,
        &[&borrower, &liquidator],
        &extra,
        &before,
    )
    .await;
    // The funds' books still match their vaults to the unit.
    for asset in [USDC, BTC] {
        let reserve = h.reserve(asset).await;
        let address = h.assets[asset].keys.fund_vault;
        let fund_vault = h.balance(&address).await;
        assert_eq!(fund_vault, reserve.fund_balance + reserve.fund_receivable);
    }
}
