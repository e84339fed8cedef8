//! Off-chain health is the program's: for random obligations and prices near the edges, the
//! keeper's view (`MarketView::valuate`) and the program agree on
//! - whether a borrow fits the borrow limit (strict prices): the off-chain verdict on the
//!   obligation as the borrow would leave it, against the outcome of the real borrow;
//! - whether the obligation is liquidatable (liquidation prices): the off-chain verdict
//!   against a simulated `liquidate`, which fails with `ObligationHealthy` exactly when not.

use std::cell::RefCell;

use anchor_lang::AccountSerialize;
use ballast::errors::BallastError;
use ballast::oracle::PricePolicyKind;
use ballast_app::localnet::{LocalMarket, BTC, SOL, USDC};
use ballast_app::wallet;
use ballast_client::chain::Chain;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use solana_sdk::signature::Keypair;

use crate::support::{self, borrowable};

/// Whether the program's `borrow` of `units` would pass its borrow-limit check, computed with
/// the program's own reserve and obligation methods on copies of the stored accounts.
fn offchain_borrow_fits(
    view: &ballast_client::view::MarketView,
    obligation: &ballast::state::Obligation,
    reserve_key: &anchor_lang::prelude::Pubkey,
    units: u64,
) -> bool {
    let mut view_after = ballast_client::view::MarketView {
        key: view.key,
        market: view.market.clone(),
        reserves: view.reserves.clone(),
        oracles: view.oracles.clone(),
        now: view.now,
    };
    let entry = view_after.reserves.get_mut(reserve_key).unwrap();
    let mut reserve = entry.reserve.clone();
    reserve.accrue_interest(view.now).unwrap();
    let Ok(scaled) = reserve.borrow(units) else {
        return false;
    };
    let mut data = vec![];
    reserve.try_serialize(&mut data).unwrap();
    entry.account.data[..data.len()].copy_from_slice(&data);
    entry.reserve = reserve;
    let mut after = obligation.clone();
    after.add_debt(*reserve_key, scaled).unwrap();
    view_after
        .valuate(&after, PricePolicyKind::Strict)
        .map(|(_, t)| t.is_within_borrow_limit())
        .unwrap_or(false)
}

#[test]
fn offchain_health_equals_the_programs_check() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let market = RefCell::new(runtime.block_on(support::market(9)));
    let case = RefCell::new(0u32);
    // (borrow fitted, borrow refused, liquidatable, healthy): both sides of each edge must occur.
    let seen = RefCell::new([0u32; 4]);
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        1.0f64..500.0,      // SOL collateral
        0.0f64..2.0,        // BTC collateral
        0.05f64..0.98,      // fill of the borrow limit
        0.45f64..1.05,      // SOL price move
        -0.002f64..0.002,   // borrow amount around the remaining limit
        -0.0005f64..0.0005, // SOL price around the liquidation price
    );
    runner
        .run(
            &strategy,
            |(sol, btc, fill, sol_move, borrow_edge, liq_edge)| {
                let m: &mut LocalMarket = &mut market.borrow_mut();
                *case.borrow_mut() += 1;
                let seed = *case.borrow();
                runtime.block_on(async {
                    m.advance(10, &[]).await.unwrap();
                    m.publish(SOL, 150.0).await.unwrap();
                    m.publish(BTC, 60_000.0).await.unwrap();
                    let mut seed_bytes = [7u8; 32];
                    seed_bytes[..4].copy_from_slice(&seed.to_le_bytes());
                    let mut collateral = vec![(SOL, (sol * 1e3).round() / 1e3)];
                    if btc > 0.01 {
                        collateral.push((BTC, (btc * 1e4).round() / 1e4));
                    }
                    let b = support::borrower(m, seed_bytes, &collateral, USDC, fill).await;
                    m.publish(SOL, 150.0 * sol_move).await.unwrap();

                    // 1. A borrow at the edge of the strict limit.
                    let units = borrowable(m, &b.obligation, USDC, 1.0).await;
                    let units = ((units as f64) * (1.0 + borrow_edge)).max(1.0) as u64;
                    let view = m.view().await.unwrap();
                    let state = wallet::read_obligation(&mut m.chain, &b.obligation)
                        .await
                        .unwrap();
                    let reserve = m.assets[USDC].reserve;
                    let predicted = offchain_borrow_fits(&view, &state, &reserve, units);
                    let outcome = support::borrow(m, &b.keypair, &b.obligation, USDC, units).await;
                    let on_chain = match &outcome {
                        Ok(_) => true,
                        Err(error) => {
                            let limit = error
                                .downcast_ref::<ballast_client::chain::ChainError>()
                                .is_some_and(|e| e.is(BallastError::BorrowLimitExceeded));
                            prop_assert!(limit, "unexpected borrow failure: {error:#}");
                            false
                        }
                    };
                    prop_assert_eq!(predicted, on_chain, "borrow of {} units", units);
                    seen.borrow_mut()[if on_chain { 0 } else { 1 }] += 1;

                    // 2. Liquidatable or not, at a price next to the liquidation price.
                    let view = m.view().await.unwrap();
                    let state = wallet::read_obligation(&mut m.chain, &b.obligation)
                        .await
                        .unwrap();
                    let report = wallet::health_report(&view, &b.obligation, &state)
                        .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
                    let sol_row = report
                        .positions
                        .iter()
                        .find(|p| p.asset == "SOL")
                        .cloned()
                        .unwrap();
                    if let Some(price) = sol_row.liquidation_price {
                        let price: f64 = price.trim_start_matches('$').parse().unwrap();
                        m.publish(SOL, price * (1.0 + liq_edge)).await.unwrap();
                    }
                    let view = m.view().await.unwrap();
                    let predicted = view
                        .valuate(&state, PricePolicyKind::Liquidation)
                        .map(|(_, t)| t.is_liquidatable())
                        .unwrap();
                    let on_chain = liquidation_attempt(m, &b.obligation).await;
                    let healthy_on_chain = on_chain
                        .as_ref()
                        .is_err_and(|e| e.is(BallastError::ObligationHealthy));
                    prop_assert_eq!(
                        predicted,
                        !healthy_on_chain,
                        "liquidation check disagreed (program said {:?})",
                        on_chain.err().map(|e| e.to_string())
                    );
                    seen.borrow_mut()[if predicted { 2 } else { 3 }] += 1;
                    Ok(())
                })
            },
        )
        .unwrap();
    let seen = *seen.borrow();
    assert!(
        seen.iter().all(|n| *n > 0),
        "an edge was never exercised: {seen:?}"
    );
}

/// Simulates a liquidation by the admin.
async fn liquidation_attempt(
    m: &mut LocalMarket,
    obligation: &anchor_lang::prelude::Pubkey,
) -> Result<(), ballast_client::chain::ChainError> {
    let view = m.view().await.unwrap();
    let state = wallet::read_obligation(&mut m.chain, obligation)
        .await
        .unwrap();
    let admin: Keypair = m.admin.insecure_clone();
    let ix = support::liquidate_ix(m, &view, obligation, &state, USDC, SOL);
    m.chain.simulate(&[ix], &[&admin]).await
}
