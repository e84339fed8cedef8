//! `init_reserve` and `update_reserve_config`: listing, every config bound of PROTOCOL.md §8,
//! Token-2022 mints with unsafe extensions, and who may change what.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_2022::spl_token_2022::extension::ExtensionType;
use ballast::errors::BallastError;
use ballast::instructions::ReserveUpdate;
use ballast::math::WAD;
use ballast::state::{ReserveConfig, RESERVE_ACTIVE};
use ballast_client::{self as client, ReserveKeys};
use ballast_tests::fixture::*;
use solana_sdk::signature::{Keypair, Signer};

use super::common::*;

/// A valid legacy-oracle config for a new listing.
fn listing_config() -> ReserveConfig {
    default_reserve_config(Pubkey::new_unique(), false, [0; 32])
}

/// Sends `init_reserve` for `mint` signed by `signer`; returns the result and the keys.
async fn list(
    h: &mut Harness,
    signer: &Keypair,
    mint: &Pubkey,
    token_program: &Pubkey,
    config: ReserveConfig,
) -> (TxResult, ReserveKeys) {
    let keys = ReserveKeys::derive(
        &h.market,
        mint,
        token_program,
        &config.oracle.oracle_account,
    );
    let ix = client::init_reserve(&signer.pubkey(), &h.market, &keys, config);
    (h.send(&[ix], &[signer]).await, keys)
}

