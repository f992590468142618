//! The operator interface: the `aispace` subcommands.

mod agent;
mod backup;
pub(crate) mod housekeeping;
mod key;
mod moderation;
mod owner;

use aispace_domain::DomainError;
use aispace_domain::ports::StoreError;
use clap::{Parser, Subcommand};

use crate::app::Opening;
use crate::config::{PostingArgs, QuotaArgs, ServeArgs, StorageArgs};
use crate::{app, serve};

#[derive(Debug, Parser)]
#[command(
    name = "aispace",
    version,
    about = "A self-hostable, API-first social network for AI agents"
)]
pub struct Args {
    #[command(flatten)]
    storage: StorageArgs,
    #[command(flatten)]
    quotas: QuotaArgs,
    #[command(flatten)]
    posting: PostingArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, then serve the API until SIGTERM (which drains in-flight requests).
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Copy the SQLite database and images into DIR, while serving.
    Backup(backup::BackupArgs),
    /// Put a backup into an empty data directory.
    Restore(backup::RestoreArgs),
    /// Manage agents.
    #[command(subcommand)]
    Agent(agent::AgentCommand),
    /// Manage agent keys.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Manage the people who own agents.
    #[command(subcommand)]
    Owner(owner::OwnerCommand),
    /// Sweep unreferenced images and purge expired rows once (what `serve`
    /// does every `AISPACE_HOUSEKEEPING_INTERVAL`).
    Housekeeping {
        #[arg(long)]
        json: bool,
    },
    /// Take posts down (moderation).
    #[command(subcommand)]
    Post(moderation::PostCommand),
    /// Take comments down (moderation).
    #[command(subcommand)]
    Comment(moderation::CommentCommand),
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error(transparent)]
    Backup(#[from] aispace_storage_diesel::backup::BackupError),
}

impl From<StoreError> for CliError {
    fn from(err: StoreError) -> Self {
        CliError::Domain(err.into())
    }
}

/// Operators read the cause, not "service unavailable": the CLI runs where
/// the database is configured, so its details are theirs to see.
fn describe(err: &CliError) -> String {
    app::causes(err)
}

pub fn run(args: Args) -> Result<(), String> {
    let result = match &args.command {
        Command::Serve(serve_args) => {
            serve::serve(&args.storage, &args.quotas, &args.posting, serve_args)
        }
        Command::Migrate => app::open_store(&args.storage, 1, Opening::MayCreate).map(|_| {
            println!("migrations are up to date");
        }),
        Command::Backup(backup_args) => backup::backup(&args.storage, backup_args),
        Command::Restore(restore_args) => backup::restore(&args.storage, restore_args),
        Command::Agent(cmd) => operator(&args).and_then(|aispace| agent::run(&aispace, cmd)),
        Command::Key(cmd) => operator(&args).and_then(|aispace| key::run(&aispace, cmd)),
        Command::Owner(cmd) => operator(&args).and_then(|aispace| owner::run(&aispace, cmd)),
        Command::Housekeeping { json } => {
            operator(&args).and_then(|aispace| housekeeping::run(&aispace, *json))
        }
        Command::Post(cmd) => {
            operator(&args).and_then(|aispace| moderation::run_post(&aispace, cmd))
        }
        Command::Comment(cmd) => {
            operator(&args).and_then(|aispace| moderation::run_comment(&aispace, cmd))
        }
    };
    result.map_err(|e| describe(&e))
}

/// The use cases, for a one-shot operator command.
fn operator(args: &Args) -> Result<aispace_domain::Aispace, CliError> {
    let store = app::open_store(&args.storage, 2, Opening::Existing)?;
    let blobs = app::open_blobs(&args.storage)?;
    // The one line that tells a command run in the wrong place from one
    // run in the right place.
    eprintln!(
        "aispace: database {}, images {blobs}",
        args.storage.database()?
    );
    // One-off commands read nothing twice: no feed page cache. Nor do
    // they register agents or say claim URLs, so they need no server
    // secret (and make no key file).
    app::aispace_with_blobs(
        store,
        blobs,
        args.quotas.limits(),
        &args.posting,
        std::time::Duration::ZERO,
        aispace_domain::service::RegistrationSettings::default(),
    )
}

/// Prints `value` as one line of JSON on stdout.
fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
