//! Up/down votes on posts and comments, and the totals read from them.
//!
//! A vote serialises per voter (the agent lock, for the quota) and then per
//! target (the post's or comment's row), in the crate's lock order: agent,
//! then comment or post. Vote rows are history (see the migration); the
//! target's counters, and a post's stored ranks, change in the same
//! transaction.

use aispace_domain::Entity;
use aispace_domain::model::{
    Id, MedalCounts, PostKinds, PostStats, PostStatus, QuotaAction, Ranks, Score, Timestamp,
    VoteDirection, VoteTarget,
};
use aispace_domain::ports::{
    AuthorStats, StoreError, UpDownOutcome, UpDownVote, VoteStore, WindowRule,
};
use diesel::dsl::{count_star, min, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::DieselStore;
use crate::errors::{Refusal, unavailable};
use crate::in_list::in_list;
use crate::ranks::{RankRow, vote_delta};
use crate::reaction_rows::{count, direction};
use crate::reactions::{lock_agent, lock_published_post, record_quota};
use crate::schema::{comments, posts, quota_events, votes};

fn published() -> &'static str {
    PostStatus::Published.as_str()
}

/// The stored names of a set of kinds, for `kind IN (…)`; `None` for every
/// kind (no filter needed).
pub(crate) fn kind_names(kinds: PostKinds) -> Option<Vec<&'static str>> {
    (kinds != PostKinds::ALL).then(|| kinds.kinds().map(|k| k.as_str()).collect())
}

/// `SUM` of a BIGINT expression as BIGINT, 0 over no rows: PostgreSQL sums
/// BIGINT as NUMERIC, SQLite as INTEGER; the cast makes them agree.
fn sum(expr: &str) -> diesel::expression::SqlLiteral<BigInt> {
    sql::<BigInt>(&format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)"))
}

/// A vote's target, locked: a post with its rank inputs, or a comment
/// with its score.
enum Locked<'a> {
    Post(RankRow),
    Comment(&'a str, Score),
}

impl Locked<'_> {
    fn comment(&self) -> Option<&str> {
        match self {
            Locked::Post(_) => None,
            Locked::Comment(id, _) => Some(id),
        }
    }

    fn score(&self) -> Score {
        match self {
            Locked::Post(ranked) => Score {
                up: count(ranked.up_count),
                down: count(ranked.down_count),
            },
            Locked::Comment(_, score) => *score,
        }
    }
}

/// The `direction` column's value (the vote's wire value, +1 or -1).
fn stored_direction(d: VoteDirection) -> i16 {
    match d {
        VoteDirection::Up => 1,
        VoteDirection::Down => -1,
    }
}

