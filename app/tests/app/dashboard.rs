//! `ballast dashboard` in a real browser (headless Chromium over WebDriver), on the embedded
//! bank: the numbers a person reads equal what `ballast health --output json` and the chain say,
//! the what-if and stress controls give what the bank then does when those prices are published,
//! bad input gets a clear page and the right status, and `ballast demo --dashboard`'s time slider
//! replays the story.

use std::collections::BTreeMap;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use ballast::math::WAD;
use ballast::oracle::PricePolicyKind;
use ballast_app::dashboard::{self, pages, Snapshot, Source};
use ballast_app::format::{amount_short, usd};
use ballast_app::keeper::{plan_liquidation, Keeper, KeeperConfig};
use ballast_app::localnet::{LocalMarket, SOL, USDC};
use ballast_app::stress::{self, MarketState, Shock, SimConfig};
use ballast_app::wallet;
use ballast_client::chain::{Chain, LocalChain};
use ballast_client::rpc::{CommitmentConfig, RpcChain};
use serde_json::Value;
use solana_sdk::signature::Keypair;

use crate::browser::{screenshot_dir, Browser};

/// Serves `source` on a free loopback port; returns its base URL.
async fn serve(source: Source) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(dashboard::serve(listener, source));
    base
}

/// Runs `body` while a loader serves `market` from `chain` to a dashboard at the returned URL.
async fn with_live<C: Chain, T>(
    chain: &mut C,
    market: Pubkey,
    body: impl AsyncFnOnce(String) -> T,
) -> T {
    let (live, requests) = dashboard::live(market, "the embedded bank");
    let base = serve(Source::Live(live)).await;
    tokio::select! {
        _ = dashboard::loader(chain, market, requests, Duration::ZERO) => panic!("the loader stopped"),
        out = body(base) => out,
    }
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("the dashboard answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// What `ballast health --output json` prints for each obligation of the market.
fn health_json(state: &MarketState) -> BTreeMap<String, Value> {
    state
        .obligations
        .iter()
        .filter_map(|(key, obligation)| {
            let report = wallet::health_report(&state.view, key, obligation).ok()?;
            Some((key.to_string(), serde_json::to_value(report).unwrap()))
        })
        .collect()
}

/// Each reserve's bad-debt fund as the chain holds it: the fund vault's tokens plus pending
/// insurance, formatted as the market view prints it.
async fn funds_on_chain(m: &mut LocalMarket) -> BTreeMap<String, String> {
    let view = m.view().await.unwrap();
    let mut out = BTreeMap::new();
    for entry in view.reserves.values() {
        let reserve = entry.reserve.projected(view.now).unwrap();
        let vault = m.token_balance(&reserve.fund_vault).await.unwrap();
        let fund = u128::from(vault) + reserve.pending_insurance_wad / WAD;
        out.insert(
            wallet::symbol(&reserve.mint),
            amount_short(fund, reserve.decimals),
        );
    }
    out
}

/// What a person saw after moving the controls, checked against the bank afterwards.
struct Seen {
    what_if_hf: String,
    what_if_repay: String,
    what_if_seize: String,
    /// Per reserve symbol: the stress table's cells.
    stress: BTreeMap<String, Vec<String>>,
    stress_liquidations: String,
}

#[tokio::test]
async fn a_person_reads_the_chains_numbers_in_a_real_browser() {
    let browser = Browser::start().await;
    let shots = screenshot_dir(false);
    let mut m = crate::stress::crowded_market(31).await;
    let market = m.market;
    let state = MarketState::load(&mut m.chain, &market).await.unwrap();
    let health = health_json(&state);
    let funds = funds_on_chain(&mut m).await;
    assert!(health.len() >= 9, "{}", health.len());
    // The obligation closest to liquidation, with SOL collateral.
    let (risky, risky_report) = health
        .iter()
        .filter(|(_, r)| r["debt_usd"] != "$0.00")
        .filter(|(_, r)| r["positions"][0]["asset"] == "SOL")
        .min_by(|a, b| {
            a.1["health_factor"]
                .as_str()
                .cmp(&b.1["health_factor"].as_str())
        })
        .map(|(k, r)| (k.clone(), r.clone()))
        .unwrap();
    let crash = Shock {
        moves: BTreeMap::from([(m.assets[SOL].reserve, -4_000)]),
    };
    let expected_stress = stress::simulate(&state, &crash, &SimConfig::new(Pubkey::default()));
    assert!(!expected_stress.liquidations.is_empty());

    let seen = with_live(&mut m.chain, market, async |base: String| {
        // Market: every reserve's fund as the chain holds it, deposits and borrows as `reserve
        // list` prints them.
        browser.open(&format!("{base}/")).await;
        let rows = wallet::reserve_list(&state.view).unwrap();
        for row in &rows {
            let cell = |name: &str| format!("tr[data-reserve={}] [data-test={name}]", row.symbol);
            assert_eq!(browser.text(&cell("fund")).await, funds[&row.symbol], "{} fund", row.symbol);
            assert_eq!(browser.text(&cell("deposits")).await, row.deposits);
            assert_eq!(browser.text(&cell("borrows")).await, row.borrows);
            assert_eq!(browser.text(&cell("utilization")).await, row.utilization);
        }
        assert_eq!(browser.all("svg[data-test=rate-curve]").await.len(), rows.len());
        browser.screenshot(&shots, "market").await;

        // Positions: every obligation's HF and liquidation prices as `ballast health` gives them.
        browser.open(&format!("{base}/positions")).await;
        for (key, report) in &health {
            let row = format!("tr[data-obligation='{key}']");
            assert_eq!(
                browser.text(&format!("{row} [data-test=hf]")).await,
                report["health_factor"].as_str().unwrap(),
                "{key}"
            );
            let expected: Vec<String> = report["positions"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| {
                    Some(format!(
                        "{} {} ({})",
                        p["asset"].as_str()?,
                        p["liquidation_price"].as_str()?,
                        p["move_to_liquidation"].as_str()?
                    ))
                })
                .collect();
            assert_eq!(
                browser.texts(&format!("{row} [data-test=liquidation-price]")).await,
                expected,
                "{key}"
            );
        }
        let with_debt = health.values().filter(|r| r["debt_usd"] != "$0.00").count();
        let bars = browser.all("svg[data-test=hf-histogram] rect").await.len();
        assert_eq!(bars, 8);
        // The person narrows the list: only obligations at risk (the select applies itself).
        browser.mark().await;
        browser
            .run(
                "const s = document.querySelector('select[name=status]'); s.value = 'risk'; \
                 s.dispatchEvent(new Event('change', {bubbles: true}));",
                serde_json::json!([]),
            )
            .await;
        browser.wait_new_page().await;
        assert!(browser.url().await.contains("status=risk"));
        let shown = browser.texts("tr[data-obligation] [data-test=hf]").await;
        let at_risk = health
            .values()
            .filter(|r| r["debt_usd"] != "$0.00")
            .filter(|r| r["health_factor"].as_str().unwrap().parse::<f64>().unwrap() < 1.25)
            .count();
        assert_eq!(shown.len(), at_risk);
        assert!(at_risk > 0 && at_risk < with_debt);
        let mut sorted = shown.clone();
        sorted.sort_by(|a, b| a.parse::<f64>().unwrap().total_cmp(&b.parse::<f64>().unwrap()));
        assert_eq!(shown, sorted, "sorted by HF");
        browser.open(&format!("{base}/positions")).await;
        browser.screenshot(&shots, "positions").await;

        // One position: its figures, then the what-if control moved to SOL −40 %.
        browser.open(&format!("{base}/positions/{risky}")).await;
        assert_eq!(browser.text("[data-test=hf]").await, risky_report["health_factor"].as_str().unwrap());
        assert_eq!(browser.text("[data-test=collateral]").await, risky_report["collateral_usd"].as_str().unwrap());
        assert_eq!(browser.text("[data-test=mode]").await, risky_report["mode"].as_str().unwrap());
        assert_eq!(
            browser.text("[data-test=positions] tr[data-kind=deposit] [data-test=liquidation-price]").await,
            risky_report["positions"][0]["liquidation_price"].as_str().unwrap()
        );
        browser.mark().await;
        browser.slide("input[name=move]", -40).await;
        browser.wait_new_page().await;
        assert!(browser.url().await.contains("move=-40"));
        assert_eq!(browser.text("#what-if-move").await, "-40%");
        let what_if_hf = browser.text("[data-test=what-if-hf]").await;
        let what_if_repay = browser.text("[data-test=what-if-repay]").await;
        let what_if_seize = browser.text("[data-test=what-if-seize]").await;
        browser.screenshot(&shots, "position").await;

        // Stress: SOL only, shock −40 %, with the checkboxes and the slider.
        browser.open(&format!("{base}/stress")).await;
        let checked = async |symbol: &str| {
            browser
                .run(
                    &format!("return document.querySelector('input[name=asset][value={symbol}]').checked"),
                    serde_json::json!([]),
                )
                .await
                == true
        };
        if !checked("SOL").await {
            browser.mark().await;
            browser.click("input[name=asset][value=SOL]").await;
            browser.wait_new_page().await;
        }
        for symbol in ["BTC", "USDC"] {
            if checked(symbol).await {
                browser.mark().await;
                browser.click(&format!("input[name=asset][value={symbol}]")).await;
                browser.wait_new_page().await;
            }
        }
        assert!(checked("SOL").await && !checked("BTC").await && !checked("USDC").await);
        browser.mark().await;
        browser.slide("input[name=shock]", -40).await;
        browser.wait_new_page().await;
        assert!(browser.url().await.contains("shock=-40"));
        assert_eq!(browser.text("[data-test=stress-title]").await, "SOL -40%");
        let mut table = BTreeMap::new();
        for reserve in &expected_stress.reserves {
            let row = format!("[data-test=stress-reserves] tr[data-reserve={}] td", reserve.symbol);
            let cells = browser.texts(&row).await;
            table.insert(reserve.symbol.clone(), cells);
        }
        assert_eq!(browser.text("[data-test=total-bad-debt]").await, usd(expected_stress.bad_debt_usd_wad));
        assert_eq!(browser.text("[data-test=total-socialized]").await, usd(expected_stress.socialized_usd_wad));
        assert_eq!(browser.all("svg[data-test=stress-chart] polyline").await.len(), 3);
        let stress_liquidations = browser.text("[data-test=total-liquidations]").await;
        browser.screenshot(&shots, "stress").await;

        // Bad input: a clear message and the right status, on the page and in the API.
        let nobody = Pubkey::new_unique();
        browser.open(&format!("{base}/positions/{nobody}")).await;
        assert!(browser.text("[data-test=error-message]").await.contains("no obligation"));
        let (status, body) = get(&format!("{base}/positions/{nobody}")).await;
        assert_eq!(status, 404, "{body}");
        let (status, _) = get(&format!("{base}/positions/not-an-address")).await;
        assert_eq!(status, 400);
        for path in ["/stress?shock=-99", "/stress?shock=lots", "/api/stress?shock=-99", "/positions/{risky}?move=-96"] {
            let (status, body) = get(&format!("{base}{}", path.replace("{risky}", &risky))).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert!(body.contains("between -95% and +200%") || body.contains("not a percent"), "{path}: {body}");
        }
        let (status, body) = get(&format!("{base}/api/stress?shock=-99")).await;
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, json["status"].as_u64()), (400, Some(400)));
        let (status, _) = get(&format!("{base}/stress?asset=DOGE")).await;
        assert_eq!(status, 400);
        browser.open(&format!("{base}/stress?shock=-99")).await;
        assert!(browser.text("[data-test=error-message]").await.contains("-95%"));

        // The JSON is the same page's numbers.
        let (_, body) = get(&format!("{base}/api/positions/{risky}")).await;
        let api: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(api["report"], risky_report);
        Seen {
            what_if_hf,
            what_if_repay,
            what_if_seize,
            stress: table,
            stress_liquidations,
        }
    })
    .await;

    // Now the same prices are published in the bank: the what-if HF is what the chain then
    // says, the liquidation it showed is the one the keeper sizes, and the stress table is what
    // the real keeper does.
    for (oracle, account) in stress::shocked_oracles(&state.view, &crash) {
        m.chain.set_account(&oracle, account).await.unwrap();
    }
    let view = m.view().await.unwrap();
    let key: Pubkey = risky.parse().unwrap();
    let obligation = wallet::read_obligation(&mut m.chain, &key).await.unwrap();
    let report = wallet::health_report(&view, &key, &obligation).unwrap();
    assert_eq!(seen.what_if_hf, report.health_factor);
    let (valuation, totals) = view
        .valuate(&obligation, PricePolicyKind::Liquidation)
        .unwrap();
    let plan = plan_liquidation(&view, &valuation, &totals, &obligation, None, 0).unwrap();
    let decimals = |reserve: &Pubkey| view.reserves[reserve].reserve.decimals;
    assert_eq!(
        seen.what_if_repay,
        format!(
            "{} {}",
            amount_short(
                u128::from(plan.expected_repay),
                decimals(&plan.repay_reserve)
            ),
            wallet::symbol(&view.reserves[&plan.repay_reserve].reserve.mint)
        )
    );
    assert_eq!(
        seen.what_if_seize,
        format!(
            "{} SOL",
            amount_short(
                u128::from(plan.expected_collateral_out),
                decimals(&plan.collateral_reserve)
            )
        )
    );

    let before = MarketState::load(&mut m.chain, &market).await.unwrap();
    let mut keeper = Keeper::new(KeeperConfig::new(market));
    let mut liquidations = 0;
    for _ in 0..16 {
        let pass = keeper.pass(&mut m.chain).await.unwrap();
        liquidations += pass.liquidations;
        if pass.liquidations == 0 && pass.bad_debt_realized == 0 {
            break;
        }
    }
    assert_eq!(seen.stress_liquidations, liquidations.to_string());
    let after = MarketState::load(&mut m.chain, &market).await.unwrap();
    for (key, entry) in &after.view.reserves {
        let was = &before.view.reserves[key].reserve;
        let now = entry.reserve.projected(after.view.now).unwrap();
        let symbol = wallet::symbol(&now.mint);
        let cells = &seen.stress[&symbol];
        let covered = (now.cumulative_fund_covered_wad - was.cumulative_fund_covered_wad) / WAD;
        let socialized = (now.cumulative_socialized_wad - was.cumulative_socialized_wad) / WAD;
        // Columns: move, liquidated, repaid, bad debt, covered, socialized, fund after, …
        assert_eq!(
            cells[4],
            amount_short(covered, now.decimals),
            "{symbol} covered"
        );
        assert_eq!(
            cells[5],
            amount_short(socialized, now.decimals),
            "{symbol} socialized"
        );
        let fund = u128::from(now.fund_balance) + now.pending_insurance_wad / WAD;
        assert_eq!(
            cells[6],
            amount_short(fund, now.decimals),
            "{symbol} fund after"
        );
    }

    // A market address that holds no Ballast market, or a Ballast account that is not one.
    let mint = m.assets[USDC].mint;
    let reserve = m.assets[USDC].reserve;
    with_live(&mut m.chain, mint, async |base: String| {
        let (status, body) = get(&format!("{base}/")).await;
        assert_eq!(status, 404);
        assert!(body.contains("is not a Ballast market"), "{body}");
        let (status, body) = get(&format!("{base}/api/positions")).await;
        assert_eq!(status, 404, "{body}");
    })
    .await;
    with_live(&mut m.chain, reserve, async |base: String| {
        browser.open(&format!("{base}/stress")).await;
        assert!(browser
            .text("[data-test=error-message]")
            .await
            .contains("not a market"));
        assert_eq!(get(&format!("{base}/stress")).await.0, 404);
    })
    .await;
    // An RPC that is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut down = RpcChain::with_commitment(
        &format!("http://{closed}"),
        Keypair::new(),
        CommitmentConfig::confirmed(),
    );
    with_live(&mut down, market, async |base: String| {
        let (status, body) = get(&format!("{base}/positions")).await;
        assert_eq!(status, 502, "{body}");
        assert!(body.contains("cannot be reached"), "{body}");
        browser.open(&format!("{base}/")).await;
        assert!(browser.text("[data-test=error]").await.contains("502"));
    })
    .await;
    browser.quit().await;
}

