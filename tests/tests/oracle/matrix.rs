//! The oracle failure matrix (TESTING.md, issue 4): every failure × every instruction, for both
//! oracle sources, each cell an executed instruction whose outcome is checked; the observed
//! table is committed as docs/oracle-failure-matrix.md.
//!
//! One scenario builder per instruction (`prepare` / `act` / `expected_moves`), one injector
//! per failure (`inject`), and the expected outcome derived from the price policy the
//! instruction uses (`expected`). A cell passes when it ends as expected and, if it succeeded,
//! every watched balance moved by exactly the expected amount, or, if it was rejected, every
//! account the instruction could touch is byte-identical.
//!
//! Each (source, instruction) row runs in its own bank. Every cell starts with a clock 1 000 s
//! later (so that no earlier cell's recorded publish time interferes) and every feed
//! republished at its listing price, then builds the scenario's positions with fresh users,
//! except after a rejected cell: its accounts were checked byte-identical, so the next cell
//! starts from the same positions and feed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anchor_lang::prelude::Pubkey;
use ballast::errors::BallastError;
use ballast::instructions::LiquidateArgs;
use ballast::math::fixed::mul_div_ceil;
use ballast::math::health::HealthTotals;
use ballast::math::liquidation::{size_liquidation, LiquidationRequest, PositionQuote};
use ballast::math::shares::{scaled_debt_for_borrow_ceil, scaled_debt_for_repay_floor};
use ballast::math::value::{value_wad_ceil, value_wad_floor, Price};
use ballast::oracle::{PricePolicyKind, MIN_EXPONENT};
use ballast::state::{Market, Obligation, Reserve};
use ballast_bank::pyth::Feed;
use ballast_client::{self as client, OracleKeys};
use ballast_tests::fixture::*;

use super::support::*;

/// Where the committed table lives, from the test crate's directory.
pub const MATRIX_PATH: &str = "../docs/oracle-failure-matrix.md";
/// Set to `1` to rewrite the committed table from what the suite observes.
pub const BLESS_VAR: &str = "BALLAST_BLESS";
/// Clock step between two cells of a row.
const CELL_SPACING_SECS: i64 = 1_000;
/// A program that is neither Pyth program.
const IMPOSTOR_PROGRAM: Pubkey = Pubkey::new_from_array([0x1d; 32]);
/// A feed id no reserve is configured for.
const OTHER_FEED_ID: [u8; 32] = [0xee; 32];

/// The oracle sources, and the fallback states. The failing feed is the subject asset's
/// (its primary's, in the fallback rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Legacy,
    Pull,
    /// BTC priced by a Switchboard On-Demand pull feed.
    Switchboard,
    /// BTC's legacy primary fails; its Switchboard fallback is fresh at the same price.
    FallbackValid,
    /// BTC's legacy primary fails; its fallback fails both policies too (stale past both).
    FallbackFailing,
    /// BTC's legacy primary fails; its fallback is fresh but 5 % lower (beyond the 1 %
    /// tolerated).
    FallbackDeviating,
}

/// How far below the primary the deviating fallback publishes (bps).
const DEVIATION_BPS: i64 = 500;

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Legacy,
        Source::Pull,
        Source::Switchboard,
        Source::FallbackValid,
        Source::FallbackFailing,
        Source::FallbackDeviating,
    ];

    /// BTC (legacy price account, Switchboard feed, or legacy with a fallback) or SOL (pull
    /// update): the collateral in every scenario that reads a price, the asset repaid in the
    /// repay scenarios.
    pub fn subject(self) -> usize {
        match self {
            Source::Pull => SOL,
            _ => BTC,
        }
    }

    /// A second collateral asset, priced by the other source (its feed stays fresh).
    pub fn second_collateral(self) -> usize {
        match self {
            Source::Pull => BTC,
            _ => SOL,
        }
    }

    /// The primary's kind.
    pub fn primary(self) -> OracleKind {
        match self {
            Source::Pull => OracleKind::PythPull,
            Source::Switchboard => OracleKind::Switchboard,
            _ => OracleKind::PythLegacy,
        }
    }

    /// Whether the subject has a (Switchboard) fallback.
    pub fn has_fallback(self) -> bool {
        matches!(
            self,
            Source::FallbackValid | Source::FallbackFailing | Source::FallbackDeviating
        )
    }

    fn title(self) -> &'static str {
        match self {
            Source::Legacy => "Legacy Pyth price account (failing feed: BTC)",
            Source::Pull => "Pyth pull `PriceUpdateV2` (failing feed: SOL)",
            Source::Switchboard => "Switchboard On-Demand pull feed (failing feed: BTC)",
            Source::FallbackValid => {
                "Legacy primary failing, Switchboard fallback valid (failing feed: BTC's primary)"
            }
            Source::FallbackFailing => {
                "Legacy primary failing, Switchboard fallback stale past both max ages \
                 (failing feed: BTC's primary)"
            }
            Source::FallbackDeviating => {
                "Legacy primary failing, Switchboard fallback fresh but 5 % lower \
                 (failing feed: BTC's primary)"
            }
        }
    }
}

/// What is wrong with the subject's feed when the instruction runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    Fresh,
    StalePastLimit,
    StaleAtLimit,
    StaleBetweenLimits,
    FutureDated,
    ZeroPrice,
    NegativePrice,
    ConfidenceBetweenLimits,
    ConfidenceAboveBoth,
    NotTrading,
    WrongAccount,
    WrongOwner,
    GarbageBytes,
    ExponentOutOfRange,
    PartialVerification,
    WrongFeedId,
    OlderThanLastUsed,
    TooFewResponses,
    CrashBetweenSlots,
    SpikeAgainstFlatEma,
    OutageThenJump,
}

