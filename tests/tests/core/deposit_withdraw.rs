//! `deposit` and `withdraw`: balances to the token unit, shares, and every rejection.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_spl::token_2022::spl_token_2022;
use ballast::errors::BallastError;
use ballast::instructions::{MarketUpdate, ReserveUpdate};
use ballast::state::{PAUSE_DEPOSIT, PAUSE_WITHDRAW};
use ballast_client as client;
use ballast_tests::fixture::*;

use super::common::*;

// ----- deposit ----------------------------------------------------------------------------

#[tokio::test]
async fn a_deposit_moves_exactly_the_amount_and_mints_a_million_shares_per_unit() {
    let mut h = Harness::new().await;
    let alice = h.funded_user(USDC, 1_234_567_891).await;
    let bob = h.funded_user(USDC, 5_000_000).await;
    let vault = h.assets[USDC].keys.liquidity_vault;
    h.deposit(&alice, USDC, 1_234_567_890).await.unwrap();
    assert_eq!(h.balance(&alice.tokens[USDC]).await, 1);
    assert_eq!(h.balance(&vault).await, 1_234_567_890);
    let position = *h
        .obligation(&alice.obligation)
        .await
        .deposit(&h.assets[USDC].keys.reserve)
        .unwrap();
    assert_eq!(position.shares, 1_234_567_890 * SHARES_PER_UNIT);
    assert!(position.collateral_enabled, "a new deposit is collateral");

    h.deposit(&bob, USDC, 5_000_000).await.unwrap();
    assert_eq!(h.balance(&bob.tokens[USDC]).await, 0);
    assert_eq!(h.balance(&vault).await, 1_239_567_890);
    let reserve = h.reserve(USDC).await;
    assert_eq!(reserve.available_liquidity, 1_239_567_890);
    assert_eq!(reserve.total_shares, 1_239_567_890 * SHARES_PER_UNIT);
    let bob_shares = h
        .obligation(&bob.obligation)
        .await
        .deposit(&reserve_key(&h, USDC))
        .unwrap()
        .shares;
    assert_eq!(bob_shares, 5_000_000 * SHARES_PER_UNIT, "same share price");
    h.check_invariants(&[alice.obligation, bob.obligation])
        .await;
}

fn reserve_key(h: &Harness, index: usize) -> Pubkey {
    h.assets[index].keys.reserve
}

#[tokio::test]
async fn a_deposit_reads_no_price() {
    let mut h = Harness::new().await;
    let user = h.funded_user(SOL, ONE_SOL).await;
    h.mint_to(BTC, &user.tokens[BTC], ONE_BTC).await;
    break_every_oracle(&mut h);
    h.deposit(&user, SOL, ONE_SOL).await.unwrap();
    h.deposit(&user, BTC, ONE_BTC).await.unwrap();
    assert_eq!(h.reserve(SOL).await.available_liquidity, ONE_SOL);
    assert_eq!(h.reserve(BTC).await.available_liquidity, ONE_BTC);
}

#[tokio::test]
async fn a_token_donation_to_the_vault_does_not_change_the_share_price() {
    let mut h = Harness::new().await;
    let first = h.lender(USDC, 1_000_000).await;
    let vault = h.assets[USDC].keys.liquidity_vault;
    h.mint_to(USDC, &vault, 1_000_000_000_000).await;
    let second = h.lender(USDC, 1_000_000).await;
    let shares = |o: ballast::state::Obligation, r| o.deposit(&r).unwrap().shares;
    let reserve = reserve_key(&h, USDC);
    assert_eq!(
        shares(h.obligation(&second.obligation).await, reserve),
        shares(h.obligation(&first.obligation).await, reserve)
    );
    assert_eq!(h.reserve(USDC).await.available_liquidity, 2_000_000);
    h.withdraw(&first, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&first.tokens[USDC]).await, 1_000_000);
}

#[tokio::test]
async fn a_zero_deposit_is_refused_and_changes_nothing() {
    let mut h = Harness::new().await;
    let user = h.funded_user(USDC, 1_000).await;
    let before = h.snapshot_users(&[&user]).await;
    let result = h.deposit(&user, USDC, 0).await;
    h.assert_rejected(result, BallastError::ZeroAmount, &[&user], &before)
        .await;
}

