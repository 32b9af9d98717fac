//! What the exchange publishes: market events per symbol (fanned out to stream connections,
//! which render only what they subscribed to) and rendered user-data events.

use super::candles::Kline;
use crate::domain::{Price, Qty};
use rust_decimal::Decimal;
use std::sync::Arc;

/// A `depthUpdate`: absolute quantities of changed levels, update ids `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthDiff {
    /// Event time (ms, simulated clock).
    pub time: i64,
    /// `U`: first update id in the event.
    pub first: u64,
    /// `u`: last update id in the event.
    pub last: u64,
    /// Changed bid levels (quantity 0 removes).
    pub bids: Vec<(Price, Qty)>,
    /// Changed ask levels.
    pub asks: Vec<(Price, Qty)>,
}

/// One public trade (`trade` stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeEv {
    /// Event and trade time.
    pub time: i64,
    /// Trade id.
    pub id: u64,
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// `m`: the buyer was the maker (the taker sold).
    pub buyer_maker: bool,
}

/// One aggregate trade: a taker's fills at one price (`aggTrade` stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggTradeEv {
    /// Event and trade time.
    pub time: i64,
    /// Aggregate trade id.
    pub id: u64,
    /// Price.
    pub price: Price,
    /// Total quantity.
    pub qty: Qty,
    /// First trade id.
    pub first: u64,
    /// Last trade id.
    pub last: u64,
    /// The buyer was the maker.
    pub buyer_maker: bool,
}

/// Best bid and ask after a change (`bookTicker` stream; no event time on Binance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookTickerEv {
    /// Update id of the book state.
    pub update_id: u64,
    /// Best bid (zero if none).
    pub bid: (Price, Qty),
    /// Best ask (zero if none).
    pub ask: (Price, Qty),
}

/// Rolling 24 h statistics (`ticker`, `miniTicker`, REST `ticker/24hr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickerSnap {
    /// Event time.
    pub time: i64,
    /// Window start.
    pub open_time: i64,
    /// Open price.
    pub open: Price,
    /// High.
    pub high: Price,
    /// Low.
    pub low: Price,
    /// Last price.
    pub last: Price,
    /// Last trade quantity.
    pub last_qty: Qty,
    /// Base volume.
    pub volume: Qty,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// First trade id in the window (0 if none).
    pub first_id: i64,
    /// Last trade id (−1 if none).
    pub last_id: i64,
    /// Number of trades.
    pub count: u64,
    /// Best bid.
    pub bid: (Price, Qty),
    /// Best ask.
    pub ask: (Price, Qty),
}

/// State published on a 100 ms simulated-time boundary for the periodic streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periodic {
    /// Boundary time (ms).
    pub time: i64,
    /// Milliseconds since the epoch modulo 1000 == 0: a 1000 ms boundary.
    pub whole_second: bool,
    /// Last update id of the book.
    pub last_update_id: u64,
    /// Top 20 bids.
    pub bids: Vec<(Price, Qty)>,
    /// Top 20 asks.
    pub asks: Vec<(Price, Qty)>,
    /// Ticker, on 1000 ms boundaries.
    pub ticker: Option<TickerSnap>,
    /// Current klines: the 1s one on 1000 ms boundaries, all others on 2000 ms boundaries.
    pub klines: Vec<Kline>,
}

/// Any market event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketEvent {
    /// Depth diff.
    Depth(DepthDiff),
    /// Trade.
    Trade(TradeEv),
    /// Aggregate trade.
    AggTrade(AggTradeEv),
    /// Best bid/ask change.
    BookTicker(BookTickerEv),
    /// Periodic state.
    Periodic(Arc<Periodic>),
}

/// A market event of the symbol with index `sym`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymEvent {
    /// Index into the simulator's symbol list.
    pub sym: usize,
    /// The event.
    pub ev: MarketEvent,
}

/// Events published together (one driver tick or one order).
pub type Batch = Arc<Vec<SymEvent>>;
