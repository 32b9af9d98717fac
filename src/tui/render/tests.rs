//! The bytes a [`Screen`] sends, replayed into a terminal emulator, must leave it showing
//! exactly the composed buffer: random text, styles, wide characters and partial redraws.

use super::Screen;
use crate::ui::Drawn;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

const W: u16 = 40;
const H: u16 = 12;

fn vt_color(c: Color) -> vt100::Color {
    let idx = |i: u8| vt100::Color::Idx(i);
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Black => idx(0),
        Color::Red => idx(1),
        Color::Green => idx(2),
        Color::Yellow => idx(3),
        Color::Blue => idx(4),
        Color::Magenta => idx(5),
        Color::Cyan => idx(6),
        Color::Gray => idx(7),
        Color::DarkGray => idx(8),
        Color::LightRed => idx(9),
        Color::LightGreen => idx(10),
        Color::LightYellow => idx(11),
        Color::LightBlue => idx(12),
        Color::LightMagenta => idx(13),
        Color::LightCyan => idx(14),
        Color::White => idx(15),
        Color::Indexed(i) => idx(i),
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
    }
}

/// Every cell of `buf` as the emulator shows it; the first difference as an error.
fn check(vt: &vt100::Parser, buf: &Buffer, frame: usize) -> Result<(), String> {
    let screen = vt.screen();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let want = &buf[(x, y)];
            let got = screen.cell(y, x).ok_or("cell out of range")?;
            if got.is_wide_continuation() {
                continue;
            }
            let sym = if got.contents().is_empty() {
                " "
            } else {
                got.contents()
            };
            let m = want.modifier;
            // A space's foreground cannot be seen unless an attribute shows it.
            let fg_shows = sym != " "
                || m.intersects(Modifier::UNDERLINED | Modifier::REVERSED | Modifier::CROSSED_OUT);
            let same = sym == want.symbol()
                && (!fg_shows || got.fgcolor() == vt_color(want.fg))
                && got.bgcolor() == vt_color(want.bg)
                && intensity(got.bold(), got.dim(), m)
                && got.italic() == m.contains(Modifier::ITALIC)
                && got.underline() == m.contains(Modifier::UNDERLINED)
                && got.inverse() == m.contains(Modifier::REVERSED);
            if !same {
                return Err(format!(
                    "frame {frame} ({x},{y}): want {want:?}, got {sym:?} fg {:?} bg {:?} bold {} dim {} italic {} underline {} inverse {}",
                    got.fgcolor(),
                    got.bgcolor(),
                    got.bold(),
                    got.dim(),
                    got.italic(),
                    got.underline(),
                    got.inverse()
                ));
            }
        }
    }
    Ok(())
}

/// Bold and dim are one attribute (intensity) in the emulator: with both asked for, the
/// last one sent wins.
fn intensity(bold: bool, dim: bool, m: Modifier) -> bool {
    match (m.contains(Modifier::BOLD), m.contains(Modifier::DIM)) {
        (true, true) => bold || dim,
        (b, d) => bold == b && dim == d,
    }
}

fn random_style(rng: &mut ChaCha8Rng) -> Style {
    const COLORS: [Color; 8] = [
        Color::Reset,
        Color::Green,
        Color::Red,
        Color::Gray,
        Color::DarkGray,
        Color::White,
        Color::Indexed(236),
        Color::Rgb(10, 200, 30),
    ];
    const MODS: [Modifier; 5] = [
        Modifier::BOLD,
        Modifier::DIM,
        Modifier::ITALIC,
        Modifier::UNDERLINED,
        Modifier::REVERSED,
    ];
    let mut st = Style::new()
        .fg(COLORS[rng.random_range(0..COLORS.len())])
        .bg(COLORS[rng.random_range(0..COLORS.len())]);
    for m in MODS {
        if rng.random_bool(0.25) {
            st = st.add_modifier(m);
        }
    }
    st
}

