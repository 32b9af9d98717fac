//! `speedtrade order place`: validate, journal, send, print the order as JSON — through the
//! same order manager and journal as the UI.

use super::order::order_json;
use crate::cli::PlaceArgs;
use crate::config::{Config, Mode, Paths};
use crate::domain::{
    OrderAmount, OrderStatus, OrderType, Price, Qty, Side, Symbol, TimeInForce, VenueId,
};
use crate::orders::OrderDraft;
use crate::runtime::Session;
use crate::runtime::market::{book_snapshot, load_instruments};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map_err(|e| anyhow::anyhow!("--{what}: {e}"))
}

/// The draft the flags describe.
fn draft(args: &PlaceArgs, config: &Config, venue: VenueId) -> anyhow::Result<OrderDraft> {
    let symbol = Symbol::new(&args.symbol).map_err(|e| anyhow::anyhow!("--symbol: {e}"))?;
    let order_type: OrderType = parse("type", &args.order_type)?;
    let price = args
        .price
        .as_deref()
        .map(|p| parse::<Price>("price", p))
        .transpose()?;
    let stop_price = args
        .stop
        .as_deref()
        .map(|p| parse::<Price>("stop", p))
        .transpose()?;
    let tif = match &args.tif {
        Some(t) => parse("tif", t)?,
        None if order_type == OrderType::Market => TimeInForce::Ioc,
        None if order_type == OrderType::PostOnly => TimeInForce::Gtc,
        None => config.trading.default_tif,
    };
    Ok(OrderDraft {
        venue,
        symbol,
        side: parse::<Side>("side", &args.side)?,
        order_type,
        amount: OrderAmount::Base(parse::<Qty>("qty", &args.qty)?),
        price,
        stop_price,
        tif,
        reference_price: None,
    })
}

/// Asks y/N on the terminal; without one, a live order needs `--yes`.
fn confirm(d: &OrderDraft) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("a live order needs --yes when there is no terminal to confirm on");
    }
    let price = d.price.map(|p| format!(" @ {p}")).unwrap_or_default();
    let qty = match d.amount {
        OrderAmount::Base(q) | OrderAmount::Quote(q) => q,
    };
    eprint!(
        "Send LIVE {} {qty} {} {}{price} on {}? [y/N] ",
        d.side, d.symbol, d.order_type, d.venue
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim().eq_ignore_ascii_case("y"))
}

/// Runs `order place`. Exit code 1 when the venue rejected the order.
pub async fn run(args: PlaceArgs, config: &Config, paths: &Paths) -> anyhow::Result<ExitCode> {
    let venue: VenueId = args.venue.parse().map_err(anyhow::Error::msg)?;
    if venue != VenueId::Paper && config.general.mode != Mode::Live {
        anyhow::bail!(
            "orders to {venue} are live: set `mode = \"live\"` in [general] of the config first"
        );
    }
    let mut draft = draft(&args, config, venue)?;
    let session = Session::open(config, paths, venue, None).await?;
    load_instruments(
        config,
        &session.manager,
        venue,
        std::slice::from_ref(&draft.symbol),
    )
    .await?;
    if venue == VenueId::Paper {
        let top = book_snapshot(config, &draft.symbol, 100).await?;
        session.paper.on_book(&draft.symbol, &top);
        draft.reference_price = top.best_ask().or(top.best_bid()).map(|l| l.price);
    }
    if venue != VenueId::Paper && !args.yes && !confirm(&draft)? {
        eprintln!("not sent");
        return Ok(ExitCode::FAILURE);
    }
    let order = session.manager.place(&draft).await?;
    println!("{}", order_json(&order));
    Ok(if order.status == OrderStatus::Rejected {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
