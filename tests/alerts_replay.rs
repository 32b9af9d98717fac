//! Alerts driven by a recorded trade sequence (`fixtures/alerts_trades.jsonl`, 263 trades over
//! 30 minutes from 2024-01-01 00:00 UTC), checking exactly which alerts fire, when and at what.
//!
//! The recording (times in seconds from the start):
//! - BTCUSDT every 10 s: A 99000 → 100450 (+50 a trade; touches 100000 at 200 s);
//!   B 100400 → 98950 (−50; touches 100000 at 380 s, 99950 at 390 s);
//!   C 99000 → 101750 (+250; 100000 at 640 s, high 101750 at 710 s);
//!   D 101750 → 96110 (−120; 99950 at 870 s, 96950 at 1120 s, 96590 at 1150 s);
//!   E flat 96080 / 96120.
//! - ETHUSDT every 10 s from 5 s: 2510, 2505, 2500 (25 s), then flapping 2501 / 2499.5 / 2501 /
//!   2498 / 2502 / 2497 (85 s) / 2503 / 2499 / 2501, six at 2490 (125–175 s), six at 2520,
//!   2480 (245 s), 2479.99, 2480.5.
//! - SOLUSDT every 20 s from 7 s: 155 … 150.01, 149 (87 s), 149.5, 151 (127 s), … 156.44, 156.46
//!   (227 s), 157, 150 (267 s), 149.99, 150 (307 s).
//! - XRPUSDT every 15 s: noise, no alerts.

use speedtrade::alerts::{AlertEngine, AlertStatus, AlertTrigger, parse_alert};
use speedtrade::domain::Trade;

const T0: i64 = 1_704_067_200_000;
const RECORDING: &str = include_str!("fixtures/alerts_trades.jsonl");

const COMMANDS: [&str; 12] = [
    "alert BTCUSDT above 100000",
    "alert BTCUSDT above 100000 repeat 1m",
    "alert BTCUSDT cross 100000 repeat 1s",
    "alert BTCUSDT move -5% 15m",
    "alert BTCUSDT move 5% 15m repeat 1m",
    "alert BTCUSDT below 97000",
    "alert BTCUSDT above 200000",
    "alert ETHUSDT below 2500 repeat",
    "alert ETHUSDT below 2500",
    "alert SOLUSDT cross 150",
    "alert SOLUSDT move +5% 15m",
    "alert SOLUSDT cross 150 repeat 30s",
];

fn trades() -> Vec<Trade> {
    RECORDING
        .lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
        .collect()
}

fn replay() -> (AlertEngine, Vec<AlertTrigger>) {
    let mut engine = AlertEngine::new();
    for (i, c) in COMMANDS.iter().enumerate() {
        let id = engine.add(parse_alert(c).unwrap(), T0);
        assert_eq!(id, i as u64 + 1);
    }
    let mut fired = Vec::new();
    for t in trades() {
        engine.on_trade_into(&t, &mut fired);
    }
    (engine, fired)
}

