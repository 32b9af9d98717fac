//! The alert command parser: what each accepted form means, the error for each mistake, and
//! that a stored alert prints back as a command that parses to the same alert.

use rust_decimal::Decimal;
use speedtrade::alerts::{
    AlertEngine, AlertSpec, AlertStatus, Condition, DEFAULT_COOLDOWN_MS, MoveDir, Repeat,
    fmt_duration, parse_alert, parse_duration,
};
use speedtrade::domain::{Price, Qty, Side, Symbol, Trade};

fn px(s: &str) -> Price {
    Price::parse(s).unwrap()
}

fn spec(symbol: &str, condition: Condition, repeat: Repeat) -> AlertSpec {
    AlertSpec {
        symbol: Symbol::new(symbol).unwrap(),
        condition,
        repeat,
    }
}

#[test]
fn accepted_commands() {
    use Condition::*;
    let every = |ms| Repeat::Every { cooldown_ms: ms };
    let mv = |pct: i64, window_ms, dir| Move {
        pct: Decimal::from(pct),
        window_ms,
        dir,
    };
    let cases = [
        (
            "above",
            "alert BTCUSDT above 100000",
            spec(
                "BTCUSDT",
                Above {
                    level: px("100000"),
                },
                Repeat::Once,
            ),
        ),
        (
            "below repeat",
            "alert ETHUSDT below 2500 repeat",
            spec(
                "ETHUSDT",
                Below { level: px("2500") },
                every(DEFAULT_COOLDOWN_MS),
            ),
        ),
        (
            "cross",
            "alert SOLUSDT cross 150",
            spec("SOLUSDT", Cross { level: px("150") }, Repeat::Once),
        ),
        (
            "move either",
            "alert BTCUSDT move 5% 15m",
            spec("BTCUSDT", mv(5, 900_000, MoveDir::Either), Repeat::Once),
        ),
        (
            "no leading word, lower case",
            "btcusdt > 99000.5",
            spec(
                "BTCUSDT",
                Above {
                    level: px("99000.5"),
                },
                Repeat::Once,
            ),
        ),
        (
            "dollar and commas",
            "alert AAPL under $1,250.25",
            spec(
                "AAPL",
                Below {
                    level: px("1250.25"),
                },
                Repeat::Once,
            ),
        ),
        (
            "move up within",
            "alert BTCUSDT move +2.5% within 1h",
            spec(
                "BTCUSDT",
                Move {
                    pct: Decimal::new(25, 1),
                    window_ms: 3_600_000,
                    dir: MoveDir::Up,
                },
                Repeat::Once,
            ),
        ),
        (
            "move down, no %",
            "alert BTCUSDT move -3 in 30s",
            spec("BTCUSDT", mv(3, 30_000, MoveDir::Down), Repeat::Once),
        ),
        (
            "repeat with cooldown",
            "alert SOLUSDT crossing 150 repeat 5m",
            spec("SOLUSDT", Cross { level: px("150") }, every(300_000)),
        ),
        (
            "explicit once",
            "ALERT BRK.B ABOVE 500 ONCE",
            spec("BRK.B", Above { level: px("500") }, Repeat::Once),
        ),
        (
            "compound window",
            "alert X move 1% 1h30m",
            spec("X", mv(1, 5_400_000, MoveDir::Either), Repeat::Once),
        ),
    ];
    for (label, input, want) in cases {
        assert_eq!(parse_alert(input), Ok(want), "{label}: {input}");
    }
}

#[test]
fn mistakes_get_a_message_that_says_what_to_type() {
    let cases = [
        ("empty", "alert", "which symbol and condition?"),
        ("blank", "   ", "which symbol and condition?"),
        (
            "bad symbol",
            "alert BTC$USDT above 1",
            "is not a valid symbol",
        ),
        (
            "no condition",
            "alert BTCUSDT",
            "what should BTCUSDT do? add above, below, cross or move",
        ),
        (
            "unknown condition",
            "alert BTCUSDT abov 1",
            "unknown condition `abov`",
        ),
        ("no price", "alert BTCUSDT below", "`below` needs a price"),
        (
            "not a price",
            "alert BTCUSDT above 10k",
            "`10k` is not a price",
        ),
        (
            "too precise",
            "alert BTCUSDT above 0.000000001",
            "more than 8 decimal places",
        ),
        ("zero", "alert BTCUSDT cross 0", "it must be above 0"),
        ("negative", "alert BTCUSDT above -5", "`-5` is not a price"),
        (
            "move alone",
            "alert BTCUSDT move",
            "needs a percentage and a window",
        ),
        (
            "bad percent",
            "alert BTCUSDT move 5x 15m",
            "`5x` is not a percentage",
        ),
        (
            "zero percent",
            "alert BTCUSDT move 0% 15m",
            "`0%` is not a percentage above 0",
        ),
        ("no window", "alert BTCUSDT move 5%", "needs a time window"),
        (
            "window word only",
            "alert BTCUSDT move 5% within",
            "needs a time window",
        ),
        (
            "bad window",
            "alert BTCUSDT move 5% 15x",
            "`15x` is not a duration",
        ),
        (
            "zero window",
            "alert BTCUSDT move 5% 0m",
            "`0m` is not a duration",
        ),
        (
            "unit only",
            "alert BTCUSDT move 5% m",
            "`m` is not a duration",
        ),
        (
            "trailing junk",
            "alert BTCUSDT above 1 now",
            "unexpected `now`",
        ),
        (
            "junk after repeat",
            "alert BTCUSDT above 1 repeat 1m please",
            "unexpected `please`",
        ),
        (
            "bad cooldown",
            "alert BTCUSDT above 1 repeat soon",
            "`soon` is not a duration",
        ),
    ];
    for (label, input, want) in cases {
        let err = parse_alert(input).expect_err(label).to_string();
        assert!(err.contains(want), "{label}: got `{err}`, want `{want}`");
    }
}

