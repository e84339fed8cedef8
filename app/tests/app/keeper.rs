//! The keeper on the embedded bank.

use ballast_app::keeper::{Action, Keeper, KeeperConfig, PassSummary};
use ballast_app::localnet::{BTC, SOL, USDC};
use ballast_client::chain::{Chain, LocalChain};

use crate::support::{self, borrower, bytes, is_liquidatable};

#[tokio::test]
async fn a_crash_is_cleaned_up_in_one_pass_and_the_second_pass_does_nothing() {
    let mut m = support::market(1).await;
    // Eight SOL-collateral borrowers at increasing fills of their borrow limit, and one
    // BTC-collateral borrower at the limit.
    let fills = [0.30, 0.40, 0.50, 0.60, 0.75, 0.92, 0.96, 0.99];
    let mut sol_borrowers = vec![];
    for (i, fill) in fills.iter().enumerate() {
        sol_borrowers
            .push(borrower(&mut m, [10 + i as u8; 32], &[(SOL, 100.0)], USDC, *fill).await);
    }
    let doomed = borrower(&mut m, [30; 32], &[(BTC, 1.0)], USDC, 0.97).await;
    // −20 % on SOL (HF ≈ 0.88 / fill: the three fullest go under) and −60 % on BTC (the BTC
    // borrower's collateral no longer covers its debt).
    m.advance(60, &[]).await.unwrap();
    m.publish(SOL, 120.0).await.unwrap();
    m.publish(BTC, 24_000.0).await.unwrap();
    let mut expected = vec![];
    for b in sol_borrowers.iter().chain([&doomed]) {
        expected.push(is_liquidatable(&mut m, &b.obligation).await);
    }
    assert_eq!(
        expected,
        [false, false, false, false, false, true, true, true, true]
    );
    let mut healthy_before = vec![];
    for b in &sol_borrowers[..5] {
        healthy_before.push(bytes(&mut m, &b.obligation).await);
    }

    let mut keeper = Keeper::new(KeeperConfig::new(m.market));
    let first = keeper.pass(&mut m.chain).await.expect("first pass");
    assert_eq!(first.unhealthy, 4, "{first:#?}");
    assert_eq!(first.liquidated, 4, "{first:#?}");
    assert_eq!(first.failed, 0, "{first:#?}");
    assert!(first.bad_debt_realized >= 1, "{first:#?}");
    let liquidated: Vec<String> = liquidated_obligations(&first);
    for b in &sol_borrowers[5..] {
        assert!(liquidated.contains(&b.obligation.to_string()));
        assert!(!is_liquidatable(&mut m, &b.obligation).await);
    }
    assert!(liquidated.contains(&doomed.obligation.to_string()));
    let doomed_after = ballast_app::wallet::read_obligation(&mut m.chain, &doomed.obligation)
        .await
        .unwrap();
    assert!(!doomed_after.has_debt(), "the bad debt was written off");
    for (b, before) in sol_borrowers[..5].iter().zip(healthy_before) {
        assert_eq!(
            bytes(&mut m, &b.obligation).await,
            before,
            "a healthy one was touched"
        );
    }
    let reserve = m.view().await.unwrap().reserves[&m.assets[USDC].reserve]
        .reserve
        .clone();
    assert!(reserve.cumulative_fund_covered_wad + reserve.cumulative_socialized_wad > 0);

    let second = keeper.pass(&mut m.chain).await.expect("second pass");
    assert_eq!(
        (
            second.unhealthy,
            second.liquidations,
            second.bad_debt_realized,
            second.failed
        ),
        (0, 0, 0, 0),
        "{second:#?}"
    );
}

