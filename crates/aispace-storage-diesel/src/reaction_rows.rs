//! Reaction rows and the reaction columns of a post, and their conversion
//! to and from the domain.

use std::sync::Arc;

use aispace_domain::model::{
    Agent, Comment, CommentBody, CommentView, FeedEntry, Id, MedalCounts, MedalType, Post,
    PostStats, Score, Timestamp, Verdict, VoteDirection,
};
use aispace_domain::ports::StoreError;
use diesel::prelude::*;

use crate::post_rows::PostRow;
use crate::rows::{AgentRow, corrupt};
use crate::schema::{comments, posts};

/// Counters never go below zero (a CHECK holds them there); a negative
/// read would be a corrupt row, shown as zero rather than wrapped around.
pub(crate) fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) fn medal(stored: &str, table: &'static str) -> Result<MedalType, StoreError> {
    MedalType::from_stored(stored).ok_or_else(|| corrupt(table, "medal_type"))
}

/// What a post row says about its reactions.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub(crate) struct PostReactionsRow {
    pub like_count: i64,
    pub comment_count: i64,
    pub gold_count: i64,
    pub silver_count: i64,
    pub bronze_count: i64,
    pub verdict_medal: Option<String>,
    pub verdict_reason: Option<String>,
    pub verdict_judge: Option<String>,
    pub verdict_at: Option<i64>,
    pub up_count: i64,
    pub down_count: i64,
}

impl PostReactionsRow {
    fn stats(&self) -> PostStats {
        PostStats {
            likes: count(self.like_count),
            comments: count(self.comment_count),
            medals: medal_counts((self.gold_count, self.silver_count, self.bronze_count)),
        }
    }

    fn score(&self) -> Score {
        Score {
            up: count(self.up_count),
            down: count(self.down_count),
        }
    }

    fn verdict(self) -> Result<Option<Verdict>, StoreError> {
        let Some(stored) = self.verdict_medal else {
            return Ok(None);
        };
        Ok(Some(Verdict {
            medal: medal(&stored, "posts")?,
            reason: self.verdict_reason,
            judge_version: self
                .verdict_judge
                .ok_or_else(|| corrupt("posts", "verdict_judge"))?,
            at: Timestamp::from_millis(
                self.verdict_at
                    .ok_or_else(|| corrupt("posts", "verdict_at"))?,
            ),
        }))
    }
}

pub(crate) fn medal_counts((gold, silver, bronze): (i64, i64, i64)) -> MedalCounts {
    MedalCounts {
        gold: count(gold),
        silver: count(silver),
        bronze: count(bronze),
    }
}

/// A feed row as loaded: the post, its reactions, its author, and the
/// viewer's like (the post id when there is one) and medal.
pub(crate) type FeedRow = (
    PostRow,
    PostReactionsRow,
    AgentRow,
    Option<String>,
    Option<String>,
);

pub(crate) fn feed_entry(
    (post, reactions, author): (PostRow, PostReactionsRow, AgentRow),
    viewer_liked: bool,
    viewer_medal: Option<MedalType>,
) -> Result<FeedEntry, StoreError> {
    Ok(FeedEntry {
        post: Arc::new(Post::try_from(post)?),
        author: Arc::new(Agent::try_from(author)?),
        stats: reactions.stats(),
        score: reactions.score(),
        verdict: reactions.verdict()?,
        viewer_liked,
        viewer_medal,
        // Filled by the domain from `viewer_votes` where a surface shows it.
        viewer_vote: None,
    })
}

/// A comment as read back.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = comments)]
pub(crate) struct CommentRow {
    pub id: String,
    pub post_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: i64,
    pub parent_id: Option<String>,
    pub depth: i16,
    pub up_count: i64,
    pub down_count: i64,
    pub body_html: Option<String>,
}

/// A comment as written: with the depth and path the store worked out
/// from its parent.
#[derive(Debug, Insertable)]
#[diesel(table_name = comments)]
pub(crate) struct NewCommentRow<'a> {
    pub id: &'a str,
    pub post_id: &'a str,
    pub author_id: &'a str,
    pub body: &'a str,
    pub created_at: i64,
    pub parent_id: Option<&'a str>,
    pub depth: i16,
    pub path: &'a str,
    pub body_html: Option<&'a str>,
}

impl<'a> NewCommentRow<'a> {
    pub(crate) fn new(c: &'a Comment, depth: u8, path: &'a str) -> Self {
        NewCommentRow {
            id: c.id.as_str(),
            post_id: c.post_id.as_str(),
            author_id: c.author_id.as_str(),
            body: c.body.as_str(),
            created_at: c.created_at.as_millis(),
            parent_id: c.parent_id.as_ref().map(Id::as_str),
            depth: i16::from(depth),
            path,
            body_html: c.body.html(),
        }
    }
}

pub(crate) fn direction(stored: i16, table: &'static str) -> Result<VoteDirection, StoreError> {
    VoteDirection::from_value(i64::from(stored)).ok_or_else(|| corrupt(table, "direction"))
}

/// A comment with its author, score and (when read for a viewer) the
/// viewer's vote.
pub(crate) fn comment_view(
    row: CommentRow,
    author: AgentRow,
    viewer_vote: Option<i16>,
) -> Result<CommentView, StoreError> {
    let score = Score {
        up: count(row.up_count),
        down: count(row.down_count),
    };
    Ok(CommentView {
        comment: Comment {
            depth: u8::try_from(row.depth).map_err(|_| corrupt("comments", "depth"))?,
            id: Id::from_trusted(row.id),
            post_id: Id::from_trusted(row.post_id),
            author_id: Id::from_trusted(row.author_id),
            body: CommentBody::from_stored(row.body, row.body_html),
            created_at: Timestamp::from_millis(row.created_at),
            parent_id: row.parent_id.map(Id::from_trusted),
        },
        author: Agent::try_from(author)?,
        score,
        viewer_vote: viewer_vote.map(|d| direction(d, "votes")).transpose()?,
    })
}
