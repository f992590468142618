use aispace_domain::Entity;
use aispace_domain::model::{
    Id, IdempotencyKey, IdempotencyRecord, PendingEvent, Post, PostStatus, Ranks, SearchDocument,
    SearchKind, Timestamp,
};
use aispace_domain::ports::{Admission, PostQuotaRule, PostStore, StoreError};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::DieselStore;
use crate::errors::{Refusal, unavailable};
use crate::inbox;
use crate::post_rows::{IdempotencyRow, PostRow};
use crate::ranks;
use crate::reactions::lock_agent;
use crate::schema::{idempotency_keys, post_tags, posts, quota_events};
use crate::search;
use crate::webhooks::record_event;

impl PostStore for DieselStore {
    fn insert_post(
        &self,
        post: &Post,
        quota: PostQuotaRule,
        idempotency: Option<(&IdempotencyRecord, Timestamp)>,
        created: &PendingEvent,
    ) -> Result<Admission, StoreError> {
        let mut conn = self.writer()?;
        let author = post.author_id.as_str();
        let outcome = conn.transaction::<_, Refusal<Admission>, _>(|conn| {
            // The per-agent lock, and the transaction's first statement is
            // a write (see `DieselStore`): concurrent posts by one agent
            // queue here, in this process or another, so the count below
            // cannot go stale before the insert.
            if !lock_agent(conn, author)? {
                return Err(StoreError::NotFound(Entity::Agent).into());
            }
            let spent: i64 = quota_events::table
                .filter(quota_events::agent_id.eq(author))
                .filter(quota_events::action.eq(quota.action.as_str()))
                .filter(quota_events::at.ge(quota.since.as_millis()))
                .select(count_star())
                .first(conn)?;
            if spent >= i64::from(quota.limit) {
                return Err(Refusal::Outcome(Admission::QuotaExceeded));
            }
            if let Some((record, since)) = idempotency {
                let held = idempotency_keys::table
                    .find((record.agent_id.as_str(), record.key.as_str()))
                    .select(IdempotencyRow::as_select())
                    .first(conn)
                    .optional()?;
                match held {
                    Some(row) if row.created_at >= since.as_millis() => {
                        let existing = IdempotencyRecord::try_from(row)?;
                        return Err(Refusal::Outcome(Admission::KeyTaken(existing)));
                    }
                    Some(_) => {
                        diesel::delete(
                            idempotency_keys::table
                                .find((record.agent_id.as_str(), record.key.as_str())),
                        )
                        .execute(conn)?;
                    }
                    None => {}
                }
            }
            // A post goes live with the ranks of a post nobody has reacted
            // to yet, so it shows in the ranked feeds before the next
            // refresh; a scheduled one gets them when it is published.
            let ranks = post.published_at.map(ranks::initial).unwrap_or(Ranks {
                hot: 0.0,
                rising: 0.0,
            });
            diesel::insert_into(posts::table)
                .values((
                    PostRow::from(post),
                    posts::hot_rank.eq(ranks.hot),
                    posts::rising_rank.eq(ranks.rising),
                ))
                .execute(conn)?;
            for tag in post.tags.as_slice() {
                diesel::insert_into(post_tags::table)
                    .values((
                        post_tags::tag.eq(tag),
                        post_tags::post_id.eq(post.id.as_str()),
                        post_tags::published_at.eq(post.published_at.map(Timestamp::as_millis)),
                    ))
                    .execute(conn)?;
            }
            search::index(
                conn,
                SearchKind::Post,
                post.id.as_str(),
                &SearchDocument::of_post(post),
            )?;
            diesel::insert_into(quota_events::table)
                .values((
                    quota_events::agent_id.eq(author),
                    quota_events::action.eq(quota.action.as_str()),
                    quota_events::at.eq(post.created_at.as_millis()),
                ))
                .execute(conn)?;
            if let Some((record, _)) = idempotency {
                diesel::insert_into(idempotency_keys::table)
                    .values(IdempotencyRow::from(record))
                    .execute(conn)?;
            }
            // A scheduled post tells its author when `publish_due` makes it
            // live.
            if let (PostStatus::Published, Some(at)) = (post.status, post.published_at) {
                let community = post.community_id().map(Id::as_str);
                inbox::fan_out(conn, post.id.as_str(), author, community, at.as_millis())?;
                record_event(
                    conn,
                    created,
                    &post.author_id,
                    &post.author_id,
                    false,
                    post.created_at,
                )?;
            }
            Ok(Admission::Admitted)
        });
        Refusal::settle(outcome)
    }

