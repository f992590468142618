//! The storage contract for housekeeping: a blob is swept only when no
//! post references it and nobody stored or claimed it within the grace
//! period, never while a new post is being made with it; purges delete
//! only what is past its horizon, in bounded batches.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use aispace_domain::model::{BlobKey, EventType, ImageType, MediaSource, Timestamp};
use aispace_domain::ports::{
    Admission, BlobError, PurgeHorizon, Purged, Storage, SweepError, Takedown,
};

use crate::contract::{at, owner, pending, post, record, rule, session, social, with_author};

fn key_of(n: u64) -> BlobKey {
    BlobKey::for_content(&n.to_be_bytes(), ImageType::Png)
}

/// Sweeps `key` (stored at `at(0)`) with everything before `stale_before`
/// stale, deleting from `blobs`.
fn sweep(
    store: &dyn Storage,
    blobs: &Mutex<HashSet<BlobKey>>,
    key: &BlobKey,
    stale_before: Timestamp,
) -> bool {
    store
        .sweep_blob(key, at(0), stale_before, &mut |k| {
            blobs.lock().unwrap().remove(k);
            Ok(())
        })
        .unwrap()
}

pub fn a_blob_is_swept_only_when_unreferenced_unclaimed_and_past_its_grace(store: &dyn Storage) {
    let (author, _, _, posts) = social(store, 1);
    let blobs = Mutex::new(HashSet::from([key_of(0), key_of(77)]));
    let MediaSource::Blob { key: used, .. } = &posts[0].media().unwrap().source else {
        panic!("an uploaded image");
    };
    assert_eq!(used, &key_of(0));

    // Referenced by a post: kept, whatever its age.
    assert!(!sweep(store, &blobs, used, at(1_000_000)));
    // Stored after the horizon: kept.
    assert!(
        !store
            .sweep_blob(&key_of(77), at(500), at(400), &mut |_| panic!(
                "not deleted"
            ))
            .unwrap()
    );
    // Claimed after the horizon: kept.
    store.claim_blob(&key_of(77), at(600)).unwrap();
    assert!(!sweep(store, &blobs, &key_of(77), at(599)));
    // A failed delete keeps the claim: the next sweep tries again.
    let failed = store.sweep_blob(&key_of(77), at(0), at(601), &mut |_| {
        Err(BlobError::new(std::io::Error::other("bucket unreachable")))
    });
    assert!(matches!(failed, Err(SweepError::Blob(_))));
    assert!(!sweep(store, &blobs, &key_of(77), at(599)));
    // Unreferenced, claimed and stored before the horizon: deleted.
    assert!(sweep(store, &blobs, &key_of(77), at(601)));
    assert!(!blobs.lock().unwrap().contains(&key_of(77)));

    // A deleted post's image goes at the next sweep.
    store
        .delete_post(&posts[0].id, Takedown::Author(&author.id), at(700))
        .unwrap()
        .unwrap();
    assert!(sweep(store, &blobs, used, at(1_000_000)));
    assert!(blobs.lock().unwrap().is_empty());
}

pub fn a_blob_reused_while_it_is_swept_survives(store: &dyn Storage) {
    const N: u64 = 40;
    let author = with_author(store);
    let blobs: Arc<Mutex<HashSet<BlobKey>>> = Arc::new(Mutex::new((0..N).map(key_of).collect()));
    let start = Barrier::new(2);
    // The sweeper finds every blob old and unreferenced as it starts; the
    // poster reuses each for a new post at the same time. Whatever the
    // interleaving, a post's image must exist when both are done.
    thread::scope(|s| {
        s.spawn(|| {
            start.wait();
            for n in 0..N {
                store
                    .sweep_blob(&key_of(n), at(0), at(1_000), &mut |k| {
                        blobs.lock().unwrap().remove(k);
                        Ok(())
                    })
                    .unwrap();
            }
        });
        s.spawn(|| {
            start.wait();
            for n in (0..N).rev() {
                store.claim_blob(&key_of(n), at(2_000)).unwrap();
                // Content-addressed: stored again only when missing.
                blobs.lock().unwrap().insert(key_of(n));
                let made = post(n, &author, 2_000 + n as i64, None);
                assert_eq!(
                    store
                        .insert_post(&made, rule(1_000), None, &pending(EventType::PostCreated))
                        .unwrap(),
                    Admission::Admitted
                );
            }
        });
    });
    let left = blobs.lock().unwrap();
    for n in 0..N {
        assert!(left.contains(&key_of(n)), "post {n} lost its image");
    }
}

pub fn purges_delete_only_what_is_past_its_horizon_in_batches(store: &dyn Storage) {
    let person = owner(7_700, "purged");
    store.insert_owner(&person).unwrap();
    for (hash, expires_ms) in [(0x71, 1_000), (0x72, 2_000), (0x73, 9_000)] {
        store
            .insert_session(&session(hash, &person.owner, expires_ms))
            .unwrap();
    }
    let author = with_author(store);
    for (n, created_ms) in [(1, 100), (2, 200), (3, 9_000)] {
        let made = post(n, &author, created_ms, None);
        let held = record(&author, &format!("key-{n}"), &made, b"same", created_ms);
        store
            .insert_post(
                &made,
                rule(1_000),
                Some((&held, at(0))),
                &pending(EventType::PostCreated),
            )
            .unwrap();
    }
    let horizon = PurgeHorizon {
        idempotency_before: at(5_000),
        attempts_before: at(5_000),
        sessions_before: at(5_000),
    };
    let first = store.purge(&horizon, 1).unwrap();
    assert_eq!(
        first,
        Purged {
            idempotency_records: 1,
            delivery_attempts: 0,
            sessions: 1,
        }
    );
    assert_eq!(store.purge(&horizon, 10).unwrap().total(), 2);
    assert_eq!(store.purge(&horizon, 10).unwrap(), Purged::default());
    // What is left is what was younger than the horizon.
    assert!(store.session(&[0x73; 32], at(0)).unwrap().is_some());
    assert!(
        store
            .idempotency_record(
                &author.id,
                &aispace_domain::model::IdempotencyKey::parse("key-3").unwrap(),
                at(0)
            )
            .unwrap()
            .is_some()
    );
}
