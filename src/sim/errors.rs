//! Binance API errors as the simulator returns them: HTTP status, code and message, rendered as
//! `{"code":..,"msg":..}` (REST) or inside `"error"` (WebSocket API).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error reply of the Binance API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {msg}")]
pub struct ApiError {
    /// HTTP status (400, 401, 404, 418, 429, 503).
    pub status: u16,
    /// Binance error code, e.g. -1121.
    pub code: i32,
    /// Message, worded like Binance's.
    pub msg: String,
    /// `Retry-After` seconds for 429/418.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// A 400 error with `code` and `msg`.
    pub fn bad(code: i32, msg: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            code,
            msg: msg.into(),
            retry_after: None,
        }
    }

    /// -1102: a mandatory parameter is missing.
    pub fn missing(param: &str) -> ApiError {
        Self::bad(
            -1102,
            format!("Mandatory parameter '{param}' was not sent, was empty/null, or malformed."),
        )
    }

    /// -1100: a parameter has characters outside its legal range.
    pub fn illegal(param: &str, range: &str) -> ApiError {
        Self::bad(
            -1100,
            format!("Illegal characters found in parameter '{param}'; legal range is '{range}'."),
        )
    }

    /// -1106: a parameter was sent that this order type does not take.
    pub fn not_required(param: &str) -> ApiError {
        Self::bad(
            -1106,
            format!("Parameter '{param}' sent when not required."),
        )
    }

    /// -1121: unknown symbol.
    pub fn bad_symbol() -> ApiError {
        Self::bad(-1121, "Invalid symbol.")
    }

    /// -1013: a filter rejected the order.
    pub fn filter(name: &str) -> ApiError {
        Self::bad(-1013, format!("Filter failure: {name}"))
    }

    /// -2010: the matching engine rejected a new order.
    pub fn rejected(msg: &str) -> ApiError {
        Self::bad(-2010, msg)
    }

    /// -2013: no such order.
    pub fn no_such_order() -> ApiError {
        Self::bad(-2013, "Order does not exist.")
    }

    /// -2011: cancel of an unknown or finished order.
    pub fn cancel_rejected() -> ApiError {
        Self::bad(-2011, "Unknown order sent.")
    }

    /// -1022: the signature does not match.
    pub fn bad_signature() -> ApiError {
        Self::bad(-1022, "Signature for this request is not valid.")
    }

    /// -2014 (401): the API key is missing or malformed.
    pub fn key_format() -> ApiError {
        ApiError {
            status: 401,
            code: -2014,
            msg: "API-key format invalid.".into(),
            retry_after: None,
        }
    }

    /// -2015 (401): unknown API key.
    pub fn bad_key() -> ApiError {
        ApiError {
            status: 401,
            code: -2015,
            msg: "Invalid API-key, IP, or permissions for action.".into(),
            retry_after: None,
        }
    }

    /// -1007 (503): the reply was lost; the order's fate is unknown to the client.
    pub fn timeout() -> ApiError {
        ApiError {
            status: 503,
            code: -1007,
            msg: "Timeout waiting for response from backend server. Send status unknown; \
                  execution status unknown."
                .into(),
            retry_after: None,
        }
    }

    /// The JSON body `{"code":..,"msg":..}`.
    pub fn body(&self) -> String {
        serde_json::json!({ "code": self.code, "msg": self.msg }).to_string()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut resp = (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            self.body(),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}
