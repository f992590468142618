//! Several processes starting at once on one PostgreSQL database each run
//! the migrations: exactly one applies them, the others find them applied.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::Barrier;

use aispace_storage_diesel::pg_schema::PgSchema;
use aispace_storage_diesel::{DatabaseUrl, DieselStore, PoolOptions};

#[test]
fn concurrent_migrations_on_postgres_apply_each_migration_once() {
    let Some(schema) = PgSchema::from_env() else {
        println!("SKIPPED: AISPACE_TEST_DATABASE_URL is not set");
        return;
    };
    const STARTING: usize = 6;
    let url = DatabaseUrl::parse(schema.url()).unwrap();
    let stores: Vec<DieselStore> = (0..STARTING)
        .map(|_| {
            DieselStore::open(
                &url,
                PoolOptions {
                    max_size: 1,
                    ..PoolOptions::default()
                },
            )
            .unwrap()
        })
        .collect();
    let barrier = Barrier::new(STARTING);
    let applied: Vec<usize> = std::thread::scope(|scope| {
        let runs: Vec<_> = stores
            .iter()
            .map(|store| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    store.migrate().expect("every process starts")
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let total: usize = applied.iter().sum();
    assert!(total > 0);
    assert_eq!(
        applied.iter().filter(|&&n| n == total).count(),
        1,
        "one process applied every migration, the others none: {applied:?}"
    );
    assert_eq!(stores[0].migrate().unwrap(), 0);
}
