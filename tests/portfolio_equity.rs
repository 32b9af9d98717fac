//! The equity-curve sampler with injected time: one snapshot per minute, a daily one, restarts,
//! clock steps; snapshots from totals; drawdown.

use rust_decimal::Decimal;
use speedtrade::portfolio::{
    DAY_MS, EquitySampler, EquitySnapshot, SamplerConfig, SnapshotKind, Totals, max_drawdown,
};

const MIN: i64 = 60_000;
/// 2024-01-02 00:00:00 UTC.
const DAY0: i64 = 1_704_153_600_000;

fn polls(s: &mut EquitySampler, times: &[i64]) -> Vec<Option<SnapshotKind>> {
    times.iter().map(|&t| s.poll(t)).collect()
}

#[test]
fn samples_once_a_minute_and_marks_the_first_of_each_day() {
    use SnapshotKind::*;
    let mut s = EquitySampler::new(SamplerConfig::default());
    let start = DAY0 + 10 * 3_600_000 + 5_000; // 10:00:05
    // (label, time, expected)
    let cases = [
        ("first poll: daily", start, Some(Daily)),
        ("same minute", start + 20_000, None),
        ("still 10:00", start + 54_000, None),
        ("10:01:00", DAY0 + 10 * 3_600_000 + MIN, Some(Minute)),
        ("10:01:30", DAY0 + 10 * 3_600_000 + MIN + 30_000, None),
        (
            "a gap of 5 minutes: one sample",
            DAY0 + 10 * 3_600_000 + 6 * MIN,
            Some(Minute),
        ),
        ("23:59:59", DAY0 + DAY_MS - 1000, Some(Minute)),
        ("midnight: new day", DAY0 + DAY_MS, Some(Daily)),
        ("00:00:30", DAY0 + DAY_MS + 30_000, None),
        ("00:01", DAY0 + DAY_MS + MIN, Some(Minute)),
    ];
    for (label, t, want) in cases {
        assert_eq!(s.poll(t), want, "{label}");
    }
}

#[test]
fn a_restart_continues_without_a_second_daily_sample() {
    let last = DAY0 + 9 * 3_600_000;
    let mut s = EquitySampler::resume(SamplerConfig::default(), Some(last), Some(DAY0 + 60_000));
    assert_eq!(s.poll(last + 10_000), None, "that minute is already stored");
    assert_eq!(s.poll(last + MIN), Some(SnapshotKind::Minute));
    let mut s = EquitySampler::resume(SamplerConfig::default(), Some(last), Some(DAY0 - DAY_MS));
    assert_eq!(
        s.poll(last + 10_000),
        Some(SnapshotKind::Daily),
        "yesterday's daily is older"
    );
}

#[test]
fn a_clock_stepped_back_restarts_sampling_but_not_the_day() {
    use SnapshotKind::*;
    let mut s = EquitySampler::new(SamplerConfig::default());
    let t = DAY0 + 12 * 3_600_000;
    assert_eq!(
        polls(
            &mut s,
            &[
                t,
                t - 30_000,
                t - 10 * MIN,
                t - 10 * MIN + 1000,
                t - 9 * MIN
            ]
        ),
        [Some(Daily), None, Some(Minute), None, Some(Minute)],
        "a step back within one slot waits; a bigger one resamples"
    );
}

#[test]
fn the_day_can_start_at_another_hour() {
    use SnapshotKind::*;
    // Days starting at 21:00 UTC (e.g. a 4 pm New York close in winter).
    let cfg = SamplerConfig {
        every_ms: MIN,
        day_offset_ms: 21 * 3_600_000,
    };
    let mut s = EquitySampler::new(cfg);
    let at = |h: i64| DAY0 + h * 3_600_000;
    assert_eq!(
        polls(&mut s, &[at(20), at(21) - MIN, at(21), at(24), at(45)]),
        [
            Some(Daily),
            Some(Minute),
            Some(Daily),
            Some(Minute),
            Some(Daily)
        ]
    );
}

#[test]
fn next_due_says_when_to_wake_up() {
    let mut s = EquitySampler::new(SamplerConfig::default());
    let t = DAY0 + 10 * 3_600_000 + 5_000;
    assert_eq!(s.next_due(t), t, "nothing taken yet: now");
    s.poll(t);
    assert_eq!(s.next_due(t + 1000), DAY0 + 10 * 3_600_000 + MIN);
    s.poll(DAY0 + DAY_MS - MIN);
    assert_eq!(s.next_due(DAY0 + DAY_MS - 1), DAY0 + DAY_MS);
}

#[test]
fn snapshots_carry_the_totals_and_serialize_for_the_store() {
    let t = Totals {
        currency: "USD".into(),
        equity: Decimal::new(50280, 0),
        cash: Decimal::new(10500, 0),
        market_value: Decimal::new(39780, 0),
        unrealized: Decimal::new(6750, 0),
        realized: Decimal::new(110, 0),
        fees: Decimal::new(10, 0),
        unpriced: vec![],
    };
    let snap = EquitySnapshot::from_totals(DAY0, SnapshotKind::Daily, &t);
    assert_eq!(snap.realized, Decimal::new(100, 0), "net of fees");
    assert!(snap.complete);
    let json = serde_json::to_string(&snap).unwrap();
    assert!(
        json.contains("\"kind\":\"daily\"") && json.contains("\"equity\":\"50280\""),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<EquitySnapshot>(&json).unwrap(), snap);
}

#[test]
fn max_drawdown_is_the_largest_fall_from_a_peak() {
    let pts: Vec<EquitySnapshot> = [100, 120, 90, 110, 130, 104, 125]
        .iter()
        .enumerate()
        .map(|(i, &e)| EquitySnapshot {
            time: i as i64,
            kind: SnapshotKind::Minute,
            currency: "USD".into(),
            equity: Decimal::from(e),
            cash: Decimal::ZERO,
            market_value: Decimal::ZERO,
            unrealized: Decimal::ZERO,
            realized: Decimal::ZERO,
            complete: true,
        })
        .collect();
    // Peaks 120 → 90 (−30, 25%) and 130 → 104 (−26, 20%): the first is larger.
    assert_eq!(
        max_drawdown(&pts),
        Some((Decimal::from(30), Decimal::from(25)))
    );
    assert_eq!(max_drawdown(&pts[..1]), None);
}
