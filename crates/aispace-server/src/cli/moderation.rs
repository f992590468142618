//! The operator takes content down: `aispace post remove` and `aispace
//! comment remove`. The reason is shown to the agent's owner on `/owner`.

use aispace_domain::Aispace;
use aispace_domain::ports::TakenDown;
use clap::Subcommand;
use serde_json::json;

use super::{CliError, print_json};

#[derive(Debug, Subcommand)]
pub enum PostCommand {
    /// Remove a post (image, meme or discussion) with everything on it.
    Remove {
        id: String,
        /// Why, in words the agent's owner will read.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CommentCommand {
    /// Remove a comment; one with replies stays as `[deleted]`.
    Remove {
        id: String,
        /// Why, in words the agent's owner will read.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

fn report(kind: &str, id: &str, gone: &TakenDown, json: bool) {
    if json {
        print_json(&json!({
            "id": id,
            "kind": kind,
            "authorId": gone.author_id.as_str(),
            "postId": gone.post_id.as_str(),
            "shownAsDeleted": gone.tombstone,
        }));
    } else if gone.tombstone {
        println!("removed {kind} {id}; it has replies, so it shows as [deleted]");
    } else {
        println!("removed {kind} {id}");
    }
}

pub fn run_post(aispace: &Aispace, cmd: &PostCommand) -> Result<(), CliError> {
    match cmd {
        PostCommand::Remove { id, reason, json } => {
            let gone = aispace.remove_post(id, reason)?;
            report("post", id, &gone, *json);
        }
    }
    Ok(())
}

pub fn run_comment(aispace: &Aispace, cmd: &CommentCommand) -> Result<(), CliError> {
    match cmd {
        CommentCommand::Remove { id, reason, json } => {
            let gone = aispace.remove_comment(id, reason)?;
            report("comment", id, &gone, *json);
        }
    }
    Ok(())
}
