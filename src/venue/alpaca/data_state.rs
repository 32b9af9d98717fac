//! State the market data task keeps across frames and reconnects: the wanted subscriptions,
//! the inferred aggressor side of trades, and the conflating outbox for quotes.

use super::data_options::AlpacaChannels;
use super::wire_stream::AlpacaSubscribeMsg;
use crate::domain::{BookTop, Price, Side, Symbol};
use crate::venue::MarketEvent;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

/// The app's event receiver is gone: the feed stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

/// A subscription change asked by the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubCmd {
    /// Add these symbols on these channels.
    Subscribe(Vec<Symbol>, AlpacaChannels),
    /// Remove these symbols from these channels.
    Unsubscribe(Vec<Symbol>, AlpacaChannels),
}

/// The subscriptions the app wants; sent whole after every (re)connect.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Subscriptions {
    trades: BTreeSet<Symbol>,
    quotes: BTreeSet<Symbol>,
    bars: BTreeSet<Symbol>,
    daily_bars: BTreeSet<Symbol>,
}

impl Subscriptions {
    fn sets(&mut self, ch: AlpacaChannels) -> [(bool, &mut BTreeSet<Symbol>); 4] {
        [
            (ch.trades, &mut self.trades),
            (ch.quotes, &mut self.quotes),
            (ch.bars, &mut self.bars),
            (ch.daily_bars, &mut self.daily_bars),
        ]
    }

    /// Applies a change; returns the message to send now (only what actually changed), if any.
    pub fn apply(&mut self, cmd: &SubCmd) -> Option<String> {
        let (symbols, channels, add) = match cmd {
            SubCmd::Subscribe(s, c) => (s, *c, true),
            SubCmd::Unsubscribe(s, c) => (s, *c, false),
        };
        let mut delta: [Vec<Symbol>; 4] = Default::default();
        for ((on, set), changed) in self.sets(channels).into_iter().zip(delta.iter_mut()) {
            if !on {
                continue;
            }
            for s in symbols {
                let did = if add {
                    set.insert(s.clone())
                } else {
                    set.remove(s)
                };
                if did {
                    changed.push(s.clone());
                }
            }
        }
        let action = if add { "subscribe" } else { "unsubscribe" };
        message(action, &delta)
    }

    /// The message that subscribes everything wanted (after a reconnect), if anything.
    pub fn full(&self) -> Option<String> {
        let all = [&self.trades, &self.quotes, &self.bars, &self.daily_bars]
            .map(|set| set.iter().cloned().collect::<Vec<_>>());
        message("subscribe", &all)
    }

    /// Whether trades or quotes of `symbol` are still wanted.
    pub fn wants_ticks(&self, symbol: &Symbol) -> bool {
        self.trades.contains(symbol) || self.quotes.contains(symbol)
    }
}

fn message(action: &'static str, lists: &[Vec<Symbol>; 4]) -> Option<String> {
    if lists.iter().all(Vec::is_empty) {
        return None;
    }
    let names = |i: usize| lists[i].iter().map(Symbol::as_str).collect::<Vec<_>>();
    let msg = AlpacaSubscribeMsg {
        action,
        trades: names(0),
        quotes: names(1),
        bars: names(2),
        daily_bars: names(3),
    };
    serde_json::to_string(&msg).ok()
}

/// Infers the aggressor of a trade, which Alpaca does not report: above the last quote's mid
/// is a buy, below a sell (quote rule); at the mid or without a quote, the tick rule (up-tick
/// buy, down-tick sell, unchanged keeps the previous side; the first trade counts as a buy).
#[derive(Debug, Default)]
pub(crate) struct SideInference {
    quotes: HashMap<Symbol, (Price, Price)>,
    last: HashMap<Symbol, (Price, Side)>,
}

impl SideInference {
    /// Records a quote (both sides needed for a mid).
    pub fn on_quote(&mut self, symbol: &Symbol, bid: Option<Price>, ask: Option<Price>) {
        match (bid, ask) {
            (Some(b), Some(a)) => {
                self.quotes.insert(symbol.clone(), (b, a));
            }
            _ => {
                self.quotes.remove(symbol);
            }
        }
    }

    /// The inferred side of a trade at `price`.
    pub fn side(&mut self, symbol: &Symbol, price: Price) -> Side {
        let by_quote = self.quotes.get(symbol).and_then(|(b, a)| {
            let twice_mid = i128::from(b.units()) + i128::from(a.units());
            let twice_price = 2 * i128::from(price.units());
            match twice_price.cmp(&twice_mid) {
                std::cmp::Ordering::Greater => Some(Side::Buy),
                std::cmp::Ordering::Less => Some(Side::Sell),
                std::cmp::Ordering::Equal => None,
            }
        });
        let side = by_quote.unwrap_or_else(|| match self.last.get(symbol) {
            Some((p, _)) if price > *p => Side::Buy,
            Some((p, _)) if price < *p => Side::Sell,
            Some((_, s)) => *s,
            None => Side::Buy,
        });
        self.last.insert(symbol.clone(), (price, side));
        side
    }