impl Failure {
    pub const ALL: [Failure; 21] = [
        Failure::Fresh,
        Failure::StalePastLimit,
        Failure::StaleAtLimit,
        Failure::StaleBetweenLimits,
        Failure::FutureDated,
        Failure::ZeroPrice,
        Failure::NegativePrice,
        Failure::ConfidenceBetweenLimits,
        Failure::ConfidenceAboveBoth,
        Failure::NotTrading,
        Failure::WrongAccount,
        Failure::WrongOwner,
        Failure::GarbageBytes,
        Failure::ExponentOutOfRange,
        Failure::PartialVerification,
        Failure::WrongFeedId,
        Failure::OlderThanLastUsed,
        Failure::TooFewResponses,
        Failure::CrashBetweenSlots,
        Failure::SpikeAgainstFlatEma,
        Failure::OutageThenJump,
    ];

    /// Status exists only on legacy accounts; verification only on Pyth pull updates; feed ids
    /// (hashes) on both pull kinds; a count of responses and no exponent only on Switchboard
    /// feeds. An older update is tried on both pull kinds and, across sources, in the fallback
    /// rows. The fallback rows (a legacy primary) leave out the price moves: there the primary
    /// is valid and the rule of disagreeing sources applies, which the Fresh row of the
    /// deviating fallback shows.
    pub fn applies_to(self, source: Source) -> bool {
        let kind = source.primary();
        let moves = matches!(
            self,
            Failure::CrashBetweenSlots | Failure::SpikeAgainstFlatEma | Failure::OutageThenJump
        );
        if source.has_fallback() && moves {
            return false;
        }
        match self {
            Failure::NotTrading => kind == OracleKind::PythLegacy,
            Failure::PartialVerification => kind == OracleKind::PythPull,
            Failure::WrongFeedId => kind != OracleKind::PythLegacy,
            Failure::OlderThanLastUsed => kind != OracleKind::PythLegacy || source.has_fallback(),
            Failure::TooFewResponses => kind == OracleKind::Switchboard,
            Failure::ExponentOutOfRange => kind != OracleKind::Switchboard,
            _ => true,
        }
    }

    /// Whether the feed still shows a positive price with a supported exponent in the
    /// configured, verified account (it only fails the policy's age, time, confidence, status
    /// or monotonicity rules): the price that tells a negligible position.
    fn leaves_a_readable_price(self) -> bool {
        matches!(
            self,
            Failure::StalePastLimit
                | Failure::StaleBetweenLimits
                | Failure::FutureDated
                | Failure::ConfidenceBetweenLimits
                | Failure::ConfidenceAboveBoth
                | Failure::NotTrading
                | Failure::OlderThanLastUsed
                | Failure::TooFewResponses
        )
    }

    fn label(self) -> &'static str {
        match self {
            Failure::Fresh => "fresh (control)",
            Failure::StalePastLimit => "stale: 1 s past the policy's max age",
            Failure::StaleAtLimit => "stale: exactly the policy's max age",
            Failure::StaleBetweenLimits => "age between the strict and liquidation max ages",
            Failure::FutureDated => "published 1 s in the future",
            Failure::ZeroPrice => "zero price",
            Failure::NegativePrice => "negative price",
            Failure::ConfidenceBetweenLimits => {
                "confidence between the strict and liquidation limits"
            }
            Failure::ConfidenceAboveBoth => "confidence just above both limits",
            Failure::NotTrading => "status not trading (halted)",
            Failure::WrongAccount => "another feed's price account",
            Failure::WrongOwner => "account owned by another program",
            Failure::GarbageBytes => "garbage bytes",
            Failure::ExponentOutOfRange => "exponent out of range (−19)",
            Failure::PartialVerification => "partially verified update",
            Failure::WrongFeedId => "update for another feed id",
            Failure::OlderThanLastUsed => "update older than the last one used",
            Failure::TooFewResponses => "fewer oracle responses than required",
            Failure::CrashBetweenSlots => "crash: −40 % between two slots",
            Failure::SpikeAgainstFlatEma => "spike: one update +50 %, flat EMA",
            Failure::OutageThenJump => "outage of 600 s, then +25 %",
        }
    }
}

/// The instructions of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Deposit,
    WithdrawNoDebt,
    WithdrawWithDebt,
    Borrow,
    DisableCollateral,
    SetEmode,
    Repay,
    RepayOnBehalf,
    Liquidate,
    RealizeBadDebt,
    FundContribution,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Deposit,
        Action::WithdrawNoDebt,
        Action::WithdrawWithDebt,
        Action::Borrow,
        Action::DisableCollateral,
        Action::SetEmode,
        Action::Repay,
        Action::RepayOnBehalf,
        Action::Liquidate,
        Action::RealizeBadDebt,
        Action::FundContribution,
    ];

    /// PROTOCOL.md §4: which price policy the instruction reads prices under, if any.
    pub fn policy(self) -> Option<PricePolicyKind> {
        match self {
            Action::WithdrawWithDebt
            | Action::Borrow
            | Action::DisableCollateral
            | Action::SetEmode => Some(PricePolicyKind::Strict),
            Action::Liquidate | Action::RealizeBadDebt => Some(PricePolicyKind::Liquidation),
            Action::Deposit
            | Action::WithdrawNoDebt
            | Action::Repay
            | Action::RepayOnBehalf
            | Action::FundContribution => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Action::Deposit => "deposit",
            Action::WithdrawNoDebt => "withdraw, no debt",
            Action::WithdrawWithDebt => "withdraw, with debt",
            Action::Borrow => "borrow",
            Action::DisableCollateral => "disable collateral",
            Action::SetEmode => "set e-mode, with debt",
            Action::Repay => "repay",
            Action::RepayOnBehalf => "repay on behalf",
            Action::Liquidate => "liquidate",
            Action::RealizeBadDebt => "realize bad debt",
            Action::FundContribution => "fund contribution",
        }
    }

    /// A valid price that moved: what the scenario's positions make of it (see `prepare`).
    /// Near the borrow limit, a crash blocks new risk and a spike or jump (valued at the
    /// lower EMA) does not add any; the liquidation target is underwater by 3 %, so a crash
    /// is liquidated at the crashed spot and a spike or jump lifts it out of reach; the
    /// insolvent obligation's dust collateral stays dust.
    fn expected_after_move(self, failure: Failure) -> Outcome {
        let crash = failure == Failure::CrashBetweenSlots;
        match self {
            Action::WithdrawWithDebt
            | Action::Borrow
            | Action::DisableCollateral
            | Action::SetEmode
                if crash =>
            {
                Outcome::rejected(BallastError::BorrowLimitExceeded)
            }
            Action::Liquidate if !crash => Outcome::rejected(BallastError::ObligationHealthy),
            _ => Outcome::Ok,
        }
    }
}

