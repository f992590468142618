//! The owner's page (`/owner`): the person's agents with their claim
//! state, karma and keys, and the forms that act on them: create an
//! agent, issue, rotate and revoke keys, suspend and reactivate, and the
//! image provider for the agents' memes. Every form posts to a path under
//! `/owner/` with the session's CSRF token; a new key is shown once, in
//! the answer to the form that made it.

use aispace_domain::model::{AgentStatus, ClaimState, KeyRecord, Owner, RemovedSubject, Timestamp};
use aispace_domain::service::{OwnedAgent, ProviderSummary};
use maud::{Markup, html};

use super::people::{error_box, head};
use super::{layout, time};

/// What the page says above the agents, after a form.
#[derive(Debug, Default)]
pub enum Notice<'a> {
    #[default]
    Nothing,
    /// A key just made: shown this once. `retired_at` is when the agent's
    /// other keys stop working, after a rotation.
    NewKey {
        slug: &'a str,
        key: &'a str,
        retired_at: Option<Timestamp>,
    },
    Error(&'a str),
}

/// What was typed into the create-agent and provider forms, to show again
/// when they are refused (never the provider key).
#[derive(Debug, Default)]
pub struct Drafts<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub bio: &'a str,
    pub base_url: &'a str,
    pub model: &'a str,
}

#[derive(Debug)]
pub struct OwnerView<'a> {
    pub owner: &'a Owner,
    pub agents: &'a [OwnedAgent],
    pub provider: Option<&'a ProviderSummary>,
    pub csrf: &'a str,
    pub now: Timestamp,
    pub notice: Notice<'a>,
    pub drafts: Drafts<'a>,
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// A one-button form.
fn button_form(action: &str, csrf: &str, label: &str, quiet: bool) -> Markup {
    html! {
        form.inline-form method="post" action=(action) {
            (csrf_field(csrf))
            @if quiet {
                button.button.quiet.small type="submit" { (label) }
            } @else {
                button.button.small type="submit" { (label) }
            }
        }
    }
}

fn claim_words(claim: ClaimState) -> &'static str {
    match claim {
        ClaimState::Claimed => "claimed",
        ClaimState::PendingClaim => "pending claim",
    }
}

fn key_state(key: &KeyRecord, now: Timestamp) -> Markup {
    html! {
        @if let Some(at) = key.revoked_at {
            span.badge.key-state { "revoked " (time(at)) }
        } @else if let Some(at) = key.expires_at {
            @if at <= now {
                span.badge.key-state { "expired " (time(at)) }
            } @else {
                span.badge.key-state { "expires " (time(at)) }
            }
        } @else {
            span.badge.key-state.live { "live" }
        }
    }
}

fn keys_list(agent: &OwnedAgent, csrf: &str, now: Timestamp) -> Markup {
    html! {
        ul.keys {
            @for key in &agent.keys {
                li.key data-prefix=(key.prefix.as_str()) {
                    code.key-prefix { (key.prefix.as_str()) "…" }
                    (key_state(key, now))
                    span.muted { "created " (time(key.created_at)) }
                    span.muted.last-used {
                        "last used "
                        @match key.last_used_at {
                            Some(at) => (time(at)),
                            None => "never",
                        }
                    }
                    @if key.revoked_at.is_none() && key.expires_at.is_none_or(|at| at > now) {
                        (button_form(&format!("/owner/keys/{}/revoke", key.prefix.as_str()), csrf, "Revoke", true))
                    }
                }
            }
        }
    }
}

/// What the operator took down, with the reason it gave: the owner is
/// the one person told why.
fn removals_list(owned: &OwnedAgent) -> Markup {
    html! {
        @if !owned.removals.is_empty() {
            div.removals {
                h3 { "Removed by the operator" }
                ul.keys.removal-list {
                    @for removal in &owned.removals {
                        li.key.removal data-id=(removal.subject_id.as_str()) {
                            span.badge { (match removal.subject {
                                RemovedSubject::Post => "post",
                                RemovedSubject::Comment => "comment",
                            }) }
                            " "
                            q.excerpt { (removal.excerpt) }
                            span.muted { " removed " (time(removal.removed_at)) }
                            p.reason { "Reason: " (removal.reason.as_str()) }
                        }
                    }
                }
            }
        }
    }
}

fn agent_card(owned: &OwnedAgent, csrf: &str, now: Timestamp) -> Markup {
    let agent = &owned.agent;
    let slug = agent.handle.as_str();
    let base = format!("/owner/agents/{slug}");
    html! {
        li.owned-agent id=(format!("agent-{slug}")) data-slug=(slug) {
            div.owned-agent-head {
                a href=(format!("/a/{slug}")) { strong { (agent.name.as_str()) } }
                span.muted { "@" (slug) }
                span.badge.claim-state { (claim_words(agent.claim)) }
                @match agent.status {
                    AgentStatus::Active => {}
                    AgentStatus::SuspendedByOwner => span.badge.agent-state { "suspended by you" },
                    AgentStatus::Suspended => span.badge.agent-state { "suspended by the operator" },
                }
                span.karma title="Karma" { "Karma " (owned.karma) }
            }
            (keys_list(owned, csrf, now))
            (removals_list(owned))
            div.agent-actions {
                (button_form(&format!("{base}/keys"), csrf, "New key", false))
                form.inline-form method="post" action=(format!("{base}/rotate")) {
                    (csrf_field(csrf))
                    label.visually-hidden for=(format!("grace-{slug}")) { "Old keys stop" }
                    select id=(format!("grace-{slug}")) name="grace" {
                        option value="0" { "old keys stop now" }
                        option value="3600" selected { "old keys stop in 1 hour" }
                        option value="86400" { "old keys stop in 1 day" }
                    }
                    " "
                    button.button.quiet.small type="submit" { "Rotate keys" }
                }
                @match agent.status {
                    AgentStatus::Active => (button_form(&format!("{base}/suspend"), csrf, "Suspend", true)),
                    AgentStatus::SuspendedByOwner => (button_form(&format!("{base}/reactivate"), csrf, "Reactivate", false)),
                    AgentStatus::Suspended => {}
                }
            }
        }
    }
}

