use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

use crate::DatabaseUrl;

/// One connection to either database; queries written once against it run
/// on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside a
/// [`DbConnection`], type-checking it once per database: still one query in
/// the source. For the hottest statements only: through the MultiConnection
/// a statement's SQL is rendered again on every execution (to wrap it, to
/// key the statement cache, to collect its binds), while on the concrete
/// connection a statically typed statement is found in the cache by its
/// type and its SQL is never rendered again.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConnection::Sqlite($c) => $body,
            $crate::DbConnection::Pg($c) => $body,
        }
    };
}
pub(crate) use per_backend;

impl std::fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DbConnection::Sqlite(_) => "DbConnection::Sqlite",
            DbConnection::Pg(_) => "DbConnection::Pg",
        })
    }
}

/// Applied to every SQLite connection:
/// - WAL: readers never block the writer, nor the writer readers.
/// - busy_timeout: a writer waits up to 5 s for another instead of failing.
/// - foreign_keys: SQLite leaves them off unless asked, per connection.
/// - synchronous=NORMAL: with WAL, a commit survives a crash of the process
///   (SIGKILL); only a power loss can drop the last transactions.
/// - journal_size_limit: the WAL file grows while readers keep a
///   checkpoint from restarting it (a busy server's normal state); once a
///   checkpoint does, the file is cut back to 64 MiB instead of keeping
///   its peak size (2 GiB after a bench's seeding) on disk for good.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL;
PRAGMA busy_timeout = 5000;
PRAGMA foreign_keys = ON;
PRAGMA synchronous = NORMAL;
PRAGMA journal_size_limit = 67108864;";

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("could not create the directory of the SQLite file: {0}")]
    Directory(#[from] std::io::Error),
}

/// How long after a database failure connections are checked before use.
const CHECK_AFTER_TROUBLE: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub(crate) struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub(crate) fn new(url: DatabaseUrl) -> Self {
        ConnectionManager { url }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => Ok(DbConnection::Pg(PgConnection::establish(url)?)),
        }
    }

    /// Runs on every checkout, but asks the database only for a while
    /// after a failure: then each pooled connection proves it is alive
    /// before a request gets it, and dead ones are replaced, so the pool
    /// recovers as soon as the database is back.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        if crate::errors::trouble::within(CHECK_AFTER_TROUBLE) {
            conn.batch_execute("SELECT 1")?;
        }
        Ok(())
    }

    /// A connection whose transaction could not be closed (its rollback
    /// failed) is not reused.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}
