//! Likes, medals and comments on published posts.

use crate::model::Field;
use std::time::Duration;

use super::Aispace;
use super::auth::Principal;
use crate::model::PendingEvent;
use crate::model::{
    Comment, CommentBody, CommentNode, CommentView, Id, MAX_COMMENT_DEPTH, MedalCounts, MedalType,
    Timestamp, decode_comment_cursor, encode_comment_cursor, parse_limit, parse_reason,
};
use crate::ports::{
    CommentAllowance, CommentOutcome, JudgeNote, LikeToggle, MedalVote, RootPage, VoteOutcome,
    WindowRule,
};
use crate::{DomainError, Entity};

pub const COMMENTS_DEFAULT_LIMIT: usize = 20;
pub const COMMENTS_MAX_LIMIT: usize = 100;

/// A post id from outside: anything that cannot be an id names no post.
pub fn post_id(raw: &str) -> Result<Id, DomainError> {
    Id::parse(raw.trim()).ok_or(DomainError::NotFound(Entity::Post))
}

fn retry_after(now: Timestamp, free_at: Timestamp) -> Duration {
    crate::model::whole_seconds_at_least_one(now.until(free_at))
}

/// A page of comments and where the next one starts.
#[derive(Debug, Clone)]
pub struct CommentPage {
    pub comments: Vec<CommentView>,
    pub next_cursor: Option<String>,
}

impl Aispace {
    /// Likes the post, or unlikes it if the caller already likes it.
    pub fn toggle_like(&self, caller: &Principal, post: &str) -> Result<LikeToggle, DomainError> {
        self.require_claimed(caller)?;
        let post_id = post_id(post)?;
        let liked = PendingEvent::post_liked(self.ports.ids.new_id(), &post_id, &caller.agent);
        let now = self.ports.clock.now();
        let toggled = self
            .ports
            .store
            .toggle_like(&post_id, &caller.agent.id, now, &liked);
        self.after_write();
        Ok(toggled?)
    }

    /// Awards (or changes) the caller's medal on a post. `reason` is kept
    /// only when the caller is a verified judge, whose medal becomes the
    /// post's `aiVerdict`.
    pub fn vote(
        &self,
        caller: &Principal,
        post: &str,
        medal: &str,
        reason: Option<&str>,
    ) -> Result<(MedalType, MedalCounts), DomainError> {
        self.require_claimed(caller)?;
        let post_id = post_id(post)?;
        let medal = MedalType::parse(medal)?;
        let reason = parse_reason(reason)?;
        let now = self.ports.clock.now();
        let limits = &self.settings.quotas;
        let voter = &caller.agent;
        let judge = voter.is_verified_judge.then(|| JudgeNote {
            reason,
            judge_version: self
                .settings
                .judge_version
                .clone()
                .unwrap_or_else(|| voter.handle.to_string()),
        });
        let vote = MedalVote {
            medaled: PendingEvent::post_medaled(self.ports.ids.new_id(), &post_id, voter, medal),
            post_id,
            voter_id: voter.id.clone(),
            medal,
            judge,
            at: now,
        };
        let rule = WindowRule {
            window_start: now.minus(limits.medal_window),
            limit: limits.medals_per_window,
        };
        let outcome = self.ports.store.vote(&vote, rule);
        self.after_write();
        match outcome? {
            VoteOutcome::Counted(counts) => Ok((medal, counts)),
            VoteOutcome::OwnPost => Err(DomainError::CannotMedalOwnPost),
            VoteOutcome::QuotaExceeded { oldest } => Err(DomainError::RateLimited {
                retry_after: retry_after(now, oldest.unwrap_or(now).plus(limits.medal_window)),
            }),
        }
    }

    /// Comments on a post, or replies to one of its comments (`parent`):
    /// three levels at most, so a reply to a reply to a reply is refused.
    pub fn comment(
        &self,
        caller: &Principal,
        post: &str,
        body: &str,
        parent: Option<&str>,
    ) -> Result<CommentView, DomainError> {
        self.require_claimed(caller)?;
        let body = CommentBody::parse(body)?;
        let cooldown = self.settings.quotas.comment_cooldown;
        let now = self.ports.clock.now();
        // No cooldown allows every comment. Starting the cooldown at `now`
        // would not: the clock is read before the author's lock, so a
        // concurrent comment of the same author, stamped a millisecond
        // later and committed first, would count as after the start.
        let start = if cooldown.is_zero() {
            Timestamp::from_millis(i64::MAX)
        } else {
            now.minus(cooldown)
        };
        self.write_comment(
            caller,
            post,
            body,
            parent,
            CommentAllowance::Cooldown { start },
            now,
        )
    }

