//! Logging to a daily-rolling file in the data dir (text or JSON lines).
