//! `flash_borrow` / `flash_repay`: the happy path to the token unit, the books while a loan is
//! open, and every malformed flash loan refused by name with nothing changed.

use anchor_lang::prelude::AccountMeta;
use anchor_lang::solana_program::instruction::error::InstructionError;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::errors::BallastError;
use ballast::instructions::ReserveUpdate;
use ballast::math::WAD;
use ballast::state::PAUSE_FLASH_LOAN;
use ballast_client as client;
use ballast_tests::fixture::*;
use solana_sdk::transaction::TransactionError;

use super::common::*;

/// 100 000 USDC supplied; `user` holds 1 000 USDC for fees.
async fn market_with_a_lender() -> (Harness, User, User) {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, 10 * USDC_10K).await;
    let user = h.funded_user(USDC, USDC_10K / 10).await;
    (h, lender, user)
}

fn borrow_ix(h: &Harness, user: &User, index: usize, amount: u64) -> Instruction {
    client::flash_borrow(
        &user.pubkey(),
        &h.market,
        &h.assets[index].keys,
        &user.tokens[index],
        amount,
    )
}

fn repay_ix(h: &Harness, user: &User, index: usize, amount: u64) -> Instruction {
    client::flash_repay(
        &user.pubkey(),
        &h.market,
        &h.assets[index].keys,
        &user.tokens[index],
        amount,
    )
}

/// What a flash loan of `amount` of asset `index` must repay.
async fn due(h: &mut Harness, index: usize, amount: u64) -> u64 {
    let reserve = h.reserve(index).await;
    client::flash_repay_amount(&reserve.config, amount).unwrap()
}

/// The error of the `position`-th instruction we sent (the harness puts a compute-budget
/// instruction first).
fn failed_at(position: usize, error: BallastError) -> TransactionError {
    TransactionError::InstructionError(
        u8::try_from(position + 1).unwrap(),
        InstructionError::Custom(error.into()),
    )
}

/// Sends `instructions` signed by `user`; asserts the error at `position` and that no account
/// of the market or the users changed.
async fn refused(
    h: &mut Harness,
    users: &[&User],
    instructions: &[Instruction],
    position: usize,
    error: BallastError,
) {
    let before = h.snapshot_users(users).await;
    let signers: Vec<&solana_sdk::signature::Keypair> = users.iter().map(|u| &u.keypair).collect();
    let result = h.send(instructions, &signers).await;
    assert_eq!(
        result,
        Err(failed_at(position, error)),
        "expected {error:?}"
    );
    assert_eq!(
        h.snapshot_users(users).await,
        before,
        "a refused flash loan changed an account"
    );
}