#[tokio::test]
async fn a_deposit_over_the_supply_cap_is_refused_and_one_up_to_it_is_accepted() {
    let mut h = Harness::with_assets(&default_assets(), |index, config| {
        if index == USDC {
            config.supply_cap = 3_000_000;
            config.borrow_cap = 3_000_000;
        }
    })
    .await;
    let user = h.funded_user(USDC, 10_000_000).await;
    h.deposit(&user, USDC, 1_000_000).await.unwrap();
    let before = h.snapshot_users(&[&user]).await;
    let result = h.deposit(&user, USDC, 2_000_001).await;
    h.assert_rejected(result, BallastError::SupplyCapExceeded, &[&user], &before)
        .await;
    h.deposit(&user, USDC, 2_000_000).await.unwrap();
    assert_eq!(h.reserve(USDC).await.available_liquidity, 3_000_000);
}

#[tokio::test]
async fn an_overflow_sized_deposit_is_refused_and_changes_nothing() {
    let mut h = Harness::with_assets(&default_assets(), |index, config| {
        if index == USDC {
            config.supply_cap = u64::MAX;
        }
    })
    .await;
    let user = h.lender(USDC, 10).await;
    let before = h.snapshot_users(&[&user]).await;
    // Even with no cap, the reserve's books cannot pass u64::MAX.
    let result = h.deposit(&user, USDC, u64::MAX).await;
    h.assert_rejected(result, BallastError::SupplyCapExceeded, &[&user], &before)
        .await;
    let result = h.deposit(&user, USDC, u64::MAX - 10).await;
    assert_refused(
        &mut h,
        result,
        custom_code(TOKEN_INSUFFICIENT_FUNDS),
        &[&user],
        &[],
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_deposit_while_paused_is_refused() {
    let mut h = Harness::new().await;
    let user = h.funded_user(USDC, 1_000).await;
    let risk = h.risk_authority.insecure_clone();
    h.update_reserve(&risk, USDC, ReserveUpdate::PauseFlags(PAUSE_DEPOSIT))
        .await
        .unwrap();
    let before = h.snapshot_users(&[&user]).await;
    let result = h.deposit(&user, USDC, 1_000).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&user], &before)
        .await;
    // Other actions are not paused by the deposit flag.
    let admin = h.admin.insecure_clone();
    h.update_reserve(&admin, USDC, ReserveUpdate::PauseFlags(PAUSE_WITHDRAW))
        .await
        .unwrap();
    h.deposit(&user, USDC, 1_000).await.unwrap();
}

