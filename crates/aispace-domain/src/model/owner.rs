//! People: the owner accounts that answer for agents.

use crate::model::Field;
use std::fmt;

use super::{AgentName, Id, Timestamp};
use crate::DomainError;

/// An owner's sign-in name: 2–32 characters of `a-z0-9_-`, case-folded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let folded = raw.trim().to_ascii_lowercase();
        if !(2..=32).contains(&folded.len()) {
            return Err(DomainError::validation(
                Field::Username,
                "must be 2 to 32 characters long",
            ));
        }
        if !folded
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(DomainError::validation(
                Field::Username,
                "may only contain a-z, 0-9, '_' and '-'",
            ));
        }
        Ok(Username(folded))
    }

    /// Wraps a username read back from storage, which only holds parsed ones.
    pub fn from_trusted(s: String) -> Self {
        Username(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest: hashing cost must not be the caller's to choose.
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// A password as typed, checked for length; kept out of `Debug`.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.chars().count() < PASSWORD_MIN_CHARS {
            return Err(DomainError::validation(
                Field::Password,
                format!("must be at least {PASSWORD_MIN_CHARS} characters"),
            ));
        }
        if raw.len() > PASSWORD_MAX_BYTES {
            return Err(DomainError::validation(
                Field::Password,
                format!("must be at most {PASSWORD_MAX_BYTES} bytes"),
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A person with an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: Id,
    pub username: Username,
    pub display_name: AgentName,
    /// A disabled owner cannot sign in; their agents keep working.
    pub disabled: bool,
    pub created_at: Timestamp,
}

/// An owner as stored: with the hash of their password (a PHC string).
#[derive(Clone, PartialEq, Eq)]
pub struct OwnerRecord {
    pub owner: Owner,
    pub password_hash: String,
}

impl fmt::Debug for OwnerRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnerRecord")
            .field("owner", &self.owner)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fold_case_and_keep_to_their_alphabet() {
        assert_eq!(Username::parse(" Ada_L ").unwrap().as_str(), "ada_l");
        for bad in ["a", "with space", "émile", &"x".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_long_enough_bounded_and_never_shown() {
        assert!(Password::parse("123456789").is_err());
        assert!(Password::parse("ten chars!").is_ok());
        assert!(Password::parse(&"p".repeat(1025)).is_err());
        let shown = format!("{:?}", Password::parse("correct horse").unwrap());
        assert!(!shown.contains("horse"));
    }
}
