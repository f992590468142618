use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::ResponseError;
use actix_web::body::{BodySize, BoxBody, MessageBody};
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
    /// A 5 MiB image at 1.4 Mbit/s.
    fn default() -> Self {
        BodyDeadline(Duration::from_secs(30))
    }
}

/// Cuts a body that has not arrived in full within [`BodyDeadline`] and
/// answers `REQUEST_TIMEOUT` (408), whoever was reading it: an extractor
/// or a handler sees a failed read and answers what it answers for one
/// (a malformed multipart body, an unreadable JSON body), and that answer
/// is replaced here, so every surface and reader times out alike.
///
/// A body left unread, cut here or refused before it was read (a wrong
/// key, no upload slot, over its limit), is left on the answer for
/// [`close_unread`].
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
    let watch = Rc::new(Watch::default());
    let (_, payload) = req.parts_mut();
    let timed = Timed {
        inner: payload.take(),
        timer: Box::pin(sleep(limit.0)),
        watch: watch.clone(),
        done: false,
    };
    *payload = Payload::Stream {
        payload: Box::pin(timed),
    };
    let mut response = next.call(req).await?.map_into_boxed_body();
    if watch.expired.get() {
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
        response = ServiceResponse::new(req, answer);
    }
    if let Some(unread) = watch.unread.take() {
        response
            .response_mut()
            .extensions_mut()
            .insert(UnreadBody { body: unread });
    }
    Ok(response)
}

/// What the middleware learns from the body stream it put in the request.
#[derive(Default)]
struct Watch {
    expired: Cell<bool>,
    /// The connection's body, if it was dropped before its end.
    unread: Cell<Option<Payload>>,
}

/// A body left unread, riding on its answer until that is written.
struct UnreadBody {
    body: Payload,
}

/// Keeps a body left unread (see [`body_deadline`]) alive inside its
/// answer's body until that has been written: actix then closes the
/// connection. Dropped earlier, a chunked body would be read to its end,
/// at whatever pace the client sends it, before the connection closed.
/// The outermost middleware, because `observe` replaces the bodies of
/// error answers when it writes their envelope.
pub async fn close_unread(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut response = next.call(req).await?.map_into_boxed_body();
    let unread = response
        .response_mut()
        .extensions_mut()
        .remove::<UnreadBody>();
    Ok(match unread {
        Some(UnreadBody { body: unread }) => response.map_body(|_, body| {
            BoxBody::new(Holding {
                body,
                _unread: unread,
            })
        }),
        None => response,
    })
}

/// An answer's body, holding the request's unread body until its end.
struct Holding {
    body: BoxBody,
    _unread: Payload,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// A body stream that fails once its timer has run out, and reads nothing
/// more after that.
struct Timed {
    inner: Payload,
    timer: Pin<Box<Sleep>>,
    watch: Rc<Watch>,
    /// The body was read to its end, or failed.
    done: bool,
}

impl Stream for Timed {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.watch.expired.get() {
            return Poll::Ready(None);
        }
        // The timer first: a client dripping bytes always has one ready,
        // and must not be read past its time for it.
        if self.timer.as_mut().poll(cx).is_ready() {
            self.watch.expired.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body took too long",
            )))));
        }
        let polled = self.inner.poll_next_unpin(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.done = true;
        }
        polled
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        if !self.done {
            self.watch.unread.set(Some(Payload::take(&mut self.inner)));
        }
    }
}
