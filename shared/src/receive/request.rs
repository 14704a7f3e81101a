//! The checks every delivery passes before authentication: method, size and
//! content type, in that order.

use lambda_http::http::{header, Method};
use lambda_http::{Body, Request};

use crate::receive::response::Rejection;

/// What a JSON body is sent as.
pub const JSON: &str = "application/json";

/// The raw body bytes, exactly as received, once method, size and content
/// type (one of `content_types`; parameters such as `charset` aside) are
/// acceptable.
pub fn preflight<'r>(
    request: &'r Request,
    max_body_bytes: usize,
    content_types: &[&str],
) -> Result<&'r [u8], Rejection> {
    if request.method() != Method::POST {
        return Err(Rejection::MethodNotAllowed);
    }
    let body = raw_body(request);
    if body.len() > max_body_bytes {
        return Err(Rejection::PayloadTooLarge {
            limit: max_body_bytes,
        });
    }
    if !content_types
        .iter()
        .any(|accepted| has_content_type(request, accepted))
    {
        return Err(Rejection::UnsupportedMediaType);
    }
    Ok(body)
}

/// Whether the request's `Content-Type` is `content_type`, with or without
/// parameters such as `charset`.
pub fn has_content_type(request: &Request, content_type: &str) -> bool {
    header_str(request, header::CONTENT_TYPE.as_str())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(content_type))
}

/// The body bytes; API Gateway's base64 encoding is already undone by lambda_http.
pub fn raw_body(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        // `Body` is non-exhaustive; a future kind carries no body we can read.
        #[allow(unreachable_patterns)]
        _ => &[],
    }
}

/// A header's value as text; header names are case-insensitive.
pub fn header_str<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers().get(name)?.to_str().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::StatusCode;

    fn request(method: &str, content_type: Option<&str>, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri("/");
        if let Some(content_type) = content_type {
            builder = builder.header("Content-Type", content_type);
        }
        builder.body(Body::from(body)).unwrap()
    }

    fn status(result: Result<&[u8], Rejection>) -> Option<StatusCode> {
        result.err().map(|rejection| rejection.status())
    }

    #[test]
    fn checks_in_order() {
        let get = request("GET", Some("text/plain"), "x".repeat(100).as_str());
        assert_eq!(
            status(preflight(&get, 10, &[JSON])),
            Some(StatusCode::METHOD_NOT_ALLOWED)
        );
        let big = request("POST", Some("text/plain"), "x".repeat(11).as_str());
        assert_eq!(
            status(preflight(&big, 10, &[JSON])),
            Some(StatusCode::PAYLOAD_TOO_LARGE)
        );
        let exact = request("POST", Some("application/json"), "x".repeat(10).as_str());
        assert_eq!(preflight(&exact, 10, &[JSON]).unwrap(), b"xxxxxxxxxx");
    }

    #[test]
    fn content_types() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ;x=y",
        ] {
            assert!(
                preflight(&request("POST", Some(ok), "{}"), 10, &[JSON]).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            None,
            Some("text/json"),
            Some("application/jsonx"),
            Some("application/x-www-form-urlencoded"),
        ] {
            assert_eq!(
                status(preflight(&request("POST", bad, "{}"), 10, &[JSON])),
                Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                "{bad:?}"
            );
        }
    }
}
