//! The fullest obligation (every deposit and borrow slot used, each in its own reserve) must
//! still be liquidatable, bad debt realized over all its borrows, in one legacy transaction.

use ballast::math::WAD;
use ballast::state::{MAX_BORROWS, MAX_DEPOSITS};
use ballast_client::{self as client, LiquidationAccounts};
use ballast_tests::fixture::*;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::transaction::Transaction;

use super::common::*;

/// Largest serialized transaction the network accepts (`PACKET_DATA_SIZE`).
const MAX_TRANSACTION_BYTES: usize = 1_232;
/// Bytes one more position would add: a reserve and an oracle key, and their two indices in
/// the instruction's account list.
const BYTES_PER_POSITION: usize = 2 * 32 + 2;

/// `MAX_DEPOSITS` collateral assets then `MAX_BORROWS` debt assets, all at $1 with 6 decimals;
/// the first collateral is a Token-2022 mint so that the two reserves of the liquidation use
/// different token programs (one more account: the worst case).
fn full_obligation_assets() -> Vec<AssetSpec> {
    const NAMES: [&str; 16] = [
        "C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "D0", "D1", "D2", "D3", "D4", "D5", "D6",
        "D7",
    ];
    let collateral = (0..MAX_DEPOSITS).map(|i| AssetSpec {
        symbol: NAMES[i],
        decimals: 6,
        price: 1.0,
        pull_oracle: i % 2 == 1,
        token_2022: i == 0,
    });
    let debt = (0..MAX_BORROWS).map(|i| AssetSpec {
        symbol: NAMES[8 + i],
        decimals: 6,
        price: 1.0,
        pull_oracle: i % 2 == 1,
        token_2022: false,
    });
    collateral.chain(debt).collect()
}

/// Serialized size of a legacy transaction: a compact-u16 signature count (one byte below
/// 128), 64 bytes per signature, the message.
fn wire_size(transaction: &Transaction) -> usize {
    1 + 64 * transaction.signatures.len() + transaction.message_data().len()
}

