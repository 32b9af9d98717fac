//! What a paced WebSocket reader asks of the TCP socket under it: whether to read it, or only
//! to notice the first data arriving while reading is paused (see [`super::pace`]).

use super::pace::Arrival;
use super::ws_conn::Ws;
use futures_util::{FutureExt, StreamExt};
use std::os::fd::{AsFd, BorrowedFd};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::{Error as WsErr, Message};

/// What the socket is watched for.
pub(super) enum Watch {
    /// Messages.
    Read,
    /// Paused: only when data first arrives after the given time (when the reading paused).
    Arrival(Instant),
    /// Paused, and that is known.
    Nothing,
}

/// What the current socket had.
pub(super) enum FromSocket {
    /// A message (or its end).
    Message(Option<Result<Message, WsErr>>),
    /// Data reached the paused socket.
    Arrived(Arrival),
}

pub(super) async fn from_socket(ws: &mut Ws, watch: Watch) -> FromSocket {
    match watch {
        Watch::Read => FromSocket::Message(ws.next().await),
        Watch::Arrival(paused_at) => FromSocket::Arrived(first_arrival(ws, paused_at).await),
        Watch::Nothing => std::future::pending().await,
    }
}

/// The TCP socket under a WebSocket.
fn tcp(ws: &Ws) -> Option<&TcpStream> {
    match ws.get_ref() {
        MaybeTlsStream::Plain(s) => Some(s),
        MaybeTlsStream::Rustls(s) => Some(s.get_ref().0),
        _ => None,
    }
}

pub(super) fn socket(ws: &Ws) -> Option<BorrowedFd<'_>> {
    tcp(ws).map(AsFd::as_fd)
}

/// Data found within this long of the pause counts as arriving when the reader paused.
const AT_ONCE: std::time::Duration = std::time::Duration::from_millis(1);

/// When data first reached the TCP socket under `ws` after `paused_at`, without reading it.
async fn first_arrival(ws: &Ws, paused_at: Instant) -> Arrival {
    let Some(tcp) = tcp(ws) else {
        return std::future::pending().await;
    };
    // Something there already (or the socket's end): it came after the pause began, and if
    // the pause began just now, that is when. A peek that finds nothing clears the socket's
    // readiness, so the next wake-up is new data.
    if tcp.peek(&mut [0u8; 1]).now_or_never().is_some() {
        return Arrival {
            at: paused_at,
            exact: paused_at.elapsed() < AT_ONCE,
        };
    }
    match tcp.readable().await {
        Ok(()) => Arrival::exact(Instant::now()),
        // Reading will say what went wrong.
        Err(_) => std::future::pending().await,
    }
}
