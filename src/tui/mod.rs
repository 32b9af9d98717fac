//! The terminal UI runtime: the app loop that turns input, market data and timers into
//! actions, runs `update`, performs commands, and draws at most once per frame budget — and
//! only when something changed.

pub mod input;
pub mod latency;
pub mod render;
pub mod source;
pub mod terminal;

pub use source::MarketSource;

use crate::app::{Action, AppState, Command, update};
use crate::domain::now_ms;
use crate::net::FrameTimer;
use crate::net::pace::{Arrival, earliest};
use crate::venue::MarketEvent;
use futures_util::FutureExt as _;
use std::io::Write;
use std::time::Duration;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Most market events handled between two looks at the keyboard.
const MARKET_BATCH: usize = 512;

/// How late a frame may start and still count as on time.
const TIMER_SLACK: Duration = Duration::from_millis(4);

/// Most market events taken in just before a frame.
const MAX_DRAIN: usize = 8 * MARKET_BATCH;

/// How early a frame asked for by market data may be drawn: a paced feed delivers its frame's
/// data [`crate::net::pace::LEAD`] before the frame, and waiting out the rest would cost a
/// timer wake-up for nothing.
const EARLY: Duration = Duration::from_millis(3);

/// Where the loop gets market data and other results, and sends the commands it does not
/// handle itself.
pub struct Wiring {
    /// Market events (bounded; the feed conflates book updates).
    pub market: Box<dyn MarketSource>,
    /// Results from the rest of the program: orders, fills, instruments, notices, stats.
    pub events: mpsc::UnboundedReceiver<Action>,
    /// Commands for the rest of the program (feeds, order manager).
    pub commands: mpsc::UnboundedSender<Command>,
    /// Sees every market event before `update` does (the paper broker fills against it).
    pub tap: Box<dyn Fn(&MarketEvent) + Send>,
    /// Where tick-to-screen delays are recorded, if anyone reads them.
    pub latency: Option<latency::SharedHistogram>,
    /// The frame clock paced feeds read by; the loop publishes each next frame on it.
    pub pace: Option<std::sync::Arc<crate::net::FramePace>>,
}

/// SIGTERM, SIGHUP (the SSH session dropped) and SIGINT.
struct Signals {
    term: Signal,
    hup: Signal,
    int: Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }
}

/// Everything the loop waits on besides the terminal.
struct Inputs {
    keys: mpsc::UnboundedReceiver<Action>,
    signals: Signals,
    /// Wakes the loop for a frame (a timerfd: see [`FrameTimer`]).
    frame_timer: FrameTimer,
    /// Wakes the loop for the clock, on the wall clock's whole seconds.
    clock_timer: FrameTimer,
    next_tick: Instant,
    batch: Vec<MarketEvent>,
    /// When the oldest message behind the market data taken since the last frame reached its
    /// socket, if the source knows.
    arrived: Option<Arrival>,
    market_open: bool,
    events_open: bool,
}

/// Where an action came from: the keyboard draws at once, anything else waits for the frame
/// budget.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Keys, paste, resize.
    User,
    /// Market data.
    Market,
    /// The clock, results from the rest of the program, signals.
    Other,
}

/// What woke the loop.
enum Wake {
    /// Things to apply.
    Actions(Vec<Action>, Source),
    /// A frame is due.
    Draw,
}

impl Inputs {
    /// Waits for the next thing to do. Keys first, so data never starves input; a due frame
    /// before more data, so data never starves drawing. While a frame is pending the market is
    /// not read: what arrives meanwhile is taken in one batch just before the frame, so a burst
    /// costs one wake-up per frame, not one per message.
    async fn next(&mut self, w: &mut Wiring, draw_at: Option<Instant>) -> Wake {
        let mut out = Vec::new();
        if draw_at.is_some_and(|at| at <= Instant::now()) {
            // Due now: no trip through the timer and the runtime.
            self.more_keys(&mut out);
            return match out.is_empty() {
                true => Wake::Draw,
                false => Wake::Actions(out, Source::User),
            };
        }
        let mut source = Source::Other;
        tokio::select! {
            biased;
            Some(a) = self.keys.recv() => {
                out.push(a);
                self.more_keys(&mut out);
                source = Source::User;
            }
            _ = self.signals.term.recv() => out.push(Action::Signal("SIGTERM")),
            _ = self.signals.hup.recv() => out.push(Action::Signal("SIGHUP")),
            _ = self.signals.int.recv() => out.push(Action::Signal("SIGINT")),
            _ = self.frame_timer.sleep_until(draw_at.unwrap_or_else(Instant::now)), if draw_at.is_some() => return Wake::Draw,
            _ = self.clock_timer.sleep_until(self.next_tick) => {
                self.next_tick = next_second();
                out.push(Action::Tick(now_ms()));
            }
            a = w.events.recv(), if self.events_open => match a {
                Some(a) => {
                    out.push(a);
                    while let Ok(a) = w.events.try_recv() { out.push(a); }
                }
                None => self.events_open = false,
            },
            n = w.market.recv_batch(&mut self.batch, MARKET_BATCH), if self.market_open && draw_at.is_none() => {
                if n == 0 { self.market_open = false; }
                source = Source::Market;
                self.take_batch(w, &mut out);
            }
        }
        Wake::Actions(out, source)
    }