#[tokio::test]
async fn a_deposit_into_someone_elses_obligation_is_refused() {
    let mut h = Harness::new().await;
    let owner = h.user().await;
    let stranger = h.funded_user(USDC, 1_000).await;
    let before = h.snapshot_users(&[&owner, &stranger]).await;
    let ix = client::deposit(
        &stranger.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &owner.obligation,
        &stranger.tokens[USDC],
        1_000,
    );
    let result = h.send(&[ix], &[&stranger.keypair]).await;
    h.assert_rejected(
        result,
        BallastError::NotObligationOwner,
        &[&owner, &stranger],
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_deposit_from_a_token_account_of_another_mint_is_refused() {
    let mut h = Harness::new().await;
    let user = h.funded_user(BTC, 1_000).await;
    let before = h.snapshot_users(&[&user]).await;
    let ix = client::deposit(
        &user.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &user.obligation,
        &user.tokens[BTC],
        1_000,
    );
    let result = h.send(&[ix], &[&user.keypair]).await;
    h.assert_rejected(result, BallastError::WrongMint, &[&user], &before)
        .await;
}

#[tokio::test]
async fn a_deposit_naming_another_reserves_mint_vault_or_token_program_is_refused() {
    let mut h = Harness::new().await;
    let user = h.funded_user(USDC, 1_000).await;
    let usdc = h.assets[USDC].keys;
    let btc = h.assets[BTC].keys;
    let cases = [
        (
            client::ReserveKeys {
                mint: btc.mint,
                ..usdc
            },
            BallastError::WrongMint,
        ),
        (
            client::ReserveKeys {
                liquidity_vault: btc.liquidity_vault,
                ..usdc
            },
            BallastError::WrongVault,
        ),
        (
            client::ReserveKeys {
                liquidity_vault: usdc.fund_vault,
                ..usdc
            },
            BallastError::WrongVault,
        ),
        (
            client::ReserveKeys {
                token_program: spl_token_2022::ID,
                ..usdc
            },
            BallastError::WrongTokenProgram,
        ),
    ];
    for (keys, error) in cases {
        let before = h.snapshot_users(&[&user]).await;
        let ix = client::deposit(
            &user.pubkey(),
            &h.market,
            &keys,
            &user.obligation,
            &user.tokens[USDC],
            1_000,
        );
        let result = h.send(&[ix], &[&user.keypair]).await;
        h.assert_rejected(result, error, &[&user], &before).await;
    }
}

#[tokio::test]
async fn a_deposit_into_another_markets_reserve_is_refused() {
    let mut h = Harness::new().await;
    let foreign = foreign_market(&mut h).await;
    let user = h.funded_user(USDC, 1_000).await;
    let extra = foreign.accounts();
    let before = snapshot(&mut h, &[&user], &extra).await;
    // This market, the other market's reserve.
    let ix = client::deposit(
        &user.pubkey(),
        &h.market,
        &foreign.usdc,
        &user.obligation,
        &user.tokens[USDC],
        1_000,
    );
    untouched(&[&user], &extra, &before)
        .refuses(&mut h, ix, &user, BallastError::WrongMarket)
        .await;
    // The other market with its own reserve, but this market's obligation.
    let ix = client::deposit(
        &user.pubkey(),
        &foreign.market,
        &foreign.usdc,
        &user.obligation,
        &user.tokens[USDC],
        1_000,
    );
    untouched(&[&user], &extra, &before)
        .refuses(&mut h, ix, &user, BallastError::WrongMarket)
        .await;
}

// ----- withdraw ---------------------------------------------------------------------------

#[tokio::test]
async fn a_partial_then_a_full_withdrawal_return_every_unit_and_burn_every_share() {
    let mut h = Harness::new().await;
    let user = h.lender(BTC, 3 * ONE_BTC).await;
    let vault = h.assets[BTC].keys.liquidity_vault;
    h.withdraw(&user, BTC, 12_345_678).await.unwrap();
    assert_eq!(h.balance(&user.tokens[BTC]).await, 12_345_678);
    assert_eq!(h.balance(&vault).await, 3 * ONE_BTC - 12_345_678);
    let obligation = h.obligation(&user.obligation).await;
    assert_eq!(
        obligation.deposit(&reserve_key(&h, BTC)).unwrap().shares,
        u128::from(3 * ONE_BTC - 12_345_678) * SHARES_PER_UNIT
    );
    h.withdraw(&user, BTC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&user.tokens[BTC]).await, 3 * ONE_BTC);
    assert_eq!(h.balance(&vault).await, 0);
    assert!(h.obligation(&user.obligation).await.is_empty());
    let reserve = h.reserve(BTC).await;
    assert_eq!((reserve.total_shares, reserve.available_liquidity), (0, 0));
}

#[tokio::test]
async fn a_withdrawal_without_debt_reads_no_price() {
    let mut h = Harness::new().await;
    let user = h.lender(SOL, ONE_SOL).await;
    break_every_oracle(&mut h);
    h.advance(365 * 86_400);
    h.withdraw_with(&user, SOL, ONE_SOL / 2, vec![])
        .await
        .unwrap();
    h.withdraw_with(&user, SOL, u64::MAX, vec![]).await.unwrap();
    assert_eq!(h.balance(&user.tokens[SOL]).await, ONE_SOL);
}

#[tokio::test]
async fn a_zero_withdrawal_is_refused_and_changes_nothing() {
    let mut h = Harness::new().await;
    let user = h.lender(USDC, 1_000).await;
    let before = h.snapshot_users(&[&user]).await;
    let result = h.withdraw(&user, USDC, 0).await;
    h.assert_rejected(result, BallastError::ZeroAmount, &[&user], &before)
        .await;
}

#[tokio::test]
async fn withdrawing_more_than_the_deposit_is_refused() {
    let mut h = Harness::new().await;
    let user = h.lender(USDC, 1_000).await;
    let _other = h.lender(USDC, 5_000).await;
    let before = h.snapshot_users(&[&user]).await;
    let result = h.withdraw(&user, USDC, 1_001).await;
    h.assert_rejected(
        result,
        BallastError::WithdrawExceedsDeposit,
        &[&user],
        &before,
    )
    .await;
    // An overflow-sized request other than "all" is refused the same way.
    let result = h.withdraw(&user, USDC, u64::MAX - 1).await;
    h.assert_rejected(
        result,
        BallastError::WithdrawExceedsDeposit,
        &[&user],
        &before,
    )
    .await;
}

#[tokio::test]
async fn withdrawing_from_a_reserve_without_a_deposit_is_refused() {
    let mut h = Harness::new().await;
    let user = h.lender(USDC, 1_000).await;
    let before = h.snapshot_users(&[&user]).await;
    let result = h.withdraw(&user, BTC, 1).await;
    h.assert_rejected(result, BallastError::NoDepositInReserve, &[&user], &before)
        .await;
}

#[tokio::test]
async fn a_withdrawal_beyond_free_liquidity_is_refused() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, USDC_10K).await;
    let borrower = btc_holder(&mut h).await;
    h.borrow(&borrower, USDC, 9_000_000_000).await.unwrap();
    let before = h.snapshot_users(&[&lender]).await;
    let result = h.withdraw(&lender, USDC, 1_000_000_001).await;
    h.assert_rejected(
        result,
        BallastError::InsufficientLiquidity,
        &[&lender],
        &before,
    )
    .await;
    let result = h.withdraw(&lender, USDC, u64::MAX).await;
    h.assert_rejected(
        result,
        BallastError::InsufficientLiquidity,
        &[&lender],
        &before,
    )
    .await;
    h.withdraw(&lender, USDC, 1_000_000_000).await.unwrap();
    assert_eq!(h.balance(&lender.tokens[USDC]).await, 1_000_000_000);
}

