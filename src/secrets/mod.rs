//! Credential storage: the OS keyring, an environment override, and an in-memory store for tests.

mod creds;

pub use creds::Credentials;