#[tokio::test]
async fn a_flash_loan_repaid_with_its_fee_leaves_the_fee_split_between_fund_and_fees() {
    let (mut h, lender, user) = market_with_a_lender().await;
    let keys = h.assets[USDC].keys;
    let amount = 5 * USDC_10K;
    let repay = due(&mut h, USDC, amount).await;
    // 9 bps of 50 000 USDC: 45 USDC; insurance 5 % and reserve factor 10 %: a third to the fund.
    assert_eq!(repay - amount, 45_000_000);
    let before = h.reserve(USDC).await;
    let user_before = h.balance(&user.tokens[USDC]).await;
    let vault_before = h.balance(&keys.liquidity_vault).await;

    h.send(
        &[
            borrow_ix(&h, &user, USDC, amount),
            repay_ix(&h, &user, USDC, repay),
        ],
        &[&user.keypair],
    )
    .await
    .expect("a flash loan with its repay");

    assert_eq!(
        h.balance(&user.tokens[USDC]).await,
        user_before - 45_000_000
    );
    assert_eq!(
        h.balance(&keys.liquidity_vault).await,
        vault_before + 45_000_000
    );
    let after = h.reserve(USDC).await;
    assert_eq!(
        after.available_liquidity,
        before.available_liquidity + 45_000_000
    );
    assert_eq!(
        after.pending_insurance_wad,
        before.pending_insurance_wad + 15_000_000 * WAD
    );
    assert_eq!(
        after.protocol_fees_wad,
        before.protocol_fees_wad + 30_000_000 * WAD
    );
    assert_eq!((after.flash_loan_amount, after.flash_loan_fee), (0, 0));
    assert_eq!(
        after.cumulative_flash_loan_fees,
        before.cumulative_flash_loan_fees + 45_000_000
    );
    // Interest statistics do not count the fee.
    assert_eq!(
        after.cumulative_protocol_fees_wad,
        before.cumulative_protocol_fees_wad
    );
    // Depositors neither gain nor lose: the fee is the fund's and the protocol's.
    assert_eq!(
        after.share_value_wad().unwrap(),
        before.share_value_wad().unwrap()
    );
    assert_eq!(after.total_shares, before.total_shares);

    // One unit: the fee rounds up to one unit, and it goes to the fund.
    let repay = due(&mut h, USDC, 1).await;
    assert_eq!(repay, 2);
    h.send(
        &[borrow_ix(&h, &user, USDC, 1), repay_ix(&h, &user, USDC, 2)],
        &[&user.keypair],
    )
    .await
    .unwrap();
    let last = h.reserve(USDC).await;
    assert_eq!(
        last.pending_insurance_wad,
        after.pending_insurance_wad + WAD
    );
    assert_eq!(last.protocol_fees_wad, after.protocol_fees_wad);
    h.check_invariants(&[lender.obligation, user.obligation])
        .await;
}

#[tokio::test]
async fn a_reserve_with_a_zero_fee_lends_for_nothing_and_sequential_loans_are_allowed() {
    let mut h =
        Harness::with_assets(&default_assets(), |_, config| config.flash_loan_fee_bps = 0).await;
    let _lender = h.lender(USDC, USDC_10K).await;
    let user = h.user().await;
    let before = h.reserve(USDC).await;
    // Two loans one after the other in one transaction: each closes before the next opens.
    h.send(
        &[
            borrow_ix(&h, &user, USDC, USDC_10K),
            repay_ix(&h, &user, USDC, USDC_10K),
            borrow_ix(&h, &user, USDC, USDC_10K / 2),
            repay_ix(&h, &user, USDC, USDC_10K / 2),
        ],
        &[&user.keypair],
    )
    .await
    .expect("two sequential flash loans");
    assert_eq!(h.balance(&user.tokens[USDC]).await, 0);
    let after = h.reserve(USDC).await;
    assert_eq!(after.available_liquidity, before.available_liquidity);
    assert_eq!(after.pending_insurance_wad, before.pending_insurance_wad);
}

/// Two identical markets a day after the same loan; one sees a flash loan of almost all its
/// liquidity around the deposit that accrues the day's interest.
#[tokio::test]
async fn an_open_flash_loan_moves_neither_interest_nor_the_share_price() {
    let mut twins = vec![];
    for with_flash in [false, true] {
        let (mut h, _lender, user) = market_with_a_lender().await;
        let _borrower = h.borrower(BTC, 2 * ONE_BTC, USDC, 5 * USDC_10K).await;
        h.advance_with_fresh_prices(86_400);
        h.mint_to(USDC, &user.tokens[USDC], 1_000).await;
        let deposit = client::deposit(
            &user.pubkey(),
            &h.market,
            &h.assets[USDC].keys,
            &user.obligation,
            &user.tokens[USDC],
            1_000,
        );
        let payable = h.reserve(USDC).await.available_liquidity;
        let instructions = if with_flash {
            let amount = payable - 1;
            let repay = due(&mut h, USDC, amount).await;
            vec![
                borrow_ix(&h, &user, USDC, amount),
                deposit,
                repay_ix(&h, &user, USDC, repay),
            ]
        } else {
            vec![deposit]
        };
        h.send(&instructions, &[&user.keypair]).await.unwrap();
        let reserve = h.reserve(USDC).await;
        let shares = h.obligation(&user.obligation).await.deposits[0].shares;
        twins.push((reserve, shares));
    }
    let (plain, plain_shares) = &twins[0];
    let (flashed, flashed_shares) = &twins[1];
    assert_eq!(flashed.borrow_index, plain.borrow_index, "interest");
    assert_eq!(
        flashed_shares, plain_shares,
        "shares minted for the same deposit"
    );
    assert_eq!(flashed.total_shares, plain.total_shares);
    // Only the fee separates them, and it belongs to the fund and the protocol.
    let fee = flashed.available_liquidity - plain.available_liquidity;
    assert!(fee > 0);
    assert_eq!(
        flashed.supply_assets_wad().unwrap(),
        plain.supply_assets_wad().unwrap()
    );
}

