//! Candles from trades, kline updates and REST backfill (no duplicates, no double counting,
//! bounded memory), and the SMA / EMA / VWAP overlays and cross markers.

#![allow(clippy::unwrap_used)] // test helpers unwrap freely

use rust_decimal::Decimal;
use speedtrade::domain::{Candle, Interval, Price, Qty, Side, Symbol, Trade};
use speedtrade::series::{
    CandleSeries, CandleSet, CrossKind, IndicatorConfig, crosses, ema, overlays, overlays_from,
    sma, vwap,
};
use std::str::FromStr;

const T0: i64 = 1_704_067_200_000; // Monday 2024-01-01 00:00 UTC

fn trade(id: u64, ms: i64, price: &str, qty: &str) -> Trade {
    Trade {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        id,
        price: Price::parse(price).unwrap(),
        qty: Qty::parse(qty).unwrap(),
        taker_side: Side::Buy,
        time: T0 + ms,
    }
}

fn candle(open_ms: i64, close: i64, volume: i64) -> Candle {
    let p = Price::from_int(close);
    Candle {
        open_time: T0 + open_ms,
        open: p,
        high: p,
        low: p,
        close: p,
        volume: Qty::from_int(volume),
        quote_volume: Decimal::from(close * volume),
        trades: 1,
        closed: true,
    }
}

#[test]
fn trades_build_exact_ohlcv_candles_in_every_interval() {
    let mut set = CandleSet::chart(100);
    for (i, (ms, p, q)) in [
        (100, "100.10", "1"),
        (900, "101", "0.5"),
        (1_500, "99.9", "2"),
        (59_000, "100.5", "0.25"),
    ]
    .into_iter()
    .enumerate()
    {
        set.on_trade(&trade(i as u64, ms, p, q));
    }
    let m1 = set.get(Interval::M1).unwrap().candles();
    assert_eq!(m1.len(), 1);
    let c = &m1[0];
    assert_eq!(
        (c.open_time, c.open, c.high, c.low, c.close),
        (
            T0,
            Price::parse("100.1").unwrap(),
            Price::from_int(101),
            Price::parse("99.9").unwrap(),
            Price::parse("100.5").unwrap()
        )
    );
    assert_eq!(
        (c.volume, c.trades, c.closed),
        (Qty::parse("3.75").unwrap(), 4, false)
    );
    assert_eq!(c.quote_volume, Decimal::from_str("375.525").unwrap());
    // 1s: seconds 0 and 1 have trades, 2..58 are flat fills, 59 has the last trade.
    let s1 = set.get(Interval::S1).unwrap().candles();
    assert_eq!(s1.len(), 60);
    assert!(s1[2].volume.is_zero() && s1[2].close == Price::parse("99.9").unwrap() && s1[2].closed);
    assert!(s1[0].closed && !s1[59].closed);
    assert_eq!(set.get(Interval::D1).unwrap().candles()[0].trades, 4);
}

#[test]
fn venue_candles_replace_and_trades_never_count_twice() {
    let mut s = CandleSeries::new(Interval::M1, 100);
    s.on_candle(Candle {
        closed: false,
        ..candle(0, 100, 10)
    });
    // A trade inside the venue's candle moves the price, not the volume.
    s.on_trade(&trade(1, 30_000, "105", "1"));
    let c = s.last().unwrap().clone();
    assert_eq!(
        (c.close, c.high, c.volume, c.trades),
        (
            Price::from_int(105),
            Price::from_int(105),
            Qty::from_int(10),
            1
        )
    );
    // The venue's next update brings the volume.
    s.on_candle(Candle {
        closed: false,
        ..candle(0, 105, 11)
    });
    assert_eq!(s.last().unwrap().volume, Qty::from_int(11));
    // A trade in the next minute starts a trade-built candle and closes the previous one.
    s.on_trade(&trade(2, 61_000, "106", "2"));
    assert_eq!(s.len(), 2);
    assert!(s.candles()[0].closed && s.last().unwrap().volume == Qty::from_int(2));
}

