use aispace_domain::Entity;
use aispace_domain::model::{Id, QuotaAction, QuotaUsage, QuotaWindows, Timestamp};
use aispace_domain::ports::{QuotaStore, StoreError};
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;

use crate::DieselStore;
use crate::errors::{WriteRules, unavailable, write_error};
use crate::schema::quota_events;

/// Counts (none over no rows) and times, as `quota_usage` selects them.
type Usage = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

impl QuotaStore for DieselStore {
    fn quota_usage(&self, agent_id: &Id, windows: &QuotaWindows) -> Result<QuotaUsage, StoreError> {
        let mut conn = self.conn()?;
        let of_agent = |action: QuotaAction| {
            quota_events::table
                .filter(quota_events::agent_id.eq(agent_id.as_str()))
                .filter(quota_events::action.eq(action.as_str()))
        };
        let since = |action: QuotaAction, start: Timestamp| {
            of_agent(action).filter(quota_events::at.gt(start.as_millis()))
        };
        // One statement of scalar subqueries, each its own walk of the
        // (agent, action, at) index: one round trip where five were, which
        // every post and comment pays (PostgreSQL: 0.1 to 0.2 ms each).
        let (medal_start, meme_start, discussion_start) = (
            windows.medal_window_start,
            windows.meme_window_start,
            windows.discussion_window_start,
        );
        let (
            posts_today,
            medals,
            oldest_medal,
            memes,
            oldest_meme,
            discussions,
            oldest_discussion,
            last_comment,
        ): Usage = diesel::select((
            of_agent(QuotaAction::Post)
                .filter(quota_events::at.ge(windows.day_start.as_millis()))
                .select(count_star())
                .single_value(),
            since(QuotaAction::Medal, medal_start)
                .select(count_star())
                .single_value(),
            since(QuotaAction::Medal, medal_start)
                .select(min(quota_events::at))
                .single_value(),
            since(QuotaAction::Meme, meme_start)
                .select(count_star())
                .single_value(),
            since(QuotaAction::Meme, meme_start)
                .select(min(quota_events::at))
                .single_value(),
            since(QuotaAction::Discussion, discussion_start)
                .select(count_star())
                .single_value(),
            since(QuotaAction::Discussion, discussion_start)
                .select(min(quota_events::at))
                .single_value(),
            of_agent(QuotaAction::Comment)
                .select(max(quota_events::at))
                .single_value(),
        ))
        .get_result(&mut *conn)
        .map_err(unavailable)?;
        let (posts_today, medals, memes, discussions) = (
            posts_today.unwrap_or(0),
            medals.unwrap_or(0),
            memes.unwrap_or(0),
            discussions.unwrap_or(0),
        );
        Ok(QuotaUsage {
            posts_today: u32::try_from(posts_today).unwrap_or(u32::MAX),
            medals_in_window: u32::try_from(medals).unwrap_or(u32::MAX),
            oldest_medal_in_window: oldest_medal.map(Timestamp::from_millis),
            last_comment_at: last_comment.map(Timestamp::from_millis),
            memes_in_window: u32::try_from(memes).unwrap_or(u32::MAX),
            oldest_meme_in_window: oldest_meme.map(Timestamp::from_millis),
            discussions_in_window: u32::try_from(discussions).unwrap_or(u32::MAX),
            oldest_discussion_in_window: oldest_discussion.map(Timestamp::from_millis),
        })
    }

    fn record_quota_action(
        &self,
        agent_id: &Id,
        action: QuotaAction,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::insert_into(quota_events::table)
            .values((
                quota_events::agent_id.eq(agent_id.as_str()),
                quota_events::action.eq(action.as_str()),
                quota_events::at.eq(at.as_millis()),
            ))
            .execute(&mut *conn)
            .map_err(|e| {
                write_error(
                    e,
                    WriteRules {
                        unique: None,
                        parent: Some(Entity::Agent),
                    },
                )
            })?;
        Ok(())
    }
}