/// Each config breaks exactly one bound of PROTOCOL.md §8 (named for the failure message).
fn out_of_bounds(base: ReserveConfig) -> Vec<(&'static str, ReserveConfig)> {
    let with = |change: &dyn Fn(&mut ReserveConfig)| {
        let mut config = base;
        change(&mut config);
        config
    };
    vec![
        ("LTV zero", with(&|c| c.ltv_bps = 0)),
        ("LTV equal to LT", with(&|c| c.ltv_bps = 8_000)),
        ("LTV above LT", with(&|c| c.ltv_bps = 8_500)),
        (
            "LT of 100 %",
            with(&|c| {
                c.liquidation_threshold_bps = 10_000;
                c.max_liquidation_bonus_bps = 0;
                c.min_liquidation_bonus_bps = 0;
            }),
        ),
        (
            "LT × (1 + max bonus) exactly 1",
            with(&|c| c.max_liquidation_bonus_bps = 2_500),
        ),
        (
            "min bonus above max bonus",
            with(&|c| c.min_liquidation_bonus_bps = 1_001),
        ),
        (
            "max bonus above 50 %",
            with(&|c| {
                c.ltv_bps = 5_000;
                c.liquidation_threshold_bps = 6_000;
                c.max_liquidation_bonus_bps = 5_001;
            }),
        ),
        (
            "liquidation fee above 100 % of the bonus",
            with(&|c| c.protocol_liquidation_fee_bps = 10_001),
        ),
        (
            "reserve factor + insurance factor = 100 %",
            with(&|c| {
                c.reserve_factor_bps = 9_500;
                c.insurance_factor_bps = 500;
            }),
        ),
        (
            "optimal utilization zero",
            with(&|c| c.rate_model.optimal_utilization_bps = 0),
        ),
        (
            "optimal utilization above 100 %",
            with(&|c| c.rate_model.optimal_utilization_bps = 10_001),
        ),
        (
            "slope 1 steeper than slope 2",
            with(&|c| c.rate_model.slope1_bps = 7_501),
        ),
        (
            "top rate above 500 %",
            with(&|c| {
                c.rate_model.base_rate_bps = 100;
                c.rate_model.slope1_bps = 400;
                c.rate_model.slope2_bps = 49_501;
            }),
        ),
        ("supply cap zero", with(&|c| c.supply_cap = 0)),
        (
            "borrow cap above supply cap",
            with(&|c| {
                c.supply_cap = 1_000;
                c.borrow_cap = 1_001;
            }),
        ),
        (
            "strict max age zero",
            with(&|c| c.oracle.strict.max_age_secs = 0),
        ),
        (
            "strict confidence zero",
            with(&|c| c.oracle.strict.max_confidence_bps = 0),
        ),
        (
            "liquidation max age tighter than strict",
            with(&|c| c.oracle.liquidation.max_age_secs = 59),
        ),
        (
            "liquidation confidence tighter than strict",
            with(&|c| c.oracle.liquidation.max_confidence_bps = 199),
        ),
        (
            "liquidation max age above an hour",
            with(&|c| c.oracle.liquidation.max_age_secs = 3_601),
        ),
        (
            "liquidation confidence above 20 %",
            with(&|c| c.oracle.liquidation.max_confidence_bps = 2_001),
        ),
        (
            "confidence multiplier above 3",
            with(&|c| c.oracle.confidence_multiplier_bps = 30_001),
        ),
        (
            "legacy oracle without an account",
            with(&|c| c.oracle.oracle_account = Pubkey::default()),
        ),
        (
            "pull oracle without a feed id",
            with(&|c| {
                c.oracle.source = ballast::state::ORACLE_SOURCE_PYTH_PULL;
                c.oracle.feed_id = [0; 32];
            }),
        ),
        (
            "switchboard oracle without a minimum of responses",
            with(&|c| {
                c.oracle = switchboard(c.oracle.oracle_account);
                c.oracle.min_responses = 0;
            }),
        ),
        (
            "switchboard minimum of responses above 32",
            with(&|c| {
                c.oracle = switchboard(c.oracle.oracle_account);
                c.oracle.min_responses = 33;
            }),
        ),
        (
            "switchboard oracle without a feed hash",
            with(&|c| {
                c.oracle = switchboard(c.oracle.oracle_account);
                c.oracle.feed_id = [0; 32];
            }),
        ),
        (
            "pyth oracle with a minimum of responses",
            with(&|c| c.oracle.min_responses = 1),
        ),
        (
            "deviation without a fallback",
            with(&|c| c.max_oracle_deviation_bps = 100),
        ),
        (
            "absent fallback with an account",
            with(&|c| c.fallback_oracle.oracle_account = Pubkey::new_unique()),
        ),
        (
            "fallback without a deviation",
            with(&|c| {
                with_fallback(c);
                c.max_oracle_deviation_bps = 0;
            }),
        ),
        (
            "deviation above 20 %",
            with(&|c| {
                with_fallback(c);
                c.max_oracle_deviation_bps = 2_001;
            }),
        ),
        (
            "fallback on the primary's account",
            with(&|c| {
                with_fallback(c);
                c.fallback_oracle.oracle_account = c.oracle.oracle_account;
            }),
        ),
        (
            "fallback strict max age zero",
            with(&|c| {
                with_fallback(c);
                c.fallback_oracle.strict.max_age_secs = 0;
            }),
        ),
        (
            "fallback liquidation max age above an hour",
            with(&|c| {
                with_fallback(c);
                c.fallback_oracle.liquidation.max_age_secs = 3_601;
            }),
        ),
    ]
}

/// A Switchboard source at `account` with the fixture's policies.
fn switchboard(account: Pubkey) -> ballast::state::OracleConfig {
    oracle_config(OracleKind::Switchboard, account, [5; 32])
}

/// Gives `config` a valid Switchboard fallback (1 % deviation).
fn with_fallback(config: &mut ReserveConfig) {
    config.fallback_oracle = switchboard(Pubkey::new_unique());
    config.max_oracle_deviation_bps = 100;
}

