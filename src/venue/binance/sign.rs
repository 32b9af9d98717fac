//! Binance HMAC-SHA256 request signing: what is signed (REST / WS-API payload rules) kept apart
//! from how it is signed (a keyed MAC that never exposes the secret).
//!
//! See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/request-security>
//! and the WebSocket API "SIGNED request example (HMAC)".

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Signs payloads with HMAC-SHA256 and returns lower-case hex.
///
/// Holds the keyed MAC state, not the secret text; `Debug` prints `***`.
#[derive(Clone)]
pub struct HmacSigner {
    mac: Hmac<Sha256>,
}

impl HmacSigner {
    /// Keys a signer with the API secret (any length is a valid HMAC key).
    pub fn new(secret: &str) -> Self {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail for SHA-256; the
        // fallback keeps the signature wrong (and the venue says so) instead of panicking.
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
        Self { mac }
    }

    /// `hex(HMAC_SHA256(secret, payload))`, lower case.
    pub fn sign(&self, payload: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(payload);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Signs a REST request: the query string concatenated, without a separator, with the body.
    pub fn sign_rest(&self, query: &str, body: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(query.as_bytes());
        mac.update(body.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Signs WebSocket API params (see [`ws_api_payload`]).
    pub fn sign_ws_api(&self, params: &[(&str, &str)]) -> String {
        self.sign(ws_api_payload(params).as_bytes())
    }
}

impl fmt::Debug for HmacSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacSigner(***)")
    }
}

/// The `timestamp` source for signed requests: local time plus the measured offset to the
/// server's clock (updated after a -1021). Clones share one offset.
#[derive(Debug, Clone, Default)]
pub struct ServerClock {
    offset_ms: Arc<AtomicI64>,
}

impl ServerClock {
    /// A clock that trusts local time until told otherwise.
    pub fn new() -> Self {
        Self::default()
    }

    /// Server time estimate in ms.
    pub fn now_ms(&self) -> i64 {
        crate::domain::now_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// The current offset (server minus local), ms.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Records a server time read between local times `sent_ms` and `received_ms`, assuming the
    /// server stamped it half-way; returns the new offset.
    pub fn observe(&self, server_ms: i64, sent_ms: i64, received_ms: i64) -> i64 {
        let midpoint = sent_ms + (received_ms - sent_ms) / 2;
        let offset = server_ms - midpoint;
        self.offset_ms.store(offset, Ordering::Relaxed);
        offset
    }
}

/// Ordered REST parameters, encoded the way they are sent and signed.
///
/// Names and values are percent-encoded (every byte outside `A-Z a-z 0-9 - _ . ~`, as UTF-8
/// `%XX` upper case), so a non-ASCII value is encoded *before* signing, as Binance requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestParams {
    encoded: String,
}

impl RestParams {
    /// No parameters yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `name=value`.
    pub fn push(&mut self, name: &str, value: impl fmt::Display) -> &mut Self {
        if !self.encoded.is_empty() {
            self.encoded.push('&');
        }
        percent_encode_into(&mut self.encoded, name);
        self.encoded.push('=');
        percent_encode_into(&mut self.encoded, &value.to_string());
        self
    }

    /// Appends `name=value` when `value` is `Some`.
    pub fn push_opt(&mut self, name: &str, value: Option<impl fmt::Display>) -> &mut Self {
        if let Some(v) = value {
            self.push(name, v);
        }
        self
    }

    /// The encoded `k=v&k=v` text.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// `true` when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.encoded.is_empty()
    }

    /// The encoded text with `&signature=<hex>` appended, signed as a query string alone.
    pub fn signed(&self, signer: &HmacSigner) -> String {
        let sig = signer.sign_rest(&self.encoded, "");
        let mut out = String::with_capacity(self.encoded.len() + 76);
        out.push_str(&self.encoded);
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str("signature=");
        out.push_str(&sig);
        out
    }
}

/// Percent-encodes `s` as UTF-8, keeping only RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    percent_encode_into(&mut out, s);
    out
}

fn percent_encode_into(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// The WebSocket API payload: every param except `signature`, sorted by name, joined as
/// `k=v&…`, with no percent-encoding.
pub fn ws_api_payload(params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = params.iter().filter(|(k, _)| *k != "signature").collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    #[test]
    fn params_encode_non_ascii_and_reserved_bytes() {
        let mut p = RestParams::new();
        p.push("symbol", "１２")
            .push("note", "a b&c=d")
            .push_opt("x", None::<u8>);
        assert_eq!(p.as_str(), "symbol=%EF%BC%91%EF%BC%92&note=a%20b%26c%3Dd");
    }

    #[test]
    fn ws_payload_sorts_and_drops_signature() {
        let p = ws_api_payload(&[("timestamp", "1"), ("signature", "zz"), ("apiKey", "k")]);
        assert_eq!(p, "apiKey=k&timestamp=1");
    }

    #[test]
    fn debug_hides_the_key() {
        let s = HmacSigner::new(SECRET);
        assert_eq!(format!("{s:?}"), "HmacSigner(***)");
    }

    #[test]
    fn signed_query_appends_signature() {
        let mut p = RestParams::new();
        p.push("symbol", "LTCBTC")
            .push("side", "BUY")
            .push("type", "LIMIT")
            .push("timeInForce", "GTC")
            .push("quantity", 1)
            .push("price", "0.1")
            .push("recvWindow", 5000)
            .push("timestamp", 1499827319559u64);
        let q = p.signed(&HmacSigner::new(SECRET));
        assert!(q.ends_with(
            "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        ));
    }
}
