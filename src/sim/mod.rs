//! The built-in exchange simulator: a real loopback server speaking the Binance Spot wire
//! protocol (REST, market streams, WebSocket API) over a deterministic market generator and a
//! matching engine, with fault injection for tests.
//!
//! Start it with [`start`] (tests, `speedtrade demo`) or [`run`] (`speedtrade sim`). The demo
//! account's credentials are [`DEMO_API_KEY`] / [`DEMO_API_SECRET`]; only the simulator
//! accepts them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), speedtrade::sim::SimError> {
//! use speedtrade::sim::{SimArgs, start};
//! let sim = start(SimArgs { seed: 7, ..SimArgs::default() }).await?;
//! println!("{}", sim.info_json()); // {"rest":"http://127.0.0.1:P","ws":..}
//! let book = sim.book("BTCUSDT"); // what a client's local book must equal
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Layout: `market` (generator) → `book` / `matching` / `account` behind one lock in `engine`;
//! `rest`, `rest_trade`, `streams`, `ws_api` serve it; `wire` / `rest_wire` / `user_events`
//! render Binance's JSON; `auth`, `limits` and `faults` enforce the rules and inject failures.

pub mod account;
pub mod args;
pub mod auth;
pub mod book;
pub mod candles;
pub mod engine;
pub mod errors;
pub mod events;
pub mod faults;
pub mod history;
pub mod limits;
pub mod market;
pub mod matching;
pub mod orders;
pub mod params;
pub mod rest;
pub mod rest_trade;
pub mod rest_wire;
pub mod server;
pub mod stream_control;
pub mod stream_names;
pub mod stream_routes;
pub mod streams;
pub mod symbols;
pub mod user_events;
pub mod wire;
pub mod ws_api;

pub use args::{LoseMode, SimArgs};
pub use auth::{DEMO_API_KEY, DEMO_API_SECRET};
pub use server::{SimBook, SimError, SimHandle, SimOrderView, run, start};
