//! Classifies Alpaca HTTP failures into [`BrokerError`], which decides what the order manager
//! may do next.
//!
//! | What happened                              | Error                               |
//! |--------------------------------------------|-------------------------------------|
//! | connect refused / DNS / TLS (never sent)   | `NotSent`                           |
//! | timeout or connection lost after sending   | `Unknown` (query before resending)  |
//! | 5xx                                        | `Unknown`                           |
//! | 429                                        | `RateLimited` (Retry-After, else X-RateLimit-Reset, else 10 s) |
//! | 401                                        | `Auth`                              |
//! | 403 on submit / cancel (buying power, ...) | `Rejected` with Alpaca's message    |
//! | 403 on a query or the data API             | `Auth` (keys or plan lack access)   |
//! | 404 on query / cancel                      | `NotFound`                          |
//! | 404 on submit (wrong base URL)             | `Rejected`                          |
//! | 422 and other 4xx                          | `Rejected` with Alpaca's code/message |

use super::parse::parse_error_body;
use crate::venue::BrokerError;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::time::Duration;

/// Wait used for a 429 that says nothing about when to retry. Alpaca allows 200 requests per
/// minute per key and refills continuously, so a single retry after a few seconds succeeds.
pub(crate) const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);

/// What kind of call failed; the same status means different things for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// A read (account, orders, positions, assets, bars, order by client id).
    Query,
    /// `POST /v2/orders`.
    Submit,
    /// `DELETE /v2/orders[/{id}]`.
    Cancel,
}

/// A transport error from reqwest.
pub(crate) fn classify_send_error(e: &reqwest::Error, kind: CallKind) -> BrokerError {
    if e.is_connect() || e.is_builder() {
        return BrokerError::NotSent(format!("could not reach Alpaca: {e}"));
    }
    let what = match kind {
        CallKind::Query => "query",
        CallKind::Submit => "order",
        CallKind::Cancel => "cancel",
    };
    if e.is_timeout() {
        BrokerError::Unknown(format!("no reply to the {what} in time: {e}"))
    } else {
        BrokerError::Unknown(format!("connection lost during the {what}: {e}"))
    }
}

/// A non-2xx reply.
pub(crate) fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    kind: CallKind,
) -> BrokerError {
    let (code, text) = parse_error_body(body);
    let message = if text.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        text
    };
    match status.as_u16() {
        429 => BrokerError::RateLimited {
            retry_after: retry_after(headers, chrono::Utc::now().timestamp()),
            banned: false,
        },
        401 => BrokerError::Auth(format!(
            "Alpaca refused the API keys ({message}); paper and live keys differ: \
             check them with `speedtrade keys set alpaca`"
        )),
        403 if kind == CallKind::Query => {
            BrokerError::Auth(format!("Alpaca denied access ({message})"))
        }
        404 if kind != CallKind::Submit => BrokerError::NotFound,
        404 => BrokerError::Rejected {
            code,
            message: format!("Alpaca endpoint not found ({message}): check the trading URL"),
        },
        500..=599 => BrokerError::Unknown(format!("Alpaca HTTP {}: {message}", status.as_u16())),
        _ => BrokerError::Rejected { code, message },
    }
}

/// How long a 429 asks us to wait: `Retry-After` (seconds), else `X-RateLimit-Reset` (Unix
/// seconds, clamped to 1–60 s), else [`DEFAULT_RETRY_AFTER`].
pub(crate) fn retry_after(headers: &HeaderMap, now_unix: i64) -> Duration {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    if let Some(secs) = header("retry-after") {
        return Duration::from_secs(secs.clamp(0, 3600).unsigned_abs());
    }
    if let Some(reset) = header("x-ratelimit-reset") {
        return Duration::from_secs((reset - now_unix).clamp(1, 60).unsigned_abs());
    }
    DEFAULT_RETRY_AFTER
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn statuses_classify_by_call_kind() {
        let body = br#"{"code":42210000,"message":"invalid limit_price 290.123. sub-penny increment does not fulfill minimum pricing criteria"}"#;
        let h = HeaderMap::new();
        let s = |n| StatusCode::from_u16(n).unwrap();
        let e = classify_status(s(422), &h, body, CallKind::Submit);
        assert_eq!(
            e,
            BrokerError::Rejected {
                code: Some(42210000),
                message: "invalid limit_price 290.123. sub-penny increment does not fulfill \
                          minimum pricing criteria"
                    .into()
            }
        );
        let forbidden = br#"{"code":40310000,"message":"insufficient buying power"}"#;
        assert!(matches!(
            classify_status(s(403), &h, forbidden, CallKind::Submit),
            BrokerError::Rejected {
                code: Some(40310000),
                ..
            }
        ));
        assert!(matches!(
            classify_status(s(403), &h, b"", CallKind::Query),
            BrokerError::Auth(_)
        ));
        assert!(matches!(
            classify_status(s(401), &h, b"", CallKind::Query),
            BrokerError::Auth(_)
        ));
        assert_eq!(
            classify_status(s(404), &h, b"", CallKind::Query),
            BrokerError::NotFound
        );
        assert_eq!(
            classify_status(s(404), &h, b"", CallKind::Cancel),
            BrokerError::NotFound
        );
        assert!(matches!(
            classify_status(s(404), &h, b"", CallKind::Submit),
            BrokerError::Rejected { .. }
        ));
        assert!(matches!(
            classify_status(s(503), &h, b"down", CallKind::Submit),
            BrokerError::Unknown(m) if m.contains("503")
        ));
    }

    #[test]
    fn rate_limits_use_the_headers_or_a_default() {
        let now = 1_700_000_000;
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Duration::from_secs(7)
        );
        let reset = (now + 25).to_string();
        assert_eq!(
            retry_after(&headers(&[("x-ratelimit-reset", &reset)]), now),
            Duration::from_secs(25)
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), DEFAULT_RETRY_AFTER);
        let e = classify_status(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("retry-after", "3")]),
            b"",
            CallKind::Submit,
        );
        assert_eq!(
            e,
            BrokerError::RateLimited {
                retry_after: Duration::from_secs(3),
                banned: false
            }
        );
    }
}
