//! The reconnect loop both Alpaca streams run: say "connecting", run one session, report how it
//! ended, wait out a jittered backoff and try again — until the app goes away or retrying
//! cannot help.

use super::backoff::Backoff;
use super::data_state::Closed;
use crate::venue::ConnState;
use std::future::Future;
use std::time::Duration;

/// How one connection ended.
pub(crate) enum End {
    /// The app is gone: stop.
    Shutdown,
    /// Retrying cannot help (e.g. keys refused): stop and tell the user.
    Fatal(String),
    /// Reconnect after a backoff.
    Lost(String),
}

impl From<Closed> for End {
    fn from(_: Closed) -> Self {
        End::Shutdown
    }
}

/// One stream's task, as the reconnect loop drives it.
pub(crate) trait Session: Send {
    /// Names the stream in the log.
    const NAME: &'static str;

    /// Tells the app the connection state; fails once the app is gone.
    fn conn(&self, state: ConnState) -> impl Future<Output = Result<(), Closed>> + Send;

    /// Connects, authenticates and streams until the connection ends.
    fn session(&mut self) -> impl Future<Output = End> + Send;

    /// Waits `delay` before the next attempt; fails once the app is gone.
    fn pause(&mut self, delay: Duration) -> impl Future<Output = Result<(), Closed>> + Send;

    /// The reconnect delays.
    fn backoff(&mut self) -> &mut Backoff;

    /// What the user is told a lost connection was about (a venue error beats "closed").
    fn lost_reason(&mut self, reason: String) -> String {
        reason
    }
}

/// Runs sessions until the app goes away or one ends fatally (reported as [`ConnState::Down`]).
pub(crate) async fn run<S: Session>(mut task: S) {
    loop {
        if task.conn(ConnState::Connecting).await.is_err() {
            return;
        }
        let reason = match task.session().await {
            End::Shutdown => return,
            End::Fatal(msg) => {
                let _ = task.conn(ConnState::Down(msg)).await;
                return;
            }
            End::Lost(reason) => task.lost_reason(reason),
        };
        let retry_in = task.backoff().next_delay();
        tracing::info!(%reason, ?retry_in, stream = S::NAME, "alpaca stream reconnecting");
        let state = ConnState::Reconnecting { retry_in, reason };
        if task.conn(state).await.is_err() || task.pause(retry_in).await.is_err() {
            return;
        }
    }
}