#[test]
fn backfill_merges_history_without_duplicates() {
    let mut s = CandleSeries::new(Interval::M1, 100);
    s.on_trade(&trade(1, 3 * 60_000 + 5, "50", "1"));
    s.on_trade(&trade(2, 4 * 60_000 + 5, "51", "1"));
    s.backfill([
        candle(4 * 60_000, 51, 7),
        candle(0, 40, 1),
        candle(2 * 60_000, 42, 1),
        candle(60_000, 41, 1),
        candle(3 * 60_000, 50, 3),
    ]);
    let opens: Vec<i64> = s
        .candles()
        .iter()
        .map(|c| (c.open_time - T0) / 60_000)
        .collect();
    assert_eq!(opens, [0, 1, 2, 3, 4]);
    assert_eq!(
        s.candles()[3].volume,
        Qty::from_int(3),
        "the venue's candle wins"
    );
    s.backfill([candle(60_000, 41, 1)]);
    assert_eq!(s.len(), 5);
}

/// A chart redraws only its newest candle while the past revision stays: it must move with
/// every change to any other candle, and only then.
#[test]
fn the_past_revision_moves_only_when_an_older_candle_changes() {
    let mut s = CandleSeries::new(Interval::M1, 3);
    s.backfill([candle(0, 100, 1), candle(60_000, 101, 1)]);
    let rev = s.past_revision();
    s.on_trade(&trade(1, 60_500, "102", "0.5"));
    s.on_candle(candle(60_000, 103, 2));
    assert_eq!(s.past_revision(), rev, "the newest candle changed in place");
    s.on_trade(&trade(2, 30_000, "99", "0.5"));
    assert!(
        s.past_revision() > rev,
        "a late trade changed an older candle"
    );
    let rev = s.past_revision();
    s.on_candle(candle(0, 98, 3));
    assert!(
        s.past_revision() > rev,
        "the venue replaced an older candle"
    );
    let rev = s.past_revision();
    s.on_trade(&trade(3, 120_000, "104", "0.5"));
    assert!(s.past_revision() > rev, "a new candle");
    let rev = s.past_revision();
    s.on_trade(&trade(4, 300_000, "105", "0.5"));
    assert!(s.past_revision() > rev, "gap candles, the oldest trimmed");
    assert_eq!(s.len(), 3);
}

#[test]
fn memory_stays_bounded_over_hours_of_trades() {
    let mut set = CandleSet::chart(500);
    for i in 0..20_000u64 {
        set.on_trade(&trade(i, i as i64 * 997, "100", "0.1"));
    }
    assert_eq!(set.get(Interval::S1).unwrap().len(), 500);
    assert_eq!(set.get(Interval::M1).unwrap().len(), 333);
    let s1 = set.get(Interval::S1).unwrap().candles();
    assert!(
        s1.iter()
            .zip(s1.iter().skip(1))
            .all(|(a, b)| b.open_time - a.open_time == 1000)
    );
}

#[test]
fn weeks_and_months_step_by_the_calendar() {
    let mut s = CandleSeries::new(Interval::Mo1, 10);
    s.on_trade(&trade(1, 0, "1", "1"));
    s.on_trade(&trade(2, 70 * 86_400_000, "2", "1")); // 2024-03-11
    let opens: Vec<i64> = s.candles().iter().map(|c| c.open_time).collect();
    assert_eq!(
        opens,
        [1_704_067_200_000, 1_706_745_600_000, 1_709_251_200_000]
    ); // Jan, Feb, Mar 1st
    let mut w = CandleSeries::new(Interval::W1, 10);
    w.on_trade(&trade(1, 3 * 86_400_000, "1", "1"));
    w.on_trade(&trade(2, 15 * 86_400_000, "1", "1"));
    assert_eq!(w.len(), 3);
    w.roll(T0 + 30 * 86_400_000);
    assert!(w.candles().iter().all(|c| c.closed));
}

fn closes(values: &[i64]) -> Vec<Candle> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| candle(i as i64 * 60_000, *v, 1 + i as i64))
        .collect()
}

