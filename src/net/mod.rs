//! Networking helpers: backoff with jitter, reconnecting WebSocket, REST helpers.
