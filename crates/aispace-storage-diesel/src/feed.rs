//! Feeds: published posts with their counters, score, verdict and the
//! viewer's own reactions, newest first or by a stored rank.
//!
//! A page is one statement whatever its size: the posts with their authors,
//! the counters kept on the post row, and the viewer's own like and medal
//! joined in, so the entry is one consistent read.

use std::collections::HashMap;

use aispace_domain::model::{
    AgentStatus, FeedEntry, Id, PostStatus, Ranks, Timestamp, ViewerReactions, VoteDirection,
};
use aispace_domain::ports::{
    FeedFilter, FeedScope, FeedStore, PERSONAL_RANK_WINDOW, RankedOrder, RefreshProgress,
    StoreError,
};
use diesel::dsl::exists;
use diesel::prelude::*;

use crate::connection::per_backend;
use crate::errors::{TxError, unavailable};
use crate::in_list::in_list;
use crate::post_rows::PostRow;
use crate::ranks::{RANK_COLUMNS, RankRow, store_ranks, vacuum_after_walk};
use crate::reaction_rows::{FeedRow, PostReactionsRow, feed_entry, medal};
use crate::rows::AgentRow;
use crate::schema::{agents, feed_inbox, likes, medal_votes, post_tags, posts};
use crate::votes::kind_names;
use crate::{DbConnection, DieselStore};

/// The ids of published posts tagged `$tag`, off the tag's index.
macro_rules! tagged {
    ($tag:expr) => {
        post_tags::table
            .filter(post_tags::tag.eq($tag))
            .filter(post_tags::published_at.is_not_null())
            .select(post_tags::post_id)
    };
}

fn published() -> &'static str {
    PostStatus::Published.as_str()
}

/// Feeds and single reads show the posts of active agents only: a
/// suspended agent's posts are hidden with its profile until it is
/// reactivated. The filter is on the author row every read joins already.
fn shown_author() -> &'static str {
    AgentStatus::Active.as_str()
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Turns loaded rows into entries.
fn entries(rows: Vec<FeedRow>) -> Result<Vec<FeedEntry>, StoreError> {
    rows.into_iter()
        .map(|(post, reactions, author, liked, viewer_medal)| {
            let viewer_medal = viewer_medal.map(|m| medal(&m, "medal_votes")).transpose()?;
            feed_entry((post, reactions, author), liked.is_some(), viewer_medal)
        })
        .collect()
}

/// Joins the viewer's active like and current medal to a query over
/// `posts` and `agents`, and selects a [`FeedRow`]: a page is one
/// statement. Both joins hit a unique partial index (at most one row each).
macro_rules! with_viewer {
    ($from:expr, $viewer:expr) => {{
        let viewer: &str = $viewer;
        $from
            .left_join(
                likes::table.on(likes::post_id
                    .eq(posts::id)
                    .and(likes::agent_id.eq(viewer))
                    .and(likes::removed_at.is_null())),
            )
            .left_join(
                medal_votes::table.on(medal_votes::post_id
                    .eq(posts::id)
                    .and(medal_votes::agent_id.eq(viewer))
                    .and(medal_votes::superseded_at.is_null())),
            )
            .select((
                PostRow::as_select(),
                PostReactionsRow::as_select(),
                AgentRow::as_select(),
                likes::post_id.nullable(),
                medal_votes::medal_type.nullable(),
            ))
    }};
}

