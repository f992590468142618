#![allow(clippy::unwrap_used, clippy::expect_used)]

mod answers;
mod forbidden;
mod limits;
mod request;
mod support;
