//! The screener language: table-driven matches over a fixed set of rows, canonical printing,
//! serde, and errors with the column of the problem.

use rust_decimal::Decimal;
use speedtrade::domain::{Price, Qty, Symbol, Ticker24h};
use speedtrade::screener::{Field, Filter, Row};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A row: `[last, high, low, volume, quote volume, change %]` and an optional (bid, ask).
fn row(sym: &str, n: [&str; 6], book: Option<(&str, &str)>) -> Row {
    let [last, high, low, vol, qvol, chg] = n;
    let t = Ticker24h {
        symbol: Symbol::new(sym).unwrap(),
        last: Price::parse(last).unwrap(),
        open: Price::parse(last).unwrap(),
        high: Price::parse(high).unwrap(),
        low: Price::parse(low).unwrap(),
        volume: Qty::parse(vol).unwrap(),
        quote_volume: d(qvol),
        change_pct: d(chg),
        time: 0,
    };
    let mut r = Row::from(&t);
    if let Some((b, a)) = book {
        r.bid = Some(Price::parse(b).unwrap());
        r.ask = Some(Price::parse(a).unwrap());
    }
    r
}

fn rows() -> Vec<Row> {
    vec![
        row(
            "BTCUSDT",
            ["97000", "98000", "94000", "25000", "2400000000", "2.5"],
            Some(("96999.99", "97000.01")),
        ),
        row(
            "ETHUSDT",
            ["2450", "2600", "2400", "400000", "990000000", "-4.2"],
            Some(("2449.9", "2450.1")),
        ),
        row(
            "SOLUSDT",
            ["150", "160", "140", "3000000", "450000000", "7.1"],
            None,
        ),
        row(
            "DOGEUSDT",
            ["0.09", "0.1", "0.08", "900000000", "81000000", "12"],
            Some(("0.0899", "0.0901")),
        ),
        row(
            "AAPL",
            ["99.5", "101", "98", "800000", "79600000", "-0.5"],
            None,
        ),
    ]
}

fn matching(f: &str) -> Vec<String> {
    let filter = Filter::parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
    rows()
        .iter()
        .filter(|r| filter.matches(r))
        .map(|r| r.symbol.to_string())
        .collect()
}

#[test]
fn filters_select_the_expected_rows() {
    let cases: [(&str, &str, &[&str]); 18] = [
        ("under $100", "price < 100", &["DOGEUSDT", "AAPL"]),
        (
            "alias last",
            "last <= 150",
            &["SOLUSDT", "DOGEUSDT", "AAPL"],
        ),
        ("gainers", "change% > 5", &["SOLUSDT", "DOGEUSDT"]),
        ("percent sign", "change% >= 7.1%", &["SOLUSDT", "DOGEUSDT"]),
        ("losers, negative number", "change < -1", &["ETHUSDT"]),
        (
            "volume with suffix",
            "volume > 1m",
            &["SOLUSDT", "DOGEUSDT"],
        ),
        ("and", "volume > 1000000 and price < 100", &["DOGEUSDT"]),
        (
            "or",
            "price > 50000 or change% < -4",
            &["BTCUSDT", "ETHUSDT"],
        ),
        (
            "and binds tighter than or",
            "price < 1 or price > 100 and change% > 5",
            &["SOLUSDT", "DOGEUSDT"],
        ),
        (
            "parentheses",
            "(price < 1 or price > 100) and change% > 5",
            &["SOLUSDT", "DOGEUSDT"],
        ),
        ("not", "not price < 100", &["BTCUSDT", "ETHUSDT", "SOLUSDT"]),
        ("equality is exact", "price = 99.50", &["AAPL"]),
        (
            "not equal",
            "price != 150 and price <> 97000",
            &["ETHUSDT", "DOGEUSDT", "AAPL"],
        ),
        (
            "quote volume in billions",
            "qvol >= 0.99b",
            &["BTCUSDT", "ETHUSDT"],
        ),
        (
            "spread needs a book",
            "spread <= 0.02",
            &["BTCUSDT", "DOGEUSDT"],
        ),
        ("spread of the mid", "spread% > 0.1%", &["DOGEUSDT"]),
        ("range", "range% > 10", &["SOLUSDT", "DOGEUSDT"]),
        (
            "symbols and case",
            "PRICE>90 && (CHG%<0 || high == 160)",
            &["ETHUSDT", "SOLUSDT", "AAPL"],
        ),
    ];
    for (label, filter, want) in cases {
        assert_eq!(matching(filter), want, "{label}: {filter}");
    }
}

#[test]
fn a_value_the_row_lacks_fails_the_comparison() {
    // SOLUSDT and AAPL have no book: `spread` is unknown, so both tests are false.
    assert_eq!(matching("spread >= 0"), ["BTCUSDT", "ETHUSDT", "DOGEUSDT"]);
    assert_eq!(matching("not spread >= 0"), ["SOLUSDT", "AAPL"]);
    assert_eq!(
        Filter::parse("spread% < 1 and price > 0").unwrap().fields(),
        [Field::SpreadPct, Field::Price]
    );
}

