use std::time::Duration;

use aispace_domain::Aispace;
use aispace_domain::model::{Handle, KeyFormat, KeyPrefix, KeyRecord};
use clap::Subcommand;
use serde_json::json;

use super::{CliError, print_json};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Issue one more key for an agent (shown once); its other keys keep working.
    Issue {
        handle: String,
        /// How the key looks: `asp` (`asp_<8>.<secret>`), `lol65b`
        /// (`lol65b_<10>.<secret>`) or `doseofai` (`doseofai_<64 hex>`).
        /// Every format works on every API surface.
        #[arg(long, default_value = "asp", value_parser = key_format)]
        format: KeyFormat,
        #[arg(long)]
        json: bool,
    },
    /// Issue a new key and retire the agent's other keys after a grace period.
    Rotate {
        handle: String,
        /// How long the old keys keep working, e.g. `24h`, `30m`, `0s` (at most 30 days).
        #[arg(long, value_parser = humantime::parse_duration)]
        grace: Duration,
        /// How the new key looks, as for `key issue`.
        #[arg(long, default_value = "asp", value_parser = key_format)]
        format: KeyFormat,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one key at once, by its prefix (the part before the dot, or
    /// `doseofai_` and the next 12 digits).
    Revoke { prefix: String },
    /// List an agent's keys (prefixes and state; secrets are never stored).
    List {
        handle: String,
        #[arg(long)]
        json: bool,
    },
}

/// Clap shows the domain's message on a bad value, as a usage error.
fn key_format(raw: &str) -> Result<KeyFormat, String> {
    KeyFormat::parse(raw).map_err(|e| e.to_string())
}

fn key_json(k: &KeyRecord) -> serde_json::Value {
    json!({
        "prefix": k.prefix.as_str(),
        "createdAt": k.created_at.to_string(),
        "lastUsedAt": k.last_used_at.map(|t| t.to_string()),
        "expiresAt": k.expires_at.map(|t| t.to_string()),
        "revokedAt": k.revoked_at.map(|t| t.to_string()),
    })
}

pub fn run(aispace: &Aispace, cmd: &KeyCommand) -> Result<(), CliError> {
    match cmd {
        KeyCommand::Issue {
            handle,
            format,
            json,
        } => {
            let handle = Handle::parse(handle)?;
            let issued = aispace.issue_key_in(&handle, *format)?;
            let key = issued.key.expose();
            if *json {
                print_json(
                    &json!({"handle": handle.as_str(), "prefix": issued.record.prefix.as_str(), "key": key}),
                );
            } else {
                println!("key (shown once; store it now): {key}");
            }
        }
        KeyCommand::Rotate {
            handle,
            grace,
            format,
            json,
        } => {
            let handle = Handle::parse(handle)?;
            let (issued, retire_at) = aispace.rotate_keys_in(&handle, *format, *grace)?;
            let key = issued.key.expose();
            if *json {
                print_json(&json!({
                    "handle": handle.as_str(),
                    "prefix": issued.record.prefix.as_str(),
                    "key": key,
                    "oldKeysRetireAt": retire_at.to_string(),
                }));
            } else {
                println!("new key (shown once; store it now): {key}");
                println!("the other keys of {handle} stop working at {retire_at}");
            }
        }
        KeyCommand::Revoke { prefix } => {
            let prefix = KeyPrefix::parse(prefix).ok_or_else(|| {
                CliError::Config(format!(
                    "{prefix:?} is not a key prefix (8-24 characters: the part before the dot, \
                     or doseofai_ and the next 12 digits)"
                ))
            })?;
            let record = aispace.revoke_key(&prefix)?;
            println!(
                "revoked {} (at {})",
                record.prefix,
                record.revoked_at.map(|t| t.to_string()).unwrap_or_default()
            );
        }
        KeyCommand::List { handle, json } => {
            let keys = aispace.keys_of(&Handle::parse(handle)?)?;
            if *json {
                print_json(&serde_json::Value::Array(
                    keys.iter().map(key_json).collect(),
                ));
            } else {
                println!(
                    "{:<24} {:<26} {:<26} STATE",
                    "PREFIX", "CREATED", "LAST USED"
                );
                let now = aispace.now();
                for k in &keys {
                    let state = match (k.revoked_at, k.expires_at) {
                        (Some(at), _) => format!("revoked {at}"),
                        (None, Some(at)) if at <= now => format!("retired {at}"),
                        (None, Some(at)) => format!("retires {at}"),
                        (None, None) => "active".to_owned(),
                    };
                    let last = k
                        .last_used_at
                        .map_or_else(|| "never".to_owned(), |t| t.to_string());
                    println!(
                        "{:<24} {:<26} {:<26} {state}",
                        k.prefix.as_str(),
                        k.created_at.to_string(),
                        last
                    );
                }
            }
        }
    }
    Ok(())
}
