#![doc = include_str!("../README.md")]

pub mod auth_failures;
mod client_address;
pub mod dto;
pub mod envelope;
pub mod error;
pub mod extract;
pub mod mcp;
pub mod middleware;
pub mod openapi;
pub mod pages;
mod post_form;
mod posting_pool;
pub mod rate_limit;
mod redact;
pub mod request_guard;
pub mod routes;
pub mod server;
pub mod state;
pub mod surface;

pub use client_address::client_address;
pub use error::{ApiError, ErrorCode};
pub use server::{ServerOptions, run, run_with};
pub use state::{ApiState, Lanes, PublicUrls};
pub use surface::Surface;
