//! Colours and border characters for the dark, light and mono themes.

use crate::config::ThemeName;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

/// Every style the panes use, chosen once from the theme name.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Normal text.
    pub text: Style,
    /// Secondary text (labels, empty states).
    pub muted: Style,
    /// Titles and highlights.
    pub accent: Style,
    /// Rising prices, bids, buys.
    pub up: Style,
    /// Falling prices, asks, sells.
    pub down: Style,
    /// Pane borders.
    pub border: Style,
    /// The focused pane's border.
    pub focus: Style,
    /// The highlighted row.
    pub selected: Style,
    /// The status bar background.
    pub bar: Style,
    /// The PAPER badge.
    pub paper: Style,
    /// The LIVE badge (red).
    pub live: Style,
    /// Warnings.
    pub warn: Style,
    /// Errors.
    pub error: Style,
    /// Background of a price that just rose.
    pub flash_up: Style,
    /// Background of a price that just fell.
    pub flash_down: Style,
    /// Cumulative depth bars on the bid side.
    pub bid_bar: Style,
    /// Cumulative depth bars on the ask side.
    pub ask_bar: Style,
    /// Indicator lines, in overlay order.
    pub overlays: [Style; 4],
    /// Border characters.
    pub borders: border::Set<'static>,
}

impl Theme {
    /// Builds the theme. (Without Unicode, `ascii::downgrade` rewrites the drawn frame.)
    pub fn new(name: ThemeName) -> Self {
        let borders = border::ROUNDED;
        let bold = Style::new().add_modifier(Modifier::BOLD);
        match name {
            ThemeName::Mono => Self {
                text: Style::new(),
                muted: Style::new().add_modifier(Modifier::DIM),
                accent: bold,
                up: Style::new(),
                down: Style::new(),
                border: Style::new(),
                focus: bold,
                selected: Style::new().add_modifier(Modifier::REVERSED),
                bar: Style::new().add_modifier(Modifier::REVERSED),
                paper: bold,
                live: bold.add_modifier(Modifier::REVERSED),
                warn: bold,
                error: bold,
                flash_up: Style::new().add_modifier(Modifier::REVERSED),
                flash_down: Style::new().add_modifier(Modifier::REVERSED),
                bid_bar: Style::new().add_modifier(Modifier::DIM),
                ask_bar: Style::new().add_modifier(Modifier::DIM),
                overlays: [
                    Style::new(),
                    Style::new().add_modifier(Modifier::BOLD),
                    Style::new().add_modifier(Modifier::DIM),
                    Style::new().add_modifier(Modifier::ITALIC),
                ],
                borders,
            },
            ThemeName::Dark | ThemeName::Light => {
                let (text, muted, bar_bg) = if name == ThemeName::Dark {
                    (Color::Gray, Color::DarkGray, Color::Indexed(236))
                } else {
                    (Color::Black, Color::Gray, Color::Indexed(254))
                };
                Self {
                    text: Style::new().fg(text),
                    muted: Style::new().fg(muted),
                    accent: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                    up: Style::new().fg(Color::Green),
                    down: Style::new().fg(Color::Red),
                    border: Style::new().fg(muted),
                    focus: Style::new().fg(Color::Cyan),
                    selected: Style::new().bg(Color::Indexed(24)).fg(Color::White),
                    bar: Style::new().bg(bar_bg).fg(text),
                    paper: Style::new()
                        .bg(Color::Blue)
                        .fg(Color::White)
                        .add_modifier(Modifier::BOLD),
                    live: Style::new()
                        .bg(Color::Red)
                        .fg(Color::White)
                        .add_modifier(Modifier::BOLD),
                    warn: Style::new().fg(Color::Yellow),
                    error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                    flash_up: Style::new().bg(Color::Indexed(22)),
                    flash_down: Style::new().bg(Color::Indexed(52)),
                    bid_bar: Style::new().fg(Color::Indexed(22)),
                    ask_bar: Style::new().fg(Color::Indexed(52)),
                    overlays: [
                        Style::new().fg(Color::Yellow),
                        Style::new().fg(Color::Magenta),
                        Style::new().fg(Color::Cyan),
                        Style::new().fg(Color::Blue),
                    ],
                    borders,
                }
            }
        }
    }
}
