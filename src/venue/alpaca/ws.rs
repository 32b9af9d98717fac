//! WebSocket plumbing shared by the two Alpaca streams: connect with a timeout, read the next
//! data frame (text or binary) with a deadline, and log malformed frames without flooding.

use super::AlpacaSetupError;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A client WebSocket connection.
pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Largest frame accepted (a burst of Alpaca messages is far smaller); bigger is an error.
const MAX_MESSAGE: usize = 16 << 20;

/// Checks that `url` is a WebSocket URL.
pub(crate) fn check_ws_url(url: &str) -> Result<String, AlpacaSetupError> {
    let trimmed = url.trim().trim_end_matches('/');
    if trimmed.starts_with("wss://") || trimmed.starts_with("ws://") {
        Ok(trimmed.to_string())
    } else {
        Err(AlpacaSetupError::BadUrl {
            url: url.to_string(),
            reason: "must start with wss:// (or ws:// for a local test server)".into(),
        })
    }
}

/// Opens a connection, giving up after `limit`.
pub(crate) async fn connect(url: &str, limit: Duration) -> Result<Ws, String> {
    let config = WebSocketConfig::default()
        .read_buffer_size(crate::net::READ_CHUNK)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let attempt = tokio_tungstenite::connect_async_with_config(url, Some(config), false);
    match tokio::time::timeout(limit, attempt).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(format!("could not connect: {e}")),
        Err(_) => Err(format!("no connection within {}s", limit.as_secs())),
    }
}

/// Sends a text message; the error text is for the user.
pub(crate) async fn send_text(ws: &mut Ws, text: String) -> Result<(), String> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| format!("send failed: {e}"))
}

/// What reading the socket produced.
pub(crate) enum Incoming {
    /// A text or binary frame's payload.
    Data(Bytes),
    /// A control frame (ping, pong): the peer is alive.
    Control,
    /// The connection ended; the text says why.
    Closed(String),
}

/// Interprets one item from the socket stream.
pub(crate) fn incoming(
    item: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Incoming {
    match item {
        Some(Ok(Message::Text(t))) => Incoming::Data(Bytes::from(t)),
        Some(Ok(Message::Binary(b))) => Incoming::Data(b),
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Incoming::Control,
        Some(Ok(Message::Close(frame))) => Incoming::Closed(match frame {
            Some(f) if !f.reason.is_empty() => format!("closed by Alpaca: {}", f.reason),
            _ => "closed by Alpaca".into(),
        }),
        Some(Err(e)) => Incoming::Closed(format!("connection error: {e}")),
        None => Incoming::Closed("connection dropped".into()),
    }
}

/// Reads until the next data frame, or fails at `deadline`.
pub(crate) async fn next_data(ws: &mut Ws, deadline: Instant) -> Result<Bytes, String> {
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return Err("Alpaca did not answer in time".into()),
            Ok(item) => match incoming(item) {
                Incoming::Data(b) => return Ok(b),
                Incoming::Control => {}
                Incoming::Closed(why) => return Err(why),
            },
        }
    }
}

/// Counts malformed frames and logs the first few, then one in a thousand.
#[derive(Debug, Default)]
pub(crate) struct BadFrames {
    count: u64,
}

impl BadFrames {
    /// Records one bad frame or element.
    pub fn record(&mut self, what: &str, error: &dyn std::fmt::Display) {
        self.count += 1;
        if self.count <= 5 || self.count.is_multiple_of(1000) {
            tracing::warn!(count = self.count, what, %error, "malformed Alpaca message skipped");
        }
    }

    /// How many were skipped so far.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_websocket_urls_are_accepted() {
        assert_eq!(check_ws_url("wss://a.test/v2/").unwrap(), "wss://a.test/v2");
        assert!(check_ws_url("ws://127.0.0.1:1/stream").is_ok());
        assert!(check_ws_url("https://a.test").is_err());
        let mut bad = BadFrames::default();
        bad.record("frame", &"oops");
        assert_eq!(bad.count(), 1);
    }
}
