//! The middleware every request goes through, outermost first:
//! [`observe`] (request id, panic containment, one access-log line) and
//! [`body_limit`] (refuses oversized bodies from their `Content-Length`
//! before a byte of them is read).

mod body_limit;
mod observe;

pub use body_limit::{BodyLimits, body_limit};
pub use observe::{RequestId, observe};
