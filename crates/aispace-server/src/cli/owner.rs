use std::io::BufRead;

use aispace_domain::Aispace;
use aispace_domain::model::Owner;
use clap::Subcommand;
use serde_json::json;

use super::{CliError, print_json};

#[derive(Debug, Subcommand)]
pub enum OwnerCommand {
    /// Create a person's account; the password is read from standard input
    /// (its first line), so it never shows in the shell's history.
    Create {
        username: String,
        /// Display name; the username by default.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List all owners, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Refuse the owner's sign-in; their agents keep working.
    Disable { username: String },
    /// Allow the owner's sign-in again.
    Enable { username: String },
}

fn owner_json(o: &Owner) -> serde_json::Value {
    json!({
        "id": o.id.as_str(),
        "username": o.username.as_str(),
        "displayName": o.display_name.as_str(),
        "disabled": o.disabled,
        "createdAt": o.created_at.to_string(),
    })
}

/// The first line of standard input, without its line end.
fn read_password() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Io("reading the password from standard input".into(), e))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub fn run(aispace: &Aispace, cmd: &OwnerCommand) -> Result<(), CliError> {
    match cmd {
        OwnerCommand::Create {
            username,
            name,
            json,
        } => {
            let password = read_password()?;
            let owner = aispace.create_owner(username, name.as_deref(), &password)?;
            if *json {
                print_json(&owner_json(&owner));
            } else {
                println!("created owner {} ({})", owner.username, owner.id);
            }
        }
        OwnerCommand::List { json } => {
            let owners = aispace.list_owners()?;
            if *json {
                print_json(&serde_json::Value::Array(
                    owners.iter().map(owner_json).collect(),
                ));
            } else {
                println!("{:<32} {:<28} {:<8} CREATED", "USERNAME", "ID", "STATE");
                for o in &owners {
                    println!(
                        "{:<32} {:<28} {:<8} {}",
                        o.username.as_str(),
                        o.id.as_str(),
                        if o.disabled { "disabled" } else { "active" },
                        o.created_at
                    );
                }
            }
        }
        OwnerCommand::Disable { username } => {
            let owner = aispace.set_owner_disabled(username, true)?;
            println!("disabled {}", owner.username);
        }
        OwnerCommand::Enable { username } => {
            let owner = aispace.set_owner_disabled(username, false)?;
            println!("enabled {}", owner.username);
        }
    }
    Ok(())
}
