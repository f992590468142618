//! Blob claims, the sweep of one blob, and the purges.
//!
//! A sweep holds the blob's claim row from its check until the blob is
//! deleted: `claim_blob` writes the same row, so a poster's claim waits for
//! a sweep in progress (and then stores the bytes again), and a sweep after
//! the claim finds it fresh. On SQLite the write lock orders them, on
//! PostgreSQL the row lock.

use aispace_domain::model::{BlobKey, Timestamp};
use aispace_domain::ports::{
    BlobError, HousekeepingStore, PurgeHorizon, Purged, StoreError, SweepError,
};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::connection::per_backend;
use crate::errors::unavailable;
use crate::schema::{blob_claims, posts};
use crate::{DbConnection, DieselStore};

/// Why a sweep's transaction did not commit.
enum Kept {
    /// Referenced or claimed: nothing to do (rolls back the row lock's
    /// write).
    InUse,
    Blob(BlobError),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Kept {
    fn from(e: diesel::result::Error) -> Self {
        Kept::Db(e)
    }
}

fn limit(batch: usize) -> i64 {
    i64::try_from(batch).unwrap_or(i64::MAX)
}

/// Deletes up to `batch` rows of `table` whose `column` is before
/// `before`, picked by `key` (a column, or the columns of a row value): one bounded
/// statement, so a purge never holds the write lock long.
fn purge_before(
    conn: &mut DbConnection,
    table: &str,
    key: &str,
    column: &str,
    before: i64,
    batch: i64,
) -> QueryResult<usize> {
    let sql = |p: [&str; 2]| {
        format!(
            "DELETE FROM {table} WHERE ({key}) IN \
             (SELECT {key} FROM {table} WHERE {column} < {} LIMIT {})",
            p[0], p[1]
        )
    };
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sql(["?", "?"]))
            .bind::<BigInt, _>(before)
            .bind::<BigInt, _>(batch)
            .execute(c),
        DbConnection::Pg(c) => diesel::sql_query(sql(["$1", "$2"]))
            .bind::<BigInt, _>(before)
            .bind::<BigInt, _>(batch)
            .execute(c),
    }
}

impl HousekeepingStore for DieselStore {
    fn claim_blob(&self, key: &BlobKey, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        let row = (
            blob_claims::blob_key.eq(key.as_str()),
            blob_claims::claimed_at.eq(at.as_millis()),
        );
        per_backend!(&mut *conn, |c| diesel::insert_into(blob_claims::table)
            .values(row)
            .on_conflict(blob_claims::blob_key)
            .do_update()
            .set(blob_claims::claimed_at.eq(at.as_millis()))
            .execute(c))
        .map_err(unavailable)?;
        Ok(())
    }

    fn sweep_blob(
        &self,
        key: &BlobKey,
        stored_at: Timestamp,
        stale_before: Timestamp,
        delete: &mut dyn FnMut(&BlobKey) -> Result<(), BlobError>,
    ) -> Result<bool, SweepError> {
        if stored_at > stale_before {
            return Ok(false);
        }
        let mut conn = self.writer()?;
        let blob = key.as_str();
        let outcome = conn.transaction::<_, Kept, _>(|conn| {
            // Takes the claim's row (made if there is none) with a write
            // that changes nothing: the lock `claim_blob` waits on.
            let row = (
                blob_claims::blob_key.eq(blob),
                blob_claims::claimed_at.eq(0_i64),
            );
            let claimed_at: i64 =
                per_backend!(&mut *conn, |c| diesel::insert_into(blob_claims::table)
                    .values(row)
                    .on_conflict(blob_claims::blob_key)
                    .do_update()
                    .set(blob_claims::claimed_at.eq(blob_claims::claimed_at))
                    .returning(blob_claims::claimed_at)
                    .get_result(c))?;
            if claimed_at > stale_before.as_millis() {
                return Err(Kept::InUse);
            }
            let referenced: bool =
                diesel::select(exists(posts::table.filter(posts::media_key.eq(blob))))
                    .get_result(conn)?;
            if referenced {
                return Err(Kept::InUse);
            }
            delete(key).map_err(Kept::Blob)?;
            diesel::delete(blob_claims::table.find(blob)).execute(conn)?;
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(true),
            Err(Kept::InUse) => Ok(false),
            Err(Kept::Blob(e)) => Err(SweepError::Blob(e)),
            Err(Kept::Db(e)) => Err(SweepError::Store(unavailable(e))),
        }
    }

    fn purge(&self, horizon: &PurgeHorizon, batch: usize) -> Result<Purged, StoreError> {
        let mut conn = self.writer()?;
        let conn = &mut *conn;
        let n = limit(batch);
        let purge = |conn: &mut DbConnection, table, key, column, before: Timestamp| {
            purge_before(conn, table, key, column, before.as_millis(), n).map_err(unavailable)
        };
        let idempotency_records = purge(
            conn,
            "idempotency_keys",
            "agent_id, key",
            "created_at",
            horizon.idempotency_before,
        )?;
        let delivery_attempts = purge(
            conn,
            "delivery_attempts",
            "id",
            "at",
            horizon.attempts_before,
        )?;
        let sessions = purge(
            conn,
            "sessions",
            "id_hash",
            "expires_at",
            horizon.sessions_before,
        )?;
        Ok(Purged {
            idempotency_records,
            delivery_attempts,
            sessions,
        })
    }
}