#[tokio::test]
async fn a_listing_creates_the_reserve_with_both_vaults_owned_by_it_and_empty_books() {
    let mut h = Harness::new().await;
    for (index, decimals) in [(USDC, 6), (BTC, 8), (SOL, 9)] {
        let keys = h.assets[index].keys;
        let reserve = h.reserve(index).await;
        assert_eq!(reserve.market, h.market);
        assert_eq!(reserve.mint, keys.mint);
        assert_eq!(reserve.token_program, spl_token::ID);
        assert_eq!(reserve.liquidity_vault, keys.liquidity_vault);
        assert_eq!(reserve.fund_vault, keys.fund_vault);
        assert_eq!(reserve.decimals, decimals);
        assert_eq!(reserve.status, RESERVE_ACTIVE);
        assert_eq!(reserve.pause_flags, 0);
        let pull = index == SOL;
        assert_eq!(
            reserve.config,
            default_reserve_config(keys.oracle, pull, feed_id(index))
        );
        assert_eq!(reserve.available_liquidity, 0);
        assert_eq!(reserve.total_shares, 0);
        assert_eq!(reserve.total_scaled_debt, 0);
        assert_eq!(reserve.borrow_index, WAD);
        assert_eq!(reserve.fund_balance, 0);
        assert_eq!(reserve.last_accrual_ts, h.start_time);
        for vault in [keys.liquidity_vault, keys.fund_vault] {
            let account = token_account(&mut h, &vault).await;
            assert_eq!(account.mint, keys.mint);
            assert_eq!(
                account.owner, keys.reserve,
                "the reserve PDA holds the vault"
            );
            assert_eq!(account.amount, 0);
        }
    }
}

#[tokio::test]
async fn only_the_admin_may_list_an_asset() {
    let mut h = Harness::new().await;
    let mint = h.create_mint(6, &spl_token::ID).await;
    let risk = h.risk_authority.insecure_clone();
    // Funded, so that only the authority check can refuse it.
    h.airdrop(&risk.pubkey(), 10_000_000_000).await;
    let (result, keys) = list(&mut h, &risk, &mint, &spl_token::ID, listing_config()).await;
    assert_eq!(result, Err(custom_error(BallastError::NotAdmin)));
    assert!(h.account(&keys.reserve).await.is_none());
    assert!(h.account(&keys.liquidity_vault).await.is_none());
}

#[tokio::test]
async fn the_same_mint_cannot_be_listed_twice_in_a_market() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let usdc = h.assets[USDC].keys;
    let before = h.snapshot_users(&[]).await;
    let (result, _) = list(&mut h, &admin, &usdc.mint, &spl_token::ID, listing_config()).await;
    assert_refused(&mut h, result, already_initialized(), &[], &[], &before).await;
}

#[tokio::test]
async fn every_config_bound_is_enforced_when_listing() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let mint = h.create_mint(6, &spl_token::ID).await;
    let mut base = listing_config();
    base.oracle.feed_id = [9; 32];
    for (bound, config) in out_of_bounds(base) {
        let (result, keys) = list(&mut h, &admin, &mint, &spl_token::ID, config).await;
        assert_eq!(
            result,
            Err(custom_error(BallastError::InvalidConfig)),
            "{bound}"
        );
        assert!(h.account(&keys.reserve).await.is_none(), "{bound}");
    }
    let mut unknown = base;
    unknown.oracle.source = 9;
    let (result, _) = list(&mut h, &admin, &mint, &spl_token::ID, unknown).await;
    assert_eq!(result, Err(custom_error(BallastError::UnknownOracleSource)));
    let mut unknown_fallback = base;
    with_fallback(&mut unknown_fallback);
    unknown_fallback.fallback_oracle.source = 9;
    let (result, _) = list(&mut h, &admin, &mint, &spl_token::ID, unknown_fallback).await;
    assert_eq!(result, Err(custom_error(BallastError::UnknownOracleSource)));
    // A Switchboard primary with a Pyth fallback at the bounds is listed.
    let mut both = base;
    both.oracle = switchboard(both.oracle.oracle_account);
    both.oracle.min_responses = 32;
    both.fallback_oracle = oracle_config(OracleKind::PythPull, Pubkey::new_unique(), [6; 32]);
    both.max_oracle_deviation_bps = 2_000;
    let (result, keys) = list(&mut h, &admin, &mint, &spl_token::ID, both).await;
    assert_eq!(result, Ok(()));
    let listed = h
        .anchor_account::<ballast::state::Reserve>(&keys.reserve)
        .await;
    assert_eq!(listed.config, both);
}

