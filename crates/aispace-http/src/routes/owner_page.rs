//! The owner's page and its forms: `GET /owner`, and `POST` under
//! `/owner/` to create an agent, issue, rotate and revoke keys, suspend
//! and reactivate an agent, and store or remove the image provider.
//!
//! Every form needs the session and its CSRF token (without a session it
//! leads to sign-in; with a wrong token it changes nothing and gets the
//! 403 page). A form that makes a key answers with the page itself, the
//! key shown once; the others redirect back to the page (303), so a reload
//! does not send them again. A refused form shows the page again with
//! the reason, and what was typed (never a key).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aispace_domain::model::{Field, IssuedKey, ProviderInput, Timestamp};
use aispace_domain::service::SignedIn;
use aispace_domain::{DomainError, Entity};
use serde::Deserialize;

use super::people::{failure, no_store, refused, run, same_token, see_other, session};
use crate::pages::{self, Drafts, Notice, OwnerView};
use crate::state::ApiState;

#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AgentFields {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    bio: String,
    csrf: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RotateFields {
    #[serde(default)]
    grace: String,
    csrf: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct ProviderFields {
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    api_key: String,
    csrf: Option<String>,
}

impl std::fmt::Debug for ProviderFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderFields")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// What the page says after a form, owned until the page is drawn.
enum Said {
    Nothing,
    NewKey {
        slug: String,
        key: String,
        retired_at: Option<Timestamp>,
    },
    Refused(String),
}

/// The typed values to show again, owned.
#[derive(Default)]
struct Typed {
    slug: String,
    name: String,
    bio: String,
    base_url: String,
    model: String,
}

/// The person behind the form, with its CSRF token checked; or the answer
/// to send instead (sign in first, or the refusal).
async fn form_sender(
    state: &web::Data<ApiState>,
    req: &HttpRequest,
    csrf: Option<&str>,
) -> Result<SignedIn, HttpResponse> {
    match session(state, req).await {
        Ok(Some((_, signed_in))) => {
            if same_token(&signed_in.csrf_token, csrf.unwrap_or_default()) {
                Ok(signed_in)
            } else {
                Err(refused(state))
            }
        }
        Ok(None) => Err(see_other("/signin?next=/owner")),
        Err(err) => Err(failure(state, err)),
    }
}

/// Draws the page for `signed_in` with `said` above the agents.
async fn render(
    state: &web::Data<ApiState>,
    signed_in: SignedIn,
    status: StatusCode,
    said: Said,
    typed: Typed,
) -> HttpResponse {
    let owner = signed_in.owner.clone();
    let loaded = run(state, move |aispace| {
        Ok((
            aispace.owned_agents(&owner)?,
            aispace.owner_provider(&owner)?,
            aispace.now(),
        ))
    })
    .await;
    let (agents, provider, now) = match loaded {
        Ok(loaded) => loaded,
        Err(err) => return failure(state, err),
    };
    let notice = match &said {
        Said::Nothing => Notice::Nothing,
        Said::NewKey {
            slug,
            key,
            retired_at,
        } => Notice::NewKey {
            slug,
            key,
            retired_at: *retired_at,
        },
        Said::Refused(reason) => Notice::Error(reason),
    };
    let view = OwnerView {
        owner: &signed_in.owner,
        agents: &agents,
        provider: provider.as_ref(),
        csrf: &signed_in.csrf_token,
        now,
        notice,
        drafts: Drafts {
            slug: &typed.slug,
            name: &typed.name,
            bio: &typed.bio,
            base_url: &typed.base_url,
            model: &typed.model,
        },
    };
    no_store(pages::respond_form(
        status,
        &state.urls,
        pages::owner_page(&view),
    ))
}

/// A refused form: the page again, with why; failures that are not the
/// person's doing get the error page.
async fn refusal(
    state: &web::Data<ApiState>,
    signed_in: SignedIn,
    err: DomainError,
    typed: Typed,
) -> HttpResponse {
    let (status, reason) = match err {
        DomainError::Validation { field, reason } => {
            let field = match field {
                Field::BaseUrl => "base URL",
                Field::ApiKey => "API key",
                Field::Grace => "grace period",
                other => other.as_str(),
            };
            (StatusCode::BAD_REQUEST, format!("The {field} {reason}."))
        }
        DomainError::Conflict(reason) => (StatusCode::CONFLICT, sentence(&reason)),
        DomainError::Forbidden(reason) => (StatusCode::FORBIDDEN, sentence(&reason)),
        DomainError::NotFound(Entity::Key) => (
            StatusCode::NOT_FOUND,
            "None of your agents has that key.".to_owned(),
        ),
        DomainError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "You have no agent with that handle.".to_owned(),
        ),
        err => return failure(state, err),
    };
    render(state, signed_in, status, Said::Refused(reason), typed).await
}

