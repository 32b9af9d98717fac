//! The real binary is SIGKILLed between journaling an order and the venue's reply; the next
//! run (`speedtrade order status <id>`) reconciles it with the simulator.
//!
//! The simulator runs in this test process, so it outlives the killed child. Its lost-reply
//! fault holds every new-order reply for a minute; the child's push channel (the WebSocket API
//! user stream) points at a closed port, so nothing but the REST reply could tell the child the
//! outcome: the journal row stays `pending_submit` until the kill. The restart points the push
//! channel at the simulator again, as a normal session would.

#![allow(clippy::unwrap_used)]

mod support_sim;

use speedtrade::domain::Price;
use speedtrade::sim::SimHandle;
use support_sim::cli::{Cli, Row, fill_qty, journal, json_line, trail};
use support_sim::proxy::{OrderFate, Proxy};
use support_sim::*;

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

fn place_args(price: Price) -> Vec<String> {
    let args = [
        "--log-level",
        "debug",
        "order",
        "place",
        "--venue",
        "binance",
        "--symbol",
        SYMBOL,
        "--side",
        "buy",
        "--type",
        "limit",
        "--qty",
        "0.001",
        "--price",
    ];
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.push(price.to_string());
    v.push("--yes".into());
    v
}

/// Runs `order place` with the REST API at `rest_url`, waits until the order is journaled and
/// `reached(row)` holds, SIGKILLs the process and returns the journal row as it was.
async fn place_and_kill(
    sim: &SimHandle,
    cli: &Cli,
    rest_url: &str,
    price: Price,
    reached: impl Fn(&Row) -> bool,
) -> Row {
    let dead_ws_api = format!("ws://127.0.0.1:{}/ws-api/v3", closed_port().await);
    cli.endpoints(rest_url, &sim.ws_url(), &dead_ws_api);
    let args = place_args(price);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = cli.spawn(&args);
    let db = cli.db_file();
    wait_until(20, "the order journaled and sent", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("speedtrade exited ({status}) before the kill");
        }
        journal(&db).first().is_some_and(&reached)
    })
    .await;
    child.kill().unwrap(); // SIGKILL
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success(), "killed, not finished: {status}");
    let row = journal(&db).into_iter().next().unwrap();
    assert_eq!(row.status, "pending_submit", "no reply reached the journal");
    row
}

/// `speedtrade order status <id>` against the simulator (push channel live again).
async fn restart_status(sim: &SimHandle, cli: &Cli, id: &str) -> serde_json::Value {
    cli.endpoints(&sim.rest_url(), &sim.ws_url(), &sim.ws_api_url());
    let out = cli
        .run(&["--log-level", "debug", "order", "status", id])
        .await;
    assert!(
        out.status.success(),
        "status failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_line(&out)
}

fn hold_flags() -> [&'static str; 6] {
    [
        "--fault-lose-reply-rate",
        "1",
        "--fault-lose-reply-mode",
        "timeout",
        "--fault-hold-secs",
        "60",
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_waiting_for_the_reply_then_reconciled_on_restart() {
    let sim = start_sim(&hold_flags()).await;
    let cases = [
        ("resting", resting_price(&sim)),
        ("crossing", crossing_price(&sim)),
    ];
    for (what, price) in cases {
        let cli = Cli::new(sim.api_key(), sim.api_secret());
        let at_venue = |r: &Row| at_sim(&sim, &r.id).len() == 1;
        let row = place_and_kill(&sim, &cli, &sim.rest_url(), price, at_venue).await;

        let shown = restart_status(&sim, &cli, &row.id).await;
        let venue = at_sim(&sim, &row.id);
        assert_eq!(venue.len(), 1, "{what}: exactly one order at the simulator");
        let venue = &venue[0];
        let want = journal_status(venue.status);
        assert_eq!(shown["status"], want, "{what}: printed {shown}");
        if what == "crossing" {
            assert!(!venue.executed_qty.is_zero(), "the crossing order traded");
        }
        let now = journal(&cli.db_file()).into_iter().next().unwrap();
        assert_eq!(now.id, row.id);
        assert_eq!(now.status, want, "{what}: journal agrees with the venue");
        assert_eq!(
            now.filled_qty,
            venue.executed_qty.to_string(),
            "{what}: filled qty"
        );
        assert_eq!(now.venue_order_id, Some(venue.order_id.to_string()));
        assert_eq!(
            fill_qty(&cli.db_file(), &row.id),
            venue.executed_qty,
            "{what}: every trade is a journaled fill"
        );
        let trail = trail(&cli.db_file(), &row.id);
        assert!(
            trail.iter().any(|(kind, _)| kind == "reconciled"),
            "{what}: settled by reconciliation: {trail:?}"
        );
    }
    assert_eq!(sim.orders(Some(SYMBOL)).len(), 2, "nothing resent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_before_the_order_reached_the_venue_is_rejected_not_resent() {
    let sim = start_sim(&[]).await;
    let proxy = Proxy::start(sim.addr()).await;
    proxy.script([OrderFate::Hold]);
    let cli = Cli::new(sim.api_key(), sim.api_secret());
    let held = |_: &Row| proxy.orders_seen() == 1;
    let row = place_and_kill(&sim, &cli, &proxy.url(), resting_price(&sim), held).await;
    assert_eq!(proxy.orders_forwarded(), 0);

    let shown = restart_status(&sim, &cli, &row.id).await;
    assert_eq!(shown["status"], "rejected", "{shown}");
    assert_eq!(shown["reason"], "never reached the venue", "{shown}");
    assert!(
        at_sim(&sim, &row.id).is_empty(),
        "not sent after the restart"
    );
    assert_eq!(journal(&cli.db_file())[0].status, "rejected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciliation_started_during_another_waits_for_it() {
    // `order status` reconciles right after start-up, while the push channel's reconnect pass
    // may already hold the order: the second pass must wait, not skip it and report it stale.
    let sim = start_sim(&["--fault-latency-ms", "400"]).await;
    let proxy = Proxy::start(sim.addr()).await;
    let r = rig(&sim, &proxy.url(), std::time::Duration::from_secs(5)).await;
    let journaled = r
        .manager
        .journal_order(&buy(resting_price(&sim)))
        .await
        .unwrap();
    let id = journaled.request.client_order_id.clone();
    let first = r.manager.clone();
    let background = tokio::spawn(async move {
        first
            .reconcile_venue(speedtrade::domain::VenueId::Binance)
            .await
    });
    wait_until(10, "the first pass querying", || {
        proxy.requests_to("GET /api/v3/order") == 1
    })
    .await;
    r.manager
        .reconcile_venue(speedtrade::domain::VenueId::Binance)
        .await;
    let now = r.manager.order(&id).unwrap().unwrap();
    assert_eq!(
        now.status.as_str(),
        "rejected",
        "settled when the second pass returns"
    );
    assert_eq!(
        now.reject_reason.as_deref(),
        Some("never reached the venue")
    );
    within(10, "the first pass", background).await.unwrap();
    assert!(
        at_sim(&sim, id.as_str()).is_empty(),
        "reconciliation never sends"
    );
}
