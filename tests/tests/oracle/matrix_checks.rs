//! The whole failure matrix on the embedded bank: every cell passes, and the committed document
//! is the one observed (`matrix` has the machinery, which the validator suite also runs).

use super::matrix::*;

fn assert_every_cell_passes(source: Source) {
    let cells: Vec<&Cell> = observed_matrix()
        .iter()
        .filter(|cell| cell.source == source)
        .collect();
    let applicable = Failure::ALL
        .iter()
        .filter(|failure| failure.applies_to(source))
        .count();
    assert_eq!(
        cells.len(),
        applicable * Action::ALL.len(),
        "every cell ran"
    );
    let failing: Vec<String> = cells
        .iter()
        .filter(|cell| !cell.problems.is_empty())
        .map(|cell| {
            format!(
                "{:?} / {:?}: {}",
                cell.action,
                cell.failure,
                cell.problems.join("; ")
            )
        })
        .collect();
    assert!(
        failing.is_empty(),
        "{} of {} cells fail:\n{}",
        failing.len(),
        cells.len(),
        failing.join("\n")
    );
}

#[test]
fn every_legacy_feed_failure_ends_as_its_price_policy_requires() {
    assert_every_cell_passes(Source::Legacy);
}

#[test]
fn every_pull_update_failure_ends_as_its_price_policy_requires() {
    assert_every_cell_passes(Source::Pull);
}

#[test]
fn the_committed_failure_matrix_is_the_one_the_suite_observes() {
    let observed = render(observed_matrix());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(MATRIX_PATH);
    if std::env::var(BLESS_VAR).is_ok_and(|value| value == "1") {
        std::fs::write(&path, &observed).expect("writes the matrix");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == observed,
        "{} differs from the observed matrix; if the change is intended, run \
         `{BLESS_VAR}=1 cargo test -p ballast-tests --test oracle`.\nObserved:\n{observed}",
        path.display()
    );
}

#[test]
fn every_switchboard_feed_failure_ends_as_its_price_policy_requires() {
    assert_every_cell_passes(Source::Switchboard);
}

#[test]
fn a_failing_primary_falls_back_to_a_valid_fallback() {
    assert_every_cell_passes(Source::FallbackValid);
}

#[test]
fn a_failing_primary_with_a_failing_fallback_is_refused_as_the_primary_alone() {
    assert_every_cell_passes(Source::FallbackFailing);
}

#[test]
fn a_deviating_fallback_blocks_new_risk_and_liquidations_take_the_lower_price() {
    assert_every_cell_passes(Source::FallbackDeviating);
}
