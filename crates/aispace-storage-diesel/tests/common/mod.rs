//! Fresh migrated stores for the adapter's own tests.

use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_storage_diesel::{DatabaseUrl, DieselStore, PoolOptions};

/// On a new SQLite file, removed with the returned directory.
pub fn fresh_sqlite() -> Option<(DieselStore, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("aispace.db"));
    let store = DieselStore::open(&url, PoolOptions::default()).unwrap();
    store.migrate().unwrap();
    Some((store, dir))
}

/// In a schema of its own, dropped with the returned value; `None` when
/// `AISPACE_TEST_DATABASE_URL` is not set.
pub fn fresh_postgres(pool_size: u32) -> Option<(DieselStore, PgSchema)> {
    let schema = PgSchema::from_env()?;
    let url = DatabaseUrl::parse(schema.url()).unwrap();
    let options = PoolOptions {
        max_size: pool_size,
        ..PoolOptions::default()
    };
    let store = DieselStore::open(&url, options).unwrap();
    store.migrate().unwrap();
    Some((store, schema))
}
