//! `init_obligation` and `close_obligation`, and the fixed deposit and borrow slot capacity.

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast::state::{MAX_BORROWS, MAX_DEPOSITS};
use ballast_client as client;
use ballast_tests::fixture::*;
use solana_sdk::signature::{Keypair, Signer};

use super::common::*;

#[tokio::test]
async fn an_obligation_opens_empty_for_its_owner_and_one_wallet_may_hold_several() {
    let mut h = Harness::new().await;
    let user = h.user().await;
    let first = h.obligation(&user.obligation).await;
    assert_eq!(first.market, h.market);
    assert_eq!(first.owner, user.pubkey());
    assert_eq!(first.index, 0);
    assert!(first.is_empty());
    assert_eq!(first.deposits.len(), MAX_DEPOSITS);
    assert_eq!(first.borrows.len(), MAX_BORROWS);

    let market = h.market;
    h.send(
        &[client::init_obligation(&user.pubkey(), &market, 1)],
        &[&user.keypair],
    )
    .await
    .unwrap();
    let second_address = client::obligation_address(&market, &user.pubkey(), 1);
    assert_ne!(second_address, user.obligation);
    let second = h.obligation(&second_address).await;
    assert_eq!((second.owner, second.index), (user.pubkey(), 1));
    assert!(second.is_empty());
}

#[tokio::test]
async fn the_same_obligation_cannot_be_opened_twice() {
    let mut h = Harness::new().await;
    let user = h.user().await;
    let before = h.snapshot_users(&[&user]).await;
    let market = h.market;
    let result = h
        .send(
            &[client::init_obligation(&user.pubkey(), &market, 0)],
            &[&user.keypair],
        )
        .await;
    assert_refused(
        &mut h,
        result,
        already_initialized(),
        &[&user],
        &[],
        &before,
    )
    .await;
}

#[tokio::test]
async fn an_empty_obligation_closes_and_its_rent_returns_to_the_owner() {
    let mut h = Harness::new().await;
    let user = h.funded_user(USDC, 1_000_000).await;
    // Used and emptied again: a closed position leaves nothing behind.
    h.deposit(&user, USDC, 1_000_000).await.unwrap();
    h.withdraw(&user, USDC, u64::MAX).await.unwrap();
    let rent = lamports(&mut h, &user.obligation).await;
    assert!(rent > 0);
    let wallet = lamports(&mut h, &user.pubkey()).await;
    h.send(
        &[client::close_obligation(&user.pubkey(), &user.obligation)],
        &[&user.keypair],
    )
    .await
    .unwrap();
    assert!(h.account(&user.obligation).await.is_none());
    assert_eq!(lamports(&mut h, &user.pubkey()).await, wallet + rent);
}

#[tokio::test]
async fn an_obligation_holding_a_deposit_or_a_debt_cannot_be_closed() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, USDC_10K).await;
    let user = btc_holder(&mut h).await;
    let close = client::close_obligation(&user.pubkey(), &user.obligation);
    let before = h.snapshot_users(&[&user]).await;
    let result = h.send(std::slice::from_ref(&close), &[&user.keypair]).await;
    h.assert_rejected(result, BallastError::ObligationNotEmpty, &[&user], &before)
        .await;

    h.borrow(&user, USDC, 1_000_000).await.unwrap();
    let before = h.snapshot_users(&[&user]).await;
    let result = h.send(&[close], &[&user.keypair]).await;
    h.assert_rejected(result, BallastError::ObligationNotEmpty, &[&user], &before)
        .await;
}

#[tokio::test]
async fn only_the_owner_can_close_an_obligation() {
    let mut h = Harness::new().await;
    let user = h.user().await;
    let thief = h.user().await;
    let before = h.snapshot_users(&[&user, &thief]).await;
    let result = h
        .send(
            &[client::close_obligation(&thief.pubkey(), &user.obligation)],
            &[&thief.keypair],
        )
        .await;
    h.assert_rejected(
        result,
        BallastError::NotObligationOwner,
        &[&user, &thief],
        &before,
    )
    .await;
}

fn six_assets() -> Vec<AssetSpec> {
    const SYMBOLS: [&str; 6] = ["A0", "A1", "A2", "A3", "A4", "A5"];
    SYMBOLS
        .iter()
        .map(|symbol| AssetSpec {
            symbol,
            decimals: 6,
            price: 1.0,
            pull_oracle: false,
            token_2022: false,
        })
        .collect()
}