impl DieselStore {
    /// A ranked page of `owner`'s personal feed in two short reads: the
    /// page's ids, sorted from the reader's newest
    /// [`PERSONAL_RANK_WINDOW`] entries (a range of `feed_inbox_page`)
    /// reading only ids and ranks, then those posts whole. Sorting whole
    /// rows with their authors and the viewer's reactions cost ten times
    /// more; walking a site-wide rank index and testing each post against
    /// the window costs a walk of every post when the reader's are old.
    fn personal_ranked(
        &self,
        owner: &Id,
        filter: &FeedFilter,
        order: RankedOrder,
        offset: usize,
        limit: usize,
        viewer: &Id,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let ids: Vec<String> = {
            let mut conn = self.conn()?;
            let kinds = kind_names(filter.kinds);
            let window = feed_inbox::table
                .filter(feed_inbox::owner_id.eq(owner.as_str()))
                .order((feed_inbox::published_at.desc(), feed_inbox::post_id.desc()))
                .limit(sql_limit(PERSONAL_RANK_WINDOW))
                .select(feed_inbox::post_id);
            // `|| ''` and `+ 0` keep the planners off the site-wide status
            // and rank indexes: the window's ids are the way in.
            let mut query = posts::table
                .select(posts::id)
                .filter(posts::id.eq_any(window))
                .filter(posts::status.concat("").eq(published()))
                .filter(exists(
                    agents::table
                        .filter(agents::id.eq(posts::author_id))
                        .filter(agents::status.eq(shown_author())),
                ))
                .into_boxed();
            if let Some(author) = &filter.author {
                query = query.filter(posts::author_id.eq(author.as_str()));
            }
            if let Some(tag) = &filter.tag {
                query = query.filter(posts::id.eq_any(tagged!(tag.as_str())));
            }
            if let Some(kinds) = &kinds {
                query = query.filter(in_list(posts::kind, kinds));
            }
            let newest = ((posts::published_at + 0).desc(), posts::id.desc());
            query = match order {
                RankedOrder::New => query.order(newest),
                RankedOrder::Hot => {
                    query.order(((posts::hot_rank + 0.0).desc(), newest.0, newest.1))
                }
                RankedOrder::Top { since } => {
                    if let Some(since) = since {
                        query = query.filter((posts::published_at + 0).gt(since.as_millis()));
                    }
                    query.order(((posts::score + 0).desc(), newest.0, newest.1))
                }
                RankedOrder::Rising { since } => query
                    .filter((posts::published_at + 0).gt(since.as_millis()))
                    .order(((posts::rising_rank + 0.0).desc(), newest.0, newest.1)),
            };
            query
                .offset(sql_limit(offset))
                .limit(sql_limit(limit))
                .load(&mut *conn)
                .map_err(unavailable)?
        };
        let ids: Vec<Id> = ids.into_iter().map(Id::from_trusted).collect();
        self.entries(&ids, viewer)
    }
}