#[tokio::test]
async fn a_config_exactly_at_the_bounds_is_accepted() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let mint = h.create_mint(6, &spl_token::ID).await;
    let mut config = listing_config();
    // LT · (1 + max bonus) = 0.9 × 1.111 = 0.9999 < 1.
    config.ltv_bps = 8_999;
    config.liquidation_threshold_bps = 9_000;
    config.min_liquidation_bonus_bps = 1_111;
    config.max_liquidation_bonus_bps = 1_111;
    config.protocol_liquidation_fee_bps = 10_000;
    config.reserve_factor_bps = 9_000;
    config.insurance_factor_bps = 999;
    config.rate_model.optimal_utilization_bps = 10_000;
    config.rate_model.slope1_bps = 20_000;
    config.rate_model.slope2_bps = 20_000;
    config.rate_model.base_rate_bps = 10_000;
    config.supply_cap = 1;
    config.borrow_cap = 1;
    config.oracle.strict.max_age_secs = 1;
    config.oracle.strict.max_confidence_bps = 1;
    config.oracle.liquidation.max_age_secs = 3_600;
    config.oracle.liquidation.max_confidence_bps = 2_000;
    config.oracle.confidence_multiplier_bps = 30_000;
    let (result, keys) = list(&mut h, &admin, &mint, &spl_token::ID, config).await;
    result.unwrap();
    let reserve: ballast::state::Reserve = h.anchor_account(&keys.reserve).await;
    assert_eq!(reserve.config, config);
}

/// Lists `mint` (Token-2022) and returns the result.
async fn list_token_2022(h: &mut Harness, mint: &Pubkey) -> (TxResult, ReserveKeys) {
    let admin = h.admin.insecure_clone();
    list(h, &admin, mint, &spl_token_2022::ID, listing_config()).await
}

#[tokio::test]
async fn a_token_2022_mint_with_a_transfer_fee_is_refused() {
    let mut h = Harness::new().await;
    let authority = Pubkey::new_unique();
    let mint = token_2022_mint(&mut h, 6, &[ExtensionType::TransferFeeConfig], |mint| {
        vec![
            spl_token_2022::extension::transfer_fee::instruction::initialize_transfer_fee_config(
                &spl_token_2022::ID,
                mint,
                Some(&authority),
                Some(&authority),
                50,
                1_000_000,
            )
            .unwrap(),
        ]
    })
    .await;
    let (result, keys) = list_token_2022(&mut h, &mint).await;
    assert_eq!(
        result,
        Err(custom_error(BallastError::UnsupportedMintExtension))
    );
    assert!(h.account(&keys.reserve).await.is_none());
    assert!(h.account(&keys.liquidity_vault).await.is_none());
}

#[tokio::test]
async fn a_token_2022_mint_with_a_transfer_hook_is_refused() {
    let mut h = Harness::new().await;
    let hook_program = Pubkey::new_unique();
    let mint = token_2022_mint(&mut h, 6, &[ExtensionType::TransferHook], |mint| {
        vec![
            spl_token_2022::extension::transfer_hook::instruction::initialize(
                &spl_token_2022::ID,
                mint,
                Some(Pubkey::new_unique()),
                Some(hook_program),
            )
            .unwrap(),
        ]
    })
    .await;
    let (result, keys) = list_token_2022(&mut h, &mint).await;
    assert_eq!(
        result,
        Err(custom_error(BallastError::UnsupportedMintExtension))
    );
    assert!(h.account(&keys.reserve).await.is_none());
}

#[tokio::test]
async fn a_token_2022_mint_with_a_permanent_delegate_is_refused() {
    let mut h = Harness::new().await;
    let delegate = Pubkey::new_unique();
    let mint = token_2022_mint(&mut h, 6, &[ExtensionType::PermanentDelegate], |mint| {
        vec![spl_token_2022::instruction::initialize_permanent_delegate(
            &spl_token_2022::ID,
            mint,
            &delegate,
        )
        .unwrap()]
    })
    .await;
    let (result, _) = list_token_2022(&mut h, &mint).await;
    assert_eq!(
        result,
        Err(custom_error(BallastError::UnsupportedMintExtension))
    );
}

