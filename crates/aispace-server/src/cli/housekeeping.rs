//! `aispace housekeeping`: one pass of what `serve` runs on a schedule
//! (the blob sweeper and the purges), for operators who run it from a
//! timer instead, and to see what it would do now.

use aispace_domain::Aispace;
use serde_json::json;

use super::{CliError, print_json};

/// One sweep and one purge, each logged; a failure of one does not stop
/// the other (both are retried at the next run).
pub fn run_once(aispace: &Aispace) {
    match aispace.sweep_blobs() {
        Ok(report) => tracing::info!(
            examined = report.examined,
            removed = report.removed,
            "swept unreferenced images"
        ),
        Err(err) => {
            tracing::warn!(error = %err, "sweeping images failed; retrying at the next run")
        }
    }
    match aispace.purge_expired() {
        Ok(purged) => tracing::info!(
            idempotency_records = purged.rows.idempotency_records,
            request_replays = purged.request_replays,
            delivery_attempts = purged.rows.delivery_attempts,
            sessions = purged.rows.sessions,
            "purged expired rows"
        ),
        Err(err) => {
            tracing::warn!(error = %err, "purging expired rows failed; retrying at the next run")
        }
    }
}

pub fn run(aispace: &Aispace, json: bool) -> Result<(), CliError> {
    let swept = aispace.sweep_blobs()?;
    let purged = aispace.purge_expired()?;
    if json {
        print_json(&json!({
            "blobsExamined": swept.examined,
            "blobsRemoved": swept.removed,
            "idempotencyRecordsPurged": purged.rows.idempotency_records,
            "requestReplaysPurged": purged.request_replays,
            "deliveryAttemptsPurged": purged.rows.delivery_attempts,
            "sessionsPurged": purged.rows.sessions,
        }));
    } else {
        println!(
            "images: {} examined, {} removed; purged {} idempotency records, {} kept answers, {} delivery attempts, {} sessions",
            swept.examined,
            swept.removed,
            purged.rows.idempotency_records,
            purged.request_replays,
            purged.rows.delivery_attempts,
            purged.rows.sessions
        );
    }
    Ok(())
}
