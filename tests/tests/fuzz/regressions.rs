//! Sequences that once failed (or pin a behaviour worth keeping), replayed first in every mode.

use crate::actions::{Action, Amount};

/// `(seed, steps)` of generated sequences to replay. The first five were found with the
/// generator of commit `e05d534`; issue 9 gave the generator new moves (and the sequences a
/// second borrow), so they now replay other sequences. The bugs they found stay pinned by the
/// explicit scripts below and by unit tests; the seeds stay as fixed extra sequences.
pub const SEEDS: &[(u64, usize)] = &[
    // Found by the long run: after a socialized loss, the last depositor's full withdrawal
    // took the virtual offset's unit out of the fees' books (see `virtual_unit_leak`).
    (0x10008c, 200),
    (0x100096, 200),
    (0x1000b9, 200),
    // Found by the final long run: a liquidation that burns the seized (or dust) shares and then
    // socializes bad debt in the same reserve spreads the loss over the shares left, so the
    // share-value check must bound the fall by `loss / min(shares before, after)`; the checker
    // used the shares before. The program was right; the invariant as coded was too tight.
    (0x20009a, 200),
    (0x20009c, 200),
];

/// Shrunk scripts, by name.
pub fn scripts() -> Vec<(&'static str, Vec<Action>)> {
    vec![
        (
            // After bad debt is socialized the share price sits below the virtual offset's, so
            // redeeming every share paid out up to one unit more than the depositors' assets,
            // taken from protocol fees and the fund (books: gross < fees + pending insurance).
            // Fixed in `Reserve::tokens_for_shares` / `shares_for_withdrawal`.
            "virtual_unit_leak",
            vec![
                Action::Deposit {
                    user: 1,
                    asset: 0,
                    amount: Amount::Fraction(6_799),
                },
                Action::Deposit {
                    user: 2,
                    asset: 1,
                    amount: Amount::Fraction(2_666),
                },
                Action::Borrow {
                    user: 2,
                    asset: 0,
                    amount: Amount::Fraction(9_094),
                },
                Action::Advance {
                    seconds: 6,
                    fresh: true,
                },
                Action::MovePrice { asset: 1, bps: 685 },
                Action::Liquidate {
                    liquidator: 4,
                    target: 2,
                    repay: 0,
                    collateral: 1,
                    max_repay: Amount::All,
                    min_out_bps: 0,
                    receive_shares: false,
                },
            ],
        ),
        (
            // Issue 9, item 10: a write-off inside a liquidation changed a reserve whose
            // liquidations were paused (SOL here), where `realize_bad_debt` refused. The checker's
            // `paused-write-off` catches it; with the fix the write-off waits for the unpause.
            "paused_write_off",
            vec![
                Action::Deposit {
                    user: 0,
                    asset: 0,
                    amount: Amount::Fraction(5_000),
                },
                Action::Deposit {
                    user: 1,
                    asset: 2,
                    amount: Amount::Fraction(5_000),
                },
                Action::Deposit {
                    user: 2,
                    asset: 1,
                    amount: Amount::Fraction(100),
                },
                Action::Borrow {
                    user: 2,
                    asset: 0,
                    amount: Amount::Fraction(9_000),
                },
                Action::Borrow {
                    user: 2,
                    asset: 2,
                    amount: Amount::Fraction(9_000),
                },
                Action::Pause {
                    asset: Some(2),
                    flags: 8,
                    by_admin: false,
                },
                Action::MovePrice {
                    asset: 1,
                    bps: 4_000,
                },
                Action::Liquidate {
                    liquidator: 4,
                    target: 2,
                    repay: 0,
                    collateral: 1,
                    max_repay: Amount::All,
                    min_out_bps: 0,
                    receive_shares: false,
                },
            ],
        ),
        (
            // Found by the issue-9 long run (seed 0x40006a): a SOL deposit left earning 500 %/yr
            // for years came to be worth more than u64 tokens, and valuing it narrowed the
            // token count to u64, so `liquidate` and `realize_bad_debt` both failed with
            // MathOverflow: a liquidatable obligation stuck. Collateral is now valued in u128
            // tokens (`tokens_for_shares_floor`) and a seizure beyond one transfer is taken as
            // shares.
            "collateral_beyond_u64",
            vec![
                Action::Deposit {
                    user: 0,
                    asset: 2,
                    amount: Amount::Fraction(3_351),
                },
                Action::Deposit {
                    user: 2,
                    asset: 2,
                    amount: Amount::Fraction(1_365),
                },
                Action::Deposit {
                    user: 3,
                    asset: 1,
                    amount: Amount::Fraction(2_173),
                },
                Action::Borrow {
                    user: 3,
                    asset: 2,
                    amount: Amount::Fraction(7_591),
                },
                Action::ConfigPreset {
                    asset: 2,
                    preset: 6,
                },
                Action::Advance {
                    seconds: 31_536_000,
                    fresh: false,
                },
                Action::Advance {
                    seconds: 162_000,
                    fresh: true,
                },
                Action::Borrow {
                    user: 2,
                    asset: 1,
                    amount: Amount::Fraction(5),
                },
                Action::CollectFees { asset: 2 },
                Action::Advance {
                    seconds: 63_072_000,
                    fresh: true,
                },
                Action::Advance {
                    seconds: 31_536_000,
                    fresh: true,
                },
            ],
        ),
    ]
}
