//! The terminal UI runtime: the app loop that turns input, market data and timers into
//! actions, runs `update`, performs commands, and draws at most once per frame budget — and
//! only when something changed.

pub mod input;
pub mod latency;
pub mod source;
pub mod terminal;

pub use source::MarketSource;

use crate::app::{Action, AppState, Command, update};
use crate::domain::now_ms;
use crate::venue::MarketEvent;
use crossterm::{execute, terminal as ct};
use std::io::Write;
use std::time::Duration;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, sleep_until};

/// Most market events handled between two looks at the keyboard.
const MARKET_BATCH: usize = 512;

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
    clock: Interval,
    batch: Vec<MarketEvent>,
    market_open: bool,
    events_open: bool,
}

/// What woke the loop.
enum Wake {
    /// Things to apply; `true` when market data is among them.
    Actions(Vec<Action>, bool),
    Draw,
}

impl Inputs {
    /// Waits for the next thing to do. Keys first, so data never starves input; a due frame
    /// before more data, so data never starves drawing.
    async fn next(&mut self, w: &mut Wiring, draw_at: Option<Instant>) -> Wake {
        let mut out = Vec::new();
        let mut market = false;
        tokio::select! {
            biased;
            Some(a) = self.keys.recv() => {
                out.push(a);
                while let Ok(a) = self.keys.try_recv() { out.push(a); }
            }
            _ = self.signals.term.recv() => out.push(Action::Signal("SIGTERM")),
            _ = self.signals.hup.recv() => out.push(Action::Signal("SIGHUP")),
            _ = self.signals.int.recv() => out.push(Action::Signal("SIGINT")),
            _ = sleep_until(draw_at.unwrap_or_else(Instant::now)), if draw_at.is_some() => return Wake::Draw,
            _ = self.clock.tick() => out.push(Action::Tick(now_ms())),
            a = w.events.recv(), if self.events_open => match a {
                Some(a) => {
                    out.push(a);
                    while let Ok(a) = w.events.try_recv() { out.push(a); }
                }
                None => self.events_open = false,
            },
            n = w.market.recv_batch(&mut self.batch, MARKET_BATCH), if self.market_open => {
                if n == 0 { self.market_open = false; }
                market = n > 0;
                for ev in self.batch.drain(..) {
                    (w.tap)(&ev);
                    out.push(Action::Market(ev));
                }
            }
        }
        Wake::Actions(out, market)
    }
}

/// Runs the TUI until the user quits or a signal arrives; restores the terminal on the way out.
pub async fn run(mut state: AppState, mut wiring: Wiring) -> anyhow::Result<()> {
    let mut guard = terminal::TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    state.size = (size.width, size.height);
    let (input_tx, keys) = mpsc::unbounded_channel();
    let input_task = tokio::spawn(input::run(input_tx));
    let budget = Duration::from_secs(1) / state.settings.fps.max(1);
    let to_next_second = 1000 - now_ms().rem_euclid(1000) as u64;
    let mut clock = interval_at(
        Instant::now() + Duration::from_millis(to_next_second),
        Duration::from_secs(1),
    );
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut inputs = Inputs {
        keys,
        signals: Signals::new()?,
        clock,
        batch: Vec::with_capacity(MARKET_BATCH),
        market_open: true,
        events_open: true,
    };
    // Draw at most once per frame budget, and only when something changed.
    let mut draw_at = Some(Instant::now());
    let mut last_draw = Instant::now() - budget;
    // When the oldest market data not yet on screen reached the loop.
    let mut undrawn_since: Option<Instant> = None;
    while !state.quit {
        match inputs.next(&mut wiring, draw_at).await {
            Wake::Draw => {
                draw(&mut guard, &state)?;
                last_draw = Instant::now();
                draw_at = None;
                record_latency(&wiring, undrawn_since.take(), last_draw);
            }
            Wake::Actions(actions, market) => {
                if market {
                    undrawn_since.get_or_insert_with(Instant::now);
                }
                for action in actions {
                    for cmd in update(&mut state, action) {
                        perform(cmd, &mut guard, &wiring)?;
                    }
                }
                draw_at.get_or_insert(last_draw + budget);
            }
        }
    }
    input_task.abort();
    drop(guard);
    Ok(())
}

/// Counts the frame and, if it showed new market data, how long that data waited.
fn record_latency(wiring: &Wiring, since: Option<Instant>, drawn: Instant) {
    let Some(h) = &wiring.latency else { return };
    if let Ok(mut h) = h.lock() {
        h.frame();
        if let Some(t) = since {
            h.record(drawn.duration_since(t));
        }
    }
}

/// Draws one frame inside a synchronized update, so tmux and SSH never show half a frame.
fn draw(guard: &mut terminal::TerminalGuard, state: &AppState) -> anyhow::Result<()> {
    let _ = execute!(std::io::stdout(), ct::BeginSynchronizedUpdate);
    let result = guard.terminal.draw(|f| crate::ui::draw(f, state));
    let _ = execute!(std::io::stdout(), ct::EndSynchronizedUpdate);
    result?;
    Ok(())
}

fn perform(
    cmd: Command,
    guard: &mut terminal::TerminalGuard,
    wiring: &Wiring,
) -> anyhow::Result<()> {
    match cmd {
        Command::Quit => {}
        Command::ClearScreen => guard.terminal.clear()?,
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
