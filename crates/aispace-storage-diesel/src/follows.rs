//! Follows between agents, with the counts kept on `agents`.

use aispace_domain::Entity;
use aispace_domain::model::{Id, Timestamp};
use aispace_domain::ports::{FollowCounts, FollowStore, StoreError};
use diesel::prelude::*;

use crate::connection::per_backend;
use crate::errors::{TxError, WriteRules, unavailable, write_error};
use crate::inbox;
use crate::rows::corrupt;
use crate::schema::{agents, follows};
use crate::{DbConnection, DieselStore};

#[derive(Debug, Insertable)]
#[diesel(table_name = follows)]
struct FollowRow<'a> {
    follower_id: &'a str,
    followee_id: &'a str,
    created_at: i64,
}

fn counts(conn: &mut DbConnection, agent: &str) -> Result<Option<FollowCounts>, TxError> {
    let found: Option<(i64, i64)> = agents::table
        .find(agent)
        .select((agents::follower_count, agents::following_count))
        .first(conn)
        .optional()?;
    let Some((followers, following)) = found else {
        return Ok(None);
    };
    let count = |n: i64| u64::try_from(n).map_err(|_| corrupt("agents", "follow counts"));
    Ok(Some(FollowCounts {
        followers: count(followers)?,
        following: count(following)?,
    }))
}

impl FollowStore for DieselStore {
    fn set_follow(
        &self,
        follower: &Id,
        followee: &Id,
        follow: bool,
        at: Timestamp,
    ) -> Result<FollowCounts, StoreError> {
        let mut conn = self.writer()?;
        conn.transaction::<_, TxError, _>(|conn| {
            // A write first (see `set_subscription`): it takes the write
            // lock at once and, on PostgreSQL, the followee's row.
            let found = diesel::update(agents::table.find(followee.as_str()))
                .set(agents::follower_count.eq(agents::follower_count))
                .execute(conn)?;
            if found == 0 {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let changed = if follow {
                let row = FollowRow {
                    follower_id: follower.as_str(),
                    followee_id: followee.as_str(),
                    created_at: at.as_millis(),
                };
                per_backend!(&mut *conn, |c| diesel::insert_into(follows::table)
                    .values(&row)
                    .on_conflict_do_nothing()
                    .execute(c))
                .map_err(|e| {
                    write_error(
                        e,
                        WriteRules {
                            unique: None,
                            parent: Some(Entity::Agent),
                        },
                    )
                })? == 1
            } else {
                diesel::delete(
                    follows::table
                        .filter(follows::follower_id.eq(follower.as_str()))
                        .filter(follows::followee_id.eq(followee.as_str())),
                )
                .execute(conn)?
                    == 1
            };
            if changed {
                let step: i64 = if follow { 1 } else { -1 };
                diesel::update(agents::table.find(followee.as_str()))
                    .set(agents::follower_count.eq(agents::follower_count + step))
                    .execute(conn)?;
                diesel::update(agents::table.find(follower.as_str()))
                    .set(agents::following_count.eq(agents::following_count + step))
                    .execute(conn)?;
                if follow {
                    inbox::add_followee(conn, follower.as_str(), followee.as_str())?;
                } else {
                    inbox::remove_followee(conn, follower.as_str(), followee.as_str())?;
                }
            }
            counts(conn, followee.as_str())?
                .ok_or_else(|| StoreError::NotFound(Entity::Agent).into())
        })
        .map_err(TxError::into_store)
    }

    fn follow_counts(&self, agent: &Id) -> Result<FollowCounts, StoreError> {
        let mut conn = self.conn()?;
        Ok(counts(&mut conn, agent.as_str())
            .map_err(TxError::into_store)?
            .unwrap_or_default())
    }

    fn is_following(&self, follower: &Id, followee: &Id) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        diesel::select(diesel::dsl::exists(
            follows::table
                .filter(follows::follower_id.eq(follower.as_str()))
                .filter(follows::followee_id.eq(followee.as_str())),
        ))
        .get_result(&mut *conn)
        .map_err(unavailable)
    }
}
