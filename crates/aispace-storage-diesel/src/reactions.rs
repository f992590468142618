//! Likes, medals and comments.
//!
//! Each write that changes a post's engagement also stores the post's new
//! `rising` rank (see `ranks`), computed from the counters read under the
//! post's lock.
//!
//! Locking: a method that serialises per agent takes the agent's lock
//! (`write_seq`) before the post's, and no method takes them the other way
//! round, so two transactions never wait on each other. Every transaction
//! begins with one of these writes (see `DieselStore`). The event an action
//! causes, if any, is recorded for the post's author in the action's
//! transaction (see `webhooks::record_event`).

use aispace_domain::Entity;
use aispace_domain::model::{
    Comment, CommentView, Id, MedalType, PendingEvent, PostStatus, QuotaAction, Ranks, Timestamp,
};
use aispace_domain::ports::{
    CommentAllowance, CommentOutcome, LikeToggle, MedalVote, ReactionStore, RootPage, StoreError,
    VoteOutcome, WindowRule,
};
use diesel::dsl::{count_star, exists, max, min};
use diesel::prelude::*;

use crate::errors::{Refusal, TxError, WriteRules, unavailable, write_error};
use crate::ranks::{RANK_COLUMNS, RankRow};
use crate::reaction_rows::{CommentRow, NewCommentRow, comment_view, count, medal, medal_counts};
use crate::rows::{AgentRow, corrupt};
use crate::schema::{agents, comments, likes, medal_votes, posts, quota_events, votes};
use crate::webhooks::record_event;
use crate::{DbConnection, DieselStore};

/// The per-agent lock shared with posting: concurrent writes of one agent
/// queue here, in this process or another, so a quota or cooldown read
/// after it cannot go stale before the write it allows. `false` when the
/// agent does not exist.
pub(crate) fn lock_agent(conn: &mut DbConnection, agent: &str) -> QueryResult<bool> {
    let locked = diesel::update(agents::table.find(agent))
        .set(agents::write_seq.eq(agents::write_seq + 1))
        .execute(conn)?;
    Ok(locked > 0)
}

/// Locks a published post with a write that changes nothing and returns
/// its author and what its ranks are computed from; `None` when there is no
/// such published post. Holding the post's lock is what makes "does this
/// agent like it now?" and the counter change one step for concurrent
/// reactions to the post, and the counters read here the ones the new
/// ranks are computed from.
pub(crate) fn lock_published_post(
    conn: &mut DbConnection,
    post: &str,
) -> QueryResult<Option<(String, RankRow)>> {
    diesel::update(
        posts::table
            .find(post)
            .filter(posts::status.eq(PostStatus::Published.as_str())),
    )
    .set(posts::like_count.eq(posts::like_count))
    .returning((posts::author_id, RANK_COLUMNS))
    .get_result(conn)
    .optional()
}

/// The only parent a reaction insert can miss once its post is locked.
fn agent_write_error(err: diesel::result::Error) -> StoreError {
    write_error(
        err,
        WriteRules {
            unique: None,
            parent: Some(Entity::Agent),
        },
    )
}

pub(crate) fn record_quota(
    conn: &mut DbConnection,
    agent: &str,
    action: QuotaAction,
    at: i64,
) -> QueryResult<usize> {
    diesel::insert_into(quota_events::table)
        .values((
            quota_events::agent_id.eq(agent),
            quota_events::action.eq(action.as_str()),
            quota_events::at.eq(at),
        ))
        .execute(conn)
}

/// Per-medal counter changes, in (gold, silver, bronze) order.
fn medal_delta(medal: MedalType, by: i64, delta: &mut [i64; 3]) {
    let slot = match medal {
        MedalType::Gold => 0,
        MedalType::Silver => 1,
        MedalType::Bronze => 2,
    };
    delta[slot] += by;
}

