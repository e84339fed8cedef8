//! `init_market` and `update_market`: the two-step admin transfer, the risk authority's
//! pause-and-tighten-only powers, and market-wide and per-reserve pause flags.

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast::instructions::{InitMarketArgs, MarketUpdate, ReserveUpdate};
use ballast::math::WAD;
use ballast::state::{
    LiquidationConfig, PAUSE_ALL, PAUSE_BORROW, PAUSE_DEPOSIT, PAUSE_LIQUIDATE, PAUSE_WITHDRAW,
};
use ballast_bank::pyth;
use ballast_client as client;
use ballast_tests::fixture::*;
use solana_sdk::signature::{Keypair, Signer};

use super::common::*;

fn market_args(index: u16, liquidation: LiquidationConfig) -> InitMarketArgs {
    InitMarketArgs {
        index,
        risk_authority: Pubkey::new_unique(),
        fee_receiver: Pubkey::new_unique(),
        pyth_program: pyth::PYTH_LEGACY_PROGRAM,
        pyth_receiver_program: pyth::PYTH_RECEIVER_PROGRAM,
        switchboard_program: pyth::SWITCHBOARD_PROGRAM,
        liquidation,
    }
}

#[tokio::test]
async fn a_new_market_makes_its_creator_admin_with_nothing_pending_or_paused() {
    let mut h = Harness::new().await;
    let market = h.market_state().await;
    assert_eq!(market.creator, h.admin.pubkey());
    assert_eq!(market.index, 0);
    assert_eq!(market.admin, h.admin.pubkey());
    assert_eq!(market.pending_admin, Pubkey::default());
    assert_eq!(market.risk_authority, h.risk_authority.pubkey());
    assert_eq!(market.fee_receiver, h.fee_receiver.pubkey());
    assert_eq!(market.pyth_program, pyth::PYTH_LEGACY_PROGRAM);
    assert_eq!(market.pyth_receiver_program, pyth::PYTH_RECEIVER_PROGRAM);
    assert_eq!(market.switchboard_program, pyth::SWITCHBOARD_PROGRAM);
    assert_eq!(market.pause_flags, 0);
    assert_eq!(market.liquidation, default_liquidation_config());
}

#[tokio::test]
async fn one_creator_can_open_a_second_market_at_another_index_but_not_reopen_one() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let ix = client::init_market(
        &admin.pubkey(),
        market_args(1, default_liquidation_config()),
    );
    h.send(&[ix], &[&admin]).await.unwrap();
    let second = client::market_address(&admin.pubkey(), 1);
    assert_ne!(second, h.market);
    let state: ballast::state::Market = h.anchor_account(&second).await;
    assert_eq!((state.admin, state.index), (admin.pubkey(), 1));

    let before = snapshot(&mut h, &[], &[second]).await;
    let again = client::init_market(
        &admin.pubkey(),
        market_args(0, default_liquidation_config()),
    );
    let result = h.send(&[again], &[&admin]).await;
    assert_refused(
        &mut h,
        result,
        already_initialized(),
        &[],
        &[second],
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_market_with_liquidation_settings_out_of_bounds_is_not_created() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let ok = default_liquidation_config();
    let cases = [
        LiquidationConfig {
            close_factor_bps: 0,
            ..ok
        },
        LiquidationConfig {
            close_factor_bps: 10_001,
            ..ok
        },
        LiquidationConfig {
            full_liquidation_health_bps: 0,
            ..ok
        },
        LiquidationConfig {
            full_liquidation_health_bps: 10_001,
            ..ok
        },
        LiquidationConfig {
            dust_value: 1_000 * WAD + 1,
            ..ok
        },
        // The negligible value is positive, at most the dust value and at most $1 (issue 9,
        // item 5: a $1 000 setting let anyone write off $900 of collateral against $100 of debt).
        LiquidationConfig {
            bad_debt_collateral_dust_value: 0,
            ..ok
        },
        LiquidationConfig {
            bad_debt_collateral_dust_value: ok.dust_value + 1,
            ..ok
        },
        LiquidationConfig {
            dust_value: 1_000 * WAD,
            bad_debt_collateral_dust_value: WAD + 1,
            ..ok
        },
        LiquidationConfig {
            full_liquidation_debt_value: 1_000_000 * WAD + 1,
            ..ok
        },
    ];
    let address = client::market_address(&admin.pubkey(), 7);
    for config in cases {
        let ix = client::init_market(&admin.pubkey(), market_args(7, config));
        let result = h.send(&[ix], &[&admin]).await;
        assert_eq!(
            result,
            Err(custom_error(BallastError::InvalidMarketConfig)),
            "{config:?}"
        );
        assert!(h.account(&address).await.is_none(), "{config:?}");
    }
    // The bounds themselves are accepted.
    let edge = LiquidationConfig {
        close_factor_bps: 10_000,
        full_liquidation_health_bps: 10_000,
        full_liquidation_debt_value: 1_000_000 * WAD,
        dust_value: 1_000 * WAD,
        bad_debt_collateral_dust_value: WAD,
    };
    let ix = client::init_market(&admin.pubkey(), market_args(7, edge));
    h.send(&[ix], &[&admin]).await.unwrap();
    let state: ballast::state::Market = h.anchor_account(&address).await;
    assert_eq!(state.liquidation, edge);
}

