use actix_web::HttpResponse;
use actix_web::http::header::ContentType;

/// Liveness: the process is up and serving. Deliberately touches nothing
/// else, which also makes it the benchmark's baseline.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(r#"{"ok":true,"status":"up"}"#)
}
