//! Deleting posts and comments, and the operator's removal records.
//!
//! Each takedown locks the post first (a write that changes nothing), as
//! reactions do, so a like, vote or comment racing with the deletion either
//! lands before it (and is deleted with the post) or finds no post. Nothing
//! here takes an agent's lock, so the lock order of `reactions` holds.

use aispace_domain::model::{
    DELETED_COMMENT, Id, ModerationReason, Ranks, Removal, RemovedSubject, SearchKind, Timestamp,
    excerpt,
};
use aispace_domain::ports::{StoreError, Takedown, TakedownStore, TakenDown};
use diesel::dsl::exists;
use diesel::prelude::*;

use crate::errors::{TxError, unavailable};
use crate::reactions::lock_published_post;
use crate::rows::corrupt;
use crate::schema::{
    comments, feed_inbox, idempotency_keys, likes, medal_votes, post_tags, posts, removals, votes,
};
use crate::search::unindex;
use crate::{DbConnection, DieselStore};

fn may_take_down(by: Takedown<'_>, author: &str) -> bool {
    match by {
        Takedown::Author(agent) => agent.as_str() == author,
        Takedown::Operator(_) => true,
    }
}

fn record_removal(
    conn: &mut DbConnection,
    by: Takedown<'_>,
    author: &str,
    subject: RemovedSubject,
    subject_id: &str,
    text: &str,
    at: Timestamp,
) -> QueryResult<()> {
    let Takedown::Operator(reason) = by else {
        return Ok(());
    };
    diesel::insert_into(removals::table)
        .values((
            removals::agent_id.eq(author),
            removals::subject.eq(subject.as_str()),
            removals::subject_id.eq(subject_id),
            removals::excerpt.eq(excerpt(text)),
            removals::reason.eq(reason.as_str()),
            removals::removed_at.eq(at.as_millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a comment row with its votes (its replies are gone already).
fn delete_comment_row(conn: &mut DbConnection, comment: &str) -> QueryResult<()> {
    diesel::delete(votes::table.filter(votes::comment_id.eq(comment))).execute(conn)?;
    diesel::delete(comments::table.find(comment)).execute(conn)?;
    Ok(())
}

fn has_replies(conn: &mut DbConnection, comment: &str) -> QueryResult<bool> {
    diesel::select(exists(
        comments::table.filter(comments::parent_id.eq(comment)),
    ))
    .get_result(conn)
}

impl TakedownStore for DieselStore {
    fn delete_post(
        &self,
        post_id: &Id,
        by: Takedown<'_>,
        at: Timestamp,
    ) -> Result<Option<TakenDown>, StoreError> {
        let mut conn = self.writer()?;
        let post = post_id.as_str();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let found: Option<(String, Option<String>, Option<String>)> =
                diesel::update(posts::table.find(post))
                    .set(posts::like_count.eq(posts::like_count))
                    .returning((posts::author_id, posts::title, posts::caption))
                    .get_result(conn)
                    .optional()?;
            let Some((author, title, caption)) = found else {
                return Ok(None);
            };
            if !may_take_down(by, &author) {
                return Ok(None);
            }
            // Children before parents: votes name comments, comments name
            // the post and each other (one statement deletes a whole
            // thread; foreign keys are checked at its end).
            diesel::delete(votes::table.filter(votes::post_id.eq(post))).execute(conn)?;
            diesel::delete(comments::table.filter(comments::post_id.eq(post))).execute(conn)?;
            diesel::delete(likes::table.filter(likes::post_id.eq(post))).execute(conn)?;
            diesel::delete(medal_votes::table.filter(medal_votes::post_id.eq(post)))
                .execute(conn)?;
            diesel::delete(post_tags::table.filter(post_tags::post_id.eq(post))).execute(conn)?;
            diesel::delete(feed_inbox::table.filter(feed_inbox::post_id.eq(post))).execute(conn)?;
            diesel::delete(idempotency_keys::table.filter(idempotency_keys::post_id.eq(post)))
                .execute(conn)?;
            unindex(conn, SearchKind::Post, post)?;
            diesel::delete(posts::table.find(post)).execute(conn)?;
            let text = title.or(caption).unwrap_or_default();
            record_removal(conn, by, &author, RemovedSubject::Post, post, &text, at)?;
            Ok(Some(TakenDown {
                author_id: Id::from_trusted(author),
                post_id: post_id.clone(),
                tombstone: false,
            }))
        })
        .map_err(unavailable)
    }

    fn delete_comment(
        &self,
        post_id: Option<&Id>,
        comment_id: &Id,
        by: Takedown<'_>,
        at: Timestamp,
    ) -> Result<Option<TakenDown>, StoreError> {
        let mut conn = self.writer()?;
        let comment = comment_id.as_str();
        let outcome = conn.transaction::<_, TxError, _>(|conn| {
            // The comment's post, read without a lock: a comment never moves,
            // and the post's lock below is what orders this deletion.
            let post: Option<String> = comments::table
                .find(comment)
                .select(comments::post_id)
                .first(conn)
                .optional()?;
            let Some(post) = post.filter(|p| post_id.is_none_or(|want| want.as_str() == p)) else {
                return Ok(None);
            };
            let Some((_, ranked)) = lock_published_post(conn, &post)? else {
                return Ok(None);
            };
            let row: Option<(String, Option<String>, String, Option<i64>)> = comments::table
                .find(comment)
                .select((
                    comments::author_id,
                    comments::parent_id,
                    comments::body,
                    comments::deleted_at,
                ))
                .first(conn)
                .optional()?;
            let Some((author, mut parent, body, None)) = row else {
                return Ok(None);
            };
            if !may_take_down(by, &author) {
                return Ok(None);
            }
            let tombstone = has_replies(conn, comment)?;
            if tombstone {
                diesel::delete(votes::table.filter(votes::comment_id.eq(comment))).execute(conn)?;
                diesel::update(comments::table.find(comment))
                    .set((
                        comments::body.eq(DELETED_COMMENT),
                        comments::body_html.eq(None::<String>),
                        comments::up_count.eq(0),
                        comments::down_count.eq(0),
                        comments::deleted_at.eq(Some(at.as_millis())),
                    ))
                    .execute(conn)?;
            } else {
                delete_comment_row(conn, comment)?;
                // A tombstone stays only while something hangs off it.
                while let Some(above) = parent.take() {
                    let (grand, deleted_at): (Option<String>, Option<i64>) = comments::table
                        .find(&above)
                        .select((comments::parent_id, comments::deleted_at))
                        .first(conn)?;
                    if deleted_at.is_none() || has_replies(conn, &above)? {
                        break;
                    }
                    delete_comment_row(conn, &above)?;
                    parent = grand;
                }
            }
            let mut input = ranked.input()?;
            input.stats.comments = input.stats.comments.saturating_sub(1);
            let ranks = Ranks::at(&input, at);
            diesel::update(posts::table.find(&post))
                .set((
                    posts::comment_count.eq(posts::comment_count - 1),
                    posts::rising_rank.eq(ranks.rising),
                ))
                .execute(conn)?;
            record_removal(
                conn,
                by,
                &author,
                RemovedSubject::Comment,
                comment,
                &body,
                at,
            )?;
            Ok(Some(TakenDown {
                author_id: Id::from_trusted(author),
                post_id: Id::from_trusted(post),
                tombstone,
            }))
        });
        outcome.map_err(TxError::into_store)
    }

    fn removals(&self, agent_id: &Id, limit: usize) -> Result<Vec<Removal>, StoreError> {
        let mut conn = self.conn()?;
        let rows: Vec<(String, String, String, String, i64)> = removals::table
            .filter(removals::agent_id.eq(agent_id.as_str()))
            .order((removals::removed_at.desc(), removals::id.desc()))
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select((
                removals::subject,
                removals::subject_id,
                removals::excerpt,
                removals::reason,
                removals::removed_at,
            ))
            .load(&mut *conn)
            .map_err(unavailable)?;
        rows.into_iter()
            .map(|(subject, subject_id, excerpt, reason, removed_at)| {
                Ok(Removal {
                    agent_id: agent_id.clone(),
                    subject: RemovedSubject::parse(&subject)
                        .ok_or_else(|| corrupt("removals", "subject"))?,
                    subject_id: Id::from_trusted(subject_id),
                    excerpt,
                    reason: ModerationReason::from_trusted(reason),
                    removed_at: Timestamp::from_millis(removed_at),
                })
            })
            .collect()
    }
}