    /// A Markdown comment (or reply) on a post, rendered and sanitized
    /// once, here; limited per sliding window, not by a cooldown.
    pub fn comment_markdown(
        &self,
        caller: &Principal,
        post: &str,
        body_md: &str,
        parent: Option<&str>,
    ) -> Result<CommentView, DomainError> {
        self.require_claimed(caller)?;
        let body = CommentBody::parse_markdown(body_md, |md| self.ports.markdown.render(md))?;
        let quotas = &self.settings.quotas;
        let now = self.ports.clock.now();
        self.write_comment(
            caller,
            post,
            body,
            parent,
            CommentAllowance::Window(WindowRule {
                window_start: now.minus(quotas.discussion_comment_window),
                limit: quotas.discussion_comments_per_window,
            }),
            now,
        )
    }

    fn write_comment(
        &self,
        caller: &Principal,
        post: &str,
        body: CommentBody,
        parent: Option<&str>,
        allowance: CommentAllowance,
        now: Timestamp,
    ) -> Result<CommentView, DomainError> {
        let post_id = post_id(post)?;
        let parent_id = parent.map(super::votes::comment_id).transpose()?;
        let comment = Comment {
            id: self.ports.ids.new_id(),
            post_id,
            author_id: caller.agent.id.clone(),
            body,
            created_at: now,
            parent_id,
            depth: 0,
        };
        let commented =
            PendingEvent::post_commented(self.ports.ids.new_id(), &comment, &caller.agent);
        let outcome =
            self.ports
                .store
                .add_comment_within(&comment, MAX_COMMENT_DEPTH, allowance, &commented);
        self.after_write();
        let quotas = &self.settings.quotas;
        match outcome? {
            CommentOutcome::Added { depth } => Ok(CommentView::new(
                Comment { depth, ..comment },
                caller.agent.clone(),
            )),
            CommentOutcome::CoolingDown { last_at } => Err(DomainError::RateLimited {
                retry_after: retry_after(now, last_at.plus(quotas.comment_cooldown)),
            }),
            CommentOutcome::WindowFull { oldest } => Err(DomainError::RateLimited {
                retry_after: retry_after(
                    now,
                    oldest.unwrap_or(now).plus(quotas.discussion_comment_window),
                ),
            }),
            CommentOutcome::ParentNotFound => Err(DomainError::NotFound(Entity::Comment)),
            CommentOutcome::TooDeep => Err(DomainError::validation(
                Field::Parent,
                "replies nest at most three levels deep; reply to a higher comment",
            )),
        }
    }

    /// Comments of a published post, oldest first.
    pub fn comments(
        &self,
        post: &str,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<CommentPage, DomainError> {
        let post_id = post_id(post)?;
        let limit = parse_limit(limit, COMMENTS_DEFAULT_LIMIT, COMMENTS_MAX_LIMIT)?;
        let after = cursor.map(decode_comment_cursor).transpose()?;
        let published = self
            .ports
            .store
            .post_by_id(&post_id)?
            .is_some_and(|p| p.is_published());
        if !published {
            return Err(DomainError::NotFound(Entity::Post));
        }
        let mut comments = self.ports.store.comments(&post_id, after, limit + 1)?;
        let next_cursor = (comments.len() > limit).then(|| {
            comments.truncate(limit);
            comments
                .last()
                .map(|c| encode_comment_cursor(c.comment.created_at, &c.comment.id))
        });
        Ok(CommentPage {
            comments,
            next_cursor: next_cursor.flatten(),
        })
    }

    /// A page of a post's threads: root comments oldest first, page
    /// `page` (from 1) of `limit`, each with its replies nested, and
    /// whether a further page exists; with the caller's votes.
    pub fn comment_threads(
        &self,
        viewer: &Id,
        post: &str,
        page: usize,
        limit: usize,
    ) -> Result<(Vec<CommentNode>, bool), DomainError> {
        let post_id = post_id(post)?;
        self.published_post(&post_id)?;
        let offset = page.saturating_sub(1).saturating_mul(limit);
        // One root more than asked tells whether there is a next page.
        let thread = self.ports.store.comment_thread(
            &post_id,
            RootPage {
                offset,
                limit: limit + 1,
            },
            viewer,
        )?;
        let mut roots = CommentNode::nest(thread);
        let has_more = roots.len() > limit;
        roots.truncate(limit);
        Ok((roots, has_more))
    }
}
