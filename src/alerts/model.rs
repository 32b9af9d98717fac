//! Alert records (serde, with ids, for the store), their conditions and trigger events.

use crate::domain::{Price, Symbol, TimeMs};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Identifies an alert; the store can use it as the primary key.
pub type AlertId = u64;

/// Cooldown of a repeating alert when the user gives none: one minute.
pub const DEFAULT_COOLDOWN_MS: i64 = 60_000;

/// Which way a % move must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MoveDir {
    /// A rise from the window's low (`+5%`).
    Up,
    /// A fall from the window's high (`-5%`).
    Down,
    /// Either (`5%`).
    Either,
}

/// What an alert watches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Condition {
    /// A trade at or above `level`.
    Above {
        /// Threshold.
        level: Price,
    },
    /// A trade at or below `level`.
    Below {
        /// Threshold.
        level: Price,
    },
    /// The price reaches `level` coming from the other side (either direction).
    Cross {
        /// Threshold.
        level: Price,
    },
    /// The price moves `pct` percent within `window_ms`: up from the window's lowest trade, or
    /// down from its highest.
    Move {
        /// Percent, positive (`5` for 5%).
        pct: Decimal,
        /// Window length in milliseconds.
        window_ms: i64,
        /// Direction.
        dir: MoveDir,
    },
}

impl fmt::Display for Condition {
    /// The command form: `above 100000`, `move +5% 15m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Above { level } => write!(f, "above {level}"),
            Condition::Below { level } => write!(f, "below {level}"),
            Condition::Cross { level } => write!(f, "cross {level}"),
            Condition::Move {
                pct,
                window_ms,
                dir,
            } => {
                let sign = match dir {
                    MoveDir::Up => "+",
                    MoveDir::Down => "-",
                    MoveDir::Either => "",
                };
                write!(f, "move {sign}{pct}% {}", fmt_duration(*window_ms))
            }
        }
    }
}

/// Whether an alert fires once or keeps firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Repeat {
    /// Fires once, then is done.
    Once,
    /// Fires each time it re-arms, and never twice within `cooldown_ms`.
    Every {
        /// Minimum time between two fires.
        cooldown_ms: i64,
    },
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum AlertStatus {
    /// Watching.
    Active,
    /// A one-shot alert that has fired.
    Done,
    /// Switched off by the user.
    Disabled,
}

/// What the user asked for (the parser's output), before it gets an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSpec {
    /// Instrument.
    pub symbol: Symbol,
    /// Condition.
    pub condition: Condition,
    /// Once or repeating.
    pub repeat: Repeat,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Id.
    pub id: AlertId,
    /// Instrument.
    pub symbol: Symbol,
    /// Condition.
    pub condition: Condition,
    /// Once or repeating.
    pub repeat: Repeat,
    /// Active, done or disabled.
    pub status: AlertStatus,
    /// When it was created.
    pub created_at: TimeMs,
    /// When it last fired.
    pub last_fired: Option<TimeMs>,
    /// How many times it fired.
    pub fire_count: u32,
}

impl Alert {
    /// The command that recreates it: `alert BTCUSDT above 100000 repeat 1m`.
    pub fn command(&self) -> String {
        let mut s = format!("alert {} {}", self.symbol, self.condition);
        if let Repeat::Every { cooldown_ms } = self.repeat {
            s.push_str(" repeat ");
            s.push_str(&fmt_duration(cooldown_ms));
        }
        s
    }
}

/// An alert that fired: shown as a banner, logged, listed in the alerts pane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertTrigger {
    /// Which alert.
    pub alert_id: AlertId,
    /// Instrument.
    pub symbol: Symbol,
    /// Price of the trade that fired it.
    pub price: Price,
    /// Time of that trade.
    pub time: TimeMs,
    /// What happened, for people: `BTCUSDT 100012.5 is above 100000`.
    pub message: String,
    /// `true` when the alert is now done (one-shot).
    pub done: bool,
}

/// `90000` → `1m30s`, `900000` → `15m`, `0` → `0s` (largest whole units).
pub fn fmt_duration(ms: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1000, "s"),
    ];
    if ms <= 0 {
        return "0s".to_string();
    }
    let mut left = ms;
    let mut out = String::new();
    for (size, name) in UNITS {
        if left >= size {
            out.push_str(&format!("{}{name}", left / size));
            left %= size;
        }
    }
    if left > 0 {
        out.push_str(&format!("{left}ms"));
    }
    out
}