#[tokio::test]
async fn every_malformed_flash_loan_is_refused_by_name_and_changes_nothing() {
    let (mut h, lender, user) = market_with_a_lender().await;
    let amount = USDC_10K;
    let repay = due(&mut h, USDC, amount).await;
    let b = |h: &Harness| borrow_ix(h, &user, USDC, amount);

    // No repay.
    let ix = b(&h);
    refused(&mut h, &[&user], &[ix], 0, BallastError::FlashRepayMissing).await;
    // Repay short by one unit, or one unit more.
    for wrong in [repay - 1, repay + 1, amount] {
        let ixs = [b(&h), repay_ix(&h, &user, USDC, wrong)];
        refused(
            &mut h,
            &[&user],
            &ixs,
            0,
            BallastError::FlashRepayAmountMismatch,
        )
        .await;
    }
    // Repaid to another reserve: this reserve's loan has no repay.
    h.mint_to(BTC, &user.tokens[BTC], ONE_BTC).await;
    let ixs = [b(&h), repay_ix(&h, &user, BTC, repay)];
    refused(&mut h, &[&user], &ixs, 0, BallastError::FlashRepayMissing).await;
    // Repay first, then borrow.
    let ixs = [repay_ix(&h, &user, USDC, repay), b(&h)];
    refused(&mut h, &[&user], &ixs, 0, BallastError::FlashLoanNotOpen).await;
    // Two borrows and one repay; overlapping loans.
    let ixs = [b(&h), b(&h), repay_ix(&h, &user, USDC, repay)];
    refused(&mut h, &[&user], &ixs, 0, BallastError::FlashLoanNested).await;
    let ixs = [
        b(&h),
        b(&h),
        repay_ix(&h, &user, USDC, repay),
        repay_ix(&h, &user, USDC, repay),
    ];
    refused(&mut h, &[&user], &ixs, 0, BallastError::FlashLoanNested).await;
    // A repay in a later transaction: the borrow alone is refused, the repay alone too.
    let ix = b(&h);
    refused(&mut h, &[&user], &[ix], 0, BallastError::FlashRepayMissing).await;
    let ix = repay_ix(&h, &user, USDC, repay);
    refused(&mut h, &[&user], &[ix], 0, BallastError::FlashLoanNotOpen).await;
    // Zero, more than the free liquidity.
    let ixs = [borrow_ix(&h, &user, USDC, 0), repay_ix(&h, &user, USDC, 0)];
    refused(&mut h, &[&user], &ixs, 0, BallastError::ZeroAmount).await;
    let all = h.reserve(USDC).await.available_liquidity;
    let ixs = [
        borrow_ix(&h, &user, USDC, all + 1),
        repay_ix(&h, &user, USDC, u64::MAX),
    ];
    refused(
        &mut h,
        &[&user],
        &ixs,
        0,
        BallastError::InsufficientLiquidity,
    )
    .await;
    // A reserve vault as the destination or the source (the fund vault; the liquidity vault
    // itself is already one of the instruction's writable accounts, which Anchor refuses twice).
    let vault = h.assets[USDC].keys.fund_vault;
    let mut ix = b(&h);
    ix.accounts[5].pubkey = vault;
    let ixs = [ix, repay_ix(&h, &user, USDC, repay)];
    refused(
        &mut h,
        &[&user],
        &ixs,
        0,
        BallastError::ProtocolVaultNotAllowed,
    )
    .await;
    let mut repay_from_vault = repay_ix(&h, &user, USDC, repay);
    repay_from_vault.accounts[5].pubkey = vault;
    let ixs = [b(&h), repay_from_vault];
    refused(
        &mut h,
        &[&user],
        &ixs,
        1,
        BallastError::ProtocolVaultNotAllowed,
    )
    .await;
    // Another account where the instructions sysvar belongs.
    let mut ix = b(&h);
    ix.accounts[7].pubkey = ballast_client::chain::ata(
        &user.pubkey(),
        &h.assets[USDC].keys.mint,
        &h.assets[USDC].keys.token_program,
    );
    let ixs = [ix, repay_ix(&h, &user, USDC, repay)];
    refused(
        &mut h,
        &[&user],
        &ixs,
        0,
        BallastError::WrongInstructionsSysvar,
    )
    .await;

    // The borrowed liquidity cannot be paid out while the loan is open: the lender cannot
    // withdraw it, nor can anyone borrow it.
    let payable = h.reserve(USDC).await.available_liquidity;
    let repay_all = due(&mut h, USDC, payable).await;
    let withdraw = client::withdraw(
        &lender.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &lender.obligation,
        &lender.tokens[USDC],
        1,
        vec![],
    );
    let ixs = [
        borrow_ix(&h, &user, USDC, payable),
        withdraw,
        repay_ix(&h, &user, USDC, repay_all),
    ];
    refused(
        &mut h,
        &[&user, &lender],
        &ixs,
        1,
        BallastError::InsufficientLiquidity,
    )
    .await;
}