/// The outcome PROTOCOL.md §4 and docs/oracles.md require for `failure` of the subject's
/// primary under `action`'s policy, with `source`'s fallback state.
pub fn expected(action: Action, source: Source, failure: Failure) -> Outcome {
    let primary = expected_primary(action, failure);
    if !source.has_fallback() || action.policy().is_none() {
        return primary;
    }
    let liquidation = action.policy() == Some(PricePolicyKind::Liquidation);
    // The list has one meaning: another account in the primary's place is refused by name.
    if failure == Failure::WrongAccount {
        return primary;
    }
    // Does the primary pass the policy? An update older than the last price used does not:
    // it is no source, alone or as one of two.
    let primary_passes = primary == Outcome::Ok;
    match source {
        Source::FallbackValid if !primary_passes => Outcome::Ok,
        Source::FallbackDeviating if primary_passes => {
            if liquidation {
                // The more conservative of the two: collateral at the lower (the fallback).
                liquidation_at_fallback(action)
            } else {
                Outcome::rejected(BallastError::OracleSourcesDisagree)
            }
        }
        Source::FallbackDeviating => liquidation_at_fallback(action),
        // A failing fallback changes nothing, except that its last price may prove the
        // insolvent obligation's collateral negligible when the primary shows none.
        Source::FallbackFailing
            if action == Action::RealizeBadDebt && failure != Failure::WrongAccount =>
        {
            Outcome::Ok
        }
        _ => primary,
    }
}

/// What an instruction does when the subject is priced at the deviating fallback (5 % lower):
/// the liquidation target is only deeper underwater, new risk at the lower price still fits.
fn liquidation_at_fallback(_action: Action) -> Outcome {
    Outcome::Ok
}

/// The outcome for `failure` of the subject's only (primary) source.
fn expected_primary(action: Action, failure: Failure) -> Outcome {
    use BallastError::*;
    let Some(policy) = action.policy() else {
        return Outcome::Ok;
    };
    let liquidation = policy == PricePolicyKind::Liquidation;
    // The insolvent obligation's collateral is negligible (cents): a failure that still leaves
    // a readable, positive last price cannot block the write-off (docs/oracles.md).
    if action == Action::RealizeBadDebt && failure.leaves_a_readable_price() {
        return Outcome::Ok;
    }
    let error = match failure {
        Failure::Fresh | Failure::StaleAtLimit => return Outcome::Ok,
        Failure::StaleBetweenLimits | Failure::ConfidenceBetweenLimits if liquidation => {
            return Outcome::Ok
        }
        Failure::StalePastLimit | Failure::StaleBetweenLimits => OracleStale,
        Failure::FutureDated => OracleFuture,
        Failure::ZeroPrice | Failure::NegativePrice => OracleNonPositive,
        Failure::ConfidenceBetweenLimits | Failure::ConfidenceAboveBoth => OracleConfidence,
        Failure::NotTrading => OracleNotTrading,
        // Both sources read only the reserve's configured account.
        Failure::WrongAccount => OracleWrongAccount,
        Failure::WrongOwner => OracleWrongOwner,
        Failure::GarbageBytes => OracleUnparsable,
        Failure::ExponentOutOfRange => OracleExponentOutOfRange,
        Failure::PartialVerification => OracleInsufficientVerification,
        Failure::WrongFeedId => OracleFeedMismatch,
        Failure::OlderThanLastUsed => OracleOlderThanLastUsed,
        Failure::TooFewResponses => OracleTooFewResponses,
        Failure::CrashBetweenSlots | Failure::SpikeAgainstFlatEma | Failure::OutageThenJump => {
            return action.expected_after_move(failure)
        }
    };
    Outcome::rejected(error)
}

/// One executed cell.
#[derive(Debug, Clone)]
pub struct Cell {
    pub source: Source,
    pub action: Action,
    pub failure: Failure,
    pub observed: Outcome,
    /// Why the cell does not pass (empty when it does).
    pub problems: Vec<String>,
}

// ----- scenario builders -----------------------------------------------------------------------

/// Collateral every borrowing scenario posts, in USD.
const COLLATERAL_USD: u64 = 12_000;
/// Debt of the scenarios near (not at) the strict borrow limit of $8 991: 6 000 USDC.
const MODERATE_DEBT: u64 = 6_000_000_000;
/// Debt of the scenarios that end underwater: 8 900 USDC.
const HEAVY_DEBT: u64 = 8_900_000_000;
/// The e-mode category of the matrix's market (it holds USDC).
const EMODE_CATEGORY: u8 = 1;
/// What the liquidator offers to repay: as much as allowed, as the reference keeper does (the
/// close factor clips it; below the buffer the liquidation closes a position).
const LIQUIDATION_REPAY: u64 = u64::MAX;

/// The users of one cell.
pub struct Subject {
    /// The obligation's owner (or the contributor).
    pub owner: User,
    /// The liquidator or the payer on behalf.
    pub helper: Option<User>,
    /// The subject's feed the scenario runs at, before any failure.
    pub feed: Feed,
}

