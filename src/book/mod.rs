//! L2 order book and the venue-neutral snapshot + diff sync state machine.
//!
//! [`OrderBook`] holds exact levels ([`crate::domain::Price`] keys, absolute quantities, a depth
//! cap up to [`MAX_DEPTH`]); [`BookSync`] wraps it with Binance's documented procedure (buffer,
//! snapshot, discard, apply, gap → resync) and the `stale` flag the UI shows while it resyncs.

mod l2;
mod side;
mod sync;

pub use l2::{DepthDiff, DepthSnapshot, MAX_DEPTH, OrderBook};
pub use sync::{BookSync, DiffOutcome, SnapshotOutcome};
