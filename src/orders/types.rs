//! The order manager's public option, event and error types.

use crate::domain::{ClientOrderId, Fill, FilterError, Order, OrderStatus, Symbol, VenueId};
use crate::store::StoreError;
use crate::venue::{Balance, BrokerError, ConnState};
use rust_decimal::Decimal;
use std::time::Duration;

/// Retry timing and limits. The defaults suit real venues; tests shrink the delays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after `NotSent` (the request never left) before giving up.
    pub not_sent_attempts: u32,
    /// First wait after `NotSent`; doubles each time.
    pub not_sent_backoff: Duration,
    /// Wait before the first query after an unknown outcome (lets the venue finish).
    pub unknown_first_query: Duration,
    /// Queries after an unknown outcome before leaving the order `unknown` for reconciliation.
    pub unknown_query_attempts: u32,
    /// Wait between queries.
    pub query_backoff: Duration,
    /// `NotFound` answers needed before an unknown order counts as never received.
    pub not_found_confirmations: u32,
    /// Resends (same client order id) after the venue confirmed it never got the order.
    pub max_resends: u32,
    /// The longest `Retry-After` the manager waits out; longer ones reject the order locally
    /// (a rate-limited request was not executed).
    pub max_rate_limit_wait: Duration,
    /// First re-check of an order left `unknown`; the wait doubles (up to 5 min, 10 times).
    pub unknown_recheck: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            not_sent_attempts: 3,
            not_sent_backoff: Duration::from_millis(250),
            unknown_first_query: Duration::from_millis(500),
            unknown_query_attempts: 6,
            query_backoff: Duration::from_secs(1),
            not_found_confirmations: 2,
            max_resends: 2,
            max_rate_limit_wait: Duration::from_secs(120),
            unknown_recheck: Duration::from_secs(15),
        }
    }
}

/// Manager settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagerOptions {
    /// The user's maximum order value in quote units (None: no limit).
    pub max_order_notional: Option<Decimal>,
    /// Retry timing.
    pub retry: RetryPolicy,
}

/// A change the blotter panes and the status line should show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// An order's new state (after every change, journaled or being journaled).
    Order(Order),
    /// A new fill (each venue fill exactly once).
    Fill(Fill),
    /// The manager waits before retrying (rate limit, not sent): "retrying in Ns".
    Retrying {
        /// The order.
        client_order_id: ClientOrderId,
        /// How long until the retry.
        retry_in: Duration,
        /// Why.
        reason: String,
    },
    /// Something the user should read (an order left unknown, a journal failure).
    Notice {
        /// The order concerned, if any.
        client_order_id: Option<ClientOrderId>,
        /// The message.
        message: String,
    },
    /// A broker's push channel changed state.
    Connection {
        /// Venue.
        venue: VenueId,
        /// New state.
        state: ConnState,
    },
    /// A broker reported balances.
    Balances {
        /// Venue.
        venue: VenueId,
        /// Balances.
        balances: Vec<Balance>,
    },
}

/// Why the manager refused or could not finish a request.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// Breaks the instrument's filters.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// Missing or contradictory fields, or over the user's limit.
    #[error("{0}")]
    Invalid(String),
    /// No broker configured for that venue.
    #[error("no broker is configured for {0}")]
    NoBroker(VenueId),
    /// The order belongs to another account or endpoint than the venue's current broker.
    #[error(
        "order {id} was placed through `{placed}`, but the broker for its venue is now \
         `{current}`: switch back to `{placed}` to follow or cancel it"
    )]
    WrongProfile {
        /// The order.
        id: ClientOrderId,
        /// The profile it was placed with.
        placed: String,
        /// The current broker's profile.
        current: String,
    },
    /// No trading rules loaded for the instrument.
    #[error("no trading rules for {symbol} on {venue} yet: load the instrument list first")]
    UnknownInstrument {
        /// Venue.
        venue: VenueId,
        /// Symbol.
        symbol: Symbol,
    },
    /// No such order in the journal.
    #[error("no order {0} in the journal")]
    NotFound(ClientOrderId),
    /// The order is finished.
    #[error("order {id} is {status} and cannot be canceled")]
    NotCancelable {
        /// The order.
        id: ClientOrderId,
        /// Its status.
        status: OrderStatus,
    },
    /// The order is being sent or its outcome is not known yet.
    #[error("{0}")]
    Busy(String),
    /// The journal write failed, so nothing was sent.
    #[error("could not journal the order, so it was not sent: {0}")]
    Journal(StoreError),
    /// Reading the journal failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The venue refused or could not be reached (cancel).
    #[error("{0}")]
    Broker(#[from] BrokerError),
}
