//! Where the app loop reads market data: the Binance feed's receiver (events plus conflated
//! books) or a plain channel (Alpaca, tests), behind one cancel-safe batch call.

use crate::venue::MarketEvent;
use crate::venue::binance::feed::board::MarketReceiver;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

/// A source of market events for the app loop.
pub trait MarketSource: Send {
    /// Waits for at least one event and appends it and up to `max - 1` more that are ready to
    /// `out`; returns how many (0: the source has ended). Cancel-safe.
    fn recv_batch<'a>(
        &'a mut self,
        out: &'a mut Vec<MarketEvent>,
        max: usize,
    ) -> BoxFuture<'a, usize>;

    /// When the oldest message behind the events returned since the last call reached its
    /// socket, if the source knows (tick-to-screen counts from there).
    fn take_arrived(&mut self) -> Option<crate::net::Arrival> {
        None
    }
}

impl MarketSource for mpsc::Receiver<MarketEvent> {
    fn recv_batch<'a>(
        &'a mut self,
        out: &'a mut Vec<MarketEvent>,
        max: usize,
    ) -> BoxFuture<'a, usize> {
        Box::pin(self.recv_many(out, max))
    }
}

impl MarketSource for MarketReceiver {
    fn recv_batch<'a>(
        &'a mut self,
        out: &'a mut Vec<MarketEvent>,
        max: usize,
    ) -> BoxFuture<'a, usize> {
        Box::pin(async move {
            // After `recv` completes nothing below awaits, so dropping this future never loses
            // an event.
            match self.recv().await {
                Some(first) => {
                    out.push(first);
                    1 + self.drain(out, max.saturating_sub(1))
                }
                None => 0,
            }
        })
    }

    fn take_arrived(&mut self) -> Option<crate::net::Arrival> {
        MarketReceiver::take_arrived(self)
    }
}
