//! A slice of the oracle failure matrix on a local validator: whole rows (every failure of one
//! instruction, for one source), each cell checked as on the bank (outcome, balances to the
//! unit, byte-identical accounts after a rejection) against the committed expectation.

use super::matrix::{expected, run_row, Action, Source};

async fn assert_row_passes(source: Source, action: Action) {
    let cells = run_row(source, action).await;
    assert!(!cells.is_empty());
    let failing: Vec<String> = cells
        .iter()
        .filter(|cell| {
            !cell.problems.is_empty()
                || cell.observed != expected(action, cell.source, cell.failure)
        })
        .map(|cell| format!("{:?}: {}", cell.failure, cell.problems.join("; ")))
        .collect();
    assert!(
        failing.is_empty(),
        "{source:?} / {action:?}: {} of {} cells fail:\n{}",
        failing.len(),
        cells.len(),
        failing.join("\n")
    );
}

#[tokio::test]
async fn a_borrow_under_every_legacy_feed_failure() {
    assert_row_passes(Source::Legacy, Action::Borrow).await;
}

#[tokio::test]
async fn a_liquidation_under_every_pull_update_failure() {
    assert_row_passes(Source::Pull, Action::Liquidate).await;
}

#[tokio::test]
async fn a_bad_debt_write_off_under_every_legacy_feed_failure() {
    assert_row_passes(Source::Legacy, Action::RealizeBadDebt).await;
}