#[test]
fn filters_print_canonically_and_serialize_as_text() {
    let cases = [
        ("price<100", "price < 100"),
        ("LAST <= 1.50 AND chg > 5", "price <= 1.5 and change% > 5%"),
        (
            "(price < 1 or price > 2) and vol > 1k",
            "(price < 1 or price > 2) and volume > 1000",
        ),
        (
            "price < 1 or price > 2 and vol > 1k",
            "price < 1 or price > 2 and volume > 1000",
        ),
        (
            "not (price < 1 and price > 0)",
            "not (price < 1 and price > 0)",
        ),
        (
            "price < 1 and (price < 2 and price < 3)",
            "price < 1 and (price < 2 and price < 3)",
        ),
    ];
    for (input, want) in cases {
        let f = Filter::parse(input).unwrap();
        assert_eq!(f.to_string(), want, "{input}");
        assert_eq!(
            Filter::parse(want).unwrap(),
            f,
            "printing loses nothing: {input}"
        );
    }
    let f = Filter::parse("volume > 1.5m and change% > 5").unwrap();
    let json = serde_json::to_string(&f).unwrap();
    assert_eq!(json, "\"volume > 1500000 and change% > 5%\"");
    assert_eq!(serde_json::from_str::<Filter>(&json).unwrap(), f);
    assert!(serde_json::from_str::<Filter>("\"price <\"").is_err());
}

#[test]
fn errors_point_at_the_problem() {
    // (label, input, column (1-based), message)
    let cases = [
        ("empty", "", 1, "empty filter"),
        ("blank", "   ", 1, "empty filter"),
        (
            "unknown field, suggestion",
            "volum > 5",
            1,
            "unknown field `volum`: did you mean `volume`?",
        ),
        (
            "unknown field, list",
            "marketcap > 5",
            1,
            "unknown field `marketcap` (fields: price, change%, volume",
        ),
        (
            "missing operator",
            "price 100",
            7,
            "expected an operator (<, <=, >, >=, =, !=) after `price`",
        ),
        ("operator at the end", "price", 6, "expected an operator"),
        (
            "missing number",
            "price <",
            8,
            "expected a number after `<`",
        ),
        (
            "word for number",
            "price < low",
            9,
            "expected a number after `<`",
        ),
        ("bad number", "price < 1.2.3", 9, "`1.2.3` is not a number"),
        ("bad suffix", "volume > 10x", 10, "`10x` is not a number"),
        ("exponent", "volume > 1e6", 10, "`1e6` is not a number"),
        (
            "percent on a price",
            "price < 5%",
            9,
            "`%` does not apply to `price`",
        ),
        (
            "dangling and",
            "price < 100 and",
            16,
            "expected a condition after `and`",
        ),
        (
            "and and",
            "price < 1 and or price > 2",
            15,
            "expected a condition after `and`",
        ),
        (
            "unclosed",
            "(price < 1 or price > 2",
            1,
            "this `(` is never closed",
        ),
        (
            "unmatched",
            "price < 1)",
            10,
            "expected `and`, `or` or the end, found `)`",
        ),
        ("lone close", ")", 1, "unmatched `)`"),
        (
            "trailing word",
            "price < 1 volume > 2",
            11,
            "expected `and`, `or` or the end, found `volume`",
        ),
        (
            "single ampersand",
            "price < 1 & price > 0",
            11,
            "`&` alone is not an operator",
        ),
        ("stray character", "price < $5", 9, "unexpected `$`"),
        (
            "number first",
            "100 > price",
            1,
            "expected a field such as `price`",
        ),
        (
            "not at the end",
            "price < 1 and not",
            18,
            "expected a condition after `not`",
        ),
        ("unicode column", "prïce < 1", 1, "unknown field `prïce`"),
        ("after unicode", "price < 1 and «", 15, "unexpected `«`"),
    ];
    for (label, input, col, want) in cases {
        let e = Filter::parse(input).expect_err(label);
        assert_eq!(e.column + 1, col, "{label}: {e}");
        assert!(e.message.contains(want), "{label}: got `{}`", e.message);
        assert!(
            e.to_string().starts_with(&format!("column {col}: ")),
            "{label}"
        );
    }
    let e = Filter::parse("price < 1 and volum > 2").unwrap_err();
    assert_eq!(
        e.caret("price < 1 and volum > 2"),
        "price < 1 and volum > 2\n              ^^^^^"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}price < 1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(
        Filter::parse(&deep)
            .unwrap_err()
            .message
            .contains("too deeply nested")
    );
    let nots = format!("{}price < 1", "not ".repeat(10_000));
    assert!(Filter::parse(&nots).is_err());
    let ok = format!("{}price < 1{}", "(".repeat(30), ")".repeat(30));
    assert!(Filter::parse(&ok).is_ok());
}
