//! The keeper, the wallet and the dashboard select oracle sources as the program does (issue
//! 15). BTC in `migrations/localnet.toml` has a Pyth primary and a Switchboard fallback; in each
//! state of the two sources (fresh, stale for one policy or both, agreeing or not), for a BTC
//! borrower near its liquidation price:
//! - the off-chain strict valuation (`MarketView::valuate`) refuses exactly when the program's
//!   borrow does, with the same error, and otherwise agrees on the borrow limit;
//! - the off-chain liquidation valuation picks the source the program records
//!   (`Reserve::last_price_source`), and the keeper's plan (`plan_liquidation`) moves exactly
//!   the tokens the program's liquidation moves; when it says healthy or unpriceable, the
//!   program's liquidation fails with `ObligationHealthy` or the same oracle error;
//! - the dashboard's BTC card shows that price and source, or that error.

use ballast::errors::BallastError;
use ballast::oracle::{PricePolicyKind, PriceSource};
use ballast_app::dashboard::pages;
use ballast_app::keeper::plan_liquidation;
use ballast_app::localnet::{BTC, USDC};
use ballast_app::stress::MarketState;
use ballast_app::wallet;
use ballast_client::chain::{ata, Chain, ChainError};
use ballast_client::view::price_f64;
use solana_sdk::signature::{Keypair, Signer};

use crate::support;

/// One state of BTC's two sources: (price, age in seconds) of the primary and the fallback.
struct State {
    name: &'static str,
    primary: (f64, i64),
    fallback: (f64, i64),
    /// What the program should select under the liquidation policy (`None`: no price).
    liquidation: Option<PriceSource>,
    /// The strict policy's error, if it refuses.
    strict_error: Option<BallastError>,
}

const HIGH: f64 = 30_000.0;
const LOW: f64 = 25_000.0;

const STATES: [State; 8] = [
    State {
        name: "both fresh, agreeing, high",
        primary: (HIGH, 0),
        fallback: (HIGH, 0),
        liquidation: Some(PriceSource::Primary),
        strict_error: None,
    },
    State {
        name: "both fresh, agreeing, low",
        primary: (LOW, 0),
        fallback: (LOW, 0),
        liquidation: Some(PriceSource::Primary),
        strict_error: None,
    },
    State {
        name: "primary stale for both policies, fallback fresh and low",
        primary: (HIGH, 400),
        fallback: (LOW, 0),
        liquidation: Some(PriceSource::Fallback),
        strict_error: None,
    },
    State {
        name: "primary stale for the strict policy only, fallback fresh and low",
        primary: (HIGH, 120),
        fallback: (LOW, 0),
        liquidation: Some(PriceSource::Both),
        strict_error: None,
    },
    State {
        name: "both fresh, disagreeing",
        primary: (HIGH, 0),
        fallback: (LOW, 0),
        liquidation: Some(PriceSource::Both),
        strict_error: Some(BallastError::OracleSourcesDisagree),
    },
    State {
        name: "both stale",
        primary: (LOW, 400),
        fallback: (LOW, 400),
        liquidation: None,
        strict_error: Some(BallastError::OracleStale),
    },
    State {
        name: "primary fresh and low, fallback stale",
        primary: (LOW, 0),
        fallback: (HIGH, 400),
        liquidation: Some(PriceSource::Primary),
        strict_error: None,
    },
    State {
        name: "both fresh, within the deviation",
        primary: (HIGH, 0),
        fallback: (HIGH * 0.995, 0),
        liquidation: Some(PriceSource::Primary),
        strict_error: None,
    },
];

fn code(error: &anchor_lang::error::Error) -> u32 {
    match error {
        anchor_lang::error::Error::AnchorError(e) => e.error_code_number,
        anchor_lang::error::Error::ProgramError(e) => {
            panic!("not a program error code: {e:?}")
        }
    }
}

