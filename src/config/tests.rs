//! Tests of config layering and of the message the user sees for each kind of bad config.

use super::*;
use std::io::Write;

fn load_text(text: &str) -> (tempfile::NamedTempFile, Result<Config, ConfigError>) {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    let r = load(Some(f.path()));
    (f, r)
}

/// Every dotted key path in a TOML table (arrays count as leaves).
fn key_paths(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in t {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(inner) => key_paths(inner, &path, out),
            _ => out.push(path),
        }
    }
}

#[test]
fn shipped_defaults_parse_and_pass_checks() {
    let c = parse_layered(None).unwrap();
    assert_eq!(c.general.mode, Mode::Paper);
    assert_eq!(c.general.broker, crate::domain::VenueId::Paper);
    assert_eq!(c.ui.fps, 30);
    assert!(c.keys.contains_key("q"));
}

#[test]
fn example_documents_every_key_and_equals_the_defaults() {
    let example = include_str!("../../config.example.toml");
    let parsed = parse_layered(Some(("config.example.toml", example))).unwrap();
    assert_eq!(parsed, parse_layered(None).unwrap());
    let (mut ex, mut de) = (Vec::new(), Vec::new());
    key_paths(&example.parse().unwrap(), "", &mut ex);
    key_paths(&DEFAULTS.parse().unwrap(), "", &mut de);
    ex.sort();
    de.sort();
    assert_eq!(
        ex, de,
        "config.example.toml and assets/default.toml must have the same keys"
    );
}

#[test]
fn user_file_is_layered_over_the_defaults() {
    let (_f, c) = load_text(
        "[ui]\nfps = 60\n\n[venues.binance]\nrest_url = \"http://127.0.0.1:9\"\n\n[keys]\n\"x\" = \"quit\"\n\"q\" = \"none\"\n",
    );
    let c = c.unwrap();
    assert_eq!(c.ui.fps, 60);
    assert_eq!(
        c.ui.theme,
        ThemeName::Dark,
        "untouched keys keep their default"
    );
    assert_eq!(c.venues.binance.rest_url, "http://127.0.0.1:9");
    assert_eq!(c.venues.binance.ws_url, "wss://stream.binance.com:9443");
    assert_eq!(c.keys.get("x").map(String::as_str), Some("quit"));
    assert_eq!(c.keys.get("q").map(String::as_str), Some("none"));
    assert_eq!(
        c.keys.get("j").map(String::as_str),
        Some("down"),
        "default bindings stay"
    );
}

#[test]
fn each_kind_of_bad_config_gets_a_message_naming_file_key_and_problem() {
    let cases: &[(&str, &str, &str)] = &[
        ("syntax", "[ui\nfps = 3", "is not valid TOML"),
        (
            "unknown top-level section",
            "[colours]\nx = 1",
            "unknown key `colours`",
        ),
        (
            "unknown nested key",
            "[ui]\nfpss = 30",
            "unknown key `ui.fpss`",
        ),
        (
            "unknown venue key",
            "[venues.binance]\nrest = \"x\"",
            "unknown key `venues.binance.rest`",
        ),
        (
            "wrong type",
            "[ui]\nfps = \"fast\"",
            "key `ui.fps`: invalid type: string \"fast\"",
        ),
        (
            "out of range",
            "[ui]\nfps = 0",
            "key `ui.fps`: 0 is out of range, expected 1 to 240",
        ),
        (
            "bad enum",
            "[general]\nmode = \"yolo\"",
            "key `general.mode`: unknown variant `yolo`",
        ),
        (
            "bad venue",
            "[general]\nbroker = \"ftx\"",
            "key `general.broker`: unknown variant `ftx`",
        ),
        (
            "bad symbol",
            "[ui]\nwatchlist = [\"BTC USDT\"]",
            "key `ui.watchlist[0]`: `BTC USDT` is not a valid symbol",
        ),
        (
            "float money",
            "[trading]\nmax_notional = 100.5",
            "key `trading.max_notional`: invalid type: floating point",
        ),
        (
            "bad decimal",
            "[trading]\nmax_notional = \"ten\"",
            "key `trading.max_notional`: `ten` is not a decimal number",
        ),
        (
            "negative",
            "[trading]\nmax_notional = \"-5\"",
            "key `trading.max_notional`: -5 must be greater than 0",
        ),
        (
            "fee as percent",
            "[paper]\ntaker_fee = \"10\"",
            "key `paper.taker_fee`: 10 must be a fraction between 0 and 1",
        ),
        (
            "bad url",
            "[venues.binance]\nrest_url = \"api.binance.com\"",
            "key `venues.binance.rest_url`: `api.binance.com` is not a URL",
        ),
        (
            "wrong scheme",
            "[venues.binance]\nws_url = \"https://x\"",
            "key `venues.binance.ws_url`: `https://x` must be a ws/wss URL, not https",
        ),
        (
            "bad interval",
            "[ui]\nchart_interval = \"7m\"",
            "key `ui.chart_interval`: unknown variant `7m`",
        ),
        (
            "sma order",
            "[indicators]\nsma_fast = 50",
            "key `indicators.sma_fast`: 50 must be smaller than indicators.sma_slow (21)",
        ),
        (
            "bad key name",
            "[keys]\n\"hyper-q\" = \"quit\"",
            "key `keys.\"hyper-q\"`: `hyper-q` is not a key",
        ),
        (
            "bad action",
            "[keys]\n\"x\" = \"launch\"",
            "key `keys.\"x\"`: unknown action `launch`",
        ),
        (
            "paper market",
            "[general]\nmarket = \"paper\"",
            "key `general.market`: the paper broker has no market data",
        ),
    ];
    for (label, text, expected) in cases {
        let (file, result) = load_text(text);
        let msg = result.expect_err(label).to_string();
        let name = file.path().display().to_string();
        assert!(
            msg.starts_with(&format!("config file {name}")),
            "{label}: {msg}"
        );
        assert!(
            msg.contains(expected),
            "{label}: expected `{expected}` in: {msg}"
        );
    }
}

#[test]
fn an_explicit_config_file_must_exist() {
    let err = resolve_paths(Some(Path::new("/nonexistent/speedtrade.toml")), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read config file /nonexistent/speedtrade.toml: no such file"
    );
}
