//! The terminal UI runtime: the app loop that turns input, market data and timers into
//! actions, runs `update`, performs commands, and draws at most once per frame budget — and
//! only when something changed.

pub mod input;
pub mod terminal;

use crate::app::{Action, AppState, Command, update};
use crate::domain::now_ms;
use crate::venue::MarketEvent;
use crossterm::{execute, terminal as ct};
use std::io::Write;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};

/// Most market events handled between two looks at the keyboard.
const MARKET_BATCH: usize = 512;

/// Where the loop gets market data and sends the commands it does not handle itself.
pub struct Wiring {
    /// Market events (bounded; the feed conflates book updates).
    pub market: mpsc::Receiver<MarketEvent>,
    /// Commands for the rest of the program (feeds, order manager).
    pub commands: mpsc::UnboundedSender<Command>,
}

/// Runs the TUI until the user quits or a signal arrives; restores the terminal on the way out.
pub async fn run(mut state: AppState, mut wiring: Wiring) -> anyhow::Result<()> {
    let mut guard = terminal::TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    state.size = (size.width, size.height);
    let (input_tx, mut input_rx) = mpsc::unbounded_channel();
    let input_task = tokio::spawn(input::run(input_tx));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;

    let budget = Duration::from_secs(1) / state.settings.fps.max(1);
    let first_tick =
        Instant::now() + Duration::from_millis(1000 - (now_ms().rem_euclid(1000)) as u64);
    let mut clock = interval_at(first_tick, Duration::from_secs(1));
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut next_draw = Instant::now();
    let mut batch = Vec::with_capacity(MARKET_BATCH);
    let mut market_open = true;

    while !state.quit {
        let mut actions = Vec::new();
        tokio::select! {
            biased;
            Some(a) = input_rx.recv() => {
                actions.push(a);
                while let Ok(a) = input_rx.try_recv() { actions.push(a); }
            }
            _ = sigterm.recv() => actions.push(Action::Signal("SIGTERM")),
            _ = sighup.recv() => actions.push(Action::Signal("SIGHUP")),
            _ = sigint.recv() => actions.push(Action::Signal("SIGINT")),
            _ = sleep_until(next_draw), if dirty => {
                draw(&mut guard, &state)?;
                dirty = false;
                next_draw = Instant::now() + budget;
                continue;
            }
            _ = clock.tick() => actions.push(Action::Tick(now_ms())),
            n = wiring.market.recv_many(&mut batch, MARKET_BATCH), if market_open => {
                if n == 0 { market_open = false; }
                actions.extend(batch.drain(..).map(Action::Market));
            }
        }
        for action in actions {
            for cmd in update(&mut state, action) {
                perform(cmd, &mut guard, &wiring)?;
            }
        }
        dirty = true;
    }
    input_task.abort();
    drop(guard);
    Ok(())
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