#[tokio::test]
async fn a_plain_token_2022_mint_is_listed_and_can_never_be_closed() {
    let mut h = Harness::new().await;
    let plain = h.create_mint(9, &spl_token_2022::ID).await;
    let (result, keys) = list_token_2022(&mut h, &plain).await;
    result.unwrap();
    let reserve: ballast::state::Reserve = h.anchor_account(&keys.reserve).await;
    assert_eq!(reserve.token_program, spl_token_2022::ID);
    assert_eq!(reserve.decimals, 9);
    // Without a close authority no one, not even the mint authority, can close it: what was
    // checked at listing stays true for the life of the reserve.
    let authority = h.mint_authority.insecure_clone();
    let close = spl_token_2022::instruction::close_account(
        &spl_token_2022::ID,
        &plain,
        &authority.pubkey(),
        &authority.pubkey(),
        &[],
    )
    .unwrap();
    assert!(h.send(&[close], &[&authority]).await.is_err());
    assert!(h.account(&plain).await.is_some());
}

#[tokio::test]
async fn a_mint_that_could_be_closed_and_recreated_with_a_permanent_delegate_is_never_listed() {
    let mut h = Harness::new().await;
    let closer = Keypair::new();
    let mint_keypair = Keypair::new();
    let close_authority = |mint: &Pubkey| {
        vec![
            spl_token_2022::instruction::initialize_mint_close_authority(
                &spl_token_2022::ID,
                mint,
                Some(&closer.pubkey()),
            )
            .unwrap(),
        ]
    };
    let mint = token_2022_mint_at(
        &mut h,
        &mint_keypair,
        6,
        &[ExtensionType::MintCloseAuthority],
        close_authority,
    )
    .await;
    // Regression (issue 9, item 7): `MintCloseAuthority` was on the allowed list, and
    // extensions are checked only at listing.
    let (result, keys) = list_token_2022(&mut h, &mint).await;
    assert_eq!(
        result,
        Err(custom_error(BallastError::UnsupportedMintExtension))
    );
    assert!(h.account(&keys.reserve).await.is_none());

    // The sequence it opened: at zero supply the close authority closes the mint, and the same
    // address is created again with a permanent delegate, who may move any holder's tokens, a
    // reserve's vaults included. Every step works at the token level...
    h.airdrop(&closer.pubkey(), 1_000_000_000).await;
    let close = spl_token_2022::instruction::close_account(
        &spl_token_2022::ID,
        &mint,
        &closer.pubkey(),
        &closer.pubkey(),
        &[],
    )
    .unwrap();
    h.send(&[close], &[&closer]).await.unwrap();
    assert!(h.account(&mint).await.is_none());
    let thief = Pubkey::new_unique();
    let recreated = token_2022_mint_at(
        &mut h,
        &mint_keypair,
        6,
        &[ExtensionType::PermanentDelegate],
        |mint| {
            vec![spl_token_2022::instruction::initialize_permanent_delegate(
                &spl_token_2022::ID,
                mint,
                &thief,
            )
            .unwrap()]
        },
    )
    .await;
    assert_eq!(recreated, mint);
    // ...and Ballast takes part in none of it: the re-created mint is refused as well.
    let (result, _) = list_token_2022(&mut h, &mint).await;
    assert_eq!(
        result,
        Err(custom_error(BallastError::UnsupportedMintExtension))
    );
    assert!(h.account(&keys.reserve).await.is_none());
}

#[tokio::test]
async fn a_mint_with_more_decimals_than_a_u64_balance_can_use_is_refused() {
    let mut h = Harness::new().await;
    // Regression (issue 9, item 11): an 18-decimal reserve could never hold more than about
    // 18.4 whole tokens. Nine decimals (18.4 billion whole tokens) are the most listed.
    for (decimals, listed) in [(9u8, true), (10, false), (18, false)] {
        let mint = h.create_mint(decimals, &spl_token::ID).await;
        let admin = h.admin.insecure_clone();
        let (result, keys) = list(&mut h, &admin, &mint, &spl_token::ID, listing_config()).await;
        if listed {
            result.unwrap();
        } else {
            assert_eq!(
                result,
                Err(custom_error(BallastError::UnsupportedMintDecimals)),
                "{decimals} decimals"
            );
            assert!(h.account(&keys.reserve).await.is_none());
        }
    }
}

