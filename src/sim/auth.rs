//! Signed-request checks exactly as Binance does them: the API key header, HMAC-SHA256 over
//! the query string concatenated with the body (REST) or over the sorted params (WebSocket
//! API), and the timestamp / recvWindow rule.

use super::errors::ApiError;
use super::params::Params;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The demo account's API key. Only the simulator accepts it.
pub const DEMO_API_KEY: &str = "speedtradeSimDemoKey0000000000000000000000000000000000000000000A";
/// The demo account's API secret. Public by design: it only works against the simulator.
pub const DEMO_API_SECRET: &str =
    "speedtradeSimDemoSecret00000000000000000000000000000000000000000S";

/// Default `recvWindow` (ms).
const DEFAULT_RECV_WINDOW: i64 = 5000;
/// Largest accepted `recvWindow` (ms).
const MAX_RECV_WINDOW: i64 = 60_000;

/// `hex(HMAC_SHA256(secret, payload))`, lower case.
pub fn sign(secret: &str, payload: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(payload.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` (hex, any case) is the HMAC of `payload` under `secret`.
pub fn signature_matches(secret: &str, payload: &str, signature: &str) -> bool {
    let Ok(sig) = hex::decode(signature) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(payload.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// Removes the `signature=` parameter from a raw query string or body.
pub fn strip_signature(raw: &str) -> String {
    raw.split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("signature="))
        .collect::<Vec<_>>()
        .join("&")
}

/// Checks the `X-MBX-APIKEY` value.
pub fn check_api_key(key: Option<&str>) -> Result<(), ApiError> {
    match key {
        None | Some("") => Err(ApiError::key_format()),
        Some(k) if k == DEMO_API_KEY => Ok(()),
        Some(_) => Err(ApiError::bad_key()),
    }
}

/// Verifies a signed REST request and returns its merged parameters.
pub fn verify_rest(
    api_key: Option<&str>,
    raw_query: &str,
    raw_body: &str,
    now_ms: i64,
) -> Result<Params, ApiError> {
    check_api_key(api_key)?;
    let params = Params::merged(raw_query, raw_body);
    let payload = format!(
        "{}{}",
        strip_signature(raw_query),
        strip_signature(raw_body)
    );
    check_signed(&params, &payload, now_ms)?;
    Ok(params)
}

/// The WebSocket API payload: every param but `signature`, sorted by name, `k=v` joined by `&`.
pub fn ws_payload(params: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut keys: Vec<&String> = params.keys().filter(|k| *k != "signature").collect();
    keys.sort();
    keys.iter()
        .map(|k| format!("{k}={}", plain_value(&params[k.as_str()])))
        .collect::<Vec<_>>()
        .join("&")
}

/// A JSON value as it appears in a signed payload (strings without quotes).
pub fn plain_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Verifies a signed WebSocket API request (`apiKey` inside the params).
pub fn verify_ws(
    params: &serde_json::Map<String, serde_json::Value>,
    now_ms: i64,
) -> Result<Params, ApiError> {
    let key = params.get("apiKey").map(plain_value);
    check_api_key(key.as_deref())?;
    let flat = Params(
        params
            .iter()
            .map(|(k, v)| (k.clone(), plain_value(v)))
            .collect(),
    );
    check_signed(&flat, &ws_payload(params), now_ms)?;
    Ok(flat)
}

/// -1102 for a missing timestamp or signature, -1022 for a wrong signature, -1021 for a
/// timestamp outside the window.
fn check_signed(params: &Params, payload: &str, now_ms: i64) -> Result<(), ApiError> {
    let ts = params
        .get("timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| ApiError::missing("timestamp"))?;
    let signature = params.req("signature")?;
    let window = recv_window(params)?;
    if !signature_matches(DEMO_API_SECRET, payload, signature) {
        return Err(ApiError::bad_signature());
    }
    check_timestamp(ts, window, now_ms)
}

fn recv_window(params: &Params) -> Result<i64, ApiError> {
    let Some(raw) = params.get("recvWindow") else {
        return Ok(DEFAULT_RECV_WINDOW);
    };
    let units = crate::domain::num::parse_units(raw.as_bytes())
        .map_err(|_| ApiError::illegal("recvWindow", r"^[0-9]{1,5}(\.[0-9]{1,3})?$"))?;
    let ms = units / 100_000_000;
    if !(0..=MAX_RECV_WINDOW).contains(&ms) {
        return Err(ApiError::bad(-1131, "recvWindow must be less than 60000"));
    }
    Ok(ms)
}

/// Binance's rule: accept if `timestamp < now + 1s` and `now - timestamp <= recvWindow`.
/// Timestamps with 16 digits are microseconds.
pub fn check_timestamp(ts: i64, window_ms: i64, now_ms: i64) -> Result<(), ApiError> {
    let ts_ms = if ts > 100_000_000_000_000 {
        ts / 1000
    } else {
        ts
    };
    if ts_ms >= now_ms + 1000 {
        return Err(ApiError::bad(
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if now_ms - ts_ms > window_ms {
        return Err(ApiError::bad(
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_vector_and_rules() {
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        assert_eq!(sign(secret, payload), sig);
        assert!(signature_matches(secret, payload, &sig.to_uppercase()));
        assert_eq!(strip_signature("a=1&signature=ff&b=2"), "a=1&b=2");
        assert!(check_timestamp(1000, 5000, 6000).is_ok());
        assert_eq!(check_timestamp(1000, 5000, 6001).unwrap_err().code, -1021);
        assert_eq!(check_timestamp(8000, 5000, 7000).unwrap_err().code, -1021);
        assert!(check_timestamp(6_999_999_000_000_000, 5000, 6_999_999_001_000).is_ok());
        assert_eq!(check_api_key(None).unwrap_err().code, -2014);
        assert_eq!(check_api_key(Some("x")).unwrap_err().code, -2015);
    }
}
