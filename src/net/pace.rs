//! The frame clock a socket reader shares with the screen. While a feed sends faster than the
//! screen draws, the reader leaves what arrives in the kernel until just before the screen's
//! next frame and then takes it all at once: one wake-up (and one read, one TCP
//! acknowledgement) a frame instead of one a message, with nothing drawn later than it would
//! have been, since the screen draws on its frame grid anyway. Slower feeds are read as they
//! arrive.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How long before the screen's frame a paced reader reads again: time to parse and apply a
/// frame's worth of messages.
pub const LEAD: Duration = Duration::from_millis(2);

/// The screen's frame grid, as the screen last published it.
#[derive(Debug)]
pub struct FramePace {
    epoch: Instant,
    budget: Duration,
    /// The screen's next frame in nanoseconds after `epoch`; 0 until the first frame.
    next: AtomicU64,
}

impl FramePace {
    /// A clock for a screen drawing at most once per `budget` (at least a millisecond).
    pub fn new(budget: Duration) -> Self {
        Self {
            epoch: Instant::now(),
            budget: budget.max(Duration::from_millis(1)),
            next: AtomicU64::new(0),
        }
    }

    /// The screen's frame budget.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The screen drew a frame; its next one is due at `at`.
    pub fn frame_due(&self, at: Instant) {
        let ns = at.saturating_duration_since(self.epoch).as_nanos();
        let ns = u64::try_from(ns).unwrap_or(u64::MAX).max(1);
        self.next.store(ns, Ordering::Relaxed);
    }

    /// When a reader that found data arriving faster than frames, and has just taken all of
    /// it, should read again: [`LEAD`] before the first frame of the screen's grid it can
    /// still make. `None` before the screen has drawn (read as data arrives).
    pub fn resume_at(&self, now: Instant) -> Option<Instant> {
        let next = match self.next.load(Ordering::Relaxed) {
            0 => return None,
            ns => self.epoch + Duration::from_nanos(ns),
        };
        let mut at = next.checked_sub(LEAD).unwrap_or(next);
        if at <= now {
            // The screen has drawn no frame since (nothing changed): the grid continues.
            let behind = (now - at).as_nanos();
            let frames = behind / self.budget.as_nanos() + 1;
            at += self.budget * u32::try_from(frames).unwrap_or(u32::MAX);
        }
        Some(at)
    }

    /// Whether reads at `prev` and `now` came close enough to pace the reads: under two frames
    /// apart (a paced reader reads once a frame, give or take its timer's lateness), so the
    /// feed is at least about as fast as the screen and waiting for the next frame costs no
    /// latency.
    pub fn worth_pacing(&self, prev: Option<Instant>, now: Instant) -> bool {
        prev.is_some_and(|p| now.saturating_duration_since(p) < 2 * self.budget)
    }
}

/// A paced reader notes exactly when data first arrives on one pause in this many; the
/// other pauses cost no wake-up for it (see [`Arrival`]).
pub const SAMPLE_EVERY: u32 = 8;

/// When a message reached its socket, for tick-to-screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// Never later than the message reached the socket.
    pub at: Instant,
    /// Whether `at` is when it arrived (to within a wake-up) rather than only a bound before
    /// it. Noting the first arrival after a paced reader's pause takes a wake-up of its own,
    /// so the reader does it on one pause in [`SAMPLE_EVERY`]; after the others, what it
    /// reads is stamped with when it paused, and tick-to-screen leaves those frames out.
    pub exact: bool,
}

impl Arrival {
    /// Arrived at `at`.
    pub fn exact(at: Instant) -> Self {
        Self { at, exact: true }
    }

    /// Arrived at `at` or later.
    pub fn after(at: Instant) -> Self {
        Self { at, exact: false }
    }
}

/// The earlier of two arrivals (on a tie, the bound); an unknown one yields to a known one.
pub fn earliest(a: Option<Arrival>, b: Option<Arrival>) -> Option<Arrival> {
    match (a, b) {
        (Some(a), Some(b)) if a.at == b.at => Some(if a.exact { b } else { a }),
        (Some(a), Some(b)) => Some(if a.at < b.at { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn before_the_first_frame_a_reader_does_not_wait() {
        let p = FramePace::new(33 * MS);
        assert_eq!(p.resume_at(Instant::now()), None);
    }

    #[test]
    fn a_reader_resumes_just_before_the_screens_next_frame() {
        let p = FramePace::new(33 * MS);
        let now = Instant::now();
        p.frame_due(now + 20 * MS);
        let at = p.resume_at(now).expect("a frame is due");
        assert!(at <= now + 20 * MS - LEAD + MS && at >= now + 20 * MS - LEAD - MS);
    }

    #[test]
    fn a_frame_too_close_to_make_moves_the_reader_to_the_next_one() {
        let p = FramePace::new(33 * MS);
        let now = Instant::now();
        p.frame_due(now + MS);
        let at = p.resume_at(now).expect("a frame is due");
        let want = now + MS + 33 * MS - LEAD;
        assert!(at.max(want) - at.min(want) <= MS, "{:?}", at - now);
    }

    #[test]
    fn an_old_grid_continues_in_whole_frames() {
        let p = FramePace::new(33 * MS);
        let now = Instant::now();
        p.frame_due(now);
        let later = now + 1000 * MS;
        let at = p.resume_at(later).expect("a frame is due");
        assert!(at > later && at <= later + 33 * MS, "{:?}", at - later);
        let on_grid = (at + LEAD - now).as_nanos() % (33 * MS).as_nanos();
        assert!(on_grid < 1000, "{on_grid} ns off the grid");
    }

    #[test]
    fn the_earliest_arrival_decides_and_a_bound_there_makes_it_a_bound() {
        let t = Instant::now();
        let (e, b) = (Arrival::exact, Arrival::after);
        assert_eq!(earliest(Some(e(t)), Some(b(t + MS))), Some(e(t)));
        assert_eq!(earliest(Some(e(t + MS)), Some(b(t))), Some(b(t)));
        assert_eq!(earliest(Some(e(t)), Some(b(t))), Some(b(t)));
        assert_eq!(earliest(Some(b(t)), Some(e(t))), Some(b(t)));
        assert_eq!(earliest(None, Some(e(t))), Some(e(t)));
        assert_eq!(earliest(Some(b(t)), None), Some(b(t)));
    }

    #[test]
    fn reads_a_frame_apart_keep_pacing_and_slower_ones_end_it() {
        let p = FramePace::new(33 * MS);
        let now = Instant::now();
        assert!(!p.worth_pacing(None, now));
        assert!(p.worth_pacing(Some(now), now + 10 * MS));
        assert!(p.worth_pacing(Some(now), now + 35 * MS), "a late timer");
        assert!(!p.worth_pacing(Some(now), now + 70 * MS));
    }
}
