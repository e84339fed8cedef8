//! Turning transaction failures into the program's named errors with their one-line message.

use ballast::errors::BallastError;
use solana_sdk::instruction::InstructionError;
use solana_sdk::transaction::TransactionError;

/// The program's `errors.rs`: the variants are counted from it so that every code the program
/// can return maps to its variant, and nothing else does.
const ERRORS_SOURCE: &str = include_str!("../../programs/ballast/src/errors.rs");

/// First code of the program's own errors (`6000 + position`).
pub const PROGRAM_ERROR_OFFSET: u32 = 6_000;

/// Names of `BallastError`'s variants, in declaration order (= code order).
pub fn program_error_names() -> Vec<&'static str> {
    let body = ERRORS_SOURCE
        .split_once("pub enum BallastError {")
        .map(|(_, rest)| rest)
        .unwrap_or("");
    let body = body.split_once("\n}").map(|(enum_body, _)| enum_body).unwrap_or(body);
    body.lines()
        .map(str::trim)
        .filter_map(|line| line.strip_suffix(','))
        .filter(|name| {
            name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric())
        })
        .collect()
}

/// The program error with custom code `code`, if it is one.
pub fn program_error(code: u32) -> Option<BallastError> {
    let index = code.checked_sub(PROGRAM_ERROR_OFFSET)?;
    if (index as usize) >= program_error_names().len() {
        return None;
    }
    // SAFETY: `BallastError` is a fieldless `#[repr(u32)]` enum (anchor's `#[error_code]`)
    // with implicit discriminants 0..n, and `index < n` was checked against the variants
    // declared in its source; a test checks every index round-trips to its name.
    Some(unsafe { std::mem::transmute::<u32, BallastError>(index) })
}

/// Anchor framework errors a client is likely to meet (constraint and account checks).
fn anchor_error(code: u32) -> Option<(&'static str, &'static str)> {
    Some(match code {
        101 => ("InstructionFallbackNotFound", "fallback functions are not supported"),
        102 => ("InstructionDidNotDeserialize", "the instruction could not be deserialized"),
        2000 => ("ConstraintMut", "a mut constraint was violated"),
        2001 => ("ConstraintHasOne", "a has_one constraint was violated"),
        2002 => ("ConstraintSigner", "a signer constraint was violated"),
        2003 => ("ConstraintRaw", "a raw constraint was violated"),
        2006 => ("ConstraintSeeds", "a seeds constraint was violated"),
        2012 => ("ConstraintAddress", "an address constraint was violated"),
        2014 => ("ConstraintTokenMint", "a token mint constraint was violated"),
        2015 => ("ConstraintTokenOwner", "a token owner constraint was violated"),
        3001 => ("AccountDiscriminatorNotFound", "no account discriminator was found"),
        3002 => ("AccountDiscriminatorMismatch", "the account discriminator did not match"),
        3003 => ("AccountDidNotDeserialize", "the account could not be deserialized"),
        3005 => ("AccountNotEnoughKeys", "not enough account keys were given"),
        3006 => ("AccountNotMutable", "the account is not mutable"),
        3007 => ("AccountOwnedByWrongProgram", "the account is owned by a different program"),
        3010 => ("AccountNotSigner", "the account did not sign"),
        3012 => ("AccountNotInitialized", "the account is not initialized"),
        _ => return None,
    })
}

/// SPL Token errors met when a wallet is short of tokens.
fn token_error(code: u32) -> Option<(&'static str, &'static str)> {
    Some(match code {
        1 => ("InsufficientFunds", "the token account holds too few tokens"),
        3 => ("MintMismatch", "the token account is for a different mint"),
        4 => ("OwnerMismatch", "the token account has a different owner"),
        _ => return None,
    })
}

/// `Name: message` for a custom error code.
pub fn explain_custom(code: u32) -> String {
    if let Some(error) = program_error(code) {
        return format!("{}: {}", error.name(), error);
    }
    if let Some((name, message)) = anchor_error(code).or_else(|| token_error(code)) {
        return format!("{name}: {message}");
    }
    format!("custom program error {code}")
}

/// A transaction error as one readable line; program errors by name and message.
pub fn explain(error: &TransactionError) -> String {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => {
            explain_custom(*code)
        }
        TransactionError::InstructionError(_, other) => format!("{other}"),
        other => format!("{other}"),
    }
}

/// The program error a transaction failed with, if any.
pub fn program_error_of(error: &TransactionError) -> Option<BallastError> {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => {
            program_error(*code)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_to_the_variant_of_that_name() {
        let names = program_error_names();
        assert!(names.len() > 50, "parsed {} variants", names.len());
        for (index, name) in names.iter().enumerate() {
            let error = program_error(PROGRAM_ERROR_OFFSET + index as u32).unwrap();
            assert_eq!(error.name(), *name);
            assert_eq!(u32::from(error), PROGRAM_ERROR_OFFSET + index as u32);
        }
        assert!(program_error(PROGRAM_ERROR_OFFSET + names.len() as u32).is_none());
        assert_eq!(
            explain_custom(u32::from(BallastError::BorrowLimitExceeded)),
            "BorrowLimitExceeded: borrow limit exceeded"
        );
    }
}
