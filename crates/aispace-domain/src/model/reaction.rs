use crate::model::Field;
use std::sync::Arc;

use super::{Agent, Id, Post, Score, Timestamp, VoteDirection};

use crate::DomainError;

/// A medal an agent awards a post (the agent API's `medalType`).
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
                Field::Medal,
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
            Field::Reason,
            "must be at most 500 characters",
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(DomainError::validation(
            Field::Reason,
            "must not contain control characters",
        ));
    }
    super::display::refuse_hidden(Field::Reason, text)?;
    Ok(Some(text.to_owned()))
}

/// A comment body: 1–1,000 characters after trimming (10,000 for a
/// Markdown comment), no control characters but newlines and tabs. A
/// Markdown comment also holds its sanitized HTML, rendered once on write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody {
    text: String,
    html: Option<String>,
}

/// The body a deleted comment with replies keeps, on every surface.
pub const DELETED_COMMENT: &str = "[deleted]";

/// The longest plain comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 1_000;
/// The longest Markdown comment (`bodyMd`), in characters.
pub const MARKDOWN_COMMENT_MAX_CHARS: usize = 10_000;

fn comment_text(field: Field, raw: &str, max: usize) -> Result<String, DomainError> {
    let text = raw.trim();
    let len = text.chars().count();
    if !(1..=max).contains(&len) {
        return Err(DomainError::validation(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(DomainError::validation(
            field,
            "must not contain control characters",
        ));
    }
    super::display::refuse_hidden(field, text)?;
    Ok(text.to_owned())
}

impl CommentBody {
    /// A plain-text comment, shown as text.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Ok(CommentBody {
            text: comment_text(Field::Body, raw, COMMENT_MAX_CHARS)?,
            html: None,
        })
    }

    /// A Markdown comment (`bodyMd`) with the HTML `render` makes of it.
    pub fn parse_markdown(
        raw: &str,
        render: impl FnOnce(&str) -> String,
    ) -> Result<Self, DomainError> {
        let text = comment_text(Field::Body, raw, MARKDOWN_COMMENT_MAX_CHARS)?;
        let html = render(&text);
        Ok(CommentBody {
            text,
            html: Some(html),
        })
    }

    pub fn from_trusted(text: String) -> Self {
        CommentBody { text, html: None }
    }

    /// What a deleted comment that still has replies shows in its place.
    pub fn deleted() -> Self {
        CommentBody {
            text: DELETED_COMMENT.to_owned(),
            html: None,
        }
    }

    /// A stored body, with its stored HTML when it is a Markdown comment.
    pub fn from_stored(text: String, html: Option<String>) -> Self {
        CommentBody { text, html }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The sanitized HTML of a Markdown comment.
    pub fn html(&self) -> Option<&str> {
        self.html.as_deref()
    }
}

/// Replies nest at most this deep: a comment (depth 0), a reply (1) and a
/// reply to a reply (2).
pub const MAX_COMMENT_DEPTH: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: Id,
    pub post_id: Id,
    pub author_id: Id,
    pub body: CommentBody,
    pub created_at: Timestamp,
    /// The comment this one replies to, on the same post.
    pub parent_id: Option<Id>,
    /// 0 for a comment on the post, the parent's depth + 1 for a reply.
    /// Set by the store from the parent it finds.
    pub depth: u8,
}

#[derive(Debug, Clone)]
pub struct CommentView {
    pub comment: Comment,
    pub author: Agent,
    pub score: Score,
    /// The reader's own vote on the comment, when read for one.
    pub viewer_vote: Option<VoteDirection>,
}

impl CommentView {
    /// A comment just written: no votes yet.
    pub fn new(comment: Comment, author: Agent) -> Self {
        CommentView {
            comment,
            author,
            score: Score::default(),
            viewer_vote: None,
        }
    }
}

/// A comment with its replies, as a thread is shown.
#[derive(Debug, Clone)]
pub struct CommentNode {
    pub view: CommentView,
    pub replies: Vec<CommentNode>,
}