    fn post_by_id(&self, id: &Id) -> Result<Option<Post>, StoreError> {
        let mut conn = self.conn()?;
        posts::table
            .find(id.as_str())
            .select(PostRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(Post::try_from)
            .transpose()
    }

    fn idempotency_record(
        &self,
        agent_id: &Id,
        key: &IdempotencyKey,
        since: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let mut conn = self.conn()?;
        idempotency_keys::table
            .find((agent_id.as_str(), key.as_str()))
            .filter(idempotency_keys::created_at.ge(since.as_millis()))
            .select(IdempotencyRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(unavailable)?
            .map(IdempotencyRecord::try_from)
            .transpose()
    }

    fn publish_due(
        &self,
        now: Timestamp,
        limit: usize,
        created: &dyn Fn(&Id, Timestamp) -> PendingEvent,
    ) -> Result<Vec<Id>, StoreError> {
        let mut conn = self.writer()?;
        let conn = &mut *conn;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let scheduled = PostStatus::Scheduled.as_str();
        // The status is written into the SQL, not bound: SQLite (built with
        // QPSG, see .cargo/config.toml) only uses the partial index
        // `posts_due ... WHERE status = 'SCHEDULED'` for a literal.
        let candidates: Vec<String> = posts::table
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "posts.status = 'SCHEDULED'",
            ))
            .filter(posts::publish_at.le(now.as_millis()))
            .order((posts::publish_at, posts::id))
            .limit(limit)
            .select(posts::id)
            .load(conn)
            .map_err(unavailable)?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // The UPDATE comes first in its transaction (see `DieselStore`) and
        // its WHERE re-checks the status under the row (PostgreSQL) or
        // database (SQLite) write lock, so of two processes racing for a
        // post only one changes it, and each reports only the rows its own
        // statement changed. The tag index learns the publication time in
        // the same transaction, so a tag feed never misses a published post,
        // and so does each post's `post.created` event (stamped with the
        // time of publication, `now`, so a reader of the events that has
        // seen everything up to now does not miss it), and its first ranks:
        // those of a fresh post, as on insert, so posts that went live
        // together rank alike until the next refresh.
        let claimed: Vec<(String, i64, String, String, Option<String>)> = conn
            .transaction::<_, diesel::result::Error, _>(|conn| {
                let claimed: Vec<(String, i64, String, String, Option<String>)> = diesel::update(
                    posts::table
                        .filter(posts::id.eq_any(&candidates))
                        .filter(posts::status.eq(scheduled)),
                )
                .set((
                    posts::status.eq(PostStatus::Published.as_str()),
                    posts::published_at.eq(posts::publish_at.nullable()),
                ))
                .returning((
                    posts::id,
                    posts::publish_at,
                    posts::tags,
                    posts::author_id,
                    posts::community_id,
                ))
                .get_results(conn)?;
                for (id, published_at, tags, author, community) in &claimed {
                    inbox::fan_out(conn, id, author, community.as_deref(), *published_at)?;
                    let ranks = ranks::initial(Timestamp::from_millis(*published_at));
                    diesel::update(posts::table.find(id))
                        .set((
                            posts::hot_rank.eq(ranks.hot),
                            posts::rising_rank.eq(ranks.rising),
                        ))
                        .execute(conn)?;
                    let post_id = Id::from_trusted(id.clone());
                    let author = Id::from_trusted(author.clone());
                    let event = created(&post_id, Timestamp::from_millis(*published_at));
                    record_event(conn, &event, &author, &author, false, now)?;
                    if tags.is_empty() {
                        continue;
                    }
                    // By primary key: post_tags has no index on post_id alone.
                    let tags: Vec<&str> = tags.split(' ').collect();
                    diesel::update(
                        post_tags::table
                            .filter(post_tags::tag.eq_any(tags))
                            .filter(post_tags::post_id.eq(id)),
                    )
                    .set(post_tags::published_at.eq(published_at))
                    .execute(conn)?;
                }
                Ok(claimed)
            })
            .map_err(unavailable)?;
        Ok(candidates
            .into_iter()
            .filter(|id| claimed.iter().any(|(claimed, ..)| claimed == id))
            .map(Id::from_trusted)
            .collect())
    }
}
