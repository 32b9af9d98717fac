//! The environment override: `SPEEDTRADE_<VENUE>[_<PROFILE>]_API_KEY` / `_API_SECRET`.

use super::{Credentials, Profile, SecretsError};
use crate::domain::VenueId;
use std::collections::HashMap;
use std::fmt;

/// Which variables supplied the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSource {
    /// Variable holding the key.
    pub key_var: String,
    /// Variable holding the secret.
    pub secret_var: String,
}

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Reads key pairs from environment variables (or any name → value lookup, for tests).
///
/// Per venue and profile the profile-specific pair (`SPEEDTRADE_ALPACA_PAPER_API_KEY`,
/// `SPEEDTRADE_ALPACA_PAPER_API_SECRET`) wins over the generic pair
/// (`SPEEDTRADE_ALPACA_API_KEY`, `SPEEDTRADE_ALPACA_API_SECRET`), which applies to any profile.
/// Empty values count as unset; half a pair is an error.
pub struct EnvOverride {
    lookup: Lookup,
}

impl fmt::Debug for EnvOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvOverride(..)")
    }
}

impl EnvOverride {
    /// The process environment.
    pub fn from_process() -> Self {
        Self {
            lookup: Box::new(|name| std::env::var(name).ok()),
        }
    }

    /// A fixed map (tests, or a config layer).
    pub fn from_map(map: HashMap<String, String>) -> Self {
        Self {
            lookup: Box::new(move |name| map.get(name).cloned()),
        }
    }

    /// No override at all.
    pub fn none() -> Self {
        Self {
            lookup: Box::new(|_| None),
        }
    }

    /// `SPEEDTRADE_<VENUE>_API_KEY`, `SPEEDTRADE_<VENUE>_API_SECRET`.
    pub fn generic_vars(venue: VenueId) -> (String, String) {
        let v = venue.as_str().to_ascii_uppercase();
        (
            format!("SPEEDTRADE_{v}_API_KEY"),
            format!("SPEEDTRADE_{v}_API_SECRET"),
        )
    }

    /// `SPEEDTRADE_<VENUE>_<PROFILE>_API_KEY`, `..._API_SECRET`.
    pub fn profile_vars(venue: VenueId, profile: Profile) -> (String, String) {
        let v = venue.as_str().to_ascii_uppercase();
        let p = profile.as_str().to_ascii_uppercase();
        (
            format!("SPEEDTRADE_{v}_{p}_API_KEY"),
            format!("SPEEDTRADE_{v}_{p}_API_SECRET"),
        )
    }

    /// The pair for `venue` / `profile`, if the environment has one.
    pub fn get(
        &self,
        venue: VenueId,
        profile: Profile,
    ) -> Result<Option<(Credentials, EnvSource)>, SecretsError> {
        for (key_var, secret_var) in [
            Self::profile_vars(venue, profile),
            Self::generic_vars(venue),
        ] {
            let key = self.var(&key_var);
            let secret = self.var(&secret_var);
            match (key, secret) {
                (Some(k), Some(s)) => {
                    return Ok(Some((
                        Credentials::new(k, s),
                        EnvSource {
                            key_var,
                            secret_var,
                        },
                    )));
                }
                (Some(_), None) => {
                    return Err(SecretsError::IncompleteEnv {
                        set: key_var,
                        missing: secret_var,
                    });
                }
                (None, Some(_)) => {
                    return Err(SecretsError::IncompleteEnv {
                        set: secret_var,
                        missing: key_var,
                    });
                }
                (None, None) => {}
            }
        }
        Ok(None)
    }

    fn var(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}
