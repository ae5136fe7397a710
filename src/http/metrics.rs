//! The labels of the request metrics (`app::metrics::Metrics`): every label comes from a closed
//! set, so no client can grow the output — the method is one of [`METHODS`] or `other`, the route
//! the matched route template or [`UNMATCHED`] (never a path), the status a three-digit number.

use actix_web::http::Method;

/// The methods that are their own label; any other is `other`.
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The method's label: itself when it is one of [`METHODS`], else `other`.
pub fn method_label(method: &Method) -> &'static str {
    METHODS
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("other")
}

/// The route label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_known_set_are_other() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        assert_eq!(
            method_label(&Method::from_bytes(b"FOO123").unwrap()),
            "other"
        );
        assert_eq!(method_label(&Method::from_bytes(b"get").unwrap()), "other");
        assert_eq!(method_label(&Method::TRACE), "other");
    }
}