/// Builds the cell's positions with every feed fresh at its listing price, then sets the
/// subject's price the scenario runs at (its "fresh" feed, which failures are applied to).
async fn prepare(h: &mut Harness, action: Action, source: Source) -> Subject {
    let s = source.subject();
    let collateral = worth(h, s, COLLATERAL_USD);
    let mut helper = None;
    let owner = match action {
        Action::Deposit | Action::FundContribution => new_user(h, &[(s, worth(h, s, 1_000))]).await,
        Action::WithdrawNoDebt | Action::Borrow => {
            let owner = new_user(h, &[(s, collateral)]).await;
            h.deposit(&owner, s, collateral).await.expect("deposit");
            owner
        }
        Action::WithdrawWithDebt | Action::DisableCollateral => {
            let second = source.second_collateral();
            let second_amount = worth(h, second, 2_000);
            let owner = new_user(h, &[(s, collateral), (second, second_amount)]).await;
            h.deposit(&owner, s, collateral).await.expect("deposit");
            if action == Action::DisableCollateral {
                h.deposit(&owner, second, second_amount)
                    .await
                    .expect("deposit");
            }
            h.borrow(&owner, USDC, MODERATE_DEBT).await.expect("borrow");
            owner
        }
        Action::SetEmode => {
            // The borrow scenario's position, already borrowed: entering the category (which
            // holds USDC, the debt) re-checks the borrow limit under strict prices.
            let owner = new_user(h, &[(s, collateral)]).await;
            h.deposit(&owner, s, collateral).await.expect("deposit");
            h.borrow(&owner, USDC, MODERATE_DEBT).await.expect("borrow");
            owner
        }
        Action::Repay | Action::RepayOnBehalf => {
            let owner = new_user(h, &[(USDC, 20_000_000_000)]).await;
            h.deposit(&owner, USDC, 20_000_000_000)
                .await
                .expect("deposit");
            let debt = worth(h, s, 6_000);
            h.borrow(&owner, s, debt).await.expect("borrow");
            if action == Action::RepayOnBehalf {
                helper = Some(new_user(h, &[(s, worth(h, s, 1_000))]).await);
            }
            owner
        }
        Action::Liquidate | Action::RealizeBadDebt => {
            let owner = new_user(h, &[(s, collateral)]).await;
            h.deposit(&owner, s, collateral).await.expect("deposit");
            h.borrow(&owner, USDC, HEAVY_DEBT).await.expect("borrow");
            let listing = h.assets[s].spec.price;
            if action == Action::Liquidate {
                // −10 %: health 0.97 under spot prices.
                h.set_price(s, listing * 0.9);
                // Twice the debt: a lower (fallback) price may make the whole debt liquidatable.
                helper = Some(new_user(h, &[(USDC, 2 * HEAVY_DEBT)]).await);
            } else {
                // The collateral is worth cents: insolvent, but the price is still positive.
                h.set_price(s, 0.0001);
            }
            owner
        }
    };
    Subject {
        owner,
        helper,
        feed: h.assets[s].feed,
    }
}

/// Runs the instruction, passing `oracle` as the subject's price account when given.
async fn act(
    h: &mut Harness,
    action: Action,
    source: Source,
    subject: &Subject,
    caller: &User,
    oracle: Option<Pubkey>,
) -> TxResult {
    let s = source.subject();
    let owner = &subject.owner;
    let obligation = h.obligation(&owner.obligation).await;
    match action {
        Action::Deposit => h.deposit(owner, s, worth(h, s, 1_000)).await,
        Action::WithdrawNoDebt => h.withdraw_with(owner, s, worth(h, s, 1_200), vec![]).await,
        Action::WithdrawWithDebt => {
            let remaining = remaining_with(h, &obligation, false, s, oracle);
            h.withdraw_with(owner, s, worth(h, s, 1_200), remaining)
                .await
        }
        Action::Borrow => {
            let after = client::after_borrow(&obligation, &h.assets[USDC].keys.reserve);
            let remaining = remaining_with(h, &after, false, s, oracle);
            h.borrow_with(owner, USDC, MODERATE_DEBT, remaining).await
        }
        Action::DisableCollateral => {
            let remaining = remaining_with(h, &obligation, false, s, oracle);
            let ix = client::set_collateral(
                &owner.pubkey(),
                &h.market,
                &owner.obligation,
                &h.assets[source.second_collateral()].keys.reserve,
                false,
                remaining,
            );
            h.send(&[ix], &[&owner.keypair]).await
        }
        Action::SetEmode => {
            let swapped = h.assets[s].keys.reserve;
            let ix = client::set_emode(
                &owner.pubkey(),
                &h.market,
                &owner.obligation,
                &obligation,
                EMODE_CATEGORY,
                |reserve| match oracle {
                    Some(account) if *reserve == swapped => OracleKeys {
                        primary: account,
                        ..h.oracle_of(reserve)
                    },
                    _ => h.oracle_of(reserve),
                },
            );
            h.send(&[ix], &[&owner.keypair]).await
        }
        Action::Repay => {
            h.repay(owner, &owner.obligation, s, worth(h, s, 1_000))
                .await
        }
        Action::RepayOnBehalf => {
            let payer = subject.helper.as_ref().expect("a payer");
            h.repay(payer, &owner.obligation, s, worth(h, s, 1_000))
                .await
        }
        Action::Liquidate => {
            let liquidator = subject.helper.as_ref().expect("a liquidator");
            let remaining = remaining_with(h, &obligation, true, s, oracle);
            let args = LiquidateArgs {
                max_repay: LIQUIDATION_REPAY,
                min_collateral_out: 0,
                receive_shares: false,
            };
            h.liquidate_with(liquidator, &owner.obligation, USDC, s, args, remaining)
                .await
        }
        Action::RealizeBadDebt => {
            let remaining = remaining_with(h, &obligation, true, s, oracle);
            let ix =
                client::realize_bad_debt(&caller.pubkey(), &h.market, &owner.obligation, remaining);
            h.send(&[ix], &[&caller.keypair]).await
        }
        Action::FundContribution => h.fund_reserve(owner, s, worth(h, s, 500)).await,
    }
}

// ----- failure injectors -----------------------------------------------------------------------

