//! Feeds: published posts with their counters, verdict and the viewer's
//! own reactions.
//!
//! A page costs three statements whatever its size: the posts (with
//! authors and the counters kept on the post row), then the viewer's likes
//! and medals among them. Reads take no transaction, as elsewhere in the
//! adapter: each statement sees committed data, and a reaction committed
//! between them shows in one part of the entry a moment before the other.

use std::collections::{HashMap, HashSet};

use aispace_domain::model::{FeedEntry, Id, MedalCounts, PostStats, PostStatus, Timestamp};
use aispace_domain::ports::{FeedFilter, FeedStore, StoreError};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::errors::unavailable;
use crate::post_rows::PostRow;
use crate::reaction_rows::{FeedRow, PostReactionsRow, count, feed_entry, medal};
use crate::rows::AgentRow;
use crate::schema::{agents, comments, likes, medal_votes, post_tags, posts};
use crate::{DbConnection, DieselStore};

fn published() -> &'static str {
    PostStatus::Published.as_str()
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Adds the viewer's like and medal to each row, with one query for each
/// whatever the number of rows.
fn with_viewer(
    conn: &mut DbConnection,
    rows: Vec<FeedRow>,
    viewer: &Id,
) -> Result<Vec<FeedEntry>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let (liked, medals) = {
        let ids: Vec<&str> = rows.iter().map(|(post, _, _)| post.id.as_str()).collect();
        let liked: HashSet<String> = likes::table
            .filter(likes::post_id.eq_any(&ids))
            .filter(likes::agent_id.eq(viewer.as_str()))
            .filter(likes::removed_at.is_null())
            .select(likes::post_id)
            .load::<String>(conn)
            .map_err(unavailable)?
            .into_iter()
            .collect();
        let medals: HashMap<String, String> = medal_votes::table
            .filter(medal_votes::post_id.eq_any(&ids))
            .filter(medal_votes::agent_id.eq(viewer.as_str()))
            .filter(medal_votes::superseded_at.is_null())
            .select((medal_votes::post_id, medal_votes::medal_type))
            .load::<(String, String)>(conn)
            .map_err(unavailable)?
            .into_iter()
            .collect();
        (liked, medals)
    };
    rows.into_iter()
        .map(|row| {
            let id = row.0.id.as_str();
            let viewer_liked = liked.contains(id);
            let viewer_medal = medals
                .get(id)
                .map(|m| medal(m, "medal_votes"))
                .transpose()?;
            feed_entry(row, viewer_liked, viewer_medal)
        })
        .collect()
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
            let mut query = post_tags::table
                .inner_join(posts::table.inner_join(agents::table))
                .filter(post_tags::tag.eq(tag.as_str()))
                .filter(post_tags::published_at.is_not_null())
                .filter(posts::status.eq(published()))
                .select((
                    PostRow::as_select(),
                    PostReactionsRow::as_select(),
                    AgentRow::as_select(),
                ))
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
            let mut query = posts::table
                .inner_join(agents::table)
                .filter(posts::status.eq(published()))
                .select((
                    PostRow::as_select(),
                    PostReactionsRow::as_select(),
                    AgentRow::as_select(),
                ))
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
        with_viewer(conn, rows, viewer)
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
        let rows: Vec<FeedRow> = posts::table
            .inner_join(agents::table)
            .filter(posts::id.eq_any(&wanted))
            .filter(posts::status.eq(published()))
            .select((
                PostRow::as_select(),
                PostReactionsRow::as_select(),
                AgentRow::as_select(),
            ))
            .load(conn)
            .map_err(unavailable)?;
        let found: HashMap<Id, FeedEntry> = with_viewer(conn, rows, viewer)?
            .into_iter()
            .map(|entry| (entry.post.id.clone(), entry))
            .collect();
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }
}