fn is_wide(c: &ratatui::buffer::Cell) -> bool {
    use ratatui::buffer::CellWidth;
    c.symbol().cell_width() > 1
}

/// Clears a few random rectangles and writes random text into them.
fn scribble(buf: &mut Buffer, all: bool, rng: &mut ChaCha8Rng) -> Drawn {
    const WORDS: [&str; 10] = [
        "12345.67",
        "█▌",
        "│",
        "abc",
        "日本",
        "─┼─",
        "x",
        "  ",
        "▲ 0.0042",
        "語",
    ];
    let areas = if all || rng.random_bool(0.1) {
        vec![buf.area]
    } else {
        (0..rng.random_range(1..4))
            .map(|_| {
                let (x, y) = (rng.random_range(0..W - 1), rng.random_range(0..H - 1));
                let w = rng.random_range(1..=W - x);
                let h = rng.random_range(1..=H - y);
                // Never split a wide character at the left edge: a pane never does.
                let splits = (y..y + h).any(|y| x > 0 && is_wide(&buf[(x - 1, y)]));
                let x0 = if splits { x - 1 } else { x };
                Rect::new(x0, y, w + (x - x0), h)
            })
            .collect()
    };
    for a in &areas {
        for y in a.top()..a.bottom() {
            for x in a.left()..a.right() {
                buf[(x, y)].reset();
            }
        }
        for _ in 0..rng.random_range(0..12) {
            let x = rng.random_range(a.left()..a.right());
            let y = rng.random_range(a.top()..a.bottom());
            let word = WORDS[rng.random_range(0..WORDS.len())];
            let style = random_style(rng);
            // Widgets never start text on the right half of a wide character.
            if x > 0 && is_wide(&buf[(x - 1, y)]) {
                continue;
            }
            buf.set_stringn(x, y, word, usize::from(a.right() - x), style);
        }
    }
    Drawn {
        areas,
        cursor: None,
    }
}

#[test]
fn the_terminal_shows_exactly_the_composed_buffer() {
    for seed in 0..20 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut screen = Screen::new(W, H);
        let mut vt = vt100::Parser::new(H, W, 0);
        for frame in 0..60 {
            if rng.random_bool(0.05) {
                screen.repaint();
            }
            let bytes = screen
                .frame_with(|f, all| scribble(f.buffer_mut(), all, &mut rng))
                .to_vec();
            vt.process(&bytes);
            let composed = screen.composed().clone();
            if let Err(e) = check(&vt, &composed, frame) {
                panic!("seed {seed}: {e}");
            }
        }
    }
}

#[test]
fn an_unchanged_frame_sends_nothing_and_a_change_sends_little() {
    let mut screen = Screen::new(W, H);
    let text = |f: &mut ratatui::Frame, s: &str| {
        f.buffer_mut()
            .set_string(3, 2, s, Style::new().fg(Color::Green));
        Drawn {
            areas: vec![Rect::new(0, 2, W, 1)],
            cursor: None,
        }
    };
    let first = screen.frame_with(|f, _| text(f, "price 101.25")).len();
    assert!(first > 0);
    assert!(screen.frame_with(|f, _| text(f, "price 101.25")).is_empty());
    let change = screen.frame_with(|f, _| text(f, "price 101.26")).to_vec();
    // One cursor move, one colour, one digit, a reset; too small to arrive in pieces, so
    // without the synchronized-update markers.
    assert!(change.len() <= 24, "{}", String::from_utf8_lossy(&change));
    let has = |seq: &[u8]| change.windows(seq.len()).any(|w| w == seq);
    assert!(!has(b"\x1b[?2026h") && !has(b"\x1b[?2026l"));
}