/// Writes an update of `kind` for `feed` at a new address, as anyone may post one.
fn post_update(h: &mut Harness, kind: OracleKind, feed: &Feed) -> Pubkey {
    let address = Pubkey::new_unique();
    h.write_account(&address, &kind.owner(), kind.data(feed));
    address
}

/// Publishes the subject's fallback now at `base`'s price (the primary's before its failure) in
/// `state`: agreeing (`FallbackValid`), stale past both max ages, or 5 % lower.
fn set_fallback_state(h: &mut Harness, s: usize, base: &Feed, state: Source) {
    let Some(fallback) = h.assets[s].fallback else {
        return;
    };
    let mut feed = Feed {
        publish_time: h.now,
        ..fallback.feed
    };
    let price = base.price;
    feed.price = price;
    feed.ema_price = price;
    feed.conf = (price / 1_000) as u64;
    match state {
        Source::FallbackFailing => feed.publish_time = h.now - 3_601,
        Source::FallbackDeviating => {
            feed.price = price * (10_000 - DEVIATION_BPS) / 10_000;
            feed.ema_price = feed.price;
            feed.conf = (feed.price / 1_000) as u64;
        }
        _ => {}
    }
    h.publish_fallback(s, feed);
}

/// Another user's withdrawal under the strict policy makes the subject's reserve record the
/// current update's publish time as the last one used.
async fn record_last_used(h: &mut Harness, s: usize, obligations: &mut Vec<Pubkey>) {
    // Worth $10 at the scenario's price (an insolvent scenario's collateral is worth cents).
    let ten_dollars = worth_now(h, s, 10);
    let primer = new_user(h, &[(s, ten_dollars)]).await;
    obligations.push(primer.obligation);
    h.deposit(&primer, s, ten_dollars).await.expect("deposit");
    h.borrow(&primer, USDC, 1).await.expect("borrow");
    h.withdraw(&primer, s, 1).await.expect("withdraw");
    let recorded = h.reserve(s).await.last_oracle_publish_time;
    assert_eq!(
        recorded, h.now,
        "the withdrawal recorded the update it used"
    );
}

/// Breaks the subject's feed; returns the price account to pass instead of the configured one.
async fn inject(
    h: &mut Harness,
    failure: Failure,
    source: Source,
    action: Action,
    obligations: &mut Vec<Pubkey>,
) -> Option<Pubkey> {
    let s = source.subject();
    let base = h.assets[s].feed;
    let now = h.now;
    let config = h.reserve(s).await.config.oracle;
    // The max age of the instruction's policy; an instruction without one gets the longest.
    let max_age = i64::from(match action.policy() {
        Some(PricePolicyKind::Strict) => config.strict.max_age_secs,
        _ => config.liquidation.max_age_secs,
    });
    let spot = base.price as u64;
    let with = |change: &dyn Fn(&mut Feed)| {
        let mut feed = base;
        change(&mut feed);
        feed
    };
    let moved = |numerator: i64, denominator: i64, ema: i64| {
        with(&|feed: &mut Feed| {
            feed.price = base.price * numerator / denominator;
            feed.conf = (feed.price / 1_000) as u64;
            feed.ema_price = ema;
        })
    };
    let feed = match failure {
        Failure::Fresh => base,
        Failure::StalePastLimit => with(&|feed| feed.publish_time = now - max_age - 1),
        Failure::StaleAtLimit => with(&|feed| feed.publish_time = now - max_age),
        Failure::StaleBetweenLimits => with(&|feed| {
            let between = (config.strict.max_age_secs + config.liquidation.max_age_secs) / 2;
            feed.publish_time = now - i64::from(between);
        }),
        Failure::FutureDated => with(&|feed| feed.publish_time = now + 1),
        Failure::ZeroPrice => with(&|feed| feed.price = 0),
        Failure::NegativePrice => with(&|feed| feed.price = -base.price),
        Failure::ConfidenceBetweenLimits => with(&|feed| {
            let between =
                (config.strict.max_confidence_bps + config.liquidation.max_confidence_bps) / 2;
            feed.conf = spot * u64::from(between) / 10_000;
        }),
        Failure::ConfidenceAboveBoth => with(&|feed| {
            feed.conf = spot * u64::from(config.liquidation.max_confidence_bps) / 10_000 + 1;
        }),
        Failure::NotTrading => with(&|feed| feed.status = 2),
        Failure::WrongAccount => {
            return Some(match source.primary() {
                OracleKind::PythLegacy => h.assets[USDC].keys.oracle,
                kind => post_update(h, kind, &with(&|feed| feed.feed_id = OTHER_FEED_ID)),
            });
        }
        Failure::WrongOwner | Failure::GarbageBytes => {
            let address = h.assets[s].keys.oracle;
            let account = h.account(&address).await.expect("the feed exists");
            if failure == Failure::WrongOwner {
                h.write_account(&address, &IMPOSTOR_PROGRAM, account.data);
            } else {
                let garbage = (0..account.data.len())
                    .map(|i| (i.wrapping_mul(7_919) >> 3) as u8 ^ 0x5a)
                    .collect();
                h.write_account(&address, &account.owner, garbage);
            }
            return None;
        }
        Failure::ExponentOutOfRange => with(&|feed| feed.expo = MIN_EXPONENT - 1),
        Failure::PartialVerification => with(&|feed| feed.partial_signatures = Some(3)),
        Failure::WrongFeedId => with(&|feed| feed.feed_id = OTHER_FEED_ID),
        Failure::TooFewResponses => with(&|feed| feed.responses = SWITCHBOARD_MIN_RESPONSES - 1),
        Failure::OlderThanLastUsed => {
            // The price-feed account only moves forward on chain; written here anyway, the
            // program's own record refuses it.
            record_last_used(h, s, obligations).await;
            with(&|feed| feed.publish_time = now - 10)
        }
        Failure::CrashBetweenSlots => moved(6, 10, base.ema_price),
        Failure::SpikeAgainstFlatEma => moved(3, 2, base.ema_price),
        Failure::OutageThenJump => {
            // No update for longer than either policy accepts, then every feed is back, the
            // subject's 25 % higher with its EMA half-way there.
            h.advance(600);
            h.refresh_prices();
            Feed {
                publish_time: h.now,
                ..moved(5, 4, base.price * 9 / 8)
            }
        }
    };
    h.publish(s, feed);
    None
}

