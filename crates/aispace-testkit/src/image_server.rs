//! Fixed routes on a loopback address for URL-mode tests, answering with a
//! status, a content type and a body, or redirecting, or hanging; served by
//! the [`LoopbackServer`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::loopback::{LoopbackServer, Reply};

#[derive(Debug, Clone)]
pub enum Route {
    /// Answer with this status, `Content-Type` and body.
    Respond {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// `302` to this location.
    Redirect(String),
    /// Accept, read the request, never answer.
    Hang,
    /// Answer like `Respond`, after a pause.
    Slow {
        delay: Duration,
        content_type: &'static str,
        body: Vec<u8>,
    },
}

#[derive(Debug)]
pub struct ImageServer {
    pub addr: SocketAddr,
    server: LoopbackServer,
}

impl ImageServer {
    /// Serves `routes` on `ip` (a loopback address) at a free port; any
    /// other path is 404.
    pub fn start(ip: IpAddr, routes: Vec<(&str, Route)>) -> std::io::Result<ImageServer> {
        let routes: HashMap<String, Route> =
            routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect();
        let server = LoopbackServer::serve(ip, move |request| match routes.get(&request.path) {
            Some(Route::Respond {
                status,
                content_type,
                body,
            }) => Reply::Raw {
                status: *status,
                content_type,
                body: body.clone(),
            },
            Some(Route::Redirect(location)) => Reply::Redirect(location.clone()),
            Some(Route::Hang) => Reply::After(Duration::from_secs(30), Box::new(Reply::Silent)),
            Some(Route::Slow {
                delay,
                content_type,
                body,
            }) => Reply::After(
                *delay,
                Box::new(Reply::Raw {
                    status: 200,
                    content_type,
                    body: body.clone(),
                }),
            ),
            None => Reply::Status(404),
        })?;
        Ok(ImageServer {
            addr: server.addr,
            server,
        })
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Connections accepted so far.
    pub fn hits(&self) -> usize {
        self.server.connections()
    }
}
