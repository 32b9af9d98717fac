//! Polling for a condition in async tests, shared by the test support modules.

use std::time::Duration;

/// Polls `cond` every 10 ms until it holds or `timeout` passes; says whether it held.
pub async fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}
