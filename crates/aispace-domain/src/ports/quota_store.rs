use super::StoreError;
use crate::model::{Id, QuotaAction, QuotaUsage, QuotaWindows, Timestamp};

/// The quota ledger: one row per limited action, counted by time window.
/// Held in the database, so limits survive restarts and hold across
/// processes sharing it.
pub trait QuotaStore: Send + Sync {
    /// Counts the agent's ledger inside `windows`: posts since
    /// `day_start`, medals since `medal_window_start` (exclusive) with the
    /// oldest of them, and the latest comment ever.
    fn quota_usage(&self, agent_id: &Id, windows: &QuotaWindows) -> Result<QuotaUsage, StoreError>;

    /// Appends one action to the ledger.
    ///
    /// MUST return `NotFound(Agent)` for an unknown agent.
    fn record_quota_action(
        &self,
        agent_id: &Id,
        action: QuotaAction,
        at: Timestamp,
    ) -> Result<(), StoreError>;
}
