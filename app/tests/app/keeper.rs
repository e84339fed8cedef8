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
    async fn send_v0(
        &mut self,
        instructions: &[solana_sdk::instruction::Instruction],
        signers: &[&solana_sdk::signature::Keypair],
        lookup_tables: &[ballast_client::chain::AddressLookupTableAccount],
    ) -> ballast_client::chain::ChainResult<solana_sdk::signature::Signature> {
        self.inner
            .send_v0(instructions, signers, lookup_tables)
            .await
    }
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

/// A keeper holding no USDC, only some BTC deposited in its own obligation, clears a SOL crash
/// of USDC borrowers with flash liquidations: v0 transactions through its lookup table.
#[tokio::test]
async fn a_keeper_with_no_usdc_flash_liquidates_a_usdc_debt() {
    use ballast_app::keeper::LookupTables;
    // Through its lookup table (v0), then as legacy transactions where they fit.
    for (seed, tables) in [(61, LookupTables::Always), (62, LookupTables::WhenNeeded)] {
        flash_liquidation_with_an_empty_wallet(seed, tables).await;
    }
}

async fn flash_liquidation_with_an_empty_wallet(
    seed: u8,
    tables: ballast_app::keeper::LookupTables,
) {
    use ballast_app::keeper::LookupTables;
    use ballast_app::wallet;
    use solana_sdk::signature::Signer;
    let mut m = support::market(seed).await;
    let mut borrowers = vec![];
    for (i, fill) in [0.80, 0.90, 0.95, 0.99].iter().enumerate() {
        let b = support::borrower(&mut m, [70 + i as u8; 32], &[(SOL, 100.0)], USDC, *fill).await;
        borrowers.push(b.obligation);
    }
    // The keeper: lamports, 2 BTC of collateral in its obligation 0, no USDC at all.
    let keeper = solana_sdk::signature::Keypair::new_from_array([69; 32]);
    let keeper_obligation = m.user(&keeper).await.unwrap();
    let units = m.tokens(BTC, 2.0);
    m.mint(&keeper.pubkey(), BTC, units).await.unwrap();
    let view = m.view().await.unwrap();
    wallet::deposit(
        &mut m.chain,
        &view,
        &keeper,
        &keeper_obligation,
        &m.assets[BTC].reserve,
        units,
    )
    .await
    .unwrap();
    assert_eq!(m.balance(&keeper.pubkey(), USDC).await.unwrap(), 0);
    let usdc = m.assets[USDC].reserve;
    let usdc_vault = view.reserves[&usdc].reserve.liquidity_vault;
    let books_gap = |view: &ballast_client::view::MarketView, vault: u64| {
        vault - view.reserves[&usdc].reserve.available_liquidity
    };
    let gap_before = books_gap(&view, m.token_balance(&usdc_vault).await.unwrap());

    m.advance(60, &[]).await.unwrap();
    m.publish(SOL, m.assets[SOL].price * 0.85).await.unwrap();
    let unhealthy_before = {
        let mut n = 0;
        for b in &borrowers {
            n += usize::from(support::is_liquidatable(&mut m, b).await);
        }
        n
    };
    assert!(unhealthy_before >= 2, "{unhealthy_before}");

    m.chain.set_wallet(keeper.insecure_clone());
    let mut config = KeeperConfig::new(m.market);
    config.flash = true;
    config.lookup_table = tables;
    let mut k = Keeper::new(config);
    let (mut liquidations, mut largest) = (0, None);
    for _ in 0..8 {
        let pass = k.pass(&mut m.chain).await.unwrap();
        assert_eq!(pass.failed, 0, "{:?}", pass.actions);
        liquidations += pass.liquidations;
        largest = largest.max(pass.largest_flash_transaction);
        if pass.liquidations == 0 {
            break;
        }
    }
    assert!(liquidations >= unhealthy_before, "{liquidations}");
    for b in &borrowers {
        assert!(!support::is_liquidatable(&mut m, b).await, "{b} escaped");
    }
    // Every flash loan was repaid in its transaction: the keeper still holds no USDC it did not
    // borrow, owes USDC in its obligation, and is healthy under both price policies.
    let view = m.view().await.unwrap();
    let own = wallet::read_obligation(&mut m.chain, &keeper_obligation)
        .await
        .unwrap();
    let report = wallet::health_report(&view, &keeper_obligation, &own).unwrap();
    assert!(!report.liquidatable, "{report:?}");
    assert!(
        own.borrow(&usdc).is_some(),
        "the keeper borrowed the repayments"
    );
    assert!(own
        .active_deposits()
        .any(|d| d.reserve == m.assets[SOL].reserve));
    let (_, strict) = view
        .valuate(&own, ballast::oracle::PricePolicyKind::Strict)
        .unwrap();
    assert!(strict.debt_value <= strict.borrow_limit);
    let keeper_usdc = m.balance(&keeper.pubkey(), USDC).await.unwrap();
    // What is left in the keeper's wallet is what the program clipped below the flash amount.
    assert!(keeper_usdc < 1_000, "{keeper_usdc}");
    // The USDC books still track the vault to the unit (flash loans, fees and borrows included).
    let gap_after = books_gap(&view, m.token_balance(&usdc_vault).await.unwrap());
    assert_eq!(gap_after, gap_before);
    let (bytes, keys, from_table) = largest.expect("a flash liquidation was sent");
    println!("largest flash liquidation ({tables:?}): {bytes} bytes, {keys} account keys ({from_table} from the lookup table)");
    assert!(bytes <= 1_232, "{bytes}");
    match tables {
        LookupTables::Always => assert!(from_table > 0, "through the table"),
        LookupTables::WhenNeeded => assert_eq!(from_table, 0, "a legacy transaction fits"),
    }
}

