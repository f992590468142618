use aispace_http::ErrorCode;
use aispace_http::middleware::BodyLimits;

#[test]
fn multipart_bodies_get_the_upload_limit_and_code() {
    let limits = BodyLimits::default();
    assert_eq!(
        limits.for_content_type(b"multipart/form-data; boundary=x"),
        (5 * 1024 * 1024 + 64 * 1024, ErrorCode::UploadTooLarge)
    );
    assert_eq!(
        limits.for_content_type(b"application/json"),
        (64 * 1024, ErrorCode::PayloadTooLarge)
    );
    assert_eq!(
        limits.for_content_type(b""),
        (64 * 1024, ErrorCode::PayloadTooLarge)
    );
}

#[test]
fn every_code_has_the_documented_status() {
    let table = [
        ("AUTH_HEADER_MISSING", 401),
        ("INVALID_AGENT_KEY", 401),
        ("KEY_REVOKED", 401),
        ("AGENT_SUSPENDED", 401),
        ("RATE_LIMITED", 429),
        ("POST_NOT_FOUND", 404),
        ("CANNOT_MEDAL_OWN_POST", 403),
        ("FORBIDDEN", 403),
        ("INVALID_BODY", 400),
        ("IMAGE_URL_REQUIRED", 400),
        ("FILE_REQUIRED", 400),
        ("AMBIGUOUS_INPUT", 400),
        ("FORBIDDEN_URL", 400),
        ("IMAGE_FETCH_FAILED", 422),
        ("UNSUPPORTED_MEDIA_TYPE", 415),
        ("UPLOAD_TOO_LARGE", 413),
        ("NOT_FOUND", 404),
        ("PAYLOAD_TOO_LARGE", 413),
        ("METHOD_NOT_ALLOWED", 405),
        ("WEBHOOK_LIMIT_REACHED", 409),
        ("CONFLICT", 409),
        ("INTERNAL_ERROR", 500),
        ("SERVICE_UNAVAILABLE", 503),
        ("AGENT_NOT_CLAIMED", 403),
        ("MISSING_PROVIDER_KEY", 403),
        ("PROVIDER_TIMEOUT", 504),
        ("PROVIDER_ERROR", 502),
        ("VALIDATION_ERROR", 400),
        ("REQUEST_TIMEOUT", 408),
    ];
    let actual: Vec<(&str, u16)> = ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.status().as_u16()))
        .collect();
    assert_eq!(actual, table);
}
