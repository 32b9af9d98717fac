//! Credential storage: the OS keyring, an environment override, and an in-memory store for tests.