impl FeedStore for DieselStore {
    fn latest(
        &self,
        filter: &FeedFilter,
        before: Option<(Timestamp, Id)>,
        limit: usize,
        viewer: &Id,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let mut conn = self.conn()?;
        let conn = &mut *conn;
        let before = before.map(|(at, id)| (at.as_millis(), id.into_string()));
        // The kinds are bound values (`InList`): the statement's SQL is the
        // same for every request with the same set, so it stays cached.
        let kinds = kind_names(filter.kinds);
        // Each cursor condition is `published_at <= t AND (published_at < t
        // OR id < i)`: the same as `(published_at, id) < (t, i)`, but the
        // first term alone is what lets both databases start the backward
        // index scan at the cursor instead of filtering every newer row.
        let rows: Vec<FeedRow> = if let FeedScope::Personal(owner) = &filter.scope {
            // From the reader's own list (see `inbox`): its newest entries
            // are one range of `feed_inbox_page`, however many agents and
            // communities feed it.
            let mut query = with_viewer!(
                feed_inbox::table.inner_join(posts::table.inner_join(agents::table)),
                viewer.as_str()
            )
            .filter(feed_inbox::owner_id.eq(owner.as_str()))
            .filter(posts::status.eq(published()))
            .filter(agents::status.eq(shown_author()))
            .into_boxed();
            if let Some(author) = &filter.author {
                query = query.filter(posts::author_id.eq(author.as_str()));
            }
            if let Some(tag) = &filter.tag {
                query = query.filter(posts::id.eq_any(tagged!(tag.as_str())));
            }
            if let Some(kinds) = &kinds {
                query = query.filter(in_list(posts::kind, kinds));
            }
            if let Some((at, id)) = &before {
                query = query.filter(feed_inbox::published_at.le(*at)).filter(
                    feed_inbox::published_at
                        .lt(*at)
                        .or(feed_inbox::post_id.lt(id.as_str())),
                );
            }
            query
                .order((feed_inbox::published_at.desc(), feed_inbox::post_id.desc()))
                .limit(sql_limit(limit))
                .load(conn)
                .map_err(unavailable)?
        } else if let Some(tag) = &filter.tag {
            // From the tag's own index (see the migration): the newest
            // tagged posts come first without sorting all of them.
            let mut query = with_viewer!(
                post_tags::table.inner_join(posts::table.inner_join(agents::table)),
                viewer.as_str()
            )
            .filter(post_tags::tag.eq(tag.as_str()))
            .filter(post_tags::published_at.is_not_null())
            .filter(posts::status.eq(published()))
            .filter(agents::status.eq(shown_author()))
            .into_boxed();
            if let Some(author) = &filter.author {
                query = query.filter(posts::author_id.eq(author.as_str()));
            }
            if let FeedScope::Community(community) = &filter.scope {
                query = query.filter(posts::community_id.eq(community.as_str()));
            }
            if let Some(kinds) = &kinds {
                query = query.filter(in_list(posts::kind, kinds));
            }
            if let Some((at, id)) = &before {
                query = query.filter(post_tags::published_at.le(*at)).filter(
                    post_tags::published_at
                        .lt(*at)
                        .or(post_tags::post_id.lt(id.as_str())),
                );
            }
            query
                .order((post_tags::published_at.desc(), post_tags::post_id.desc()))
                .limit(sql_limit(limit))
                .load(conn)
                .map_err(unavailable)?
        } else {
            let mut query = with_viewer!(posts::table.inner_join(agents::table), viewer.as_str())
                .filter(posts::status.eq(published()))
                .filter(agents::status.eq(shown_author()))
                .into_boxed();
            if let Some(author) = &filter.author {
                query = query.filter(posts::author_id.eq(author.as_str()));
            }
            if let FeedScope::Community(community) = &filter.scope {
                query = query.filter(posts::community_id.eq(community.as_str()));
            }
            if let Some(kinds) = &kinds {
                query = query.filter(in_list(posts::kind, kinds));
            }
            if let Some((at, id)) = &before {
                query = query
                    .filter(posts::published_at.le(*at))
                    .filter(posts::published_at.lt(*at).or(posts::id.lt(id.as_str())));
            }
            query
                .order((posts::published_at.desc(), posts::id.desc()))
                .limit(sql_limit(limit))
                .load(conn)
                .map_err(unavailable)?
        };
        entries(rows)
    }

    fn ranked(
        &self,
        filter: &FeedFilter,
        order: RankedOrder,
        offset: usize,
        limit: usize,
        viewer: &Id,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        if let FeedScope::Personal(owner) = &filter.scope {
            return self.personal_ranked(owner, filter, order, offset, limit, viewer);
        }
        let mut conn = self.conn()?;
        let conn = &mut *conn;
        let kinds = kind_names(filter.kinds);
        let mut query =
            with_viewer!(posts::table.inner_join(agents::table), viewer.as_str()).into_boxed();
        query = query
            .filter(posts::status.eq(published()))
            .filter(agents::status.eq(shown_author()));
        if let Some(author) = &filter.author {
            query = query.filter(posts::author_id.eq(author.as_str()));
        }
        if let Some(tag) = &filter.tag {
            query = query.filter(posts::id.eq_any(tagged!(tag.as_str())));
        }
        match &filter.scope {
            FeedScope::Everyone => {}
            FeedScope::Community(community) => {
                query = query.filter(posts::community_id.eq(community.as_str()));
            }
            // Ranked by `personal_ranked`, above.
            FeedScope::Personal(_) => {}
        }
        if let Some(kinds) = &kinds {
            query = query.filter(in_list(posts::kind, kinds));
        }
        // Each order is its index walked backwards (see the migration):
        // the rank, then newest first, then the larger id, so it is total
        // and OFFSET pages neither repeat nor skip while ranks stand still.
        //
        // Without a tag or author, a period is tested on `published_at + 0`,
        // which no index can serve: given `published_at > ?`, SQLite read
        // the whole period off `posts_feed` and sorted it by rank (a month
        // of posts per page); this way the period is checked on the rank
        // index's entries as the walk passes them (`published_at` is in the
        // index), as the port asks. With a tag or author, the plain range
        // stays: their own indexes bound the rows to sort, where walking
        // every post's rank for a rare author's would not be bounded.
        let newest = (posts::published_at.desc(), posts::id.desc());
        let everyone =
            filter.tag.is_none() && filter.author.is_none() && filter.scope == FeedScope::Everyone;
        let after = |since: Timestamp| -> Box<dyn BoxableExpression<_, _, SqlType = _>> {
            if everyone {
                Box::new((posts::published_at + 0).gt(since.as_millis()))
            } else {
                Box::new(posts::published_at.gt(since.as_millis()))
            }
        };
        query = match order {
            RankedOrder::New => query.order(newest),
            RankedOrder::Hot => query.order((posts::hot_rank.desc(), newest.0, newest.1)),
            RankedOrder::Top { since } => {
                if let Some(since) = since {
                    query = query.filter(after(since));
                }
                query.order((posts::score.desc(), newest.0, newest.1))
            }
            RankedOrder::Rising { since } => {
                query
                    .filter(after(since))
                    .order((posts::rising_rank.desc(), newest.0, newest.1))
            }
        };
        let rows: Vec<FeedRow> = query
            .offset(sql_limit(offset))
            .limit(sql_limit(limit))
            .load(conn)
            .map_err(unavailable)?;
        entries(rows)
    }