/// The keeper values an e-mode obligation with its category's threshold and an isolated one like
/// any other (the program's `Valuation`), liquidates both, and the isolated ceiling's counter
/// stays the exact sum of the records.
#[tokio::test]
async fn the_keeper_liquidates_an_emode_and_an_isolated_obligation() {
    let mut m = support::market(7).await;
    let (jsol, wif) = (
        m.asset_named("JSOL").unwrap(),
        m.asset_named("WIF").unwrap(),
    );
    // In the SOL category: ten JSOL, SOL borrowed to 97 % of the category's borrow limit, beyond
    // what the reserve's own 65 % LTV would allow.
    let emode = borrower(&mut m, [60; 32], &[(jsol, 10.0)], SOL, 0.0).await;
    let view = m.view().await.unwrap();
    ballast_app::wallet::set_emode(&mut m.chain, &view, &emode.keypair, &emode.obligation, 2)
        .await
        .unwrap();
    let units = support::borrowable(&mut m, &emode.obligation, SOL, 0.97).await;
    let sol_reserve = m.assets[SOL].reserve;
    ballast_app::wallet::borrow(
        &mut m.chain,
        &view,
        &emode.keypair,
        &emode.obligation,
        &sol_reserve,
        units,
    )
    .await
    .unwrap();
    assert!(
        units > m.tokens(SOL, 9.0),
        "{units}: more than the reserve's LTV allows"
    );
    // Isolated on WIF: 20 000 WIF, USDC to 97 % of the borrow limit.
    let isolated = borrower(&mut m, [61; 32], &[(wif, 20_000.0)], USDC, 0.97).await;
    let wif_reserve = m.assets[wif].reserve;
    let counter =
        |view: &ballast_client::view::MarketView| view.reserves[&wif_reserve].reserve.isolated_debt;
    let state = ballast_app::wallet::read_obligation(&mut m.chain, &isolated.obligation)
        .await
        .unwrap();
    assert_eq!(state.isolated_collateral, wif_reserve);
    let view = m.view().await.unwrap();
    assert_eq!(counter(&view), state.isolated_debt());
    let report = ballast_app::wallet::health_report(&view, &isolated.obligation, &state).unwrap();
    let used = ballast_app::format::usd(state.isolated_debt());
    assert_eq!(
        report.mode,
        format!(
            "isolated on WIF (this obligation {used} of the ceiling's {used} used of $250,000.00)"
        )
    );
    // JSOL −8 %, WIF −40 %: both under water.
    m.advance(60, &[]).await.unwrap();
    m.publish(jsol, 165.0 * 0.92).await.unwrap();
    m.publish(wif, 1.2).await.unwrap();
    assert!(is_liquidatable(&mut m, &emode.obligation).await);
    assert!(is_liquidatable(&mut m, &isolated.obligation).await);

    let mut keeper = Keeper::new(KeeperConfig::new(m.market));
    let pass = keeper.pass(&mut m.chain).await.expect("pass");
    let liquidated = liquidated_obligations(&pass);
    for b in [&emode, &isolated] {
        assert!(liquidated.contains(&b.obligation.to_string()), "{pass:#?}");
        assert!(!is_liquidatable(&mut m, &b.obligation).await);
    }
    let after = ballast_app::wallet::read_obligation(&mut m.chain, &isolated.obligation)
        .await
        .unwrap();
    assert!(
        after.isolated_debt() < state.isolated_debt(),
        "the liquidation released"
    );
    let view = m.view().await.unwrap();
    let isolated_records = if after.isolated_collateral == wif_reserve {
        after.isolated_debt()
    } else {
        0
    };
    assert_eq!(counter(&view), isolated_records, "Σ records = counter");
    let emode_after = ballast_app::wallet::read_obligation(&mut m.chain, &emode.obligation)
        .await
        .unwrap();
    assert_eq!(emode_after.emode_category, 2, "still in e-mode");
}

