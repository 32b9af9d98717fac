//! Market stream names (`btcusdt@depth@100ms`, `ethusdt@kline_1m`, ...) and rendering the
//! events a subscription carries.

use super::events::{MarketEvent, SymEvent};
use super::wire;
use crate::domain::Interval;

/// What a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `@trade`.
    Trade,
    /// `@aggTrade`.
    AggTrade,
    /// `@depth` / `@depth@100ms` (one diff per generator step either way).
    Depth,
    /// `@depth5|10|20[@100ms]`.
    Partial {
        /// Levels per side.
        levels: usize,
        /// Every 100 ms instead of every second.
        fast: bool,
    },
    /// `@bookTicker`.
    BookTicker,
    /// `@kline_<interval>`.
    Kline(Interval),
    /// `@ticker`.
    Ticker,
    /// `@miniTicker`.
    MiniTicker,
}

/// One subscribed stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSub {
    /// The name as subscribed (what `LIST_SUBSCRIPTIONS` and the combined wrapper show).
    pub name: String,
    /// Symbol index; `None` for a well-formed name of a symbol the simulator does not list
    /// (accepted, like Binance, but silent).
    pub sym: Option<usize>,
    /// Symbol in upper case (for the `s` field).
    pub symbol: String,
    /// Stream kind.
    pub kind: Kind,
}

/// Parses a stream name; `lookup` maps an upper-case symbol to its index.
pub fn parse(name: &str, lookup: impl Fn(&str) -> Option<usize>) -> Option<StreamSub> {
    let (sym, rest) = name.split_once('@')?;
    let ok_sym = !sym.is_empty()
        && sym.len() <= 20
        && sym
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ok_sym {
        return None;
    }
    let kind = parse_kind(rest)?;
    let symbol = sym.to_ascii_uppercase();
    Some(StreamSub {
        name: name.to_string(),
        sym: lookup(&symbol),
        symbol,
        kind,
    })
}

fn parse_kind(rest: &str) -> Option<Kind> {
    Some(match rest {
        "trade" => Kind::Trade,
        "aggTrade" => Kind::AggTrade,
        "depth" | "depth@100ms" | "depth@1000ms" => Kind::Depth,
        "bookTicker" => Kind::BookTicker,
        "ticker" => Kind::Ticker,
        "miniTicker" => Kind::MiniTicker,
        other => {
            if let Some(iv) = other.strip_prefix("kline_") {
                return iv.parse().ok().map(Kind::Kline);
            }
            let d = other.strip_prefix("depth")?;
            let (n, fast) = match d.split_once('@') {
                Some((n, "100ms")) => (n, true),
                Some((n, "1000ms")) => (n, false),
                Some(_) => return None,
                None => (d, false),
            };
            let levels = match n {
                "5" => 5,
                "10" => 10,
                "20" => 20,
                _ => return None,
            };
            Kind::Partial { levels, fast }
        }
    })
}

impl StreamSub {
    /// Writes this stream's payload for `e` into `buf`; `false` if `e` is not for it.
    pub fn render(&self, e: &SymEvent, buf: &mut Vec<u8>) -> bool {
        if self.sym != Some(e.sym) {
            return false;
        }
        let s = self.symbol.as_str();
        match (&e.ev, self.kind) {
            (MarketEvent::Depth(d), Kind::Depth) => wire::depth(buf, s, d),
            (MarketEvent::Trade(t), Kind::Trade) => wire::trade(buf, s, t),
            (MarketEvent::AggTrade(a), Kind::AggTrade) => wire::agg_trade(buf, s, a),
            (MarketEvent::BookTicker(b), Kind::BookTicker) => wire::book_ticker(buf, s, b),
            (MarketEvent::Periodic(p), Kind::Partial { levels, fast }) => {
                if !fast && !p.whole_second {
                    return false;
                }
                wire::partial_depth(buf, p, levels);
            }
            (MarketEvent::Periodic(p), Kind::Kline(iv)) => {
                let Some(k) = p.klines.iter().find(|k| k.interval == iv) else {
                    return false;
                };
                wire::kline(buf, s, p.time, k);
            }
            (MarketEvent::Periodic(p), Kind::Ticker | Kind::MiniTicker) => {
                let Some(t) = &p.ticker else {
                    return false;
                };
                if self.kind == Kind::Ticker {
                    wire::ticker(buf, s, t);
                } else {
                    wire::mini_ticker(buf, s, t);
                }
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let look = |s: &str| (s == "BTCUSDT").then_some(0);
        let p = |n: &str| parse(n, look).map(|s| (s.sym, s.kind));
        assert_eq!(p("btcusdt@depth@100ms"), Some((Some(0), Kind::Depth)));
        assert_eq!(
            p("btcusdt@depth20@100ms"),
            Some((
                Some(0),
                Kind::Partial {
                    levels: 20,
                    fast: true
                }
            ))
        );
        assert_eq!(
            p("btcusdt@kline_1M"),
            Some((Some(0), Kind::Kline(Interval::Mo1)))
        );
        assert_eq!(p("foousdt@trade"), Some((None, Kind::Trade)));
        for bad in [
            "btcusdt",
            "BTCUSDT@trade",
            "btcusdt@depth7",
            "btcusdt@kline_2m",
            "@trade",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
