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
    // BTC's Pyth outage: liquidations go on through its Switchboard fallback, and new risk
    // stops while the two sources disagree.
    assert!(lines
        .iter()
        .any(|l| l.contains("the liquidations priced BTC by Switchboard (fallback)")));
    assert!(lines
        .iter()
        .any(|l| l.contains("borrow 100 USDC: rejected, OracleSourcesDisagree")));
    assert!(lines
        .iter()
        .any(|l| l.contains("the same borrow is accepted")));
    assert!(lines.iter().any(|l| l == "Every token is accounted for."));
    // The second keeper, with no USDC, liquidated with flash loans in v0 transactions.
    let flash = lines
        .iter()
        .find(|l| l.contains("flash keeper:"))
        .expect("the flash keeper's pass");
    assert!(!flash.contains(" 0 liquidated"), "{flash}");
    assert!(lines.iter().any(|l| l.contains("in one v0 transaction")));
    assert!(!lines.iter().any(|l| l.contains("failed:")), "{lines:#?}");
}

/// Reads a child's stdout until the `dashboard: http://…/` line; returns that URL. The rest of
/// the output is drained in the background so the child never blocks on a full pipe.
pub async fn printed_url(stdout: std::process::ChildStdout) -> String {
    let (found, url) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        let mut found = Some(found);
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("dashboard: ") {
                let url = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if let Some(found) = found.take() {
                    let _ = found.send(url);
                }
            }
        }
    });
    tokio::time::timeout(std::time::Duration::from_secs(600), url)
        .await
        .expect("the dashboard's URL within 10 minutes")
        .expect("the binary printed its dashboard URL")
}

#[tokio::test]
async fn demo_dashboard_serves_the_recorded_story_from_the_real_binary() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(["demo", "--dashboard", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the ballast binary runs");
    let base = printed_url(child.stdout.take().unwrap()).await;
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let snapshots: serde_json::Value = reqwest::get(format!("{base}api/snapshots"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let count = snapshots.as_array().map(Vec::len).unwrap_or_default();
    assert!(count >= 10, "{snapshots}");
    assert!(snapshots[count - 1]["label"]
        .as_str()
        .unwrap()
        .contains("books reconciled"));
    for path in ["", "positions", "stress", "api/market"] {
        let response = reqwest::get(format!("{base}{path}?at=0")).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
    child.kill().unwrap();
    let _ = child.wait();
}