#[tokio::test]
async fn a_withdrawal_while_paused_is_refused() {
    let mut h = Harness::new().await;
    let user = h.lender(USDC, 1_000).await;
    let risk = h.risk_authority.insecure_clone();
    h.update_market(
        &risk,
        MarketUpdate::SetPauseFlags {
            pause_flags: PAUSE_WITHDRAW,
        },
    )
    .await
    .unwrap();
    let before = h.snapshot_users(&[&user]).await;
    let result = h.withdraw(&user, USDC, u64::MAX).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&user], &before)
        .await;
}

#[tokio::test]
async fn only_the_owner_can_withdraw_and_only_to_an_account_of_the_mint() {
    let mut h = Harness::new().await;
    let owner = h.lender(USDC, 1_000).await;
    let thief = h.user().await;
    let usdc = h.assets[USDC].keys;
    let before = h.snapshot_users(&[&owner, &thief]).await;
    let ix = client::withdraw(
        &thief.pubkey(),
        &h.market,
        &usdc,
        &owner.obligation,
        &thief.tokens[USDC],
        1_000,
        vec![],
    );
    let result = h.send(&[ix], &[&thief.keypair]).await;
    h.assert_rejected(
        result,
        BallastError::NotObligationOwner,
        &[&owner, &thief],
        &before,
    )
    .await;
    let ix = client::withdraw(
        &owner.pubkey(),
        &h.market,
        &usdc,
        &owner.obligation,
        &owner.tokens[BTC],
        1_000,
        vec![],
    );
    let result = h.send(&[ix], &[&owner.keypair]).await;
    h.assert_rejected(result, BallastError::WrongMint, &[&owner, &thief], &before)
        .await;
}

#[tokio::test]
async fn a_withdrawal_through_another_markets_reserve_is_refused() {
    let mut h = Harness::new().await;
    let foreign = foreign_market(&mut h).await;
    let user = h.lender(USDC, 1_000).await;
    let extra = foreign.accounts();
    let before = snapshot(&mut h, &[&user], &extra).await;
    for market in [h.market, foreign.market] {
        let ix = client::withdraw(
            &user.pubkey(),
            &market,
            &foreign.usdc,
            &user.obligation,
            &user.tokens[USDC],
            1_000,
            vec![],
        );
        untouched(&[&user], &extra, &before)
            .refuses(&mut h, ix, &user, BallastError::WrongMarket)
            .await;
    }
}

/// A borrower with one BTC of collateral and 30 000 USDC of debt (limit ≈ $44 955).
async fn indebted(h: &mut Harness) -> User {
    indebted_with_lender(h).await.1
}

/// The USDC lender (100 000 USDC) and the borrower of `indebted`.
async fn indebted_with_lender(h: &mut Harness) -> (User, User) {
    let lender = h.lender(USDC, 10 * USDC_10K).await;
    let borrower = btc_holder(h).await;
    h.borrow(&borrower, USDC, 30_000_000_000).await.unwrap();
    (lender, borrower)
}

