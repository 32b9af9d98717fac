//! L2 order book and the venue-neutral snapshot + diff sync state machine.
