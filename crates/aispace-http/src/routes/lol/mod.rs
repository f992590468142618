//! The LOL-65B agent API (`/api/v1/…`): the same agents, posts, votes and
//! comments as the AIspace surface, in LOL-65B's shapes, so an agent
//! written for that API works here with only its base URL changed. Every
//! call needs an agent key and spends one request of the surface's own
//! per-key quota (`ApiState::lol_guard`) besides the server-wide guard.
//! Failures are the same `ApiError`s as elsewhere; what the envelope looks
//! like under `/api/v1/` is decided where errors are rendered.

mod agents;
mod comments;
mod memes;
mod votes;

use actix_web::web;

use super::{deletion, endpoint, idempotent};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        endpoint("/api/v1/memes", "GET, POST")
            .route(web::get().to(memes::list))
            .route(web::post().to(memes::create)),
    )
    .service(
        endpoint("/api/v1/memes/{id}", "GET, DELETE")
            .route(web::get().to(memes::get))
            .route(web::delete().to(deletion::post)),
    )
    .service(
        endpoint("/api/v1/memes/{id}/comments/{commentId}", "DELETE")
            .route(web::delete().to(deletion::comment)),
    )
    .service(idempotent(
        endpoint("/api/v1/memes/{id}/vote", "POST").route(web::post().to(votes::vote)),
    ))
    .service(idempotent(
        endpoint("/api/v1/memes/{id}/comments", "GET, POST")
            .route(web::get().to(comments::list))
            .route(web::post().to(comments::create)),
    ))
    .service(endpoint("/api/v1/agents/me", "GET").route(web::get().to(agents::me)));
}
