//! Alpaca API credentials (key id + secret) with a `Debug` that never prints them.
//!
//! TODO(lead): replace with `crate::secrets::Credentials` once the secrets module merges; this
//! type exists so the Alpaca clients can be built and tested before that.

use super::AlpacaSetupError;
use reqwest::header::HeaderValue;
use std::fmt;

/// An Alpaca key id and secret. Paper and live accounts have different pairs.
#[derive(Clone, PartialEq, Eq)]
pub struct AlpacaCredentials {
    key_id: String,
    secret: String,
}

impl AlpacaCredentials {
    /// Wraps a key id and a secret (surrounding whitespace is trimmed).
    pub fn new(key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into().trim().to_string(),
            secret: secret.into().trim().to_string(),
        }
    }

    /// The key id (`APCA-API-KEY-ID`).
    pub(crate) fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The secret (`APCA-API-SECRET-KEY`).
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// `None` when either part is empty, so an empty keyring entry counts as "no keys".
    pub(crate) fn usable(creds: Option<AlpacaCredentials>) -> Option<AlpacaCredentials> {
        creds.filter(|c| !c.key_id.is_empty() && !c.secret.is_empty())
    }

    /// Both parts as sensitive HTTP header values (hyper keeps them out of its debug output).
    pub(crate) fn header_values(&self) -> Result<(HeaderValue, HeaderValue), AlpacaSetupError> {
        let mut key = HeaderValue::from_str(&self.key_id)
            .map_err(|_| AlpacaSetupError::BadKey { which: "key id" })?;
        let mut secret = HeaderValue::from_str(&self.secret)
            .map_err(|_| AlpacaSetupError::BadKey { which: "secret" })?;
        key.set_sensitive(true);
        secret.set_sensitive(true);
        Ok((key, secret))
    }
}

impl fmt::Debug for AlpacaCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlpacaCredentials")
            .field("key_id", &"***")
            .field("secret", &"***")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_keys() {
        let c = AlpacaCredentials::new("PKTESTKEYID", "s3cr3t-value");
        let dbg = format!("{c:?} {:?}", Some(c.clone()));
        assert!(!dbg.contains("PKTESTKEYID"), "{dbg}");
        assert!(!dbg.contains("s3cr3t"), "{dbg}");
        assert!(dbg.contains("***"));
    }

    #[test]
    fn empty_or_odd_keys_are_refused() {
        assert!(AlpacaCredentials::usable(None).is_none());
        assert!(AlpacaCredentials::usable(Some(AlpacaCredentials::new(" ", "x"))).is_none());
        assert!(AlpacaCredentials::usable(Some(AlpacaCredentials::new("k", "s"))).is_some());
        let bad = AlpacaCredentials::new("key", "line\nbreak");
        assert_eq!(
            bad.header_values().unwrap_err(),
            AlpacaSetupError::BadKey { which: "secret" }
        );
    }
}
