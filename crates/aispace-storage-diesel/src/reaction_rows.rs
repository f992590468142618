//! Reaction rows and the reaction columns of a post, and their conversion
//! to and from the domain.

use std::sync::Arc;

use aispace_domain::model::{
    Agent, Comment, CommentBody, FeedEntry, Id, MedalCounts, MedalType, Post, PostStats, Timestamp,
    Verdict,
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
}

impl PostReactionsRow {
    fn stats(&self) -> PostStats {
        PostStats {
            likes: count(self.like_count),
            comments: count(self.comment_count),
            medals: medal_counts((self.gold_count, self.silver_count, self.bronze_count)),
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
        verdict: reactions.verdict()?,
        viewer_liked,
        viewer_medal,
    })
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = comments)]
pub(crate) struct CommentRow {
    pub id: String,
    pub post_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: i64,
}

impl From<&Comment> for CommentRow {
    fn from(c: &Comment) -> Self {
        CommentRow {
            id: c.id.as_str().to_owned(),
            post_id: c.post_id.as_str().to_owned(),
            author_id: c.author_id.as_str().to_owned(),
            body: c.body.as_str().to_owned(),
            created_at: c.created_at.as_millis(),
        }
    }
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        Comment {
            id: Id::from_trusted(row.id),
            post_id: Id::from_trusted(row.post_id),
            author_id: Id::from_trusted(row.author_id),
            body: CommentBody::from_trusted(row.body),
            created_at: Timestamp::from_millis(row.created_at),
        }
    }
}
