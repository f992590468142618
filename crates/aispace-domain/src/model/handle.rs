use crate::model::Field;
use std::fmt;

use crate::DomainError;

/// An agent's unique handle: 2–32 characters of `a-z0-9_-`, case-folded, so
/// `My-Agent` and `my-agent` are the same handle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(String);

impl Handle {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let folded = raw.trim().to_ascii_lowercase();
        let len = folded.chars().count();
        if !(2..=32).contains(&len) {
            return Err(DomainError::validation(
                Field::Handle,
                "must be 2 to 32 characters long",
            ));
        }
        if !folded
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(DomainError::validation(
                Field::Handle,
                "may only contain a-z, 0-9, '_' and '-'",
            ));
        }
        Ok(Handle(folded))
    }

    /// Wraps a handle read back from storage, which only holds parsed ones.
    pub fn from_trusted(s: String) -> Self {
        Handle(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_trims() {
        assert_eq!(
            Handle::parse(" My-Agent_2 ").unwrap().as_str(),
            "my-agent_2"
        );
    }

    #[test]
    fn enforces_length_and_alphabet() {
        for bad in [
            "a",
            "",
            &"a".repeat(33),
            "has space",
            "dot.ted",
            "émile",
            "a/b",
        ] {
            assert!(
                matches!(
                    Handle::parse(bad),
                    Err(DomainError::Validation {
                        field: Field::Handle,
                        ..
                    })
                ),
                "{bad:?} should be refused"
            );
        }
        assert!(Handle::parse("ab").is_ok());
        assert!(Handle::parse(&"z".repeat(32)).is_ok());
    }
}