/// The fullest obligation (5 deposits, 3 borrows) in a market where every reserve has a
/// fallback oracle: its liquidation lists 24 accounts after the named ones, which no legacy
/// transaction holds; the keeper sends it through its lookup table.
#[tokio::test]
async fn an_obligation_too_large_for_a_legacy_transaction_is_liquidated_through_the_lookup_table() {
    use anchor_lang::prelude::Pubkey;
    use ballast_app::migrate::{self, MarketFile, OracleSpec};
    use ballast_app::wallet;
    use solana_sdk::signature::{Keypair, Signer};

    // localnet.toml's six reserves and two more dollars; WIF not isolated; a Switchboard
    // fallback on every reserve that has none.
    let mut file = MarketFile::parse(migrate::LOCALNET).unwrap();
    for symbol in ["USDX", "USDY"] {
        let mut spec = file.reserves[USDC].clone();
        spec.symbol = symbol.to_string();
        spec.mint = Pubkey::new_unique().to_string();
        spec.oracle.account = Some(Pubkey::new_unique().to_string());
        file.reserves.push(spec);
    }
    for (index, spec) in file.reserves.iter_mut().enumerate() {
        spec.debt_ceiling_usd = None;
        if spec.fallback_oracle.is_none() {
            spec.fallback_oracle = Some(OracleSpec {
                source: "switchboard".to_string(),
                account: Some(Pubkey::new_unique().to_string()),
                feed_id: Some(format!("0x{}", format!("{:02x}", 0x40 + index).repeat(32))),
                min_responses: Some(1),
                ..spec.oracle.clone()
            });
            spec.max_oracle_deviation_bps = Some(100);
        }
    }
    let admin = Keypair::new_from_array([77; 32]);
    let chain = ballast_bank::chain::BankChain::start(admin.insecure_clone(), support::START).await;
    let mut m = ballast_app::localnet::LocalMarket::start(
        chain,
        &file,
        admin,
        Keypair::new_from_array([78; 32]),
        support::START,
    )
    .await
    .unwrap();
    assert_eq!(m.assets.len(), 8);
    assert!(m.assets.iter().all(|a| a.fallback.is_some()));

    // A lender of the three debts; the keeper (the admin) holds them too.
    let (collateral, debts) = ([0usize, 1, 2, 3, 4], [5usize, 6, 7]);
    let lender = Keypair::new_from_array([79; 32]);
    let lender_obligation = m.user(&lender).await.unwrap();
    for asset in debts {
        let units = m.tokens(asset, 1_000_000.0);
        m.mint(&lender.pubkey(), asset, units).await.unwrap();
        m.mint(&m.admin.pubkey(), asset, units).await.unwrap();
        let view = m.view().await.unwrap();
        let reserve = m.assets[asset].reserve;
        wallet::deposit(
            &mut m.chain,
            &view,
            &lender,
            &lender_obligation,
            &reserve,
            units,
        )
        .await
        .unwrap();
    }
    // $1 000 of each collateral.
    let deposits: Vec<(usize, f64)> = collateral
        .iter()
        .map(|&asset| (asset, 1_000.0 / m.assets[asset].price))
        .collect();
    let b = borrower(&mut m, [80; 32], &deposits, USDC, 0.0).await;
    // A third, half of the rest, then nearly all that is left: ~97 % of the limit in all.
    for (asset, fill) in debts.into_iter().zip([1.0 / 3.0, 0.5, 0.95]) {
        let units = support::borrowable(&mut m, &b.obligation, asset, fill).await;
        support::borrow(&mut m, &b.keypair, &b.obligation, asset, units)
            .await
            .expect("a borrow of the full obligation fits a legacy transaction");
    }
    let state = wallet::read_obligation(&mut m.chain, &b.obligation)
        .await
        .unwrap();
    assert_eq!(state.active_deposits().count(), 5);
    assert_eq!(state.active_borrows().count(), 3);

    // −25 % on every collateral: liquidatable.
    m.advance(60, &[]).await.unwrap();
    for asset in collateral {
        let price = m.assets[asset].price * 0.75;
        m.publish(asset, price).await.unwrap();
    }
    assert!(is_liquidatable(&mut m, &b.obligation).await);
    let view = m.view().await.unwrap();
    let repay = view.keys(&m.assets[debts[0]].reserve).unwrap();
    let seized = view.keys(&m.assets[collateral[0]].reserve).unwrap();
    let instructions = ballast_client::plans::liquidation(
        &m.admin.pubkey(),
        &m.market,
        &b.obligation,
        &state,
        &repay,
        &seized,
        ballast::instructions::LiquidateArgs {
            max_repay: u64::MAX,
            min_collateral_out: 0,
            receive_shares: false,
        },
        false,
        |reserve| view.oracle_for(reserve),
    );
    let (bytes, _) =
        ballast_client::chain::legacy_transaction_size(&instructions, &m.admin.pubkey());
    assert!(
        bytes > 1_232,
        "the legacy transaction would be {bytes} bytes"
    );
    println!("the full obligation's liquidation with a fallback on every reserve: {bytes} bytes as a legacy transaction");

    let mut keeper = Keeper::new(KeeperConfig::new(m.market));
    let pass = keeper.pass(&mut m.chain).await.expect("a pass");
    assert_eq!(pass.failed, 0, "{pass:#?}");
    assert!(pass.liquidations >= 1, "{pass:#?}");
    assert!(liquidated_obligations(&pass).contains(&b.obligation.to_string()));
    assert!(!is_liquidatable(&mut m, &b.obligation).await);
}
