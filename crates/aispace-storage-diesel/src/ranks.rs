//! The stored ranks of a post (`hot_rank`, `rising_rank`): computed here
//! with the domain's formulas ([`Ranks::at`]) from the counters on the post
//! row, and written by every write that changes those counters, in its own
//! transaction, so the ranked feeds read them off an index.

use aispace_domain::model::{
    MedalCounts, PostStats, RankInput, Ranks, Score, Timestamp, VoteDirection,
};
use aispace_domain::ports::StoreError;
use diesel::prelude::*;
use diesel::sql_types::{Array, Double, Text};

use crate::DbConnection;
use crate::reaction_rows::count;
use crate::rows::corrupt;
use crate::schema::posts;

/// What a post's ranks are computed from, as stored. Read with the post's
/// lock held (by the statement that takes it), so the counters cannot move
/// before the write that stores them with the new ranks. Loaded from
/// [`RANK_COLUMNS`] (a RETURNING clause through the MultiConnection takes
/// columns, not a `Selectable`).
#[derive(Debug, Clone, Queryable)]
pub(crate) struct RankRow {
    pub published_at: Option<i64>,
    pub up_count: i64,
    pub down_count: i64,
    pub like_count: i64,
    pub comment_count: i64,
    pub gold_count: i64,
    pub silver_count: i64,
    pub bronze_count: i64,
}

pub(crate) const RANK_COLUMNS: (
    posts::published_at,
    posts::up_count,
    posts::down_count,
    posts::like_count,
    posts::comment_count,
    posts::gold_count,
    posts::silver_count,
    posts::bronze_count,
) = (
    posts::published_at,
    posts::up_count,
    posts::down_count,
    posts::like_count,
    posts::comment_count,
    posts::gold_count,
    posts::silver_count,
    posts::bronze_count,
);

impl RankRow {
    /// The inputs of a published post (`published_at` is set when a post
    /// is published, and never cleared).
    pub(crate) fn input(&self) -> Result<RankInput, StoreError> {
        Ok(RankInput {
            published_at: Timestamp::from_millis(
                self.published_at
                    .ok_or_else(|| corrupt("posts", "published_at"))?,
            ),
            score: Score {
                up: count(self.up_count),
                down: count(self.down_count),
            },
            stats: PostStats {
                likes: count(self.like_count),
                comments: count(self.comment_count),
                medals: MedalCounts {
                    gold: count(self.gold_count),
                    silver: count(self.silver_count),
                    bronze: count(self.bronze_count),
                },
            },
        })
    }
}

/// The ranks a post goes live with: nobody has reacted yet, as of its
/// publication (a post published by the scheduler ranks like one posted
/// then, until the next refresh).
pub(crate) fn initial(published_at: Timestamp) -> Ranks {
    Ranks::at(
        &RankInput {
            published_at,
            score: Score::default(),
            stats: PostStats::default(),
        },
        published_at,
    )
}

/// Up and down counter changes when a vote goes from `from` to `to`.
pub(crate) fn vote_delta(from: Option<VoteDirection>, to: Option<VoteDirection>) -> (i64, i64) {
    let one = |d: Option<VoteDirection>| match d {
        Some(VoteDirection::Up) => (1, 0),
        Some(VoteDirection::Down) => (0, 1),
        None => (0, 0),
    };
    let (from, to) = (one(from), one(to));
    (to.0 - from.0, to.1 - from.1)
}

/// Writes the ranks a refresh computed, in the caller's transaction: one
/// statement on PostgreSQL (a round trip per post made a walk over a
/// million posts take a minute and a half), a statement per post on SQLite,
/// where a statement is a function call.
pub(crate) fn store_ranks(conn: &mut DbConnection, ranks: &[(&str, Ranks)]) -> QueryResult<()> {
    if ranks.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Pg(c) => {
            let ids: Vec<&str> = ranks.iter().map(|(id, _)| *id).collect();
            let hot: Vec<f64> = ranks.iter().map(|(_, r)| r.hot).collect();
            let rising: Vec<f64> = ranks.iter().map(|(_, r)| r.rising).collect();
            diesel::sql_query(
                "UPDATE posts SET hot_rank = r.hot, rising_rank = r.rising \
                 FROM unnest($1, $2, $3) AS r(id, hot, rising) WHERE posts.id = r.id",
            )
            .bind::<Array<Text>, _>(ids)
            .bind::<Array<Double>, _>(hot)
            .bind::<Array<Double>, _>(rising)
            .execute(c)?;
        }
        DbConnection::Sqlite(c) => {
            for (id, r) in ranks {
                diesel::update(posts::table.find(id))
                    .set((posts::hot_rank.eq(r.hot), posts::rising_rank.eq(r.rising)))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// After a whole refresh walk, on PostgreSQL: every post the walk rewrote
/// left its old row version behind, in every index of `posts`, and in the
/// rank indexes those versions sit above the live ones (ranks only decay
/// between writes), so until they are vacuumed each ranked page steps over
/// them. Measured at a million posts with autovacuum off: the rising page
/// fell from hundreds of pages a second to 54, p99 1.8 s. A walk rewrites a
/// week of posts, the bulk of what autovacuum would wait for, so it vacuums
/// the table itself (concurrently with reads and writes; a database user
/// that does not own the table gets a warning, not an error). SQLite
/// rewrites rows in place: nothing to do.
pub(crate) fn vacuum_after_walk(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => diesel::sql_query("VACUUM posts").execute(c).map(drop),
        DbConnection::Sqlite(_) => Ok(()),
    }
}