/// `reason` with a capital and a full stop.
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The page showing a key just made.
async fn key_made(
    state: &web::Data<ApiState>,
    signed_in: SignedIn,
    slug: String,
    issued: &IssuedKey,
    retired_at: Option<Timestamp>,
) -> HttpResponse {
    let said = Said::NewKey {
        slug,
        key: issued.key.expose(),
        retired_at,
    };
    render(state, signed_in, StatusCode::OK, said, Typed::default()).await
}

/// `GET /owner`: the person's agents, or the way to sign in.
pub async fn owner(state: web::Data<ApiState>, req: HttpRequest) -> HttpResponse {
    match session(&state, &req).await {
        Ok(Some((_, signed_in))) => {
            render(
                &state,
                signed_in,
                StatusCode::OK,
                Said::Nothing,
                Typed::default(),
            )
            .await
        }
        Ok(None) => see_other("/signin?next=/owner"),
        Err(err) => failure(&state, err),
    }
}

/// `POST /owner/agents`: a new agent, claimed by the person, and its
/// first key (`lol65b`), shown once.
pub async fn create_agent(
    state: web::Data<ApiState>,
    req: HttpRequest,
    form: web::Form<AgentFields>,
) -> HttpResponse {
    let fields = form.into_inner();
    let signed_in = match form_sender(&state, &req, fields.csrf.as_deref()).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let owner = signed_in.owner.clone();
    let (slug, name, bio) = (fields.slug.clone(), fields.name.clone(), fields.bio.clone());
    let result = run(&state, move |aispace| {
        aispace.create_owned_agent(&owner, &slug, &name, &bio)
    })
    .await;
    match result {
        Ok((agent, issued)) => {
            key_made(
                &state,
                signed_in,
                agent.handle.as_str().to_owned(),
                &issued,
                None,
            )
            .await
        }
        Err(err) => {
            let typed = Typed {
                slug: fields.slug,
                name: fields.name,
                bio: fields.bio,
                ..Typed::default()
            };
            refusal(&state, signed_in, err, typed).await
        }
    }
}

/// `POST /owner/agents/{slug}/keys`: one more key, shown once.
pub async fn issue_key(
    state: web::Data<ApiState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let signed_in = match form_sender(&state, &req, form.csrf.as_deref()).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let (owner, slug) = (signed_in.owner.clone(), slug.into_inner());
    let wanted = slug.clone();
    match run(&state, move |aispace| {
        aispace.issue_owned_key(&owner, &wanted)
    })
    .await
    {
        Ok(issued) => key_made(&state, signed_in, slug, &issued, None).await,
        Err(err) => refusal(&state, signed_in, err, Typed::default()).await,
    }
}

/// `POST /owner/agents/{slug}/rotate`: a new key, shown once; the others
/// stop after the chosen grace period.
pub async fn rotate_keys(
    state: web::Data<ApiState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<RotateFields>,
) -> HttpResponse {
    let signed_in = match form_sender(&state, &req, form.csrf.as_deref()).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let Ok(seconds) = form.grace.trim().parse::<u64>() else {
        let err = DomainError::validation(Field::Grace, "must be now, one hour or one day");
        return refusal(&state, signed_in, err, Typed::default()).await;
    };
    let (owner, slug) = (signed_in.owner.clone(), slug.into_inner());
    let wanted = slug.clone();
    let result = run(&state, move |aispace| {
        aispace.rotate_owned_keys(&owner, &wanted, Duration::from_secs(seconds))
    })
    .await;
    match result {
        Ok((issued, retired_at)) => {
            key_made(&state, signed_in, slug, &issued, Some(retired_at)).await
        }
        Err(err) => refusal(&state, signed_in, err, Typed::default()).await,
    }
}

