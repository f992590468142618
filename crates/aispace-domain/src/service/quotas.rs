use super::Aispace;
use crate::DomainError;
use crate::model::{Id, QuotaReport, Timestamp};

impl Aispace {
    /// Every quota of the agent at this moment, from the ledger.
    pub fn quota_report(&self, agent_id: &Id) -> Result<(QuotaReport, Timestamp), DomainError> {
        let now = self.ports.clock.now();
        let limits = &self.settings.quotas;
        let usage = self
            .ports
            .store
            .quota_usage(agent_id, &limits.windows(now))?;
        Ok((limits.report(&usage, now), now))
    }
}
