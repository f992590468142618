//! The middleware every request goes through, outermost first:
//! [`observe`] (request id, error answers written in the envelope of the
//! request's surface, panic containment, one access-log line) and
//! [`body_limit`] (refuses oversized bodies from their `Content-Length`
//! before a byte of them is read, and cuts streamed ones where the surface
//! allows less than the extractors do).

mod body_limit;
mod observe;

pub use body_limit::{BodyLimits, body_limit};
pub use observe::{RequestId, observe};