    fn refresh_ranks(
        &self,
        now: Timestamp,
        since: Timestamp,
        after: Option<(Timestamp, Id)>,
        limit: usize,
    ) -> Result<RefreshProgress, StoreError> {
        if limit == 0 {
            return Ok(RefreshProgress::default());
        }
        let mut conn = self.writer()?;
        // Without `after`, the keyset starts at `since` (which the window
        // excludes anyway): one statement either way.
        let (from_at, from_id) = after.as_ref().map_or((since.as_millis(), ""), |(at, id)| {
            (at.as_millis(), id.as_str())
        });
        // An alias: the batch is a subquery on the table the UPDATE changes.
        let listed = diesel::alias!(posts as listed);
        let batch = listed
            .filter(listed.field(posts::status).eq(published()))
            .filter(listed.field(posts::published_at).gt(since.as_millis()))
            .filter(listed.field(posts::published_at).ge(from_at))
            .filter(
                listed
                    .field(posts::published_at)
                    .gt(from_at)
                    .or(listed.field(posts::id).gt(from_id)),
            )
            .order((listed.field(posts::published_at), listed.field(posts::id)))
            .limit(sql_limit(limit))
            .select(listed.field(posts::id));
        let progress = conn
            .transaction::<_, TxError, _>(|conn| {
                // A walk's first call first zeroes the ranks of posts it no
                // longer visits, so a post whose last refresh was missed cannot
                // stay on top. Only posts with a rank left qualify, so this
                // reads the rank indexes' non-zero ends (a walk's worth of
                // posts), not the whole history; `+ 0` keeps the planners off
                // the `published_at` range, which is all of the history.
                if after.is_none() {
                    diesel::update(
                        posts::table
                            .filter(posts::status.eq(published()))
                            .filter(posts::hot_rank.gt(0.0).or(posts::rising_rank.gt(0.0)))
                            .filter((posts::published_at + 0).le(since.as_millis())),
                    )
                    .set((posts::hot_rank.eq(0.0), posts::rising_rank.eq(0.0)))
                    .execute(conn)?;
                }
                // The batch is claimed with its rows locked, and read as they
                // stand under the lock: a reaction racing the refresh either
                // comes before and is counted here, or waits and stores its
                // own ranks after. PostgreSQL locks rows it reads FOR UPDATE;
                // SQLite has no row locks, so there a write that changes
                // nothing takes the database's write lock first (an UPDATE on
                // PostgreSQL would leave a dead row version per post).
                let columns = (posts::id, RANK_COLUMNS, posts::hot_rank, posts::rising_rank);
                let rows: Vec<(String, RankRow, f64, f64)> = match conn {
                    DbConnection::Pg(c) => posts::table
                        .filter(posts::id.eq_any(batch))
                        .select(columns)
                        .for_update()
                        .load(c)?,
                    DbConnection::Sqlite(c) => {
                        diesel::update(posts::table.filter(posts::id.eq_any(batch)))
                            .set(posts::like_count.eq(posts::like_count))
                            .returning(columns)
                            .get_results(c)?
                    }
                };
                let mut last: Option<(i64, &str)> = None;
                let mut changed: Vec<(&str, Ranks)> = Vec::with_capacity(rows.len());
                for (id, row, hot, rising) in &rows {
                    let ranks = Ranks::at(&row.input()?, now);
                    // Bit for bit: a post past both windows stays at 0 and is
                    // not rewritten; any other drift is written.
                    if ranks.hot.to_bits() != hot.to_bits()
                        || ranks.rising.to_bits() != rising.to_bits()
                    {
                        changed.push((id, ranks));
                    }
                    let key = (row.published_at.unwrap_or_default(), id.as_str());
                    if last.is_none_or(|last| key > last) {
                        last = Some(key);
                    }
                }
                store_ranks(conn, &changed)?;
                Ok(RefreshProgress {
                    updated: changed.len(),
                    next: last.filter(|_| rows.len() >= limit).map(|(at, id)| {
                        (Timestamp::from_millis(at), Id::from_trusted(id.to_owned()))
                    }),
                })
            })
            .map_err(TxError::into_store)?;
        if progress.next.is_none() {
            vacuum_after_walk(&mut conn).map_err(unavailable)?;
        }
        Ok(progress)
    }