#[tokio::test]
async fn flash_borrowed_tokens_buy_nothing_that_outlives_the_repay() {
    let (mut h, _lender, user) = market_with_a_lender().await;
    let _btc_lender = h.lender(BTC, 10 * ONE_BTC).await;
    let amount = 5 * USDC_10K;
    let repay = due(&mut h, USDC, amount).await;
    // Deposit the borrowed USDC, borrow BTC against it, try to take the USDC back to repay:
    // the withdrawal would leave the BTC debt uncovered.
    let keys = h.assets[USDC].keys;
    let deposit = client::deposit(
        &user.pubkey(),
        &h.market,
        &keys,
        &user.obligation,
        &user.tokens[USDC],
        amount,
    );
    let mut with_usdc = h.obligation(&user.obligation).await;
    with_usdc
        .add_shares(keys.reserve, 1, false)
        .expect("a deposit slot");
    let after_borrow = client::after_borrow(&with_usdc, &h.assets[BTC].keys.reserve);
    let borrow = client::borrow(
        &user.pubkey(),
        &h.market,
        &h.assets[BTC].keys,
        &user.obligation,
        &user.tokens[BTC],
        ONE_BTC / 10,
        h.remaining(&after_borrow, false),
    );
    let withdraw = client::withdraw(
        &user.pubkey(),
        &h.market,
        &keys,
        &user.obligation,
        &user.tokens[USDC],
        u64::MAX,
        h.remaining(&after_borrow, false),
    );
    let ixs = [
        borrow_ix(&h, &user, USDC, amount),
        deposit,
        borrow,
        withdraw,
        repay_ix(&h, &user, USDC, repay),
    ];
    refused(&mut h, &[&user], &ixs, 3, BallastError::BorrowLimitExceeded).await;

    // A borrower liquidating itself with flash-borrowed USDC is refused as any self-liquidation.
    let borrower = h.borrower(BTC, ONE_BTC, USDC, 4 * USDC_10K).await;
    h.set_price(BTC, 40_000.0);
    let debt = h.obligation(&borrower.obligation).await;
    let args = ballast::instructions::LiquidateArgs {
        max_repay: amount,
        min_collateral_out: 0,
        receive_shares: false,
    };
    let liquidate = h.liquidate_instruction(
        &borrower,
        &borrower.obligation,
        USDC,
        BTC,
        args,
        h.remaining(&debt, true),
    );
    let ixs = [
        borrow_ix(&h, &borrower, USDC, amount),
        liquidate,
        repay_ix(&h, &borrower, USDC, repay),
    ];
    refused(&mut h, &[&borrower], &ixs, 1, BallastError::SelfLiquidation).await;
}

