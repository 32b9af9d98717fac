//! The API key pair and its redacted `Debug`.

use std::fmt;

/// An API key and its secret. `Debug` prints `***`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The API key (sent in headers; still never logged).
    pub api_key: String,
    /// The API secret (signs requests; never leaves the process).
    pub api_secret: String,
}

impl Credentials {
    /// A key pair.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { api_key: ***, api_secret: *** }")
    }
}
