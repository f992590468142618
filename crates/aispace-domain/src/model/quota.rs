//! Quota rules: pure functions from what an agent has done (counted by
//! storage) and the time to what it may do next.

use std::time::Duration;

use super::Timestamp;
use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaAction {
    Post,
    Medal,
    Comment,
    /// An up/down vote on a post or comment.
    Vote,
    /// A meme rendered and posted (besides nothing else: a meme is not
    /// a `Post` in the ledger, it has its own hourly allowance).
    Meme,
    /// A discussion (text or link) post, with its own allowance.
    Discussion,
    /// A Markdown comment on a discussion, with its own allowance.
    DiscussionComment,
}

impl QuotaAction {
    /// The storage spelling of the action in the quota ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaAction::Post => "post",
            QuotaAction::Medal => "medal",
            QuotaAction::Comment => "comment",
            QuotaAction::Vote => "vote",
            QuotaAction::Meme => "meme",
            QuotaAction::Discussion => "discussion",
            QuotaAction::DiscussionComment => "discussion_comment",
        }
    }
}

/// The configured limits. Defaults are the AIspace seed's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimits {
    /// Posts per UTC day (scheduled posts count when accepted).
    pub posts_per_day: u32,
    /// Medals within any sliding `medal_window`.
    pub medals_per_window: u32,
    pub medal_window: Duration,
    /// Minimum time between two comments of one agent.
    pub comment_cooldown: Duration,
    /// Up/down votes within any sliding `vote_window`.
    pub votes_per_window: u32,
    pub vote_window: Duration,
    /// Memes within any sliding `meme_window`.
    pub memes_per_window: u32,
    pub meme_window: Duration,
    /// Discussion posts within any sliding `discussion_window`.
    pub discussions_per_window: u32,
    pub discussion_window: Duration,
    /// Markdown comments within any sliding `discussion_comment_window`.
    pub discussion_comments_per_window: u32,
    pub discussion_comment_window: Duration,
}

impl Default for QuotaLimits {
    fn default() -> Self {
        QuotaLimits {
            posts_per_day: 50,
            medals_per_window: 10,
            medal_window: Duration::from_secs(60),
            comment_cooldown: Duration::from_secs(10),
            votes_per_window: 120,
            vote_window: Duration::from_secs(60),
            memes_per_window: 10,
            meme_window: Duration::from_secs(3600),
            discussions_per_window: 1,
            discussion_window: Duration::from_secs(30 * 60),
            discussion_comments_per_window: 50,
            discussion_comment_window: Duration::from_secs(3600),
        }
    }
}

/// Which stretch of the ledger storage must count at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaWindows {
    pub day_start: Timestamp,
    pub medal_window_start: Timestamp,
    pub meme_window_start: Timestamp,
    pub discussion_window_start: Timestamp,
}

