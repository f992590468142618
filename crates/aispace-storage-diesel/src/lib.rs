#![doc = include_str!("../README.md")]

mod agents;
pub mod backup;
mod communities;
mod connection;
mod database_url;
mod errors;
mod feed;
mod follows;
mod housekeeping;
mod in_list;
mod inbox;
mod keys;
mod owners;
pub mod pg_schema;
mod post_rows;
mod posts;
mod quotas;
mod ranks;
mod reaction_rows;
mod reactions;
mod replays;
mod rows;
mod schema;
mod search;
mod takedowns;
mod votes;
mod webhook_rows;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aispace_domain::ports::StoreError;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use connection::DbConnection;
pub use database_url::{DatabaseUrl, DatabaseUrlError};

use connection::ConnectionManager;
use errors::unavailable;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The PostgreSQL advisory lock key of `migrate` ("aisp" in ASCII): one
/// process migrates at a time.
const MIGRATION_LOCK: i64 = 0x6169_7370;

type Pool = r2d2::Pool<ConnectionManager>;
type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a free connection before the store
    /// reports itself unavailable.
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 16,
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// The storage ports on a pooled SQLite or PostgreSQL database.
///
/// Every port method runs in one transaction (or one statement), so it
/// commits whole or not at all. On SQLite each write transaction begins
/// with its write, never with a read: a deferred transaction that reads
/// first and then writes can fail with `SQLITE_BUSY` without waiting on the
/// busy timeout when another connection committed in between.
///
/// On SQLite the writes of one process also take turns before they take a
/// connection (see [`Writer`]).
#[derive(Clone)]
pub struct DieselStore {
    pool: Pool,
    /// SQLite only: whose turn it is to write, in this process.
    write_turn: Option<Arc<Mutex<()>>>,
}

/// A pooled connection for a write transaction, holding this process's
/// SQLite write turn while it lives.
///
/// SQLite admits one writer at a time; the others wait in its busy handler,
/// which sleeps in steps that grow to 100 ms whatever happens meanwhile, so
/// 16 concurrent likes had a p99 of 36 ms and a maximum of 330 ms while each
/// write takes a fraction of a millisecond. Taking turns on a mutex first
/// wakes the next writer as soon as the previous one commits; the busy
/// timeout is left to writers in other processes. Taken before the
/// connection, so waiting writers do not hold connections readers need.
pub(crate) struct Writer<'a> {
    conn: PooledConnection,
    _turn: Option<MutexGuard<'a, ()>>,
}

impl std::ops::Deref for Writer<'_> {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Writer<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.pool.state();
        f.debug_struct("DieselStore")
            .field("connections", &state.connections)
            .field("idle", &state.idle_connections)
            .finish()
    }
}

/// Gives PostgreSQL statistics for every table that holds rows but was
/// never analysed. Without them the planner takes `status = 'PUBLISHED'`
/// and `agents.status = 'ACTIVE'` for rare, drives the feed from the agents
/// and sorts every post: 165 ms at 50,000 posts where the index walk takes
/// 0.24 ms, and seconds at a million. Analysing right after the migrations
/// of a fresh database would not help (its tables are empty then), and
/// autovacuum analyses only after its nap; a database loaded before
/// `serve` starts (a restore, a bulk import) is analysed here, at start.
fn analyze_unanalysed(conn: &mut diesel::pg::PgConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Holds {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        rows: bool,
    }
    let never: Vec<Table> = diesel::sql_query(
        "SELECT quote_ident(relname) AS name FROM pg_stat_user_tables \
         WHERE schemaname = current_schema() AND last_analyze IS NULL \
         AND last_autoanalyze IS NULL",
    )
    .load(conn)?;
    // Row counts in the statistics views lag behind recent writes; a
    // probe of the table does not.
    let mut loaded = Vec::new();
    for table in never {
        let holds: Holds = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM {}) AS rows",
            table.name
        ))
        .get_result(conn)?;
        if holds.rows {
            loaded.push(table.name);
        }
    }
    if !loaded.is_empty() {
        diesel::sql_query(format!("ANALYZE {}", loaded.join(", "))).execute(conn)?;
    }
    Ok(())
}

impl DieselStore {
    /// Opens a pool on the database. Opening does not migrate; call
    /// [`DieselStore::migrate`] (as `aispace serve` and `aispace migrate` do).
    pub fn open(url: &DatabaseUrl, options: PoolOptions) -> Result<Self, StoreError> {
        // One connection first: a database that is down or refuses us
        // fails at once with its own message, not after the pool's
        // timeout with that message wrapped in its own.
        r2d2::ManageConnection::connect(&ConnectionManager::new(url.clone()))
            .map_err(unavailable)?;
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size)
            .connection_timeout(options.connection_timeout)
            // `is_valid` is cheap unless the database failed recently.
            .test_on_check_out(true)
            .build(ConnectionManager::new(url.clone()))
            .map_err(unavailable)?;
        let write_turn = (!url.is_postgres()).then(|| Arc::new(Mutex::new(())));
        Ok(DieselStore { pool, write_turn })
    }

    /// Applies every pending migration; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConnection::Pg(c) => {
                // Diesel's harness checks what is applied, then applies the
                // rest, with no lock: processes starting together on one
                // database raced to create the same tables. A session
                // advisory lock lets one migrate while the others wait and
                // then find nothing left to do.
                use diesel::RunQueryDsl;
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                    .execute(c)
                    .map_err(unavailable)?;
                let applied = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.len());
                // Unlocked whether or not migrating worked: the pooled
                // connection lives on, and so would a held lock.
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .execute(c)
                    .map_err(unavailable)?;
                if applied.is_ok() {
                    analyze_unanalysed(c).map_err(unavailable)?;
                }
                applied
            }
        };
        applied.map_err(StoreError::Unavailable)
    }

    fn conn(&self) -> Result<PooledConnection, StoreError> {
        self.pool.get().map_err(unavailable)
    }

    /// A connection for a write: see [`Writer`].
    fn writer(&self) -> Result<Writer<'_>, StoreError> {
        // A writer that panicked rolled back; the turn is still good.
        let turn = self
            .write_turn
            .as_deref()
            .map(|turn| turn.lock().unwrap_or_else(PoisonError::into_inner));
        Ok(Writer {
            conn: self.conn()?,
            _turn: turn,
        })
    }
}

#[cfg(test)]
mod tests {
    use diesel::migration::MigrationSource;
    use diesel::pg::Pg;
    use diesel::sqlite::Sqlite;

    use super::*;

    #[test]
    fn migrations_are_one_history() {
        let names = |m: Vec<String>| m;
        let sqlite: Vec<String> = MigrationSource::<Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let pg: Vec<String> = MigrationSource::<Pg>::migrations(&POSTGRES_MIGRATIONS)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        assert!(!sqlite.is_empty());
        assert_eq!(names(sqlite), names(pg));
    }
}
