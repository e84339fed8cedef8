//! Sequences that once failed (or pin a behaviour worth keeping), replayed first in every mode.

use crate::actions::Action;

/// `(seed, steps)` of generated sequences to replay.
pub const SEEDS: &[(u64, usize)] = &[];

/// Shrunk scripts, by name.
pub fn scripts() -> Vec<(&'static str, Vec<Action>)> {
    vec![]
}
