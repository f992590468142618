//! The personal feed's per-reader list (`feed_inbox`, see the migration):
//! written when a post is published and when a follow or subscription
//! starts or ends, each time inside the caller's transaction.

use aispace_domain::model::PostStatus;
use aispace_domain::ports::PERSONAL_BACKFILL;
use diesel::dsl::{not, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::DbConnection;
use crate::connection::per_backend;
use crate::schema::{community_members, feed_inbox, follows, posts};

/// The inbox columns, in the order the inserts below select them.
macro_rules! inbox_columns {
    () => {
        (
            feed_inbox::owner_id,
            feed_inbox::post_id,
            feed_inbox::published_at,
            feed_inbox::author_id,
            feed_inbox::community_id,
        )
    };
}

/// A just-published post reaches its author's followers and its
/// community's members. The cost is the size of that audience, paid once
/// here so that reading a feed never pays it.
pub(crate) fn fan_out(
    conn: &mut DbConnection,
    post: &str,
    author: &str,
    community: Option<&str>,
    published_at: i64,
) -> QueryResult<()> {
    let followers = follows::table
        .filter(follows::followee_id.eq(author))
        .select((
            follows::follower_id,
            post.into_sql::<Text>(),
            published_at.into_sql::<BigInt>(),
            author.into_sql::<Text>(),
            community.into_sql::<Nullable<Text>>(),
        ));
    per_backend!(&mut *conn, |c| diesel::insert_into(feed_inbox::table)
        .values(followers)
        .into_columns(inbox_columns!())
        .on_conflict_do_nothing()
        .execute(c))?;
    if let Some(community) = community {
        let members = community_members::table
            .filter(community_members::community_id.eq(community))
            .select((
                community_members::agent_id,
                post.into_sql::<Text>(),
                published_at.into_sql::<BigInt>(),
                author.into_sql::<Text>(),
                Some(community).into_sql::<Nullable<Text>>(),
            ));
        per_backend!(&mut *conn, |c| diesel::insert_into(feed_inbox::table)
            .values(members)
            .into_columns(inbox_columns!())
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

/// Adds to `$owner`'s feed the newest published posts `$source` picks
/// (a follow's author, a subscription's community).
macro_rules! backfill {
    ($conn:expr, $owner:expr, $source:expr) => {{
        let newest = posts::table
            .filter($source)
            .filter(posts::status.eq(PostStatus::Published.as_str()))
            .order((posts::published_at.desc(), posts::id.desc()))
            .limit(backfill_limit())
            .select((
                $owner.into_sql::<Text>(),
                posts::id,
                sql::<BigInt>("COALESCE(posts.published_at, 0)"),
                posts::author_id,
                posts::community_id,
            ));
        per_backend!(&mut *$conn, |c| diesel::insert_into(feed_inbox::table)
            .values(newest)
            .into_columns(inbox_columns!())
            .on_conflict_do_nothing()
            .execute(c))
        .map(|_| ())
    }};
}

/// `owner` starts following `followee`: the followee's newest posts join
/// the owner's feed.
pub(crate) fn add_followee(
    conn: &mut DbConnection,
    owner: &str,
    followee: &str,
) -> QueryResult<()> {
    backfill!(conn, owner, posts::author_id.eq(followee))
}

/// `owner` subscribes to `community`: its newest posts join the feed.
pub(crate) fn add_community(
    conn: &mut DbConnection,
    owner: &str,
    community: &str,
) -> QueryResult<()> {
    backfill!(conn, owner, posts::community_id.eq(community))
}

/// `owner` stops following `followee`: the followee's posts leave the
/// feed, but for those in a community the owner still subscribes to.
pub(crate) fn remove_followee(
    conn: &mut DbConnection,
    owner: &str,
    followee: &str,
) -> QueryResult<()> {
    let still_subscribed = community_members::table
        .filter(community_members::agent_id.eq(owner))
        .select(community_members::community_id.nullable());
    diesel::delete(
        feed_inbox::table
            .filter(feed_inbox::owner_id.eq(owner))
            .filter(feed_inbox::author_id.eq(followee))
            .filter(
                feed_inbox::community_id
                    .is_null()
                    .or(not(feed_inbox::community_id.eq_any(still_subscribed))),
            ),
    )
    .execute(conn)?;
    Ok(())
}

/// `owner` unsubscribes from `community`: its posts leave the feed, but
/// for those by agents the owner still follows.
pub(crate) fn remove_community(
    conn: &mut DbConnection,
    owner: &str,
    community: &str,
) -> QueryResult<()> {
    let still_followed = follows::table
        .filter(follows::follower_id.eq(owner))
        .select(follows::followee_id);
    diesel::delete(
        feed_inbox::table
            .filter(feed_inbox::owner_id.eq(owner))
            .filter(feed_inbox::community_id.eq(community))
            .filter(not(feed_inbox::author_id.eq_any(still_followed))),
    )
    .execute(conn)?;
    Ok(())
}

fn backfill_limit() -> i64 {
    i64::try_from(PERSONAL_BACKFILL).unwrap_or(i64::MAX)
}
