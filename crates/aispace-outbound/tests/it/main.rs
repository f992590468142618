#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fetch;
mod forbidden;
mod support;
mod webhook;