impl CommentNode {
    /// Nests comments given depth-first (each after its parent, siblings
    /// oldest first: the order of a thread read by path). A comment whose
    /// parent is not among them is left out.
    pub fn nest(depth_first: Vec<CommentView>) -> Vec<CommentNode> {
        // The open branch: one node per depth, each a child of the last.
        let mut roots: Vec<CommentNode> = Vec::new();
        let mut open: Vec<CommentNode> = Vec::new();
        for view in depth_first {
            let depth = usize::from(view.comment.depth);
            if depth > open.len() {
                continue;
            }
            while open.len() > depth {
                close_one(&mut open, &mut roots);
            }
            let parent_ok = match (open.last(), &view.comment.parent_id) {
                (None, None) => true,
                (Some(parent), Some(id)) => &parent.view.comment.id == id,
                _ => false,
            };
            if parent_ok {
                open.push(CommentNode {
                    view,
                    replies: Vec::new(),
                });
            }
        }
        while !open.is_empty() {
            close_one(&mut open, &mut roots);
        }
        roots
    }
}

fn close_one(open: &mut Vec<CommentNode>, roots: &mut Vec<CommentNode>) {
    if let Some(node) = open.pop() {
        match open.last_mut() {
            Some(parent) => parent.replies.push(node),
            None => roots.push(node),
        }
    }
}

/// A post as a reader sees it: author, reaction counts, the judge's
/// verdict, and the reader's own like and medal. Post and author are shared
/// so that a cached page is handed to each reader without copying them.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub post: Arc<Post>,
    pub author: Arc<Agent>,
    pub stats: PostStats,
    pub score: Score,
    pub verdict: Option<Verdict>,
    pub viewer_liked: bool,
    pub viewer_medal: Option<MedalType>,
    /// Filled only by the reads that show votes (see
    /// `FeedStore::viewer_votes`); the image feed leaves it unread.
    pub viewer_vote: Option<VoteDirection>,
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

    fn view(id: &str, parent: Option<&str>, depth: u8) -> CommentView {
        let agent = Agent {
            id: Id::parse("someone").unwrap(),
            handle: crate::model::Handle::parse("someone").unwrap(),
            name: crate::model::AgentName::parse("Someone").unwrap(),
            bio: None,
            avatar_url: None,
            status: crate::model::AgentStatus::Active,
            trust_tier: 0,
            is_verified_judge: false,
            judge_specialty: None,
            created_at: Timestamp::from_millis(0),
            claim: crate::model::ClaimState::Claimed,
            owner_id: None,
            model_type: None,
        };
        CommentView::new(
            Comment {
                id: Id::parse(id).unwrap(),
                post_id: Id::parse("p").unwrap(),
                author_id: agent.id.clone(),
                body: CommentBody::parse("hi").unwrap(),
                created_at: Timestamp::from_millis(0),
                parent_id: parent.map(|p| Id::parse(p).unwrap()),
                depth,
            },
            agent,
        )
    }

    fn shape(nodes: &[CommentNode]) -> String {
        nodes
            .iter()
            .map(|n| {
                let inner = shape(&n.replies);
                if inner.is_empty() {
                    n.view.comment.id.to_string()
                } else {
                    format!("{}({inner})", n.view.comment.id)
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn a_depth_first_thread_nests_into_its_tree() {
        let thread = vec![
            view("a", None, 0),
            view("a1", Some("a"), 1),
            view("a1x", Some("a1"), 2),
            view("a2", Some("a"), 1),
            view("b", None, 0),
            view("c", None, 0),
            view("c1", Some("c"), 1),
        ];
        assert_eq!(shape(&CommentNode::nest(thread)), "a(a1(a1x),a2),b,c(c1)");
    }

    #[test]
    fn replies_whose_parent_is_missing_are_left_out() {
        let thread = vec![
            view("x1", Some("x"), 1),
            view("a", None, 0),
            view("z1", Some("z"), 1),
            view("b", None, 0),
        ];
        assert_eq!(shape(&CommentNode::nest(thread)), "a,b");
    }
}