// ----- verification of successful cells --------------------------------------------------------

/// What a successful cell is checked against.
struct Before {
    watched: Vec<Pubkey>,
    balances: Vec<u64>,
    reserves: Vec<Reserve>,
    obligation: Obligation,
    market: Market,
}

impl Before {
    async fn read(h: &mut Harness, subject: &Subject) -> Before {
        let mut watched = subject.owner.tokens.clone();
        if let Some(helper) = &subject.helper {
            watched.extend(helper.tokens.iter().copied());
        }
        for asset in &h.assets {
            watched.extend([asset.keys.liquidity_vault, asset.keys.fund_vault]);
        }
        let mut balances = vec![];
        for account in &watched {
            balances.push(h.balance(account).await);
        }
        let mut reserves = vec![];
        for index in 0..h.assets.len() {
            reserves.push(h.reserve(index).await);
        }
        Before {
            balances,
            watched,
            reserves,
            obligation: h.obligation(&subject.owner.obligation).await,
            market: h.market_state().await,
        }
    }
}

fn spot(feed: &Feed) -> Price {
    Price {
        mantissa: feed.price as u64,
        expo: feed.expo,
    }
}

/// The subject's collateral price a liquidation uses, by the rule of docs/oracles.md: the
/// primary's spot when it passes and agrees, the fallback's when the primary fails, and the
/// lower of the two (here the fallback's) when they disagree.
fn collateral_spot(h: &Harness, source: Source, failure: Failure, s: usize) -> Price {
    let primary = spot(&h.assets[s].feed);
    let Some(fallback) = h.assets[s].fallback.filter(|_| source.has_fallback()) else {
        return primary;
    };
    let primary_used = expected_primary(Action::Liquidate, failure) == Outcome::Ok
        && failure != Failure::OlderThanLastUsed;
    match source {
        Source::FallbackDeviating => spot(&fallback.feed),
        Source::FallbackValid if !primary_used => spot(&fallback.feed),
        _ => primary,
    }
}

/// `(repaid, collateral paid out)` of the liquidation at the published spot prices, sized by
/// the program's own math from the state before it.
fn expected_liquidation(
    h: &Harness,
    before: &Before,
    s: usize,
    collateral_price: Price,
    now: i64,
) -> (u64, u64) {
    let debt_key = h.assets[USDC].keys.reserve;
    let collateral_key = h.assets[s].keys.reserve;
    let mut debt_reserve = before.reserves[USDC].projected(now).expect("accrues");
    let mut collateral_reserve = before.reserves[s].projected(now).expect("accrues");
    let scaled = before
        .obligation
        .borrow(&debt_key)
        .expect("debt")
        .scaled_debt;
    let shares = before
        .obligation
        .deposit(&collateral_key)
        .expect("collateral")
        .shares;
    let debt = PositionQuote {
        tokens: debt_reserve.owed_tokens(scaled).expect("owed"),
        decimals: debt_reserve.decimals,
        price: spot(&h.assets[USDC].feed),
    };
    let collateral = PositionQuote {
        tokens: collateral_reserve
            .tokens_for_shares(shares)
            .expect("tokens")
            .into(),
        decimals: collateral_reserve.decimals,
        price: collateral_price,
    };
    let config = collateral_reserve.config;
    let mut totals = HealthTotals::default();
    let value = value_wad_floor(collateral.tokens, collateral.decimals, collateral.price);
    totals
        .add_collateral(
            value.expect("value"),
            config.ltv_bps.into(),
            config.liquidation_threshold_bps.into(),
        )
        .expect("sums");
    let owed = value_wad_ceil(debt.tokens, debt.decimals, debt.price);
    totals.add_debt(owed.expect("value")).expect("sums");
    let outcome = size_liquidation(
        &before.market.liquidation.settings(),
        &LiquidationRequest {
            health_wad: totals.health_factor_wad().expect("health"),
            total_debt_value: totals.debt_value,
            total_collateral_value: totals.collateral_value,
            debt,
            collateral,
            collateral_share_value_wad: collateral_reserve.share_value_wad().expect("share value"),
            collateral_liquidation_threshold_bps: config.liquidation_threshold_bps.into(),
            min_bonus_bps: config.min_liquidation_bonus_bps.into(),
            max_bonus_bps: config.max_liquidation_bonus_bps.into(),
            protocol_fee_bps: config.protocol_liquidation_fee_bps.into(),
            max_repay: LIQUIDATION_REPAY,
        },
    )
    .expect("sized");
    let (repaid, _) = debt_reserve
        .repay(outcome.repay_tokens, scaled)
        .expect("repays");
    let seized = if outcome.takes_all_collateral {
        shares
    } else {
        collateral_reserve
            .shares_for_withdrawal(outcome.seize_tokens)
            .expect("shares")
            .min(shares)
    };
    let fee = if outcome.fee_tokens == 0 {
        0
    } else {
        mul_div_ceil(seized, outcome.fee_tokens, outcome.seize_tokens)
            .expect("fee")
            .min(seized)
    };
    collateral_reserve.move_shares_to_fund(fee).expect("fee");
    let paid_out = collateral_reserve
        .redeem_shares(seized - fee)
        .expect("redeems");
    (repaid, paid_out)
}

