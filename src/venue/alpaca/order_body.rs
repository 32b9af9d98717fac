//! Builds the `POST /v2/orders` body from an [`OrderRequest`], refusing before sending what
//! Alpaca cannot take (post-only, notional outside market + day, missing prices).

use crate::domain::{OrderAmount, OrderRequest, OrderType, Side, TimeInForce};
use crate::venue::BrokerError;
use serde::Serialize;

/// The order request body.
///
/// See docs: <https://docs.alpaca.markets/reference/postorder>
///
/// ```json
/// {"symbol":"AAPL","side":"buy","type":"limit","time_in_force":"day","qty":"10",
///  "limit_price":"190.5","client_order_id":"st-lx2k3-abc123def456"}
/// ```
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct AlpacaOrderBody<'a> {
    pub symbol: &'a str,
    pub side: &'static str,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub time_in_force: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notional: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<String>,
    pub client_order_id: &'a str,
}

fn refuse(message: &str) -> BrokerError {
    BrokerError::Rejected {
        code: None,
        message: message.to_string(),
    }
}

/// Alpaca's name for a time in force.
fn tif(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
        TimeInForce::Day => "day",
    }
}

/// Alpaca's name for an order type, or a refusal for types it does not have.
fn order_type(t: OrderType) -> Result<&'static str, BrokerError> {
    match t {
        OrderType::Market => Ok("market"),
        OrderType::Limit => Ok("limit"),
        OrderType::StopLimit => Ok("stop_limit"),
        OrderType::PostOnly => Err(refuse(
            "Alpaca has no post-only orders: use a limit order instead (not sent)",
        )),
    }
}

/// The body for `req`, or `Rejected` (nothing sent) if Alpaca cannot take it.
pub(crate) fn order_body(req: &OrderRequest) -> Result<AlpacaOrderBody<'_>, BrokerError> {
    let type_name = order_type(req.order_type)?;
    let (qty, notional) = match req.amount {
        OrderAmount::Base(q) => (Some(q.to_string()), None),
        OrderAmount::Quote(n) => {
            if req.order_type != OrderType::Market || req.tif != TimeInForce::Day {
                return Err(refuse(
                    "Alpaca takes a dollar amount only for market orders with time in force \
                     DAY: enter a share quantity instead (not sent)",
                ));
            }
            (None, Some(n.to_string()))
        }
    };
    let limit_price = match (req.order_type.needs_price(), req.price) {
        (true, Some(p)) => Some(p.to_string()),
        (true, None) => return Err(refuse("this order type needs a limit price (not sent)")),
        (false, _) => None,
    };
    let stop_price = match (req.order_type.needs_stop(), req.stop_price) {
        (true, Some(p)) => Some(p.to_string()),
        (true, None) => return Err(refuse("a stop-limit order needs a stop price (not sent)")),
        (false, _) => None,
    };
    Ok(AlpacaOrderBody {
        symbol: req.symbol.as_str(),
        side: match req.side {
            Side::Buy => "buy",
            Side::Sell => "sell",
        },
        order_type: type_name,
        time_in_force: tif(req.tif),
        qty,
        notional,
        limit_price,
        stop_price,
        client_order_id: req.client_order_id.as_str(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientOrderId, Price, Qty, Symbol, VenueId};

    fn req(order_type: OrderType, amount: OrderAmount, tif: TimeInForce) -> OrderRequest {
        OrderRequest {
            client_order_id: ClientOrderId::new("st-test-1").unwrap(),
            venue: VenueId::Alpaca,
            symbol: Symbol::new("AAPL").unwrap(),
            side: Side::Buy,
            order_type,
            amount,
            price: Some(Price::parse("190.50").unwrap()),
            stop_price: Some(Price::parse("191").unwrap()),
            tif,
        }
    }

    #[test]
    fn bodies_carry_exactly_what_was_asked() {
        let base = OrderAmount::Base(Qty::parse("10").unwrap());
        let cases = [
            (
                req(OrderType::Limit, base, TimeInForce::Gtc),
                r#"{"symbol":"AAPL","side":"buy","type":"limit","time_in_force":"gtc","qty":"10","limit_price":"190.5","client_order_id":"st-test-1"}"#,
            ),
            (
                req(OrderType::Market, base, TimeInForce::Ioc),
                r#"{"symbol":"AAPL","side":"buy","type":"market","time_in_force":"ioc","qty":"10","client_order_id":"st-test-1"}"#,
            ),
            (
                req(OrderType::StopLimit, base, TimeInForce::Fok),
                r#"{"symbol":"AAPL","side":"buy","type":"stop_limit","time_in_force":"fok","qty":"10","limit_price":"190.5","stop_price":"191","client_order_id":"st-test-1"}"#,
            ),
            (
                req(
                    OrderType::Market,
                    OrderAmount::Quote(Qty::parse("500").unwrap()),
                    TimeInForce::Day,
                ),
                r#"{"symbol":"AAPL","side":"buy","type":"market","time_in_force":"day","notional":"500","client_order_id":"st-test-1"}"#,
            ),
        ];
        for (r, want) in cases {
            let body = serde_json::to_string(&order_body(&r).unwrap()).unwrap();
            assert_eq!(body, want);
        }
    }

    #[test]
    fn what_alpaca_cannot_take_is_refused_before_sending() {
        let base = OrderAmount::Base(Qty::ONE);
        let notional = OrderAmount::Quote(Qty::parse("500").unwrap());
        let post_only = order_body(&req(OrderType::PostOnly, base, TimeInForce::Gtc)).unwrap_err();
        assert!(
            post_only.to_string().contains("no post-only"),
            "{post_only}"
        );
        let limit_notional = order_body(&req(OrderType::Limit, notional, TimeInForce::Day))
            .unwrap_err()
            .to_string();
        assert!(limit_notional.contains("dollar amount"), "{limit_notional}");
        assert!(order_body(&req(OrderType::Market, notional, TimeInForce::Gtc)).is_err());
        let mut no_price = req(OrderType::Limit, base, TimeInForce::Day);
        no_price.price = None;
        assert!(order_body(&no_price).is_err());
    }
}