#[tokio::test]
async fn a_sixth_deposit_reserve_is_refused_until_a_slot_frees_up() {
    let mut h = Harness::with_assets(&six_assets(), |_, _| {}).await;
    let user = h.user().await;
    for index in 0..6 {
        h.mint_to(index, &user.tokens[index], 2_000_000).await;
    }
    for index in 0..MAX_DEPOSITS {
        h.deposit(&user, index, 1_000_000).await.unwrap();
    }
    let before = h.snapshot_users(&[&user]).await;
    let result = h.deposit(&user, 5, 1_000_000).await;
    h.assert_rejected(result, BallastError::DepositSlotsFull, &[&user], &before)
        .await;
    // Adding to an existing position still works.
    h.deposit(&user, 4, 1_000_000).await.unwrap();

    // Emptying the first slot shifts the others down and frees the last one.
    h.withdraw(&user, 0, u64::MAX).await.unwrap();
    let obligation = h.obligation(&user.obligation).await;
    let reserves: Vec<Pubkey> = obligation.active_deposits().map(|d| d.reserve).collect();
    let expected: Vec<Pubkey> = (1..5).map(|i| h.assets[i].keys.reserve).collect();
    assert_eq!(reserves, expected);
    assert_eq!(obligation.deposits[4].reserve, Pubkey::default());
    h.deposit(&user, 5, 1_000_000).await.unwrap();
    let obligation = h.obligation(&user.obligation).await;
    assert_eq!(obligation.deposits[4].reserve, h.assets[5].keys.reserve);
    assert_eq!(obligation.deposits[4].shares, 1_000_000 * SHARES_PER_UNIT);
    let all: Vec<Pubkey> = vec![user.obligation];
    h.check_invariants(&all).await;
}

#[tokio::test]
async fn a_fourth_borrow_reserve_is_refused() {
    let mut h = Harness::with_assets(&six_assets(), |_, _| {}).await;
    let lender = h.user().await;
    for index in 1..5 {
        h.mint_to(index, &lender.tokens[index], 1_000_000_000).await;
        h.deposit(&lender, index, 1_000_000_000).await.unwrap();
    }
    let borrower = h.lender(0, 1_000_000_000).await;
    for index in 1..=MAX_BORROWS {
        h.borrow(&borrower, index, 1_000_000).await.unwrap();
    }
    let before = h.snapshot_users(&[&borrower]).await;
    // The canonical list can name only the three reserves the obligation can hold.
    let mut remaining = remaining_now(&mut h, &borrower).await;
    remaining.extend(pair(&h, 4));
    let result = h.borrow_with(&borrower, 4, 1_000_000, remaining).await;
    h.assert_rejected(result, BallastError::BorrowSlotsFull, &[&borrower], &before)
        .await;
    h.check_invariants(&[borrower.obligation, lender.obligation])
        .await;
}

#[tokio::test]
async fn a_stranger_cannot_open_an_obligation_in_someone_elses_name() {
    let mut h = Harness::new().await;
    let victim = Keypair::new();
    let attacker = h.user().await;
    let market = h.market;
    // The obligation address is derived from the signer: naming the victim's address fails
    // the seeds check.
    let mut ix = client::init_obligation(&attacker.pubkey(), &market, 3);
    ix.accounts[2].pubkey = client::obligation_address(&market, &victim.pubkey(), 3);
    let result = h.send(&[ix], &[&attacker.keypair]).await;
    assert_eq!(
        result,
        Err(anchor_error(anchor_lang::error::ErrorCode::ConstraintSeeds))
    );
    assert!(h
        .account(&client::obligation_address(&market, &victim.pubkey(), 3))
        .await
        .is_none());
}

#[tokio::test]
async fn a_closed_obligation_can_be_opened_again_empty() {
    let mut h = Harness::new().await;
    let user = h.lender(USDC, 1_000).await;
    h.withdraw(&user, USDC, u64::MAX).await.unwrap();
    h.send(
        &[client::close_obligation(&user.pubkey(), &user.obligation)],
        &[&user.keypair],
    )
    .await
    .unwrap();
    let market = h.market;
    h.send(
        &[client::init_obligation(&user.pubkey(), &market, 0)],
        &[&user.keypair],
    )
    .await
    .unwrap();
    let obligation = h.obligation(&user.obligation).await;
    assert!(obligation.is_empty());
    assert_eq!(obligation.owner, user.pubkey());
}