#[tokio::test]
async fn every_config_bound_is_enforced_on_update_and_the_reserve_is_left_as_it_was() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let base = h.reserve(BTC).await.config;
    for (bound, config) in out_of_bounds(base) {
        let before = h.snapshot_users(&[]).await;
        let result = h
            .update_reserve(&admin, BTC, ReserveUpdate::Config(config))
            .await;
        assert_eq!(
            result,
            Err(custom_error(BallastError::InvalidConfig)),
            "{bound}"
        );
        h.assert_rejected(result, BallastError::InvalidConfig, &[], &before)
            .await;
    }
}

#[tokio::test]
async fn the_admin_may_loosen_a_reserve_and_interest_accrues_under_the_old_rates_first() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, USDC_10K).await;
    let borrower = btc_holder(&mut h).await;
    h.borrow(&borrower, USDC, 5_000_000_000).await.unwrap();
    h.advance(86_400);
    let expected = h.reserve(USDC).await.projected(h.now).unwrap();
    let admin = h.admin.insecure_clone();
    let mut looser = expected.config;
    looser.ltv_bps = 7_800;
    looser.supply_cap = u64::MAX / 2;
    looser.rate_model.slope1_bps = 2_000;
    h.update_reserve(&admin, USDC, ReserveUpdate::Config(looser))
        .await
        .unwrap();
    let reserve = h.reserve(USDC).await;
    assert_eq!(reserve.config, looser);
    assert_eq!(reserve.last_accrual_ts, h.now);
    assert_eq!(reserve.borrow_index, expected.borrow_index);
    assert!(reserve.borrow_index > WAD);
}

#[tokio::test]
async fn the_risk_authority_may_lower_ltv_caps_and_oracle_limits() {
    let mut h = Harness::new().await;
    let risk = h.risk_authority.insecure_clone();
    let mut tighter = h.reserve(BTC).await.config;
    tighter.ltv_bps = 5_000;
    tighter.supply_cap = 1_000_000;
    tighter.borrow_cap = 500_000;
    tighter.oracle.strict.max_age_secs = 30;
    tighter.oracle.strict.max_confidence_bps = 100;
    h.update_reserve(&risk, BTC, ReserveUpdate::Config(tighter))
        .await
        .unwrap();
    assert_eq!(h.reserve(BTC).await.config, tighter);
}

#[tokio::test]
async fn the_risk_authority_may_not_loosen_or_retune_a_reserve() {
    let mut h = Harness::new().await;
    let risk = h.risk_authority.insecure_clone();
    let base = h.reserve(BTC).await.config;
    let with = |change: &dyn Fn(&mut ReserveConfig)| {
        let mut config = base;
        change(&mut config);
        config
    };
    let cases = [
        ("higher LTV", with(&|c| c.ltv_bps = 7_600)),
        ("higher supply cap", with(&|c| c.supply_cap += 1)),
        ("higher borrow cap", with(&|c| c.borrow_cap += 1)),
        (
            "older strict prices",
            with(&|c| c.oracle.strict.max_age_secs = 61),
        ),
        (
            "wider strict confidence",
            with(&|c| c.oracle.strict.max_confidence_bps = 201),
        ),
        (
            "a cheaper rate model",
            with(&|c| c.rate_model.base_rate_bps = 50),
        ),
        (
            "a different oracle",
            with(&|c| c.oracle.oracle_account = Pubkey::new_unique()),
        ),
    ];
    for (case, config) in cases {
        let before = h.snapshot_users(&[]).await;
        let result = h
            .update_reserve(&risk, BTC, ReserveUpdate::Config(config))
            .await;
        assert_eq!(
            result,
            Err(custom_error(BallastError::RiskAuthorityMayOnlyTighten)),
            "{case}"
        );
        h.assert_rejected(
            result,
            BallastError::RiskAuthorityMayOnlyTighten,
            &[],
            &before,
        )
        .await;
    }
}

