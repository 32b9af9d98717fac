//! Application state, actions, the pure `update` function, commands and the key map.

pub mod action;
pub mod alerting;
pub mod blotter;
pub mod command;
pub mod damage;
pub mod entry;
pub mod input;
pub mod keymap;
pub mod lists;
pub mod market;
pub mod nav;
pub mod portfolio;
pub mod state;
pub mod ticket;
pub mod update;
pub mod view;

pub use action::{Action, UserAction};
pub use command::Command;
pub use damage::Damage;
pub use keymap::{Key, KeyMap, KeyPress};
pub use state::{AppState, BottomTab, Level, Overlay, Pane};
pub use update::update;
pub use view::{MarketView, PriceMove, WatchSort};