#[tokio::test]
async fn the_admin_role_moves_only_when_the_proposed_admin_accepts() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let successor = Keypair::new();
    let stranger = Keypair::new();
    h.update_market(
        &admin,
        MarketUpdate::ProposeAdmin {
            new_admin: successor.pubkey(),
        },
    )
    .await
    .unwrap();
    let market = h.market_state().await;
    assert_eq!(
        market.admin,
        admin.pubkey(),
        "proposing changes nothing yet"
    );
    assert_eq!(market.pending_admin, successor.pubkey());

    let before = h.snapshot_users(&[]).await;
    let result = h.update_market(&stranger, MarketUpdate::AcceptAdmin).await;
    h.assert_rejected(result, BallastError::NotPendingAdmin, &[], &before)
        .await;
    let result = h.update_market(&admin, MarketUpdate::AcceptAdmin).await;
    h.assert_rejected(result, BallastError::NotPendingAdmin, &[], &before)
        .await;

    h.update_market(&successor, MarketUpdate::AcceptAdmin)
        .await
        .unwrap();
    let market = h.market_state().await;
    assert_eq!(market.admin, successor.pubkey());
    assert_eq!(market.pending_admin, Pubkey::default());

    // The old admin has lost every admin power.
    let before = h.snapshot_users(&[]).await;
    let result = h
        .update_market(
            &admin,
            MarketUpdate::SetRiskAuthority {
                risk_authority: admin.pubkey(),
            },
        )
        .await;
    h.assert_rejected(result, BallastError::NotAdmin, &[], &before)
        .await;
    // And the new one has them.
    h.update_market(&successor, MarketUpdate::SetPauseFlags { pause_flags: 0 })
        .await
        .unwrap();
}

#[tokio::test]
async fn accepting_with_no_proposal_pending_is_refused() {
    let mut h = Harness::new().await;
    let before = h.snapshot_users(&[]).await;
    let admin = h.admin.insecure_clone();
    let result = h.update_market(&admin, MarketUpdate::AcceptAdmin).await;
    h.assert_rejected(result, BallastError::NotPendingAdmin, &[], &before)
        .await;
}

#[tokio::test]
async fn a_proposal_can_be_withdrawn_by_proposing_nobody() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let successor = Keypair::new();
    let propose = |new_admin| MarketUpdate::ProposeAdmin { new_admin };
    h.update_market(&admin, propose(successor.pubkey()))
        .await
        .unwrap();
    h.update_market(&admin, propose(Pubkey::default()))
        .await
        .unwrap();
    let before = h.snapshot_users(&[]).await;
    let result = h.update_market(&successor, MarketUpdate::AcceptAdmin).await;
    h.assert_rejected(result, BallastError::NotPendingAdmin, &[], &before)
        .await;
}

fn admin_only_updates() -> Vec<MarketUpdate> {
    let mut tighter = default_liquidation_config();
    tighter.close_factor_bps = 4_000;
    vec![
        MarketUpdate::ProposeAdmin {
            new_admin: Pubkey::new_unique(),
        },
        MarketUpdate::SetRiskAuthority {
            risk_authority: Pubkey::new_unique(),
        },
        MarketUpdate::SetFeeReceiver {
            fee_receiver: Pubkey::new_unique(),
        },
        MarketUpdate::SetOraclePrograms {
            pyth_program: Pubkey::new_unique(),
            pyth_receiver_program: Pubkey::new_unique(),
            switchboard_program: Pubkey::new_unique(),
        },
        MarketUpdate::SetLiquidationConfig { config: tighter },
    ]
}