#[test]
fn the_recording_fires_exactly_these_alerts() {
    let (_, fired) = replay();
    let got: Vec<(u64, i64, String)> = fired
        .iter()
        .map(|f| (f.alert_id, (f.time - T0) / 1000, f.price.to_string()))
        .collect();
    // (alert id, seconds, price), in firing order. Why each one fires:
    let want: [(u64, i64, &str); 21] = [
        (8, 25, "2500"),    // ETH touches 2500: "below" is at or below
        (9, 25, "2500"),    // the one-shot too
        (8, 85, "2497"),    // re-armed at 35 s (2501); 45 s and 65 s were inside the 1 min cooldown
        (10, 87, "149"),    // SOL crosses 150 downward (from 150.01)
        (12, 87, "149"),    //   and the repeating cross
        (12, 127, "151"),   // back up through 150, 40 s later (cooldown 30 s)
        (8, 145, "2490"),   // re-armed at 115 s; 60 s after 85 s
        (1, 200, "100000"), // BTC reaches 100000
        (2, 200, "100000"),
        (3, 200, "100000"),  // cross: reaching the level counts
        (11, 227, "156.46"), // 149 × 1.05 = 156.45: first trade at or above
        (8, 245, "2480"),    // re-armed by the 2520s
        (12, 267, "150"),    // SOL touches 150 from above
        (12, 307, "150"), // dipped to 149.99 (no fire: already touched), touches again from below
        (3, 380, "100000"), // BTC touches 100000 from above; 99950 next does not fire again
        (2, 640, "100000"), // re-armed by 99950 at 390 s
        (3, 640, "100000"),
        (3, 870, "99950"),  // D falls through 100000 (100070 → 99950)
        (6, 1120, "96950"), // first trade at or below 97000
        (4, 1150, "96590"), // 101750 × 0.95 = 96662.5: first trade at or below, 440 s after the high
        (5, 1150, "96590"), // the either-way move; the flat end does not move 5% again
    ];
    let want: Vec<(u64, i64, String)> = want
        .iter()
        .map(|(a, s, p)| (*a, *s, p.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn messages_say_what_happened() {
    let (_, fired) = replay();
    let msg = |id: u64, secs: i64| {
        fired
            .iter()
            .find(|f| f.alert_id == id && f.time == T0 + secs * 1000)
            .map(|f| f.message.clone())
            .unwrap()
    };
    let cases = [
        (1, 200, "BTCUSDT at 100000: above 100000"),
        (9, 25, "ETHUSDT at 2500: below 2500"),
        (10, 87, "SOLUSDT at 149: crossed 150 downward"),
        (12, 127, "SOLUSDT at 151: crossed 150 upward"),
        (11, 227, "SOLUSDT at 156.46: up 5.01% (from 149) in 15m"),
        (4, 1150, "BTCUSDT at 96590: down 5.07% (from 101750) in 15m"),
    ];
    for (id, secs, want) in cases {
        assert_eq!(msg(id, secs), want, "alert {id}");
    }
}

#[test]
fn one_shots_end_done_and_repeating_ones_stay_active_with_counts() {
    let (engine, fired) = replay();
    // (id, status, fire count)
    let cases = [
        (1, AlertStatus::Done, 1),
        (2, AlertStatus::Active, 2),
        (3, AlertStatus::Active, 4),
        (4, AlertStatus::Done, 1),
        (5, AlertStatus::Active, 1),
        (7, AlertStatus::Active, 0),
        (8, AlertStatus::Active, 4),
        (12, AlertStatus::Active, 4),
    ];
    for (id, status, count) in cases {
        let a = engine.get(id).unwrap();
        assert_eq!((a.status, a.fire_count), (status, count), "alert {id}");
    }
    assert!(
        fired
            .iter()
            .filter(|f| f.done)
            .all(|f| [1, 4, 6, 9, 10, 11].contains(&f.alert_id))
    );
    assert_eq!(engine.get(8).unwrap().last_fired, Some(T0 + 245_000));
}

#[test]
fn reloaded_alerts_keep_their_cooldown_and_done_state() {
    let (engine, _) = replay();
    let stored = serde_json::to_string(&engine.alerts()).unwrap();
    let alerts: Vec<speedtrade::alerts::Alert> = serde_json::from_str(&stored).unwrap();
    let mut again = AlertEngine::load(alerts);
    // Replaying the same trades: one-shots that fired stay quiet; the cooldowns are measured
    // from the stored last fire (after the whole recording), so the repeating ones wait too.
    let mut fired = Vec::new();
    for t in trades() {
        again.on_trade_into(&t, &mut fired);
    }
    let ids: Vec<u64> = fired.iter().map(|f| f.alert_id).collect();
    assert!(
        !ids.iter().any(|id| [1, 4, 6, 9, 10, 11].contains(id)),
        "{ids:?}"
    );
    let next = again.add(parse_alert("alert BTCUSDT below 1").unwrap(), T0);
    assert_eq!(next, 13, "ids continue after the largest");
}
