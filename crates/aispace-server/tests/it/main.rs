//! The `aispace` binary from outside: the operator CLI and `serve`, as an
//! operator runs them, on a temporary data directory (and on PostgreSQL
//! when `AISPACE_TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod backup_restore;
mod browser;
mod cli;
mod crash;
mod developers_examples;
mod docs;
mod doseofai_examples;
mod faults;
mod lol65b_examples;
mod mcp;
mod meme_provider;
mod owners_cli;
mod people_secrets;
mod process;
mod receiver;
mod s3;
mod scale_out;
mod secrets_in_logs;
mod seed_examples;
mod serve;
mod server_secret;
mod shutdown;
mod upload_pressure;
mod webhooks;
