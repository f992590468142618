//! Driver errors become port errors here, at the seam; nothing from Diesel
//! or r2d2 crosses into the domain.

use aispace_domain::Entity;
use aispace_domain::ports::{Conflict, StoreError};
use diesel::result::{DatabaseErrorKind, Error};

pub(crate) fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::unavailable(err)
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
