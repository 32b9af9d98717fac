//! Binance signed-REST wire types (order replies, account, myTrades, errors) and their mapping
//! to domain `OrderUpdate`, `Fill` and `Balance`.

use crate::domain::{ClientOrderId, Fill, OrderStatus, Price, Qty, Side, Symbol, TimeMs, VenueId};
use crate::venue::{AccountSnapshot, Balance, OrderUpdate};
use rust_decimal::Decimal;
use serde::Deserialize;

/// An order status as Binance spells it.
///
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/enums#order-status-status>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BinanceOrderStatus {
    /// Accepted by the engine.
    New,
    /// Pending leg of an order list.
    PendingNew,
    /// Part filled, rest working.
    PartiallyFilled,
    /// Fully filled.
    Filled,
    /// Cancelled by the user.
    Canceled,
    /// Currently unused by Binance.
    PendingCancel,
    /// Not accepted by the engine.
    Rejected,
    /// Cancelled by the engine (IOC/FOK remainder, market order liquidity, maintenance).
    Expired,
    /// Expired by self-trade prevention.
    ExpiredInMatch,
}

/// Maps a Binance status to the venue-neutral one.
pub fn map_status(s: BinanceOrderStatus) -> OrderStatus {
    match s {
        BinanceOrderStatus::New | BinanceOrderStatus::PendingNew => OrderStatus::New,
        BinanceOrderStatus::PartiallyFilled => OrderStatus::PartiallyFilled,
        BinanceOrderStatus::Filled => OrderStatus::Filled,
        BinanceOrderStatus::Canceled => OrderStatus::Canceled,
        BinanceOrderStatus::PendingCancel => OrderStatus::PendingCancel,
        BinanceOrderStatus::Rejected => OrderStatus::Rejected,
        BinanceOrderStatus::Expired | BinanceOrderStatus::ExpiredInMatch => OrderStatus::Expired,
    }
}

/// Order side as Binance spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BinanceSide {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl From<BinanceSide> for Side {
    fn from(s: BinanceSide) -> Side {
        match s {
            BinanceSide::Buy => Side::Buy,
            BinanceSide::Sell => Side::Sell,
        }
    }
}

/// One fill in a `newOrderRespType=FULL` reply.
///
/// Example: `{"price":"4000.00000000","qty":"1.00000000","commission":"4.00000000",
/// "commissionAsset":"USDT","tradeId":56}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BinanceFill {
    /// Execution price.
    pub price: Price,
    /// Executed quantity.
    pub qty: Qty,
    /// Commission charged.
    pub commission: Decimal,
    /// Commission asset.
    pub commission_asset: String,
    /// Trade id.
    pub trade_id: i64,
}

/// An order as REST returns it: the new-order reply (ACK / RESULT / FULL), the cancel reply, the
/// query reply and each `openOrders` element. Fields absent in the lighter shapes are optional.
///
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints>
/// Example (RESULT): `{"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":
/// "6gCrw2kRUAF9CvJDGP16IP","transactTime":1507725176595,"price":"0.00000000","origQty":
/// "10.00000000","executedQty":"10.00000000","cummulativeQuoteQty":"10.00000000","status":
/// "FILLED","timeInForce":"GTC","type":"MARKET","side":"SELL",…}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BinanceOrder {
    /// Symbol.
    pub symbol: String,
    /// Venue order id.
    pub order_id: i64,
    /// The order's client id; on a cancel reply this is the *cancel's* id.
    pub client_order_id: String,
    /// On a cancel reply, the cancelled order's client id.
    #[serde(default)]
    pub orig_client_order_id: Option<String>,
    /// New-order / cancel time.
    #[serde(default)]
    pub transact_time: Option<TimeMs>,
    /// Query / openOrders: last update.
    #[serde(default)]
    pub update_time: Option<TimeMs>,
    /// Cumulative executed quantity (absent in ACK).
    #[serde(default)]
    pub executed_qty: Option<Qty>,
    /// Cumulative quote quantity (absent in ACK).
    #[serde(default)]
    pub cummulative_quote_qty: Option<Decimal>,
    /// Status (absent in ACK).
    #[serde(default)]
    pub status: Option<BinanceOrderStatus>,
    /// Side (absent in ACK).
    #[serde(default)]
    pub side: Option<BinanceSide>,
    /// Fills (FULL only).
    #[serde(default)]
    pub fills: Vec<BinanceFill>,
}

/// A wire reply that does not fit the domain (bad id, bad symbol).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected Binance reply: {0}")]
pub struct WireError(pub String);

impl BinanceOrder {
    /// The client id of the order this reply is about (the original id on a cancel reply).
    pub fn order_client_id(&self) -> Result<ClientOrderId, WireError> {
        let raw = match &self.orig_client_order_id {
            Some(orig) if !orig.is_empty() => orig,
            _ => &self.client_order_id,
        };
        ClientOrderId::new(raw).map_err(|e| WireError(e.to_string()))
    }

