//! The Diesel adapter against the shared storage contract: always on a
//! temporary SQLite file, and on PostgreSQL when `AISPACE_TEST_DATABASE_URL`
//! is set (each test in a schema of its own, dropped afterwards).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use aispace_domain::ports::Storage;
use aispace_storage_diesel::{DatabaseUrl, DieselStore, PoolOptions};
use aispace_testkit::StorageFixture;

mod sqlite {
    use super::*;

    pub struct SqliteFixture {
        store: DieselStore,
        _dir: tempfile::TempDir,
    }

    impl StorageFixture for SqliteFixture {
        fn storage(&self) -> &dyn Storage {
            &self.store
        }
    }

    fn fresh() -> SqliteFixture {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("nested/dir/aispace.db"));
        let store = DieselStore::open(&url, PoolOptions::default()).unwrap();
        assert!(store.migrate().unwrap() > 0);
        assert_eq!(store.migrate().unwrap(), 0, "migrating twice is a no-op");
        SqliteFixture { store, _dir: dir }
    }

    aispace_testkit::storage_contract!(fresh());
}

mod postgres {
    use super::*;

    aispace_testkit::storage_contract!(optional: aispace_storage_diesel::pg_schema::PgSchema::from_env().map(|schema| {
        let url = DatabaseUrl::parse(schema.url()).unwrap();
        let store = DieselStore::open(&url, PoolOptions { max_size: 4, ..PoolOptions::default() }).unwrap();
        store.migrate().unwrap();
        PgFixture { store, _schema: schema }
    }));

    pub struct PgFixture {
        store: DieselStore,
        _schema: aispace_storage_diesel::pg_schema::PgSchema,
    }

    impl StorageFixture for PgFixture {
        fn storage(&self) -> &dyn Storage {
            &self.store
        }
    }
}
