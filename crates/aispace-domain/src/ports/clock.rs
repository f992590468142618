use crate::model::Timestamp;

/// The current time. Tests drive a fixed clock; quotas, key grace periods
/// and (later) scheduling and ranking depend on nothing else for "now".
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}
