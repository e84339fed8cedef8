//! The demo runs to the end and its books reconcile.

#[tokio::test]
async fn the_demo_tells_the_whole_story_and_reconciles() {
    let mut lines: Vec<String> = vec![];
    let outcome = ballast_app::demo::run(&mut lines).await.expect("demo");
    assert!(outcome.reconciled);
    assert!(outcome.liquidations >= 20, "{outcome:?}");
    let (usdc_covered, usdc_socialized) = outcome.written_off["USDC"];
    assert!(usdc_covered > 0 && usdc_socialized == 0, "{outcome:?}");
    let (_, btc_socialized) = outcome.written_off["BTC"];
    assert!(btc_socialized > 0, "{outcome:?}");
    assert!(lines.iter().any(|l| l.contains("OracleStale")));
    assert!(lines.iter().any(|l| l == "Every token is accounted for."));
}