#[tokio::test]
async fn neither_the_risk_authority_nor_a_stranger_may_change_admin_settings() {
    let mut h = Harness::new().await;
    let risk = h.risk_authority.insecure_clone();
    let stranger = Keypair::new();
    for update in admin_only_updates() {
        for signer in [&risk, &stranger] {
            let before = h.snapshot_users(&[]).await;
            let result = h.update_market(signer, update.clone()).await;
            h.assert_rejected(result, BallastError::NotAdmin, &[], &before)
                .await;
        }
    }
}

#[tokio::test]
async fn the_admin_replaces_authorities_oracle_programs_and_liquidation_settings() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let (risk, receiver, legacy, pull, switchboard) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    let mut settings = default_liquidation_config();
    settings.close_factor_bps = 4_000;
    settings.dust_value = 5 * WAD;
    for update in [
        MarketUpdate::SetRiskAuthority {
            risk_authority: risk,
        },
        MarketUpdate::SetFeeReceiver {
            fee_receiver: receiver,
        },
        MarketUpdate::SetOraclePrograms {
            pyth_program: legacy,
            pyth_receiver_program: pull,
            switchboard_program: switchboard,
        },
        MarketUpdate::SetLiquidationConfig { config: settings },
    ] {
        h.update_market(&admin, update).await.unwrap();
    }
    let market = h.market_state().await;
    assert_eq!(market.risk_authority, risk);
    assert_eq!(market.fee_receiver, receiver);
    assert_eq!(market.pyth_program, legacy);
    assert_eq!(market.pyth_receiver_program, pull);
    assert_eq!(market.switchboard_program, switchboard);
    assert_eq!(market.liquidation, settings);
    assert_eq!(market.admin, admin.pubkey());
}

#[tokio::test]
async fn liquidation_settings_out_of_bounds_are_refused_on_update() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let ok = default_liquidation_config();
    for config in [
        LiquidationConfig {
            close_factor_bps: 0,
            ..ok
        },
        LiquidationConfig {
            full_liquidation_health_bps: 10_001,
            ..ok
        },
        LiquidationConfig {
            dust_value: 1_000 * WAD + 1,
            ..ok
        },
    ] {
        let before = h.snapshot_users(&[]).await;
        let result = h
            .update_market(&admin, MarketUpdate::SetLiquidationConfig { config })
            .await;
        h.assert_rejected(result, BallastError::InvalidMarketConfig, &[], &before)
            .await;
    }
}

#[tokio::test]
async fn the_risk_authority_may_add_market_pauses_but_never_lift_one() {
    let mut h = Harness::new().await;
    let risk = h.risk_authority.insecure_clone();
    let pause = |pause_flags| MarketUpdate::SetPauseFlags { pause_flags };
    h.update_market(&risk, pause(PAUSE_DEPOSIT)).await.unwrap();
    h.update_market(&risk, pause(PAUSE_DEPOSIT | PAUSE_BORROW))
        .await
        .unwrap();
    assert_eq!(
        h.market_state().await.pause_flags,
        PAUSE_DEPOSIT | PAUSE_BORROW
    );

    for flags in [0, PAUSE_BORROW, PAUSE_DEPOSIT | PAUSE_WITHDRAW] {
        let before = h.snapshot_users(&[]).await;
        let result = h.update_market(&risk, pause(flags)).await;
        h.assert_rejected(
            result,
            BallastError::RiskAuthorityMayOnlyTighten,
            &[],
            &before,
        )
        .await;
    }

    let admin = h.admin.insecure_clone();
    h.update_market(&admin, pause(0)).await.unwrap();
    assert_eq!(h.market_state().await.pause_flags, 0);
}