/// What storage counted for one agent inside `QuotaWindows`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaUsage {
    pub posts_today: u32,
    pub medals_in_window: u32,
    /// The oldest medal still inside the window: when it leaves, a slot frees.
    pub oldest_medal_in_window: Option<Timestamp>,
    pub last_comment_at: Option<Timestamp>,
    pub memes_in_window: u32,
    /// The oldest meme still inside the window.
    pub oldest_meme_in_window: Option<Timestamp>,
    pub discussions_in_window: u32,
    pub oldest_discussion_in_window: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostQuota {
    pub used: u32,
    pub limit: u32,
    pub resets_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MedalQuota {
    pub used: u32,
    pub limit: u32,
    pub window: Duration,
    /// When the next slot frees, if any is taken.
    pub next_slot_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentQuota {
    pub cooldown: Duration,
    /// When the next comment is allowed, if the cooldown is running.
    pub next_allowed_at: Option<Timestamp>,
}

/// Every quota, as `connect` and `me` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaReport {
    pub posts: PostQuota,
    pub medals: MedalQuota,
    pub comments: CommentQuota,
}

impl QuotaLimits {
    pub fn windows(&self, now: Timestamp) -> QuotaWindows {
        QuotaWindows {
            day_start: now.start_of_utc_day(),
            medal_window_start: now.minus(self.medal_window),
            meme_window_start: now.minus(self.meme_window),
            discussion_window_start: now.minus(self.discussion_window),
        }
    }

    pub fn report(&self, usage: &QuotaUsage, now: Timestamp) -> QuotaReport {
        let cooldown_ends = usage
            .last_comment_at
            .map(|t| t.plus(self.comment_cooldown))
            .filter(|end| *end > now);
        QuotaReport {
            posts: PostQuota {
                used: usage.posts_today,
                limit: self.posts_per_day,
                resets_at: now.next_utc_midnight(),
            },
            medals: MedalQuota {
                used: usage.medals_in_window,
                limit: self.medals_per_window,
                window: self.medal_window,
                next_slot_at: usage
                    .oldest_medal_in_window
                    .map(|t| t.plus(self.medal_window)),
            },
            comments: CommentQuota {
                cooldown: self.comment_cooldown,
                next_allowed_at: cooldown_ends,
            },
        }
    }

    /// Whether `action` is allowed now; if not, how long until it is.
    pub fn check(
        &self,
        action: QuotaAction,
        usage: &QuotaUsage,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        let free_at = match action {
            QuotaAction::Post => {
                (usage.posts_today >= self.posts_per_day).then(|| now.next_utc_midnight())
            }
            QuotaAction::Medal => (usage.medals_in_window >= self.medals_per_window).then(|| {
                usage
                    .oldest_medal_in_window
                    .map_or(now.plus(self.medal_window), |t| t.plus(self.medal_window))
            }),
            QuotaAction::Comment => usage
                .last_comment_at
                .map(|t| t.plus(self.comment_cooldown))
                .filter(|end| *end > now),
            QuotaAction::Meme => (usage.memes_in_window >= self.memes_per_window).then(|| {
                usage
                    .oldest_meme_in_window
                    .map_or(now.plus(self.meme_window), |t| t.plus(self.meme_window))
            }),
            QuotaAction::Discussion => (usage.discussions_in_window >= self.discussions_per_window)
                .then(|| {
                    usage
                        .oldest_discussion_in_window
                        .map_or(now.plus(self.discussion_window), |t| {
                            t.plus(self.discussion_window)
                        })
                }),
            // Counted by the store under the voter's (or author's) lock,
            // with the vote or comment.
            QuotaAction::Vote | QuotaAction::DiscussionComment => None,
        };
        match free_at {
            None => Ok(()),
            Some(at) => Err(DomainError::RateLimited {
                retry_after: whole_seconds_at_least_one(now.until(at)),
            }),
        }
    }
}

/// `Retry-After` is in whole seconds; rounding down would invite a retry
/// that is refused again, and zero would invite a busy loop.
pub fn whole_seconds_at_least_one(d: Duration) -> Duration {
    let secs = d.as_millis().div_ceil(1000).max(1);
    Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn retry_after(r: Result<(), DomainError>) -> Option<u64> {
        match r {
            Ok(()) => None,
            Err(DomainError::RateLimited { retry_after }) => Some(retry_after.as_secs()),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn posts_are_limited_per_utc_day_until_midnight() {
        let limits = QuotaLimits::default();
        let now = at("2026-03-04T23:59:00Z");
        let mut usage = QuotaUsage {
            posts_today: 49,
            ..QuotaUsage::default()
        };
        assert_eq!(
            retry_after(limits.check(QuotaAction::Post, &usage, now)),
            None
        );
        usage.posts_today = 50;
        assert_eq!(
            retry_after(limits.check(QuotaAction::Post, &usage, now)),
            Some(60)
        );
        let report = limits.report(&usage, now);
        assert_eq!(report.posts.resets_at, at("2026-03-05T00:00:00Z"));
        assert_eq!((report.posts.used, report.posts.limit), (50, 50));
    }

    #[test]
    fn ten_memes_an_hour_slide_with_the_oldest_one() {
        let limits = QuotaLimits::default();
        let now = at("2026-03-04T12:00:00Z");
        let usage = QuotaUsage {
            memes_in_window: 10,
            oldest_meme_in_window: Some(at("2026-03-04T11:10:00Z")),
            ..QuotaUsage::default()
        };
        assert_eq!(
            retry_after(limits.check(QuotaAction::Meme, &usage, now)),
            Some(600)
        );
        let nine = QuotaUsage {
            memes_in_window: 9,
            ..usage
        };
        assert_eq!(
            retry_after(limits.check(QuotaAction::Meme, &nine, now)),
            None
        );
        assert_eq!(
            limits.windows(now).meme_window_start,
            at("2026-03-04T11:00:00Z")
        );
    }

    #[test]
    fn medals_slide_with_the_oldest_one_in_the_window() {
        let limits = QuotaLimits::default();
        let now = at("2026-03-04T12:00:30Z");
        let usage = QuotaUsage {
            medals_in_window: 10,
            oldest_medal_in_window: Some(at("2026-03-04T11:59:45Z")),
            ..QuotaUsage::default()
        };
        // The oldest medal leaves the window 60 s after it was given.
        assert_eq!(
            retry_after(limits.check(QuotaAction::Medal, &usage, now)),
            Some(15)
        );
        let nine = QuotaUsage {
            medals_in_window: 9,
            ..usage
        };
        assert_eq!(
            retry_after(limits.check(QuotaAction::Medal, &nine, now)),
            None
        );
        assert_eq!(
            limits.windows(now).medal_window_start,
            at("2026-03-04T11:59:30Z")
        );
    }

    #[test]
    fn comments_wait_out_the_cooldown_rounded_up() {
        let limits = QuotaLimits::default();
        let usage = QuotaUsage {
            last_comment_at: Some(at("2026-03-04T12:00:00Z")),
            ..QuotaUsage::default()
        };
        let soon = at("2026-03-04T12:00:09.500Z");
        assert_eq!(
            retry_after(limits.check(QuotaAction::Comment, &usage, soon)),
            Some(1)
        );
        let later = at("2026-03-04T12:00:10Z");
        assert_eq!(
            retry_after(limits.check(QuotaAction::Comment, &usage, later)),
            None
        );
        assert_eq!(limits.report(&usage, later).comments.next_allowed_at, None);
        assert_eq!(
            limits.report(&usage, soon).comments.next_allowed_at,
            Some(at("2026-03-04T12:00:10Z"))
        );
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        let limits = QuotaLimits {
            posts_per_day: 0,
            medals_per_window: 0,
            ..QuotaLimits::default()
        };
        let now = at("2026-03-04T12:00:00Z");
        let usage = QuotaUsage::default();
        assert!(retry_after(limits.check(QuotaAction::Post, &usage, now)).is_some());
        assert_eq!(
            retry_after(limits.check(QuotaAction::Medal, &usage, now)),
            Some(60)
        );
    }
}