#[tokio::test]
async fn a_withdrawal_with_debt_is_allowed_within_the_borrow_limit_and_refused_beyond_it() {
    let mut h = Harness::new().await;
    let borrower = indebted(&mut h).await;
    // Strict collateral price 59 940 × 75 % per BTC; debt 30 000 × 1.001 = 30 030.
    // Needed collateral: 30 030 / 44 955 BTC = 0.668 001 334 BTC, so 33 199 866 units may go.
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.withdraw(&borrower, BTC, 33_199_867).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
    let result = h.withdraw(&borrower, BTC, u64::MAX).await;
    h.assert_rejected(
        result,
        BallastError::BorrowLimitExceeded,
        &[&borrower],
        &before,
    )
    .await;
    h.withdraw(&borrower, BTC, 33_199_866).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[BTC]).await, 33_199_866);
    assert_eq!(
        h.reserve(BTC).await.available_liquidity,
        ONE_BTC - 33_199_866
    );
}

/// Withdrawal with debt under a broken oracle: refused with `error`, nothing changed.
async fn assert_withdrawal_refused_by_oracle(
    h: &mut Harness,
    borrower: &User,
    remaining: Option<Vec<AccountMeta>>,
    error: BallastError,
) {
    let before = h.snapshot_users(&[borrower]).await;
    let remaining = match remaining {
        Some(remaining) => remaining,
        None => remaining_now(h, borrower).await,
    };
    let result = h.withdraw_with(borrower, BTC, 1, remaining).await;
    h.assert_rejected(result, error, &[borrower], &before).await;
}

#[tokio::test]
async fn a_withdrawal_with_debt_under_a_stale_price_is_refused() {
    let mut h = Harness::new().await;
    let borrower = indebted(&mut h).await;
    h.advance(61);
    assert_withdrawal_refused_by_oracle(&mut h, &borrower, None, BallastError::OracleStale).await;
    // Only the debt's feed stale is enough.
    h.refresh_prices();
    tamper(&mut h, USDC, |feed| feed.publish_time -= 61);
    assert_withdrawal_refused_by_oracle(&mut h, &borrower, None, BallastError::OracleStale).await;
    // At exactly the limit it passes.
    tamper(&mut h, USDC, |feed| feed.publish_time += 1);
    h.withdraw(&borrower, BTC, 1).await.unwrap();
}

#[tokio::test]
async fn a_withdrawal_with_debt_under_a_non_trading_price_is_refused() {
    let mut h = Harness::new().await;
    let borrower = indebted(&mut h).await;
    tamper(&mut h, BTC, |feed| feed.status = 2);
    assert_withdrawal_refused_by_oracle(&mut h, &borrower, None, BallastError::OracleNotTrading)
        .await;
}

#[tokio::test]
async fn a_withdrawal_with_debt_under_an_oracle_of_the_wrong_owner_is_refused() {
    let mut h = Harness::new().await;
    let borrower = indebted(&mut h).await;
    give_oracle_to_a_stranger(&mut h, BTC);
    assert_withdrawal_refused_by_oracle(&mut h, &borrower, None, BallastError::OracleWrongOwner)
        .await;
}

#[tokio::test]
async fn a_withdrawal_with_debt_naming_another_feed_is_refused() {
    let mut h = Harness::new().await;
    let borrower = indebted(&mut h).await;
    let mut remaining = remaining_now(&mut h, &borrower).await;
    // The BTC position priced by the USDC feed.
    remaining[1].pubkey = h.assets[USDC].keys.oracle;
    assert_withdrawal_refused_by_oracle(
        &mut h,
        &borrower,
        Some(remaining),
        BallastError::OracleWrongAccount,
    )
    .await;
}

#[tokio::test]
async fn a_withdrawal_with_debt_and_no_remaining_accounts_is_refused() {
    let mut h = Harness::new().await;
    let borrower = indebted(&mut h).await;
    assert_withdrawal_refused_by_oracle(
        &mut h,
        &borrower,
        Some(vec![]),
        BallastError::InvalidRemainingAccounts,
    )
    .await;
}