#[tokio::test]
async fn the_keeper_wallet_and_dashboard_select_oracle_sources_as_the_program() {
    let mut m = support::market(31).await;
    assert!(
        m.assets[BTC].fallback.is_some(),
        "localnet.toml gives BTC a fallback oracle"
    );
    let admin: Keypair = m.admin.insecure_clone();
    let mut liquidated = 0;
    for (index, state) in STATES.iter().enumerate() {
        // A BTC borrower at 93 % of its strict limit with both sources agreeing at $30 000:
        // liquidatable at $25 000, healthy at $30 000.
        m.advance(10, &[]).await.unwrap();
        m.publish(BTC, HIGH).await.unwrap();
        let mut seed = [41u8; 32];
        seed[0] = index as u8;
        let b = support::borrower(&mut m, seed, &[(BTC, 1.0)], USDC, 0.93).await;

        // The state, 1 000 s later (every update newer than any price used before).
        m.advance(1_000, &[]).await.unwrap();
        let now = m.now;
        m.publish_primary_at(BTC, state.primary.0, now - state.primary.1)
            .await
            .unwrap();
        m.publish_fallback_at(BTC, state.fallback.0, now - state.fallback.1)
            .await
            .unwrap();
        let name = state.name;
        let view = m.view().await.unwrap();
        let obligation = wallet::read_obligation(&mut m.chain, &b.obligation)
            .await
            .unwrap();

        // Strict: the view's verdict against the program's borrow of one unit.
        let predicted = view.valuate(&obligation, PricePolicyKind::Strict);
        assert_eq!(
            predicted.as_ref().err().map(code),
            state.strict_error.map(u32::from),
            "{name}: the view's strict valuation"
        );
        let usdc = m.assets[USDC].reserve;
        let borrowed =
            wallet::borrow(&mut m.chain, &view, &b.keypair, &b.obligation, &usdc, 1).await;
        let on_chain = borrowed.as_ref().err().map(|e| {
            let chain = e.downcast_ref::<ChainError>().expect("a chain error");
            match chain {
                ChainError::Rejected(error) => {
                    ballast_client::errors::custom_code(error).expect("a program error")
                }
                other => panic!("{name}: {other}"),
            }
        });
        let expected = match &predicted {
            Err(error) => Some(code(error)),
            Ok((_, totals)) if totals.is_within_borrow_limit() => None,
            Ok(_) => Some(u32::from(BallastError::BorrowLimitExceeded)),
        };
        assert_eq!(on_chain, expected, "{name}: the program's borrow");

        // Liquidation: the view's source and the keeper's plan against the program.
        let view = m.view().await.unwrap();
        let obligation = wallet::read_obligation(&mut m.chain, &b.obligation)
            .await
            .unwrap();
        let valued = view.valuate(&obligation, PricePolicyKind::Liquidation);
        let dashboard =
            pages::market_page(&MarketState::load(&mut m.chain, &m.market).await.unwrap()).unwrap();
        let card = dashboard
            .reserves
            .iter()
            .find(|r| r.row.symbol == "BTC")
            .expect("a BTC card");
        let ix = support::liquidate_ix(&m, &view, &b.obligation, &obligation, USDC, BTC);
        match (&valued, state.liquidation) {
            (Err(error), None) => {
                let result = m.chain.simulate(&[ix], &[&admin]).await;
                let rejected = result.expect_err("no price, no liquidation");
                let ChainError::Rejected(tx_error) = &rejected else {
                    panic!("{name}: {rejected}")
                };
                assert_eq!(
                    ballast_client::errors::custom_code(tx_error),
                    Some(code(error)),
                    "{name}: the program's liquidation fails as the view's valuation"
                );
                assert_eq!(card.price, None, "{name}");
                assert!(card.price_error.is_some(), "{name}");
            }
            (Ok((valuation, totals)), Some(source)) => {
                let btc = &m.assets[BTC].reserve.clone();
                let price = valuation.get(btc).expect("BTC").price.expect("a BTC price");
                assert_eq!(price.source, source, "{name}: the view's source");
                let reserve_config = view.reserves[btc].reserve.config;
                assert_eq!(
                    card.price,
                    Some(format!("${:.4}", price_f64(price.collateral))),
                    "{name}: the dashboard's price"
                );
                assert_eq!(
                    card.price_source,
                    Some(ballast_app::format::source_label(&reserve_config, source)),
                    "{name}: the dashboard's source"
                );
                if totals.is_liquidatable() {
                    let plan = plan_liquidation(&view, valuation, totals, &obligation, None, 0)
                        .expect("the keeper plans a liquidation");
                    let usdc_ata = ata(
                        &admin.pubkey(),
                        &m.assets[USDC].mint,
                        &anchor_spl::token::ID,
                    );
                    let btc_ata = ata(&admin.pubkey(), &m.assets[BTC].mint, &anchor_spl::token::ID);
                    let usdc_before = m.token_balance(&usdc_ata).await.unwrap();
                    let btc_before = m.token_balance(&btc_ata).await.unwrap();
                    m.chain
                        .send(&[ix], &[&admin])
                        .await
                        .expect("the liquidation");
                    let repaid = usdc_before - m.token_balance(&usdc_ata).await.unwrap();
                    let seized = m.token_balance(&btc_ata).await.unwrap() - btc_before;
                    assert_eq!(
                        (repaid, seized),
                        (plan.expected_repay, plan.expected_collateral_out),
                        "{name}: the keeper's plan, to the token unit"
                    );
                    let recorded = m.view().await.unwrap().reserves[btc]
                        .reserve
                        .last_price_source;
                    assert_eq!(
                        recorded, source as u8,
                        "{name}: the source the program records"
                    );
                    liquidated += 1;
                } else {
                    let result = m.chain.simulate(&[ix], &[&admin]).await;
                    assert!(
                        result
                            .as_ref()
                            .is_err_and(|e| e.is(BallastError::ObligationHealthy)),
                        "{name}: healthy for the view, healthy for the program: {result:?}"
                    );
                }
            }
            (valued, expected) => panic!(
                "{name}: the view valued {:?}, expected {expected:?}",
                valued.as_ref().map(|_| ()).map_err(code)
            ),
        }
    }
    assert!(liquidated >= 4, "most states liquidate: {liquidated}");
}