#[tokio::test]
async fn a_stranger_cannot_pause_the_market_and_unknown_flags_are_refused() {
    let mut h = Harness::new().await;
    let stranger = Keypair::new();
    let before = h.snapshot_users(&[]).await;
    let result = h
        .update_market(
            &stranger,
            MarketUpdate::SetPauseFlags {
                pause_flags: PAUSE_ALL,
            },
        )
        .await;
    h.assert_rejected(result, BallastError::NotRiskAuthority, &[], &before)
        .await;

    let admin = h.admin.insecure_clone();
    let result = h
        .update_market(
            &admin,
            MarketUpdate::SetPauseFlags {
                // The first bit no flag uses.
                pause_flags: PAUSE_ALL | 0x20,
            },
        )
        .await;
    h.assert_rejected(result, BallastError::InvalidMarketConfig, &[], &before)
        .await;
}

#[tokio::test]
async fn a_market_pause_stops_its_action_on_every_reserve_but_never_repay() {
    let mut h = Harness::new().await;
    let lender = h.lender(USDC, USDC_10K).await;
    let borrower = btc_holder(&mut h).await;
    h.borrow(&borrower, USDC, 1_000_000_000).await.unwrap();
    h.mint_to(BTC, &borrower.tokens[BTC], ONE_BTC).await;
    h.mint_to(USDC, &borrower.tokens[USDC], 1_000_000).await;
    let risk = h.risk_authority.insecure_clone();

    h.update_market(
        &risk,
        MarketUpdate::SetPauseFlags {
            pause_flags: PAUSE_DEPOSIT,
        },
    )
    .await
    .unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.deposit(&borrower, BTC, 1).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&borrower], &before)
        .await;
    let result = h.deposit(&borrower, USDC, 1).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&borrower], &before)
        .await;

    h.update_market(
        &risk,
        MarketUpdate::SetPauseFlags {
            pause_flags: PAUSE_DEPOSIT | PAUSE_WITHDRAW,
        },
    )
    .await
    .unwrap();
    let before = h.snapshot_users(&[&lender]).await;
    let result = h.withdraw(&lender, USDC, 1).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&lender], &before)
        .await;

    h.update_market(
        &risk,
        MarketUpdate::SetPauseFlags {
            pause_flags: PAUSE_ALL,
        },
    )
    .await
    .unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&borrower], &before)
        .await;

    // Repay is never paused.
    let owed_before = h.balance(&borrower.tokens[USDC]).await;
    h.repay(&borrower, &borrower.obligation, USDC, u64::MAX)
        .await
        .unwrap();
    assert_eq!(
        owed_before - h.balance(&borrower.tokens[USDC]).await,
        1_000_000_000
    );
    assert!(!h.obligation(&borrower.obligation).await.has_debt());
}

#[tokio::test]
async fn a_reserve_pause_stops_that_reserve_only() {
    let mut h = Harness::new().await;
    let user = h.funded_user(USDC, 2_000_000).await;
    h.mint_to(BTC, &user.tokens[BTC], 2).await;
    let risk = h.risk_authority.insecure_clone();
    h.update_reserve(&risk, USDC, ReserveUpdate::PauseFlags(PAUSE_DEPOSIT))
        .await
        .unwrap();
    assert_eq!(h.reserve(USDC).await.pause_flags, PAUSE_DEPOSIT);
    let before = h.snapshot_users(&[&user]).await;
    let result = h.deposit(&user, USDC, 1_000_000).await;
    h.assert_rejected(result, BallastError::ActionPaused, &[&user], &before)
        .await;
    h.deposit(&user, BTC, 2).await.unwrap();
    let btc_vault = h.assets[BTC].keys.liquidity_vault;
    assert_eq!(h.balance(&btc_vault).await, 2);
}