#[tokio::test]
async fn a_flash_borrow_through_another_program_is_refused() {
    let (mut h, _lender, user) = market_with_a_lender().await;
    let amount = USDC_10K;
    let repay = due(&mut h, USDC, amount).await;
    let relay = |ix: Instruction| {
        let mut accounts = ix.accounts;
        accounts.push(AccountMeta::new_readonly(ballast::ID, false));
        Instruction {
            program_id: ballast_bank::CPI_RELAY_ID,
            accounts,
            data: ix.data,
        }
    };
    // The borrow through the relay, the repay at the top level.
    let ixs = [
        relay(borrow_ix(&h, &user, USDC, amount)),
        repay_ix(&h, &user, USDC, repay),
    ];
    refused(&mut h, &[&user], &ixs, 0, BallastError::FlashLoanThroughCpi).await;
    // The borrow at the top level, its repay through the relay: the borrow sees no repay.
    let ixs = [
        borrow_ix(&h, &user, USDC, amount),
        relay(repay_ix(&h, &user, USDC, repay)),
    ];
    refused(&mut h, &[&user], &ixs, 0, BallastError::FlashRepayMissing).await;
    // The relay itself works: a plain deposit through it is accepted.
    let deposit = client::deposit(
        &user.pubkey(),
        &h.market,
        &h.assets[USDC].keys,
        &user.obligation,
        &user.tokens[USDC],
        1_000,
    );
    h.send(&[relay(deposit)], &[&user.keypair])
        .await
        .expect("a deposit through the relay");
}

#[tokio::test]
async fn the_risk_authority_pauses_flash_loans_and_only_the_admin_resumes_them() {
    let (mut h, _lender, user) = market_with_a_lender().await;
    let amount = USDC_10K;
    let repay = due(&mut h, USDC, amount).await;
    let risk = h.risk_authority.insecure_clone();
    h.update_reserve(&risk, USDC, ReserveUpdate::PauseFlags(PAUSE_FLASH_LOAN))
        .await
        .expect("the risk authority pauses flash loans");
    let ixs = [
        borrow_ix(&h, &user, USDC, amount),
        repay_ix(&h, &user, USDC, repay),
    ];
    refused(&mut h, &[&user], &ixs, 0, BallastError::ActionPaused).await;
    // Other actions are not paused by it.
    h.deposit(&user, USDC, 1_000)
        .await
        .expect("deposits still work");
    let result = h
        .update_reserve(&risk, USDC, ReserveUpdate::PauseFlags(0))
        .await;
    assert_eq!(
        result,
        Err(custom_error(BallastError::RiskAuthorityMayOnlyTighten))
    );
    let admin = h.admin.insecure_clone();
    h.update_reserve(&admin, USDC, ReserveUpdate::PauseFlags(0))
        .await
        .expect("the admin resumes");
    h.send(&ixs, &[&user.keypair])
        .await
        .expect("flash loans again");

    // The fee is bounded like every parameter.
    let mut config = h.reserve(USDC).await.config;
    config.flash_loan_fee_bps = ballast::state::MAX_FLASH_LOAN_FEE_BPS + 1;
    let result = h
        .update_reserve(&admin, USDC, ReserveUpdate::Config(config))
        .await;
    assert_eq!(result, Err(custom_error(BallastError::InvalidConfig)));
    // And the risk authority may not change it.
    config.flash_loan_fee_bps = 0;
    let result = h
        .update_reserve(&risk, USDC, ReserveUpdate::Config(config))
        .await;
    assert_eq!(
        result,
        Err(custom_error(BallastError::RiskAuthorityMayOnlyTighten))
    );
}
