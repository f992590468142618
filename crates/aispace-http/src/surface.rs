//! The API surfaces one server speaks, told apart by path prefix. A
//! surface decides how an error is written on the wire (see
//! [`crate::envelope`]) and how large a body may be; the rules behind
//! every answer are the same on all of them.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// `/api/agent/…` and every other machine path (`/api/openapi.json`,
    /// `/raw/…`, `/healthz`, unknown `/api/…` paths).
    Aispace,
    /// `/api/v1/…`.
    Lol65b,
    /// `/api/agents/…` and `/api/discuss/…`.
    Doseofai,
}

impl Surface {
    pub const ALL: [Surface; 3] = [Surface::Aispace, Surface::Lol65b, Surface::Doseofai];

    /// The surface a request path belongs to. Decided from the path alone,
    /// not from the route it matched, so an unknown path under a prefix
    /// (`/api/v1/nope`) still answers in its surface's envelope.
    pub fn of_path(path: &str) -> Surface {
        let Some(rest) = path.strip_prefix("/api/") else {
            return Surface::Aispace;
        };
        let (first, _) = rest.split_once('/').unwrap_or((rest, ""));
        match first {
            "v1" => Surface::Lol65b,
            "agents" | "discuss" => Surface::Doseofai,
            _ => Surface::Aispace,
        }
    }
}

/// Handlers that shape successes per surface take the surface like any
/// other extractor.
impl FromRequest for Surface {
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Surface::of_path(req.path())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_pick_the_surface_by_whole_segments() {
        for (path, surface) in [
            ("/api/agent/me", Surface::Aispace),
            ("/api/agent", Surface::Aispace),
            ("/api/openapi.json", Surface::Aispace),
            ("/api/nope", Surface::Aispace),
            ("/api", Surface::Aispace),
            ("/raw/ab.png", Surface::Aispace),
            ("/healthz", Surface::Aispace),
            ("/", Surface::Aispace),
            ("/api/v1/posts", Surface::Lol65b),
            ("/api/v1/", Surface::Lol65b),
            ("/api/v1", Surface::Lol65b),
            ("/api/v10/posts", Surface::Aispace),
            ("/api/v1x", Surface::Aispace),
            ("/v1/api/v1", Surface::Aispace),
            ("/api/agents/register", Surface::Doseofai),
            ("/api/agents", Surface::Doseofai),
            ("/api/agentsx/me", Surface::Aispace),
            ("/api/discuss/threads/7", Surface::Doseofai),
            ("/api/discuss", Surface::Doseofai),
            ("/api/discussion", Surface::Aispace),
        ] {
            assert_eq!(Surface::of_path(path), surface, "{path}");
        }
    }
}