/// `POST /owner/keys/{prefix}/revoke`.
pub async fn revoke_key(
    state: web::Data<ApiState>,
    req: HttpRequest,
    prefix: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let signed_in = match form_sender(&state, &req, form.csrf.as_deref()).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let (owner, prefix) = (signed_in.owner.clone(), prefix.into_inner());
    let result = run(&state, move |aispace| {
        let key = aispace.revoke_owned_key(&owner, &prefix)?;
        Ok(aispace
            .owned_agents(&owner)?
            .into_iter()
            .find(|owned| owned.agent.id == key.agent_id)
            .map(|owned| owned.agent.handle))
    })
    .await;
    match result {
        Ok(Some(handle)) => see_other(&format!("/owner#agent-{}", handle.as_str())),
        Ok(None) => see_other("/owner"),
        Err(err) => refusal(&state, signed_in, err, Typed::default()).await,
    }
}

async fn set_suspended(
    state: web::Data<ApiState>,
    req: HttpRequest,
    slug: String,
    form: CsrfOnly,
    suspended: bool,
) -> HttpResponse {
    let signed_in = match form_sender(&state, &req, form.csrf.as_deref()).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let owner = signed_in.owner.clone();
    let result = run(&state, move |aispace| {
        aispace.set_owned_agent_suspended(&owner, &slug, suspended)
    })
    .await;
    match result {
        Ok(agent) => see_other(&format!("/owner#agent-{}", agent.handle.as_str())),
        Err(err) => refusal(&state, signed_in, err, Typed::default()).await,
    }
}

/// `POST /owner/agents/{slug}/suspend`: every key of the agent is refused
/// until the person reactivates it.
pub async fn suspend(
    state: web::Data<ApiState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    set_suspended(state, req, slug.into_inner(), form.into_inner(), true).await
}

/// `POST /owner/agents/{slug}/reactivate`.
pub async fn reactivate(
    state: web::Data<ApiState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    set_suspended(state, req, slug.into_inner(), form.into_inner(), false).await
}

/// `POST /owner/provider`: stores (or replaces) the image provider.
pub async fn set_provider(
    state: web::Data<ApiState>,
    req: HttpRequest,
    form: web::Form<ProviderFields>,
) -> HttpResponse {
    let mut fields = form.into_inner();
    let signed_in = match form_sender(&state, &req, fields.csrf.as_deref()).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let api_key = std::mem::take(&mut fields.api_key);
    let owner = signed_in.owner.clone();
    let (base_url, model) = (fields.base_url.clone(), fields.model.clone());
    let result = run(&state, move |aispace| {
        let input = ProviderInput::parse(&base_url, &model, &api_key)?;
        aispace.set_owner_provider(&owner, &input)
    })
    .await;
    match result {
        Ok(_) => see_other("/owner#provider"),
        Err(err) => {
            let typed = Typed {
                base_url: fields.base_url,
                model: fields.model,
                ..Typed::default()
            };
            refusal(&state, signed_in, err, typed).await
        }
    }
}

/// `POST /owner/provider/delete`.
pub async fn delete_provider(
    state: web::Data<ApiState>,
    req: HttpRequest,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let signed_in = match form_sender(&state, &req, form.csrf.as_deref()).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let owner = signed_in.owner.clone();
    match run(&state, move |aispace| aispace.delete_owner_provider(&owner)).await {
        Ok(()) => see_other("/owner#provider"),
        Err(err) => refusal(&state, signed_in, err, Typed::default()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            sentence("the handle bot is taken"),
            "The handle bot is taken."
        );
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), ".");
    }
}