#[test]
fn sma_ema_and_vwap_values() {
    let c = closes(&[1, 2, 3, 4, 5, 6]);
    assert_eq!(
        sma(&c, 3),
        [None, None, Some(2.0), Some(3.0), Some(4.0), Some(5.0)]
    );
    // alpha 0.5, seeded with the first SMA (2.0): 3.0, 4.0, 5.0.
    assert_eq!(
        ema(&c, 3),
        [None, None, Some(2.0), Some(3.0), Some(4.0), Some(5.0)]
    );
    // quote = close × volume; VWAP over 2: (3×3 + 4×4) / (3 + 4) at index 3.
    let v = vwap(&c, 2);
    assert_eq!(v[0], None);
    assert!((v[3].unwrap() - 25.0 / 7.0).abs() < 1e-12);
    assert!(sma(&c, 0).iter().all(Option::is_none) && sma(&c, 10).iter().all(Option::is_none));
}

#[test]
fn crosses_are_marked_exactly_once_per_turn() {
    let c = closes(&[10, 9, 8, 7, 6, 7, 8, 9, 10, 11, 10, 9, 8, 7, 6]);
    let marks = crosses(&c, 2, 4);
    let kinds: Vec<(usize, CrossKind)> = marks.iter().map(|m| (m.index, m.kind)).collect();
    assert_eq!(kinds, [(6, CrossKind::Up), (11, CrossKind::Down)]);
    assert_eq!(marks[0].open_time, c[6].open_time);
    // Equal averages are not a cross.
    assert!(crosses(&closes(&[5; 20]), 2, 4).is_empty());
    let cfg = IndicatorConfig {
        sma: vec![2],
        ema: vec![3],
        vwap: vec![0],
        cross: Some((2, 4)),
    };
    let (lines, marks) = overlays(&c, &cfg);
    let labels: Vec<&str> = lines.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["SMA 2", "EMA 3", "VWAP"]);
    assert!(lines.iter().all(|l| l.values.len() == c.len()) && marks.len() == 2);
}

#[test]
fn a_chart_scrolled_anywhere_draws_the_same_averages() {
    let c = closes(&[10, 9, 8, 7, 6, 7, 8, 9, 10, 11, 10, 9, 8, 7, 6, 8, 12, 11]);
    let cfg = IndicatorConfig {
        sma: vec![3],
        ema: vec![4],
        vwap: vec![0, 5],
        cross: Some((2, 4)),
    };
    let (all, all_marks) = overlays(&c, &cfg);
    for from in [0, 1, 5, 11, 17, 30] {
        let (part, marks) = overlays_from(&c, &cfg, from);
        assert_eq!(marks, all_marks, "markers do not depend on the view");
        for (p, a) in part.iter().zip(&all) {
            assert_eq!(p.label, a.label);
            for (i, (pv, av)) in p.values.iter().zip(&a.values).enumerate() {
                let want = if i >= from { *av } else { None };
                assert_eq!(*pv, want, "{} at {i} from {from}", p.label);
            }
        }
    }
    assert!(all.iter().all(|l| l.values.iter().flatten().count() > 5));
}

/// A chart whose newest candle alone moved recomputes only that candle's values; they must be
/// exactly what computing everything gives, markers included, for any series and view.
#[test]
fn the_newest_candle_recomputed_alone_equals_computing_everything() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let cfg = IndicatorConfig {
        sma: vec![3, 9],
        ema: vec![4],
        vwap: vec![0, 5],
        cross: Some((2, 5)),
    };
    for len in [1usize, 2, 3, 5, 6, 12, 40] {
        let mut c = closes(
            &(0..len)
                .map(|_| rng.random_range(90..110))
                .collect::<Vec<_>>(),
        );
        for from in [0, len / 2, len.saturating_sub(1), len + 3] {
            let mut o = speedtrade::series::Overlays::new(&c, &cfg, from);
            for _ in 0..30 {
                let last = c.last_mut().unwrap();
                let close = rng.random_range(85..115);
                *last = candle(last.open_time - T0, close, rng.random_range(0..40));
                last.quote_volume = Decimal::new(rng.random_range(0..9_000_000), 3);
                o.refresh_newest(&c);
                let want = speedtrade::series::Overlays::new(&c, &cfg, from);
                assert_eq!(o.lines, want.lines, "len {len} from {from}");
                assert_eq!(o.crosses, want.crosses, "len {len} from {from}");
            }
        }
    }
}
