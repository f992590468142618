//! Feeds: published posts with their counters, verdict and the viewer's
//! own reactions.
//!
//! A page is one statement whatever its size: the posts with their authors,
//! the counters kept on the post row, and the viewer's own like and medal
//! joined in, so the entry is one consistent read.

use std::collections::HashMap;

use aispace_domain::model::{
    FeedEntry, Id, MedalCounts, PostStats, PostStatus, Timestamp, ViewerReactions,
};
use aispace_domain::ports::{FeedFilter, FeedStore, StoreError};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::DieselStore;
use crate::connection::per_backend;
use crate::errors::unavailable;
use crate::in_list::in_list;
use crate::post_rows::PostRow;
use crate::reaction_rows::{FeedRow, PostReactionsRow, count, feed_entry, medal};
use crate::rows::AgentRow;
use crate::schema::{agents, comments, likes, medal_votes, post_tags, posts};

fn published() -> &'static str {
    PostStatus::Published.as_str()
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

/// Restricts a boxed query that reads `posts` to the published posts of
/// `filter` with `published_at` in (`since`, `until`]. A macro, not a
/// function: the queries it serves join `posts` to different tables.
macro_rules! in_window {
    ($query:expr, $filter:expr, $since:expr, $until:expr) => {{
        let (filter, since, until): (&FeedFilter, i64, i64) = ($filter, $since, $until);
        let mut query = $query
            .filter(posts::status.eq(published()))
            .filter(posts::published_at.gt(since))
            .filter(posts::published_at.le(until));
        if let Some(author) = &filter.author {
            query = query.filter(posts::author_id.eq(author.as_str()));
        }
        if let Some(tag) = &filter.tag {
            query = query.filter(
                posts::id.eq_any(
                    post_tags::table
                        .filter(post_tags::tag.eq(tag.as_str()))
                        .filter(post_tags::published_at.gt(since))
                        .filter(post_tags::published_at.le(until))
                        .select(post_tags::post_id),
                ),
            );
        }
        query
    }};
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
        // Each cursor condition is `published_at <= t AND (published_at < t
        // OR id < i)`: the same as `(published_at, id) < (t, i)`, but the
        // first term alone is what lets both databases start the backward
        // index scan at the cursor instead of filtering every newer row.
        let rows: Vec<FeedRow> = if let Some(tag) = &filter.tag {
            // From the tag's own index (see the migration): the newest
            // tagged posts come first without sorting all of them.
            let mut query = with_viewer!(
                post_tags::table.inner_join(posts::table.inner_join(agents::table)),
                viewer.as_str()
            )
            .filter(post_tags::tag.eq(tag.as_str()))
            .filter(post_tags::published_at.is_not_null())
            .filter(posts::status.eq(published()))
            .into_boxed();
            if let Some(author) = &filter.author {
                query = query.filter(posts::author_id.eq(author.as_str()));
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
                .into_boxed();
            if let Some(author) = &filter.author {
                query = query.filter(posts::author_id.eq(author.as_str()));
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

    fn engagement(
        &self,
        filter: &FeedFilter,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(Id, Timestamp, PostStats)>, StoreError> {
        let mut conn = self.conn()?;
        let conn = &mut *conn;
        let (since, until) = (since.as_millis(), until.as_millis());

        let listed: Vec<(String, Option<i64>)> = in_window!(
            posts::table
                .select((posts::id, posts::published_at))
                .into_boxed(),
            filter,
            since,
            until
        )
        .order((posts::published_at.desc(), posts::id.desc()))
        .load(conn)
        .map_err(unavailable)?;
        if listed.is_empty() {
            return Ok(Vec::new());
        }
        let mut stats: HashMap<String, PostStats> = HashMap::with_capacity(listed.len());

        // The history rows (see the migration) give the counts as of
        // `until`; the counters on the post only know the present.
        let like_counts: Vec<(String, i64)> = in_window!(
            likes::table
                .inner_join(posts::table)
                .filter(likes::created_at.le(until))
                .filter(likes::removed_at.is_null().or(likes::removed_at.gt(until)))
                .group_by(likes::post_id)
                .select((likes::post_id, count_star()))
                .into_boxed(),
            filter,
            since,
            until
        )
        .load(conn)
        .map_err(unavailable)?;
        for (id, n) in like_counts {
            stats.entry(id).or_default().likes = count(n);
        }

        let medal_counts: Vec<(String, String, i64)> = in_window!(
            medal_votes::table
                .inner_join(posts::table)
                .filter(medal_votes::created_at.le(until))
                .filter(
                    medal_votes::superseded_at
                        .is_null()
                        .or(medal_votes::superseded_at.gt(until)),
                )
                .group_by((medal_votes::post_id, medal_votes::medal_type))
                .select((medal_votes::post_id, medal_votes::medal_type, count_star()))
                .into_boxed(),
            filter,
            since,
            until
        )
        .load(conn)
        .map_err(unavailable)?;
        for (id, stored, n) in medal_counts {
            let medals: &mut MedalCounts = &mut stats.entry(id).or_default().medals;
            medals.add(medal(&stored, "medal_votes")?, n);
        }

        let comment_counts: Vec<(String, i64)> = in_window!(
            comments::table
                .inner_join(posts::table)
                .filter(comments::created_at.le(until))
                .group_by(comments::post_id)
                .select((comments::post_id, count_star()))
                .into_boxed(),
            filter,
            since,
            until
        )
        .load(conn)
        .map_err(unavailable)?;
        for (id, n) in comment_counts {
            stats.entry(id).or_default().comments = count(n);
        }

        Ok(listed
            .into_iter()
            .map(|(id, published_at)| {
                let post_stats = stats.remove(&id).unwrap_or_default();
                (
                    Id::from_trusted(id),
                    // The window filter already excluded NULL.
                    Timestamp::from_millis(published_at.unwrap_or(since)),
                    post_stats,
                )
            })
            .collect())
    }

    fn entries(&self, ids: &[Id], viewer: &Id) -> Result<Vec<FeedEntry>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        let conn = &mut *conn;
        let wanted: Vec<&str> = ids.iter().map(Id::as_str).collect();
        let viewer = viewer.as_str();
        let rows: Vec<FeedRow> = with_viewer!(posts::table.inner_join(agents::table), viewer)
            .filter(posts::id.eq_any(&wanted))
            .filter(posts::status.eq(published()))
            .into_boxed()
            .load(conn)
            .map_err(unavailable)?;
        let found: HashMap<Id, FeedEntry> = entries(rows)?
            .into_iter()
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
