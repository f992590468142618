use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::{self, Bytes};
use futures_util::{Stream, StreamExt};

use crate::error::{ApiError, ErrorCode};

/// How long a request's body may take to arrive, counted from the moment
/// its head was read. A client that sends a few bytes a second would
/// otherwise hold its connection, and whatever was read of the body, for
/// as long as it likes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDeadline(pub Duration);

impl Default for BodyDeadline {
    /// A 5 MiB image at 1.5 Mbit/s.
    fn default() -> Self {
        BodyDeadline(Duration::from_secs(30))
    }
}

/// Cuts a body that has not arrived in full within [`BodyDeadline`] and
/// answers `REQUEST_TIMEOUT` (408), whoever was reading it: an extractor
/// or a handler sees a failed read and answers what it answers for one
/// (a malformed multipart body, an unreadable JSON body), and that answer
/// is replaced here, so every surface and reader times out alike. The
/// connection is closed after it: the rest of the body is not waited for.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if matches!(req.parts().1, Payload::None) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let limit = req
        .app_data::<web::Data<BodyDeadline>>()
        .map_or_else(BodyDeadline::default, |d| *d.get_ref());
    let expired = Rc::new(Cell::new(false));
    let (_, payload) = req.parts_mut();
    let timed = Timed {
        inner: payload.take(),
        timer: Box::pin(sleep(limit.0)),
        expired: expired.clone(),
    };
    *payload = Payload::Stream {
        payload: Box::pin(timed),
    };
    let response = next.call(req).await?.map_into_boxed_body();
    if !expired.get() {
        return Ok(response);
    }
    let error = ApiError::new(
        ErrorCode::RequestTimeout,
        format!(
            "the request body did not arrive within {} s",
            limit.0.as_secs_f64()
        ),
    );
    let mut answer = error.error_response();
    answer.head_mut().set_connection_type(ConnectionType::Close);
    let (req, _) = response.into_parts();
    Ok(ServiceResponse::new(req, answer))
}

/// A body stream that fails once its timer has run out, and reads nothing
/// more after that.
struct Timed {
    inner: Payload,
    timer: Pin<Box<Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for Timed {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.get() {
            return Poll::Ready(None);
        }
        // The timer first: a client dripping bytes always has one ready,
        // and must not be read past its time for it.
        if self.timer.as_mut().poll(cx).is_ready() {
            self.expired.set(true);
            self.inner = Payload::None;
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body took too long",
            )))));
        }
        self.inner.poll_next_unpin(cx)
    }
}