#[tokio::test]
async fn a_whole_deposit_can_be_withdrawn_while_in_debt_when_the_rest_covers_the_debt() {
    // Regression: the program checked the remaining accounts against the obligation after the
    // slot closed, so the documented list (the obligation as read) was refused.
    let mut h = Harness::new().await;
    let (lender, borrower) = indebted_with_lender(&mut h).await;
    h.mint_to(SOL, &borrower.tokens[SOL], ONE_SOL).await;
    h.deposit(&borrower, SOL, ONE_SOL).await.unwrap();
    h.withdraw(&borrower, SOL, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[SOL]).await, ONE_SOL);
    let obligation = h.obligation(&borrower.obligation).await;
    assert!(obligation.deposit(&reserve_key(&h, SOL)).is_none());
    assert!(obligation.has_debt());
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
}

#[tokio::test]
async fn a_token_2022_reserve_takes_and_returns_every_unit() {
    let mut assets = default_assets();
    assets[USDC].token_2022 = true;
    let mut h = Harness::with_assets(&assets, |_, _| {}).await;
    let usdc = h.assets[USDC].keys;
    assert_eq!(h.reserve(USDC).await.token_program, spl_token_2022::ID);
    let lender = h.lender(USDC, 50_000_000_000).await;
    assert_eq!(h.balance(&usdc.liquidity_vault).await, 50_000_000_000);
    let borrower = btc_holder(&mut h).await;
    h.borrow(&borrower, USDC, 7_654_321).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, 7_654_321);
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, 0);
    h.withdraw(&lender, USDC, u64::MAX).await.unwrap();
    assert_eq!(h.balance(&lender.tokens[USDC]).await, 50_000_000_000);
    assert_eq!(h.balance(&usdc.liquidity_vault).await, 0);

    // The classic token program is not this reserve's.
    let before = h.snapshot_users(&[&lender]).await;
    let ix = client::deposit(
        &lender.pubkey(),
        &h.market,
        &client::ReserveKeys {
            token_program: anchor_spl::token::spl_token::ID,
            ..usdc
        },
        &lender.obligation,
        &lender.tokens[USDC],
        1_000,
    );
    let result = h.send(&[ix], &[&lender.keypair]).await;
    h.assert_rejected(result, BallastError::WrongTokenProgram, &[&lender], &before)
        .await;
}

#[tokio::test]
async fn accrued_interest_counts_toward_the_supply_cap() {
    // Cap: 100 500 USDC. Supplied: 100 000, of which 30 000 borrowed at 2.5 %.
    let mut h = Harness::with_assets(&default_assets(), |index, config| {
        if index == USDC {
            config.supply_cap = 100_500_000_000;
            config.borrow_cap = 100_500_000_000;
        }
    })
    .await;
    let (_lender, _borrower) = indebted_with_lender(&mut h).await;
    let saver = h.funded_user(USDC, 1_000_000_000).await;
    h.deposit(&saver, USDC, 100_000_000).await.unwrap();
    // A year later about 759 USDC of interest has joined the supply: 100 859 > 100 500.
    h.advance(365 * 86_400);
    let before = h.snapshot_users(&[&saver]).await;
    let result = h.deposit(&saver, USDC, 1).await;
    h.assert_rejected(result, BallastError::SupplyCapExceeded, &[&saver], &before)
        .await;
}

#[tokio::test]
async fn withdrawing_all_of_a_position_worth_less_than_a_unit_empties_the_slot() {
    // Regression: once interest has raised the share price, a one-unit deposit mints shares
    // worth a little under one unit. "Withdraw all" then paid zero and was refused with
    // `ZeroAmount`, and no partial withdrawal fits either: the slot could never be emptied and
    // the obligation never closed.
    let mut h = Harness::new().await;
    let (_lender, _borrower) = indebted_with_lender(&mut h).await;
    h.advance(365 * 86_400);
    let user = h.lender(USDC, 1).await;
    let reserve = h.reserve(USDC).await;
    let shares = h
        .obligation(&user.obligation)
        .await
        .deposit(&reserve_key(&h, USDC))
        .unwrap()
        .shares;
    assert_eq!(
        reserve.tokens_for_shares(shares).unwrap(),
        0,
        "dust position"
    );
    let total_shares = reserve.total_shares;

    h.withdraw(&user, USDC, u64::MAX).await.unwrap();
    assert_eq!(
        h.balance(&user.tokens[USDC]).await,
        0,
        "the dust stays in the pool"
    );
    assert!(h.obligation(&user.obligation).await.is_empty());
    assert_eq!(h.reserve(USDC).await.total_shares, total_shares - shares);
    h.send(
        &[client::close_obligation(&user.pubkey(), &user.obligation)],
        &[&user.keypair],
    )
    .await
    .unwrap();
}
