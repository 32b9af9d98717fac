//! Application state, actions, the pure update function, commands and the key map.
