//! Drawing: `draw(frame, &AppState)`, one file per pane, and the theme.
