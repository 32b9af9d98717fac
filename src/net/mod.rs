//! Networking helpers: backoff with jitter, reconnecting WebSocket, REST helpers.

pub mod backoff;
mod lowat;
pub mod pace;
pub mod timer;
pub mod ws;
mod ws_conn;
mod ws_socket;

pub use backoff::{Backoff, BackoffConfig, BackoffError};
pub use pace::{Arrival, FramePace};
pub use timer::FrameTimer;
pub use ws::{WsClient, WsCommand, WsConfig, WsError, WsEvent, WsSender};

/// Bytes a WebSocket reads from its socket at a time. Market messages are a few KiB; larger
/// ones take several reads. tungstenite zeroes this much before each read, so its 128 KiB
/// default cost more than the read itself at a thousand messages a second.
pub const READ_CHUNK: usize = 16 * 1024;

/// Installs rustls' `ring` crypto provider for this process (once; "already installed" is
/// fine). Every TLS client (WebSocket, reqwest) calls this before connecting.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Turns Nagle's algorithm off on a connection a local server accepted: the simulator and the
/// replay server send each small frame as they make it, as a venue's market-data servers do
/// (with Nagle on, a frame would wait for the client's acknowledgement of the one before).
pub fn no_delay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!("TCP_NODELAY refused: {e}");
    }
}
