//! Driver errors become port errors here, at the seam; nothing from Diesel
//! or r2d2 crosses into the domain.

use aispace_domain::Entity;
use aispace_domain::ports::{Conflict, StoreError};
use diesel::result::{DatabaseErrorKind, Error};

pub(crate) fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    trouble::record();
    StoreError::unavailable(err)
}

/// When the database last failed us. A connection the server dropped (a
/// restart, a failover, a network cut) fails only the statement that finds
/// out, and Diesel's pool would hand it out again and again; checking every
/// connection before use costs a round trip per request. So connections
/// are checked only for a while after a failure, when a dead one is likely
/// (see `ConnectionManager::is_valid`). Process-wide on purpose: a false
/// alarm from another pool costs a few `SELECT 1`, nothing else.
pub(crate) mod trouble {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    static EPOCH: OnceLock<Instant> = OnceLock::new();
    /// Milliseconds after `EPOCH`, plus one (0: no trouble yet).
    static LAST: AtomicU64 = AtomicU64::new(0);

    fn now_ms() -> u64 {
        let since = EPOCH.get_or_init(Instant::now).elapsed().as_millis();
        u64::try_from(since).unwrap_or(u64::MAX).saturating_add(1)
    }

    pub(crate) fn record() {
        LAST.store(now_ms(), Ordering::Relaxed);
    }

    pub(crate) fn within(window: Duration) -> bool {
        let last = LAST.load(Ordering::Relaxed);
        let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        last != 0 && now_ms().saturating_sub(last) <= window
    }
}

/// What a failed write means, given which uniqueness rule and which parent
/// row the statement could have broken.
pub(crate) struct WriteRules {
    pub unique: Option<Conflict>,
    pub parent: Option<Entity>,
}

pub(crate) fn write_error(err: Error, rules: WriteRules) -> StoreError {
    match (&err, rules) {
        (
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _),
            WriteRules {
                unique: Some(conflict),
                ..
            },
        ) => StoreError::Conflict(conflict),
        (
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _),
            WriteRules {
                parent: Some(entity),
                ..
            },
        ) => StoreError::NotFound(entity),
        _ => unavailable(err),
    }
}

/// A transaction body's error: either a port error decided inside, or a
/// driver error still to translate.
#[derive(Debug)]
pub(crate) enum TxError {
    Store(StoreError),
    Db(Error),
}

impl From<Error> for TxError {
    fn from(err: Error) -> Self {
        TxError::Db(err)
    }
}

impl From<StoreError> for TxError {
    fn from(err: StoreError) -> Self {
        TxError::Store(err)
    }
}

impl TxError {
    pub(crate) fn into_store(self) -> StoreError {
        match self {
            TxError::Store(err) => err,
            TxError::Db(err) => unavailable(err),
        }
    }
}

/// A transaction body's early exit: an outcome that must roll back what the
/// body wrote but is an answer, not a failure (a quota refusal), or an
/// error.
#[derive(Debug)]
pub(crate) enum Refusal<T> {
    Outcome(T),
    Error(TxError),
}

impl<T> From<Error> for Refusal<T> {
    fn from(err: Error) -> Self {
        Refusal::Error(TxError::Db(err))
    }
}

impl<T> From<StoreError> for Refusal<T> {
    fn from(err: StoreError) -> Self {
        Refusal::Error(TxError::Store(err))
    }
}

impl<T> Refusal<T> {
    /// The port's answer for a transaction that returned `Ok(done)` or
    /// exited early.
    pub(crate) fn settle(result: Result<T, Refusal<T>>) -> Result<T, StoreError> {
        match result {
            Ok(done) | Err(Refusal::Outcome(done)) => Ok(done),
            Err(Refusal::Error(err)) => Err(err.into_store()),
        }
    }
}
