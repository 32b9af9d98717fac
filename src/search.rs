//! Fuzzy symbol search over the venues' instruments.