#[tokio::test]
async fn a_stranger_may_not_update_a_reserve() {
    let mut h = Harness::new().await;
    let stranger = Keypair::new();
    let mut config = h.reserve(BTC).await.config;
    config.ltv_bps = 5_000;
    let before = h.snapshot_users(&[]).await;
    let result = h
        .update_reserve(&stranger, BTC, ReserveUpdate::Config(config))
        .await;
    h.assert_rejected(result, BallastError::NotRiskAuthority, &[], &before)
        .await;
}

#[tokio::test]
async fn a_reserve_of_another_market_cannot_be_updated_through_this_one() {
    let mut h = Harness::new().await;
    let foreign = foreign_market(&mut h).await;
    let admin = h.admin.insecure_clone();
    let mut config = h.reserve(USDC).await.config;
    config.ltv_bps = 5_000;
    let before = snapshot(&mut h, &[], &foreign.accounts()).await;
    let ix = client::update_reserve_config(
        &admin.pubkey(),
        &h.market,
        &foreign.usdc.reserve,
        ReserveUpdate::Config(config),
    );
    let result = h.send(&[ix], &[&admin]).await;
    assert_refused_with(
        &mut h,
        result,
        BallastError::WrongMarket,
        &[],
        &foreign.accounts(),
        &before,
    )
    .await;
}

#[tokio::test]
async fn a_new_oracle_restarts_the_reserves_publish_time_watermark() {
    let mut h = Harness::new().await;
    let _lender = h.lender(USDC, USDC_10K).await;
    let borrower = btc_holder(&mut h).await;
    h.borrow(&borrower, USDC, 1_000_000).await.unwrap();
    assert_eq!(h.reserve(USDC).await.last_oracle_publish_time, h.start_time);
    let admin = h.admin.insecure_clone();
    let mut same = h.reserve(USDC).await.config;
    same.ltv_bps = 7_000;
    h.update_reserve(&admin, USDC, ReserveUpdate::Config(same))
        .await
        .unwrap();
    assert_eq!(h.reserve(USDC).await.last_oracle_publish_time, h.start_time);
    let mut moved = same;
    moved.oracle.oracle_account = Pubkey::new_unique();
    h.update_reserve(&admin, USDC, ReserveUpdate::Config(moved))
        .await
        .unwrap();
    assert_eq!(h.reserve(USDC).await.last_oracle_publish_time, 0);
}

#[tokio::test]
async fn a_listing_naming_accounts_off_their_seeds_is_refused() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let mint = h.create_mint(6, &spl_token::ID).await;
    let config = listing_config();
    let right = ReserveKeys::derive(
        &h.market,
        &mint,
        &spl_token::ID,
        &config.oracle.oracle_account,
    );
    let usdc = h.assets[USDC].keys;
    let other = Pubkey::new_unique();
    for keys in [
        ReserveKeys {
            reserve: other,
            ..right
        },
        ReserveKeys {
            liquidity_vault: other,
            ..right
        },
        ReserveKeys {
            fund_vault: right.liquidity_vault,
            liquidity_vault: right.fund_vault,
            ..right
        },
        ReserveKeys {
            reserve: usdc.reserve,
            ..right
        },
    ] {
        let ix = client::init_reserve(&admin.pubkey(), &h.market, &keys, config);
        let result = h.send(&[ix], &[&admin]).await;
        assert_eq!(
            result,
            Err(anchor_error(anchor_lang::error::ErrorCode::ConstraintSeeds)),
            "{keys:?}"
        );
        assert!(h.account(&right.reserve).await.is_none());
    }
}

#[tokio::test]
async fn a_reserve_update_through_an_account_that_is_not_a_market_is_refused() {
    let mut h = Harness::new().await;
    let admin = h.admin.insecure_clone();
    let btc = h.assets[BTC].keys.reserve;
    let mut config = h.reserve(BTC).await.config;
    config.ltv_bps = 5_000;
    let before = h.snapshot_users(&[]).await;
    let ix =
        client::update_reserve_config(&admin.pubkey(), &btc, &btc, ReserveUpdate::Config(config));
    let result = h.send(&[ix], &[&admin]).await;
    assert_refused(
        &mut h,
        result,
        anchor_error(anchor_lang::error::ErrorCode::AccountDiscriminatorMismatch),
        &[],
        &[],
        &before,
    )
    .await;
}