#[tokio::test]
async fn the_demo_dashboard_replays_the_story_on_its_time_slider() {
    let browser = Browser::start().await;
    let shots = screenshot_dir(true);
    let mut lines: Vec<String> = vec![];
    let outcome = ballast_app::demo::run_recorded(&mut lines, true)
        .await
        .expect("demo");
    assert!(outcome.reconciled);
    let snapshots: Vec<Snapshot> = outcome.snapshots.clone();
    assert!(snapshots.len() >= 10, "{}", snapshots.len());
    let base = serve(Source::Recorded(std::sync::Arc::new(snapshots.clone()))).await;
    let index_of = |part: &str| {
        snapshots
            .iter()
            .position(|s| s.label.contains(part))
            .unwrap_or_else(|| panic!("no snapshot {part}"))
    };

    // It opens on the story's end; the slider moves through it.
    browser.open(&format!("{base}/")).await;
    assert_eq!(
        browser.text("[data-test=snapshot-label]").await,
        snapshots.last().unwrap().label
    );
    let storm = index_of("after the storm");
    browser.mark().await;
    browser.slide("[data-timeline]", storm as i64).await;
    browser.wait_new_page().await;
    assert!(browser.url().await.contains(&format!("at={storm}")));
    assert_eq!(
        browser.text("[data-test=snapshot-label]").await,
        snapshots[storm].label
    );
    // What the fund covered and what was socialized, as the demo's own table reports them.
    for (symbol, (covered, socialized)) in &outcome.written_off {
        let decimals = snapshots[storm]
            .state
            .view
            .reserves
            .values()
            .find(|e| wallet::symbol(&e.reserve.mint) == *symbol)
            .unwrap()
            .reserve
            .decimals;
        let cell = |name: &str| format!("tr[data-reserve={symbol}] [data-test={name}]");
        assert_eq!(
            browser.text(&cell("covered")).await,
            amount_short(*covered, decimals)
        );
        assert_eq!(
            browser.text(&cell("socialized")).await,
            amount_short(*socialized, decimals)
        );
    }

    // The outage: positions while the SOL feed is silent, in the order of their HF.
    let silent = index_of("SOL feed silent");
    browser.open(&format!("{base}/?at={silent}")).await;
    assert!(browser.texts("tr[data-reserve=SOL] td").await[0].contains("s old"));
    browser.screenshot(&shots, "demo-market").await;
    browser.open(&format!("{base}/positions?at={silent}")).await;
    let state = &snapshots[silent].state;
    let health = health_json(state);
    for (key, report) in health.iter().take(10) {
        assert_eq!(
            browser
                .text(&format!("tr[data-obligation='{key}'] [data-test=hf]"))
                .await,
            report["health_factor"].as_str().unwrap()
        );
    }
    browser.screenshot(&shots, "demo-positions").await;
    // Links keep the moment: the first obligation's page is at the same snapshot.
    let first = browser.all("tr[data-obligation] a").await;
    assert!(!first.is_empty());
    browser.mark().await;
    browser.click("tr[data-obligation]:first-child a").await;
    browser.wait_new_page().await;
    assert!(browser.url().await.contains(&format!("at={silent}")));
    assert_eq!(
        browser.text("[data-test=snapshot-label]").await,
        snapshots[silent].label
    );
    browser.mark().await;
    browser.slide("input[name=move]", -10).await;
    browser.wait_new_page().await;
    assert!(browser.url().await.contains(&format!("at={silent}")));
    assert!(browser
        .text("[data-test=what-if-result]")
        .await
        .contains("(-10%"));
    browser.screenshot(&shots, "demo-position").await;

    // The stress test before the crash: SOL −40 %, the chart of bad debt against shock size.
    let calm = index_of("45 days of interest");
    browser
        .open(&format!("{base}/stress?at={calm}&asset=SOL&shock=-40"))
        .await;
    let page = pages::stress_page(
        &snapshots[calm].state,
        &pages::StressQuery {
            assets: Some("SOL".into()),
            shock: Some(-40.0),
        },
    )
    .unwrap();
    assert_eq!(
        browser.text("[data-test=total-bad-debt]").await,
        usd(page.outcome.bad_debt_usd_wad)
    );
    assert_eq!(
        browser.text("[data-test=total-liquidations]").await,
        page.outcome.liquidations.len().to_string()
    );
    browser.screenshot(&shots, "demo-stress").await;
    // The dark theme, by the toggle, kept across pages.
    let theme = async || {
        browser
            .run(
                "return document.documentElement.dataset.theme || ''",
                serde_json::json!([]),
            )
            .await
    };
    browser.click("#theme").await;
    if theme().await != "dark" {
        // The system already preferred dark, so the first press chose light.
        browser.click("#theme").await;
    }
    assert_eq!(theme().await, "dark");
    browser.open(&format!("{base}/positions?at={silent}")).await;
    assert_eq!(theme().await, "dark");
    browser.screenshot(&shots, "demo-positions-dark").await;
    let (status, _) = get(&format!("{base}/?at={}", snapshots.len())).await;
    assert_eq!(status, 404);
    browser.quit().await;
}