    /// Keys that are ready, without waiting.
    fn more_keys(&mut self, out: &mut Vec<Action>) {
        while let Ok(a) = self.keys.try_recv() {
            out.push(a);
        }
    }

    /// Market events that are ready, without waiting; `true` if there were any.
    fn drain_ready(&mut self, w: &mut Wiring, out: &mut Vec<Action>) -> bool {
        let mut any = false;
        while self.market_open {
            match w
                .market
                .recv_batch(&mut self.batch, MARKET_BATCH)
                .now_or_never()
            {
                None => break,
                Some(0) => self.market_open = false,
                Some(n) => {
                    any = true;
                    self.take_batch(w, out);
                    if n < MARKET_BATCH || out.len() >= MAX_DRAIN {
                        break;
                    }
                }
            }
        }
        any
    }

    fn take_batch(&mut self, w: &mut Wiring, out: &mut Vec<Action>) {
        self.arrived = earliest(self.arrived, w.market.take_arrived());
        for ev in self.batch.drain(..) {
            (w.tap)(&ev);
            out.push(Action::Market(ev));
        }
    }
}

/// When frames are drawn: user input at once, everything else at most once per budget.
struct Frames {
    budget: Duration,
    /// Start of the last frame.
    last: Instant,
    /// When the next frame is due, if one is pending.
    due: Option<Instant>,
    /// When the pending frame was first asked for (market data read later waited since then).
    asked: Option<Instant>,
    /// When the oldest market data not yet on screen reached the loop.
    undrawn_since: Option<Instant>,
}

impl Frames {
    fn ask(&mut self, source: Source) {
        let now = Instant::now();
        self.asked.get_or_insert(now);
        if source == Source::Market {
            self.undrawn_since.get_or_insert(now);
        }
        let grid = self.last + self.budget;
        let at = match source {
            Source::User => now,
            // Close enough to its time: draw now rather than wake again for the rest.
            Source::Market if grid <= now + EARLY => now,
            _ => grid,
        };
        self.due = Some(self.due.map_or(at, |d| d.min(at)));
    }

    /// A frame started at `start`. Frames stay on their grid: timer lateness (about a
    /// millisecond a frame) does not push the next one back and a frame drawn up to [`EARLY`]
    /// before its time does not pull it forward, so a steady feed is drawn at the configured
    /// rate, never faster.
    fn drawn(&mut self, start: Instant) {
        self.due = None;
        let grid = self.last + self.budget;
        self.last = if start + EARLY >= grid && start.saturating_duration_since(grid) < TIMER_SLACK
        {
            grid
        } else {
            start
        };
    }
}

/// The time between frames at `fps` frames a second, in whole milliseconds (rounded down, at
/// least one): evenly spaced and never slower than asked. (On Tokio's millisecond timer a
/// 33.3 ms grid woke after 33, 33 and 34 ms in turn, one frame in three a millisecond late;
/// the frame timer is a timerfd now, and the grid stays a whole number of milliseconds.)
pub fn frame_budget(fps: u32) -> Duration {
    Duration::from_millis((1000 / u64::from(fps.max(1))).max(1))
}

/// The next whole second of the wall clock (the status bar's clock ticks on it); a second
/// missed is skipped, not caught up.
fn next_second() -> Instant {
    let to_next = 1000 - now_ms().rem_euclid(1000).unsigned_abs();
    Instant::now() + Duration::from_millis(to_next)
}

