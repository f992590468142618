//! The middleware every request goes through, outermost first:
//! [`close_unread`] (an answer that leaves a body unread closes the
//! connection), [`observe`] (request id, error answers written in the
//! envelope of the request's surface, panic containment, one access-log
//! line),
//! [`body_deadline`] (a body that has not arrived within its time is cut
//! and answered `REQUEST_TIMEOUT`) and [`body_limit`] (refuses oversized
//! bodies from their `Content-Length` before a byte of them is read, and
//! cuts streamed ones where the surface allows less than the extractors
//! do). Resources whose requests create or change something are wrapped
//! in [`idempotency`] besides.

mod body_deadline;
mod body_limit;
mod idempotency;
mod observe;

pub use body_deadline::{BodyDeadline, body_deadline, close_unread};
pub use body_limit::{BodyLimits, body_limit};
pub use idempotency::{fingerprint, idempotency};
pub use observe::{RequestId, observe};
