//! A one-shot timer on its own `timerfd`, for the frame clock: it wakes the thread at its
//! deadline and at no other time. Tokio's timer wheel files a deadline under the highest bit
//! in which it differs from now, so a 33 ms sleep that crosses a 64 ms boundary first wakes
//! the thread at the boundary, only to file it a level down: half again as many wake-ups as
//! frames, and on a VM each wake-up costs tens of microseconds of CPU by itself. Elsewhere
//! than Linux, or if the kernel refuses a timerfd, it is a plain Tokio sleep.

use tokio::time::Instant;

/// A reusable one-shot timer. Asking again for the deadline it is already set to does not
/// touch the kernel, so a `select!` loop can ask on every turn.
#[derive(Debug)]
pub struct FrameTimer {
    fd: Option<imp::Fd>,
    /// The deadline the kernel timer is set to, until it is seen to expire.
    armed: Option<Instant>,
}

impl Default for FrameTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameTimer {
    /// A timer for the current Tokio runtime (call it inside one).
    pub fn new() -> Self {
        let fd = imp::Fd::new()
            .inspect_err(|e| tracing::debug!("no timerfd ({e}); frames use Tokio's timer"))
            .ok();
        Self { fd, armed: None }
    }

    /// Drops the deadline a dropped wait left set, so it does not wake the thread for nothing.
    pub fn cancel(&mut self) {
        if self.armed.take().is_some()
            && let Some(fd) = &self.fd
            && let Err(e) = fd.disarm()
        {
            tracing::debug!("timerfd_settime failed ({e})");
        }
    }

    /// Waits until `at` (at once if it has passed). Cancel-safe: a wait dropped before the
    /// deadline leaves the timer set, and the next wait for the same deadline goes on.
    pub async fn sleep_until(&mut self, at: Instant) {
        let now = Instant::now();
        if at <= now {
            return;
        }
        let Some(fd) = &self.fd else {
            return tokio::time::sleep_until(at).await;
        };
        if self.armed != Some(at) {
            if let Err(e) = fd.arm(at - now) {
                tracing::debug!("timerfd_settime failed ({e}); using Tokio's timer");
                return tokio::time::sleep_until(at).await;
            }
            self.armed = Some(at);
        }
        if let Err(e) = fd.expired().await {
            tracing::debug!("timerfd read failed ({e}); using Tokio's timer");
            tokio::time::sleep_until(at).await;
        }
        self.armed = None;
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use nix::errno::Errno;
    use nix::sys::time::TimeSpec;
    use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
    use std::io;
    use std::os::fd::{AsFd, AsRawFd, RawFd};
    use std::time::Duration;
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;

    /// A non-blocking monotonic timerfd registered with the runtime's reactor.
    #[derive(Debug)]
    pub struct Fd(AsyncFd<Raw>);

    /// The timerfd, as the reactor wants it.
    #[derive(Debug)]
    struct Raw(TimerFd);

    impl AsRawFd for Raw {
        fn as_raw_fd(&self) -> RawFd {
            self.0.as_fd().as_raw_fd()
        }
    }

    impl Fd {
        #[allow(unsafe_code)]
        pub fn new() -> io::Result<Self> {
            let flags = TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC;
            let fd = Raw(TimerFd::new(ClockId::CLOCK_MONOTONIC, flags)?);
            // SAFETY: `Raw` owns the timerfd, so the descriptor stays open and the same file
            // until the `AsyncFd` (which deregisters it first) drops it.
            let registered = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) };
            Ok(Self(registered.map_err(|e| e.into_parts().1)?))
        }

        /// Sets the timer to expire once, `after` from now (a new setting replaces the old one
        /// and forgets an expiry not yet read).
        pub fn arm(&self, after: Duration) -> io::Result<()> {
            // A zero setting would disarm the timer.
            let after = after.max(Duration::from_nanos(1));
            let when = Expiration::OneShot(TimeSpec::from_duration(after));
            Ok(self.0.get_ref().0.set(when, TimerSetTimeFlags::empty())?)
        }

        /// Takes an expiry waiting to be read, if there is one.
        #[cfg(test)]
        pub fn take_expiry(&self) -> bool {
            nix::unistd::read(self.0.get_ref().0.as_fd(), &mut [0u8; 8]).is_ok()
        }

        /// Unsets the timer (and forgets an expiry not yet read).
        pub fn disarm(&self) -> io::Result<()> {
            Ok(self.0.get_ref().0.unset()?)
        }

        /// Waits for the timer to expire and takes the expiry.
        pub async fn expired(&self) -> io::Result<()> {
            loop {
                let mut ready = self.0.readable().await?;
                match nix::unistd::read(self.0.get_ref().0.as_fd(), &mut [0u8; 8]) {
                    Ok(_) => {
                        // One-shot and read: not readable until set again, so the next wait
                        // need not try a read to learn that.
                        ready.clear_ready();
                        return Ok(());
                    }
                    Err(Errno::EAGAIN) => ready.clear_ready(),
                    Err(Errno::EINTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;
    use std::time::Duration;

    /// No timerfd here: [`super::FrameTimer`] falls back to Tokio's timer.
    #[derive(Debug)]
    pub enum Fd {}

    impl Fd {
        pub fn new() -> io::Result<Self> {
            Err(io::Error::new(io::ErrorKind::Unsupported, "no timerfd"))
        }

        pub fn arm(&self, _after: Duration) -> io::Result<()> {
            match *self {}
        }

        pub fn disarm(&self) -> io::Result<()> {
            match *self {}
        }

        pub async fn expired(&self) -> io::Result<()> {
            match *self {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(flavor = "current_thread")]
    async fn wakes_at_its_deadline_not_before() {
        let mut t = FrameTimer::new();
        assert!(t.fd.is_some(), "a timerfd on Linux");
        let start = Instant::now();
        t.sleep_until(start + 15 * MS).await;
        let took = start.elapsed();
        assert!(took >= 15 * MS, "woke after {took:?}");
        // Past deadlines return at once, and the timer is reusable.
        assert!(t.sleep_until(start).now_or_never().is_some());
        let again = Instant::now() + 5 * MS;
        t.sleep_until(again).await;
        assert!(Instant::now() >= again);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_wait_dropped_early_keeps_its_deadline_and_a_new_deadline_replaces_it() {
        let mut t = FrameTimer::new();
        let first = Instant::now() + 10 * MS;
        assert!(t.sleep_until(first).now_or_never().is_none(), "not yet");
        // The dropped wait's deadline passes unread; a later deadline must not fire early.
        tokio::time::sleep(20 * MS).await;
        let later = Instant::now() + 200 * MS;
        let raced = tokio::time::timeout(30 * MS, t.sleep_until(later)).await;
        assert!(raced.is_err(), "the old expiry woke the new deadline");
        t.sleep_until(later).await;
        assert!(Instant::now() >= later);
        // Dropped, then asked again for the same deadline: it still fires.
        let same = Instant::now() + 10 * MS;
        assert!(t.sleep_until(same).now_or_never().is_none());
        t.sleep_until(same).await;
        assert!(Instant::now() >= same);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_cancelled_deadline_does_not_fire() {
        let mut t = FrameTimer::new();
        let soon = Instant::now() + 5 * MS;
        assert!(t.sleep_until(soon).now_or_never().is_none());
        t.cancel();
        tokio::time::sleep(20 * MS).await;
        let fd = t.fd.as_ref().expect("a timerfd on Linux");
        assert!(!fd.take_expiry(), "the timer still went off");
    }
}
