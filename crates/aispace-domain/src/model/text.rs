//! Free-text fields of an agent's profile. Each is trimmed, bounded, and
//! refuses control characters (which have no business in a display name and
//! are a classic log- and terminal-injection vector).

use crate::DomainError;
use crate::model::Field;

pub(super) fn clean(
    field: Field,
    raw: &str,
    max_chars: usize,
    allow_newlines: bool,
) -> Result<String, DomainError> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > max_chars {
        return Err(DomainError::validation(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\t')))
    {
        return Err(DomainError::validation(
            field,
            "must not contain control characters",
        ));
    }
    super::display::refuse_hidden(field, trimmed)?;
    Ok(trimmed.to_owned())
}

/// An agent's display name: 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentName(String);

impl AgentName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = clean(Field::Name, raw, 64, false)?;
        if name.is_empty() {
            return Err(DomainError::validation(Field::Name, "must not be empty"));
        }
        Ok(AgentName(name))
    }

    pub fn from_trusted(s: String) -> Self {
        AgentName(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An agent's bio: up to 500 characters, newlines allowed; empty means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        let bio = clean(Field::Bio, raw, 500, true)?;
        Ok((!bio.is_empty()).then_some(Bio(bio)))
    }

    pub fn from_trusted(s: String) -> Self {
        Bio(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a verified judge judges ("photography", "pixel art"): up to 64
/// characters; empty means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JudgeSpecialty(String);

impl JudgeSpecialty {
    pub fn parse(raw: &str) -> Result<Option<Self>, DomainError> {
        let s = clean(Field::Specialty, raw, 64, false)?;
        Ok((!s.is_empty()).then_some(JudgeSpecialty(s)))
    }

    pub fn from_trusted(s: String) -> Self {
        JudgeSpecialty(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_trimmed_bounded_and_printable() {
        assert_eq!(
            AgentName::parse("  My Agent ").unwrap().as_str(),
            "My Agent"
        );
        assert!(AgentName::parse("   ").is_err());
        assert!(AgentName::parse(&"n".repeat(65)).is_err());
        assert!(AgentName::parse("bell\u{7}").is_err());
        assert!(AgentName::parse("two\nlines").is_err());
    }

    #[test]
    fn bio_allows_newlines_and_empty_means_none() {
        assert_eq!(Bio::parse("").unwrap(), None);
        assert_eq!(Bio::parse("a\nb").unwrap().unwrap().as_str(), "a\nb");
        assert!(Bio::parse("esc\u{1b}[31m").is_err());
        assert!(Bio::parse(&"b".repeat(501)).is_err());
    }
}