    /// Turns the reply into an update plus the fills it carries. An ACK (no status) reads as
    /// `New` with nothing filled; `fallback_side` fills in a missing side.
    pub fn to_update(
        &self,
        fallback_side: Option<Side>,
    ) -> Result<(OrderUpdate, Vec<Fill>), WireError> {
        let client_order_id = self.order_client_id()?;
        let symbol = Symbol::new(&self.symbol).map_err(|e| WireError(e.to_string()))?;
        let time = self.transact_time.or(self.update_time).unwrap_or(0);
        let side = self.side.map(Side::from).or(fallback_side);
        let fills = match side {
            Some(side) => self
                .fills
                .iter()
                .map(|f| to_fill(f, &client_order_id, &symbol, side, time))
                .collect(),
            None if self.fills.is_empty() => Vec::new(),
            None => return Err(WireError("fills without a side".into())),
        };
        let update = OrderUpdate {
            client_order_id,
            venue_order_id: Some(self.order_id.to_string()),
            symbol,
            status: self.status.map_or(OrderStatus::New, map_status),
            filled_qty: self.executed_qty.unwrap_or(Qty::ZERO),
            filled_quote: self.cummulative_quote_qty.unwrap_or(Decimal::ZERO),
            fill: None,
            reason: None,
            time,
        };
        Ok((update, fills))
    }
}

fn to_fill(f: &BinanceFill, id: &ClientOrderId, symbol: &Symbol, side: Side, time: TimeMs) -> Fill {
    Fill {
        client_order_id: id.clone(),
        venue: VenueId::Binance,
        symbol: symbol.clone(),
        side,
        price: f.price,
        qty: f.qty,
        fee: f.commission,
        fee_asset: f.commission_asset.clone(),
        trade_id: f.trade_id.to_string(),
        // Fills in the new-order reply happened as the order arrived: it took liquidity.
        is_maker: false,
        time,
    }
}

/// One balance in the account reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceBalance {
    /// Asset.
    pub asset: String,
    /// Available.
    pub free: Decimal,
    /// Locked in orders.
    pub locked: Decimal,
}

/// `GET /api/v3/account` (only the fields this client uses).
///
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/account-endpoints>
/// Example: `{"makerCommission":15,…,"balances":[{"asset":"BTC","free":"4723846.89208129",
/// "locked":"0.00000000"}],"permissions":["SPOT"],"uid":354937868}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BinanceAccount {
    /// Whether the key may trade.
    #[serde(default)]
    pub can_trade: Option<bool>,
    /// Balances, including zero ones.
    pub balances: Vec<BinanceBalance>,
}

impl BinanceAccount {
    /// Non-zero balances as a domain snapshot.
    pub fn to_snapshot(&self) -> AccountSnapshot {
        let balances = self
            .balances
            .iter()
            .filter(|b| !b.free.is_zero() || !b.locked.is_zero())
            .map(|b| Balance {
                asset: b.asset.clone(),
                free: b.free,
                locked: b.locked,
            })
            .collect();
        AccountSnapshot {
            balances,
            ..AccountSnapshot::default()
        }
    }
}

/// One element of `GET /api/v3/myTrades`.
///
/// See docs: <https://developers.binance.com/docs/binance-spot-api-docs/rest-api/account-endpoints#account-trade-list-user_data>
/// Example: `{"symbol":"BNBBTC","id":28457,"orderId":100234,"orderListId":-1,"price":"4.00000100",
/// "qty":"12.00000000","quoteQty":"48.000012","commission":"10.10000000","commissionAsset":"BNB",
/// "time":1499865549590,"isBuyer":true,"isMaker":false,"isBestMatch":true}`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BinanceMyTrade {
    /// Symbol.
    pub symbol: String,
    /// Trade id.
    pub id: i64,
    /// Venue order id.
    pub order_id: i64,
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Commission.
    pub commission: Decimal,
    /// Commission asset.
    pub commission_asset: String,
    /// Trade time.
    pub time: TimeMs,
    /// We bought.
    pub is_buyer: bool,
    /// We were the maker.
    pub is_maker: bool,
}

impl BinanceMyTrade {
    /// The trade as a domain fill of the order `id`.
    pub fn to_fill(&self, id: &ClientOrderId) -> Result<Fill, WireError> {
        Ok(Fill {
            client_order_id: id.clone(),
            venue: VenueId::Binance,
            symbol: Symbol::new(&self.symbol).map_err(|e| WireError(e.to_string()))?,
            side: if self.is_buyer { Side::Buy } else { Side::Sell },
            price: self.price,
            qty: self.qty,
            fee: self.commission,
            fee_asset: self.commission_asset.clone(),
            trade_id: self.id.to_string(),
            is_maker: self.is_maker,
            time: self.time,
        })
    }
}

/// `GET /api/v3/time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BinanceServerTime {
    /// Server time, ms.
    pub server_time: TimeMs,
}

/// An error body: `{"code":-1121,"msg":"Invalid symbol."}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceErrorBody {
    /// Negative error code.
    pub code: i64,
    /// Message.
    #[serde(default)]
    pub msg: String,
}