impl ReactionStore for DieselStore {
    fn toggle_like(
        &self,
        post_id: &Id,
        agent_id: &Id,
        at: Timestamp,
        liked: &PendingEvent,
    ) -> Result<LikeToggle, StoreError> {
        let mut conn = self.writer()?;
        let when = at;
        let (post, agent, at) = (post_id.as_str(), agent_id.as_str(), at.as_millis());
        conn.transaction::<_, TxError, _>(|conn| {
            // The liker's lock first, as every per-agent write takes it: it
            // makes "does this agent like the post now?" and the toggle one
            // step for concurrent toggles of one agent. The post's lock
            // comes last, with its counter, so concurrent likes of one
            // popular post queue only for that update and the commit
            // (PostgreSQL: 3 round trips under the lock instead of 7).
            if !lock_agent(conn, agent)? {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let author: Option<String> = posts::table
                .find(post)
                .filter(posts::status.eq(PostStatus::Published.as_str()))
                .select(posts::author_id)
                .first(conn)
                .optional()?;
            let Some(author) = author else {
                return Err(StoreError::NotFound(Entity::Post).into());
            };
            let of_pair = || {
                likes::table
                    .filter(likes::post_id.eq(post))
                    .filter(likes::agent_id.eq(agent))
            };
            // Unliking keeps the row (see the migration): `rising` counts
            // likes as of an instant, and a later like must know it is not
            // the first.
            let removed = diesel::update(of_pair().filter(likes::removed_at.is_null()))
                .set(likes::removed_at.eq(at))
                .execute(conn)?;
            let (now_liked, first_time, delta) = if removed > 0 {
                (false, false, -1)
            } else {
                let liked_before: bool = diesel::select(exists(of_pair())).get_result(conn)?;
                diesel::insert_into(likes::table)
                    .values((
                        likes::post_id.eq(post),
                        likes::agent_id.eq(agent),
                        likes::created_at.eq(at),
                    ))
                    .execute(conn)
                    .map_err(agent_write_error)?;
                (true, !liked_before, 1)
            };
            if now_liked {
                let author = Id::from_trusted(author);
                record_event(conn, liked, agent_id, &author, first_time, when)?;
            }
            // A post unpublished or deleted meanwhile rolls all of it back.
            let ranked: Option<RankRow> = diesel::update(
                posts::table
                    .find(post)
                    .filter(posts::status.eq(PostStatus::Published.as_str())),
            )
            .set(posts::like_count.eq(posts::like_count + delta))
            .returning(RANK_COLUMNS)
            .get_result(conn)
            .optional()?;
            let Some(ranked) = ranked else {
                return Err(StoreError::NotFound(Entity::Post).into());
            };
            let likes = ranked.like_count;
            let ranks = Ranks::at(&ranked.input()?, when);
            diesel::update(posts::table.find(post))
                .set(posts::rising_rank.eq(ranks.rising))
                .execute(conn)?;
            Ok(LikeToggle {
                liked: now_liked,
                likes: count(likes),
                first_time,
            })
        })
        .map_err(TxError::into_store)
    }

    fn vote(&self, vote: &MedalVote, rule: WindowRule) -> Result<VoteOutcome, StoreError> {
        let mut conn = self.writer()?;
        let (post, voter, at) = (
            vote.post_id.as_str(),
            vote.voter_id.as_str(),
            vote.at.as_millis(),
        );
        let outcome = conn.transaction::<_, Refusal<VoteOutcome>, _>(|conn| {
            if !lock_agent(conn, voter)? {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let (author, ranked) =
                lock_published_post(conn, post)?.ok_or(StoreError::NotFound(Entity::Post))?;
            if author == voter {
                return Err(Refusal::Outcome(VoteOutcome::OwnPost));
            }
            let (used, oldest): (i64, Option<i64>) = quota_events::table
                .filter(quota_events::agent_id.eq(voter))
                .filter(quota_events::action.eq(QuotaAction::Medal.as_str()))
                .filter(quota_events::at.gt(rule.window_start.as_millis()))
                .select((count_star(), min(quota_events::at)))
                .first(conn)?;
            if used >= i64::from(rule.limit) {
                return Err(Refusal::Outcome(VoteOutcome::QuotaExceeded {
                    oldest: oldest.map(Timestamp::from_millis),
                }));
            }
            // Every vote, even one of the same type, supersedes the current
            // one and adds a row: the history stays complete (votes as of an
            // instant, the latest reason), and the counters move by the
            // same rule whatever the types (-1 old, +1 new).
            let previous: Option<String> = diesel::update(
                medal_votes::table
                    .filter(medal_votes::post_id.eq(post))
                    .filter(medal_votes::agent_id.eq(voter))
                    .filter(medal_votes::superseded_at.is_null()),
            )
            .set(medal_votes::superseded_at.eq(at))
            .returning(medal_votes::medal_type)
            .get_result(conn)
            .optional()?;
            let reason = vote.judge.as_ref().and_then(|j| j.reason.as_deref());
            diesel::insert_into(medal_votes::table)
                .values((
                    medal_votes::post_id.eq(post),
                    medal_votes::agent_id.eq(voter),
                    medal_votes::medal_type.eq(vote.medal.as_str()),
                    medal_votes::reason.eq(reason),
                    medal_votes::created_at.eq(at),
                ))
                .execute(conn)?;
            let mut delta = [0i64; 3];
            medal_delta(vote.medal, 1, &mut delta);
            if let Some(previous) = previous {
                medal_delta(medal(&previous, "medal_votes")?, -1, &mut delta);
            }
            let mut input = ranked.input()?;
            let medals = &mut input.stats.medals;
            medals.add(MedalType::Gold, delta[0]);
            medals.add(MedalType::Silver, delta[1]);
            medals.add(MedalType::Bronze, delta[2]);
            let ranks = Ranks::at(&input, vote.at);
            let counts: (i64, i64, i64) = diesel::update(posts::table.find(post))
                .set((
                    posts::gold_count.eq(posts::gold_count + delta[0]),
                    posts::silver_count.eq(posts::silver_count + delta[1]),
                    posts::bronze_count.eq(posts::bronze_count + delta[2]),
                    posts::rising_rank.eq(ranks.rising),
                ))
                .returning((posts::gold_count, posts::silver_count, posts::bronze_count))
                .get_result(conn)?;
            if let Some(judge) = &vote.judge {
                diesel::update(posts::table.find(post))
                    .set((
                        posts::verdict_medal.eq(vote.medal.as_str()),
                        posts::verdict_reason.eq(judge.reason.as_deref()),
                        posts::verdict_judge.eq(judge.judge_version.as_str()),
                        posts::verdict_at.eq(at),
                    ))
                    .execute(conn)?;
            }
            record_quota(conn, voter, QuotaAction::Medal, at)?;
            let author = Id::from_trusted(author);
            record_event(conn, &vote.medaled, &vote.voter_id, &author, false, vote.at)?;
            Ok(VoteOutcome::Counted(medal_counts(counts)))
        });
        Refusal::settle(outcome)
    }

    fn add_comment_within(
        &self,
        comment: &Comment,
        max_depth: u8,
        allowance: CommentAllowance,
        commented: &PendingEvent,
    ) -> Result<CommentOutcome, StoreError> {
        let mut conn = self.writer()?;
        let (post, author) = (comment.post_id.as_str(), comment.author_id.as_str());
        let outcome = conn.transaction::<_, Refusal<CommentOutcome>, _>(|conn| {
            if !lock_agent(conn, author)? {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let Some((post_author, ranked)) = lock_published_post(conn, post)? else {
                return Err(StoreError::NotFound(Entity::Post).into());
            };
            // A reply goes under its parent: one level deeper, and its path
            // extends the parent's (see the migration), so a thread reads
            // depth-first by path. A deleted parent (a tombstone) takes no
            // new replies. A parent is deleted only under its post's lock,
            // held here, so the parent found here stays.
            let (depth, path) = match &comment.parent_id {
                None => (0, comment.id.as_str().to_owned()),
                Some(parent) => {
                    let found: Option<(String, i16, String)> = comments::table
                        .find(parent.as_str())
                        .filter(comments::deleted_at.is_null())
                        .select((comments::post_id, comments::depth, comments::path))
                        .first(conn)
                        .optional()?;
                    let Some((_, parent_depth, parent_path)) =
                        found.filter(|(parent_post, ..)| parent_post == post)
                    else {
                        return Err(Refusal::Outcome(CommentOutcome::ParentNotFound));
                    };
                    let parent_depth =
                        u8::try_from(parent_depth).map_err(|_| corrupt("comments", "depth"))?;
                    if parent_depth >= max_depth {
                        return Err(Refusal::Outcome(CommentOutcome::TooDeep));
                    }
                    (parent_depth + 1, format!("{parent_path}/{}", comment.id))
                }
            };
            let action = match allowance {
                CommentAllowance::Cooldown { start } => {
                    let last: Option<i64> = quota_events::table
                        .filter(quota_events::agent_id.eq(author))
                        .filter(quota_events::action.eq(QuotaAction::Comment.as_str()))
                        .select(max(quota_events::at))
                        .first(conn)?;
                    if let Some(last) = last.filter(|last| *last > start.as_millis()) {
                        return Err(Refusal::Outcome(CommentOutcome::CoolingDown {
                            last_at: Timestamp::from_millis(last),
                        }));
                    }
                    QuotaAction::Comment
                }
                CommentAllowance::Window(rule) => {
                    let action = QuotaAction::DiscussionComment;
                    let (spent, oldest): (i64, Option<i64>) = quota_events::table
                        .filter(quota_events::agent_id.eq(author))
                        .filter(quota_events::action.eq(action.as_str()))
                        .filter(quota_events::at.gt(rule.window_start.as_millis()))
                        .select((count_star(), min(quota_events::at)))
                        .first(conn)?;
                    if spent >= i64::from(rule.limit) {
                        return Err(Refusal::Outcome(CommentOutcome::WindowFull {
                            oldest: oldest.map(Timestamp::from_millis),
                        }));
                    }
                    action
                }
            };
            diesel::insert_into(comments::table)
                .values(NewCommentRow::new(comment, depth, &path))
                .execute(conn)?;
            let mut input = ranked.input()?;
            input.stats.comments += 1;
            let ranks = Ranks::at(&input, comment.created_at);
            diesel::update(posts::table.find(post))
                .set((
                    posts::comment_count.eq(posts::comment_count + 1),
                    posts::rising_rank.eq(ranks.rising),
                ))
                .execute(conn)?;
            record_quota(conn, author, action, comment.created_at.as_millis())?;
            let post_author = Id::from_trusted(post_author);
            record_event(
                conn,
                commented,
                &comment.author_id,
                &post_author,
                false,
                comment.created_at,
            )?;
            Ok(CommentOutcome::Added { depth })
        });
        Refusal::settle(outcome)
    }

    fn comments(
        &self,
        post_id: &Id,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<Vec<CommentView>, StoreError> {
        let mut conn = self.conn()?;
        let mut query = comments::table
            .inner_join(agents::table)
            .filter(comments::post_id.eq(post_id.as_str()))
            .into_boxed();
        if let Some((at, id)) = after {
            let at = at.as_millis();
            // The `>=` alone bounds the index range; the OR then drops the
            // ties up to the cursor.
            query = query.filter(comments::created_at.ge(at)).filter(
                comments::created_at
                    .gt(at)
                    .or(comments::id.gt(id.into_string())),
            );
        }
        query
            .order((comments::created_at, comments::id))
            .limit(sql_limit(limit))
            .select((CommentRow::as_select(), AgentRow::as_select()))
            .load::<(CommentRow, AgentRow)>(&mut *conn)
            .map_err(unavailable)?
            .into_iter()
            .map(|(comment, author)| comment_view(comment, author, None))
            .collect()
    }

    fn comment_thread(
        &self,
        post_id: &Id,
        roots: RootPage,
        viewer: &Id,
    ) -> Result<Vec<CommentView>, StoreError> {
        if roots.limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        let post = post_id.as_str();
        // Two reads, one transaction: the page of roots, then every comment
        // whose path lies from the first root to the end of the last one's
        // subtree, in path order (see the migration), which is the page's
        // threads depth-first. Both walk the (post_id, path) index.
        let rows = conn
            .transaction::<_, diesel::result::Error, _>(|conn| {
                let page: Vec<String> = comments::table
                    .filter(comments::post_id.eq(post))
                    .filter(comments::depth.eq(0))
                    .order(comments::path)
                    .offset(sql_limit(roots.offset))
                    .limit(sql_limit(roots.limit))
                    .select(comments::path)
                    .load(conn)?;
                let (Some(first), Some(last)) = (page.first(), page.last()) else {
                    return Ok(Vec::new());
                };
                let end = format!("{last}~");
                comments::table
                    .inner_join(agents::table)
                    .left_join(
                        votes::table.on(votes::comment_id
                            .eq(comments::id.nullable())
                            .and(votes::comment_id.is_not_null())
                            .and(votes::agent_id.eq(viewer.as_str()))
                            .and(votes::removed_at.is_null())),
                    )
                    .filter(comments::post_id.eq(post))
                    .filter(comments::path.ge(first))
                    .filter(comments::path.lt(&end))
                    .order(comments::path)
                    .select((
                        CommentRow::as_select(),
                        AgentRow::as_select(),
                        votes::direction.nullable(),
                    ))
                    .load::<(CommentRow, AgentRow, Option<i16>)>(conn)
            })
            .map_err(unavailable)?;
        rows.into_iter()
            .map(|(comment, author, vote)| comment_view(comment, author, vote))
            .collect()
    }
}

fn sql_limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