#[test]
fn durations_read_and_print() {
    let cases = [
        ("30s", 30_000),
        ("15m", 900_000),
        ("4h", 14_400_000),
        ("1d", 86_400_000),
        ("1h30m", 5_400_000),
        ("250ms", 250),
        ("90S", 90_000),
    ];
    for (text, ms) in cases {
        assert_eq!(parse_duration(text), Ok(ms), "{text}");
    }
    let printed = [
        (900_000, "15m"),
        (90_000, "1m30s"),
        (86_400_000, "1d"),
        (1_500, "1s500ms"),
        (0, "0s"),
    ];
    for (ms, text) in printed {
        assert_eq!(fmt_duration(ms), text, "{ms}");
    }
    assert!(
        parse_duration("99999999999999999d").is_err(),
        "overflow is an error, not a panic"
    );
}

#[test]
fn stored_alerts_print_back_as_commands() {
    let mut e = AlertEngine::new();
    let inputs = [
        "alert BTCUSDT above 100000",
        "alert ETHUSDT below 2500.5 repeat 1m",
        "alert SOLUSDT cross 150 repeat 1m30s",
        "alert BTCUSDT move +2.5% 15m",
        "alert BTCUSDT move -5% 1h",
        "alert BTCUSDT move 5% 1d repeat 10m",
    ];
    for input in inputs {
        let id = e.add(parse_alert(input).unwrap(), 0);
        let cmd = e.get(id).unwrap().command();
        assert_eq!(cmd, input);
        assert_eq!(parse_alert(&cmd).unwrap(), parse_alert(input).unwrap());
    }
}

fn trade(symbol: &str, price: &str, time: i64) -> Trade {
    Trade {
        symbol: Symbol::new(symbol).unwrap(),
        id: time as u64,
        price: px(price),
        qty: Qty::ONE,
        taker_side: Side::Buy,
        time,
    }
}

#[test]
fn alerts_can_be_removed_disabled_and_re_enabled() {
    let mut e = AlertEngine::new();
    let a = e.add(parse_alert("alert BTCUSDT above 10").unwrap(), 0);
    let b = e.add(parse_alert("alert ETHUSDT above 10").unwrap(), 0);
    assert_eq!(e.watched_symbols().len(), 2);
    assert!(e.set_enabled(b, false));
    assert_eq!(e.watched_symbols(), [Symbol::new("BTCUSDT").unwrap()]);
    assert!(
        e.on_trade(&trade("ETHUSDT", "11", 1)).is_empty(),
        "disabled"
    );
    assert_eq!(e.on_trade(&trade("BTCUSDT", "11", 2)).len(), 1);
    assert_eq!(e.get(a).unwrap().status, AlertStatus::Done);
    assert!(e.on_trade(&trade("BTCUSDT", "12", 3)).is_empty(), "done");
    assert!(e.set_enabled(a, true));
    assert_eq!(
        e.on_trade(&trade("BTCUSDT", "12", 4)).len(),
        1,
        "re-enabled fires again"
    );
    assert_eq!(e.remove(a).map(|x| x.id), Some(a));
    assert!(e.on_trade(&trade("BTCUSDT", "13", 5)).is_empty());
    assert!(!e.set_enabled(a, true), "unknown id");
    assert_eq!(e.alerts().len(), 1);
}

#[test]
fn many_alerts_on_many_symbols_only_touch_the_traded_symbol() {
    let mut e = AlertEngine::new();
    for i in 0..2_000 {
        let cmd = format!("alert S{} above {} repeat", i % 500, 100 + i);
        e.add(parse_alert(&cmd).unwrap(), 0);
    }
    // S7 has alerts at 107, 607, 1107, 1607: a trade at 700 fires the first two.
    let fired = e.on_trade(&trade("S7", "700", 1));
    let mut ids: Vec<u64> = fired.iter().map(|f| f.alert_id).collect();
    ids.sort();
    assert_eq!(ids, [8, 508]);
    assert!(e.on_trade(&trade("NOPE", "1", 2)).is_empty());
}
