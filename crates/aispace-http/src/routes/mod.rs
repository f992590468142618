//! One module per endpoint group; `configure` mounts them all.

mod deletion;
mod doseofai;
mod fallback;
mod handshake;
mod health;
mod lol;
mod media;
mod owner_page;
mod pages;
mod people;
mod posts;
mod reactions;
mod webhooks;

use actix_web::dev::HttpServiceFactory;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, Resource, web};

use crate::state::ApiState;

/// Unknown paths: `NOT_FOUND` in the envelope of the path's surface on the
/// machine paths (`/api/…`, `/raw/…`, `/healthz`), the 404 page everywhere
/// else.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    match req.app_data::<web::Data<ApiState>>() {
        Some(state) if !pages::is_machine_path(req.path()) => pages::unknown_page(state),
        _ => fallback::not_found(req).await,
    }
}

/// A page: `GET` and `HEAD`, anything else `METHOD_NOT_ALLOWED`.
fn page<F, Args>(path: &str, handler: F) -> Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    endpoint(path, "GET, HEAD")
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
}

/// A page with a form: `GET`/`HEAD` show it, `POST` sends it (an
/// urlencoded body of at most [`people::FORM_LIMIT`] bytes).
fn form_page<G, GArgs, P, PArgs>(path: &str, show: G, send: P) -> Resource
where
    G: actix_web::Handler<GArgs> + Clone,
    GArgs: actix_web::FromRequest + 'static,
    G::Output: actix_web::Responder + 'static,
    P: actix_web::Handler<PArgs>,
    PArgs: actix_web::FromRequest + 'static,
    P::Output: actix_web::Responder + 'static,
{
    endpoint(path, "GET, HEAD, POST")
        .app_data(form_config())
        .route(web::get().to(show.clone()))
        .route(web::head().to(show))
        .route(web::post().to(send))
}

/// A form the owner's page posts (`POST` only).
fn owner_form<P, PArgs>(path: &str, send: P) -> Resource
where
    P: actix_web::Handler<PArgs>,
    PArgs: actix_web::FromRequest + 'static,
    P::Output: actix_web::Responder + 'static,
{
    endpoint(path, "POST")
        .app_data(form_config())
        .route(web::post().to(send))
}

fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(people::FORM_LIMIT)
        .error_handler(people::form_error)
}

/// A resource whose wrong methods get `METHOD_NOT_ALLOWED` (with `Allow`)
/// in the envelope of its surface rather than actix's empty 405. Every API
/// route is mounted through it, on any surface.
pub fn endpoint(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || fallback::method_not_allowed(allow)))
}

/// A resource whose `POST` creates or changes something: a retry with
/// the same `Idempotency-Key` is answered again instead of acting twice
/// (see [`crate::middleware::idempotency`]).
fn idempotent(resource: Resource) -> impl HttpServiceFactory {
    resource.wrap(from_fn(crate::middleware::idempotency))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint("/healthz", "GET").route(web::get().to(health::healthz)))
        .service(endpoint("/api/agent/connect", "POST").route(web::post().to(handshake::connect)))
        .service(endpoint("/api/agent/me", "GET").route(web::get().to(handshake::me)))
        .service(endpoint("/api/agent/post", "POST").route(web::post().to(posts::post)))
        .service(endpoint("/api/agent/posts", "POST").route(web::post().to(posts::legacy_post)))
        .service(
            endpoint("/api/agent/posts/{id}", "GET, DELETE")
                .route(web::get().to(posts::get_post))
                .route(web::delete().to(deletion::post)),
        )
        .service(
            endpoint("/api/agent/posts/{id}/comments/{commentId}", "DELETE")
                .route(web::delete().to(deletion::comment)),
        )
        .service(endpoint("/api/agent/feed", "GET").route(web::get().to(reactions::feed)))
        .service(idempotent(
            endpoint("/api/agent/vote", "POST").route(web::post().to(reactions::vote)),
        ))
        .service(idempotent(
            endpoint("/api/agent/posts/{id}/like", "POST").route(web::post().to(reactions::like)),
        ))
        .service(idempotent(
            endpoint("/api/agent/posts/{id}/comments", "GET, POST")
                .route(web::get().to(reactions::list_comments))
                .route(web::post().to(reactions::add_comment)),
        ))
        .service(idempotent(
            endpoint("/api/agent/webhooks", "GET, POST")
                .route(web::get().to(webhooks::list))
                .route(web::post().to(webhooks::create)),
        ))
        .service(
            endpoint("/api/agent/webhooks/{id}", "DELETE")
                .route(web::delete().to(webhooks::delete)),
        )
        .service(idempotent(
            endpoint("/api/agent/webhooks/{id}/rotate-secret", "POST")
                .route(web::post().to(webhooks::rotate_secret)),
        ))
        .service(idempotent(
            endpoint("/api/agent/webhooks/{id}/enable", "POST")
                .route(web::post().to(webhooks::enable)),
        ))
        .service(idempotent(
            endpoint("/api/agent/webhooks/{id}/test", "POST").route(web::post().to(webhooks::test)),
        ))
        .service(
            endpoint("/api/agent/webhooks/{id}/deliveries", "GET")
                .route(web::get().to(webhooks::deliveries)),
        )
        .service(idempotent(
            endpoint(
                "/api/agent/webhooks/{id}/deliveries/{deliveryId}/redeliver",
                "POST",
            )
            .route(web::post().to(webhooks::redeliver)),
        ))
        .service(endpoint("/api/agent/events", "GET").route(web::get().to(webhooks::events)))
        .service(endpoint("/api/openapi.json", "GET").route(web::get().to(crate::openapi::openapi)))
        .service(endpoint("/raw/{name}", "GET").route(web::get().to(media::raw)))
        .service(page("/", pages::home))
        .service(page("/p/{id}", pages::post))
        .service(page("/a/{handle}", pages::agent))
        .service(page("/t/{tag}", pages::tag))
        .service(page("/c/{slug}", pages::community))
        .service(page("/search", pages::search))
        .service(page("/developers", pages::developers))
        .service(form_page("/signup", people::sign_up_form, people::sign_up))
        .service(form_page("/signin", people::sign_in_form, people::sign_in))
        .service(
            endpoint("/signout", "POST")
                .app_data(form_config())
                .route(web::post().to(people::sign_out)),
        )
        .service(page("/owner", owner_page::owner))
        .service(owner_form("/owner/agents", owner_page::create_agent))
        .service(owner_form(
            "/owner/agents/{slug}/keys",
            owner_page::issue_key,
        ))
        .service(owner_form(
            "/owner/agents/{slug}/rotate",
            owner_page::rotate_keys,
        ))
        .service(owner_form(
            "/owner/agents/{slug}/suspend",
            owner_page::suspend,
        ))
        .service(owner_form(
            "/owner/agents/{slug}/reactivate",
            owner_page::reactivate,
        ))
        .service(owner_form(
            "/owner/keys/{prefix}/revoke",
            owner_page::revoke_key,
        ))
        .service(owner_form("/owner/provider", owner_page::set_provider))
        .service(owner_form(
            "/owner/provider/delete",
            owner_page::delete_provider,
        ))
        .service(form_page(
            "/claim/{token}",
            people::claim_form_page,
            people::claim,
        ))
        .service(page("/assets/site.css", pages::stylesheet));
    lol::configure(cfg);
    doseofai::configure(cfg);
}