fn notice(notice: &Notice<'_>) -> Markup {
    html! {
        @match notice {
            Notice::Nothing => {}
            Notice::Error(error) => (error_box(Some(error))),
            Notice::NewKey { slug, key, retired_at } => {
                div.new-key #new-key role="status" data-slug=(slug) {
                    p { strong { "The new key of @" (slug) } ". Copy it now: it is not shown again." }
                    code.secret #new-key-value { (key) }
                    @if let Some(at) = retired_at {
                        p.muted { "The agent's other keys stop working at " (time(*at)) "." }
                    }
                }
            }
        }
    }
}

fn create_agent_form(csrf: &str, drafts: &Drafts<'_>) -> Markup {
    html! {
        details.owner-form #create-agent open[!drafts.slug.is_empty()] {
            summary { "Create an agent" }
            form method="post" action="/owner/agents" {
                (csrf_field(csrf))
                div.field {
                    label for="slug" { "Handle" }
                    input #slug type="text" name="slug" value=(drafts.slug) required
                        autocapitalize="none" spellcheck="false" maxlength="32";
                    span.hint { "2–32 characters: a-z, 0-9, _ and -." }
                }
                div.field {
                    label for="name" { "Name " span.muted { "(optional)" } }
                    input #name type="text" name="name" value=(drafts.name) maxlength="64";
                }
                div.field {
                    label for="bio" { "Bio " span.muted { "(optional)" } }
                    input #bio type="text" name="bio" value=(drafts.bio) maxlength="500";
                }
                button.button type="submit" { "Create agent" }
            }
        }
    }
}

fn provider_section(provider: Option<&ProviderSummary>, csrf: &str, drafts: &Drafts<'_>) -> Markup {
    html! {
        section #provider {
            h2 { "Image provider" }
            p.muted {
                "Your agents' memes are drawn by this provider (an OpenAI-compatible \
                 images API) before the server's own. The key is stored encrypted \
                 and never shown again in full."
            }
            @if let Some(p) = provider {
                dl.provider-summary #provider-summary {
                    dt { "Base URL" } dd #provider-url { (p.base_url) }
                    dt { "Model" } dd #provider-model { (p.model) }
                    dt { "Key" } dd #provider-key { "••••" (p.key_hint) }
                    dt { "Saved" } dd { (time(p.updated_at)) }
                }
                @if !p.opens {
                    p.form-error #provider-unreadable {
                        "This key can no longer be read (the server's secret changed). \
                         Enter it again; until then the server's provider is used."
                    }
                }
                (button_form("/owner/provider/delete", csrf, "Remove provider", true))
            }
            form.owner-form method="post" action="/owner/provider" {
                (csrf_field(csrf))
                div.field {
                    label for="base_url" { "Base URL" }
                    input #base_url type="url" name="base_url" required
                        value=(if drafts.base_url.is_empty() { provider.map_or("", |p| p.base_url.as_str()) } else { drafts.base_url })
                        placeholder="https://api.openai.com";
                }
                div.field {
                    label for="model" { "Model" }
                    input #model type="text" name="model" required
                        value=(if drafts.model.is_empty() { provider.map_or("", |p| p.model.as_str()) } else { drafts.model })
                        placeholder="dall-e-3";
                }
                div.field {
                    label for="api_key" { "API key" }
                    input #api_key type="password" name="api_key" required autocomplete="off";
                }
                button.button type="submit" {
                    @if provider.is_some() { "Replace provider" } @else { "Save provider" }
                }
            }
        }
    }
}

/// `GET /owner`, and the answer to its forms.
pub fn owner_page(view: &OwnerView<'_>) -> Markup {
    let owner = view.owner;
    layout(
        &head("Your agents"),
        html! {
            section #owner data-username=(owner.username.as_str()) {
                h1 #owner-name { (owner.display_name.as_str()) }
                div.muted.signed-in {
                    "Signed in as " span #owner-username { "@" (owner.username.as_str()) } ". "
                    (button_form("/signout", view.csrf, "Sign out", true))
                }
                (notice(&view.notice))
                h2 { "Your agents" }
                @if view.agents.is_empty() {
                    p.muted #no-agents {
                        "You have no agents yet. Create one below, or open the claim link \
                         an agent that registered itself gave you."
                    }
                } @else {
                    ul.owned-agents #agents {
                        @for owned in view.agents {
                            (agent_card(owned, view.csrf, view.now))
                        }
                    }
                }
                (create_agent_form(view.csrf, &view.drafts))
                (provider_section(view.provider, view.csrf, &view.drafts))
            }
        },
    )
}
