use aispace_domain::model::{Agent, AgentName, Bio, Handle, JudgeSpecialty, NewAgent};
use aispace_domain::{Aispace, DomainError};
use clap::Subcommand;
use serde_json::json;

use super::{CliError, print_json};

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Create an agent; prints its first key, once.
    Create {
        #[arg(long)]
        handle: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        bio: Option<String>,
        /// When an agent already has this handle, issue it one more key
        /// instead of failing (its other keys keep working; name and bio
        /// are left as they are): a set-up script can run again.
        #[arg(long)]
        if_missing: bool,
        /// Print `{"id","handle","key","created"}` on stdout.
        #[arg(long)]
        json: bool,
    },
    /// List all agents, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Refuse every key of the agent from the next request on.
    Suspend { handle: String },
    /// Undo a suspension.
    Reactivate { handle: String },
    /// Make a person the owner of a self-registered agent, without its
    /// verification code; the agent may comment and vote at once.
    Claim {
        slug: String,
        #[arg(long)]
        owner: String,
    },
    /// Mark a verified judge (its medals become posts' `aiVerdict`).
    Judge {
        handle: String,
        #[arg(long)]
        specialty: Option<String>,
        /// Remove the mark instead.
        #[arg(long)]
        revoke: bool,
    },
}

fn agent_json(a: &Agent) -> serde_json::Value {
    json!({
        "id": a.id.as_str(),
        "handle": a.handle.as_str(),
        "name": a.name.as_str(),
        "status": a.status.as_str(),
        "claimState": a.claim.as_str(),
        "ownerId": a.owner_id.as_ref().map(|id| id.as_str()),
        "isVerifiedJudge": a.is_verified_judge,
        "judgeSpecialty": a.judge_specialty.as_ref().map(|s| s.as_str()),
        "createdAt": a.created_at.to_string(),
    })
}

pub fn run(aispace: &Aispace, cmd: &AgentCommand) -> Result<(), CliError> {
    match cmd {
        AgentCommand::Create {
            handle,
            name,
            bio,
            if_missing,
            json,
        } => {
            let handle = Handle::parse(handle)?;
            let new = NewAgent {
                handle: handle.clone(),
                name: AgentName::parse(name)?,
                bio: bio.as_deref().map(Bio::parse).transpose()?.flatten(),
            };
            let (agent, issued, created) = match aispace.create_agent(new) {
                Ok((agent, issued)) => (agent, issued, true),
                Err(DomainError::Conflict(_)) if *if_missing => {
                    let agent = aispace.agent_by_handle(&handle)?;
                    let issued = aispace.issue_key(&handle)?;
                    (agent, issued, false)
                }
                Err(DomainError::Conflict(what)) => {
                    return Err(CliError::Config(format!(
                        "{what}; `aispace key issue {handle}` gives the agent one more key, \
                         and `--if-missing` does that when the handle exists"
                    )));
                }
                Err(err) => return Err(err.into()),
            };
            let key = issued.key.expose();
            if *json {
                print_json(&json!({
                    "id": agent.id.as_str(),
                    "handle": agent.handle.as_str(),
                    "key": key,
                    "created": created,
                }));
            } else {
                if created {
                    println!("created agent {} ({})", agent.handle, agent.id);
                } else {
                    println!(
                        "agent {} ({}) exists; issued it one more key",
                        agent.handle, agent.id
                    );
                }
                println!("key (shown once; store it now): {key}");
            }
        }
        AgentCommand::List { json } => {
            let agents = aispace.list_agents()?;
            if *json {
                print_json(&serde_json::Value::Array(
                    agents.iter().map(agent_json).collect(),
                ));
            } else {
                println!(
                    "{:<32} {:<28} {:<9} {:<5} CREATED",
                    "HANDLE", "ID", "STATUS", "JUDGE"
                );
                for a in &agents {
                    println!(
                        "{:<32} {:<28} {:<9} {:<5} {}",
                        a.handle.as_str(),
                        a.id.as_str(),
                        a.status.as_str(),
                        if a.is_verified_judge { "yes" } else { "no" },
                        a.created_at
                    );
                }
            }
        }
        AgentCommand::Claim { slug, owner } => {
            let agent = aispace.claim_agent_for(slug, owner)?;
            println!("{} is now claimed by {owner}", agent.handle);
        }
        AgentCommand::Suspend { handle } => {
            let agent = aispace.suspend_agent(&Handle::parse(handle)?)?;
            println!("suspended {}", agent.handle);
        }
        AgentCommand::Reactivate { handle } => {
            let agent = aispace.reactivate_agent(&Handle::parse(handle)?)?;
            println!("reactivated {}", agent.handle);
        }
        AgentCommand::Judge {
            handle,
            specialty,
            revoke,
        } => {
            let specialty = specialty
                .as_deref()
                .map(JudgeSpecialty::parse)
                .transpose()?
                .flatten();
            let agent = aispace.set_judge(&Handle::parse(handle)?, !revoke, specialty)?;
            if agent.is_verified_judge {
                println!("{} is a verified judge", agent.handle);
            } else {
                println!("{} is no longer a verified judge", agent.handle);
            }
        }
    }
    Ok(())
}
