//! Fault injection: the configured faults, the seeded draw for lost order replies, and the
//! per-connection counters that decide which stream message to drop, break or bloat.

use super::args::{LoseMode, SimArgs};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Mutex;
use std::time::Duration;

/// How one lost reply shows itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// 503 with -1007.
    Error5xx,
    /// No reply until the hold time ends.
    Timeout,
}

/// The faults in force (all off by default).
#[derive(Debug)]
pub struct Faults {
    /// Close WebSocket connections after this long.
    pub disconnect_every: Option<Duration>,
    /// Drop every Nth diff-depth message per connection.
    pub gap_every: Option<u64>,
    /// Extra malformed frame after every Nth message.
    pub malformed_every: Option<u64>,
    /// Extra oversized frame after every Nth message.
    pub oversized_every: Option<u64>,
    /// Size of an oversized frame.
    pub oversized_bytes: usize,
    /// Delay before every REST response and WebSocket API reply.
    pub latency: Duration,
    /// Lost-reply probability in parts per million.
    pub lose_ppm: u32,
    /// Lost-reply mode.
    pub lose_mode: LoseMode,
    /// How long a timed-out reply is held.
    pub hold: Duration,
    rng: Mutex<ChaCha8Rng>,
}

impl Faults {
    /// The faults `args` asks for; the lost-reply draw is seeded from the simulator seed.
    pub fn from_args(args: &SimArgs) -> Faults {
        let nonzero = |n: Option<u64>| n.filter(|n| *n > 0);
        Faults {
            disconnect_every: args.fault_disconnect_every.filter(|d| !d.is_zero()),
            gap_every: nonzero(args.fault_gap_every),
            malformed_every: nonzero(args.fault_malformed_every),
            oversized_every: nonzero(args.fault_oversized_every),
            oversized_bytes: args.fault_oversized_bytes.max(64),
            latency: Duration::from_millis(args.fault_latency_ms),
            lose_ppm: args.fault_lose_reply_rate,
            lose_mode: args.fault_lose_reply_mode,
            hold: args.fault_hold_secs,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(args.seed ^ 0xfa17)),
        }
    }

    /// Whether (and how) to lose the reply of the order just placed.
    pub fn lose_reply(&self) -> Option<Lost> {
        if self.lose_ppm == 0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        if rng.random_range(0..1_000_000) >= self.lose_ppm {
            return None;
        }
        Some(match self.lose_mode {
            LoseMode::Error5xx => Lost::Error5xx,
            LoseMode::Timeout => Lost::Timeout,
            LoseMode::Mixed if rng.random_bool(0.5) => Lost::Timeout,
            LoseMode::Mixed => Lost::Error5xx,
        })
    }

    /// Sleeps for the configured latency, if any.
    pub async fn delay(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }
}

/// Per-connection counters for the stream faults.
#[derive(Debug, Default)]
pub struct StreamFaults {
    depth_sent: u64,
    sent: u64,
}

/// What to do with one outgoing stream message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verdict {
    /// Do not send it (a gap).
    pub drop: bool,
    /// Send a malformed frame after it.
    pub malformed: bool,
    /// Send an oversized frame after it.
    pub oversized: bool,
}

impl StreamFaults {
    /// Decides the fate of the next message (`is_depth` for diff-depth messages).
    pub fn next(&mut self, f: &Faults, is_depth: bool) -> Verdict {
        let every = |n: Option<u64>, count: u64| n.is_some_and(|n| count.is_multiple_of(n));
        let mut v = Verdict::default();
        if is_depth {
            self.depth_sent += 1;
            v.drop = every(f.gap_every, self.depth_sent);
        }
        if v.drop {
            return v;
        }
        self.sent += 1;
        v.malformed = every(f.malformed_every, self.sent);
        v.oversized = every(f.oversized_every, self.sent);
        v
    }
}

/// A truncated copy of a JSON payload (never valid JSON).
pub fn malformed_frame(payload: &[u8]) -> String {
    let cut = (payload.len() / 2).max(1).min(payload.len());
    String::from_utf8_lossy(&payload[..cut]).into_owned()
}

/// A valid JSON object of about `bytes` bytes.
pub fn oversized_frame(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 32);
    s.push_str("{\"e\":\"oversized\",\"pad\":\"");
    while s.len() + 2 < bytes {
        s.push('x');
    }
    s.push_str("\"}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_pick_every_nth() {
        let args = SimArgs {
            fault_gap_every: Some(3),
            fault_malformed_every: Some(2),
            fault_lose_reply_rate: 1_000_000,
            ..SimArgs::default()
        };
        let f = Faults::from_args(&args);
        let mut c = StreamFaults::default();
        let drops: Vec<bool> = (0..6).map(|_| c.next(&f, true).drop).collect();
        assert_eq!(drops, [false, false, true, false, false, true]);
        let next_two = [c.next(&f, false).malformed, c.next(&f, false).malformed];
        assert_eq!(
            next_two,
            [false, true],
            "4 sent so far; the 6th is followed by junk"
        );
        assert_eq!(f.lose_reply(), Some(Lost::Error5xx));
        assert!(serde_json::from_str::<serde_json::Value>(&malformed_frame(b"{\"a\":1}")).is_err());
        assert_eq!(oversized_frame(1000).len(), 1000);
    }
}
