//! People's pages with forms: signing up, in and out, and claiming an
//! agent (the owner's page is `owner_page`).
//!
//! The session is the `aispace_session` cookie (HttpOnly, SameSite=Lax,
//! Secure behind https). Every form is checked against cross-site
//! posting: a signed-in person's forms carry their session's CSRF token;
//! the sign-up and sign-in forms, shown before there is a session, carry a
//! double-submit token that must equal the `aispace_csrf` cookie
//! (HttpOnly, SameSite=Strict) set when the form was shown. A form that
//! fails the check changes nothing and gets a 403 page.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use aispace_domain::model::{Agent, Field};
use aispace_domain::ports::StoreError;
use aispace_domain::service::{NewSession, SESSION_LIFETIME, SignedIn};
use aispace_domain::{Aispace, DomainError};
use serde::Deserialize;

use crate::error::ApiError;
use crate::pages::{self, AccountForm, ClaimForm};
use crate::state::ApiState;

pub const SESSION_COOKIE: &str = "aispace_session";
pub const CSRF_COOKIE: &str = "aispace_csrf";
/// How long a form's double-submit token lives.
const CSRF_COOKIE_MAX_AGE: u64 = 2 * 3600;
/// Form bodies are small: a few short fields.
pub const FORM_LIMIT: usize = 8 * 1024;
/// Where a person goes after signing in without a `next`.
pub(super) const HOME: &str = "/owner";

/// Runs a use case on the blocking pool (storage ports block).
pub(super) async fn run<T, F>(state: &web::Data<ApiState>, f: F) -> Result<T, DomainError>
where
    T: Send + 'static,
    F: FnOnce(&Aispace) -> Result<T, DomainError> + Send + 'static,
{
    let state = state.clone();
    web::block(move || f(&state.aispace)).await.map_err(|e| {
        DomainError::Unavailable(StoreError::unavailable(std::io::Error::other(format!(
            "blocking task failed: {e}"
        ))))
    })?
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// Equality that takes the same time wherever the strings differ.
pub(super) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_token(value: &str) -> bool {
    (16..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn secure(state: &ApiState) -> &'static str {
    if state.urls.base().starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

fn set_cookie(response: &mut HttpResponse, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn session_cookie(state: &ApiState, token: &str) -> String {
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{}",
        SESSION_LIFETIME.as_secs(),
        secure(state)
    )
}

fn expired_cookie(state: &ApiState, name: &str, same_site: &str) -> String {
    format!(
        "{name}=; HttpOnly; SameSite={same_site}; Path=/; Max-Age=0{}",
        secure(state)
    )
}

/// A safe place to go back to: a path on this site, never `//host` or
/// `/\host` (which browsers read as another host), printable ASCII only.
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.starts_with("/\\")
            && n.len() <= 512
            && n.bytes().all(|b| b.is_ascii_graphic())
    })
}

pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Pages that show forms or personal data are not cached.
pub(super) fn no_store(mut response: HttpResponse) -> HttpResponse {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn refused(state: &ApiState) -> HttpResponse {
    no_store(pages::error(
        &state.urls,
        ApiError::from(DomainError::Forbidden(
            "this form has expired or was not sent from this site; reload the page and try again"
                .to_owned(),
        )),
    ))
}

pub(super) fn failure(state: &ApiState, err: DomainError) -> HttpResponse {
    match err {
        DomainError::NotFound(_) => pages::not_found(
            &state.urls,
            "There is no agent waiting to be claimed at this address.",
        ),
        err => no_store(pages::error(&state.urls, ApiError::from(err))),
    }
}

/// The signed-in person and the session's token, if the cookie is live.
pub(super) async fn session(
    state: &web::Data<ApiState>,
    req: &HttpRequest,
) -> Result<Option<(String, SignedIn)>, DomainError> {
    let Some(token) = cookie(req, SESSION_COOKIE) else {
        return Ok(None);
    };
    let lookup = token.clone();
    Ok(run(state, move |aispace| aispace.signed_in(&lookup))
        .await?
        .map(|signed_in| (token, signed_in)))
}

/// The double-submit token for a form shown before sign-in: the cookie's
/// when it has a good one (another tab's form keeps working), a new one
/// otherwise, with the `Set-Cookie` to send.
fn form_token(state: &ApiState, req: &HttpRequest) -> (String, Option<String>) {
    match cookie(req, CSRF_COOKIE).filter(|t| is_token(t)) {
        Some(token) => (token, None),
        None => {
            let token = state.aispace.random_token();
            let set = format!(
                "{CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={CSRF_COOKIE_MAX_AGE}{}",
                secure(state)
            );
            (token, Some(set))
        }
    }
}

/// Whether a pre-sign-in form's token equals its cookie.
fn double_submit_ok(req: &HttpRequest, sent: Option<&str>) -> bool {
    match (cookie(req, CSRF_COOKIE), sent) {
        (Some(cookie), Some(sent)) => is_token(&cookie) && same_token(&cookie, sent),
        _ => false,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct AccountFields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    csrf: Option<String>,
    next: Option<String>,
}

impl std::fmt::Debug for AccountFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountFields")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfField {
    csrf: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeFields {
    #[serde(default)]
    code: String,
    csrf: Option<String>,
}

enum Which {
    SignUp,
    SignIn,
}

/// A pre-sign-in form, with a double-submit token (a new cookie if needed).
fn account_form(
    state: &ApiState,
    req: &HttpRequest,
    which: &Which,
    status: StatusCode,
    fields: &AccountFields,
    error: Option<&str>,
) -> HttpResponse {
    let (csrf, set) = form_token(state, req);
    let form = AccountForm {
        csrf: &csrf,
        next: safe_next(fields.next.as_deref()),
        username: &fields.username,
        display_name: &fields.display_name,
        error,
    };
    let markup = match which {
        Which::SignUp => pages::sign_up_page(&form),
        Which::SignIn => pages::sign_in_page(&form),
    };
    let mut response = no_store(pages::respond_form(status, &state.urls, markup));
    if let Some(set) = set {
        set_cookie(&mut response, &set);
    }
    response
}

fn next_fields(req: &HttpRequest) -> AccountFields {
    let next = web::Query::<NextQuery>::from_query(req.query_string())
        .map(|q| q.into_inner().next)
        .unwrap_or_default();
    AccountFields {
        next,
        ..AccountFields::default()
    }
}

/// Signed in: the session cookie, the double-submit cookie gone, and on to
/// `next` (or the owner page).
fn signed_in_response(state: &ApiState, session: &NewSession, next: Option<&str>) -> HttpResponse {
    let mut response = see_other(safe_next(next).unwrap_or(HOME));
    set_cookie(&mut response, &session_cookie(state, &session.token));
    set_cookie(&mut response, &expired_cookie(state, CSRF_COOKIE, "Strict"));
    response
}

pub(super) fn with_retry_after(
    mut response: HttpResponse,
    wait: std::time::Duration,
) -> HttpResponse {
    if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `GET /signup`.
pub async fn sign_up_form(state: web::Data<ApiState>, req: HttpRequest) -> HttpResponse {
    if !state.aispace.settings().registration.owner_signup {
        return failure(
            &state,
            DomainError::Forbidden(aispace_domain::service::SIGN_UP_CLOSED.into()),
        );
    }
    account_form(
        &state,
        &req,
        &Which::SignUp,
        StatusCode::OK,
        &next_fields(&req),
        None,
    )
}

/// `POST /signup`.
pub async fn sign_up(
    state: web::Data<ApiState>,
    req: HttpRequest,
    form: web::Form<AccountFields>,
) -> HttpResponse {
    let mut fields = form.into_inner();
    if !double_submit_ok(&req, fields.csrf.as_deref()) {
        return refused(&state);
    }
    let password = std::mem::take(&mut fields.password);
    let (username, display_name) = (fields.username.clone(), fields.display_name.clone());
    let result = run(&state, move |aispace| {
        let display_name = Some(display_name.trim()).filter(|d| !d.is_empty());
        aispace.sign_up(&username, display_name, &password)
    })
    .await;
    let form = |status, error: &str| {
        account_form(&state, &req, &Which::SignUp, status, &fields, Some(error))
    };
    match result {
        Ok(session) => signed_in_response(&state, &session, fields.next.as_deref()),
        Err(DomainError::Validation { field, reason }) => {
            let field = match field {
                Field::DisplayName => "display name",
                other => other.as_str(),
            };
            form(StatusCode::BAD_REQUEST, &format!("The {field} {reason}."))
        }
        Err(DomainError::Conflict(_)) => form(
            StatusCode::CONFLICT,
            "This username is taken; please choose another.",
        ),
        Err(DomainError::RateLimited { retry_after }) => with_retry_after(
            form(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many attempts. Try again in {}.",
                    pages::wait_words(retry_after)
                ),
            ),
            retry_after,
        ),
        Err(err) => failure(&state, err),
    }
}

/// `GET /signin`.
pub async fn sign_in_form(state: web::Data<ApiState>, req: HttpRequest) -> HttpResponse {
    account_form(
        &state,
        &req,
        &Which::SignIn,
        StatusCode::OK,
        &next_fields(&req),
        None,
    )
}

/// `POST /signin`: a new session every time (a session id planted before
/// sign-in is never adopted).
pub async fn sign_in(
    state: web::Data<ApiState>,
    req: HttpRequest,
    form: web::Form<AccountFields>,
) -> HttpResponse {
    let mut fields = form.into_inner();
    if !double_submit_ok(&req, fields.csrf.as_deref()) {
        return refused(&state);
    }
    let password = std::mem::take(&mut fields.password);
    let username = fields.username.clone();
    let address = crate::client_address(&req, &state.trusted_proxies);
    let result = run(&state, move |aispace| {
        aispace.sign_in(&username, &password, &address)
    })
    .await;
    let form = |status, error: &str| {
        account_form(&state, &req, &Which::SignIn, status, &fields, Some(error))
    };
    match result {
        Ok(session) => signed_in_response(&state, &session, fields.next.as_deref()),
        Err(DomainError::SignInFailed) => {
            form(StatusCode::UNAUTHORIZED, "Wrong username or password.")
        }
        Err(DomainError::RateLimited { retry_after }) => with_retry_after(
            form(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed sign-ins. Try again in {}.",
                    pages::wait_words(retry_after)
                ),
            ),
            retry_after,
        ),
        Err(DomainError::Forbidden(_)) => form(StatusCode::FORBIDDEN, "This account is disabled."),
        Err(err) => failure(&state, err),
    }
}

/// `POST /signout`: ends the session and expires the cookie.
pub async fn sign_out(
    state: web::Data<ApiState>,
    req: HttpRequest,
    form: web::Form<CsrfField>,
) -> HttpResponse {
    let current = match session(&state, &req).await {
        Ok(current) => current,
        Err(err) => return failure(&state, err),
    };
    if let Some((token, signed_in)) = current {
        let sent = form.csrf.as_deref().unwrap_or_default();
        if !same_token(&signed_in.csrf_token, sent) {
            return refused(&state);
        }
        if let Err(err) = run(&state, move |aispace| aispace.sign_out(&token)).await {
            return failure(&state, err);
        }
    }
    let mut response = see_other("/");
    set_cookie(
        &mut response,
        &expired_cookie(&state, SESSION_COOKIE, "Lax"),
    );
    response
}

fn claim_form(
    state: &ApiState,
    status: StatusCode,
    agent: &Agent,
    form: &ClaimForm<'_>,
) -> HttpResponse {
    no_store(pages::respond_form(
        status,
        &state.urls,
        pages::claim_page(agent, form),
    ))
}

fn unknown_claim(state: &ApiState) -> HttpResponse {
    failure(state, DomainError::NotFound(aispace_domain::Entity::Agent))
}

/// `GET /claim/{token}`: the pending agent and the code form (or the way
/// to sign in first).
pub async fn claim_form_page(
    state: web::Data<ApiState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let token = token.into_inner();
    if !is_token(&token) {
        return unknown_claim(&state);
    }
    let current = match session(&state, &req).await {
        Ok(current) => current,
        Err(err) => return failure(&state, err),
    };
    let lookup = token.clone();
    let agent = match run(&state, move |aispace| aispace.claim_target(&lookup)).await {
        Ok(agent) => agent,
        Err(err) => return failure(&state, err),
    };
    let form = ClaimForm {
        token: &token,
        csrf: current.as_ref().map(|(_, s)| s.csrf_token.as_str()),
        error: None,
    };
    claim_form(&state, StatusCode::OK, &agent, &form)
}

/// `POST /claim/{token}`: redeems the verification code.
pub async fn claim(
    state: web::Data<ApiState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<CodeFields>,
) -> HttpResponse {
    let token = token.into_inner();
    if !is_token(&token) {
        return unknown_claim(&state);
    }
    let signed_in = match session(&state, &req).await {
        Ok(Some((_, signed_in))) => signed_in,
        Ok(None) => return see_other(&format!("/signin?next=/claim/{token}")),
        Err(err) => return failure(&state, err),
    };
    if !same_token(
        &signed_in.csrf_token,
        form.csrf.as_deref().unwrap_or_default(),
    ) {
        return refused(&state);
    }
    let code = form.into_inner().code;
    let owner = signed_in.owner.clone();
    let redeem_token = token.clone();
    let result = run(&state, move |aispace| {
        aispace.redeem_claim(&redeem_token, &code, &owner)
    })
    .await;
    match result {
        Ok(_) => see_other(HOME),
        Err(DomainError::Validation { reason, .. }) => {
            let lookup = token.clone();
            let agent = match run(&state, move |aispace| aispace.claim_target(&lookup)).await {
                Ok(agent) => agent,
                Err(err) => return failure(&state, err),
            };
            let error = format!("That {reason}.");
            let form = ClaimForm {
                token: &token,
                csrf: Some(&signed_in.csrf_token),
                error: Some(&error),
            };
            claim_form(&state, StatusCode::BAD_REQUEST, &agent, &form)
        }
        Err(DomainError::RateLimited { retry_after }) => with_retry_after(
            no_store(pages::respond(
                StatusCode::TOO_MANY_REQUESTS,
                &state.urls,
                pages::claim_locked_page(retry_after),
            )),
            retry_after,
        ),
        Err(err) => failure(&state, err),
    }
}

/// A form body that cannot be read: the 400 page.
pub fn form_error(err: actix_web::error::UrlencodedError, req: &HttpRequest) -> actix_web::Error {
    let page = match req.app_data::<web::Data<ApiState>>() {
        Some(state) => no_store(pages::error(
            &state.urls,
            ApiError::wire_field("form", format!("could not be read: {err}")),
        )),
        None => HttpResponse::BadRequest().finish(),
    };
    actix_web::error::InternalError::from_response(err, page).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        assert_eq!(safe_next(Some("/owner")), Some("/owner"));
        assert_eq!(safe_next(Some("/claim/ab")), Some("/claim/ab"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "owner",
            "/a b",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", "a"));
    }
}
