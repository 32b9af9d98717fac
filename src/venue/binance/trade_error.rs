//! Binance reply and transport error classification into `BrokerError` (protocols.md §1.7).

use super::trade_wire::BinanceErrorBody;
use crate::venue::BrokerError;
use std::time::Duration;

/// Wait assumed when a 429 has no `Retry-After` header.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Wait assumed when a 418 has no `Retry-After` header (the shortest documented ban).
const DEFAULT_BAN: Duration = Duration::from_secs(120);
/// Which call a reply belongs to: `-2013` means [`BrokerError::NotFound`] only for a query or
/// a cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// `POST /api/v3/order`.
    Place,
    /// `GET /api/v3/order`.
    Query,
    /// `DELETE /api/v3/order`.
    Cancel,
    /// Anything else.
    Other,
}

/// What a reply means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classified {
    /// 2xx: read the body.
    Ok,
    /// -1021: the timestamp was refused before the engine saw it; resync and resend.
    BadTimestamp(BrokerError),
    /// Any other failure.
    Err(BrokerError),
}

/// Classifies an HTTP reply per protocols.md §1.7.
pub fn classify(status: u16, retry_after: Option<&str>, body: &[u8], kind: CallKind) -> Classified {
    let parsed: Option<BinanceErrorBody> = serde_json::from_slice(body).ok();
    let code = parsed.as_ref().map(|b| b.code);
    let message = match &parsed {
        Some(b) => b.msg.clone(),
        None => format!("HTTP {status}: {}", snippet(body)),
    };
    if (200..300).contains(&status) {
        return Classified::Ok;
    }
    if code == Some(-1007) || status >= 500 {
        let detail = match code {
            Some(c) => format!("HTTP {status}, code {c}: {message}"),
            None => message,
        };
        return Classified::Err(BrokerError::Unknown(detail));
    }
    if status == 429 || status == 418 {
        let banned = status == 418;
        let default = if banned {
            DEFAULT_BAN
        } else {
            DEFAULT_RETRY_AFTER
        };
        let retry_after = retry_after
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(default, Duration::from_secs);
        return Classified::Err(BrokerError::RateLimited {
            retry_after,
            banned,
        });
    }
    match code {
        Some(-2014 | -2015 | -1022) => return Classified::Err(BrokerError::Auth(message)),
        Some(-2013) if matches!(kind, CallKind::Query | CallKind::Cancel) => {
            return Classified::Err(BrokerError::NotFound);
        }
        Some(-1021) => {
            return Classified::BadTimestamp(BrokerError::Rejected { code, message });
        }
        _ => {}
    }
    if status == 401 {
        return Classified::Err(BrokerError::Auth(message));
    }
    if (400..500).contains(&status) {
        return Classified::Err(BrokerError::Rejected { code, message });
    }
    // 1xx / 3xx: not a documented answer; assume the worst for the order.
    Classified::Err(BrokerError::Unknown(format!(
        "unexpected HTTP {status}: {message}"
    )))
}

/// At most 200 characters of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// Classifies a transport failure: nothing was written when the connection never opened;
/// anything later (timeout, reset, truncated reply) leaves the outcome unknown.
pub fn classify_transport(e: &reqwest::Error, what: &str) -> BrokerError {
    let detail = error_chain(e);
    if e.is_connect() || e.is_builder() {
        BrokerError::NotSent(format!("{what}: {detail}"))
    } else if e.is_timeout() {
        BrokerError::Unknown(format!("{what}: timed out waiting for the reply"))
    } else {
        BrokerError::Unknown(format!("{what}: {detail}"))
    }
}

pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = String::from("request failed");
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, ra: Option<&str>, body: &str, kind: CallKind) -> BrokerError {
        match classify(status, ra, body.as_bytes(), kind) {
            Classified::Err(e) | Classified::BadTimestamp(e) => e,
            Classified::Ok => panic!("expected an error"),
        }
    }

    #[test]
    fn classification_table() {
        let cases: Vec<(&str, BrokerError)> = vec![
            ("5xx", err(503, None, "<html>", CallKind::Place)),
            (
                "-1007",
                err(
                    408,
                    None,
                    r#"{"code":-1007,"msg":"Timeout"}"#,
                    CallKind::Place,
                ),
            ),
            (
                "429",
                err(
                    429,
                    Some("7"),
                    r#"{"code":-1003,"msg":"x"}"#,
                    CallKind::Place,
                ),
            ),
            ("418", err(418, Some("300"), "", CallKind::Place)),
            ("429 no header", err(429, None, "", CallKind::Place)),
            (
                "-2013 query",
                err(
                    400,
                    None,
                    r#"{"code":-2013,"msg":"Order does not exist."}"#,
                    CallKind::Query,
                ),
            ),
            (
                "-2013 place",
                err(
                    400,
                    None,
                    r#"{"code":-2013,"msg":"Order does not exist."}"#,
                    CallKind::Place,
                ),
            ),
            (
                "-1022",
                err(
                    400,
                    None,
                    r#"{"code":-1022,"msg":"Signature bad"}"#,
                    CallKind::Place,
                ),
            ),
            (
                "-2015",
                err(
                    401,
                    None,
                    r#"{"code":-2015,"msg":"Invalid API-key"}"#,
                    CallKind::Other,
                ),
            ),
            ("403 waf", err(403, None, "blocked", CallKind::Place)),
        ];
        let expect = [
            BrokerError::Unknown("HTTP 503: <html>".into()),
            BrokerError::Unknown("HTTP 408, code -1007: Timeout".into()),
            BrokerError::RateLimited {
                retry_after: Duration::from_secs(7),
                banned: false,
            },
            BrokerError::RateLimited {
                retry_after: Duration::from_secs(300),
                banned: true,
            },
            BrokerError::RateLimited {
                retry_after: DEFAULT_RETRY_AFTER,
                banned: false,
            },
            BrokerError::NotFound,
            BrokerError::Rejected {
                code: Some(-2013),
                message: "Order does not exist.".into(),
            },
            BrokerError::Auth("Signature bad".into()),
            BrokerError::Auth("Invalid API-key".into()),
            BrokerError::Rejected {
                code: None,
                message: "HTTP 403: blocked".into(),
            },
        ];
        for ((label, got), want) in cases.into_iter().zip(expect) {
            assert_eq!(got, want, "{label}");
        }
        assert!(matches!(
            classify(
                400,
                None,
                br#"{"code":-1021,"msg":"late"}"#,
                CallKind::Place
            ),
            Classified::BadTimestamp(_)
        ));
        assert_eq!(classify(200, None, b"{}", CallKind::Place), Classified::Ok);
    }
}
