//! Binance market stream names: building them for SUBSCRIBE and recognising them in combined
//! frames (bookTicker and partial depth payloads carry no `e`, so the name decides).
//!
//! See docs: <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md>

use crate::domain::{Interval, Symbol};

/// What a stream carries (the part after `<symbol>@`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StreamKind {
    /// `@trade`.
    Trade,
    /// `@aggTrade`.
    AggTrade,
    /// `@depth` (1000 ms) or `@depth@100ms`: diffs for a local book.
    Depth {
        /// `true` for the 100 ms variant.
        fast: bool,
    },
    /// `@depth<5|10|20>[@100ms]`: the top levels as a whole.
    PartialDepth {
        /// 5, 10 or 20.
        levels: u8,
        /// `true` for the 100 ms variant.
        fast: bool,
    },
    /// `@bookTicker`.
    BookTicker,
    /// `@kline_<interval>` (a time-zone suffix such as `@+08:00` is accepted when parsing).
    Kline(Interval),
    /// `@miniTicker`.
    MiniTicker,
    /// `@ticker`.
    Ticker,
    /// `@ticker_<1h|4h|1d>`.
    WindowTicker(Window),
    /// `@avgPrice`.
    AvgPrice,
    /// `@referencePrice`.
    ReferencePrice,
    /// `@blockTrade`.
    BlockTrade,
}

/// Rolling-window ticker sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Window {
    /// 1 hour.
    H1,
    /// 4 hours.
    H4,
    /// 1 day.
    D1,
}

impl Window {
    /// `1h`, `4h` or `1d`.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::H1 => "1h",
            Window::H4 => "4h",
            Window::D1 => "1d",
        }
    }
}

impl StreamKind {
    /// The suffix after `<symbol>@`.
    pub fn suffix(self) -> String {
        let speed = |fast: bool| if fast { "@100ms" } else { "" };
        match self {
            StreamKind::Trade => "trade".into(),
            StreamKind::AggTrade => "aggTrade".into(),
            StreamKind::Depth { fast } => format!("depth{}", speed(fast)),
            StreamKind::PartialDepth { levels, fast } => format!("depth{levels}{}", speed(fast)),
            StreamKind::BookTicker => "bookTicker".into(),
            StreamKind::Kline(i) => format!("kline_{}", i.as_str()),
            StreamKind::MiniTicker => "miniTicker".into(),
            StreamKind::Ticker => "ticker".into(),
            StreamKind::WindowTicker(w) => format!("ticker_{}", w.as_str()),
            StreamKind::AvgPrice => "avgPrice".into(),
            StreamKind::ReferencePrice => "referencePrice".into(),
            StreamKind::BlockTrade => "blockTrade".into(),
        }
    }

    /// The full stream name for `symbol` (lower case, as Binance requires).
    pub fn name(self, symbol: &Symbol) -> String {
        format!("{}@{}", symbol.lower(), self.suffix())
    }

    /// Recognises a suffix (the part after `@`).
    pub fn parse_suffix(suffix: &str) -> Option<StreamKind> {
        let (main, fast) = match suffix.strip_suffix("@100ms") {
            Some(m) => (m, true),
            None => (suffix, false),
        };
        let kind = match main {
            "trade" => StreamKind::Trade,
            "aggTrade" => StreamKind::AggTrade,
            "depth" => StreamKind::Depth { fast },
            "depth5" => StreamKind::PartialDepth { levels: 5, fast },
            "depth10" => StreamKind::PartialDepth { levels: 10, fast },
            "depth20" => StreamKind::PartialDepth { levels: 20, fast },
            "bookTicker" => StreamKind::BookTicker,
            "miniTicker" => StreamKind::MiniTicker,
            "ticker" => StreamKind::Ticker,
            "ticker_1h" => StreamKind::WindowTicker(Window::H1),
            "ticker_4h" => StreamKind::WindowTicker(Window::H4),
            "ticker_1d" => StreamKind::WindowTicker(Window::D1),
            "avgPrice" => StreamKind::AvgPrice,
            "referencePrice" => StreamKind::ReferencePrice,
            "blockTrade" => StreamKind::BlockTrade,
            other => {
                let rest = other.strip_prefix("kline_")?;
                // `kline_1m@+08:00`: the time-zone part does not change the payload shape.
                let interval = rest.split('@').next()?;
                StreamKind::Kline(interval.parse().ok()?)
            }
        };
        let speed_ok = !fast
            || matches!(
                kind,
                StreamKind::Depth { .. } | StreamKind::PartialDepth { .. }
            );
        speed_ok.then_some(kind)
    }
}

/// A live-subscription control message: `{"method":"SUBSCRIBE","params":[…],"id":1}`.
/// `method` is `SUBSCRIBE`, `UNSUBSCRIBE` or `LIST_SUBSCRIPTIONS` (params may be empty).
pub fn control_message(method: &str, params: &[String], id: u64) -> String {
    if params.is_empty() {
        return serde_json::json!({"method": method, "id": id}).to_string();
    }
    serde_json::json!({"method": method, "params": params, "id": id}).to_string()
}

/// A parsed stream name: `btcusdt@depth@100ms` → (`btcusdt`, Depth { fast: true }).
/// All-market streams (`!miniTicker@arr`) have no symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamName<'a> {
    /// Lower-case symbol, `None` for `!…` all-market streams.
    pub symbol: Option<&'a str>,
    /// The kind, `None` when unrecognised (the payload's `e` decides then).
    pub kind: Option<StreamKind>,
}

impl<'a> StreamName<'a> {
    /// Splits a stream name; never fails (unknown parts come back as `None`).
    pub fn parse(name: &'a str) -> StreamName<'a> {
        if name.starts_with('!') {
            return StreamName {
                symbol: None,
                kind: None,
            };
        }
        match name.split_once('@') {
            Some((sym, suffix)) => StreamName {
                symbol: Some(sym),
                kind: StreamKind::parse_suffix(suffix),
            },
            None => StreamName {
                symbol: None,
                kind: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let s = Symbol::new("BTCUSDT").unwrap();
        let kinds = [
            StreamKind::Trade,
            StreamKind::AggTrade,
            StreamKind::Depth { fast: true },
            StreamKind::Depth { fast: false },
            StreamKind::PartialDepth {
                levels: 20,
                fast: true,
            },
            StreamKind::BookTicker,
            StreamKind::Kline(Interval::M15),
            StreamKind::MiniTicker,
            StreamKind::Ticker,
            StreamKind::WindowTicker(Window::H4),
            StreamKind::AvgPrice,
            StreamKind::ReferencePrice,
            StreamKind::BlockTrade,
        ];
        for k in kinds {
            let name = k.name(&s);
            let parsed = StreamName::parse(&name);
            assert_eq!(parsed.symbol, Some("btcusdt"), "{name}");
            assert_eq!(parsed.kind, Some(k), "{name}");
        }
        assert_eq!(
            StreamName::parse("bnbbtc@kline_1m@+08:00").kind,
            Some(StreamKind::Kline(Interval::M1))
        );
        assert_eq!(StreamName::parse("x@trade@100ms").kind, None);
        assert_eq!(StreamName::parse("!miniTicker@arr").symbol, None);
    }
}
