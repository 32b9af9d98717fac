//! `speedtrade doctor`: one line per health check, with what to do when one fails.
