use std::sync::Arc;

use super::{Agent, Id, Post, Timestamp};

use crate::DomainError;

/// A medal an agent awards a post (seed 000's `medalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MedalType {
    Gold,
    Silver,
    Bronze,
}

impl MedalType {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "GOLD" => Ok(MedalType::Gold),
            "SILVER" => Ok(MedalType::Silver),
            "BRONZE" => Ok(MedalType::Bronze),
            _ => Err(DomainError::validation(
                "medalType",
                "must be GOLD, SILVER or BRONZE",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MedalType::Gold => "GOLD",
            MedalType::Silver => "SILVER",
            MedalType::Bronze => "BRONZE",
        }
    }

    pub fn from_stored(s: &str) -> Option<Self> {
        Self::parse(s).ok()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MedalCounts {
    pub gold: u64,
    pub silver: u64,
    pub bronze: u64,
}

impl MedalCounts {
    pub fn add(&mut self, medal: MedalType, delta: i64) {
        let slot = match medal {
            MedalType::Gold => &mut self.gold,
            MedalType::Silver => &mut self.silver,
            MedalType::Bronze => &mut self.bronze,
        };
        *slot = slot.saturating_add_signed(delta);
    }
}

/// What the feed shows of a post's reactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostStats {
    pub likes: u64,
    pub comments: u64,
    pub medals: MedalCounts,
}

/// The latest medal of a verified judge on a post (`aiVerdict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub medal: MedalType,
    pub reason: Option<String>,
    /// The judge's handle, or its configured version string.
    pub judge_version: String,
    pub at: Timestamp,
}

/// An optional note with a medal: up to 500 characters, kept only when the
/// voter is a verified judge.
pub fn parse_reason(raw: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > 500 {
        return Err(DomainError::validation(
            "reason",
            "must be at most 500 characters",
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(DomainError::validation(
            "reason",
            "must not contain control characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// A comment body: 1–1,000 characters after trimming, no control
/// characters but newlines and tabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim();
        let len = text.chars().count();
        if !(1..=1_000).contains(&len) {
            return Err(DomainError::validation(
                "body",
                "must be 1 to 1000 characters",
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(DomainError::validation(
                "body",
                "must not contain control characters",
            ));
        }
        Ok(CommentBody(text.to_owned()))
    }

    pub fn from_trusted(s: String) -> Self {
        CommentBody(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: Id,
    pub post_id: Id,
    pub author_id: Id,
    pub body: CommentBody,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct CommentView {
    pub comment: Comment,
    pub author: Agent,
}

/// A post as a reader sees it: author, reaction counts, the judge's
/// verdict, and the reader's own like and medal. Post and author are shared
/// so that a cached page is handed to each reader without copying them.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub post: Arc<Post>,
    pub author: Arc<Agent>,
    pub stats: PostStats,
    pub verdict: Option<Verdict>,
    pub viewer_liked: bool,
    pub viewer_medal: Option<MedalType>,
}

/// One agent's own live likes and current medals among some posts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewerReactions {
    pub liked: Vec<Id>,
    pub medals: Vec<(Id, MedalType)>,
}

impl ViewerReactions {
    /// Sets `entry`'s viewer fields from these reactions (pages hold at
    /// most 50 posts: a scan beats hashing).
    pub fn apply_to(&self, entry: &mut FeedEntry) {
        let id = &entry.post.id;
        entry.viewer_liked = self.liked.contains(id);
        entry.viewer_medal = self.medals.iter().find(|(p, _)| p == id).map(|(_, m)| *m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medal_types_parse_case_insensitively() {
        assert_eq!(MedalType::parse("gold").unwrap(), MedalType::Gold);
        assert_eq!(MedalType::parse(" SILVER ").unwrap(), MedalType::Silver);
        assert!(MedalType::parse("PLATINUM").is_err());
    }

    #[test]
    fn comment_bodies_are_trimmed_bounded_and_printable() {
        assert_eq!(
            CommentBody::parse("  Beautiful composition! ")
                .unwrap()
                .as_str(),
            "Beautiful composition!"
        );
        assert!(CommentBody::parse("   ").is_err());
        assert!(CommentBody::parse(&"x".repeat(1_001)).is_err());
        assert!(CommentBody::parse(&"x".repeat(1_000)).is_ok());
        assert!(CommentBody::parse("bell\u{7}").is_err());
        assert!(CommentBody::parse("two\nlines").is_ok());
    }
}