/// Runs the TUI until the user quits or a signal arrives; restores the terminal on the way out.
pub async fn run(mut state: AppState, mut wiring: Wiring) -> anyhow::Result<()> {
    let guard = terminal::TerminalGuard::enter()?;
    state.size = guard.size()?;
    let mut screen = render::Screen::new(state.size.0, state.size.1);
    let (input_tx, keys) = mpsc::unbounded_channel();
    let input_task = tokio::spawn(input::run(input_tx));
    let budget = frame_budget(state.settings.fps);
    let mut inputs = Inputs {
        keys,
        signals: Signals::new()?,
        frame_timer: FrameTimer::new(),
        clock_timer: FrameTimer::new(),
        next_tick: next_second(),
        batch: Vec::with_capacity(MARKET_BATCH),
        arrived: None,
        market_open: true,
        events_open: true,
    };
    let mut frames = Frames {
        budget,
        last: Instant::now() - budget,
        due: Some(Instant::now()),
        asked: None,
        undrawn_since: None,
    };
    while !state.quit {
        match inputs.next(&mut wiring, frames.due).await {
            Wake::Draw => {
                let start = Instant::now();
                let mut late = Vec::new();
                if inputs.drain_ready(&mut wiring, &mut late)
                    && let Some(asked) = frames.asked
                {
                    frames.undrawn_since.get_or_insert(asked);
                }
                apply(&mut state, late, &mut screen, &wiring)?;
                if state.quit {
                    break;
                }
                if screen.size() != state.size {
                    screen.resize(state.size.0, state.size.1);
                }
                let damage = state.damage.take();
                let written = if damage.is_empty() {
                    0
                } else {
                    screen.draw(&state, damage)?
                };
                frames.drawn(start);
                frames.asked = None;
                // Drawn before its timer (a key, or data just before the grid): unset it.
                inputs.frame_timer.cancel();
                if let Some(pace) = &wiring.pace {
                    pace.frame_due(frames.last + frames.budget);
                }
                let undrawn = frames.undrawn_since.take().map(Arrival::exact);
                let since = earliest(undrawn, inputs.arrived.take());
                record_latency(&wiring, since, written > 0);
            }
            Wake::Actions(actions, source) => {
                apply(&mut state, actions, &mut screen, &wiring)?;
                frames.ask(source);
            }
        }
    }
    input_task.abort();
    drop(guard);
    Ok(())
}

fn apply(
    state: &mut AppState,
    actions: Vec<Action>,
    screen: &mut render::Screen,
    wiring: &Wiring,
) -> anyhow::Result<()> {
    for action in actions {
        for cmd in update(state, action) {
            perform(cmd, screen, wiring)?;
        }
    }
    Ok(())
}

/// Counts the frame and, if it showed new market data whose oldest arrival is known, how long
/// that data waited (a frame whose oldest data is known only to have come after a paced
/// reader paused is left out: see [`Arrival`]).
fn record_latency(wiring: &Wiring, since: Option<Arrival>, wrote: bool) {
    let Some(h) = &wiring.latency else { return };
    if let Ok(mut h) = h.lock() {
        if wrote {
            h.frame();
        }
        if let Some(t) = since.filter(|t| t.exact) {
            h.record(t.at.elapsed());
        }
    }
}

fn perform(cmd: Command, screen: &mut render::Screen, wiring: &Wiring) -> anyhow::Result<()> {
    match cmd {
        Command::Quit => {}
        Command::ClearScreen => screen.repaint(),
        Command::Bell => {
            let mut out = std::io::stdout();
            let _ = out.write_all(b"\x07");
            let _ = out.flush();
        }
        other => {
            let _ = wiring.commands.send(other);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(budget_ms: u64, now: Instant) -> Frames {
        Frames {
            budget: Duration::from_millis(budget_ms),
            last: now,
            due: None,
            asked: None,
            undrawn_since: None,
        }
    }

    #[test]
    fn frames_are_whole_milliseconds_apart_at_about_the_configured_rate() {
        let ms = |fps| frame_budget(fps).as_millis();
        assert_eq!(
            (ms(30), ms(60), ms(240), ms(1), ms(0)),
            (33, 16, 4, 1000, 1000)
        );
        for fps in 1..=240 {
            let b = frame_budget(fps);
            assert_eq!(b.subsec_nanos() % 1_000_000, 0, "{fps} fps");
            assert!(b <= Duration::from_secs(1) / fps, "{fps} fps");
        }
    }

    #[test]
    fn a_steady_feed_keeps_frames_on_their_grid() {
        let t0 = Instant::now();
        let mut f = frames(33, t0);
        f.ask(Source::Market);
        let due = f.due.expect("a frame is due");
        assert!(
            due >= t0 + Duration::from_millis(33),
            "never faster than the rate"
        );
        // The timer fires a millisecond late: the next frame is still due one budget after
        // this one was, not after it started.
        f.drawn(due + Duration::from_millis(1));
        assert_eq!(f.last, due);
        assert_eq!(f.due, None);
    }

    #[test]
    fn a_frame_drawn_early_for_market_data_keeps_the_grid() {
        let t0 = Instant::now();
        let mut f = frames(33, t0 - Duration::from_millis(31));
        f.ask(Source::Market);
        let due = f.due.expect("a frame is due");
        assert!(due <= Instant::now(), "drawn now, not in 2 ms");
        f.drawn(t0);
        assert_eq!(
            f.last,
            t0 + Duration::from_millis(2),
            "the grid, not the early start"
        );
        // Data early in a frame waits for the grid.
        let mut f = frames(33, t0);
        f.ask(Source::Market);
        assert_eq!(f.due, Some(t0 + Duration::from_millis(33)));
    }

    #[test]
    fn a_frame_long_after_its_time_starts_a_new_grid() {
        let t0 = Instant::now();
        let mut f = frames(33, t0);
        f.due = Some(t0 + Duration::from_millis(33));
        let start = t0 + Duration::from_millis(500);
        f.drawn(start);
        assert_eq!(f.last, start, "no burst of catch-up frames");
    }
}
