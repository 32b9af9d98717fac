//! `speedtrade order place|cancel|status` and `speedtrade orders`: the same order manager and
//! journal as the UI, with JSON output (one object per line).

use crate::cli::{OrderCmd, OrdersArgs};
use crate::config::{Config, Paths};
use crate::domain::{ClientOrderId, Order, OrderAmount};
use crate::runtime::Session;
use crate::store::{OrderFilter, Store};
use anyhow::Context;
use serde_json::json;
use std::process::ExitCode;

/// An order as one flat JSON object.
pub fn order_json(o: &Order) -> serde_json::Value {
    let r = &o.request;
    let (qty, quote_amount) = match r.amount {
        OrderAmount::Base(q) => (Some(q.to_string()), None),
        OrderAmount::Quote(q) => (None, Some(q.to_string())),
    };
    json!({
        "client_order_id": r.client_order_id,
        "venue": r.venue,
        "symbol": r.symbol,
        "side": r.side,
        "type": r.order_type,
        "qty": qty,
        "quote_amount": quote_amount,
        "price": r.price,
        "stop_price": r.stop_price,
        "tif": r.tif,
        "status": o.status,
        "filled_qty": o.filled_qty,
        "avg_price": o.avg_price().map(|a| a.round_dp(8).normalize().to_string()),
        "venue_order_id": o.venue_order_id,
        "reason": o.reject_reason,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    })
}

/// `speedtrade orders [--open]`: the journal, newest first.
pub fn list(args: &OrdersArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = Store::open(paths.db_file()).context("opening the history file")?;
    let filter = OrderFilter {
        open_only: args.open,
        ..Default::default()
    };
    for o in store.orders(&filter)? {
        println!("{}", order_json(&o));
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_id(text: &str) -> anyhow::Result<ClientOrderId> {
    ClientOrderId::new(text).map_err(anyhow::Error::msg)
}

/// Opens a session with the broker of `venue` as configured.
async fn session_for(
    config: &Config,
    paths: &Paths,
    venue: crate::domain::VenueId,
) -> anyhow::Result<Session> {
    Session::open(config, paths, venue, None).await
}

/// `order status` and `order cancel`.
pub async fn run(cmd: OrderCmd, config: &Config, paths: &Paths) -> anyhow::Result<ExitCode> {
    match cmd {
        OrderCmd::Place(args) => super::place::run(args, config, paths).await,
        OrderCmd::Status { id } => {
            let id = parse_id(&id)?;
            let store = Store::open(paths.db_file()).context("opening the history file")?;
            let order = store
                .order(&id)?
                .with_context(|| format!("no order {id} in the journal"))?;
            drop(store);
            let order = if order.status.is_open() {
                let session = session_for(config, paths, order.request.venue).await?;
                session.manager.reconcile_venue(order.request.venue).await;
                session.manager.order(&id)?.unwrap_or(order)
            } else {
                order
            };
            println!("{}", order_json(&order));
            Ok(ExitCode::SUCCESS)
        }
        OrderCmd::Cancel { id } => {
            let id = parse_id(&id)?;
            let store = Store::open(paths.db_file()).context("opening the history file")?;
            let venue = store
                .order(&id)?
                .with_context(|| format!("no order {id} in the journal"))?
                .request
                .venue;
            drop(store);
            let session = session_for(config, paths, venue).await?;
            let order = session.manager.cancel(&id).await?;
            println!("{}", order_json(&order));
            Ok(ExitCode::SUCCESS)
        }
    }
}
