//! SQLite store: one writer thread, batched transactions, migrations and read queries.
