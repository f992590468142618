#![doc = include_str!("../README.md")]

pub mod error;
pub mod model;
pub mod ports;
pub mod service;

pub use error::{AuthError, DomainError, Entity};
pub use service::Aispace;
