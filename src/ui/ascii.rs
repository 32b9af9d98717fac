//! ASCII fallback: with `unicode = false`, every drawn cell that is not ASCII is replaced by
//! its nearest ASCII look-alike after the frame is drawn, so no pane needs its own fallback.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// The ASCII stand-in for one character.
pub fn ascii_for(c: char) -> char {
    match c {
        c if c.is_ascii() => c,
        '│' | '┃' | '║' | '╎' | '┆' | '▏' | '▕' => '|',
        '─' | '━' | '═' | '╌' | '┄' | '—' | '–' | '·' | '•' => '-',
        '●' | '◆' | '★' => '*',
        '○' | '◇' => 'o',
        '…' => '.',
        '×' => 'x',
        '▲' | '↑' => '^',
        '▼' | '↓' => 'v',
        '◀' | '←' => '<',
        '▶' | '→' => '>',
        '\u{2500}'..='\u{257F}' => '+',
        '▁' | '▂' => '_',
        '\u{2580}'..='\u{259F}' => '#',
        '\u{2800}'..='\u{28FF}' => '.',
        _ => '?',
    }
}

/// Rewrites every non-ASCII cell of `area` in `buf` in place.
pub fn downgrade(buf: &mut Buffer, area: Rect) {
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        let start = buf.index_of(area.x, y);
        for cell in &mut buf.content[start..start + usize::from(area.width)] {
            let sym = cell.symbol();
            if !sym.is_ascii() {
                let c = sym.chars().next().map_or(' ', ascii_for);
                cell.set_char(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_drawing_and_marks_have_look_alikes() {
        let pairs = [
            ('╭', '+'),
            ('╯', '+'),
            ('│', '|'),
            ('─', '-'),
            ('●', '*'),
            ('█', '#'),
            ('é', '?'),
        ];
        for (from, to) in pairs {
            assert_eq!(ascii_for(from), to, "{from}");
        }
    }
}
