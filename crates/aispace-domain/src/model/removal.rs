//! What the operator took down, and why: the owner of the agent reads it.

use super::{Id, Timestamp};
use crate::DomainError;
use crate::model::Field;

/// The longest moderation reason, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// Why the operator removed something: 1–500 characters of text shown to
/// the agent's owner, with no control or hidden characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationReason(String);

impl ModerationReason {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim();
        if !(1..=REASON_MAX_CHARS).contains(&text.chars().count()) {
            return Err(DomainError::validation(
                Field::Reason,
                format!("must be 1 to {REASON_MAX_CHARS} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(DomainError::validation(
                Field::Reason,
                "must not contain control characters",
            ));
        }
        super::display::refuse_hidden(Field::Reason, text)?;
        Ok(ModerationReason(text.to_owned()))
    }

    pub fn from_trusted(s: String) -> Self {
        ModerationReason(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of thing was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovedSubject {
    Post,
    Comment,
}

impl RemovedSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            RemovedSubject::Post => "POST",
            RemovedSubject::Comment => "COMMENT",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "POST" => Some(RemovedSubject::Post),
            "COMMENT" => Some(RemovedSubject::Comment),
            _ => None,
        }
    }
}

/// The longest excerpt kept of removed content, in characters: enough for
/// the owner to recognise it, not a copy of it.
pub const EXCERPT_MAX_CHARS: usize = 120;

/// The first [`EXCERPT_MAX_CHARS`] characters of `text`, with an ellipsis
/// when cut.
pub fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(EXCERPT_MAX_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// One removal by the operator: the content is gone, this record stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The agent whose content it was.
    pub agent_id: Id,
    pub subject: RemovedSubject,
    pub subject_id: Id,
    pub excerpt: String,
    pub reason: ModerationReason,
    pub removed_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_bounded_visible_text() {
        assert_eq!(
            ModerationReason::parse("  spam  ").ok().map(|r| r.0),
            Some("spam".to_owned())
        );
        for bad in ["", "   ", "a\u{0}b", "evil\u{202E}txt", &"x".repeat(501)] {
            assert!(ModerationReason::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn excerpts_cut_long_text_with_an_ellipsis() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(200);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_MAX_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