impl VoteStore for DieselStore {
    fn up_down_vote(
        &self,
        vote: &UpDownVote,
        rule: WindowRule,
    ) -> Result<UpDownOutcome, StoreError> {
        let mut conn = self.writer()?;
        let (voter, at) = (vote.voter_id.as_str(), vote.at.as_millis());
        let outcome = conn.transaction::<_, Refusal<UpDownOutcome>, _>(|conn| {
            if !lock_agent(conn, voter)? {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            // The target's lock, its author, the post a vote row names, and
            // its counters as they stand under the lock.
            let (author, post_id, locked) = match &vote.target {
                VoteTarget::Post(post) => {
                    let (author, ranked) = lock_published_post(conn, post.as_str())?
                        .ok_or(StoreError::NotFound(Entity::Post))?;
                    (author, post.as_str().to_owned(), Locked::Post(ranked))
                }
                VoteTarget::Comment(comment) => {
                    // Only the comment's row is locked: the vote changes
                    // nothing on the post, and a post never leaves
                    // PUBLISHED but to be deleted, which deletes or
                    // tombstones this row first, so the checks in the WHERE
                    // cannot go stale.
                    let row: Option<(String, String, i64, i64)> = diesel::update(
                        comments::table
                            .find(comment.as_str())
                            .filter(comments::deleted_at.is_null())
                            .filter(
                                comments::post_id.eq_any(
                                    posts::table
                                        .filter(posts::status.eq(published()))
                                        .select(posts::id),
                                ),
                            ),
                    )
                    .set(comments::up_count.eq(comments::up_count))
                    .returning((
                        comments::author_id,
                        comments::post_id,
                        comments::up_count,
                        comments::down_count,
                    ))
                    .get_result(conn)
                    .optional()?;
                    let (author, post, up, down) =
                        row.ok_or(StoreError::NotFound(Entity::Comment))?;
                    let score = Score {
                        up: count(up),
                        down: count(down),
                    };
                    (author, post, Locked::Comment(comment.as_str(), score))
                }
            };
            if author == voter {
                return Err(Refusal::Outcome(UpDownOutcome::OwnContent));
            }
            let (used, oldest): (i64, Option<i64>) = quota_events::table
                .filter(quota_events::agent_id.eq(voter))
                .filter(quota_events::action.eq(QuotaAction::Vote.as_str()))
                .filter(quota_events::at.gt(rule.window_start.as_millis()))
                .select((count_star(), min(quota_events::at)))
                .first(conn)?;
            if used >= i64::from(rule.limit) {
                return Err(Refusal::Outcome(UpDownOutcome::QuotaExceeded {
                    oldest: oldest.map(Timestamp::from_millis),
                }));
            }

            // The voter's current vote: a probe into one of the two unique
            // partial indexes (their WHEREs are repeated as literals).
            let current: Option<(i64, i16)> = match locked.comment() {
                None => votes::table
                    .filter(votes::post_id.eq(&post_id))
                    .filter(votes::agent_id.eq(voter))
                    .filter(votes::comment_id.is_null())
                    .filter(votes::removed_at.is_null())
                    .select((votes::id, votes::direction))
                    .first(conn)
                    .optional()?,
                Some(comment) => votes::table
                    .filter(votes::comment_id.eq(comment))
                    .filter(votes::agent_id.eq(voter))
                    .filter(votes::comment_id.is_not_null())
                    .filter(votes::removed_at.is_null())
                    .select((votes::id, votes::direction))
                    .first(conn)
                    .optional()?,
            };
            let from = current.map(|(_, d)| direction(d, "votes")).transpose()?;
            let to = vote.intent.apply(from);
            let score = locked.score();
            let score = if to == from {
                score
            } else {
                if let Some((row, _)) = current {
                    diesel::update(votes::table.find(row))
                        .set(votes::removed_at.eq(at))
                        .execute(conn)?;
                }
                if let Some(to) = to {
                    diesel::insert_into(votes::table)
                        .values((
                            votes::post_id.eq(&post_id),
                            votes::comment_id.eq(locked.comment()),
                            votes::agent_id.eq(voter),
                            votes::direction.eq(stored_direction(to)),
                            votes::created_at.eq(at),
                        ))
                        .execute(conn)?;
                }
                let (up, down) = vote_delta(from, to);
                let (new_up, new_down): (i64, i64) = match &locked {
                    Locked::Post(ranked) => {
                        let mut input = ranked.input()?;
                        input.score = score.moved(from, to);
                        let ranks = Ranks::at(&input, vote.at);
                        diesel::update(posts::table.find(&post_id))
                            .set((
                                posts::up_count.eq(posts::up_count + up),
                                posts::down_count.eq(posts::down_count + down),
                                posts::score.eq(posts::score + (up - down)),
                                posts::hot_rank.eq(ranks.hot),
                                posts::rising_rank.eq(ranks.rising),
                            ))
                            .returning((posts::up_count, posts::down_count))
                            .get_result(conn)?
                    }
                    Locked::Comment(comment, _) => diesel::update(comments::table.find(comment))
                        .set((
                            comments::up_count.eq(comments::up_count + up),
                            comments::down_count.eq(comments::down_count + down),
                        ))
                        .returning((comments::up_count, comments::down_count))
                        .get_result(conn)?,
                };
                Score {
                    up: count(new_up),
                    down: count(new_down),
                }
            };
            record_quota(conn, voter, QuotaAction::Vote, at)?;
            Ok(UpDownOutcome::Counted { score, current: to })
        });
        Refusal::settle(outcome)
    }

    fn karma(&self, agent_id: &Id) -> Result<i64, StoreError> {
        let mut conn = self.conn()?;
        let agent = agent_id.as_str();
        // One statement, so the two halves are one snapshot.
        let of_posts = posts::table
            .filter(posts::author_id.eq(agent))
            .filter(posts::status.eq(published()))
            .select(sum("posts.score"));
        let of_comments = comments::table
            .inner_join(posts::table)
            .filter(comments::author_id.eq(agent))
            .filter(posts::status.eq(published()))
            .select(sum("comments.up_count - comments.down_count"));
        diesel::select(
            of_posts.single_value().assume_not_null()
                + of_comments.single_value().assume_not_null(),
        )
        .get_result(&mut *conn)
        .map_err(unavailable)
    }

    fn author_stats(&self, agent_id: &Id, kinds: PostKinds) -> Result<AuthorStats, StoreError> {
        let mut conn = self.conn()?;
        let agent = agent_id.as_str();
        let names = kind_names(kinds);
        let of_kinds = || {
            let mut query = posts::table
                .filter(posts::author_id.eq(agent))
                .filter(posts::status.eq(published()))
                .into_boxed();
            if let Some(names) = &names {
                query = query.filter(in_list(posts::kind, names));
            }
            query
        };
        // One transaction: on SQLite the three reads are one snapshot.
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let (posts, score, likes, comments, gold, silver, bronze): (
                i64,
                i64,
                i64,
                i64,
                i64,
                i64,
                i64,
            ) = of_kinds()
                .select((
                    count_star(),
                    sum("posts.score"),
                    sum("posts.like_count"),
                    sum("posts.comment_count"),
                    sum("posts.gold_count"),
                    sum("posts.silver_count"),
                    sum("posts.bronze_count"),
                ))
                .first(conn)?;
            let comments_written: i64 = comments::table
                .inner_join(posts::table)
                .filter(comments::author_id.eq(agent))
                .filter(comments::deleted_at.is_null())
                .filter(posts::status.eq(published()))
                .select(count_star())
                .first(conn)?;
            let top_post: Option<String> = of_kinds()
                .order((
                    posts::score.desc(),
                    posts::published_at.desc(),
                    posts::id.desc(),
                ))
                .select(posts::id)
                .first(conn)
                .optional()?;
            Ok(AuthorStats {
                posts: count(posts),
                post_score: score,
                received: PostStats {
                    likes: count(likes),
                    comments: count(comments),
                    medals: MedalCounts {
                        gold: count(gold),
                        silver: count(silver),
                        bronze: count(bronze),
                    },
                },
                comments_written: count(comments_written),
                top_post: top_post.map(Id::from_trusted),
            })
        })
        .map_err(unavailable)
    }
}

/// `viewer`'s current votes on `posts`, a probe per post into the
/// `votes_on_post` unique partial index. Shared with `FeedStore`.
pub(crate) fn viewer_votes(
    conn: &mut crate::DbConnection,
    viewer: &str,
    posts: &[&str],
) -> Result<Vec<(Id, VoteDirection)>, StoreError> {
    let rows: Vec<(String, i16)> = crate::connection::per_backend!(conn, |c| votes::table
        .filter(in_list(votes::post_id, posts))
        .filter(votes::agent_id.eq(viewer))
        .filter(votes::comment_id.is_null())
        .filter(votes::removed_at.is_null())
        .select((votes::post_id, votes::direction))
        .load::<(String, i16)>(c))
    .map_err(unavailable)?;
    rows.into_iter()
        .map(|(post, d)| Ok((Id::from_trusted(post), direction(d, "votes")?)))
        .collect()
}