/// Checks a successful cell: every watched balance moved by exactly the expected amount, and
/// the books moved with it.
async fn verify(
    h: &mut Harness,
    action: Action,
    source: Source,
    failure: Failure,
    subject: &Subject,
    before: &Before,
) -> Vec<String> {
    let s = source.subject();
    let owner = &subject.owner;
    let helper = subject.helper.as_ref();
    let (usdc, subject_asset) = (h.assets[USDC].keys, h.assets[s].keys);
    let now = h.now;
    let mut deltas: BTreeMap<Pubkey, i128> = BTreeMap::new();
    let mut problems = vec![];
    let mut flow = |from: Pubkey, to: Pubkey, amount: u64| {
        *deltas.entry(from).or_default() -= i128::from(amount);
        *deltas.entry(to).or_default() += i128::from(amount);
    };
    let obligation = h.obligation(&owner.obligation).await;
    match action {
        Action::Deposit => {
            let amount = worth(h, s, 1_000);
            flow(owner.tokens[s], subject_asset.liquidity_vault, amount);
            let reserve = h.reserve(s).await;
            if reserve.available_liquidity != before.reserves[s].available_liquidity + amount {
                problems.push("available liquidity did not grow by the deposit".to_string());
            }
        }
        Action::WithdrawNoDebt | Action::WithdrawWithDebt => {
            flow(
                subject_asset.liquidity_vault,
                owner.tokens[s],
                worth(h, s, 1_200),
            );
        }
        Action::Borrow => {
            flow(usdc.liquidity_vault, owner.tokens[USDC], MODERATE_DEBT);
            let index = h.reserve(USDC).await.borrow_index;
            let booked = obligation.borrow(&usdc.reserve).map(|b| b.scaled_debt);
            if booked != scaled_debt_for_borrow_ceil(MODERATE_DEBT, index).ok() {
                problems.push(format!("scaled debt {booked:?} is not the borrow's"));
            }
        }
        Action::DisableCollateral => {
            let second = h.assets[source.second_collateral()].keys.reserve;
            let deposit = obligation.deposit(&second).copied();
            if deposit.is_none_or(|deposit| deposit.collateral_enabled) {
                problems.push("the second collateral is still collateral".to_string());
            }
        }
        Action::SetEmode => {
            if obligation.emode_category != EMODE_CATEGORY {
                problems.push("the obligation is not in the category".to_string());
            }
        }
        Action::Repay | Action::RepayOnBehalf => {
            let amount = worth(h, s, 1_000);
            let payer = if action == Action::Repay {
                owner
            } else {
                helper.expect("a payer")
            };
            flow(payer.tokens[s], subject_asset.liquidity_vault, amount);
            let index = h.reserve(s).await.borrow_index;
            let scaled = |o: &Obligation| o.borrow(&subject_asset.reserve).map(|b| b.scaled_debt);
            let removed = scaled(&before.obligation)
                .zip(scaled(&obligation))
                .map(|(was, is)| was - is);
            if removed != scaled_debt_for_repay_floor(amount, index).ok() {
                problems.push(format!(
                    "scaled debt removed {removed:?} is not the repayment's"
                ));
            }
        }
        Action::Liquidate => {
            let liquidator = helper.expect("a liquidator");
            let price = collateral_spot(h, source, failure, s);
            let (repaid, paid_out) = expected_liquidation(h, before, s, price, now);
            flow(liquidator.tokens[USDC], usdc.liquidity_vault, repaid);
            flow(
                subject_asset.liquidity_vault,
                liquidator.tokens[s],
                paid_out,
            );
        }
        Action::RealizeBadDebt => {
            if obligation.active_deposits().next().is_some() || obligation.has_debt() {
                problems.push("the insolvent obligation still holds positions".to_string());
            }
            let was = before.reserves[USDC].projected(now).expect("accrues");
            let is = h.reserve(USDC).await;
            let absorbed =
                |r: &Reserve| r.cumulative_fund_covered_wad + r.cumulative_socialized_wad;
            let written_off = was.debt_wad().expect("debt") - is.debt_wad().expect("debt");
            if absorbed(&is) - absorbed(&was) != written_off {
                problems.push("written off ≠ covered by the fund + socialized".to_string());
            }
        }
        Action::FundContribution => {
            let amount = worth(h, s, 500);
            flow(owner.tokens[s], subject_asset.fund_vault, amount);
            let reserve = h.reserve(s).await;
            if reserve.fund_balance != before.reserves[s].fund_balance + amount {
                problems.push("the fund balance did not grow by the contribution".to_string());
            }
        }
    }
    for (account, was) in before.watched.iter().zip(&before.balances) {
        let is = h.balance(account).await;
        let expected = i128::from(*was) + deltas.get(account).copied().unwrap_or(0);
        if i128::from(is) != expected {
            problems.push(format!("balance of {account}: {is}, expected {expected}"));
        }
    }
    problems
}

// ----- running the matrix ----------------------------------------------------------------------

