//! Turning transaction failures into the program's named errors with their one-line message.

use ballast::errors::BallastError;
use solana_sdk::instruction::InstructionError;
use solana_sdk::transaction::TransactionError;

/// First code of the program's own errors (`6000 + position`).
pub const PROGRAM_ERROR_OFFSET: u32 = 6_000;

/// The committed IDL (CI checks it matches the program): the source of every program error's
/// code, name and message.
const IDL: &str = include_str!("../../idl/ballast.json");

/// One error of the IDL.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct IdlError {
    pub code: u32,
    pub name: String,
    #[serde(default)]
    pub msg: String,
}

#[derive(serde::Deserialize)]
struct Idl {
    errors: Vec<IdlError>,
}

/// The program's errors, from the IDL.
pub fn program_errors() -> &'static [IdlError] {
    static ERRORS: std::sync::OnceLock<Vec<IdlError>> = std::sync::OnceLock::new();
    ERRORS.get_or_init(|| {
        serde_json::from_str::<Idl>(IDL)
            .map(|idl| idl.errors)
            .unwrap_or_default()
    })
}

/// The program error with custom code `code`, if it is one.
pub fn program_error(code: u32) -> Option<&'static IdlError> {
    program_errors().iter().find(|error| error.code == code)
}

/// Anchor framework errors a client is likely to meet (constraint and account checks).
fn anchor_error(code: u32) -> Option<(&'static str, &'static str)> {
    Some(match code {
        101 => (
            "InstructionFallbackNotFound",
            "fallback functions are not supported",
        ),
        102 => (
            "InstructionDidNotDeserialize",
            "the instruction could not be deserialized",
        ),
        2000 => ("ConstraintMut", "a mut constraint was violated"),
        2001 => ("ConstraintHasOne", "a has_one constraint was violated"),
        2002 => ("ConstraintSigner", "a signer constraint was violated"),
        2003 => ("ConstraintRaw", "a raw constraint was violated"),
        2006 => ("ConstraintSeeds", "a seeds constraint was violated"),
        2012 => ("ConstraintAddress", "an address constraint was violated"),
        2014 => (
            "ConstraintTokenMint",
            "a token mint constraint was violated",
        ),
        2015 => (
            "ConstraintTokenOwner",
            "a token owner constraint was violated",
        ),
        3001 => (
            "AccountDiscriminatorNotFound",
            "no account discriminator was found",
        ),
        3002 => (
            "AccountDiscriminatorMismatch",
            "the account discriminator did not match",
        ),
        3003 => (
            "AccountDidNotDeserialize",
            "the account could not be deserialized",
        ),
        3005 => ("AccountNotEnoughKeys", "not enough account keys were given"),
        3006 => ("AccountNotMutable", "the account is not mutable"),
        3007 => (
            "AccountOwnedByWrongProgram",
            "the account is owned by a different program",
        ),
        3010 => ("AccountNotSigner", "the account did not sign"),
        3012 => ("AccountNotInitialized", "the account is not initialized"),
        _ => return None,
    })
}

/// SPL Token errors met when a wallet is short of tokens.
fn token_error(code: u32) -> Option<(&'static str, &'static str)> {
    Some(match code {
        1 => (
            "InsufficientFunds",
            "the token account holds too few tokens",
        ),
        3 => ("MintMismatch", "the token account is for a different mint"),
        4 => ("OwnerMismatch", "the token account has a different owner"),
        _ => return None,
    })
}

/// `Name: message` for a custom error code.
pub fn explain_custom(code: u32) -> String {
    if let Some(error) = program_error(code) {
        return format!("{}: {}", error.name, error.msg);
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

/// The custom error code a transaction failed with, if any.
pub fn custom_code(error: &TransactionError) -> Option<u32> {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(*code),
        _ => None,
    }
}

/// Whether a transaction failed with the program error `expected`.
pub fn is_program_error(error: &TransactionError, expected: BallastError) -> bool {
    custom_code(error) == Some(u32::from(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_errors_come_from_the_idl_with_the_programs_names_and_messages() {
        let errors = program_errors();
        assert!(errors.len() > 50, "{} errors in the IDL", errors.len());
        for (index, error) in errors.iter().enumerate() {
            assert_eq!(error.code, PROGRAM_ERROR_OFFSET + index as u32);
        }
        for variant in [
            BallastError::MathOverflow,
            BallastError::BorrowLimitExceeded,
            BallastError::OracleStale,
            BallastError::ObligationHealthy,
            BallastError::NotInsolvent,
        ] {
            let error = program_error(u32::from(variant)).expect("in the IDL");
            assert_eq!(error.name, variant.name());
            assert_eq!(error.msg, variant.to_string());
        }
        assert_eq!(
            explain_custom(u32::from(BallastError::BorrowLimitExceeded)),
            "BorrowLimitExceeded: borrow limit exceeded"
        );
        assert_eq!(
            explain_custom(2006),
            "ConstraintSeeds: a seeds constraint was violated"
        );
        assert_eq!(explain_custom(99_999), "custom program error 99999");
    }
}
