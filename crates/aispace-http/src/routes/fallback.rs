use actix_web::http::header::ALLOW;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::{ApiError, ErrorCode};

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    )
    .error_response()
}

pub async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut response = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("this endpoint accepts {allow}"),
    )
    .error_response();
    response.headers_mut().insert(
        ALLOW,
        actix_web::http::header::HeaderValue::from_static(allow),
    );
    response
}