#[tokio::test]
async fn the_fullest_obligation_liquidates_with_bad_debt_in_one_legacy_transaction() {
    let specs = full_obligation_assets();
    let mut h = Harness::with_assets(&specs, |_, _| {}).await;
    let collateral: Vec<usize> = (0..MAX_DEPOSITS).collect();
    let debts: Vec<usize> = (MAX_DEPOSITS..MAX_DEPOSITS + MAX_BORROWS).collect();
    let lender = h.user().await;
    for &asset in &debts {
        h.mint_to(asset, &lender.tokens[asset], 1_000_000 * USDC_UNIT)
            .await;
        h.deposit(&lender, asset, 1_000_000 * USDC_UNIT)
            .await
            .unwrap();
    }
    // 1 000 of each collateral ($5 000), 1 000 of each debt asset borrowed ($3 000).
    let borrower = h.user().await;
    for &asset in &collateral {
        h.mint_to(asset, &borrower.tokens[asset], 1_000 * USDC_UNIT)
            .await;
        h.deposit(&borrower, asset, 1_000 * USDC_UNIT)
            .await
            .unwrap();
    }
    for &asset in &debts {
        h.borrow(&borrower, asset, 1_000 * USDC_UNIT).await.unwrap();
    }
    let state = h.obligation(&borrower.obligation).await;
    assert_eq!(state.active_deposits().count(), MAX_DEPOSITS);
    assert_eq!(state.active_borrows().count(), MAX_BORROWS);
    assert_eq!(state.position_reserves().len(), MAX_DEPOSITS + MAX_BORROWS);

    // Every collateral but the first crashes to dust; the first keeps $1 000 against $3 000.
    for &asset in &collateral[1..] {
        set_price_mantissa(&mut h, asset, 1);
    }
    let liquidator = h.user().await;
    let (repay, seize) = (debts[0], collateral[0]);
    h.mint_to(repay, &liquidator.tokens[repay], 10_000 * USDC_UNIT)
        .await;

    // The liquidator's own legacy transaction: a compute-budget instruction and the
    // liquidation, one signer who also pays the fee.
    let remaining = h.remaining(&state, true);
    let accounts = LiquidationAccounts {
        liquidator: liquidator.pubkey(),
        market: h.market,
        obligation: borrower.obligation,
        repay_source: liquidator.tokens[repay],
        collateral_destination: Some(liquidator.tokens[seize]),
        liquidator_obligation: None,
    };
    let liquidate = client::liquidate(
        &accounts,
        &h.assets[repay].keys,
        &h.assets[seize].keys,
        args(u64::MAX),
        remaining,
    );
    let instructions = [
        ComputeBudgetInstruction::set_compute_unit_limit(1_400_000),
        liquidate,
    ];
    h.refresh_blockhash().await;
    let blockhash = h.bank().last_blockhash;
    let transaction = Transaction::new_signed_with_payer(
        &instructions,
        Some(&liquidator.pubkey()),
        &[&liquidator.keypair],
        blockhash,
    );
    let signatures = transaction.signatures.len();
    let size = wire_size(&transaction);
    let accounts_in_message = transaction.message.account_keys.len();
    assert_eq!(signatures, 1);
    assert!(size <= MAX_TRANSACTION_BYTES, "{size} bytes");
    // Taking shares instead names the liquidator's obligation too: one account more.
    let mut shares_mode = instructions.clone();
    shares_mode[1] = client::liquidate(
        &LiquidationAccounts {
            liquidator_obligation: Some(liquidator.obligation),
            ..accounts
        },
        &h.assets[repay].keys,
        &h.assets[seize].keys,
        args(u64::MAX),
        h.remaining(&state, true),
    );
    let shares_size = wire_size(&Transaction::new_signed_with_payer(
        &shares_mode,
        Some(&liquidator.pubkey()),
        &[&liquidator.keypair],
        blockhash,
    ));
    assert!(shares_size <= MAX_TRANSACTION_BYTES, "{shares_size} bytes");
    println!(
        "fullest obligation ({MAX_DEPOSITS} deposits + {MAX_BORROWS} borrows): liquidation with \
         bad debt over every borrow is {size} bytes taking tokens ({accounts_in_message} \
         accounts, {} in the instruction), {shares_size} bytes taking shares, of \
         {MAX_TRANSACTION_BYTES}; room for {} more positions",
        instructions[1].accounts.len(),
        (MAX_TRANSACTION_BYTES - shares_size) / BYTES_PER_POSITION
    );

    // And it executes: the last collateral of value is taken, every borrow is written off.
    h.bank()
        .banks_client
        .process_transaction(transaction)
        .await
        .unwrap();
    // All 1 000 C0 for ⌈1 000 / 1.02⌉ = 980.392157 D0; 2 % × 20 % / 1.02 of it is the fee.
    assert_eq!(
        h.balance(&liquidator.tokens[repay]).await,
        10_000 * USDC_UNIT - 980_392_157
    );
    assert_eq!(
        h.balance(&liquidator.tokens[seize]).await,
        1_000 * USDC_UNIT - 3_921_569
    );
    assert!(h.obligation(&borrower.obligation).await.is_empty());
    let written_off = [
        1_000 * USDC_UNIT - 980_392_157,
        1_000 * USDC_UNIT,
        1_000 * USDC_UNIT,
    ];
    for (&asset, loss) in debts.iter().zip(written_off) {
        let reserve = h.reserve(asset).await;
        assert_eq!(reserve.total_scaled_debt, 0);
        assert_eq!(reserve.cumulative_socialized_wad, u128::from(loss) * WAD);
    }
    for &asset in &collateral[1..] {
        let reserve = h.reserve(asset).await;
        assert_eq!(reserve.total_shares, 0);
        assert_eq!(
            reserve.pending_insurance_wad,
            u128::from(1_000 * USDC_UNIT) * WAD
        );
    }
    h.check_invariants(&[
        lender.obligation,
        borrower.obligation,
        liquidator.obligation,
    ])
    .await;
}
