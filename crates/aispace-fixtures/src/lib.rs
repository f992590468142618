//! What tests and the bench send and read, built in code so that neither
//! needs fixture files: images ([`images`]) and HTTP/1.1 messages
//! ([`http`]).
//!
//! It stands apart from `aispace-testkit` (which re-exports both modules)
//! because the bench uses them too, and the test world's dependencies
//! (every adapter) would otherwise be built before the bench could start.

pub mod http;
pub mod images;
