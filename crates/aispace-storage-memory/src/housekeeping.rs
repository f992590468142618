//! Blob claims, sweeps and purges, as the Diesel adapter keeps them.

use aispace_domain::model::{BlobKey, MediaSource, Timestamp};
use aispace_domain::ports::{
    BlobError, HousekeepingStore, PurgeHorizon, Purged, StoreError, SweepError,
};

use super::MemoryStore;

impl HousekeepingStore for MemoryStore {
    fn claim_blob(&self, key: &BlobKey, at: Timestamp) -> Result<(), StoreError> {
        self.state().blob_claims.insert(key.clone(), at);
        Ok(())
    }

    fn sweep_blob(
        &self,
        key: &BlobKey,
        stored_at: Timestamp,
        stale_before: Timestamp,
        delete: &mut dyn FnMut(&BlobKey) -> Result<(), BlobError>,
    ) -> Result<bool, SweepError> {
        // The store's one lock is held across the check and the delete, as
        // the claim row's lock is in the Diesel adapter.
        let mut state = self.state();
        let claimed_at = state.blob_claims.get(key).copied();
        if stored_at > stale_before || claimed_at.is_some_and(|at| at > stale_before) {
            return Ok(false);
        }
        let referenced = state.posts.values().any(|post| {
            post.media()
                .is_some_and(|m| matches!(&m.source, MediaSource::Blob { key: k, .. } if k == key))
        });
        if referenced {
            return Ok(false);
        }
        delete(key)?;
        state.blob_claims.remove(key);
        Ok(true)
    }

    fn purge(&self, horizon: &PurgeHorizon, batch: usize) -> Result<Purged, StoreError> {
        let mut state = self.state();
        let mut purged = Purged::default();
        state.idempotency.retain(|_, record| {
            let expired = record.created_at < horizon.idempotency_before
                && purged.idempotency_records < batch;
            purged.idempotency_records += usize::from(expired);
            !expired
        });
        for delivery in &mut state.deliveries {
            delivery.history.retain(|attempt| {
                let old = attempt.at < horizon.attempts_before && purged.delivery_attempts < batch;
                purged.delivery_attempts += usize::from(old);
                !old
            });
        }
        state.sessions.retain(|_, session| {
            let expired = session.expires_at < horizon.sessions_before && purged.sessions < batch;
            purged.sessions += usize::from(expired);
            !expired
        });
        Ok(purged)
    }
}
