//! The stress test's simulated cascade against the real keeper on the embedded bank, and its
//! figures against independent arithmetic.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use ballast::math::WAD;
use ballast_app::keeper::{Keeper, KeeperConfig};
use ballast_app::localnet::{LocalMarket, BTC, SOL, USDC};
use ballast_app::stress::{self, MarketState, Shock, SimConfig};
use ballast_client::chain::LocalChain;
use solana_sdk::signature::Signer;

use crate::support::{self, borrower};

/// A market with SOL borrowers at increasing fills, a BTC borrower near its limit, a borrower
/// on both SOL and BTC collateral, and a SOL borrower of BTC.
pub async fn crowded_market(seed: u8) -> LocalMarket {
    let mut m = support::market(seed).await;
    for (i, fill) in [0.30, 0.55, 0.75, 0.90, 0.97, 0.99].iter().enumerate() {
        borrower(&mut m, [40 + i as u8; 32], &[(SOL, 100.0)], USDC, *fill).await;
    }
    borrower(&mut m, [50; 32], &[(BTC, 1.0)], USDC, 0.97).await;
    borrower(&mut m, [51; 32], &[(SOL, 50.0), (BTC, 0.5)], USDC, 0.95).await;
    borrower(&mut m, [52; 32], &[(SOL, 200.0)], BTC, 0.9).await;
    m.advance(60, &[]).await.unwrap();
    m
}

fn shock(m: &LocalMarket, moves: &[(usize, i64)]) -> Shock {
    Shock {
        moves: moves
            .iter()
            .map(|(asset, bps)| (m.assets[*asset].reserve, *bps))
            .collect(),
    }
}

/// Runs the real keeper until a pass does nothing; returns (liquidation transactions,
/// obligations written off, failures).
async fn run_keeper(m: &mut LocalMarket) -> (usize, usize, usize) {
    let mut keeper = Keeper::new(KeeperConfig::new(m.market));
    let (mut liquidations, mut written_off, mut failed) = (0, 0, 0);
    for _ in 0..16 {
        let pass = keeper.pass(&mut m.chain).await.expect("a keeper pass");
        liquidations += pass.liquidations;
        written_off += pass.bad_debt_realized;
        failed += pass.failed;
        if pass.liquidations == 0 && pass.bad_debt_realized == 0 {
            break;
        }
    }
    (liquidations, written_off, failed)
}

#[tokio::test]
async fn the_simulated_cascade_is_what_the_real_keeper_does_on_the_bank() {
    for (seed, moves) in [
        (21u8, vec![(SOL, -2_000), (BTC, -6_000)]),
        (22, vec![(SOL, -4_500)]),
        (23, vec![(SOL, -9_000), (BTC, -9_000)]),
    ] {
        let mut m = crowded_market(seed).await;
        let state = MarketState::load(&mut m.chain, &m.market).await.unwrap();
        let shock = shock(&m, &moves);
        let keeper = m.admin.pubkey();
        let simulated = stress::simulate(&state, &shock, &SimConfig::new(keeper));
        assert!(
            simulated.failed.is_empty(),
            "{moves:?}: {:?}",
            simulated.failed
        );
        assert!(
            !simulated.liquidations.is_empty(),
            "{moves:?}: nothing liquidated"
        );

        // The same prices, published in the bank at the same moment; the real keeper runs.
        for (oracle, account) in stress::shocked_oracles(&state.view, &shock) {
            m.chain.set_account(&oracle, account).await.unwrap();
        }
        let (liquidations, written_off, failed) = run_keeper(&mut m).await;
        assert_eq!(failed, 0, "{moves:?}");
        assert_eq!(liquidations, simulated.liquidations.len(), "{moves:?}");
        assert_eq!(written_off, simulated.written_off_obligations, "{moves:?}");

        // Every reserve and every obligation as the bank holds them, field for field.
        let after = MarketState::load(&mut m.chain, &m.market).await.unwrap();
        let books = simulated.books.as_ref().expect("books");
        for (key, entry) in &after.view.reserves {
            let executed = entry.reserve.projected(after.view.now).unwrap();
            assert_eq!(
                format!("{executed:?}"),
                format!("{:?}", books.reserves[key]),
                "{moves:?}: reserve {key}"
            );
        }
        let simulated_positions: BTreeMap<Pubkey, String> = simulated
            .obligations
            .iter()
            .map(|(k, o)| (*k, format!("{:?} {:?}", o.deposits, o.borrows)))
            .collect();
        let executed_positions: BTreeMap<Pubkey, String> = after
            .obligations
            .iter()
            .map(|(k, o)| (*k, format!("{:?} {:?}", o.deposits, o.borrows)))
            .collect();
        assert_eq!(executed_positions, simulated_positions, "{moves:?}");
        assert_eq!(
            simulated.still_liquidatable, 0,
            "{moves:?}: a position escaped"
        );
    }
}