    fn viewer_votes(
        &self,
        viewer: &Id,
        posts: &[Id],
    ) -> Result<Vec<(Id, VoteDirection)>, StoreError> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        let wanted: Vec<&str> = posts.iter().map(Id::as_str).collect();
        crate::votes::viewer_votes(&mut conn, viewer.as_str(), &wanted)
    }

    fn entries(&self, ids: &[Id], viewer: &Id) -> Result<Vec<FeedEntry>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        let conn = &mut *conn;
        let wanted: Vec<&str> = ids.iter().map(Id::as_str).collect();
        let viewer = viewer.as_str();
        // By primary key, the status checked on the rows found: with the
        // status in the WHERE, SQLite walked a rank index's whole
        // `status = 'PUBLISHED'` range (every post) testing each id.
        let rows: Vec<FeedRow> = with_viewer!(posts::table.inner_join(agents::table), viewer)
            .filter(posts::id.eq_any(&wanted))
            .into_boxed()
            .load(conn)
            .map_err(unavailable)?;
        let found: HashMap<Id, FeedEntry> = entries(rows)?
            .into_iter()
            .filter(|entry| entry.post.is_published() && !entry.author.status.is_suspended())
            .map(|entry| (entry.post.id.clone(), entry))
            .collect();
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    fn viewer_reactions(&self, viewer: &Id, ids: &[Id]) -> Result<ViewerReactions, StoreError> {
        let mut reactions = ViewerReactions::default();
        if ids.is_empty() {
            return Ok(reactions);
        }
        let mut conn = self.conn()?;
        let conn = &mut *conn;
        let wanted: Vec<&str> = ids.iter().map(Id::as_str).collect();
        let viewer = viewer.as_str();
        // Each is a probe per post into the (post_id, agent_id) unique
        // partial index, without touching `posts`.
        let (liked, medals) = per_backend!(conn, |c| likes::table
            .filter(in_list(likes::post_id, &wanted))
            .filter(likes::agent_id.eq(viewer))
            .filter(likes::removed_at.is_null())
            .select(likes::post_id)
            .load::<String>(c)
            .and_then(|liked| {
                medal_votes::table
                    .filter(in_list(medal_votes::post_id, &wanted))
                    .filter(medal_votes::agent_id.eq(viewer))
                    .filter(medal_votes::superseded_at.is_null())
                    .select((medal_votes::post_id, medal_votes::medal_type))
                    .load::<(String, String)>(c)
                    .map(|medals| (liked, medals))
            }))
        .map_err(unavailable)?;
        reactions.liked = liked.into_iter().map(Id::from_trusted).collect();
        for (post, stored) in medals {
            reactions
                .medals
                .push((Id::from_trusted(post), medal(&stored, "medal_votes")?));
        }
        Ok(reactions)
    }
}