/// Runs every applicable failure of one instruction for one source, in one bank.
pub async fn run_row(source: Source, action: Action) -> Vec<Cell> {
    let s = source.subject();
    let mut h = Harness::new().await;
    match source.primary() {
        OracleKind::Switchboard => h.set_oracle_sources(s, OracleKind::Switchboard, None).await,
        kind if source.has_fallback() => {
            h.set_oracle_sources(s, kind, Some(OracleKind::Switchboard))
                .await
        }
        _ => {}
    }
    // E-mode category `EMODE_CATEGORY` holds USDC, what every scenario borrows.
    h.list_emode_category(EMODE_CATEGORY, STABLE_EMODE_CATEGORY, &[USDC])
        .await;
    let liquidity = [
        (USDC, worth(&h, USDC, 1_000_000)),
        (s, worth(&h, s, 1_000_000)),
    ];
    let lender = new_user(&mut h, &liquidity).await;
    for (index, amount) in liquidity {
        h.deposit(&lender, index, amount).await.expect("deposit");
    }
    let mut obligations = vec![lender.obligation];
    let mut cells = vec![];
    let mut unchanged: Option<Subject> = None;
    for failure in Failure::ALL {
        if !failure.applies_to(source) {
            continue;
        }
        // (A row outlives a blockhash; every transaction takes the latest one.)
        h.advance(CELL_SPACING_SECS);
        for index in 0..h.assets.len() {
            let listing = h.assets[index].spec.price;
            h.set_price(index, listing);
        }
        let subject = match unchanged.take() {
            Some(subject) => {
                let feed = Feed {
                    publish_time: h.now,
                    ..subject.feed
                };
                h.publish(s, feed);
                subject
            }
            None => {
                let subject = prepare(&mut h, action, source).await;
                obligations.push(subject.owner.obligation);
                obligations.extend(subject.helper.as_ref().map(|helper| helper.obligation));
                subject
            }
        };
        // Both sources agree before the failure; then the fallback takes the row's state.
        set_fallback_state(&mut h, s, &subject.feed, Source::FallbackValid);
        let oracle = inject(&mut h, failure, source, action, &mut obligations).await;
        set_fallback_state(&mut h, s, &subject.feed, source);

        let mut users = vec![&subject.owner, &lender];
        users.extend(subject.helper.as_ref());
        let accounts_before = h.snapshot_users(&users).await;
        let before = Before::read(&mut h, &subject).await;
        let result = act(&mut h, action, source, &subject, &lender, oracle).await;
        let observed = Outcome::of(&result);

        let expected = expected(action, source, failure);
        let mut problems = vec![];
        if observed != expected {
            problems.push(format!(
                "expected {}, observed {}",
                expected.name(),
                observed.name()
            ));
        }
        if observed == Outcome::Ok {
            problems.extend(verify(&mut h, action, source, failure, &subject, &before).await);
            h.check_invariants(&obligations).await;
        } else if h.snapshot_users(&users).await != accounts_before {
            problems.push("a rejected instruction changed an account".to_string());
        } else {
            // Byte-identical after the rejection: the next cell may start from the same positions.
            unchanged = Some(subject);
        }
        cells.push(Cell {
            source,
            action,
            failure,
            observed,
            problems,
        });
    }
    cells
}

/// Every cell, computed once per test binary (two threads: one per source). A panic in a row
/// is kept as the result, so the tests that share the matrix report it once, not recompute it.
pub fn observed_matrix() -> &'static [Cell] {
    static MATRIX: OnceLock<Result<Vec<Cell>, String>> = OnceLock::new();
    let matrix = MATRIX.get_or_init(|| {
        let threads: Vec<_> = Source::ALL
            .into_iter()
            .map(|source| {
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime");
                    runtime.block_on(async {
                        let mut cells = vec![];
                        for action in Action::ALL {
                            cells.extend(run_row(source, action).await);
                        }
                        cells
                    })
                })
            })
            .collect();
        let mut cells = vec![];
        for (source, thread) in Source::ALL.into_iter().zip(threads) {
            match thread.join() {
                Ok(rows) => cells.extend(rows),
                Err(_) => return Err(format!("a {source:?} row panicked (see its output)")),
            }
        }
        Ok(cells)
    });
    match matrix {
        Ok(cells) => cells,
        Err(message) => panic!("{message}"),
    }
}

/// The committed document: one table per source, failures down, instructions across.
pub fn render(cells: &[Cell]) -> String {
    let mut text = String::from(
        "# Oracle failure matrix\n\n\
         Generated by `cargo test -p ballast-tests --test oracle` \
         (`tests/tests/oracle/matrix.rs`); do not edit by hand. After an intended change, \
         regenerate it with `BALLAST_BLESS=1 cargo test -p ballast-tests --test oracle`; \
         without that variable the suite fails when this file differs from what it observes.\n\n\
         Each cell is one executed instruction with the failing feed in place. `ok`: it \
         succeeded and every balance it touches moved by exactly the expected amount. An \
         error name: it was rejected with that error and every account it could touch is \
         byte-identical. `—`: the failure does not exist for this source.\n\n\
         The failing feed is the collateral's in every column that reads a price, the repaid \
         asset's in the repay columns and the deposited, withdrawn or contributed asset's \
         otherwise; \"max age\" is the instruction's policy's (the liquidation policy's where \
         it reads no price). In the realize-bad-debt column the collateral is worth cents: \
         a failure that still shows a positive price in a configured account (the primary's \
         or the fallback's) only proves it negligible, and cannot block the write-off.\n\n\
         The first three sections break a reserve's only source, one per kind. The last three \
         give the reserve a Legacy Pyth primary and a Switchboard On-Demand fallback and break \
         the primary while the fallback is valid, failing (stale past both max ages) or valid \
         but 5 % below the primary's last price (beyond the reserve's 1 % deviation). The \
         fallback prices only when the primary fails the instruction's policy (an update \
         older than the last price used fails it too), so a primary still valid under it (at \
         its max age, say) meets a deviating fallback: new risk is then refused with \
         `OracleSourcesDisagree` and a liquidation values the collateral at the lower price. Passing another account than \
         the configured one is refused outright; it is never a reason to fall back. The \
         price moves (crash, spike, outage) are in the single-source sections. \
         [oracles.md](oracles.md) describes the policies, the source selection, negligible \
         positions and each column's positions.\n",
    );
    for source in Source::ALL {
        let row_cells: Vec<&Cell> = cells.iter().filter(|c| c.source == source).collect();
        text.push_str(&format!(
            "\n## {} — {} cells\n\n| failure |",
            source.title(),
            row_cells.len()
        ));
        for action in Action::ALL {
            text.push_str(&format!(" {} |", action.label()));
        }
        text.push_str("\n|---|");
        text.push_str(&"---|".repeat(Action::ALL.len()));
        text.push('\n');
        for failure in Failure::ALL {
            text.push_str(&format!("| {} |", failure.label()));
            for action in Action::ALL {
                let cell = row_cells
                    .iter()
                    .find(|c| c.action == action && c.failure == failure);
                let name = cell.map_or("—".to_string(), |c| c.observed.name());
                text.push_str(&format!(" {name} |"));
            }
            text.push('\n');
        }
    }
    text.push_str(&format!("\n{} cells in all.\n", cells.len()));
    text
}
