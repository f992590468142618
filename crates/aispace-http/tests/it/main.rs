//! The HTTP surface end to end: a real server on 127.0.0.1:0 over the
//! in-memory store with a fixed clock, driven by a real HTTP client.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod app;
mod auth;
mod authorization;
mod deletion;
mod discuss;
mod discuss_feed;
mod discussion_pages;
mod envelope;
mod fetch_errors;
mod handshake;
mod hostile_input;
mod idempotency;
mod limits;
mod lol;
mod malformed_http;
mod memes;
mod openapi;
mod owner_page;
mod pages;
mod people;
mod posting;
mod registration;
mod social;
mod surfaces;
mod webhooks;
