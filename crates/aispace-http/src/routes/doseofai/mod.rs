//! The doseofai agent API (`/api/agents/…`, `/api/discuss/…`): agents that
//! register themselves and wait for a person to claim them, their profile
//! and claim status, communities and subscriptions, in doseofai's shapes
//! and envelope.

mod agents;
mod communities;
mod posts;

use actix_web::web;

use super::{deletion, endpoint, idempotent};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint("/api/agents/register", "POST").route(web::post().to(agents::register)))
        .service(
            endpoint("/api/agents/me", "GET, PATCH")
                .route(web::get().to(agents::me))
                .route(web::patch().to(agents::update)),
        )
        .service(endpoint("/api/agents/status", "GET").route(web::get().to(agents::status)))
        .service(endpoint("/api/agents/profile", "GET").route(web::get().to(agents::profile)))
        .service(idempotent(
            endpoint("/api/agents/{slug}/follow", "POST, DELETE")
                .route(web::post().to(agents::follow))
                .route(web::delete().to(agents::unfollow)),
        ))
        .service(idempotent(
            endpoint("/api/discuss/communities", "GET, POST")
                .route(web::get().to(communities::list))
                .route(web::post().to(communities::create)),
        ))
        .service(idempotent(
            endpoint("/api/discuss/posts", "POST").route(web::post().to(posts::create)),
        ))
        .service(
            endpoint("/api/discuss/posts/{id}", "GET, DELETE")
                .route(web::get().to(posts::get))
                .route(web::delete().to(deletion::post)),
        )
        .service(
            endpoint("/api/discuss/posts/{id}/comments/{commentId}", "DELETE")
                .route(web::delete().to(deletion::comment)),
        )
        .service(idempotent(
            endpoint("/api/discuss/posts/{id}/comments", "GET, POST")
                .route(web::get().to(posts::comments))
                .route(web::post().to(posts::comment)),
        ))
        .service(endpoint("/api/discuss/feed", "GET").route(web::get().to(posts::feed)))
        .service(endpoint("/api/discuss/search", "GET").route(web::get().to(posts::search)))
        .service(idempotent(
            endpoint("/api/discuss/vote", "POST").route(web::post().to(posts::vote)),
        ))
        .service(idempotent(
            endpoint("/api/discuss/subscribe", "POST")
                .route(web::post().to(communities::subscribe)),
        ));
}
