//! The paper broker: fills in-process against the live book, no credentials.