#[test]
fn a_frame_large_enough_to_arrive_in_pieces_is_one_synchronized_update() {
    let mut screen = Screen::new(100, 30);
    let fill = |f: &mut ratatui::Frame, c: &str| {
        let area = f.area();
        for y in 0..area.height {
            let row = c.repeat(usize::from(area.width));
            f.buffer_mut()
                .set_string(0, y, row, Style::new().fg(Color::Green));
        }
        Drawn {
            areas: vec![area],
            cursor: None,
        }
    };
    for c in ["a", "b"] {
        let frame = screen.frame_with(|f, _| fill(f, c)).to_vec();
        assert!(frame.len() > 1024, "{} bytes", frame.len());
        assert!(frame.starts_with(b"\x1b[?2026h") && frame.ends_with(b"\x1b[?2026l"));
    }
}

#[test]
fn spaces_are_not_sent_again_for_a_colour_nobody_can_see() {
    let mut screen = Screen::new(W, H);
    let row = |f: &mut ratatui::Frame, s: &str, fg: Color| {
        f.buffer_mut().set_string(3, 2, s, Style::new().fg(fg));
        Drawn {
            areas: vec![Rect::new(0, 2, W, 1)],
            cursor: None,
        }
    };
    assert!(
        !screen
            .frame_with(|f, _| row(f, "1.5   2", Color::Green))
            .is_empty()
    );
    // The spaces in red look the same: nothing to send.
    let recoloured = screen
        .frame_with(|f, _| {
            row(f, "1.5   2", Color::Green);
            f.buffer_mut()
                .set_string(6, 2, "   ", Style::new().fg(Color::Red));
            Drawn {
                areas: vec![Rect::new(0, 2, W, 1)],
                cursor: None,
            }
        })
        .to_vec();
    assert!(
        recoloured.is_empty(),
        "{}",
        String::from_utf8_lossy(&recoloured)
    );
    // Text between spaces of another colour keeps one pen: no colour switch for the spaces.
    let mut screen = Screen::new(W, H);
    screen.frame_with(|f, _| row(f, "            ", Color::Reset));
    let out = screen
        .frame_with(|f, _| {
            let buf = f.buffer_mut();
            buf.set_string(3, 2, "12", Style::new().fg(Color::Green));
            buf.set_string(5, 2, " ", Style::new().fg(Color::Red));
            buf.set_string(6, 2, "34", Style::new().fg(Color::Green));
            Drawn {
                areas: vec![Rect::new(0, 2, W, 1)],
                cursor: None,
            }
        })
        .to_vec();
    let sgr = String::from_utf8_lossy(&out).matches('m').count();
    assert_eq!(
        sgr,
        1,
        "one colour switch: {}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn a_column_of_changes_costs_a_few_control_bytes_per_row() {
    let mut screen = Screen::new(W, H);
    let column = |f: &mut ratatui::Frame, digits: &str| {
        for y in 2..8 {
            f.buffer_mut()
                .set_string(20, y, digits, Style::new().fg(Color::Red));
        }
        Drawn {
            areas: vec![Rect::new(0, 2, W, 6)],
            cursor: None,
        }
    };
    let mut vt = vt100::Parser::new(H, W, 0);
    vt.process(screen.frame_with(|f, _| column(f, "1.25")));
    let out = screen.frame_with(|f, _| column(f, "1.37")).to_vec();
    vt.process(&out);
    // One absolute move, then down a line and back two columns per row.
    assert!(out.windows(3).filter(|w| *w == b"\n\x08\x08").count() == 5);
    assert!(out.len() <= 16 + 8 + 6 * 2 + 5 * 3, "{out:?}");
    for y in 2..8 {
        let cell = |x| vt.screen().cell(y, x).map(|c| c.contents().to_string());
        assert_eq!((cell(22), cell(23)), (Some("3".into()), Some("7".into())));
        let red = vt.screen().cell(y, 22).map(|c| c.fgcolor());
        assert_eq!(
            red,
            Some(vt100::Color::Idx(1)),
            "the pen carries over frames"
        );
    }
}