#[tokio::test]
async fn the_risk_authority_may_pause_a_reserve_but_only_the_admin_unpauses_it() {
    let mut h = Harness::new().await;
    let risk = h.risk_authority.insecure_clone();
    let admin = h.admin.insecure_clone();
    h.update_reserve(
        &risk,
        BTC,
        ReserveUpdate::PauseFlags(PAUSE_BORROW | PAUSE_LIQUIDATE),
    )
    .await
    .unwrap();
    for flags in [0, PAUSE_BORROW, PAUSE_LIQUIDATE | PAUSE_DEPOSIT] {
        let before = h.snapshot_users(&[]).await;
        let result = h
            .update_reserve(&risk, BTC, ReserveUpdate::PauseFlags(flags))
            .await;
        h.assert_rejected(
            result,
            BallastError::RiskAuthorityMayOnlyTighten,
            &[],
            &before,
        )
        .await;
    }
    let stranger = Keypair::new();
    let before = h.snapshot_users(&[]).await;
    let result = h
        .update_reserve(&stranger, BTC, ReserveUpdate::PauseFlags(PAUSE_ALL))
        .await;
    h.assert_rejected(result, BallastError::NotRiskAuthority, &[], &before)
        .await;
    let result = h
        .update_reserve(&admin, BTC, ReserveUpdate::PauseFlags(0x20))
        .await;
    h.assert_rejected(result, BallastError::InvalidConfig, &[], &before)
        .await;

    h.update_reserve(&admin, BTC, ReserveUpdate::PauseFlags(0))
        .await
        .unwrap();
    assert_eq!(h.reserve(BTC).await.pause_flags, 0);
}

#[tokio::test]
async fn after_a_transfer_only_the_new_admin_lists_assets() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let successor = Keypair::new();
    h.airdrop(&successor.pubkey(), 10_000_000_000).await;
    h.update_market(
        &admin,
        MarketUpdate::ProposeAdmin {
            new_admin: successor.pubkey(),
        },
    )
    .await
    .unwrap();
    h.update_market(&successor, MarketUpdate::AcceptAdmin)
        .await
        .unwrap();
    let mint = h.create_mint(6, &anchor_spl::token::spl_token::ID).await;
    let oracle = Pubkey::new_unique();
    let keys =
        client::ReserveKeys::derive(&h.market, &mint, &anchor_spl::token::spl_token::ID, &oracle);
    let config = default_reserve_config(oracle, false, [0; 32]);
    let market = h.market;
    let result = h
        .send(
            &[client::init_reserve(
                &admin.pubkey(),
                &market,
                &keys,
                config,
            )],
            &[&admin],
        )
        .await;
    assert_eq!(result, Err(custom_error(BallastError::NotAdmin)));
    h.send(
        &[client::init_reserve(
            &successor.pubkey(),
            &market,
            &keys,
            config,
        )],
        &[&successor],
    )
    .await
    .unwrap();
    let reserve: ballast::state::Reserve = h.anchor_account(&keys.reserve).await;
    assert_eq!(reserve.mint, mint);
}

#[tokio::test]
async fn a_replaced_risk_authority_loses_its_pause_power() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let old = h.risk_authority.insecure_clone();
    let new = Keypair::new();
    h.update_market(
        &admin,
        MarketUpdate::SetRiskAuthority {
            risk_authority: new.pubkey(),
        },
    )
    .await
    .unwrap();
    let before = h.snapshot_users(&[]).await;
    let pause = MarketUpdate::SetPauseFlags {
        pause_flags: PAUSE_BORROW,
    };
    let result = h.update_market(&old, pause.clone()).await;
    h.assert_rejected(result, BallastError::NotRiskAuthority, &[], &before)
        .await;
    let result = h
        .update_reserve(&old, BTC, ReserveUpdate::PauseFlags(PAUSE_BORROW))
        .await;
    h.assert_rejected(result, BallastError::NotRiskAuthority, &[], &before)
        .await;
    h.update_market(&new, pause).await.unwrap();
    assert_eq!(h.market_state().await.pause_flags, PAUSE_BORROW);
}

#[tokio::test]
async fn feeds_of_an_oracle_program_the_market_no_longer_trusts_are_refused() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, USDC_10K).await;
    let borrower = btc_holder(&mut h).await;
    let admin = h.admin.insecure_clone();
    h.update_market(
        &admin,
        MarketUpdate::SetOraclePrograms {
            pyth_program: Pubkey::new_unique(),
            pyth_receiver_program: pyth::PYTH_RECEIVER_PROGRAM,
            switchboard_program: pyth::SWITCHBOARD_PROGRAM,
        },
    )
    .await
    .unwrap();
    let before = h.snapshot_users(&[&borrower]).await;
    let result = h.borrow(&borrower, USDC, 1_000_000).await;
    h.assert_rejected(
        result,
        BallastError::OracleWrongOwner,
        &[&borrower],
        &before,
    )
    .await;
}
