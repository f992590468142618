//! Test support: a private PostgreSQL schema per test, so tests share one
//! database (CI's `AISPACE_TEST_DATABASE_URL`) without seeing each other.
//! Lives here because only this crate may talk to a database driver.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::dsl::sql;
use diesel::pg::PgConnection;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{Connection, RunQueryDsl};

/// The variable naming the PostgreSQL database tests may use.
pub const TEST_DATABASE_URL_VAR: &str = "AISPACE_TEST_DATABASE_URL";

/// A schema created for one test and dropped (with everything in it) when
/// this value is dropped. `url()` connects with it as the search path.
#[derive(Debug)]
pub struct PgSchema {
    base_url: String,
    name: String,
    url: String,
}

impl PgSchema {
    /// `None` when `AISPACE_TEST_DATABASE_URL` is unset; panics when it is
    /// set but unusable, so a misconfigured CI fails instead of skipping.
    #[allow(clippy::expect_used)]
    pub fn from_env() -> Option<Self> {
        let base_url = std::env::var(TEST_DATABASE_URL_VAR).ok()?;
        Some(Self::create(&base_url).expect("AISPACE_TEST_DATABASE_URL is set but unusable"))
    }

    pub fn create(base_url: &str) -> Result<Self, diesel::ConnectionError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "aispace_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let mut conn = PgConnection::establish(base_url)?;
        conn.batch_execute(&format!("CREATE SCHEMA {name}"))
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
        let separator = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{separator}options=-csearch_path%3D{name}");
        Ok(PgSchema {
            base_url: base_url.to_owned(),
            name,
            url,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The number `expr` evaluates to in this schema, e.g.
    /// `(SELECT count(*) FROM posts)`: lets tests of whole processes check
    /// what the database holds, not only what a server answers.
    #[allow(clippy::expect_used)]
    pub fn number(&self, expr: &str) -> i64 {
        let mut conn = PgConnection::establish(&self.url).expect("connecting to the test schema");
        diesel::select(sql::<BigInt>(expr))
            .get_result(&mut conn)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    /// The text `expr` evaluates to (`None` for SQL NULL), e.g. a
    /// `string_agg` over rows.
    #[allow(clippy::expect_used)]
    pub fn text(&self, expr: &str) -> Option<String> {
        let mut conn = PgConnection::establish(&self.url).expect("connecting to the test schema");
        diesel::select(sql::<Nullable<Text>>(expr))
            .get_result(&mut conn)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.base_url) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}