fn liquidated_obligations(summary: &PassSummary) -> Vec<String> {
    summary
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Liquidated { obligation, .. } | Action::BadDebtRealized { obligation, .. } => {
                Some(obligation.clone())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_obligation_made_healthy_between_scan_and_send_is_skipped() {
    let mut m = support::market(2).await;
    let b = borrower(&mut m, [40; 32], &[(SOL, 100.0)], USDC, 0.95).await;
    m.advance(60, &[]).await.unwrap();
    m.publish(SOL, 120.0).await.unwrap();
    let mut keeper = Keeper::new(KeeperConfig::new(m.market));
    let mut summary = PassSummary::default();
    let (mut view, candidates) = keeper.scan(&mut m.chain, &mut summary).await.unwrap();
    assert_eq!(candidates.len(), 1);
    // The price recovers before the keeper acts.
    m.publish(SOL, 150.0).await.unwrap();
    let before = bytes(&mut m, &b.obligation).await;
    keeper
        .execute(&mut m.chain, &mut view, &candidates, &mut summary)
        .await
        .unwrap();
    assert_eq!(
        (summary.skipped_healthy, summary.liquidations),
        (1, 0),
        "{summary:#?}"
    );
    assert_eq!(bytes(&mut m, &b.obligation).await, before);
}

#[tokio::test]
async fn a_dry_run_plans_without_sending() {
    let mut m = support::market(3).await;
    let b = borrower(&mut m, [50; 32], &[(SOL, 100.0)], USDC, 0.95).await;
    m.advance(60, &[]).await.unwrap();
    m.publish(SOL, 120.0).await.unwrap();
    let mut config = KeeperConfig::new(m.market);
    config.dry_run = true;
    let before = bytes(&mut m, &b.obligation).await;
    let summary = Keeper::new(config).pass(&mut m.chain).await.unwrap();
    assert_eq!(summary.unhealthy, 1);
    assert_eq!(summary.liquidations, 0);
    assert!(matches!(summary.actions[0], Action::WouldLiquidate { .. }));
    assert_eq!(bytes(&mut m, &b.obligation).await, before);
}

#[tokio::test]
async fn a_stale_oracle_is_counted_as_unpriceable_not_as_healthy() {
    let mut m = support::market(4).await;
    borrower(&mut m, [60; 32], &[(SOL, 100.0)], USDC, 0.95).await;
    m.publish(SOL, 120.0).await.unwrap();
    m.advance(600, &[SOL]).await.unwrap();
    let summary = Keeper::new(KeeperConfig::new(m.market))
        .pass(&mut m.chain)
        .await
        .unwrap();
    assert_eq!(
        (summary.unpriceable, summary.liquidations),
        (1, 0),
        "{summary:#?}"
    );
}

#[tokio::test]
async fn an_obligation_that_fails_backs_off_for_the_next_pass() {
    let mut m = support::market(5).await;
    borrower(&mut m, [70; 32], &[(SOL, 100.0)], USDC, 0.95).await;
    m.advance(60, &[]).await.unwrap();
    m.publish(SOL, 120.0).await.unwrap();
    // A keeper with SOL for fees but no USDC to repay with.
    let poor = solana_sdk::signature::Keypair::new_from_array([71; 32]);
    m.chain
        .airdrop(&solana_sdk::signature::Signer::pubkey(&poor), 1_000_000_000)
        .await
        .unwrap();
    m.chain.set_wallet(poor);
    let mut keeper = Keeper::new(KeeperConfig::new(m.market));
    let first = keeper.pass(&mut m.chain).await.unwrap();
    assert_eq!(
        (first.unhealthy, first.failed, first.liquidations),
        (1, 1, 0),
        "{first:#?}"
    );
    assert!(
        matches!(&first.actions[0], Action::Failed { error, .. } if error.contains("inventory"))
    );
    let second = keeper.pass(&mut m.chain).await.unwrap();
    assert_eq!(
        (second.unhealthy, second.failed, second.backed_off),
        (1, 0, 1),
        "{second:#?}"
    );
}

/// A chain whose RPC fails the first `failures` reads.
struct Flaky<'a> {
    inner: &'a mut ballast_bank::chain::BankChain,
    failures: usize,
}

impl ballast_client::chain::Chain for Flaky<'_> {
    fn wallet(&self) -> &solana_sdk::signature::Keypair {
        self.inner.wallet()
    }
    fn set_wallet(&mut self, wallet: solana_sdk::signature::Keypair) {
        self.inner.set_wallet(wallet);
    }
    async fn accounts(
        &mut self,
        keys: &[anchor_lang::prelude::Pubkey],
    ) -> ballast_client::chain::ChainResult<Vec<Option<solana_sdk::account::Account>>> {
        if self.failures > 0 {
            self.failures -= 1;
            return Err(ballast_client::chain::ChainError::Transport(
                "connection reset".into(),
            ));
        }
        self.inner.accounts(keys).await
    }
    async fn program_accounts(
        &mut self,
        data_len: usize,
        market: &anchor_lang::prelude::Pubkey,
    ) -> ballast_client::chain::ChainResult<
        Vec<(anchor_lang::prelude::Pubkey, solana_sdk::account::Account)>,
    > {
        self.inner.program_accounts(data_len, market).await
    }
    async fn now(&mut self) -> ballast_client::chain::ChainResult<i64> {
        self.inner.now().await
    }
    async fn simulate(
        &mut self,
        instructions: &[solana_sdk::instruction::Instruction],
        signers: &[&solana_sdk::signature::Keypair],
    ) -> ballast_client::chain::ChainResult<()> {
        self.inner.simulate(instructions, signers).await
    }
    async fn send(
        &mut self,
        instructions: &[solana_sdk::instruction::Instruction],
        signers: &[&solana_sdk::signature::Keypair],
    ) -> ballast_client::chain::ChainResult<solana_sdk::signature::Signature> {
        self.inner.send(instructions, signers).await
    }
}

#[tokio::test]
async fn an_rpc_failure_fails_the_pass_not_the_keeper() {
    let mut m = support::market(6).await;
    borrower(&mut m, [80; 32], &[(SOL, 100.0)], USDC, 0.95).await;
    m.advance(60, &[]).await.unwrap();
    m.publish(SOL, 120.0).await.unwrap();
    let mut flaky = Flaky {
        inner: &mut m.chain,
        failures: 1,
    };
    let mut keeper = Keeper::new(KeeperConfig::new(m.market));
    let error = keeper.pass(&mut flaky).await.unwrap_err();
    assert!(ballast_app::keeper::is_transport(&error), "{error:#}");
    let summary = keeper.pass(&mut flaky).await.unwrap();
    assert_eq!(summary.liquidated, 1, "{summary:#?}");
}
