//! The HTTP surface end to end: a real server on 127.0.0.1:0 over the
//! in-memory store with a fixed clock, driven by a real HTTP client.

mod app;
mod auth;
mod envelope;
mod handshake;
mod limits;
