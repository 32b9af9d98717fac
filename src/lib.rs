//! speedtrade: a keyboard-driven terminal trading client (library; the binary is a thin shell).
#![deny(clippy::unwrap_used)]

pub mod alerts;
pub mod app;
pub mod book;
pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod domain;
pub mod logging;
pub mod net;
pub mod orders;
pub mod portfolio;
pub mod record;
pub mod replay;
pub mod runtime;
pub mod screener;
pub mod search;
pub mod secrets;
pub mod series;
pub mod sim;
pub mod store;
pub mod tui;
pub mod ui;
pub mod venue;