    /// Forgets a symbol no longer streamed.
    pub fn forget(&mut self, symbol: &Symbol) {
        self.quotes.remove(symbol);
        self.last.remove(symbol);
    }
}

/// Quotes waiting for room in the app's channel: the newest per symbol wins, so a slow app
/// never builds a backlog of stale books (trades are never put here; they wait instead).
#[derive(Debug, Default)]
pub(crate) struct BookOutbox {
    pending: BTreeMap<Symbol, BookTop>,
}

impl BookOutbox {
    /// Sends the book now if there is room, else keeps it (replacing an older one).
    pub fn offer(
        &mut self,
        events: &mpsc::Sender<MarketEvent>,
        symbol: Symbol,
        top: BookTop,
    ) -> Result<(), Closed> {
        if let Some(slot) = self.pending.get_mut(&symbol) {
            *slot = top;
            return Ok(());
        }
        match events.try_send(MarketEvent::Book { symbol, top }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(MarketEvent::Book { symbol, top })) => {
                self.pending.insert(symbol, top);
                Ok(())
            }
            Err(TrySendError::Full(_)) => Ok(()),
            Err(TrySendError::Closed(_)) => Err(Closed),
        }
    }

    /// Whether books are waiting.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The next waiting book, as an event.
    pub fn pop(&mut self) -> Option<MarketEvent> {
        self.pending
            .pop_first()
            .map(|(symbol, top)| MarketEvent::Book { symbol, top })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Level, Qty};

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn subscriptions_send_only_changes_and_resend_everything_after_reconnect() {
        let mut subs = Subscriptions::default();
        let all = AlpacaChannels::default();
        let first = subs.apply(&SubCmd::Subscribe(vec![sym("AAPL"), sym("AMD")], all));
        assert_eq!(
            first.as_deref(),
            Some(
                r#"{"action":"subscribe","trades":["AAPL","AMD"],"quotes":["AAPL","AMD"],"bars":["AAPL","AMD"]}"#
            )
        );
        assert_eq!(subs.apply(&SubCmd::Subscribe(vec![sym("AAPL")], all)), None);
        let only_trades = AlpacaChannels {
            trades: true,
            ..AlpacaChannels::NONE
        };
        let un = subs.apply(&SubCmd::Unsubscribe(vec![sym("AMD")], only_trades));
        assert_eq!(
            un.as_deref(),
            Some(r#"{"action":"unsubscribe","trades":["AMD"]}"#)
        );
        assert_eq!(
            subs.full().as_deref(),
            Some(
                r#"{"action":"subscribe","trades":["AAPL"],"quotes":["AAPL","AMD"],"bars":["AAPL","AMD"]}"#
            )
        );
        assert!(subs.wants_ticks(&sym("AMD")));
        assert_eq!(Subscriptions::default().full(), None);
    }

    #[test]
    fn trade_sides_follow_the_quote_then_the_tick() {
        let p = |s| Price::parse(s).unwrap();
        let s = sym("AMD");
        let mut inf = SideInference::default();
        assert_eq!(inf.side(&s, p("10")), Side::Buy);
        assert_eq!(inf.side(&s, p("9.99")), Side::Sell);
        assert_eq!(inf.side(&s, p("9.99")), Side::Sell);
        inf.on_quote(&s, Some(p("87.66")), Some(p("87.68")));
        assert_eq!(inf.side(&s, p("87.68")), Side::Buy);
        assert_eq!(inf.side(&s, p("87.66")), Side::Sell);
        assert_eq!(
            inf.side(&s, p("87.67")),
            Side::Buy,
            "at the mid: up-tick from 87.66"
        );
        assert_eq!(inf.side(&s, p("87.665")), Side::Sell, "below the mid");
        assert_eq!(
            inf.side(&s, p("87.67")),
            Side::Buy,
            "at the mid: up-tick again"
        );
    }

    #[test]
    fn a_full_channel_keeps_only_the_newest_book_per_symbol() {
        let (tx, mut rx) = mpsc::channel(1);
        let top = |q: i64| BookTop {
            update_id: q as u64,
            bids: vec![Level {
                price: Price::ONE,
                qty: Qty::from_int(q),
            }],
            asks: vec![],
            stale: false,
        };
        let mut out = BookOutbox::default();
        out.offer(&tx, sym("A"), top(1)).unwrap();
        out.offer(&tx, sym("A"), top(2)).unwrap();
        out.offer(&tx, sym("A"), top(3)).unwrap();
        assert!(out.has_pending());
        let first = rx.try_recv().unwrap();
        assert!(matches!(first, MarketEvent::Book { top, .. } if top.update_id == 1));
        let next = out.pop().unwrap();
        assert!(matches!(next, MarketEvent::Book { top, .. } if top.update_id == 3));
        assert!(!out.has_pending());
        drop(rx);
        assert_eq!(out.offer(&tx, sym("B"), top(4)), Err(Closed));
    }
}
