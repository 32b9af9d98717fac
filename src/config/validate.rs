//! Range and consistency checks the types alone cannot express; each names the key it rejects.

use super::model::Config;
use rust_decimal::Decimal;

type Problem = (String, String);

fn bad(key: &str, reason: impl Into<String>) -> Result<(), Problem> {
    Err((key.to_string(), reason.into()))
}

fn range<T: PartialOrd + std::fmt::Display>(key: &str, v: T, lo: T, hi: T) -> Result<(), Problem> {
    if v < lo || v > hi {
        bad(key, format!("{v} is out of range, expected {lo} to {hi}"))
    } else {
        Ok(())
    }
}

fn url(key: &str, v: &str, schemes: &[&str]) -> Result<(), Problem> {
    match reqwest::Url::parse(v) {
        Ok(u) if schemes.contains(&u.scheme()) && u.host_str().is_some() => Ok(()),
        Ok(u) => bad(
            key,
            format!(
                "`{v}` must be a {} URL, not {}",
                schemes.join("/"),
                u.scheme()
            ),
        ),
        Err(e) => bad(key, format!("`{v}` is not a URL: {e}")),
    }
}

fn positive(key: &str, v: Decimal) -> Result<(), Problem> {
    if v > Decimal::ZERO {
        Ok(())
    } else {
        bad(key, format!("{v} must be greater than 0"))
    }
}

fn fee(key: &str, v: Decimal) -> Result<(), Problem> {
    if v >= Decimal::ZERO && v < Decimal::ONE {
        Ok(())
    } else {
        bad(
            key,
            format!("{v} must be a fraction between 0 and 1 (0.001 = 0.1 %)"),
        )
    }
}

/// Returns the first problem as `(dotted key, reason)`.
pub fn check(c: &Config) -> Result<(), Problem> {
    range("ui.fps", c.ui.fps, 1, 240)?;
    range("ui.book_levels", c.ui.book_levels, 1, 500)?;
    range("ui.tape_len", c.ui.tape_len, 1, 10_000)?;
    if c.ui.watchlist.is_empty() {
        bad("ui.watchlist", "needs at least one symbol")?;
    }
    positive("trading.max_notional", c.trading.max_notional)?;
    positive("trading.far_price_pct", c.trading.far_price_pct)?;
    positive("paper.starting_cash", c.paper.starting_cash)?;
    fee("paper.maker_fee", c.paper.maker_fee)?;
    fee("paper.taker_fee", c.paper.taker_fee)?;
    range("indicators.sma_fast", c.indicators.sma_fast, 1, 1000)?;
    range("indicators.sma_slow", c.indicators.sma_slow, 1, 1000)?;
    range("indicators.ema", c.indicators.ema, 1, 1000)?;
    if c.indicators.sma_fast >= c.indicators.sma_slow {
        bad(
            "indicators.sma_fast",
            format!(
                "{} must be smaller than indicators.sma_slow ({})",
                c.indicators.sma_fast, c.indicators.sma_slow
            ),
        )?;
    }
    let b = &c.venues.binance;
    url("venues.binance.rest_url", &b.rest_url, &["http", "https"])?;
    url("venues.binance.ws_url", &b.ws_url, &["ws", "wss"])?;
    url("venues.binance.ws_api_url", &b.ws_api_url, &["ws", "wss"])?;
    range("venues.binance.recv_window_ms", b.recv_window_ms, 1, 60_000)?;
    range("venues.binance.book_depth", b.book_depth, 5, 5000)?;
    let a = &c.venues.alpaca;
    url(
        "venues.alpaca.paper_trading_url",
        &a.paper_trading_url,
        &["http", "https"],
    )?;
    url(
        "venues.alpaca.live_trading_url",
        &a.live_trading_url,
        &["http", "https"],
    )?;
    url(
        "venues.alpaca.data_rest_url",
        &a.data_rest_url,
        &["http", "https"],
    )?;
    url("venues.alpaca.data_ws_url", &a.data_ws_url, &["ws", "wss"])?;
    if c.general.market == crate::domain::VenueId::Paper {
        bad(
            "general.market",
            "the paper broker has no market data: use binance or alpaca",
        )?;
    }
    if c.paper.quote_asset.trim().is_empty() {
        bad("paper.quote_asset", "must not be empty")?;
    }
    crate::app::KeyMap::from_table(&c.keys)?;
    Ok(())
}