#[tokio::test]
async fn the_stress_figures_follow_the_waterfall_and_grow_with_the_shock() {
    let mut m = crowded_market(24).await;
    let state = MarketState::load(&mut m.chain, &m.market).await.unwrap();
    let config = SimConfig::new(m.admin.pubkey());

    // No move: nothing happens and the books are the market's own.
    let calm = stress::simulate(&state, &Shock::default(), &config);
    assert!(calm.liquidations.is_empty());
    assert_eq!(calm.bad_debt_usd_wad, 0);
    for reserve in &calm.reserves {
        assert_eq!(
            reserve.share_value_before_wad,
            reserve.share_value_after_wad
        );
        assert_eq!(reserve.fund_before, reserve.fund_after);
    }

    // Independently of the program's split: per reserve, the fund covers
    // min(bad debt, fund + pending insurance) and depositors the rest, and the fund falls by
    // the tokens it paid.
    let outcome = stress::simulate(&state, &shock(&m, &[(SOL, -9_000), (BTC, -9_000)]), &config);
    assert!(
        outcome.bad_debt_usd_wad > 0,
        "a −90 % crash leaves bad debt"
    );
    for reserve in &outcome.reserves {
        let key: Pubkey = reserve.reserve.parse().unwrap();
        let start = state.view.reserves[&key]
            .reserve
            .projected(state.view.now)
            .unwrap();
        let fund_wad = u128::from(start.fund_balance) * WAD + start.pending_insurance_wad;
        assert_eq!(
            reserve.covered_wad,
            reserve.bad_debt_wad.min(fund_wad),
            "{}",
            reserve.symbol
        );
        assert_eq!(
            reserve.socialized_wad,
            reserve.bad_debt_wad - reserve.covered_wad,
            "{}",
            reserve.symbol
        );
        if reserve.socialized_wad > 0 {
            assert!(reserve.share_value_after_wad < reserve.share_value_before_wad);
            assert_eq!(reserve.fund_after, 0, "{}", reserve.symbol);
        }
    }

    // The sweep: bad debt never shrinks as the crash deepens.
    let reserves = [m.assets[SOL].reserve, m.assets[BTC].reserve];
    let moves: Vec<i64> = (1..=10).map(|i| -950 * i).collect();
    let points = stress::sweep(&state, &reserves, &moves, &config).unwrap();
    assert_eq!(points.len(), 10);
    for pair in points.windows(2) {
        assert!(pair[0].move_bps > pair[1].move_bps);
        assert!(
            pair[1].bad_debt_usd_wad >= pair[0].bad_debt_usd_wad,
            "{pair:?}"
        );
    }
}

#[test]
fn a_move_outside_its_range_is_refused_by_name() {
    assert_eq!(stress::parse_move_percent("-40").unwrap(), -4_000);
    assert_eq!(stress::parse_move_percent("-12.5%").unwrap(), -1_250);
    for bad in ["-96", "-120", "250", "abc", "NaN", ""] {
        let error = stress::parse_move_percent(bad).unwrap_err().to_string();
        assert!(
            error.contains("between -95% and +200%") || error.contains("not a percentage"),
            "{bad}: {error}"
        );
    }
    assert!(Shock::uniform(&[Pubkey::new_unique()], -10_000).is_err());
}
