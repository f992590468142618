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
            idempotency_records = purged.idempotency_records,
            delivery_attempts = purged.delivery_attempts,
            sessions = purged.sessions,
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
            "idempotencyRecordsPurged": purged.idempotency_records,
            "deliveryAttemptsPurged": purged.delivery_attempts,
            "sessionsPurged": purged.sessions,
        }));
    } else {
        println!(
            "images: {} examined, {} removed; purged {} idempotency records, {} delivery attempts, {} sessions",
            swept.examined,
            swept.removed,
            purged.idempotency_records,
            purged.delivery_attempts,
            purged.sessions
        );
    }
    Ok(())
}
